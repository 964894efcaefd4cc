"""Every column the model writes is in the codebook, with unit and both labels."""

from __future__ import annotations

from catfish.sim import codebook, run_one


def test_every_timeseries_and_outcome_column_is_documented():
    result = run_one(seed=0, months=6)
    for name in [*result.timeseries.columns, *result.outcomes]:
        column = codebook.lookup(name)
        assert column.unit and column.en and column.zh, f"{name} lacks unit or a label"
    documented = {c.name for c in codebook.TIMESERIES} | {
        "spent_grant_rmb", "spent_accompaniment_rmb", "spent_exchange_sessions_rmb"}
    assert set(result.timeseries.columns) == documented, \
        f"undocumented or missing: {set(result.timeseries.columns) ^ documented}"
    assert set(result.outcomes) == {c.name for c in codebook.OUTCOMES}


def test_reporters_of_states_failures_spending_and_queue_exist():
    names = {c.name for c in codebook.TIMESERIES}
    required = {"n_unaware", "n_willing", "n_in_project", "n_transformed", "share_transformed",
                "new_transformed", "new_failed_early", "new_failed_middle", "new_failed_late",
                "n_lapsed", "spent_total_rmb", "budget_left_rmb", "mean_unit_cost",
                "provider_queue"}
    assert required <= names, f"missing: {required - names}"


def test_labels_in_both_languages():
    assert codebook.label("n_transformed", "zh") == "完成转型(已验收)"
    assert codebook.label("spent_grant_rmb") == "Spent on grant"
    assert codebook.label("spent_diagnosis_rmb", "zh") == "诊断支出"


def test_every_instrument_has_labels_in_both_languages():
    from catfish.sim.policy import REGISTRY

    assert set(codebook.INSTRUMENT_LABELS) == set(REGISTRY), "one label pair per instrument"


def test_every_calibration_prior_has_a_parameter_label_in_both_languages():
    from catfish.calibration.priors import load_priors
    from catfish.sim.params import ModelParams

    missing = set(load_priors()) - set(codebook.PARAMETER_LABELS)
    assert not missing, f"priors the report lists without a codebook label: {sorted(missing)}"
    unknown = set(codebook.PARAMETER_LABELS) - set(ModelParams.model_fields)
    assert not unknown, f"labels for names that are not parameters: {sorted(unknown)}"
    for name, (en, zh) in codebook.PARAMETER_LABELS.items():
        assert en and zh and en != zh, f"{name}: labels {en!r} / {zh!r}"
    assert codebook.parameter_label("horizon_years", "zh") == "企业计算收益的年限"
    assert codebook.parameter_label("not_a_parameter") == "not_a_parameter", \
        "falls back to its name"
