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
    assert f"{bad}: policies[0].share = 3.0: must be between 0 and 1" in checked.stderr, \
        checked.stderr
    assert "Traceback" not in checked.stderr
    ran = catfish("run", "jieyang-plastics-2020", "--months", "6", "--out", "r", cwd=tmp_path)
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
