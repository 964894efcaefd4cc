"""Named sets of behavioural parameters that a scenario starts from (``behaviour.parameter_set``).

``default`` is the documented defaults of ``sim.ModelParams`` (``docs/parameters.md``). Any
other name is a file ``scenarios/parameter_sets/NAME.yaml``: values for some ``ModelParams``
fields, with where they come from. ``calibrated`` is written by ``catfish calibrate --ship``
from the shipped posterior (its weighted medians), so that the scenarios package never needs to
import the calibration code: the dependency runs through a data file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.params import ModelParams, ParameterError

SETS = Path(__file__).parent / "parameter_sets"
DEFAULT = "default"


class ParameterSetError(ValueError):
    """A parameter set that cannot be used; the message is one line."""


class ParameterSet(BaseModel):
    """A parameter-set file: values for model parameters, with their provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=5000,
                             description="what the values are and where they come from")
    source: dict[str, Any] = Field(default_factory=dict,
                                   description="provenance: the file they were computed from")
    parameters: dict[str, float] = Field(description="model parameter name -> value")


def names() -> list[str]:
    """``default`` and the name of every parameter-set file."""
    return [DEFAULT, *sorted(p.stem for p in SETS.glob("*.yaml"))]


def values(name: str) -> dict[str, float]:
    """The parameter values of the named set (``default``: none, the model's defaults).

    Raises:
        ParameterSetError: An unknown name, or a file that is not a valid parameter set.
    """
    if name == DEFAULT:
        return {}
    path = SETS / f"{name}.yaml"
    if not path.is_file():
        raise ParameterSetError(f"parameter set {name!r} does not exist (one of "
                                f"{', '.join(names())})")
    return dict(load(path).parameters)


@cache
def load(path: Path) -> ParameterSet:
    """Read and check a parameter-set file: every value one the model accepts."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        chosen = ParameterSet.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterSetError(f"{path}: cannot be read ({type(exc).__name__})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ParameterSetError(f"{path}: {where}: {error['msg']}") from None
    for field, value in chosen.parameters.items():
        try:
            ModelParams(**{field: value})
        except ParameterError as exc:
            raise ParameterSetError(f"{path}: parameters.{field} = {value!r}: {exc}") from None
    return chosen
