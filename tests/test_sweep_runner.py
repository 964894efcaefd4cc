"""Running sweeps into a result store: kill -9 and resume, executors, failures, streaming.

Runs are small (300 SMEs x 12 months, about 20 ms each) so that a 200-run sweep, killed
twice and resumed, takes a few seconds.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from catfish.experiments.runs.executors import dask_executor, local_executor, worker_count
from catfish.experiments.runs.runner import run_tasks
from catfish.experiments.runs.store import OUTCOMES, TIMESERIES, ResultStore, StoreError, part_ids
from catfish.sim import ModelParams

ROOT = Path(__file__).resolve().parents[1]
RUNS = 200
MONTHS = 12
MANIFEST = {"sweep": {"name": "test", "sha256": "0" * 64}, "design": "grid"}


@dataclass(frozen=True)
class Task:
    """What ``experiments.runs.designs.SweepTask`` gives the runner."""

    run_id: str
    seed: int
    scenario: Any
    values: dict[str, Any]

    @property
    def subject(self) -> Any:
        return self.scenario


class Exploding:
    """A scenario that cannot be run."""

    def model_inputs(self):
        raise ValueError("no such cluster")


def sweep_tasks(n: int = RUNS):
    """A grid of budgets x 2 replicates (replicate r has seed 40 + r), made lazily."""
    for i in range(n):
        point, replicate = divmod(i, 2)
        budget = 4e6 + 1e5 * point
        yield Task(f"p{point:06d}-r{replicate:03d}", 40 + replicate,
                   ModelParams(n_smes=300, months=MONTHS, deadline_month=MONTHS,
                               target_firms=30, budget_rmb=budget), {"budget_rmb": budget})


def run_list(tasks) -> pd.DataFrame:
    return pd.DataFrame([{"run_id": t.run_id, "point": int(t.run_id[1:7]),
                          "replicate": int(t.run_id[-3:]), "seed": t.seed, **t.values}
                         for t in tasks])


def new_store(folder: Path, n: int = RUNS) -> ResultStore:
    return ResultStore.create(folder, MANIFEST, run_list(sweep_tasks(n)))


def tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with ResultStore.open(folder, readonly=True) as store:
        return store.outcomes(), store.timeseries()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The uninterrupted sweep, in this process."""
    folder = tmp_path_factory.mktemp("reference") / "sweep"
    with new_store(folder) as store:
        summary = run_tasks(sweep_tasks(), store, executor=None, workers=1)
    assert summary["totals"] == {"runs": RUNS, "done": RUNS, "failed": 0, "pending": 0}, summary
    return tables(folder)


# --- kill -9 and resume -------------------------------------------------------------------------

DRIVER = """
import sys
import time

from catfish.experiments.runs.executors import local_executor
from catfish.experiments.runs.store import ResultStore
from catfish.experiments.runs.runner import run_tasks
from tests.test_sweep_runner import sweep_tasks


def main():
    folder, workers = sys.argv[1], int(sys.argv[2])
    with ResultStore.open(folder) as store, local_executor(workers) as executor:
        # a slow coordinator: batches pile up in flight, so a kill finds work under way
        run_tasks(sweep_tasks(), store, executor=executor, workers=workers, batch_size=5,
                  progress=lambda n: time.sleep(0.05))


if __name__ == "__main__":
    main()
"""


def start_driver(script: Path, folder: Path, workers: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, str(script), str(folder), str(workers)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_parts(folder: Path, process: subprocess.Popen, more_than: int) -> None:
    deadline = time.monotonic() + 120
    while len(part_ids(folder / OUTCOMES)) <= more_than:
        if process.poll() is not None:
            raise AssertionError(f"the sweep ended before it was killed: "
                                 f"{process.stderr.read().decode()}")
        assert time.monotonic() < deadline, "no batch was committed within 2 minutes"
        time.sleep(0.01)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill(process: subprocess.Popen) -> list[int]:
    """SIGKILL the driver; return its worker processes' ids."""
    workers = children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    return workers


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_sweep_killed_twice_resumes_with_no_run_lost_or_repeated(tmp_path, reference):
    folder = tmp_path / "sweep"
    new_store(folder).close()
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")

    first = start_driver(script, folder, workers=2)
    wait_for_parts(folder, first, more_than=2)
    workers = kill(first)
    with ResultStore.open(folder, readonly=True) as store:
        counts = store.status_counts()
    assert 0 < counts["done"] < RUNS, f"expected a sweep killed midway, got {counts}"
    assert workers, "expected the driver to have worker processes"
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers), \
        "workers of a killed sweep must exit, not linger holding memory"

    second = start_driver(script, folder, workers=1)  # resumes; killed again, mid-batch
    wait_for_parts(folder, second, more_than=len(part_ids(folder / OUTCOMES)))
    time.sleep(0.03)
    kill(second)

    with ResultStore.open(folder) as store:  # resume here to the end
        before = store.status_counts()
        summary = run_tasks(sweep_tasks(), store, executor=None, workers=1)
    assert before["done"] < RUNS, f"expected runs left after the second kill, got {before}"
    assert summary["skipped"] == before["done"] and summary["ran"] == before["pending"], \
        f"resume must run exactly the pending runs: {before} -> {summary}"
    assert summary["totals"] == {"runs": RUNS, "done": RUNS, "failed": 0, "pending": 0}, summary

    raw_outcomes = pd.read_parquet(folder / OUTCOMES)
    raw_series = pd.read_parquet(folder / TIMESERIES)
    assert len(raw_outcomes) == RUNS and raw_outcomes["run_id"].is_unique, \
        "every run done exactly once in the committed outcome parts"
    assert len(raw_series) == RUNS * MONTHS and \
        not raw_series.duplicated(["run_id", "month"]).any(), \
        "every run's months stored exactly once"
    assert not [p for p in folder.rglob(".*") if p.name.endswith(".tmp")], "no temp files"
    outcomes, series = tables(folder)
    pd.testing.assert_frame_equal(outcomes, reference[0], obj="outcomes after two kills")
    pd.testing.assert_frame_equal(series, reference[1], obj="timeseries after two kills")
    sessions = ResultStore.open(folder, readonly=True).manifest()["store"]["sessions"]
    assert len(sessions) == 1 and sessions[0]["outcome"] == "complete", \
        f"killed sessions leave no record; the last one does: {sessions}"


# --- executors ---------------------------------------------------------------------------------

def test_local_pool_and_dask_give_identical_results(tmp_path, reference):
    n = 20
    expected = tuple(t[t["run_id"].isin(run_list(sweep_tasks(n))["run_id"])]
                     .reset_index(drop=True) for t in reference)
    with new_store(tmp_path / "pool", n) as store, local_executor(2) as executor:
        assert worker_count(executor) == 2, "a pool of 2 processes"
        run_tasks(sweep_tasks(n), store, executor=executor, workers=2)
    with new_store(tmp_path / "dask", n) as store, dask_executor(local_workers=2) as executor:
        assert worker_count(executor) == 2, "a local Dask cluster of 2 single-thread workers"
        summary = run_tasks(sweep_tasks(n), store, executor=executor, workers=2)
    assert summary["batch_size"] == 3 and summary["batches"] == 7, \
        f"20 runs on 2 workers: about 4 batches per worker, got {summary}"
    assert multiprocessing.active_children() == [], "the Dask cluster's processes have ended"
    for name in ("pool", "dask"):
        outcomes, series = tables(tmp_path / name)
        pd.testing.assert_frame_equal(outcomes, expected[0], obj=f"outcomes on {name}")
        pd.testing.assert_frame_equal(series, expected[1], obj=f"timeseries on {name}")


# --- failures ---------------------------------------------------------------------------------

def test_a_failing_run_is_recorded_the_rest_complete_and_retry_reruns_it(tmp_path, reference):
    tasks = list(sweep_tasks(6))
    tasks[3] = replace(tasks[3], scenario=Exploding())
    with new_store(tmp_path / "sweep", 6) as store:
        summary = run_tasks(tasks, store, executor=None, workers=1, batch_size=4)
        assert (summary["succeeded"], summary["failed"]) == (5, 1), summary
        failed = store.failed()
        assert failed.to_dict("records") == [{"run_id": tasks[3].run_id,
                                              "error": "ValueError: no such cluster"}], \
            f"expected the failed run with its error, got {failed}"
        assert store.outcomes()["run_id"].tolist() == [t.run_id for i, t in enumerate(tasks)
                                                       if i != 3], "the others are done"

        again = run_tasks(tasks, store, executor=None, workers=1)
        assert (again["ran"], again["skipped"]) == (0, 6), \
            f"a failed run is not rerun unless asked: {again}"
        still = run_tasks(tasks, store, executor=None, workers=1, retry_failed=True)
        assert (still["ran"], still["failed"]) == (1, 1), f"retried and failed again: {still}"
        fixed = run_tasks(sweep_tasks(6), store, executor=None, workers=1, retry_failed=True)
        assert (fixed["ran"], fixed["succeeded"]) == (1, 1), f"retry of a fixed run: {fixed}"
        assert store.failed().empty, "a run done on retry is no longer failed"
        outcomes = store.outcomes()
    pd.testing.assert_frame_equal(outcomes, reference[0].iloc[:6], obj="outcomes after retry")


# --- streaming and checks ---------------------------------------------------------------------

def test_lazy_tasks_are_pulled_only_a_few_batches_ahead(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    pulled, committed, ahead = [0], [0], []

    def counted(tasks):
        for task in tasks:
            pulled[0] += 1
            ahead.append(pulled[0] - committed[0])
            yield task

    def progress(n: int) -> None:
        committed[0] += n

    tiny = (replace(t, scenario=ModelParams(n_smes=30, months=2, deadline_month=2,
                                            target_firms=3)) for t in sweep_tasks(120))
    with new_store(tmp_path / "sweep", 120) as store, ThreadPoolExecutor(2) as pool:
        summary = run_tasks(counted(tiny), store, executor=pool, workers=2, batch_size=4,
                            progress=progress)
    assert summary["totals"]["done"] == 120, summary
    assert max(ahead) <= (2 * 2 + 1) * 4, \
        f"expected at most 4 batches in flight and 1 being filled, got {max(ahead)} tasks ahead"


def test_tasks_must_match_the_store(tmp_path):
    with new_store(tmp_path / "sweep", 4) as store:
        tasks = list(sweep_tasks(4))
        cases = [
            ([*tasks, Task("p999999-r000", 40, None, {})], "'p999999-r000' is not in the store"),
            ([replace(tasks[0], seed=41)], "has seed 41, the store has 40"),
            ([tasks[0], tasks[1], tasks[0]], "comes twice"),
        ]
        for given, expected in cases:
            with pytest.raises(StoreError, match=expected):
                run_tasks(given, store, executor=None, workers=1, batch_size=10)
        assert store.status_counts()["done"] == 0, "nothing is run from a mismatched list"
        with pytest.raises(ValueError, match="'n_nothing' is not a time-series column"):
            run_tasks(tasks, store, executor=None, workers=1, timeseries=["n_nothing"])
        with pytest.raises(ValueError, match="'payback' is not a run outcome"):
            run_tasks(tasks, store, executor=None, workers=1, outcomes=["payback"])


def test_chosen_outcomes_and_timeseries_columns(tmp_path, reference):
    with new_store(tmp_path / "some", 4) as store:
        run_tasks(sweep_tasks(4), store, executor=None, workers=1,
                  timeseries=["n_transformed", "spent_grant_rmb"],
                  outcomes=["transformed_by_deadline", "spent_by_deadline_grant_rmb",
                            "spent_by_deadline_diagnosis_rmb"])
        outcomes, series = store.outcomes(), store.timeseries()
    assert outcomes.columns.tolist() == ["run_id", "point", "replicate", "seed", "budget_rmb",
                                         "transformed_by_deadline",
                                         "spent_by_deadline_diagnosis_rmb",
                                         "spent_by_deadline_grant_rmb"], outcomes.columns
    expected = reference[0].iloc[:4]
    assert outcomes["transformed_by_deadline"].tolist() == \
        expected["transformed_by_deadline"].tolist(), "the same runs"
    assert outcomes["spent_by_deadline_grant_rmb"].tolist() == \
        expected["spent_by_deadline_grant_rmb"].tolist(), "an account's spending by deadline"
    assert (outcomes["spent_by_deadline_diagnosis_rmb"] == 0).all(), \
        "an instrument the mix lacks spent 0"
    assert series.columns.tolist() == ["run_id", "month", "date", "n_transformed",
                                       "spent_grant_rmb"], series.columns
    with new_store(tmp_path / "none", 4) as store:
        run_tasks(sweep_tasks(4), store, executor=None, workers=1, timeseries=False)
        assert store.timeseries().empty and len(store.outcomes()) == 4, \
            "timeseries=False stores outcomes only"
        assert part_ids(store.folder / TIMESERIES) == {}, "and writes no time-series part"


def test_a_name_in_both_tables_is_accepted_in_either(tmp_path):
    # spent_total_rmb is a time-series column and a run outcome
    with new_store(tmp_path / "both", 2) as store:
        run_tasks(sweep_tasks(2), store, executor=None, workers=1,
                  timeseries=["spent_total_rmb"], outcomes=["spent_total_rmb"])
        outcomes, series = store.outcomes(), store.timeseries()
    assert outcomes.columns[-1] == "spent_total_rmb" and len(outcomes) == 2, outcomes.columns
    last = series.groupby("run_id")["spent_total_rmb"].last().to_numpy()
    assert (outcomes["spent_total_rmb"].to_numpy() == last).all(), \
        "the outcome is the time series' last month"
