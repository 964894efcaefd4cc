"""Numbers given by people: true/false is not a number, and a number must be finite.

Pydantic, in the lax mode that lets a scenario write ``1e9`` (text to YAML) for a number, also
takes ``true`` for 1 and lets NaN and infinity through where no bound stops them, so that
``cap_rmb: .inf`` or ``count: true`` would be accepted. :func:`number_problem` judges a raw
value against the type a field declares, before pydantic converts it; ``ModelParams``, the
policy instruments and the scenario sections all use it.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any, Union

NOT_TRUE_FALSE = "must be a number, not true/false"
NOT_FINITE = "must be a finite number"

_UNIONS = (Union, types.UnionType)


def number_problem(annotation: Any, value: Any) -> str | None:
    """What is wrong with ``value`` for a field of type ``annotation``, or None.

    Only numbers are judged: ``true``/``false`` where the type takes ``int`` or ``float`` but
    not ``bool``; NaN or infinity (also written as text, ``"nan"``) where it takes ``float``.
    Tuples and lists are judged element by element, mappings key by key and value by value;
    every other type (text, choices, sections, ``Any``) is left to the field's own rules.

    Args:
        annotation: The field's type (``int``, ``float | None``, ``tuple[float, ...]``, ...).
        value: The value as given, before any conversion.

    Returns:
        ``NOT_TRUE_FALSE``, ``NOT_FINITE`` or None.
    """
    if annotation is float:  # the common cases first: a model checks many fields often
        if isinstance(value, bool):
            return NOT_TRUE_FALSE
        return None if _finite(value) else NOT_FINITE
    if annotation is int:
        return NOT_TRUE_FALSE if isinstance(value, bool) else None
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # constraints on a type: judge the type
        return number_problem(typing.get_args(annotation)[0], value)
    if origin in _UNIONS:
        args = typing.get_args(annotation)
        if isinstance(value, bool) and bool in args:
            return None
        for arg in args:
            problem = number_problem(arg, value)
            if problem is not None:
                return problem
        return None
    if origin in (tuple, list) and isinstance(value, list | tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if not args:
            return None
        kinds = args if len(args) == len(value) else [args[0]] * len(value)
        return next((p for p in map(number_problem, kinds, value) if p is not None), None)
    if origin is dict and isinstance(value, dict):
        args = typing.get_args(annotation)
        if len(args) != 2:
            return None
        for key, item in value.items():
            problem = number_problem(args[0], key) or number_problem(args[1], item)
            if problem is not None:
                return problem
        return None
    return None


def numeric_fields(annotations: dict[str, Any]) -> dict[str, Any]:
    """The fields among ``annotations`` (name -> type) whose values :func:`number_problem` judges.

    Fields of text, choices, true/false or sections never have a number problem; leaving them
    out keeps the check of a model with a hundred fields cheap.
    """
    return {name: annotation for name, annotation in annotations.items()
            if _mentions_number(annotation)}


def _mentions_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    return any(_mentions_number(arg) for arg in typing.get_args(annotation)
               if arg is not Ellipsis and not isinstance(arg, str | int | float))


def _finite(value: Any) -> bool:
    """False for NaN and infinity, as numbers or as text a float field would take."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            return math.isfinite(float(value))
        except ValueError:  # not a number at all: the field's own type check says so
            return True
    return True
