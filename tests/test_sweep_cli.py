"""`catfish sweep` and the `experiments.jobs.sweep` API, end to end on a tiny sweep."""

from __future__ import annotations

import pandas as pd
import pytest

import catfish.experiments.jobs.sweep as sw
from catfish.scenarios import ScenarioError
from tests.conftest import catfish

BASE = """\
name: tiny
labels: {zh: 小, en: tiny}
calendar: {start: 2020-05, months: 12, deadline: 2021-04}
target: {firms: 20}
budget: {total_rmb: 5000000}
cluster:
  smes:
    count: 150
    sectors: [{name: plastics, share: 1.0}]
policies:
  - {instrument: grant, share: 0.3, cap_rmb: 300000}
"""

SWEEP = """\
name: sweep-tiny
labels: {zh: 小, en: tiny}
base: base.yaml
factors:
  - {name: share, path: policies.grant.share, low: 0.1, high: 0.5}
  - {name: q, path: behaviour.overrides.peer_effect_per_year, low: 0.2, high: 0.6}
design: {kind: lhs, samples: 6}
replicates: 2
seed: 7
timeseries: [n_counted, spent_total_rmb]
"""


@pytest.fixture()
def tiny(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "sweep-tiny.yaml").write_text(SWEEP, encoding="utf-8")
    return tmp_path


def test_api_runs_reads_and_resumes(tiny):
    handle = sw.sweep(tiny / "sweep-tiny.yaml", tiny / "out")
    assert handle.status() == {"runs": 12, "done": 12, "failed": 0, "pending": 0}
    outcomes = handle.outcomes()
    assert list(outcomes["run_id"]) == sorted(outcomes["run_id"]), "sorted by run id"
    assert {"share", "q", "transformed_by_deadline"} <= set(outcomes.columns), \
        "factor values and outcomes side by side"
    assert (outcomes["seed"] == 7 + outcomes["replicate"]).all(), "seed + replicate"
    series = handle.timeseries()
    assert len(series) == 12 * 12, "one row per run and month"
    manifest = handle.manifest
    assert manifest["seeds"]["first"] == 7 and manifest["sweep"]["sha256"], "provenance kept"
    # the copies in the folder are enough to resume, even if the originals change
    (tiny / "base.yaml").write_text("broken: [", encoding="utf-8")
    again = sw.resume(tiny / "out")
    pd.testing.assert_frame_equal(again.outcomes(), outcomes, obj="resume of a finished sweep")


def test_a_bad_point_stops_the_sweep_before_anything_is_written(tiny):
    text = SWEEP.replace("low: 0.1, high: 0.5", "low: 0.1, high: 0.5, type: int")
    (tiny / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError):
        sw.sweep(tiny / "bad.yaml", tiny / "out")
    assert not (tiny / "out").exists(), "no result folder for a sweep that cannot run"


def test_cli_sweep_resume_and_errors(tiny):
    done = catfish("sweep", "sweep-tiny.yaml", "--out", "out", "--workers", "2", cwd=tiny)
    assert done.returncode == 0, done.stderr
    assert "12 runs done, 0 failed, 0 pending" in done.stdout
    assert "Sweep: 12 runs; about" in done.stderr, "the estimate comes before the runs"
    again = catfish("sweep", "sweep-tiny.yaml", "--out", "out", cwd=tiny)
    assert again.returncode == 2 and again.stderr.count("catfish: error") == 1, again.stderr
    assert "holds results of catfish sweep" in again.stderr and "Sweep" not in again.stderr, \
        "an occupied folder is refused before any estimate is made"
    resumed = catfish("sweep", "--resume", "out", cwd=tiny)
    assert resumed.returncode == 0 and "12 runs done" in resumed.stdout, resumed.stderr
    for args, expected in [
        ((), "give a sweep file, or --resume DIR"),
        (("--resume", "nowhere"), "not a sweep result store"),
        (("sweep-tiny.yaml", "--retry-failed"), "--retry-failed goes with --resume"),
        (("missing.yaml",), "missing.yaml"),
    ]:
        bad = catfish("sweep", *args, cwd=tiny)
        assert bad.returncode == 2, f"{args}: exit status 2, got {bad.returncode}"
        assert expected in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
