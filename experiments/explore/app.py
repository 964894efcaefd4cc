"""Mesa's SolaraViz for one scenario: what ``catfish app`` serves (``docs/app.md``).

``solara run experiments.explore.app`` loads this module; the scenario is the one named in
``$CATFISH_APP_SCENARIO`` (default ``jieyang-city-2023``), in the language of
``$CATFISH_APP_LANG`` (``en``, the default, or ``zh``). The levers, the model factory and
the charts live in ``experiments/explore/app_model.py`` and work without solara (the page's
words too, in its ``TEXT``); this module only puts them on a page. Every browser session gets a
model of its own.
"""

from __future__ import annotations

import os
import warnings

import solara
from catfish.experiments.explore import app_model as am
from catfish.experiments.outputs.fonts import use_language
from catfish.experiments.outputs.words import say

from catfish import scenarios

with warnings.catch_warnings():  # Mesa 3.3's ComponentsView breaks a rule of hooks harmlessly
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    from mesa.visualization import SolaraViz

SCENARIO = scenarios.load(os.environ.get(am.SCENARIO_ENV) or am.DEFAULT_SCENARIO)
# Chinese needs a CJK font for the charts; without one the whole page stays English
LANG = use_language(os.environ.get(am.LANG_ENV) or "en")


def FirmsByState(model: am.AppModel) -> None:  # Mesa redraws it every step
    """Firms by state month by month, under the lever values the model was built with."""
    changed = [f"{lever.label} = {model.lever_values[lever.name]:g}"
               for lever in am.levers(model.base_scenario, LANG)
               if lever.name in model.lever_values
               and model.lever_values[lever.name] != lever.value]
    solara.Markdown(say(am.TEXT, LANG, "page_state",
                        scenario=getattr(model.base_scenario.labels, LANG), seed=model.seed,
                        levers="; ".join(changed) if changed
                        else say(am.TEXT, LANG, "page_own_mix")), style="font-size: 12px;")
    solara.FigureMatplotlib(am.state_figure(model, LANG), format="png")


def BudgetSpent(model: am.AppModel) -> None:
    """Public money spent so far, by instrument."""
    solara.FigureMatplotlib(am.budget_figure(model, LANG), format="png")


def Market(model: am.AppModel) -> None:
    """Each sector's orders: transformed SMEs, other SMEs, lead firms."""
    solara.FigureMatplotlib(am.market_figure(model, LANG), format="png")


@solara.component
def FirmBenefit(model: am.AppModel) -> None:  # redrawn when the model is rebuilt
    """``catfish firm`` for a firm of a chosen sector and revenue, under the model's levers."""
    scenario = model.applied_scenario
    sectors = {(getattr(x.labels, LANG) if x.labels else x.name): x.name
               for x in scenario.cluster.smes.sectors}
    shown, set_shown = solara.use_state(next(iter(sectors)))
    revenue, set_revenue = solara.use_state(scenario.model_params().revenue_median_rmb / 1e6)
    text = solara.use_memo(
        lambda: am.firm_benefit(scenario, sectors[shown], revenue * 1e6, LANG),
        [model, shown, revenue])
    with solara.Column():
        solara.Markdown(say(am.TEXT, LANG, "page_firm"))
        with solara.Row():
            solara.Select(say(am.TEXT, LANG, "page_sector"), value=shown, values=list(sectors),
                          on_value=set_shown)
            solara.InputFloat(say(am.TEXT, LANG, "page_revenue"), value=revenue,
                              on_value=set_revenue, continuous_update=False)
        solara.Markdown(text, style="font-size: 12px;")


COMPONENTS = [(FirmsByState, 0), (BudgetSpent, 0), (Market, 0), (FirmBenefit, 0)]


@solara.component
def Page() -> None:  # solara serves `Page`
    """The scenario's SolaraViz: controls and levers in the sidebar, charts in the page."""
    model = solara.use_memo(lambda: am.AppModel(SCENARIO), [])
    SolaraViz(model, components=COMPONENTS, model_params=am.model_params(SCENARIO, LANG),
              name=f"Catfish: {getattr(SCENARIO.labels, LANG)}", play_interval=150)
