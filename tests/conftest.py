"""Shared helpers for the test suite.

Plain functions are imported from here (``from tests.conftest import catfish``); fixtures are
found by pytest.
"""

from __future__ import annotations

import copy
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from catfish.sim import ClusterModel, ModelParams

from catfish import scenarios

# catfish's --workers defaults to every CPU; the tests (and the commands they start) use one
# process unless they ask for more, so they never spawn pools the shared cores cannot hold
os.environ["CATFISH_WORKERS"] = "1"


def run_model(params: ModelParams | None = None, *, seed: int, policies=None,
              **overrides) -> ClusterModel:
    """Build and run a model to its end; return it."""
    model = ClusterModel(params, rng=seed, policies=policies, **overrides)
    while model.running:
        model.step()
    return model


def series(model: ClusterModel, name: str) -> np.ndarray:
    """One reporter of a finished model as an array (one value per month)."""
    return np.asarray(model.datacollector.model_vars[name], dtype=float)


def pytest_terminal_summary(terminalreporter) -> None:
    """How many adversarial inputs the fuzz suite tried (tests/test_fuzz_inputs.py)."""
    fuzz = sys.modules.get("tests.test_fuzz_inputs")
    if fuzz is not None and fuzz.CASES:
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(fuzz.CASES.items()))
        terminalreporter.write_line(f"fuzz: {sum(fuzz.CASES.values()):,} bad inputs ({counts})")


@pytest.fixture(scope="session")
def small_params() -> ModelParams:
    """A small, fast cluster with every mechanism on."""
    return ModelParams(n_smes=300, months=24, deadline_month=24, target_firms=60,
                       budget_rmb=15e6, n_providers=4)


# --- the command line -------------------------------------------------------------------------

CATFISH = shutil.which("catfish") or ""


def catfish(*args: str, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the command line in a new process: the installed ``catfish``, else ``python -m``."""
    command = [CATFISH] if CATFISH else [sys.executable, "-m", "catfish"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def invoke(*args: Any):
    """Run the command line in this process; returns click's result (stdout, stderr apart)."""
    from catfish.experiments.cli import main
    from click.testing import CliRunner

    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(done, *expected: str, alone: bool = True) -> None:
    """Exit status 2 and one error line holding ``expected`` (the only line, if ``alone``)."""
    assert done.exit_code == 2, f"exit status 2 expected, got {done.exit_code}: " \
                                f"{done.output}{done.stderr}"
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("catfish: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and (len(lines) == 1 or not alone), \
        f"one error line expected{' and nothing else' if alone else ', last'}: {done.stderr!r}"
    assert "Traceback" not in done.stderr + done.output, done.stderr
    for text in expected:
        assert text in errors[0], f"expected {text!r} in {errors[0]!r}"


# --- YAML files and their variants ------------------------------------------------------------

def shipped_yaml(name: str) -> Any:
    """A shipped scenario, comparison, sweep or sensitivity file's data, as YAML reads it."""
    path = Path(scenarios.__file__).parent / f"{name}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def yaml_text(doc: Any, *, sort_keys: bool = True) -> str:
    """``doc`` as YAML, Chinese and other text kept as it is (not escaped)."""
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=sort_keys)


def write_yaml(path: Path, doc: Any) -> Path:
    """Write ``doc`` to ``path`` as YAML (UTF-8); returns ``path``."""
    path.write_text(yaml_text(doc), encoding="utf-8")
    return path


DocPath = tuple[Any, ...]  # keys and list indices from a document's root to one of its values


def nodes(doc: Any, path: DocPath = ()) -> Iterator[tuple[DocPath, Any]]:
    """Every value in a document with its path (keys and list indices), the root first."""
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from nodes(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from nodes(value, (*path, i))


def mutate(data: dict, rng: random.Random, nasty: Sequence[Any], *,
           new_keys: Callable[[Any], Sequence[Any]], replace_below: float) -> dict:
    """A copy of ``data`` with one to three random changes, each at a random place in it.

    A change deletes the place's key (an action drawn below 0.3, in a mapping), replaces its
    value with one of ``nasty`` (below ``replace_below``, or in a list), or else adds a key
    drawn from ``new_keys(the place's key)`` with one of ``nasty`` beside it.
    """
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice([p for p, _ in nodes(data) if p])
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        last, action = path[-1], rng.random()
        if action < 0.3 and isinstance(parent, dict):
            del parent[last]
        elif action < replace_below or not isinstance(parent, dict):
            parent[last] = copy.deepcopy(rng.choice(nasty))  # never share one object
        else:  # the value is drawn first, then the key (Python's order in an assignment)
            parent[rng.choice(new_keys(last))] = copy.deepcopy(rng.choice(nasty))
    return data


# --- a real browser: Debian's headless Chromium driven by selenium -----------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--window-size=1280,2000")


@pytest.fixture
def browser(request, tmp_path):
    """A headless Chromium with an empty profile, logging the console and the network.

    Nothing is downloaded: the browser and its driver are the system's (``chromium`` and
    ``chromium-driver``, which ``.ci/run`` installs). Where they are missing the test is
    skipped, except in CI (``CI=true``), where a missing browser is a failure. A test that
    uses it is marked ``browser`` (``pytest -m "not browser"`` leaves them all out).
    """
    if request.node.get_closest_marker("browser") is None:
        pytest.fail(f"{request.node.nodeid} drives a browser: mark it @pytest.mark.browser")
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
               if path is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {', '.join(missing)} for the browser tests (see .ci/run)")
        pytest.skip(f"no {', '.join(missing)} here")
    os.environ["SE_OFFLINE"] = "true"  # selenium must never fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
