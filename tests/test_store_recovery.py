"""Recoverable stores: resuming a damaged store sets its damaged batches aside.

A part file that cannot be read, that was overwritten, or whose runs disagree with the commit
journal is moved to ``damaged/`` with the rest of its batch when the store is opened to
resume, and its runs run again, so the tables read back equal those of an undamaged sweep.
Reading a damaged store names the file and says to resume; a folder that lost the copies of
its input files says it cannot be resumed, before anything runs.

The sweeps are tiny (6 runs of 150 SMEs over 12 months, 3 batches of 2); each test damages a
copy of one finished store.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import catfish.experiments.jobs.sensitivity as sa
import catfish.experiments.jobs.sweep as sw
import pandas as pd
import pytest
from catfish.experiments.runs.files import written
from catfish.experiments.runs.runner import run_tasks
from catfish.experiments.runs.store import (
    FAILURES,
    OUTCOMES,
    TIMESERIES,
    ResultStore,
    StoreError,
    part_ids,
    part_name,
)

from tests.test_sweep_cli import BASE
from tests.test_sweep_runner import Exploding, new_store, sweep_tasks

SWEEP = """\
name: sweep-recover
labels: {zh: 小, en: tiny}
base: base.yaml
factors:
  - {name: share, path: policies.grant.share, low: 0.1, high: 0.5}
design: {kind: lhs, samples: 3}
replicates: 2
seed: 7
timeseries: [n_counted, spent_total_rmb]
"""

SENSITIVITY = """\
name: sa-recover
labels: {zh: 小, en: tiny}
base: base.yaml
factors:
  - {name: share, path: policies.grant.share, low: 0.1, high: 0.5}
outcomes: [transformed_by_deadline]
method: morris
n: 2
replicates: 1
seed: 5
"""

BATCHES = 3          # 6 runs on one worker: batches of 2
DAMAGED_BATCH = 2
JOURNAL = "commits.jsonl"


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    (folder / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    (folder / "sa.yaml").write_text(SENSITIVITY, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def finished(inputs, tmp_path_factory) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """An undamaged finished sweep: its folder, outcomes and time series."""
    out = tmp_path_factory.mktemp("reference") / "out"
    handle = sw.sweep(inputs / "sweep.yaml", out)
    assert handle.status()["done"] == 6, f"expected 6 runs done, got {handle.status()}"
    assert len(part_ids(out / OUTCOMES)) == BATCHES, \
        f"expected {BATCHES} batches, got {sorted(part_ids(out / OUTCOMES))}"
    return out, handle.outcomes(), handle.timeseries()


@pytest.fixture
def store_copy(finished, tmp_path) -> Path:
    """A copy of the finished sweep's folder, to damage."""
    return Path(shutil.copytree(finished[0], tmp_path / "out"))


def part(out: Path, kind: str, batch: int = DAMAGED_BATCH) -> Path:
    return out / kind / part_name(batch)


def damage(path: Path, how: str) -> None:
    """Truncate a part to half, empty it, or put another (valid) Parquet file in its place."""
    if how == "half":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "copy":  # a copy of another batch's part
        shutil.copy(path.parent / part_name(1), path)
    elif how == "other":  # a valid Parquet file of other rows: the run list
        shutil.copy(path.parent.parent / "runs.parquet", path)
    else:
        raise AssertionError(f"unknown damage {how!r}")


def set_aside(out: Path) -> list[str]:
    folder = out / "damaged"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def batch_aside(batch: int = DAMAGED_BATCH) -> list[str]:
    """What ``damaged/`` holds once a batch of the sweep (outcomes and time series) is moved."""
    return sorted(f"{kind}-{part_name(batch)}" for kind in (OUTCOMES, TIMESERIES))


def assert_same_tables(handle: sw.SweepHandle, finished) -> None:
    pd.testing.assert_frame_equal(handle.outcomes(), finished[1],
                                  obj="outcomes after the damaged batch ran again")
    pd.testing.assert_frame_equal(handle.timeseries(), finished[2],
                                  obj="time series after the damaged batch ran again")


def assert_named(repairs, out: Path, damaged: Path) -> None:
    lines = [r.describe() for r in repairs]
    moved = [r.path for r in repairs]
    assert moved[0] == damaged, f"expected the damaged part {damaged} named first, got {moved}"
    assert all("\n" not in line for line in lines), f"expected one line each, got {lines}"
    assert f"{damaged} is damaged" in lines[0], f"expected {damaged} named as damaged: {lines}"
    assert str(out / "damaged") in lines[0] and "2 runs will run again" in lines[0], \
        f"expected where it went and how many runs run again: {lines[0]}"


# --- damaged parts, found and repaired by --resume ---------------------------------------------

@pytest.mark.parametrize(("kind", "how"), [(OUTCOMES, "half"), (OUTCOMES, "empty"),
                                           (TIMESERIES, "empty")])
def test_unreadable_part_is_set_aside_and_its_runs_run_again(store_copy, finished, kind, how):
    damaged = part(store_copy, kind)
    damage(damaged, how)
    handle = sw.resume(store_copy)
    assert_same_tables(handle, finished)
    assert set_aside(store_copy) == batch_aside(), \
        f"expected batch {DAMAGED_BATCH}'s parts in damaged/, got {set_aside(store_copy)}"
    assert_named(handle.repairs, store_copy, damaged)
    assert "cannot be read" in handle.repairs[0].describe(), handle.repairs[0].describe()
    assert handle.status() == {"runs": 6, "done": 6, "failed": 0, "pending": 0}, \
        f"expected every run done again, got {handle.status()}"


def test_truncated_timeseries_part_is_found_by_resume_not_by_the_reader(store_copy, finished):
    damaged = part(store_copy, TIMESERIES)
    damage(damaged, "half")
    handle = sw.resume(store_copy)
    assert_same_tables(handle, finished)
    assert set_aside(store_copy) == batch_aside(), \
        f"expected batch {DAMAGED_BATCH} set aside on resume, got {set_aside(store_copy)}"
    assert_named(handle.repairs, store_copy, damaged)


def test_a_lost_part_of_a_journalled_batch_is_missed_and_its_batch_run_again(store_copy,
                                                                             finished):
    lost = part(store_copy, TIMESERIES)
    lost.unlink()
    handle = sw.resume(store_copy)
    assert_same_tables(handle, finished)
    first = handle.repairs[0]
    assert (first.path, first.moved_to) == (lost, None), \
        f"expected the lost part named first, with nothing to move: {first}"
    assert first.describe().startswith(f"{lost} is missing (its batch was committed with 24 "
                                       "months of time series)"), first.describe()
    assert set_aside(store_copy) == [f"{OUTCOMES}-{part_name(DAMAGED_BATCH)}"], \
        f"expected the rest of its batch moved aside, got {set_aside(store_copy)}"


@pytest.mark.parametrize(("kind", "how"), [(OUTCOMES, "copy"), (TIMESERIES, "copy"),
                                           (OUTCOMES, "other"), (TIMESERIES, "other")])
def test_overwritten_part_is_set_aside_and_named(store_copy, finished, kind, how):
    damaged = part(store_copy, kind)
    damage(damaged, how)
    handle = sw.resume(store_copy)
    assert_same_tables(handle, finished)
    assert set_aside(store_copy) == batch_aside(), \
        f"expected only batch {DAMAGED_BATCH} set aside, got {set_aside(store_copy)}"
    assert_named(handle.repairs, store_copy, damaged)
    again = sw.resume(store_copy)
    assert again.repairs == [], f"a repaired store resumes cleanly, got {again.repairs}"


def test_read_only_opening_names_the_damaged_file_and_moves_nothing(store_copy):
    for kind, how in ((OUTCOMES, "copy"), (TIMESERIES, "half")):
        damaged = part(store_copy, kind)
        kept = damaged.read_bytes()
        damage(damaged, how)
        for read in (lambda: sw.open_results(store_copy).outcomes(),
                     lambda: sw.open_results(store_copy).timeseries()):
            with pytest.raises(StoreError) as err:
                read()
            message = str(err.value)
            assert message.startswith(f"{damaged}: "), f"expected {damaged} named: {message}"
            assert f"--resume {store_copy}" in message and "\n" not in message, \
                f"expected one line suggesting --resume: {message}"
        assert set_aside(store_copy) == [] and damaged.exists(), "reading moves nothing"
        damaged.write_bytes(kept)


def test_damaged_failures_part_makes_its_runs_run_again(tmp_path):
    tasks = list(sweep_tasks(6))
    tasks[3] = replace(tasks[3], scenario=Exploding())  # batch 2 holds a done and a failed run
    tables = []
    for name in ("clean", "damaged"):
        with new_store(tmp_path / name, 6) as store:
            run_tasks(tasks, store, executor=None, workers=1, batch_size=2)
        if name == "damaged":
            damage(part(tmp_path / name, FAILURES), "empty")
            with pytest.raises(StoreError, match="failures/part-000002.parquet: damaged"):
                ResultStore.open(tmp_path / name, readonly=True)
        with ResultStore.open(tmp_path / name) as store:
            repairs = store.repairs
            assert store.status_counts()["pending"] == (2 if name == "damaged" else 0), \
                f"{name}: expected batch 2's runs pending again, got {store.status_counts()}"
            run_tasks(tasks, store, executor=None, workers=1, batch_size=2)
            tables.append((store.outcomes(), store.timeseries(), store.failed()))
    assert [r.path.name for r in repairs] == [part_name(2)] * 3, \
        f"expected the failures, outcomes and time-series parts of batch 2, got {repairs}"
    assert repairs[0].path == part(tmp_path / "damaged", FAILURES), repairs
    for clean, repaired, name in zip(*tables, ("outcomes", "timeseries", "failed"), strict=True):
        pd.testing.assert_frame_equal(repaired, clean, obj=f"{name} after the repair")


def test_unknown_or_twice_done_runs_are_damage_too(tmp_path):
    with new_store(tmp_path / "s", 6) as store:
        run_tasks(sweep_tasks(6), store, executor=None, workers=1, batch_size=2)
    # a batch 4 that nobody committed, holding batch 1's runs again
    for kind in (OUTCOMES, TIMESERIES):
        shutil.copy(part(tmp_path / "s", kind, 1), part(tmp_path / "s", kind, 4))
    # and a batch 5 of a run the sweep does not have
    pd.DataFrame({"run_id": ["p000099-r000"], "transformed_by_deadline": [1]}).to_parquet(
        part(tmp_path / "s", OUTCOMES, 5))
    with ResultStore.open(tmp_path / "s") as store:
        repairs = store.repairs
        counts = store.status_counts()
    culprits = [r for r in repairs if r.damaged]
    assert [r.path for r in culprits] == [part(tmp_path / "s", OUTCOMES, b) for b in (4, 5)], \
        f"expected the unrecorded batches 4 and 5 set aside, not batch 1: {repairs}"
    why = [r.reason for r in culprits]
    assert "also done in outcomes.parquet/part-000001" in why[0] and \
        "not in the run list" in why[1], f"expected why each is damaged: {why}"
    assert counts == {"runs": 6, "done": 6, "failed": 0, "pending": 0}, \
        f"batch 1's runs stay done: {counts}"


# --- the commit journal ------------------------------------------------------------------------

def test_each_commit_is_journalled_and_listed_as_the_store_s_file(finished):
    out = finished[0]
    lines = (out / JOURNAL).read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["batch"] for e in entries] == [1, 2, 3], f"one line per batch, got {entries}"
    assert all(e["done"] == 2 and e["failed"] == 0 and e["series_rows"] == 24
               for e in entries), f"expected 2 runs and 24 months a batch: {entries}"
    assert JOURNAL in written(out), f"expected the journal in the manifest: {written(out)}"


def test_a_batch_committed_but_not_journalled_is_checked_then_journalled(store_copy, finished):
    journal = store_copy / JOURNAL
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    # a crash between batch 3's commit and its journal line, in the middle of writing it
    journal.write_text("".join(lines[:2]) + lines[2][:10], encoding="utf-8")
    handle = sw.resume(store_copy)
    assert handle.repairs == [] and set_aside(store_copy) == [], \
        f"a sound unjournalled batch is kept, got {handle.repairs}"
    assert journal.read_text(encoding="utf-8").splitlines(keepends=True) == lines, \
        "the torn line is dropped and batch 3 journalled again"
    assert_same_tables(handle, finished)


def test_damaged_parts_are_claimed_so_overwrite_removes_them(store_copy, inputs):
    damage(part(store_copy, OUTCOMES), "empty")
    sw.resume(store_copy)
    claimed = [n for n in written(store_copy) if n.startswith("damaged/")]
    assert sorted(claimed) == [f"damaged/{n}" for n in batch_aside()], \
        f"expected the moved parts listed in the manifest, got {claimed}"
    sw.sweep(inputs / "sweep.yaml", store_copy, overwrite=True)
    assert not (store_copy / "damaged").exists(), "overwriting removes what the store moved"


# --- the copies of the input files ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "what", "text"), [
    ("sweep.yaml", "the sweep file", None),
    ("base-scenario.yaml", "the base scenario", None),
    ("sweep.yaml", "the sweep file", "factors: [\n"),
])
def test_missing_or_broken_input_copy_stops_resume_before_anything_runs(store_copy, name, what,
                                                                        text):
    damage(part(store_copy, TIMESERIES), "half")  # for resume to repair, if it could resume
    copy = store_copy / name
    if text is None:
        copy.unlink()
    else:
        copy.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError) as err:
        sw.resume(store_copy)
    message = str(err.value)
    expected = (f"{copy}: missing; this folder cannot be resumed without its copy of {what}; "
                "run the sweep again into a new folder") if text is None else f"{copy}:2:1: "
    assert message.startswith(expected), f"expected {expected!r}, got {message!r}"
    assert "cannot be resumed" in message, f"expected it to say so: {message!r}"
    assert "\n" not in message, f"expected one line, got {message!r}"
    assert set_aside(store_copy) == [], "nothing is moved for a folder that cannot be resumed"
    assert sw.resumable(store_copy) == message, \
        f"resumable gives the same reason: {sw.resumable(store_copy)!r}"


def test_resumable_says_when_resume_can_succeed(store_copy, tmp_path):
    assert sw.resumable(store_copy) is None, f"a sound store: {sw.resumable(store_copy)}"
    damage(part(store_copy, TIMESERIES), "half")
    assert sw.resumable(store_copy) is None, "a damaged part is for --resume to repair"
    assert "not a sweep result store" in sw.resumable(tmp_path / "nowhere"), \
        f"expected no store there: {sw.resumable(tmp_path / 'nowhere')}"
    (store_copy / "base-scenario.yaml").unlink()
    assert "base-scenario.yaml: missing" in sw.resumable(store_copy), sw.resumable(store_copy)


# --- the same store under catfish sensitivity ---------------------------------------------

def test_sensitivity_names_a_damaged_part_and_resume_repairs_it(inputs, tmp_path):
    reference = sa.sensitivity(inputs / "sa.yaml", tmp_path / "ref", report=False)
    out = Path(shutil.copytree(tmp_path / "ref", tmp_path / "out"))
    damaged = part(out, OUTCOMES)
    damage(damaged, "copy")
    with pytest.raises(StoreError) as err:
        sa.analyse(out, report=False)
    assert str(err.value).startswith(f"{damaged}: "), f"expected {damaged} named: {err.value}"
    repaired = sa.resume(out, report=False)
    pd.testing.assert_frame_equal(repaired.indices, reference.indices, obj="indices")
    assert set_aside(out) == [f"{OUTCOMES}-{part_name(2)}"], \
        f"expected the overwritten part moved aside, got {set_aside(out)}"
    (out / "sensitivity.yaml").unlink()
    with pytest.raises(StoreError, match="sensitivity.yaml: missing; this folder cannot be "
                                         "resumed without its copy of the sensitivity file"):
        sa.resume(out, report=False)
    assert sa.resumable(out) is not None, "resumable must say why not"


# --- the command line --------------------------------------------------------------------------

def test_cli_resume_warns_of_each_moved_part(store_copy):
    from catfish.experiments.cli import main
    from click.testing import CliRunner

    damaged = part(store_copy, TIMESERIES)
    damage(damaged, "half")
    done = CliRunner().invoke(main, ["sweep", "--resume", str(store_copy)])
    assert done.exit_code == 0, f"expected exit status 0, got {done.exit_code}: {done.stderr}"
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2, f"expected one warning per moved part, got {warnings}"
    assert warnings[0].startswith(f"catfish: warning: {damaged} is damaged"), warnings
    assert "6 runs done, 0 failed, 0 pending" in done.stdout, done.stdout
