"""``bars_look_start_labelled``: end-labelled tables whose days run from the open to a bar
before the close, the stamps of bars labelled by their start (the rule, and why it is a
warning, in :mod:`optbt.data.label_hint`; a run warns of its first day). One aggregate a table
over its distinct times, every day."""

from __future__ import annotations

from optbt.data.label_hint import day_sql, looks_start_labelled, message, params


def bars_look_start_labelled(ck) -> None:
    cfg, src = ck.config, ck.src
    for what, key, files_cfg, table, known, und in (
            ("spot", "spot", cfg.spot, src.spot, src._spot_known, src._spot_und),
            ("option", "options", cfg.options, src.options, src._opt_known, src._opt_und)):
        if cfg.label_of(files_cfg) != "end" or not table.all_files:
            continue
        p = {**params(cfg), "f": table.all_files, "und": cfg.underlying}
        if cfg.timezone:
            p["tz"] = cfg.timezone
        days = ck.q(day_sql(table, known, und), p)
        seen = [(d, first, last) for d, first, last, off in days if looks_start_labelled(cfg, d, first, last, off)]
        # most days, not one: a day that ends a bar early is a gap, every day alike is a label
        if not seen or 2 * len(seen) < len(days):
            continue
        d, first, last = seen[0]
        ck.find("warning", "bars_look_start_labelled", table.files_for(d)[0] if table.files_for(d) else table.all_files[0],
                len(seen), message(what, cfg, key, f"on {len(seen)} of {len(days)} days", first, last),
                {"day": d, "first": first, "last": last})
