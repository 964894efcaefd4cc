"""Users' files are sacred: output folders are checked first, owned, overwritten only with the
flag and only where Catfish wrote; results describe their own run (docs/your-data.md)."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from catfish.calibration.posterior import POSTERIORS
from catfish.calibration.ship import COPIED
from catfish.experiments.runs import files, manifest, resources

from tests.conftest import invoke, one_line_error
from tests.test_compare import SMALL_SCENARIO, write_files

SMALL_SWEEP = {
    "name": "sweep-small",
    "labels": {"zh": "小型扫描", "en": "Small sweep"},
    "base": "small.yaml",
    "factors": [{"name": "grant_share", "path": "policies.grant.share", "levels": [0.2, 0.4]}],
    "design": {"kind": "grid"},
    "replicates": 1,
    "seed": 3,
}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture
def small(tmp_path, monkeypatch):
    """A folder with a small scenario, comparison and sweep; the current folder."""
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path)
    (tmp_path / "sweep-small.yaml").write_text(yaml.safe_dump(SMALL_SWEEP), encoding="utf-8")
    return tmp_path


# --- overwrite removes only what Catfish wrote --------------------------------------------------

def test_sweep_overwrite_keeps_a_users_file_in_its_folders(small):
    first = invoke("sweep", "./sweep-small.yaml", "--out", "my-results", "--yes")
    assert first.exit_code == 0, first.stderr
    thesis = small / "my-results" / "timeseries" / "thesis-data.csv"
    thesis.write_text("my thesis data", encoding="utf-8")
    (small / "my-results" / "notes.txt").write_text("mine", encoding="utf-8")
    again = invoke("sweep", "./sweep-small.yaml", "--out", "my-results", "--yes",
                   "--overwrite")
    assert again.exit_code == 0, again.stderr
    assert thesis.read_text(encoding="utf-8") == "my thesis data", \
        "--overwrite must not delete a file Catfish did not write"
    assert (small / "my-results" / "notes.txt").read_text(encoding="utf-8") == "mine"
    record = json.loads((small / "my-results" / "manifest.json").read_text(encoding="utf-8"))
    assert "timeseries/part-NNNNNN.parquet" in record["written"] \
        and "notes.txt" not in record["written"], f"what the store lists: {record['written']}"


def test_no_command_overwrites_without_the_flag(small):
    made = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2")
    assert made.exit_code == 0, made.stderr
    before = tree(small / "res")
    for args in (("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2"),
                 ("run", "./small.yaml", "--out", "res"),
                 ("sweep", "./sweep-small.yaml", "--out", "res", "--yes"),
                 ("calibrate", "--screen", "--out", "res"),
                 ("report", "res")):
        done = invoke(*args)
        one_line_error(done, "--overwrite")
    assert tree(small / "res") == before, "a refused command leaves the folder as it was"


def test_a_folder_that_is_not_catfish_is_refused_even_with_overwrite(small):
    theirs = small / "theirs"
    theirs.mkdir()
    (theirs / "runs.csv").write_text("someone else's", encoding="utf-8")
    for args in (("run", "./small.yaml"), ("compare", "./compare-small.yaml"),
                 ("sweep", "./sweep-small.yaml", "--yes"), ("calibrate", "--screen")):
        for flag in ((), ("--overwrite",)):
            done = invoke(*args, "--out", "theirs", *flag)
            one_line_error(done, "not a catfish result folder")
    assert tree(theirs) == {"runs.csv": b"someone else's"}, "nothing touched"


def test_a_tampered_manifest_cannot_make_overwrite_delete_outside_the_folder(small):
    outside = small / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    folder = small / "res"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"command": "catfish run", "written": [
        "../precious.txt", str(outside), "manifest.json"]}), encoding="utf-8")
    done = invoke("run", "./small.yaml", "--out", "res", "--overwrite", "--months", "2")
    assert done.exit_code == 0, done.stderr
    assert outside.read_text(encoding="utf-8") == "keep", "entries outside the folder ignored"


def test_overwrite_refuses_to_replace_a_file_catfish_did_not_write(small):
    assert invoke("run", "./small.yaml", "--out", "res", "--months", "2").exit_code == 0
    record = json.loads((small / "res" / "manifest.json").read_text(encoding="utf-8"))
    record["written"].remove("outcomes.json")  # as if the user had put it there
    (small / "res" / "manifest.json").write_text(json.dumps(record), encoding="utf-8")
    done = invoke("run", "./small.yaml", "--out", "res", "--overwrite", "--months", "2")
    one_line_error(done, "outcomes.json", "catfish did not write it")
    assert (small / "res" / "outcomes.json").is_file(), "the file stays"


# --- the output folder is checked before anything runs ------------------------------------------

@pytest.mark.parametrize("command", [
    ("run", "./small.yaml"), ("compare", "./compare-small.yaml"),
    ("sweep", "./sweep-small.yaml", "--yes"), ("sensitivity", "sa-jieyang-2023", "--yes"),
    ("calibrate", "--screen"), ("calibrate", "--quick")])
@pytest.mark.parametrize(("out", "why"), [
    (".", "the current folder itself"), ("/", "the root folder"), ("~", "your home folder"),
    ("afile/results", "is a file")])
def test_out_is_checked_before_any_run(small, monkeypatch, command, out, why):
    (small / "afile").write_text("not a folder", encoding="utf-8")
    ran = []
    monkeypatch.setattr("catfish.sim.run.ClusterModel", lambda *a, **k: ran.append(1) / 0)
    before = tree(small)
    done = invoke(*command, "--out", out)
    one_line_error(done, why)
    assert not ran, "no model may be built before the output folder is checked"
    assert tree(small) == before, "nothing written anywhere"


def test_calibrate_screen_does_not_overwrite_without_the_flag(small):
    folder = small / "calibration-screen"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(
        {"command": "catfish calibrate --screen", "written": ["indices.csv", "manifest.json"]}),
        encoding="utf-8")
    (folder / "indices.csv").write_text("earlier results", encoding="utf-8")
    done = invoke("calibrate", "--screen", "--out", "calibration-screen")
    one_line_error(done, "--overwrite")
    assert (folder / "indices.csv").read_text(encoding="utf-8") == "earlier results"


def test_a_full_disk_is_one_line_and_keeps_what_was_written(small, monkeypatch):
    real = pd.DataFrame.to_parquet

    def full(self, path, *args, **kwargs):
        if "summary" in str(path) or "summary" in Path(str(path)).name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    done = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2")
    errors = [line for line in done.stderr.splitlines() if line.startswith("catfish: error: ")]
    assert done.exit_code == 1, f"a full disk is a failure while running (exit status 1), " \
                                f"not {done.exit_code}: {done.stderr}"
    assert len(errors) == 1 and done.stderr.strip().splitlines()[-1] == errors[0] \
        and "summary.parquet" in errors[0] and "no space left" in errors[0], done.stderr
    assert "Traceback" not in done.stderr + done.output, done.stderr
    record = json.loads((small / "res" / "manifest.json").read_text(encoding="utf-8"))
    assert record["complete"] is False, "an interrupted folder is marked incomplete"
    assert (small / "res" / "runs.parquet").is_file() and \
        (small / "res" / "inputs" / "comparison.yaml").is_file(), "what was written stays"
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    refused = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2")
    one_line_error(refused, "--overwrite")
    again = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2",
                   "--overwrite")
    assert again.exit_code == 0, again.stderr
    assert json.loads((small / "res" / "manifest.json").read_text())["complete"] is True


def test_report_out_under_a_file_is_one_line(small):
    assert invoke("compare", "./compare-small.yaml", "--out", "res",
                  "--replicates", "2").exit_code == 0
    (small / "afile").write_text("x", encoding="utf-8")
    one_line_error(invoke("report", "res", "--out", "afile/x.html"), "afile", "is a file")
    one_line_error(invoke("report", "res", "--out", "res"), "is a folder")
    made = invoke("report", "res", "--lang", "en", "--out", "elsewhere/en.html")
    assert made.exit_code == 0 and (small / "elsewhere" / "en.html").is_file(), made.stderr


def test_an_unwritable_out_is_refused_before_anything_runs(small, monkeypatch):
    real = files.os.access
    monkeypatch.setattr(files.os, "access",  # root may write anywhere: pretend it may not
                        lambda path, mode: False if "locked" in str(path) else real(path, mode))
    (small / "locked").mkdir()
    for args in (("run", "./small.yaml"), ("compare", "./compare-small.yaml"),
                 ("sweep", "./sweep-small.yaml", "--yes")):
        one_line_error(invoke(*args, "--out", "locked/results"), "not writable")
    assert not any((small / "locked").iterdir()), "nothing written"


def test_a_huge_grid_says_what_it_is_before_building_its_points(small, monkeypatch):
    grid = {**SMALL_SWEEP, "factors": [
        {"name": "grant_share", "path": "policies.grant.share", "low": 0.1, "high": 0.5},
        {"name": "talent", "path": "cluster.smes.talent_mean", "low": 0.2, "high": 0.5}],
        "design": {"kind": "grid", "points_per_factor": 1000}}
    (small / "huge.yaml").write_text(yaml.safe_dump(grid), encoding="utf-8")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("catfish.experiments.jobs.sweep.design_points", stop)
    done = invoke("sweep", "./huge.yaml", "--out", "big")
    assert done.stderr.startswith("Sweep sweep-small: 1,000,000 design points x 1 "
                                  "replicates = 1,000,000 runs"), \
        f"the size is said before a point is built: {done.stderr!r}"


# --- resources ---------------------------------------------------------------------------------

def test_a_run_too_big_for_the_machine_is_refused_with_its_estimate(small, monkeypatch):
    huge = {**SMALL_SCENARIO, "name": "huge", "calendar": {
        "start": "2020-01", "months": 600, "deadline": "2069-12"}}
    huge["cluster"] = {**huge["cluster"], "smes": {**huge["cluster"]["smes"],
                                                   "count": 2_000_000},
                       "network": {"mean_degree": 200}}
    (small / "huge.yaml").write_text(yaml.safe_dump(huge), encoding="utf-8")
    monkeypatch.setattr(resources, "available_memory", lambda: 8e9)
    ran = []
    monkeypatch.setattr("catfish.sim.run.ClusterModel", lambda *a, **k: ran.append(1) / 0)
    done = invoke("run", "./huge.yaml", "--out", "big")
    one_line_error(done, "memory", "8.0 GB available", "--yes")
    assert not ran, "refused before building the model"
    assert not (small / "big").exists(), "nothing written for a refused job"


def test_a_long_run_says_what_it_will_take_before_it_starts(small, monkeypatch):
    monkeypatch.setattr(resources, "TELL_SECONDS", 0.0)
    done = invoke("run", "./small.yaml", "--out", "res", "--months", "3")
    assert done.exit_code == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("Run: 1 run: about") and "of memory" in first, \
        f"the estimate comes first: {done.stderr!r}"


def test_estimates_grow_with_firms_links_and_months():
    from catfish.sim import ModelParams
    from catfish.sim.cost import BYTES_PER_MODEL, MARGIN, estimate

    def above_fixed(params: ModelParams) -> float:
        return estimate(params).bytes - MARGIN * BYTES_PER_MODEL

    base = ModelParams(n_smes=10_000, months=36)
    ten_times = ModelParams(n_smes=100_000, months=36)
    assert above_fixed(ten_times) == pytest.approx(10 * above_fixed(base)), \
        "memory beyond a model's fixed cost grows with the number of firms"
    assert above_fixed(base.model_copy(update={"peer_mean_degree": 100})) \
        > 5 * above_fixed(base), "a denser network needs more memory"
    assert estimate(base.model_copy(update={"months": 360})).seconds \
        > 5 * estimate(base).seconds, "a longer run takes longer"
    assert estimate(base.model_copy(update={"network": "complete"})).bytes \
        < estimate(base).bytes, "a complete graph is not materialised"


# --- results describe their own run -------------------------------------------------------------

def test_report_reads_only_the_results_folder(small):
    done = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2")
    assert done.exit_code == 0, done.stderr
    assert (small / "res" / "inputs" / "base-scenario.yaml").read_bytes() == \
        (small / "small.yaml").read_bytes(), "the base scenario is kept as it was"
    edited = {**SMALL_SCENARIO}
    edited["cluster"] = {**edited["cluster"],
                         "smes": {**edited["cluster"]["smes"], "count": 5_000}}
    (small / "small.yaml").write_text(yaml.safe_dump(edited), encoding="utf-8")
    made = invoke("report", "res", "--lang", "en", "--out", "after-edit.html")
    assert made.exit_code == 0, made.stderr
    html = (small / "after-edit.html").read_text(encoding="utf-8")
    assert ">300<" in html and ">5,000<" not in html, \
        "the report shows the 300 SMEs that were run, not the edited file's 5,000"
    (small / "small.yaml").unlink()
    (small / "compare-small.yaml").unlink()
    gone = invoke("report", "res", "--lang", "en", "--out", "after-delete.html")
    assert gone.exit_code == 0, f"the originals are not needed: {gone.stderr}"
    record = json.loads((small / "res" / "manifest.json").read_text(encoding="utf-8"))
    assert set(record["inputs"]) == {
        "inputs/comparison.yaml", "inputs/base-scenario.yaml", "inputs/assumptions.json",
        "inputs/posterior.parquet", "inputs/priors.yaml", "inputs/instrument_priors.yaml"}, \
        f"the inputs and what the worlds were drawn from: {record['inputs']}"
    assert record["inputs"]["inputs/priors.yaml"]["from"] == "shipped: priors.yaml", \
        "a shipped file is named, not its install path"
    assert all(len(v["sha256"]) == 64 for v in record["inputs"].values()), record["inputs"]


def test_a_posterior_is_kept_with_the_comparison(small):
    done = invoke("compare", "./compare-small.yaml", "--out", "res", "--replicates", "2",
                  "--posterior")
    assert done.exit_code == 0, done.stderr
    assert (small / "res" / "inputs" / "posterior.parquet").read_bytes() == \
        (POSTERIORS / "default.parquet").read_bytes(), "the posterior drawn from is kept"
    record = json.loads((small / "res" / "manifest.json").read_text(encoding="utf-8"))
    assert record["inputs"]["inputs/posterior.parquet"]["from"] == "shipped: default.parquet", \
        "a shipped file is named, not its install path"


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "PATH": "/usr/bin:/bin",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_commit_is_recorded_only_for_a_source_checkout_of_catfish(tmp_path):
    other = tmp_path / "other-project"
    (other / "site-packages").mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "thesis"\n', encoding="utf-8")
    git(other, "init", "-q")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "x", "--allow-empty")
    assert manifest.git_state(other / "site-packages") == {"commit": None, "dirty": None}, \
        "an installed Catfish inside someone else's repository records no commit"
    assert manifest.git_state(other) == {"commit": None, "dirty": None}, \
        "a repository that is not Catfish's records no commit"
    checkout = tmp_path / "catfish"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text('[project]\nname = "catfish"\n', encoding="utf-8")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "x")
    state = manifest.git_state(checkout)
    assert state["commit"] and len(state["commit"]) == 40 and state["dirty"] is False, state


# --- calibrate --ship ----------------------------------------------------------------------------

@pytest.fixture
def finished_calibration(tmp_path):
    folder = tmp_path / "calib"
    folder.mkdir()
    for name, shipped in COPIED.items():
        shutil.copyfile(POSTERIORS / shipped, folder / name)
    return folder


def test_ship_writes_into_a_folder_the_user_names(small, finished_calibration):
    done = invoke("calibrate", "--ship", "mine", "--out", finished_calibration)
    assert done.exit_code == 0, done.stderr
    for name in [*COPIED.values(), "calibrated.yaml", "manifest.json"]:
        assert (small / "mine" / name).is_file(), f"{name} shipped into the folder"
    record = json.loads((small / "mine" / "manifest.json").read_text(encoding="utf-8"))
    assert record["complete"] is True and "calibrated.yaml" in record["written"], record
    again = invoke("calibrate", "--ship", "mine", "--out", finished_calibration)
    one_line_error(again, "--overwrite")


def test_ship_refuses_an_installed_package(small, finished_calibration):
    site = small / "venv" / "lib" / "site-packages" / "calibration"
    site.mkdir(parents=True)
    done = invoke("calibrate", "--ship", site, "--out", finished_calibration)
    one_line_error(done, "installed package")
    assert not any(site.iterdir()), "nothing written into the package"


def test_ship_into_a_source_checkout_is_the_developer_step(small, finished_calibration):
    checkout = small / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text('[project]\nname = "catfish"\n', encoding="utf-8")
    done = invoke("calibrate", "--ship", checkout, "--out", finished_calibration)
    assert done.exit_code == 0, done.stderr
    assert (checkout / "calibration" / "posteriors" / "default.parquet").is_file()
    assert (checkout / "scenarios" / "parameter_sets" / "calibrated.yaml").is_file()


def test_calibrate_carries_on_only_when_asked(small):
    folder = small / "calib"
    files.prepare(folder, command="catfish calibrate", files=["abc.db"], overwrite=False)
    (folder / "abc.db").write_bytes(b"an earlier run")
    done = invoke("calibrate", "--quick", "--out", "calib")
    one_line_error(done, "--resume", "--overwrite")
    assert (folder / "abc.db").read_bytes() == b"an earlier run"
    one_line_error(invoke("calibrate", "--resume", "nowhere"), "no calibration")
    one_line_error(invoke("calibrate", "--resume", "--out", "nowhere"), "--resume",
                   "needs a folder")
