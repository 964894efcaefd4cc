"""The HTML report: made by catfish compare and catfish report, self-contained, bilingual,
escaping text from files, and one-line errors on bad input."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from catfish.calibration.priors import load_priors
from catfish.experiments.outputs.report import (
    Results,
    best_mix,
    cheapest_likely_mix,
    details,
    headline,
    load_results,
    parameter_rows,
    render,
)
from catfish.experiments.runs.kept_inputs import parameter_table
from catfish.scenarios import parameter_sets
from catfish.sim.codebook import instrument_label, parameter_label

from catfish import scenarios
from tests.conftest import catfish
from tests.test_compare import comparison_data, mix, write_files

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A small comparison's results folder, as catfish compare writes it (across worlds)."""
    folder = tmp_path_factory.mktemp("report")
    path = write_files(folder)
    done = catfish("compare", str(path), "--out", "out", "--replicates", "8", cwd=folder)
    assert done.returncode == 0, f"catfish compare failed: {done.stderr}"
    assert "Report: " in done.stdout, f"compare should print the report's path:\n{done.stdout}"
    return folder / "out"


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    """The same comparison with --fixed: point values, no worlds."""
    folder = tmp_path_factory.mktemp("report-fixed")
    path = write_files(folder)
    done = catfish("compare", str(path), "--out", "out", "--fixed", cwd=folder)
    assert done.returncode == 0, f"catfish compare --fixed failed: {done.stderr}"
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
    assert len(images) == 7, f"seven embedded charts expected (two across worlds), found " \
                             f"{len(images)}"
    for section in ("headline", "robust", "flips", "measure", "pinned", "mixes", "over-time",
                    "probability", "cost", "failures", "budget", "assumptions", "fit",
                    "details"):
        assert f'id="{section}"' in html, f"section {section} missing"
    headline = re.search(r'<p class="headline">(.*?)</p>', html, re.S).group(1)
    assert headline.startswith("在8个可能情景中"), f"the headline leads with the worlds: {headline}"


def test_the_robust_headline_says_who_holds_up_when_it_flips_and_what_to_measure(results):
    loaded = load_results(results)
    table = loaded.robust.result.robustness.set_index("mix")
    best = loaded.robust.result.best
    label = loaded.summary.set_index("mix").loc[best, "label_en"]
    sentence = headline(loaded, "en")
    assert sentence.startswith("Across 8 plausible worlds") and label in sentence, sentence
    assert f"in {table.loc[best, 'p_best']:.0%} of them" in sentence, \
        f"P(best) {table.loc[best, 'p_best']:.0%} in: {sentence}"
    assert "beats it" in sentence or "No mix beats it" in sentence, "who else wins, or none"
    assert "worth" in sentence or "Worth finding out first" in sentence, "what to measure"


def test_a_fixed_comparison_says_its_intervals_hold_chance_only(fixed):
    html = render(load_results(fixed), "en")
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)
    assert len(images) == 5, f"five charts without worlds, found {len(images)}"
    assert 'id="robust"' not in html, "no robustness section without worlds"
    headline = re.search(r'<p class="headline">(.*?)</p>', html, re.S).group(1)
    assert headline.startswith("This comparison holds every unknown of the model fixed"), \
        f"the warning leads: {headline}"


def test_headline_numbers_are_in_the_page_as_text(fixed):
    results = fixed
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


def with_summary(results: Results, **columns) -> Results:
    """The same results with some summary columns replaced (one value per mix, in order)."""
    summary = results.summary.copy()
    for name, values in columns.items():
        summary[name] = values
    return Results(results.folder, summary, results.bands, results.manifest)


def test_headline_names_the_cost_per_firm_and_a_cheaper_mix_almost_as_sure(results):
    loaded = load_results(results)
    n = len(loaded.summary)
    assert n == 3, f"the fixture compares base and two mixes, found {n}"
    # base certain at 200,000 per firm; the second mix 92 % likely at half the money per firm
    shaped = with_summary(loaded, target_met_prob=[1.0, 0.92, 0.5],
                          target_met_prob_lo=[0.9, 0.8, 0.3], target_met_prob_hi=[1.0, 1.0, 0.7],
                          cost_per_transformed_rmb=[200_000.0, 100_000.0, 50_000.0])
    assert best_mix(shaped).mix == loaded.reference, "the surest mix is the base"
    cheaper = cheapest_likely_mix(shaped)
    second = shaped.summary.iloc[1]
    assert cheaper is not None and cheaper.mix == second.mix, \
        "the cheapest mix at least 90 % likely (the 50 % one is too unsure)"
    sentence = headline(shaped, "en")
    assert "200,000 RMB of public money per transformed firm" in sentence, sentence
    assert f"{second.label_en} is also at least 90% likely" in sentence and "100,000" in sentence, \
        sentence
    zh = headline(shaped, "zh")
    assert "每家转型企业的财政支出200,000元" in zh and second.label_zh in zh, zh
    dearer = with_summary(shaped, cost_per_transformed_rmb=[100_000.0, 150_000.0, 50_000.0])
    assert cheapest_likely_mix(dearer) is None, "no likely mix is cheaper than the surest"
    assert "also" not in headline(dearer, "en"), headline(dearer, "en")


def test_assumptions_list_the_behavioural_parameters_with_codebook_labels(results):
    html = render(load_results(results), "zh")
    scenario = scenarios.load(results.parent / "small.yaml")
    params = scenario.model_params()
    calibrated = parameter_sets.values(scenario.behaviour.parameter_set)
    for name, prior in load_priors().items():
        if prior.scenario is not None:
            assert f'data-parameter="{name}"' not in html, f"{name} belongs to {prior.scenario}"
            continue
        row = re.search(rf'<tr class="(\w+)" data-parameter="{name}">(.*?)</tr>', html, re.S)
        assert row, f"no assumptions row for {name}"
        origin, cells = row.groups()
        assert origin == ("calibrated" if name in calibrated else "default"), (name, origin)
        assert parameter_label(name, "zh") in cells, f"{name}: the codebook's Chinese label"
        assert f">{float(getattr(params, name)):.3g}<" in cells, f"{name}: the value it runs on"
        assert f"{prior.low:g}–{prior.high:g}" in cells, f"{name}: its prior range"
        assert (prior.source_zh or prior.source)[:20] in cells, f"{name}: its source"


def test_chinese_report_gives_scenario_and_instruments_in_chinese(results):
    loaded = load_results(results)
    html = render(loaded, "zh")
    assert f"<strong>{instrument_label('grant', 'zh')}</strong>" in html, \
        "instruments are named from the codebook"
    assert "以下政策取代基准政策" in html, "how each mix is built, in Chinese"
    jieyang = details(loaded, scenarios.load("jieyang-city-2023"), "zh")
    assert jieyang["description"].startswith("揭阳市于2023年"), jieyang["description"]
    assert not re.search(r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff]", jieyang["description"]), \
        "no space between Chinese characters where the YAML folded a line"
    rows = parameter_rows(parameter_table(scenarios.load("shenzhen-instruments")), "zh")
    willing = [r for r in rows if r["name"] == "initial_willing_share"]
    assert willing and willing[0]["origin_key"] == "override", \
        "Shenzhen's own calibrated starting share is shown as set by its scenario"


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


def test_without_a_cjk_font_the_chinese_report_says_its_charts_are_english(results,
                                                                           monkeypatch,
                                                                           tmp_path):
    import warnings

    from catfish.experiments.outputs import fonts
    from matplotlib import rc_context, rcParamsDefault

    # no CJK font on the machine: the charts use the font Catfish ships, and stay Chinese; the
    # default font list, not one an earlier Chinese chart put the machine's CJK font in
    monkeypatch.setattr(fonts, "system_cjk_family", lambda: None)
    default_fonts = {"font.sans-serif": rcParamsDefault["font.sans-serif"]}
    with rc_context(default_fonts), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = render(load_results(results), "zh")
    font_warnings = [str(w.message) for w in caught
                     if "missing from" in str(w.message) or "CJK" in str(w.message)]
    assert not font_warnings, f"the shipped font draws every chart label: {font_warnings[:3]}"
    assert "未找到可用的中文字体" not in html, "with the shipped font the charts are Chinese"
    # nor the shipped font (a broken install): no usable CJK font at all
    monkeypatch.setattr(fonts, "BUNDLED_FONT", tmp_path / "CatfishSansSC-Regular.otf")
    with pytest.warns(UserWarning, match="no CJK font"):
        html = render(load_results(results), "zh")
    assert "未找到可用的中文字体" in html, "the page says why its charts are in English"
    assert '<html lang="zh-CN">' in html and "结论" in html, "the page's own text stays Chinese"
