"""Instrument parameters, each declared once: type, default, bounds, unit and meaning.

An instrument class is a pydantic dataclass (:func:`instrument`) whose fields are declared with
:func:`param` (a number or a choice), :func:`month` or :func:`names`. The field holds all there
is to know about a parameter: pydantic checks the type and bounds when the instrument is built
(in Python, from a scenario file or a sweep), :func:`allowed` words the bounds for people, and
``sim.policy.catalogue`` writes ``docs/policies.md`` from the same fields. A rule across fields
(an ``end`` before the ``start``) is one validator of its own (:func:`months_in_order`).

A bad value is one line naming the field, the value and what is allowed
(``share = 1.5: must be between 0 and 1``); built in Python, the line names the instrument too
(``grant.share = 1.5: ...``, a :class:`~sim.params.ParameterError`). Assignment is not checked
(``setattr`` stays a plain attribute write, as comparisons' worlds need it fast), so values
set after construction are the caller's to check.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple, TypeVar

import annotated_types
from catfish.sim.calendar import MONTH_PATTERN, month_index
from catfish.sim.checks import NOT_FINITE, number_problem, numeric_fields
from catfish.sim.params import ParameterError
from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic.dataclasses import dataclass
from pydantic_core import ArgsKwargs

# NaN and infinity are refused by pydantic itself; true/false is refused by ``_checked`` below
CONFIG = ConfigDict(allow_inf_nan=False, extra="forbid")

T = TypeVar("T")
_BOUND_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def param(default: Any, unit: str, doc: str, *, note: str = "", allowed: str = "",
          **bounds: float) -> Any:
    """A parameter: its default, unit, meaning and bounds (``ge``, ``gt``, ``le``, ``lt``).

    Args:
        default: The value when a file or caller gives none.
        unit: ``"RMB"``, ``"share"``, ``"firms/month"``, ... (empty for choices and names).
        doc: What it means, one sentence or two (the catalogue's "meaning").
        note: Said after what is allowed, in messages and the catalogue (``"0: no effect"``).
        allowed: What is allowed, when the type and bounds do not say it well.
        **bounds: pydantic's numeric bounds.
    """
    extra = {"unit": unit, **({"note": note} if note else {}),
             **({"allowed": allowed} if allowed else {})}
    return Field(default, description=doc, json_schema_extra=extra, **bounds)


def month(doc: str) -> Any:
    """A calendar month ``YYYY-MM``, or None for the parameter's default (said in ``doc``)."""
    return Field(None, pattern=MONTH_PATTERN, description=doc,
                 json_schema_extra={"unit": "", "allowed": "a calendar month YYYY-MM"})


def names(doc: str, allowed: str) -> Any:
    """A list of names (sectors), empty by default."""
    return Field(default_factory=tuple, description=doc,
                 json_schema_extra={"unit": "", "allowed": allowed})


def _end_not_before_start(self: Any) -> Any:
    if self.start is not None and self.end is not None \
            and month_index(self.start, self.end) < 1:
        raise ValueError(f"end = {self.end!r}: must not be before start ({self.start!r})")
    return self


def months_in_order() -> Any:
    """The rule that ``end`` is not before ``start``, as a validator for a class to declare."""
    return model_validator(mode="after")(_end_not_before_start)


def instrument(cls: type[T]) -> type[T]:
    """Make an instrument class a pydantic dataclass whose errors in Python are one line.

    Checks in pydantic (``TypeAdapter(cls)``, as scenario files and sweeps are validated) give
    one ``value_error`` saying ``field = value: rule``; built in Python, ``cls(...)`` raises a
    :class:`~sim.params.ParameterError` saying ``name.field = value: rule``.
    """
    cls = dataclass(cls, config=CONFIG)
    validate = cls.__init__

    @functools.wraps(validate)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:  # what pydantic's own __init__ does, in one frame less
            self.__pydantic_validator__.validate_python(ArgsKwargs(args, kwargs),
                                                        self_instance=self)
        except ValidationError as exc:
            raise ParameterError(f"{getattr(cls, 'name', '') or cls.__name__}."
                                 f"{_message(exc)}") from None

    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls


class Checked:
    """Base of instrument classes: numbers judged as given, pydantic's errors said in one line.

    A ``wrap`` validator that pydantic dataclasses inherit: before pydantic converts anything
    it refuses true/false where a number goes, since pydantic's lax mode would take ``true``
    for 1; after, it words pydantic's first error as ``field = value: rule``.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _checked(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        # NaN and infinity pydantic refuses itself (CONFIG); true/false it would take for 1
        if isinstance(data, ArgsKwargs):
            flagged = bool in map(type, data.args) or (
                data.kwargs is not None and bool in map(type, data.kwargs.values()))
        else:
            flagged = isinstance(data, dict) and bool in map(type, data.values())
        if flagged:
            problem = parameter_problem(cls, _given(cls, data))
            if problem is not None:
                raise ValueError(problem)
        try:
            return handler(data)
        except ValidationError as exc:
            raise ValueError(_worded(cls, exc, _given(cls, data))) from None


# --- what is allowed, in words ----------------------------------------------------------------

class Rule(NamedTuple):
    """What a parameter allows, in words."""

    allowed: str  # the whole rule: "a number between 0 and 1", "one of 'light', 'deep'"
    bounds: str   # the bounds only ("between 0 and 1"), or the whole rule if it has none
    note: str     # said after the rule ("0: no effect"), or ""


@functools.cache
def rules(cls: type) -> dict[str, Rule]:
    """Every parameter of an instrument class and what it allows: name -> :class:`Rule`."""
    return {name: _rule(info) for name, info in cls.__pydantic_fields__.items()}


def allowed(cls: type, name: str) -> str:
    """What parameter ``name`` of ``cls`` allows, with its note: ``"between -5 and 0 (...)"``."""
    rule = rules(cls)[name]
    return rule.allowed + (f" ({rule.note})" if rule.note else "")


def _rule(info: Any) -> Rule:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    note = str(extra.get("note", ""))
    if extra.get("allowed"):
        return Rule(str(extra["allowed"]), str(extra["allowed"]), note)
    annotation = info.annotation
    if typing.get_origin(annotation) is Literal:
        choices = f"one of {', '.join(map(repr, typing.get_args(annotation)))}"
        return Rule(choices, choices, note)
    bounds = _bounds(info.metadata)
    kind = {int: "a whole number", float: "a number", bool: "true or false",
            str: "text"}.get(annotation, str(annotation))
    return Rule(f"{kind} {bounds}" if bounds else kind, bounds or kind, note)


def _bounds(metadata: list[Any]) -> str:
    found = {}
    for item in metadata:
        for kind in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, kind.capitalize())):
                found[kind] = getattr(item, kind)
    if "ge" in found and "le" in found:
        return f"between {found['ge']:g} and {found['le']:g}"
    parts = [f"{sign} {found[kind]:g}" for kind, sign in
             (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if kind in found]
    return " and ".join(parts)


# --- checking what is given -------------------------------------------------------------------

def parameter_problem(cls: type, params: Mapping[str, Any]) -> str | None:
    """The first numeric parameter in ``params`` that is true/false, NaN or infinite, or None.

    Judges the values as given (a file's ``true`` before it is converted to 1), so that
    scenario files are checked like instruments built in Python.

    Returns:
        ``"cap_rmb = inf: must be a finite number"`` or None.
    """
    numeric = numeric_parameters(cls)
    for name, value in params.items():
        problem = number_problem(numeric[name], value) if name in numeric else None
        if problem is not None:
            return f"{name} = {_shown(value)}: {problem}"
    return None


@functools.cache
def numeric_parameters(cls: type) -> dict[str, Any]:
    """The parameters of an instrument class that hold numbers: name -> type."""
    fields = getattr(cls, "__pydantic_fields__", {})
    return numeric_fields({name: info.annotation for name, info in fields.items()})


def _given(cls: type, data: Any) -> Mapping[str, Any]:
    if isinstance(data, ArgsKwargs):
        given = dict(zip(cls.__pydantic_fields__, data.args, strict=False))
        return {**given, **data.kwargs} if data.kwargs else given
    return data if isinstance(data, dict) else {}


def _worded(cls: type, exc: ValidationError, given: Mapping[str, Any]) -> str:
    """The first error of pydantic as ``field = value: rule``, the rule from the field itself."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
        if len(errors) > 1 else ""
    loc = err.get("loc", ())
    name = loc[0] if loc else None
    if name is None or not isinstance(name, str):
        return f"{str(err.get('msg', 'invalid')).removeprefix('Value error, ')}{more}"
    value = _shown(given.get(name, err.get("input")))
    fields = rules(cls)
    if name not in fields:
        return f"{name} = {value}: not a parameter (its parameters: {', '.join(fields)}){more}"
    rule = fields[name]
    kind = err.get("type", "")
    said = NOT_FINITE if kind == "finite_number" else \
        f"must be {rule.bounds if kind in _BOUND_ERRORS else rule.allowed}"
    return f"{name} = {value}: {said}{f' ({rule.note})' if rule.note else ''}{more}"


def _message(exc: ValidationError) -> str:
    """The one line of an instrument's validation error (``_checked`` worded it)."""
    err = exc.errors(include_url=False)[0]
    message = " ".join(str(err.get("msg", "invalid")).split()).removeprefix("Value error, ")
    loc = ".".join(str(p) for p in err.get("loc", ()))
    return f"{loc} = {_shown(err.get('input'))}: {message}" if loc else message


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
