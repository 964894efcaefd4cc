"""Prior ranges of the behavioural parameters, read from ``calibration/priors.yaml``.

One entry per model parameter: a uniform range (low, high) and its source. Calibration
draws from these priors; a sensitivity analysis takes a factor's bounds from here when the
factor varies one of these parameters and gives no range of its own. Every range is checked
against what ``sim.ModelParams`` accepts, so a prior can never propose a value the model
refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from catfish.scenarios.loader import ScenarioError, read_list, shipped_names
from catfish.scenarios.uncertain import UniformPrior
from catfish.sim.params import ModelParams, ParameterError
from pydantic import Field

PRIORS_FILE = Path(__file__).with_name("priors.yaml")


class PriorsError(ScenarioError):
    """A priors file that cannot be used; the message is one line."""


class Prior(UniformPrior):
    """A parameter's prior: uniform on [low, high], with its source."""

    parameter: str = Field(min_length=1, max_length=80, description="a ModelParams field")
    scenario: str | None = Field(None, min_length=1, max_length=80,
                                 description="the one shipped scenario the parameter is "
                                             "calibrated in (a fact of that place, such as its "
                                             "starting state); absent: every scenario")

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high)."""
        return self.low, self.high


def for_scenario(values: Mapping[str, float], scenario: str) -> dict[str, float]:
    """The values that apply in ``scenario``: all but those whose prior names another scenario.

    A parameter calibrated for one place (Shenzhen's firms willing at the start) must not leak
    into the other scenarios when a calibrated draw replaces their parameters.
    """
    priors = load_priors()
    return {name: value for name, value in values.items()
            if name not in priors or priors[name].scenario in (None, scenario)}


def load_priors(path: str | Path | None = None) -> dict[str, Prior]:
    """The priors by parameter name (default: the shipped ``calibration/priors.yaml``).

    Raises:
        PriorsError: One line naming the file, the entry, the value and what is allowed.
    """
    return dict(_load(Path(path) if path is not None else PRIORS_FILE))


@cache
def _load(path: Path) -> tuple[tuple[str, Prior], ...]:
    entries = read_list(path, Prior, "priors (parameter, low, high, source)", PriorsError)
    priors: dict[str, Prior] = {}
    fields = ModelParams.model_fields
    for i, entry in enumerate(entries):
        where = f"{path}: [{i}]"
        if entry.parameter not in fields:
            raise PriorsError(f"{where}.parameter = {entry.parameter!r}: not a model parameter "
                              "(docs/parameters.md)")
        if entry.scenario is not None and entry.scenario not in shipped_names():
            raise PriorsError(f"{where}.scenario = {entry.scenario!r}: not a shipped scenario "
                              f"(one of {', '.join(shipped_names())})")
        if entry.parameter in priors:
            raise PriorsError(f"{where}.parameter = {entry.parameter!r}: has a prior already")
        for end in ("low", "high"):
            value = getattr(entry, end)
            try:
                ModelParams(**{entry.parameter: value})
            except ParameterError as exc:
                raise PriorsError(f"{where}.{end} = {value!r}: the model does not accept it "
                                  f"({exc})") from None
        priors[entry.parameter] = entry
    return tuple(priors.items())
