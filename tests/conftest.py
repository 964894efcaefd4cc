"""Shared helpers for the test suite."""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import pytest

from sim import ClusterModel, ModelParams


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


# --- a real browser: Debian's headless Chromium driven by selenium -----------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--window-size=1280,2000")


@pytest.fixture
def browser(tmp_path):
    """A headless Chromium with an empty profile, logging the console and the network.

    Nothing is downloaded: the browser and its driver are the system's (``chromium`` and
    ``chromium-driver``, which ``.ci/run`` installs). Where they are missing the test is
    skipped, except in CI (``CI=true``), where a missing browser is a failure.
    """
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
