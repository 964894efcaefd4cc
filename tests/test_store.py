"""The sweep result store: layout, ledger, atomic commits, clean-up after a crash, locking.

These tests commit hand-made records (no model runs), so they take well under a second.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from catfish.experiments.runs.files import OutputExistsError
from catfish.experiments.runs.store import (
    FAILURES,
    OUTCOMES,
    TIMESERIES,
    ResultStore,
    RunRecord,
    StoreError,
    part_ids,
)

MANIFEST = {"sweep": {"name": "test-sweep", "sha256": "ab" * 32}, "design": "grid",
            "seeds": {"first": 7}}


def run_list(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"run_id": [f"p{i // 2:06d}-r{i % 2:03d}" for i in range(n)],
                         "point": [i // 2 for i in range(n)],
                         "replicate": [i % 2 for i in range(n)],
                         "seed": [7 + i % 2 for i in range(n)],
                         "grant_share": [0.1 * (1 + i // 2) for i in range(n)],
                         "mix": ["a" if i < 4 else "b" for i in range(n)]})


def record(run_id: str, k: int, months: int = 3, accounts: tuple[str, ...] = ("grant",)
           ) -> RunRecord:
    """A made-up successful run whose numbers depend on k."""
    series = {"month": np.arange(1, months + 1, dtype=np.int32),
              "date": np.array([f"2020-{m:02d}" for m in range(1, months + 1)], dtype=object),
              "n_transformed": np.arange(months, dtype=np.int32) * k,
              "spent_total_rmb": np.linspace(0, 1e6, months) * k}
    series.update({f"spent_{a}_rmb": np.full(months, 10.0 * k) for a in accounts})
    return RunRecord(run_id, outcomes={"transformed_by_deadline": 10 * k, "target_met": k % 2,
                                       "months_to_target": float("nan") if k % 2 else 2.0},
                     timeseries=series)


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.name.endswith(".tmp")]


@pytest.fixture
def store(tmp_path):
    with ResultStore.create(tmp_path / "sweep", MANIFEST, run_list()) as made:
        yield made


def test_create_writes_run_list_and_manifest(store):
    folder = store.folder
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sweep"] == MANIFEST["sweep"], "the caller's manifest is kept as given"
    assert manifest["store"]["runs"] == 6 and manifest["store"]["factors"] == \
        ["grant_share", "mix"], f"store section: {manifest['store']}"
    pd.testing.assert_frame_equal(store.runs(), run_list(), obj="runs.parquet read back")
    assert store.status_counts() == {"runs": 6, "done": 0, "failed": 0, "pending": 6}, \
        "a new store has every run pending"
    assert store.pending_ids() == run_list()["run_id"].tolist(), "pending in run-list order"
    assert store.outcomes().empty and store.timeseries().empty and store.failed().empty, \
        "a new store has no results"


def test_create_refuses_a_used_folder_unless_told(tmp_path, store):
    with pytest.raises(OutputExistsError, match="holds results of catfish sweep"):
        ResultStore.create(store.folder, MANIFEST, run_list())
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(OutputExistsError, match="not a catfish result folder"):
            ResultStore.create(other, MANIFEST, run_list(), overwrite=overwrite)
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"], \
        "a folder that is not Catfish's is refused, even with overwrite, and left untouched"


def test_overwrite_removes_only_what_the_store_wrote(tmp_path):
    folder = tmp_path / "my-results"
    with ResultStore.create(folder, MANIFEST, run_list(), files={"sweep.yaml": "x: 1\n"}) as s:
        s.commit([RunRecord(run_id, outcomes={"transformed_by_deadline": 1},
                            timeseries=pd.DataFrame({"month": [1], "date": ["2024-01"],
                                                     "n_transformed": [1]}))
                  for run_id in run_list()["run_id"][:2]])
    mine = {"timeseries/thesis-data.csv": "mine", "notes.txt": "mine too",
            "outcomes.parquet/README": "my note"}
    for name, text in mine.items():
        (folder / name).write_text(text)
    with ResultStore.create(folder, MANIFEST, run_list(3), overwrite=True) as made:
        assert made.status_counts()["done"] == 0, "the overwritten store starts afresh"
    for name, text in mine.items():
        assert (folder / name).read_text() == text, f"{name}: a user's file must survive"
    parts = sorted(p.name for p in (folder / "timeseries").iterdir())
    assert parts == ["thesis-data.csv"], f"only the store's own parts go; left {parts}"
    assert "sweep.yaml" not in {p.name for p in folder.iterdir()}, \
        "the old store's kept copy is removed with it"


def test_files_kept_with_the_store_are_there_before_the_manifest(tmp_path):
    with ResultStore.create(tmp_path / "s", MANIFEST, run_list(),
                            files={"sweep.yaml": "name: x\n", "base.bin": b"\x00\x01"}) as made:
        assert (made.folder / "sweep.yaml").read_text() == "name: x\n", "text kept"
        assert (made.folder / "base.bin").read_bytes() == b"\x00\x01", "bytes kept"
    for bad in ("runs.parquet", "sub/x.yaml", ".hidden"):
        with pytest.raises(StoreError, match="must be a plain file name"):
            ResultStore.create(tmp_path / "t", MANIFEST, run_list(), files={bad: "x"})


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r.drop(columns="seed"), "missing column 'seed'"),
    (lambda r: r.assign(run_id=["a", "a", "b", "c", "d", "e"]), "run_id 'a' appears twice"),
    (lambda r: r.assign(replicate=r["replicate"] + 0.5), "'replicate' must hold integers"),
    (lambda r: r.assign(run_id=range(6)), "run_id must be non-empty strings"),
])
def test_create_checks_the_run_list(tmp_path, change, expected):
    with pytest.raises(StoreError, match=expected):
        ResultStore.create(tmp_path / "s", MANIFEST, change(run_list()))
    assert not (tmp_path / "s").exists(), "a bad run list must not leave a folder behind"


def test_open_says_in_one_line_what_is_not_a_store(tmp_path):
    with pytest.raises(StoreError) as info:
        ResultStore.open(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path}: not a sweep result store") and "\n" not in message, \
        message


def test_commit_outcomes_timeseries_failures_and_ledger(store):
    ids = run_list()["run_id"].tolist()
    assert store.commit([record(ids[3], 3), record(ids[0], 1),
                         RunRecord(ids[1], error="ValueError: bad point")]) == 1, "first batch"
    assert store.commit([record(ids[2], 2)]) == 2, "batch ids count up"
    assert store.status_counts() == {"runs": 6, "done": 3, "failed": 1, "pending": 2}
    assert store.pending_ids() == [ids[4], ids[5]], "pending = all - done - failed"

    outcomes = store.outcomes()
    assert outcomes["run_id"].tolist() == [ids[0], ids[2], ids[3]], "sorted by run_id"
    assert outcomes.columns[:6].tolist() == ["run_id", "point", "replicate", "seed",
                                             "grant_share", "mix"], "run keys, then factors"
    assert outcomes["transformed_by_deadline"].tolist() == [10, 20, 30], "outcomes by run"
    assert outcomes["mix"].tolist() == ["a", "a", "a"] and outcomes["seed"].tolist() == [7, 7, 8]

    series = store.timeseries()
    assert series.columns[:3].tolist() == ["run_id", "month", "date"], series.columns
    assert len(series) == 9 and series["run_id"].is_monotonic_increasing, "3 runs x 3 months"
    assert series.groupby("run_id")["month"].apply(list).tolist() == [[1, 2, 3]] * 3
    assert series["n_transformed"].dtype == np.int32, "counts are stored as int32"
    chosen = store.timeseries(["spent_total_rmb"])
    assert chosen.columns.tolist() == ["run_id", "month", "date", "spent_total_rmb"], \
        "only the columns asked for"
    with pytest.raises(StoreError, match="no time-series column 'n_nothing'"):
        store.timeseries(["n_nothing"])

    failed = store.failed()
    assert failed.to_dict("records") == [{"run_id": ids[1], "error": "ValueError: bad point"}], \
        "a failed run and its error"
    ledger = store.ledger()
    assert ledger["status"].tolist() == ["done", "failed", "done", "done", "pending", "pending"]
    assert ledger["error"].isna().sum() == 5, "only the failed run has an error"

    with pytest.raises(StoreError, match="already done"):
        store.commit([record(ids[0], 1)])
    store.commit([record(ids[1], 5)])  # a retry of the failed run
    assert store.failed().empty and store.status_counts()["done"] == 4, "a retried run is done"


def test_reopened_store_reads_the_same_and_continues_batch_ids(store):
    ids = run_list()["run_id"].tolist()
    store.commit([record(ids[0], 1), RunRecord(ids[1], error="KeyError: 'x'")])
    before = (store.outcomes(), store.timeseries(), store.failed())
    store.finish({"wall_seconds": 1.5, "ran": 2})
    store.close()
    with ResultStore.open(store.folder) as again:
        for a, b, name in zip(before, (again.outcomes(), again.timeseries(), again.failed()),
                              ("outcomes", "timeseries", "failed"), strict=True):
            pd.testing.assert_frame_equal(a, b, obj=f"{name} after reopening")
        assert again.commit([record(ids[2], 2)]) == 2, "batch ids go on after the last one"
        manifest = again.manifest()["store"]
        assert manifest["counts"] == {"runs": 6, "done": 1, "failed": 1, "pending": 4}, \
            manifest["counts"]
        assert manifest["wall_seconds"] == 1.5 and len(manifest["sessions"]) == 1, manifest
    ledger = pd.read_parquet(store.folder / "ledger.parquet")
    assert ledger["status"].tolist()[:2] == ["done", "failed"], "ledger snapshot at finish"


def test_no_temp_files_and_half_written_batch_is_cleaned_on_open(store):
    ids = run_list()["run_id"].tolist()
    store.commit([record(ids[0], 1)])
    store.commit([record(ids[1], 2), RunRecord(ids[2], error="RuntimeError: x")])
    assert temp_files(store.folder) == [], "atomic writes leave no temporary files"
    folder = store.folder
    expected = (store.outcomes(), store.timeseries())
    store.close()
    # a crash after the time-series part of batch 3 and before its outcomes part, with a
    # temporary file of the outcomes part half written
    shutil.copy(folder / TIMESERIES / "part-000002.parquet", folder / TIMESERIES /
                "part-000003.parquet")
    (folder / OUTCOMES / ".part-000003.parquet.x1y2.tmp").write_bytes(b"PAR1 half")
    (folder / ".manifest.json.abc.tmp").write_text("{")

    with ResultStore.open(folder, readonly=True) as reader:
        pd.testing.assert_frame_equal(reader.timeseries(), expected[1],
                                      obj="read-only: only committed batches are read")
        assert 3 in part_ids(folder / TIMESERIES), "read-only opening deletes nothing"

    with ResultStore.open(folder) as reopened:
        assert sorted(part_ids(folder / TIMESERIES)) == [1, 2], \
            "the uncommitted time-series part is deleted"
        assert temp_files(folder) == [], "temporary files are deleted"
        assert reopened.status_counts() == {"runs": 6, "done": 2, "failed": 1, "pending": 3}
        pd.testing.assert_frame_equal(reopened.outcomes(), expected[0], obj="outcomes")
        pd.testing.assert_frame_equal(reopened.timeseries(), expected[1], obj="timeseries")
        assert reopened.commit([record(ids[3], 4)]) == 3, "the cleaned batch id is reused"
        assert sorted(part_ids(folder / FAILURES)) == [2], "failure part of batch 2 kept"


def test_one_writer_at_a_time(store):
    with pytest.raises(StoreError, match="in use by process"):
        ResultStore.open(store.folder)
    with ResultStore.open(store.folder, readonly=True) as reader:
        assert reader.status_counts()["pending"] == 6, "readers need no lock"
        with pytest.raises(StoreError, match="read-only"):
            reader.commit([record("p000000-r000", 1)])
    store.close()
    with ResultStore.open(store.folder) as writer:
        assert not writer.readonly, "the lock is free once the first writer closed"


OPEN_IN_ANOTHER_PROCESS = """
import sys
from catfish.experiments.runs.store import ResultStore, StoreError
try:
    ResultStore.open(sys.argv[1])
except StoreError as exc:
    print(exc)
"""


def test_another_process_cannot_write_while_the_store_is_open(store):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", OPEN_IN_ANOTHER_PROCESS, str(store.folder)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == f"{store.folder}: in use by process {os.getpid()} on " \
        f"{socket.gethostname()}; wait for it to end or stop it first", \
        f"expected a one-line refusal naming this process: {done}"


def test_unknown_runs_are_refused(store):
    with pytest.raises(StoreError, match="'nope' is not in the store's run list"):
        store.commit([record("nope", 1)])
    ids = run_list()["run_id"].tolist()
    with pytest.raises(StoreError, match="twice in one batch"):
        store.commit([record(ids[0], 1), record(ids[0], 1)])
    assert store.status_counts()["done"] == 0, "a refused batch commits nothing"


def test_runs_with_different_columns_read_back_the_same_in_any_batching(tmp_path):
    # runs of different policy mixes have different spending columns; the tables read back
    # must not depend on which runs shared a batch
    ids = run_list()["run_id"].tolist()
    records = [record(ids[i], i + 1, accounts=("grant",) if i % 2 else ("diagnosis", "grant"))
               for i in range(6)]
    records[5].outcomes["spent_by_deadline_grant_rmb"] = 5.0
    tables = []
    for name, batches in (("one", [records]), ("many", [[r] for r in reversed(records)]),
                          ("pairs", [records[4:], records[:2], records[2:4]])):
        with ResultStore.create(tmp_path / name, MANIFEST, run_list()) as made:
            for batch in batches:
                made.commit(batch)
            tables.append((made.outcomes(), made.timeseries()))
    for outcomes, series in tables[1:]:
        pd.testing.assert_frame_equal(outcomes, tables[0][0], obj="outcomes, other batching")
        pd.testing.assert_frame_equal(series, tables[0][1], obj="timeseries, other batching")
    series = tables[0][1]
    assert series.columns.tolist() == ["run_id", "month", "date", "n_transformed",
                                       "spent_total_rmb", "spent_diagnosis_rmb",
                                       "spent_grant_rmb"], "codebook order, then by name"
    lacking = series[series["run_id"] == ids[1]]["spent_diagnosis_rmb"]
    assert (lacking == 0).all(), "a run without an instrument spent 0 on it, not NaN"
    assert tables[0][0]["spent_by_deadline_grant_rmb"].tolist() == [0.0] * 5 + [5.0], \
        "an account outcome missing from a run is 0"
