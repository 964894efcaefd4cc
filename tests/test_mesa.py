"""Mesa compatibility: agents, model.agents, DataCollector and batch_run."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
from catfish.agents import SME, Government, LeadFirm, ServiceProvider
from catfish.sim import ClusterModel


def test_agents_are_mesa_agents_backed_by_the_models_arrays():
    model = ClusterModel(rng=1, n_smes=200)
    smes = model.agents_by_type[SME]
    assert len(smes) == 200, f"expected 200 SME agents, got {len(smes)}"
    assert len(model.agents_by_type[ServiceProvider]) == model.params.n_providers
    assert len(model.agents_by_type[LeadFirm]) == 1 and len(model.agents_by_type[Government]) == 1
    firm = next(iter(smes))
    assert isinstance(firm, mesa.Agent)
    assert firm.talent == model.smes.talent[firm.index], "agent attribute is not the array value"
    firm.cash = 123.0
    assert model.smes.cash[firm.index] == 123.0, "writing an agent attribute must reach the array"
    assert firm.state_name == "unaware"


def test_batch_run_returns_swept_parameters_and_reporters():
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa >= 3.4
        rows = mesa.batch_run(ClusterModel, parameters={"n_smes": [200, 400]}, rng=[1, 2],
                              max_steps=12, display_progress=False)
    else:  # Mesa 3.3
        rows = mesa.batch_run(ClusterModel, parameters={"n_smes": [200, 400]}, iterations=2,
                              max_steps=12, display_progress=False)
    assert len(rows) == 4, f"expected 2 sizes x 2 seeds = 4 rows (final step), got {len(rows)}"
    for row in rows:
        assert row["n_smes"] in (200, 400) and row["Step"] == 12
        states = sum(row[k] for k in ("n_unaware", "n_willing", "n_queued", "n_in_project",
                                      "n_transformed", "n_failed", "n_lapsed"))
        assert states == row["n_smes"], f"reporters do not add up to n_smes in {row}"
        assert "spent_total_rmb" in row and "provider_queue" in row


def test_datacollector_gives_one_row_per_month():
    model = ClusterModel(rng=3, n_smes=100, months=5, deadline_month=5)
    model.run_model()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 5 and model.steps == 5 and not model.running
    assert np.all(frame["n_transformed"] >= 0)


def test_month_table_keeps_counts_whole_and_grows_past_the_run():
    model = ClusterModel(rng=4, n_smes=100, months=3, deadline_month=3)
    assert model.metrics == {}, "before the first month there are no values"
    model.run_model()
    for _ in range(2):  # stepped on by hand after the run, as a notebook may
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 5, f"expected a row for each of the 5 months stepped, got {len(frame)}"
    assert list(frame.columns) == list(model.datacollector.model_reporters), \
        "the columns must come in the reporters' (codebook) order"
    assert frame["n_transformed"].dtype == np.int64 and frame["new_visits"].dtype == np.int64, \
        "counts must stay whole numbers"
    assert frame["spent_total_rmb"].dtype == np.float64
    last = model.metrics
    assert last == frame.iloc[-1].to_dict(), "model.metrics must be the last month's row"
    assert type(last["n_transformed"]) is int and type(last["share_transformed"]) is float, \
        f"model.metrics must hold Python numbers, got {last}"
    assert last["share_transformed"] == last["n_transformed"] / 100
