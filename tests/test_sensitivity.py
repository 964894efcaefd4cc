"""Sensitivity analysis: SALib indices recovered on test functions, the dummy factor, the model
end to end, the command line and its one-line errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from catfish.calibration.priors import PriorsError, load_priors
from catfish.experiments.analysis.sensitivity import SensitivityResult, _judge, _ordered
from catfish.experiments.jobs.sensitivity import analyse, resume, sensitivity
from catfish.experiments.jobs.sweep import open_results
from catfish.experiments.runs.sensitivity_spec import (
    DUMMY,
    SensitivitySpec,
    load_sensitivity,
    parse_sensitivity,
)
from catfish.scenarios import ScenarioError
from catfish.sim import ModelParams

from tests.conftest import catfish
from tests.test_sweep_cli import BASE

# Saltelli et al. (2008), Global Sensitivity Analysis, section 4.9 (a = 7, b = 0.1)
ISHIGAMI_S1 = (0.314, 0.442, 0.0)
ISHIGAMI_ST = (0.558, 0.442, 0.244)


def ishigami(values, seed):
    x1, x2, x3 = values["x1"], values["x2"], values["x3"]
    return {"y": math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)}


def linear_with_noise(values, seed):
    """y = 10 a + b + noise: ``c`` is ignored, so it should score like the dummy."""
    noise = np.random.default_rng(seed).normal(0, 2.0)
    return {"y": 10 * values["a"] + values["b"] + noise}


def spec_of(factors, **settings) -> SensitivitySpec:
    return SensitivitySpec.model_validate({
        "name": "test-function", "labels": {"zh": "测试", "en": "test"},
        "factors": [{"name": name, "low": low, "high": high} for name, low, high in factors],
        **settings})


@pytest.fixture(scope="module")
def ishigami_result(tmp_path_factory):
    spec = spec_of([(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)], method="sobol", n=1024,
                   replicates=1, seed=11)
    return sensitivity(spec, tmp_path_factory.mktemp("sa") / "ishigami", evaluate=ishigami)


def test_sobol_recovers_the_ishigami_indices(ishigami_result):
    rows = ishigami_result.indices.set_index("factor")
    for i, (s1, st) in enumerate(zip(ISHIGAMI_S1, ISHIGAMI_ST, strict=True), start=1):
        got = rows.loc[f"x{i}"]
        assert abs(got["S1"] - s1) <= 0.05, f"S1 of x{i}: {got['S1']:.3f}, expected {s1} ± 0.05"
        assert abs(got["ST"] - st) <= 0.05, f"ST of x{i}: {got['ST']:.3f}, expected {st} ± 0.05"
    assert {"S1_conf", "ST_conf"} <= set(rows.columns), "bootstrap intervals reported"
    assert (rows[["S1_conf", "ST_conf"]].drop(DUMMY) > 0).all().all(), \
        "intervals are positive for the real factors"


def test_sobol_writes_tables_charts_summary_and_convergence(ishigami_result):
    folder = ishigami_result.folder
    table = pd.read_parquet(folder / "indices.parquet")
    assert set(table["factor"]) == {"x1", "x2", "x3", DUMMY}, "one row per factor, dummy too"
    assert {"outcome", "S1", "S1_conf", "ST", "ST_conf", "influential"} <= set(table.columns)
    assert pd.read_csv(folder / "indices.csv").shape == table.shape, "CSV holds the same table"
    conv = ishigami_result.convergence
    assert sorted(conv["n"].unique()) == [256, 512, 1024], "N/4, N/2 and N base samples"
    assert bool(ishigami_result.indices["converged"].all()), \
        "Ishigami's indices move by less than 0.05 from N/2 to N"
    for name in ("sobol_en.png", "sobol_zh.png", "convergence_en.png", "convergence_zh.png"):
        assert (folder / "charts" / name).stat().st_size > 10_000, f"chart {name} written"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert "x1" in summary["en"] and "most of the variance" in summary["en"], summary["en"]
    assert "方差主要来自" in summary["zh"], summary["zh"]


def test_ishigami_drivers_clear_the_noise_floor_with_their_whole_interval(ishigami_result):
    rows = ishigami_result.indices.set_index("factor")
    # x3 acts only through its interaction with x1 (S1 = 0), so only its total index clears
    for name in ("x1", "x2", "x3"):
        row = rows.loc[name]
        assert row["verdict"] == "driver" and bool(row["influential"]), \
            f"{name} is a driver at N = 1024: {row.to_dict()}"
        assert row["lower_bound"] == pytest.approx(row["ST"] - row["ST_conf"]), \
            f"{name}'s lower bound is ST minus its half-width: {row.to_dict()}"
        assert row["lower_bound"] > row["noise_floor"], \
            f"{name}'s whole interval is above the floor: {row.to_dict()}"
    assert rows.loc[DUMMY, "verdict"] == "not a driver", "the dummy is the floor, not a driver"
    summary = json.loads((ishigami_result.folder / "summary.json").read_text(encoding="utf-8"))
    for lang, words in (("en", ("may matter", "cannot tell")), ("zh", ("可能有影响", "无法判断"))):
        assert "x1" in summary[lang] and "x2" in summary[lang], \
            f"x1 and x2 named as carrying the variance: {summary[lang]}"
        assert not any(w in summary[lang] for w in words), \
            f"nothing unclear and nothing to doubt on Ishigami at N = 1024: {summary[lang]}"


def judged(method: str, rows: dict[str, tuple[float, float]], *, n: int = 128,
           replicates: int = 2) -> SensitivityResult:
    """A hand-made analysis of outcome ``y``: each factor's main index and its half-width."""
    index, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    spec = SensitivitySpec.model_validate({
        "name": "hand-made", "labels": {"zh": "手工", "en": "hand-made"},
        "factors": [{"name": name, "low": 0, "high": 1,
                     "labels": {"zh": LABELS[name][0], "en": LABELS[name][1]}}
                    for name in rows if name != DUMMY],
        "method": method, "n": n, "replicates": replicates})
    spec = spec.model_copy(update={"outcomes": ("y",)})  # as analyse() does for a function
    table = pd.DataFrame({"factor": list(rows), index: [v for v, _ in rows.values()],
                          conf: [c for _, c in rows.values()]}).assign(outcome="y")
    indices = _ordered(_judge(table, method), spec)
    return SensitivityResult(folder=None, spec=spec, indices=indices,
                             convergence=pd.DataFrame(), skipped={})


LABELS = {"talent": ("数字人才", "Digital talent"), "grant": ("补贴比例", "Grant share"),
          "peer": ("同行效应", "Peer effect"), "capacity": ("服务商产能", "Provider capacity")}


def test_a_factor_whose_interval_overlaps_the_floor_is_unclear_not_a_driver():
    from catfish.experiments.outputs.sa_report import summary

    # seen in a Sobol' run with N = 128: digital talent had ST 1.16 ± 0.36 against a floor
    # of 1.13 (here the dummy's 0.90 + 0.23) and was named a driver
    result = judged("sobol", {"talent": (1.16, 0.36), "grant": (2.0, 0.2),
                              "peer": (0.5, 0.1), DUMMY: (0.90, 0.23)})
    rows = result.indices.set_index("factor")
    assert list(rows["noise_floor"]) == pytest.approx([1.13] * 4), \
        f"the floor is the dummy's ST plus its half-width, 1.13: {rows['noise_floor']}"
    assert rows.loc["talent", "lower_bound"] == pytest.approx(0.80), \
        f"digital talent's lower bound is 1.16 - 0.36: {rows.loc['talent'].to_dict()}"
    assert rows.loc["talent", "verdict"] == "unclear" and not rows.loc["talent", "influential"], \
        f"1.16 ± 0.36 overlaps the floor 1.13: unclear, not a driver: {rows.loc['talent']}"
    assert rows.loc["grant", "verdict"] == "driver" and rows.loc["grant", "influential"], \
        f"2.0 ± 0.2 clears the floor 1.13: a driver: {rows.loc['grant'].to_dict()}"
    assert rows.loc["peer", "verdict"] == "not a driver" and not rows.loc["peer", "influential"], \
        f"0.5 is below the floor: not a driver: {rows.loc['peer'].to_dict()}"
    en, zh = summary(result, "en"), summary(result, "zh")
    assert en.startswith("Under these bounds, most of the variance in y comes from grant share "
                         "(total index 2.00); peer effect does not matter"), \
        f"only grant share named as the driver, peer effect as idle: {en}"
    assert "Digital talent may matter, but its interval overlaps the noise floor: more design " \
        "points or replicates would tell." in en, f"digital talent named as unclear: {en}"
    assert en.count("igital talent") == 1, f"digital talent named once, as unclear: {en}"
    assert zh.startswith("在这些取值范围内，y的方差主要来自补贴比例（总效应指数2.00）"), \
        f"only the grant share named as the driver: {zh}"
    assert "数字人才可能有影响，但其置信区间与噪声基线重叠" in zh and zh.count("数字人才") == 1, \
        f"digital talent named once, as unclear: {zh}"


@pytest.mark.parametrize(("method", "n", "replicates", "design_en", "design_zh"), [
    ("sobol", 128, 2, "with N = 128 and 2 replicates", "在N = 128、2次重复运行下"),
    ("morris", 20, 1, "with 20 trajectories and 1 replicate", "在20条轨迹、1次重复运行下"),
])
def test_when_nothing_clears_the_floor_the_summary_says_it_cannot_tell(method, n, replicates,
                                                                      design_en, design_zh):
    from catfish.experiments.outputs.sa_report import summary

    result = judged(method, {"talent": (1.16, 0.36), "capacity": (1.20, 0.30),
                             "peer": (0.5, 0.1), DUMMY: (0.90, 0.23)}, n=n,
                    replicates=replicates)
    assert not result.indices["influential"].any(), \
        f"no interval lies wholly above the floor: {result.indices}"
    en, zh = summary(result, "en"), summary(result, "zh")
    assert en.startswith(f"No input clears the noise floor for y: {design_en} the analysis "
                         "cannot tell which inputs drive it."), f"the plain 'cannot tell': {en}"
    assert "Provider capacity and digital talent may matter, but their intervals overlap the " \
        "noise floor" in en, f"both unclear factors named, largest first: {en}"
    assert "most of the variance" not in en and "largest effects" not in en \
        and "does not matter" not in en, f"no driver and nothing called idle: {en}"
    assert zh.startswith(f"没有一个输入对y的影响超过噪声基线：{design_zh}，"
                         "分析无法判断哪些输入在起作用。"), \
        f"the plain 'cannot tell' in Chinese: {zh}"
    assert "服务商产能和数字人才可能有影响" in zh, f"both unclear factors named: {zh}"
    assert "主要来自" not in zh and "最敏感" not in zh, f"no driver named: {zh}"


def test_a_missing_interval_counts_as_zero_width():
    # SALib returns NaN half-widths when it cannot bootstrap (e.g. too few trajectories)
    result = judged("morris", {"grant": (3.0, math.nan), "peer": (0.9, math.nan),
                               DUMMY: (1.0, math.nan)})
    rows = result.indices.set_index("factor")
    assert list(rows["noise_floor"]) == [1.0] * 3, f"the floor is the dummy's index alone: {rows}"
    assert rows.loc["grant", "lower_bound"] == 3.0 and rows.loc["grant", "verdict"] == "driver", \
        f"3.0 with no interval is above the floor 1.0: {rows.loc['grant'].to_dict()}"
    assert rows.loc["peer", "verdict"] == "not a driver", \
        f"0.9 is below the floor 1.0: {rows.loc['peer'].to_dict()}"


def test_dummy_measures_the_noise_and_flags_ignored_factors(tmp_path):
    spec = spec_of([("a", 0, 1), ("b", 0, 1), ("c", 0, 1)], method="morris", n=30,
                   replicates=2, seed=3)
    result = sensitivity(spec, tmp_path / "noisy", evaluate=linear_with_noise, report=False)
    rows = result.indices.set_index("factor")
    assert rows.loc[DUMMY, "mu_star"] > 0, "independent seeds per point: the dummy sees noise"
    assert bool(rows.loc["a", "influential"]), f"a (slope 10) is influential: {rows.loc['a']}"
    assert not bool(rows.loc["c", "influential"]), \
        f"c is ignored by the function, so not above the noise floor: {rows.loc['c']}"
    assert rows.loc["a", "verdict"] == "driver" and rows.loc["c", "verdict"] != "driver", \
        f"a's interval clears the floor, c's does not: {rows[['mu_star', 'verdict']]}"
    assert rows.loc["a", "rank"] == 1, "the steepest factor ranks first"
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(rows.columns), "Morris columns"


def test_the_model_end_to_end_with_a_morris_screen(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "sa-tiny.yaml").write_text("""\
name: sa-tiny
labels: {zh: 小, en: tiny}
base: base.yaml
factors:
  - {name: q, path: behaviour.overrides.peer_effect_per_year}
  - {name: share, path: policies.grant.share, low: 0.1, high: 0.5}
outcomes: [transformed_by_deadline, spent_by_deadline_rmb]
method: morris
n: 4
replicates: 2
seed: 5
""", encoding="utf-8")
    result = sensitivity(tmp_path / "sa-tiny.yaml", tmp_path / "out", workers=1)
    prior = load_priors()["peer_effect_per_year"]
    assert result.spec.factor("q").low == prior.low, "bounds come from the calibration prior"
    assert len(result.indices) == 2 * 3, "2 outcomes x (2 factors + dummy)"
    runs = open_results(tmp_path / "out").outcomes()
    assert len(runs) == 4 * 4 * 2, "trajectories x (factors + 1) x replicates runs"
    assert runs["seed"].is_unique, "every run has a seed of its own"
    assert (runs["q"].between(prior.low, prior.high)).all(), "q sampled within its prior"
    again = analyse(tmp_path / "out", report=False)
    pd.testing.assert_frame_equal(again.indices, result.indices, obj="re-analysis")
    resumed = resume(tmp_path / "out", report=False)  # nothing pending: analyses again
    pd.testing.assert_frame_equal(resumed.indices, result.indices, obj="after --resume")


def test_command_line_runs_and_refuses_bad_input(tmp_path):
    done = catfish("sensitivity", "sa-jieyang-2023", "--out", "sa", "--n", "2",
                   "--replicates", "1", "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Under these bounds" in done.stdout, done.stdout
    assert (tmp_path / "sa" / "indices.parquet").is_file(), "indices written"
    again = catfish("sensitivity", "sa-jieyang-2023", "--out", "sa", "--n", "2", cwd=tmp_path)
    assert again.returncode == 2 and "holds results of catfish sensitivity" in again.stderr, \
        again.stderr
    bad = catfish("sensitivity", "sa-jieyang-2023", "--out", "x", "--method", "sobol",
                  "--n", "24", cwd=tmp_path)
    assert bad.returncode == 2, bad.stderr
    assert "n = 24: sobol needs a power of 2" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1, \
        f"one line, no traceback: {bad.stderr}"
    assert not (tmp_path / "x").exists(), "nothing written for a bad option"


@pytest.mark.parametrize(("change", "expected"), [
    ({"method": "fourier"}, "method = 'fourier'"),
    ({"factors": [{"name": "dummy", "path": "policies.grant.share", "low": 0, "high": 1}]},
     "factors[0].name = 'dummy': reserved"),
    ({"factors": [{"name": "q", "path": "cluster.smes.talent_mean"}]},
     "factors[0].low = None: no bounds given and no calibration prior"),
    ({"factors": [{"name": "q", "path": "policies.grant.nope", "low": 0, "high": 1}]},
     "factors[0].path = 'policies.grant.nope'"),
    ({"n": 1}, "n = 1"),
])
def test_bad_files_get_one_line_errors(tmp_path, change, expected):
    data = load_sensitivity("sa-jieyang-2023")[0].model_dump(mode="json")
    data.update(change)
    from catfish.scenarios.loader import SHIPPED
    with pytest.raises(ScenarioError) as err:
        from catfish.experiments.runs.sensitivity_spec import sweep_spec
        spec = parse_sensitivity(data, SHIPPED / "sa-bad.yaml")
        sweep_spec(spec, SHIPPED / "sa-bad.yaml")
    message = str(err.value)
    assert expected in message, message
    assert "\n" not in message and message.startswith(str(SHIPPED / "sa-bad.yaml")), message


def test_priors_are_within_what_the_model_accepts():
    priors = load_priors()
    assert {"peer_effect_per_year", "promotion_per_year"} <= set(priors), "Bass p and q"
    for name, prior in priors.items():
        assert prior.low < prior.high, f"{name}: low below high"
        ModelParams(**{name: prior.low})  # raises if the model refuses it
        ModelParams(**{name: prior.high})
        assert prior.source, f"{name}: every prior names its source"
    assert priors["peer_effect_per_year"].low < 0.38 < priors["peer_effect_per_year"].high, \
        "q's prior contains the meta-analysis mean 0.38"


@pytest.mark.parametrize(("text", "expected"), [
    ("- {parameter: nope, low: 0, high: 1, source: x}", "[0].parameter = 'nope'"),
    ("- {parameter: retry_prob, low: 0.5, high: 2, source: x}", "[0].high = 2.0"),
    ("- {parameter: retry_prob, low: 0.5, high: 0.2, source: x}", "low = 0.5"),
    ("{a: 1}", "expected a list of priors"),
])
def test_bad_priors_get_one_line_errors(tmp_path, text, expected):
    path = tmp_path / "priors.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PriorsError) as err:
        load_priors(path)
    assert expected in str(err.value) and "\n" not in str(err.value), str(err.value)


def strict_function(values, seed):
    """Refuses any input it does not know, as a model's parameters would."""
    assert set(values) == {"a", "b"}, f"unexpected inputs {sorted(values)}"
    return {"y": values["a"] + 0.1 * values["b"]}


def failing_function(values, seed):
    raise RuntimeError("the evaluator broke")


def test_the_function_never_sees_the_dummy_and_total_failure_is_one_line(tmp_path):
    spec = spec_of([("a", 0, 1), ("b", 0, 1)], method="morris", n=4, replicates=1, seed=2)
    result = sensitivity(spec, tmp_path / "strict", evaluate=strict_function, report=False)
    assert len(result.indices) == 3, "a, b and the dummy analysed; the function saw only a, b"
    with pytest.raises(ScenarioError) as err:
        sensitivity(spec, tmp_path / "broken", evaluate=failing_function, report=False)
    assert "every run failed" in str(err.value) and "the evaluator broke" in str(err.value)
