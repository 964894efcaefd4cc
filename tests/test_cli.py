"""Layer 6: the command line end to end, in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from catfish.sim import codebook

from tests.conftest import catfish


def test_run_without_arguments_writes_what_it_promises(tmp_path):
    done = catfish("run", cwd=tmp_path)
    assert done.returncode == 0, f"catfish run failed: {done.stderr}"
    folders = list((tmp_path / "catfish-output").iterdir())
    assert len(folders) == 1, f"expected one output folder, got {folders}"
    out = folders[0]
    assert str(out.relative_to(tmp_path)) in done.stdout, "the summary should name the folder"
    for name in ("timeseries.csv", "timeseries.parquet", "outcomes.json", "firms_by_state.png"):
        assert (out / name).stat().st_size > 0, f"{name} missing or empty"
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 36 and ts["month"].tolist() == list(range(1, 37))
    pd.testing.assert_frame_equal(ts, pd.read_csv(out / "timeseries.csv"), check_dtype=False)
    outcomes = json.loads((out / "outcomes.json").read_text())
    assert outcomes["seed"] == 1 and outcomes["target_firms"] == 200
    assert (out / "firms_by_state.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "transformed by 2023-04" in done.stdout, f"summary lacks the headline: {done.stdout}"


def test_seed_months_and_out_options(tmp_path):
    done = catfish("run", "--seed", "3", "--months", "12", "--out", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ts = pd.read_csv(tmp_path / "r" / "timeseries.csv")
    assert len(ts) == 12 and ts["date"].iloc[-1] == "2021-04"
    assert json.loads((tmp_path / "r" / "outcomes.json").read_text())["seed"] == 3


@pytest.mark.parametrize(("args", "expected"), [
    (("run", "--months", "0"), "'--months': 0 is not in the range 1<=x<=600"),
    (("run", "--months", "9999"), "'--months': 9999 is not in the range 1<=x<=600"),
    (("run", "--seed", "-1"), "--seed"),
])
def test_bad_input_gives_one_line_and_no_traceback(tmp_path, args, expected):
    done = catfish(*args, "--out", "bad", cwd=tmp_path)
    assert done.returncode == 2, f"expected exit status 2, got {done.returncode}"
    assert "Traceback" not in done.stderr, done.stderr
    assert expected in done.stderr, f"expected {expected!r} in {done.stderr!r}"
    assert not (tmp_path / "bad" / "timeseries.csv").exists(), "wrote results despite an error"


def test_existing_results_are_never_overwritten_silently(tmp_path):
    assert catfish("run", "--out", "r", "--months", "3", cwd=tmp_path).returncode == 0
    before = (tmp_path / "r" / "timeseries.csv").read_bytes()
    again = catfish("run", "--out", "r", "--seed", "9", cwd=tmp_path)
    assert again.returncode == 2 and "holds results of catfish" in again.stderr, again.stderr
    assert (tmp_path / "r" / "timeseries.csv").read_bytes() == before, "earlier result was lost"
    assert catfish("run", "--out", "r", "--months", "3", "--overwrite",
                   cwd=tmp_path).returncode == 0


def test_codebook_command_and_docs_are_in_step(tmp_path):
    done = catfish("codebook", "--markdown", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == codebook.markdown()
    docs = Path(__file__).parents[1] / "docs" / "codebook.md"
    assert docs.read_text(encoding="utf-8") == codebook.markdown(), \
        "docs/codebook.md is stale: run `make docs`"


def test_parameters_doc_is_in_step(tmp_path):
    from catfish.sim.params import parameters_markdown

    done = catfish("params", "--markdown", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == parameters_markdown()
    docs = Path(__file__).parents[1] / "docs" / "parameters.md"
    assert docs.read_text(encoding="utf-8") == parameters_markdown(), \
        "docs/parameters.md is stale: run `make docs`"


def test_scenarios_list_show_validate_and_run_by_name(tmp_path):
    listed = catfish("scenarios", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "jieyang-plastics-2020" in listed.stdout, listed.stderr
    shown = catfish("scenarios", "show", "jieyang-plastics-2020", cwd=tmp_path)
    assert shown.returncode == 0 and "name: jieyang-plastics-2020" in shown.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(shown.stdout.replace("share: 0.3", "share: 3"), encoding="utf-8")
    checked = catfish("scenarios", "validate", "jieyang-plastics-2020", str(bad), cwd=tmp_path)
    assert checked.returncode == 2, "an invalid file must give exit status 2"
    assert "jieyang-plastics-2020: ok" in checked.stdout
    assert f"{bad}: policies[0].share = 3" in checked.stderr \
        and "must be between 0 and 1" in checked.stderr, checked.stderr
    assert "Traceback" not in checked.stderr
    ran = catfish("run", "jieyang-plastics-2020", "--months", "6", "--out", "r", "--lang", "en",
                  cwd=tmp_path)
    assert ran.returncode == 0 and "Jieyang daily-use plastics cluster" in ran.stdout, ran.stderr
    missing = catfish("run", "no-such-scenario", "--out", "r2", cwd=tmp_path)
    assert missing.returncode == 2 and "no such file or shipped scenario" in missing.stderr


def test_scenario_reference_doc_is_in_step(tmp_path):
    from catfish.scenarios.reference import markdown

    done = catfish("scenarios", "reference", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == markdown()
    docs = Path(__file__).parents[1] / "docs" / "scenarios.md"
    assert docs.read_text(encoding="utf-8") == markdown(), \
        "docs/scenarios.md is stale: run `make docs`"


def test_policy_catalogue_doc_is_in_step(tmp_path):
    from catfish.sim.policy import REGISTRY
    from catfish.sim.policy.catalogue import markdown

    done = catfish("policies", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == markdown()
    for name in REGISTRY:
        assert f"## `{name}`" in done.stdout, f"{name} has an entry in the catalogue"
    docs = Path(__file__).parents[1] / "docs" / "policies.md"
    assert docs.read_text(encoding="utf-8") == markdown(), \
        "docs/policies.md is stale: run `make docs`"


# --- one set of conventions -------------------------------------------------------------------

def test_lang_and_workers_follow_one_rule_for_their_defaults(monkeypatch, tmp_path):
    import os

    from catfish.experiments.cli import default_lang, default_workers

    from tests.conftest import invoke, one_line_error

    monkeypatch.delenv("CATFISH_LANG", raising=False)
    assert default_lang() == "zh", "Chinese unless CATFISH_LANG says otherwise"
    monkeypatch.setenv("CATFISH_LANG", "en")
    assert default_lang() == "en"
    monkeypatch.delenv("CATFISH_WORKERS")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_workers() == min(cpus, 512), "the CPUs this process may use"
    monkeypatch.setenv("CATFISH_WORKERS", "3")
    assert default_workers() == 3
    # a command takes its default from the rule: the run's summary names the scenario in English
    monkeypatch.chdir(tmp_path)
    english = invoke("run", "--months", "2", "--out", "en")
    assert english.exit_code == 0 and "Jieyang daily-use plastics cluster" in english.stdout, \
        english.stdout
    monkeypatch.delenv("CATFISH_LANG")
    chinese = invoke("run", "--months", "2", "--out", "zh")
    assert chinese.exit_code == 0 and "揭阳" in chinese.stdout.splitlines()[0], chinese.stdout
    for name, value in (("CATFISH_LANG", "fr"), ("CATFISH_WORKERS", "0"),
                        ("CATFISH_WORKERS", "two")):
        monkeypatch.setenv(name, value)
        one_line_error(invoke("compare", "compare-jieyang-2023", "--out", "x"),
                       f"{name}={value}: must be")
        monkeypatch.setenv("CATFISH_WORKERS", "1")
        monkeypatch.delenv("CATFISH_LANG", raising=False)
    assert not (tmp_path / "x").exists(), "nothing written"
    top = invoke("--help")
    assert "CATFISH_LANG=en" in top.stdout and "CATFISH_WORKERS" in top.stdout, \
        "catfish --help says the rule"
    for command in ("run", "compare", "report", "firm", "app"):
        text = " ".join(invoke(command, "--help").stdout.split())
        assert "[default: (zh unless $CATFISH_LANG=en)]" in text, f"{command} -h says the rule"
    for command in ("compare", "sweep", "sensitivity", "calibrate"):
        text = " ".join(invoke(command, "--help").stdout.split())
        assert "the CPUs this process may use, or $CATFISH_WORKERS" in text, command


def test_every_stochastic_command_takes_the_same_options():
    from tests.conftest import invoke

    common = {"run": ["--out", "--overwrite", "--seed", "--lang", "--yes", "--quiet"],
              "compare": ["--out", "--overwrite", "--workers", "--dask-local", "--scheduler",
                          "--resume", "--seed", "--lang", "--yes", "--quiet", "--json"],
              "sweep": ["--out", "--overwrite", "--workers", "--dask-local", "--scheduler",
                        "--resume", "--seed", "--yes", "--quiet"],
              "sensitivity": ["--out", "--overwrite", "--workers", "--dask-local",
                              "--scheduler", "--resume", "--seed", "--yes", "--quiet"],
              "calibrate": ["--out", "--overwrite", "--workers", "--scheduler", "--resume",
                            "--seed", "--quiet"],
              "report": ["--out", "--overwrite", "--lang"]}
    for command, options in common.items():
        text = invoke(command, "--help").stdout
        for option in options:
            assert f"  {option} " in text or f", {option}" in text or f"{option} [" in text, \
                f"catfish {command} takes {option}"
        if "--resume" in options:
            assert "--resume DIR" in text, f"catfish {command}: --resume DIR"


def test_report_refuses_to_replace_a_report_without_overwrite(tmp_path, monkeypatch):
    from tests.conftest import invoke, one_line_error
    from tests.test_compare import write_files

    monkeypatch.chdir(tmp_path)
    write_files(tmp_path)
    made = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2",
                  "--fixed", "--quiet")
    assert made.exit_code == 0, made.stderr
    report = tmp_path / "res" / "report.html"
    assert report.is_file(), "catfish compare writes its report"
    before = report.read_bytes()
    one_line_error(invoke("report", "res", "--lang", "en"), "report.html", "exists",
                   "--overwrite")
    assert report.read_bytes() == before, "the report is left as it was"
    (tmp_path / "mine.html").write_text("my notes", encoding="utf-8")
    one_line_error(invoke("report", "res", "--out", "mine.html"), "mine.html", "--overwrite")
    assert (tmp_path / "mine.html").read_text(encoding="utf-8") == "my notes"
    replaced = invoke("report", "res", "--lang", "en", "--overwrite")
    assert replaced.exit_code == 0, replaced.stderr
    assert '<html lang="en">' in report.read_text(encoding="utf-8"), "replaced when asked"
    resumed = invoke("compare", "--resume", "res", "--quiet")
    assert resumed.exit_code == 0, f"catfish compare rewrites its own report: {resumed.stderr}"
    assert '<html lang="zh-CN">' in report.read_text(encoding="utf-8"), \
        "in the language the comparison was started with"


def test_exit_status_1_for_a_failure_and_2_for_a_mistake(tmp_path, monkeypatch):
    from catfish.experiments.runs import comparisons

    from tests.conftest import invoke, one_line_error
    from tests.test_compare import write_files

    monkeypatch.chdir(tmp_path)
    write_files(tmp_path)

    def broken(task, seed):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(comparisons, "simulate_task", broken)
    failed = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2",
                    "--fixed", "--quiet")
    assert failed.exit_code == 1, f"runs that fail: exit status 1, not {failed.exit_code}"
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("catfish: error: ") \
        and "runs failed" in lines[0] and "RuntimeError: the model broke" in lines[0] \
        and "--resume res" in lines[0], f"one line saying so: {failed.stderr!r}"
    assert "Traceback" not in failed.stderr + failed.stdout

    monkeypatch.setattr("catfish.sim.run.ClusterModel", lambda *a, **k: 1 / 0)
    crashed = invoke("run", "--out", "run", "--months", "2")
    lines = crashed.stderr.strip().splitlines()
    assert crashed.exit_code == 1 and len(lines) == 1 and "ZeroDivisionError" in lines[0], \
        f"an error nobody expected is a failure too, in one line: {crashed.stderr!r}"

    for args, expected in [
        (("compare",), "give FILE_OR_NAME"),
        (("compare", "--resume", "res", "--seed", "3"), "--seed cannot change a comparison"),
        (("compare", "./compare-small.yaml", "--out", "."), "the current folder"),
        (("compare", "./compare-small.yaml", "--workers", "0"), "--workers"),
        (("compare", "./compare-small.yaml", "--scheduler", "nonsense"),
         "is not a Dask address"),
        (("sweep", "--resume"), "requires an argument"),
        (("sensitivity", "sa-jieyang-2023", "--retry-failed"), "--retry-failed goes with"),
        (("calibrate", "--resume", "res", "--quick"), "--quick cannot change a calibration"),
    ]:
        one_line_error(invoke(*args), expected)


def test_calibrate_resume_dir_carries_on_as_it_was_started(tmp_path, monkeypatch):
    import catfish.calibration.abc as abc
    import catfish.experiments.jobs.calibrate as job
    import pandas as pd
    from catfish.calibration.abc import Settings
    from catfish.calibration.data import holdouts, targets

    from tests.conftest import invoke, one_line_error

    monkeypatch.chdir(tmp_path)
    chengdu = [f for f in targets() if f.name == "chengdu_pilot_firms_transformed"]
    monkeypatch.setattr(abc, "targets", lambda: chengdu)  # one cheap target, one hold-out
    monkeypatch.setattr(abc, "holdouts", lambda: [f for f in holdouts()
                                                  if f.scenario == "chengdu-chain-led"][:1])
    monkeypatch.setattr(job, "QUICK", Settings(population=4, generations=1, min_epsilon=0.0,
                                               ppc_draws=3))
    done = invoke("calibrate", "--quick", "--out", "calib", "--seed", "3")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1 generations, ") and lines[1].split() == [
        "parameter", "median", "90", "%", "interval", "prior", "range", "contraction"], \
        f"the posterior as a table for people, not CSV: {done.stdout}"
    assert "," not in lines[2].split()[0] and len(lines[2].split()) >= 5, lines[2]
    record = json.loads((tmp_path / "calib" / "manifest.json").read_text(encoding="utf-8"))
    assert record["complete"] and record["seed"] == 3 and record["quick"] is True, record
    assert "ppc/manifest.json" in record["written"] \
        and "ppc/outcomes.parquet/part-NNNNNN.parquet" in record["written"], \
        "the predictive check's store is claimed in the calibration's manifest"
    assert len(pd.read_parquet(tmp_path / "calib" / "ppc_simulations.parquet")) == 3
    assert (tmp_path / "calib" / "ppc" / "runs.parquet").is_file(), "its runs, on the engine"

    one_line_error(invoke("calibrate", "--quick", "--out", "calib"), "--resume calib",
                   "--overwrite")
    one_line_error(invoke("calibrate", "--resume", "calib", "--seed", "4"),
                   "--seed cannot change a calibration already started")
    monkeypatch.setattr(job, "QUICK", Settings(population=4, generations=2, min_epsilon=0.0,
                                               ppc_draws=3))
    more = invoke("calibrate", "--resume", "calib")
    assert more.exit_code == 0, more.stderr
    assert more.stdout.startswith("2 generations, "), "one more generation, from its history"
    record = json.loads((tmp_path / "calib" / "manifest.json").read_text(encoding="utf-8"))
    assert record["resumed"] is True and record["seed"] == 3 and record["quick"] is True, \
        "carried on with the seed and settings it was started with"
