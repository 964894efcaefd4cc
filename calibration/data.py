"""The pilot dataset: every usable figure of the source documents, as data with its source.

``calibration/data/pilot_facts.yaml`` holds one entry per figure: its value (or a range, where
the source gives one or can be read two ways), unit, date, place, the shipped scenario it
belongs to, its role (``target``: the model is fitted to it; ``holdout``: kept from the fit
and predicted from its posterior, to test it; ``input``: it sets a parameter or scenario
field; ``context``: recorded, not used), how it is computed from model output (or where it
goes), its observation-error model (targets and hold-outs), and the source (file and Chinese
phrase).
:func:`load_facts` validates the file and raises one line naming the file, entry, field, value
and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

from catfish.scenarios import loader
from catfish.scenarios.loader import ScenarioError, read_list
from catfish.scenarios.schema import Section
from pydantic import Field, field_validator, model_validator

FACTS_FILE = Path(__file__).parent / "data" / "pilot_facts.yaml"
SOURCE_FILE = r"^\d{3}_[0-9a-f]{16}\.txt$"  # the source documents' file names (docs/sources.md)
DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class DataError(ScenarioError):
    """A pilot data file that cannot be used; the message is one line."""


class Source(Section):
    """Where a figure comes from: the document and the phrase, as written."""

    file: str = Field(pattern=SOURCE_FILE, description="source document's file name")
    quote: str = Field(min_length=2, max_length=500, description="the Chinese phrase")


class Fact(Section):
    """One figure of the sources."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")
    value: float | str | None = Field(None, description="the figure (a month as YYYY-MM)")
    low: float | None = Field(None, description="lower end, where the figure is a range")
    high: float | None = Field(None, description="upper end, where the figure is a range")
    unit: str = Field(min_length=1, max_length=80)
    date: str = Field(pattern=DATE, description="when the figure held: YYYY, YYYY-MM or a day")
    place: str = Field(min_length=1, max_length=200)
    scenario: str | None = Field(description="the shipped scenario it belongs to, or null")
    role: Literal["target", "holdout", "input", "context"]
    computed_as: str = Field(min_length=1, max_length=600,
                             description="target: the summary statistic; input: where it "
                                         "goes; context: why it is not used")
    error_sd: float | None = Field(
        None, gt=0, description="targets and hold-outs: standard deviation of the observation "
                                "error, in unit (how far the reported figure may lie from what "
                                "it measures); the distance's scale")
    error_model: str | None = Field(None, min_length=10, max_length=1000,
                                    description="targets and hold-outs: why that error")
    source: Source
    note: str | None = Field(None, max_length=1000)

    @field_validator("value", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        # YAML reads 2020-05 as text and 2020-05-01 as a date; keep months and days as text
        return value.isoformat() if isinstance(value, dt.date) else value

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _consistent(self) -> Fact:
        ranged = self.low is not None or self.high is not None
        if ranged and self.value is not None:
            raise ValueError(f"value = {self.value!r}: give a value or low and high, not both")
        if not ranged and self.value is None:
            raise ValueError("value = None: give a value, or low and high for a range")
        if ranged and (self.low is None or self.high is None or not self.low <= self.high):
            raise ValueError(f"low = {self.low!r}: a range needs low <= high (high = "
                             f"{self.high!r})")
        if isinstance(self.value, str) and not re.match(r"^\d{4}-\d{2}(-\d{2})?$", self.value):
            raise ValueError(f"value = {self.value!r}: a number, or a month YYYY-MM")
        if self.role in ("target", "holdout"):
            if self.error_sd is None or self.error_model is None:
                raise ValueError(f"error_sd = {self.error_sd!r}: a {self.role} needs its "
                                 "observation error (error_sd, in its unit) and why "
                                 "(error_model)")
            if self.scenario is None:
                raise ValueError(f"scenario = None: a {self.role} is computed from a shipped "
                                 "scenario's runs")
            if isinstance(self.value, str):
                raise ValueError(f"value = {self.value!r}: a {self.role} is a number or a "
                                 "range")
        return self

    @property
    def observed(self) -> float:
        """The figure a target is compared with: its value, or the middle of its range."""
        if self.value is not None:
            return float(self.value)
        return (self.low + self.high) / 2

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high): a range as given, a value as a point."""
        if self.value is not None:
            return float(self.value), float(self.value)
        return self.low, self.high


def load_facts(path: str | Path | None = None) -> list[Fact]:
    """Every figure of the pilot dataset, validated (default: the shipped file).

    Raises:
        DataError: One line naming the file, the entry, the field, the value and the rule.
    """
    return list(_load(Path(path) if path is not None else FACTS_FILE))


def targets(path: str | Path | None = None) -> list[Fact]:
    """The figures the model is fitted to."""
    return [f for f in load_facts(path) if f.role == "target"]


def holdouts(path: str | Path | None = None) -> list[Fact]:
    """The figures kept from the fit, to test the fitted model on figures it never saw."""
    return [f for f in load_facts(path) if f.role == "holdout"]


@cache
def _load(path: Path) -> tuple[Fact, ...]:
    facts = read_list(path, Fact, "figures (name, value, unit, date, place, scenario, role, "
                      "computed_as, source)", DataError)
    shipped = set(loader.shipped_names())
    seen: set[str] = set()
    for i, fact in enumerate(facts):
        if fact.name in seen:
            raise DataError(f"{path}: [{i}].name = {fact.name!r}: used twice")
        seen.add(fact.name)
        if fact.scenario is not None and fact.scenario not in shipped:
            raise DataError(f"{path}: [{i}].scenario = {fact.scenario!r}: not a shipped "
                            f"scenario ({', '.join(sorted(shipped))})")
    return tuple(facts)
