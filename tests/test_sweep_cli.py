"""`catfish sweep` and the `experiments.jobs.sweep` API, end to end on a tiny sweep."""

from __future__ import annotations

import catfish.experiments.jobs.sweep as sw
import pandas as pd
import pytest
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


SENSITIVITY = """\
name: sa-tiny
labels: {zh: 小, en: tiny}
base: base.yaml
factors:
  - {name: q, path: behaviour.overrides.peer_effect_per_year}
  - {name: share, path: policies.grant.share, low: 0.1, high: 0.5}
outcomes: [transformed_by_deadline, spent_by_deadline_rmb]
method: morris
n: 2
replicates: 1
seed: 5
"""


def test_seed_gives_the_sweeps_runs_their_seeds_and_resume_keeps_it(tiny):
    done = catfish("sweep", "sweep-tiny.yaml", "--out", "out", "--seed", "20", cwd=tiny)
    assert done.returncode == 0, done.stderr
    outcomes = sw.open_results(tiny / "out").outcomes()
    assert (outcomes["seed"] == 20 + outcomes["replicate"]).all(), \
        f"--seed 20 instead of the file's 7: {sorted(set(outcomes['seed']))}"
    assert sw.open_results(tiny / "out").manifest["seeds"]["first"] == 20
    file_seeded = sw.sweep(tiny / "sweep-tiny.yaml", tiny / "file-seed")
    assert set(file_seeded.outcomes()["seed"]) == {7, 8}, "without --seed, the file's"
    kept = sw.kept_spec(tiny / "out")
    assert kept.seed == 20, "the copy --resume reads runs the sweep as it was started"
    refused = catfish("sweep", "--resume", "out", "--seed", "3", cwd=tiny)
    assert refused.returncode == 2 and "--seed cannot change a sweep already started" \
        in refused.stderr, refused.stderr
    too_big = catfish("sweep", "sweep-tiny.yaml", "--out", "big", "--seed", str(2**62 - 1),
                      cwd=tiny)
    assert too_big.returncode == 2 and "must stay below" in too_big.stderr, too_big.stderr


def test_seed_gives_the_analysis_its_seeds(tiny):
    (tiny / "sa-tiny.yaml").write_text(SENSITIVITY, encoding="utf-8")
    done = catfish("sensitivity", "sa-tiny.yaml", "--out", "sa", "--seed", "11", "--yes",
                   "--quiet", cwd=tiny)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", f"--quiet: no estimate, no progress bar: {done.stderr!r}"
    runs = sw.open_results(tiny / "sa").outcomes()
    assert sorted(runs["seed"]) == list(range(11, 11 + len(runs))), \
        f"independent seeds from --seed 11, not the file's 5: {sorted(runs['seed'])}"
    assert "seed: 11" in (tiny / "sa" / "sensitivity.yaml").read_text(encoding="utf-8"), \
        "the analysis kept in the folder says the seed it ran with"


def test_the_estimate_comes_before_the_progress_bar(tiny):
    done = catfish("sweep", "sweep-tiny.yaml", "--out", "out", cwd=tiny)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    estimate = next(i for i, line in enumerate(lines) if line.startswith("Sweep: 12 runs"))
    bar = next(i for i, line in enumerate(lines) if line.startswith("runs"))
    assert lines[0].startswith("Sweep sweep-tiny: 6 design points") and estimate < bar, \
        f"what it is, then the estimate, then the bar: {lines}"
    quiet = catfish("sweep", "sweep-tiny.yaml", "--out", "quiet", "--quiet", cwd=tiny)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "12 runs done" in quiet.stdout, "--quiet keeps what the command prints"


def test_failing_runs_end_in_exit_status_1_and_the_rest_are_kept(tiny, monkeypatch):
    from catfish.experiments.runs import runner

    from tests.conftest import invoke

    monkeypatch.chdir(tiny)
    real = runner._run_one

    def third_fails(subject, seed):
        if seed == 8:
            raise RuntimeError("the model broke")
        return real(subject, seed)

    monkeypatch.setattr(runner, "_run_one", third_fails)
    done = invoke("sweep", "sweep-tiny.yaml", "--out", "out")
    assert done.exit_code == 1, f"a failed run: exit status 1, not {done.exit_code}"
    errors = done.stderr.strip().splitlines()[-1:]
    assert errors[0].startswith("catfish: error: 6 of 12 runs failed; the first, p000000-r001: "
                                "RuntimeError: the model broke") \
        and "--resume out --retry-failed" in errors[0], done.stderr
    assert "6 runs done, 6 failed" in done.stdout, "what ran is said and kept"
    monkeypatch.setattr(runner, "_run_one", real)
    again = invoke("sweep", "--resume", "out", "--retry-failed")
    assert again.exit_code == 0 and "12 runs done, 0 failed" in again.stdout, again.stderr
