"""The report in a real browser: Debian's headless Chromium driven by selenium.

Nothing is downloaded: the browser and its driver are the system's (``chromium`` and
``chromium-driver``, which ``.ci/run`` installs). Where they are missing the test is skipped,
except in CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from catfish.experiments.outputs.report import load_results

from tests.test_report import results  # noqa: F401 - the module's fixture, reused

pytestmark = pytest.mark.browser


def requested_urls(driver, document: str) -> list[str]:
    """Every URL that ``document`` asked for, from Chromium's performance (DevTools) log.

    Requests of other documents (the browser's own start page) are left out.
    """
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent" \
                and params.get("documentURL") == document:
            urls.append(params["request"]["url"])
    return urls


def test_report_in_headless_chromium(browser, results, tmp_path):  # noqa: F811
    page = (results / "report.html").resolve().as_uri()
    browser.get(page)
    assert browser.execute_script("return document.readyState") == "complete"

    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"console errors: {errors}"
    requested = requested_urls(browser, page)
    assert page in requested, f"the log should show the page itself: {requested[:5]}"
    leaving = [u for u in requested if not u.startswith(("file:", "data:"))]
    assert leaving == [], f"requests leaving the file: {leaving}"

    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(images) == 7 and all(done and width > 0 for done, width in images), \
        f"every chart loaded: {images}"

    summary = pd.read_parquet(results / "summary.parquet")
    headline = browser.find_element("css selector", "#headline").text
    loaded = load_results(results)
    best = loaded.robust.result.best
    p_best = loaded.robust.result.robustness.set_index("mix").loc[best, "p_best"]
    label = summary.set_index("mix").loc[best, "label_zh"]
    assert f"{p_best:.0%}" in headline and label in headline, \
        f"the headline's numbers as text: {headline}"
    robust = browser.find_element("css selector", "#robust").text
    assert label in robust, f"the robustness table as text: {robust[:200]}"
    table = browser.find_element("css selector", "#mixes").text
    for value in summary["transformed_by_deadline_mean"]:
        assert f"{value:,.0f}" in table, f"{value:,.0f} in the table as text"

    shot = Path(os.environ.get("CATFISH_SCREENSHOTS", tmp_path)) / "report.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, browser.execute_script("return document.body.scrollHeight"))
    assert browser.save_screenshot(str(shot)), "screenshot written"
    assert shot.stat().st_size > 50_000, f"a screenshot of the whole page at {shot}"
    print(f"screenshot: {shot}")
