"""The engine: the clock, one day's run, the contexts a strategy sees, the Strategy base
class, fills and costs, and the loop over days and ticks.

One tick: clock -> context moved to the tick -> hooks (entry / adjust / exit_check) ->
fills -> trades -> (at the end) results. May import: ``optbt.model``, ``optbt.data``,
``optbt.results``.
"""
