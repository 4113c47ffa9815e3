"""The embedded sample heals itself; `data synth --out` never deletes files it did not write.

The sample is shrunk to 2 days here (module constants, patched) so that regenerating it is
quick; the healing logic does not depend on its size.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from optbt.data import sample
from optbt.data.synth import MANIFEST, generate, read_manifest
from optbt.model.errors import ConfigError, OptbtError


@pytest.fixture
def small_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sample, "SAMPLE_DAYS", 2)
    monkeypatch.setattr(sample, "SAMPLE_NAME", "sample-test-2d")
    return tmp_path / "cache" / "sample-test-2d"


def parquet_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.parquet"))


def test_first_use_generates_with_a_message_then_reuses_quietly(small_sample, capsys):
    assert sample.default_dataset() == small_sample
    assert "generating the synthetic sample" in capsys.readouterr().err
    manifest = read_manifest(small_sample)
    # 2 days x (options, spot, vix)
    assert {"dataset.toml", "README.md"} <= set(manifest["files"]) and len(parquet_files(small_sample)) == 6
    mtimes = {p: p.stat().st_mtime_ns for p in parquet_files(small_sample)}
    assert sample.default_dataset() == small_sample
    assert capsys.readouterr().err == ""
    assert {p: p.stat().st_mtime_ns for p in parquet_files(small_sample)} == mtimes  # not regenerated


def test_deleted_days_are_detected_and_regenerated(small_sample, capsys):
    sample.default_dataset(quiet=True)
    for p in parquet_files(small_sample / "options")[:1]:  # half the option days gone
        p.unlink()
    sample.default_dataset()
    err = capsys.readouterr().err
    assert "damaged" in err and "1 file(s) missing" in err and "regenerating" in err
    assert len(parquet_files(small_sample)) == 6 and sample.damage(small_sample) is None


def test_deleted_config_regenerates_without_directory_not_empty(small_sample, capsys):
    sample.default_dataset(quiet=True)
    (small_sample / "dataset.toml").unlink()
    assert sample.default_dataset() == small_sample
    assert (small_sample / "dataset.toml").exists() and "dataset.toml" in capsys.readouterr().err


def test_a_changed_file_of_the_same_size_is_found_by_its_hash(small_sample, capsys):
    sample.default_dataset(quiet=True)
    victim = parquet_files(small_sample / "spot")[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))  # same size, new mtime: hashed, and found different
    assert "changed" in sample.damage(small_sample)
    sample.default_dataset()
    assert "1 file(s) changed" in capsys.readouterr().err and sample.damage(small_sample) is None


def test_missing_manifest_regenerates(small_sample):
    sample.default_dataset(quiet=True)
    (small_sample / MANIFEST).unlink()
    assert sample.damage(small_sample) == "its manifest is missing"
    sample.default_dataset(quiet=True)
    assert sample.damage(small_sample) is None


def test_an_unwritable_cache_is_one_clean_error_naming_the_variable(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(blocker / "cache"))  # a folder cannot be made under a file
    with pytest.raises(sample.CacheError, match="OPTBT_CACHE_DIR") as err:
        sample.default_dataset(quiet=True)
    assert isinstance(err.value, OptbtError) and "\n" not in str(err.value)

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(tmp_path / "ro"))
    monkeypatch.setattr(sample.tempfile, "mkdtemp", denied)
    with pytest.raises(sample.CacheError, match=r"Permission denied.*OPTBT_CACHE_DIR"):
        sample.default_dataset(quiet=True)


def test_cli_run_on_an_unwritable_cache_exits_2_without_a_traceback(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**os.environ, "OPTBT_CACHE_DIR": str(blocker / "cache")}
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-m", "optbt", "run", str(root / "examples" / "straddle_920.py:Straddle920")],
                       capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert r.returncode == 2 and "OPTBT_CACHE_DIR" in r.stderr and "Traceback" not in r.stderr


# -- data synth --out ------------------------------------------------------------------------

def test_synth_refuses_a_foreign_non_empty_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty and was not made by `optbt data synth`.*--force"):
        generate(out, days=1, seed=3)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    generate(out, days=1, seed=3, force=True)
    assert (out / "notes.txt").read_text() == "keep me" and (out / "dataset.toml").exists()


def test_synth_rerun_replaces_its_own_files_only(tmp_path):
    out = generate(tmp_path / "d", days=2, seed=3)
    (out / "notes.txt").write_text("keep me")
    (out / "options" / "mine.txt").write_text("mine too")
    before = {p.relative_to(out).as_posix() for p in parquet_files(out)}
    generate(out, days=1, seed=3)  # one day now: the second day's files (its own) go, nothing else
    after = {p.relative_to(out).as_posix() for p in parquet_files(out)}
    assert len(before) == 6 and len(after) == 3 and after < before  # a day: options, spot, vix
    assert (out / "notes.txt").read_text() == "keep me" and (out / "options" / "mine.txt").exists()
    assert set(read_manifest(out)["files"]) == after | {"dataset.toml", "README.md"}


def test_synth_cli_refuses_without_force(tmp_path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "a.txt").write_text("a")
    r = subprocess.run([sys.executable, "-m", "optbt", "data", "synth", "--out", str(out), "--days", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--force" in r.stderr and "Traceback" not in r.stderr
    assert [p.name for p in out.iterdir()] == ["a.txt"]


def test_synthetic_volume_and_open_interest_are_never_negative(tmp_path):
    out = generate(tmp_path / "d", days=2, seed=7)
    low_v, low_oi = duckdb.connect().execute("SELECT min(volume), min(oi) FROM read_parquet(?)",
                                             [str(out / "options/*/*.parquet")]).fetchone()
    assert low_v >= 0 and low_oi >= 0
