"""Mesa's SolaraViz for one scenario: what ``catfish app`` serves (``docs/app.md``).

``solara run experiments.app`` loads this module; the scenario is the one named in
``$CATFISH_APP_SCENARIO`` (default ``jieyang-city-2023``). The levers, the model factory and
the charts live in ``experiments/app_model.py`` and work without solara; this module only
puts them on a page. Every browser session gets a model of its own.
"""

from __future__ import annotations

import os
import warnings

import solara

import scenarios
from experiments import app_model as am

with warnings.catch_warnings():  # Mesa 3.3's ComponentsView breaks a rule of hooks harmlessly
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    from mesa.visualization import SolaraViz

SCENARIO = scenarios.load(os.environ.get(am.SCENARIO_ENV) or am.DEFAULT_SCENARIO)
HINT = "Move a slider, then press **Reset** to rebuild the model with it."


def FirmsByState(model: am.AppModel) -> None:  # Mesa redraws it every step
    """Firms by state month by month, under the lever values the model was built with."""
    changed = [f"{lever.label} = {model.lever_values[lever.name]:g}"
               for lever in am.levers(model.base_scenario)
               if lever.name in model.lever_values
               and model.lever_values[lever.name] != lever.value]
    solara.Markdown(f"**Firms by state**: {model.base_scenario.labels.en}, seed {model.seed}, "
                    + ("; ".join(changed) if changed else "the scenario's own policy mix")
                    + f". {HINT}")
    solara.FigureMatplotlib(am.state_figure(model), format="png")


def BudgetSpent(model: am.AppModel) -> None:
    """Public money spent so far, by instrument."""
    solara.FigureMatplotlib(am.budget_figure(model), format="png")


def Market(model: am.AppModel) -> None:
    """Each sector's orders: transformed SMEs, other SMEs, lead firms."""
    solara.FigureMatplotlib(am.market_figure(model), format="png")


@solara.component
def FirmBenefit(model: am.AppModel) -> None:  # redrawn when the model is rebuilt
    """``catfish firm`` for a firm of a chosen sector and revenue, under the model's levers."""
    scenario = model.applied_scenario
    sectors = [x.name for x in scenario.cluster.smes.sectors]
    sector, set_sector = solara.use_state(sectors[0])
    revenue, set_revenue = solara.use_state(scenario.model_params().revenue_median_rmb / 1e6)
    text = solara.use_memo(lambda: am.firm_benefit(scenario, sector, revenue * 1e6),
                           [model, sector, revenue])
    with solara.Column():
        solara.Markdown("**What a project is worth to one firm** (`catfish firm`)")
        with solara.Row():
            solara.Select("Sector", value=sector, values=sectors, on_value=set_sector)
            solara.InputFloat("Revenue (M RMB a year)", value=revenue, on_value=set_revenue,
                              continuous_update=False)
        solara.Preformatted(text, style_="font-size: 11px; overflow-x: auto;")


COMPONENTS = [(FirmsByState, 0), (BudgetSpent, 0), (Market, 0), (FirmBenefit, 0)]


@solara.component
def Page() -> None:  # solara serves `Page`
    """The scenario's SolaraViz: controls and levers in the sidebar, charts in the page."""
    model = solara.use_memo(lambda: am.AppModel(SCENARIO), [])
    SolaraViz(model, components=COMPONENTS, model_params=am.model_params(SCENARIO),
              name=f"Catfish: {SCENARIO.labels.en}", play_interval=150)
