"""A comparison on the engine: killed and resumed, on Dask, from Python: the same tables.

The tables of a comparison depend only on its runs' tasks and seeds, so a comparison killed
with SIGKILL and carried on with ``--resume``, or run on a Dask LocalCluster, or called from
Python, writes the same runs, summary, time-series and robustness tables as one run straight
through on one process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from catfish.experiments.jobs.compare import (
    ComparisonResults,
    compare,
    open_comparison,
    plan_comparison,
    run_comparison,
)
from catfish.experiments.runs.engine import Workers
from catfish.experiments.runs.files import OutputError
from catfish.experiments.runs.store_files import OUTCOMES, part_ids

from tests.conftest import catfish
from tests.test_compare import comparison_data, write_files

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("runs", "summary", "timeseries", "bands", "worlds", "robustness")


def same_tables(one: Path, two: Path, what: str) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(one / f"{name}.parquet"),
                                      pd.read_parquet(two / f"{name}.parquet"),
                                      obj=f"{name} ({what})")
        assert (one / f"{name}.csv").read_bytes() == (two / f"{name}.csv").read_bytes(), \
            f"{name}.csv differs ({what})"


@pytest.fixture(scope="module")
def straight(tmp_path_factory) -> tuple[Path, Path]:
    """A small comparison with worlds, run straight through on one process."""
    folder = tmp_path_factory.mktemp("straight")
    path = write_files(folder, comparison_data(replicates=40))
    done = catfish("compare", str(path), "--out", "one", "--workers", "1", "--lang", "en",
                   "--quiet", cwd=folder)
    assert done.returncode == 0, done.stderr
    return path, folder / "one"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_killed_comparison_resumes_to_identical_tables(straight, tmp_path):
    path, reference = straight
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "catfish", "compare", str(path), "--out",
               str(out), "--workers", "2", "--lang", "en", "--quiet"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / "store" / OUTCOMES).is_dir() or not part_ids(out / "store" / OUTCOMES):
        assert process.poll() is None, f"ended before it was killed: {process.stderr.read()}"
        assert time.monotonic() < deadline, "no batch committed within 2 minutes"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    assert not (out / "runs.csv").exists(), "killed before the tables were written"

    resumed = catfish("compare", "--resume", str(out), "--workers", "1", "--quiet",
                      cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    same_tables(reference, out, "killed with SIGKILL, then --resume")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<html" in report and "Small cluster comparison" in report, \
        "the resumed comparison writes its report in the language it was started with (en)"


@pytest.mark.slow
def test_comparison_on_a_dask_local_cluster_gives_identical_tables(straight, tmp_path):
    path, reference = straight
    done = catfish("compare", str(path), "--out", "dask", "--dask-local", "2", "--lang", "en",
                   "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    same_tables(reference, tmp_path / "dask", "Dask LocalCluster of 2 workers")
    manifest = ComparisonResults(tmp_path / "dask").manifest
    assert manifest["executor"] == "a Dask LocalCluster of 2 workers", manifest["executor"]


def test_python_api_gives_the_command_lines_tables_and_a_handle(straight, tmp_path):
    path, reference = straight
    results = compare(path, tmp_path / "api", workers=Workers(1), lang="en")
    assert isinstance(results, ComparisonResults) and results.report.is_file()
    same_tables(reference, tmp_path / "api", "compare() from Python")
    assert list(results.summary["mix"]) == ["base", "grant-heavy", "no-grant"]
    counted = results.timeseries(["n_counted"])
    assert list(counted.columns) == ["mix", "replicate", "seed", "month", "date", "n_counted"]
    assert open_comparison(tmp_path / "api").runs.equals(results.runs), "open_comparison reads it"
    from catfish.experiments.jobs import open_results

    assert open_results(tmp_path / "api").summary.equals(results.summary), \
        "open_results knows a comparison's folder"
    store = open_results(tmp_path / "api" / "store")
    assert len(store.outcomes()) == len(results.runs), "and a store's, as a sweep handle"


def test_only_parquet_or_no_time_series_keeps_the_other_tables(straight, tmp_path):
    path, reference = straight
    job = plan_comparison(path, out=tmp_path / "none", timeseries="none")
    run_comparison(job, workers=1, lang="en")
    out = tmp_path / "none"
    assert not (out / "timeseries.csv").exists() and not (out / "timeseries.parquet").exists(), \
        "--timeseries none writes no time-series table"
    for name in ("runs", "summary", "bands", "robustness"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"),
                                      pd.read_parquet(reference / f"{name}.parquet"),
                                      obj=f"{name} without the time series")
    assert (out / "report.html").is_file(), "the report needs only the bands"
    job = plan_comparison(path, out=tmp_path / "pq", timeseries="parquet")
    run_comparison(job, workers=1, lang="en")
    assert not (tmp_path / "pq" / "timeseries.csv").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "pq" / "timeseries.parquet"),
                                  pd.read_parquet(reference / "timeseries.parquet"),
                                  obj="timeseries.parquet alone")


def test_resume_refuses_a_folder_that_is_not_a_comparison_or_whose_inputs_changed(tmp_path):
    (tmp_path / "empty").mkdir()
    done = catfish("compare", "--resume", str(tmp_path / "empty"), cwd=tmp_path)
    assert done.returncode == 2 and "not a comparison that can be resumed" in done.stderr, \
        done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    with pytest.raises(OutputError, match="not a catfish compare results folder"):
        open_comparison(tmp_path / "empty")

    path = write_files(tmp_path, comparison_data(replicates=2))
    started = catfish("compare", str(path), "--out", "out", "--fixed", "--quiet", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    path.write_text(path.read_text(encoding="utf-8").replace("seed: 11", "seed: 12"),
                    encoding="utf-8")
    again = catfish("compare", "--resume", "out", cwd=tmp_path)
    assert again.returncode == 2 and "has changed since the comparison started" in again.stderr, \
        again.stderr
