"""Catfish as a Python package: one namespace, the notebook API, schemas, Mesa's batch_run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from catfish.experiments.jobs import schemas

import catfish

ROOT = Path(__file__).resolve().parents[1]


def test_python_m_catfish_prints_the_version():
    done = subprocess.run([sys.executable, "-m", "catfish", "--version"], capture_output=True,
                          text=True, cwd=ROOT / "docs")
    assert done.returncode == 0 and catfish.__version__ in done.stdout, done.stdout + done.stderr


def test_the_notebook_api_loads_edits_and_runs_replicates():
    scenario = catfish.load("jieyang-plastics-2020")
    richer = catfish.edit(scenario, {"policies.grant.share": 0.5})
    assert richer.instruments()[0].share == 0.5 and scenario.instruments()[0].share != 0.5, \
        "edit gives a changed copy and leaves the scenario as it was"
    with pytest.raises(catfish.scenarios.ScenarioError, match="share"):
        catfish.edit(scenario, {"policies.grant.share": 1.5})
    runs = catfish.replicates(richer, 3, seed=7)
    assert list(runs.columns[:4]) == ["replicate", "seed", "world", "month"]
    assert sorted(runs["seed"].unique()) == [7, 8, 9] and runs["world"].isna().all()
    again = catfish.replicates(richer, 3, seed=7)
    assert runs.equals(again), "the same seeds give the same table"
    worlds = catfish.replicates(scenario, 2, seed=1, worlds=True)
    assert list(worlds["world"].unique()) == [0, 1] and len(worlds.attrs["worlds"]) == 2


@pytest.mark.parametrize("kind", sorted(schemas.KINDS))
def test_shipped_schemas_are_in_step_with_the_models(kind):
    shipped = schemas.FOLDER / schemas.file_name(kind)
    assert shipped.read_text(encoding="utf-8") == schemas.text(kind), \
        f"{shipped} is stale: run catfish schema {kind} > {shipped}"


def test_every_shipped_file_names_its_schema_and_passes_it():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    kinds = {"compare-": "comparison", "sweep-": "sweep", "sa-": "sensitivity"}
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        kind = next((k for prefix, k in kinds.items() if path.name.startswith(prefix)),
                    "scenario")
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=schemas/{kind}.schema.json", \
            f"{path.name}: first line names its schema, got {first!r}"
        errors = list(jsonschema.Draft202012Validator(schemas.schema(kind)).iter_errors(
            yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert not errors, f"{path.name}: {errors[0].message}"


def test_the_schema_catches_an_instruments_bad_value():
    jsonschema = pytest.importorskip("jsonschema")
    bad = {"name": "x", "policies": [{"instrument": "grant", "share": 1.5}]}
    messages = [e.message for e in jsonschema.Draft202012Validator(
        schemas.schema("scenario")).iter_errors(bad)]
    assert any("1.5" in m for m in messages), f"share 1.5 is above its maximum: {messages}"
    typo = {"name": "x", "policies": [{"instrument": "grant", "shar": 0.5}]}
    messages = [e.message for e in jsonschema.Draft202012Validator(
        schemas.schema("scenario")).iter_errors(typo)]
    assert any("shar" in m for m in messages), f"an unknown parameter is marked: {messages}"


def docs_block(page: str, containing: str) -> str:
    """The Python code block of a docs page that contains ``containing``."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    found = [b for b in blocks if containing in b]
    assert len(found) == 1, f"{page}: expected one python block with {containing!r}"
    return found[0]


def test_batch_run_with_rng_as_a_parameter_is_reproducible_as_the_docs_show():
    code = docs_block("getting-started.md", "mesa.batch_run")

    def once() -> list[dict]:
        namespace: dict = {}
        exec(compile(code, "docs/getting-started.md", "exec"), namespace)  # noqa: S102
        return namespace["results"]

    first, second = once(), once()
    assert len({r["RunId"] for r in first}) == 3, "three runs, one per seed"
    # Mesa 3.3 records rng in each row, Mesa 3.5 does not; the runs are what must repeat
    keys = [k for k in first[0] if k.startswith(("n_", "Step", "RunId"))]
    assert [[r[k] for k in keys] for r in first] == [[r[k] for k in keys] for r in second], \
        "rng as a parameter: the same runs every time the docs' cell runs"


def test_generic_top_level_packages_are_not_what_catfish_imports():
    names = {m.split(".")[0] for m in sys.modules if m.split(".")[0] in
             ("sim", "agents", "scenarios", "calibration", "experiments")}
    assert not names, f"imported as top-level packages: {names} (everything is catfish.*)"


def test_shipped_json_schema_files_parse():
    for kind in schemas.KINDS:
        json.loads((schemas.FOLDER / schemas.file_name(kind)).read_text(encoding="utf-8"))
