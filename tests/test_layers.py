"""Imports go one way (docs/architecture.md): a layer never imports a layer above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# folder -> the catfish packages its modules may not import
FORBIDDEN = {
    "agents": ("catfish.sim", "catfish.scenarios", "catfish.calibration", "catfish.experiments"),
    "sim": ("catfish.scenarios", "catfish.calibration", "catfish.experiments"),
    "scenarios": ("catfish.calibration", "catfish.experiments"),
    "calibration": ("catfish.experiments",),
    "experiments/runs": ("catfish.experiments.analysis", "catfish.experiments.outputs",
                         "catfish.experiments.explore", "catfish.experiments.jobs",
                         "catfish.experiments.cli"),
    "experiments/analysis": ("catfish.experiments.outputs", "catfish.experiments.explore",
                             "catfish.experiments.jobs", "catfish.experiments.cli"),
    "experiments/outputs": ("catfish.experiments.explore", "catfish.experiments.jobs",
                            "catfish.experiments.cli"),
    "experiments/jobs": ("catfish.experiments.cli",),
}


def imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(folder):
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in imported(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_nothing_imports_the_generic_top_level_names():
    generic = ("sim", "agents", "scenarios", "calibration", "experiments")
    bad = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts[len(ROOT.parts):][0] or path.parts[len(ROOT.parts)] in (
                ".docs-src", "site", "build"):
            continue
        for name in imported(path):
            if name.split(".")[0] in generic:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "import catfish.<package>, never the bare folder name:\n" + "\n".join(bad)
