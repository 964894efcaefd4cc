"""The HTML report: made by catfish compare and catfish report, self-contained, bilingual,
escaping text from files, and one-line errors on bad input."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from experiments.report import best_mix, load_results, render
from tests.test_cli import catfish
from tests.test_compare import comparison_data, mix, write_files

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A small comparison's results folder, as catfish compare writes it."""
    folder = tmp_path_factory.mktemp("report")
    path = write_files(folder)
    done = catfish("compare", str(path), "--out", "out", cwd=folder)
    assert done.returncode == 0, f"catfish compare failed: {done.stderr}"
    assert "Report: " in done.stdout, f"compare should print the report's path:\n{done.stdout}"
    return folder / "out"


def external_references(html: str) -> list[str]:
    """Every src/href value that is neither embedded data nor a fragment."""
    values = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    return [v for v in values if not v.startswith(("data:", "#"))]


def test_compare_writes_a_self_contained_chinese_report(results):
    html = (results / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html, "Chinese is the default language"
    assert "结论" in html and "达到目标的概率" in html, "the Chinese headings"
    assert external_references(html) == [], f"nothing may be fetched: {external_references(html)}"
    assert "<script" not in html.lower(), "the report runs no script"
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)
    assert len(images) == 5, f"five embedded charts expected, found {len(images)}"
    for section in ("headline", "mixes", "over-time", "probability", "cost", "failures",
                    "budget", "assumptions", "fit", "details"):
        assert f'id="{section}"' in html, f"section {section} missing"


def test_headline_numbers_are_in_the_page_as_text(results):
    summary = pd.read_parquet(results / "summary.parquet")
    html = render(load_results(results), "en")
    best = best_mix(load_results(results))
    headline = re.search(r'<p class="headline">(.*?)</p>', html, re.S).group(1)
    assert f"{best.target_met_prob:.0%}" in headline, \
        f"the best mix's probability {best.target_met_prob:.0%} in: {headline}"
    assert best.label_en in headline, f"the best mix {best.label_en!r} named in: {headline}"
    for row in summary.itertuples():
        assert f">{row.transformed_by_deadline_mean:,.0f}<" in html, \
            f"{row.mix}: mean transformed {row.transformed_by_deadline_mean:,.0f} in the table"


def test_report_command_in_english_to_a_chosen_file(results, tmp_path):
    done = catfish("report", str(results), "--lang", "en", "--out", str(tmp_path / "en.html"),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Headline" in html, "English with --lang en"
    assert "How well the model fits the pilot data" in html, "the calibration's fit"
    assert str(tmp_path / "en.html") in done.stdout, "prints the report's path"


def test_text_from_files_is_escaped(tmp_path):
    data = comparison_data(labels={"zh": HOSTILE, "en": HOSTILE}, mixes=[
        mix("evil", labels={"zh": HOSTILE, "en": HOSTILE},
            policies=[{"instrument": "grant", "share": 0.5, "cap_rmb": 500_000}])],
        base_labels={"zh": HOSTILE, "en": HOSTILE}, replicates=2)
    path = write_files(tmp_path, data)
    done = catfish("compare", str(path), "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html, "a label from a file must never become markup"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "it shows as text"


def test_bad_results_folder_is_one_line(tmp_path):
    missing = catfish("report", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1, \
        missing.stderr
    assert "nowhere" in missing.stderr and "catfish compare" in missing.stderr, missing.stderr
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "manifest.json").write_text("{}", encoding="utf-8")
    half = catfish("report", str(tmp_path / "half"), cwd=tmp_path)
    assert half.returncode == 2 and "summary.parquet" in half.stderr \
        and "Traceback" not in half.stderr, half.stderr
