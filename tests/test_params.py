"""Parameters: typed, frozen, validated, sourced."""

from __future__ import annotations

import pytest
from catfish.sim import ClusterModel, ModelParams, ParameterError


@pytest.mark.parametrize(("change", "expected"), [
    ({"n_smes": 3}, "ModelParams.n_smes = 3: Input should be greater than or equal to 10"),
    ({"deep_cost_rmb": -1}, "ModelParams.deep_cost_rmb = -1: Input should be greater than 0"),
    ({"network": "ring"}, "ModelParams.network = 'ring': Input should be 'small_world' or "
                          "'complete'"),
    ({"start_month": "2020-13"}, "ModelParams.start_month = '2020-13'"),
    ({"sector_shares": (0.5, 0.6), "sector_names": ("a", "b")}, "sector_shares = [0.5, 0.6]"),
    ({"deadline_month": 50}, "deadline_month = 50: must be <= months (36)"),
    ({"bogus": 1}, "ModelParams.bogus: unknown parameter"),
])
def test_bad_value_gives_one_line_naming_field_and_value(change, expected):
    with pytest.raises(ParameterError) as info:
        ModelParams(**change)
    message = str(info.value)
    assert expected in message, f"expected {expected!r} in {message!r}"
    assert "\n" not in message, f"expected one line, got {message!r}"
    assert isinstance(info.value, ValueError), "ParameterError must be a ValueError"


def test_params_are_frozen_and_replace_validates():
    params = ModelParams()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        params.n_smes = 5  # type: ignore[misc]
    assert params.replace(n_smes=50).n_smes == 50, "replace should change the field"
    with pytest.raises(ParameterError, match="budget_rmb"):
        params.replace(budget_rmb=-1)


def test_model_accepts_field_overrides_and_rejects_unknown_ones():
    assert ClusterModel(n_smes=200, rng=1).params.n_smes == 200, "override not applied"
    with pytest.raises(ParameterError, match="nonsense"):
        ClusterModel(nonsense=1, rng=1)
    with pytest.raises(ParameterError, match="rng"):
        ClusterModel(rng=-3)


def test_every_field_has_unit_description_and_the_sourced_ones_say_where_from():
    rows = {row["name"]: row for row in ModelParams.field_table()}
    missing = [name for name, row in rows.items() if not row["unit"] or not row["description"]]
    assert not missing, f"fields without unit or description: {missing}"
    for name, source in {"deep_cost_rmb": "004", "deep_cost_cut": "001",
                         "early_failure_prob": "90 %", "central_factory_cost_cut": "000",
                         "promotion_per_year": "Bass", "budget_rmb": "002"}.items():
        assert source in rows[name]["source"], f"{name} should cite {source!r}"
    assert rows["deep_cost_rmb"]["default"] == 1.5e6
    assert "payback" not in " ".join(rows), "the payback is an output, never an input"
