"""Named sets of behavioural parameters that a scenario starts from (``behaviour.parameter_set``).

``default`` is the documented defaults of ``sim.ModelParams`` (``docs/parameters.md``). Any
other name is a file ``scenarios/parameter_sets/NAME.yaml``: values for some ``ModelParams``
fields, with where they come from. A set is chosen by its name only, never by a path, so a
scenario file cannot make Catfish read a file elsewhere on the machine; a scenario's own values
go in ``behaviour.overrides``. ``calibrated`` is written by ``catfish calibrate --ship``
from the shipped posterior (its weighted medians), so that the scenarios package never needs to
import the calibration code: the dependency runs through a data file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from catfish.scenarios import safe_yaml
from catfish.scenarios.inputs import check_raw
from catfish.sim.params import ModelParams, ParameterError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SETS = Path(__file__).parent / "parameter_sets"
DEFAULT = "default"
# a set is chosen by name among those shipped; never a path to a file elsewhere
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class ParameterSetError(ValueError):
    """A parameter set that cannot be used; the message is one line."""


class ParameterSet(BaseModel):
    """A parameter-set file: values for model parameters, with their provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=5000,
                             description="what the values are and where they come from")
    source: dict[str, Any] = Field(default_factory=dict,
                                   description="provenance: the file they were computed from")
    parameters: dict[str, float] = Field(description="model parameter name -> value")

    @model_validator(mode="before")
    @classmethod
    def _confined(cls, data: Any) -> Any:
        if isinstance(data, dict):  # text and numbers as in scenario files
            check_raw(cls, data)
        return data


def names() -> list[str]:
    """``default`` and the name of every parameter-set file."""
    return [DEFAULT, *sorted(p.stem for p in SETS.glob("*.yaml") if NAME.match(p.stem))]


def values(name: str) -> dict[str, float]:
    """The parameter values of the named set (``default``: none, the model's defaults).

    Raises:
        ParameterSetError: A name that is not a shipped set's (paths never are), or a shipped
            file that is not a valid parameter set.
    """
    if name == DEFAULT:
        return {}
    if not (isinstance(name, str) and NAME.match(name) and (SETS / f"{name}.yaml").is_file()):
        raise ParameterSetError(f"must be the name of a shipped parameter set, one of "
                                f"{', '.join(names())}; values of your own go in "
                                "behaviour.overrides")
    return dict(load(SETS / f"{name}.yaml", f"shipped parameter set {name!r}").parameters)


@cache
def load(path: Path, label: str | None = None) -> ParameterSet:
    """Read and check a parameter-set file: every value one the model accepts.

    Args:
        path: The file.
        label: How messages name the file (default: its path); shipped sets are named, so
            that no message shows where Catfish is installed.
    """
    where = label or str(path)
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8"))
        chosen = ParameterSet.model_validate(data)
    except safe_yaml.DuplicateKeyError as exc:
        raise ParameterSetError(f"{where}:{exc}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParameterSetError(f"{where}: cannot be read ({type(exc).__name__})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise ParameterSetError(f"{where}: {field}: {message}" if field
                                else f"{where}: {message}") from None
    for field, value in chosen.parameters.items():
        try:
            ModelParams(**{field: value})
        except ParameterError as exc:
            raise ParameterSetError(f"{where}: parameters.{field} = {value!r}: {exc}") from None
    return chosen
