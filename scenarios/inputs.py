"""Checks of raw input that every kind of file shares, made before pydantic converts anything.

Text may not hold control characters (other than tab, newline and carriage return) or the
characters that reorder text for display (bidirectional overrides and isolates): a NUL cuts a
string short in C libraries and a file name, and an override can make a label read otherwise
on screen than in the file (CVE-2021-42574, "Trojan Source"). Numbers may not be given as
true/false, NaN or infinity (``sim.checks``). Every section of every file (``Section`` in
``scenarios.schema``) and every parameter-set file runs :func:`check_raw` on what it is given.
"""

from __future__ import annotations

import functools
import re
import typing
import unicodedata
from typing import Any

from catfish.sim.checks import number_problem, numeric_fields
from pydantic import BaseModel

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 but tab, newline and carriage return; DEL; C1; the bidirectional controls
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + BIDI + "]")
RULE = "text may not hold control or bidirectional-override characters"

_C0 = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN "
       "ETB CAN EM SUB ESC FS GS RS US").split()
_C1 = ("PAD HOP BPH NBH IND NEL SSA ESA HTS HTJ VTS PLD PLU RI SS2 SS3 DCS PU1 PU2 STS CCH MW "
       "SPA EPA SOS SGCI SCI CSI ST OSC PM APC").split()


def character_name(char: str) -> str:
    """A short name for a forbidden character: ``NUL``, ``RIGHT-TO-LEFT OVERRIDE``, ..."""
    code = ord(char)
    if code < 0x20:
        return _C0[code]
    if code == 0x7F:
        return "DEL"
    if 0x80 <= code <= 0x9F:
        return _C1[code - 0x80]
    return unicodedata.name(char, f"U+{code:04X}")


def text_problem(text: str) -> tuple[int, str] | None:
    """Where ``text`` holds a forbidden character and what it is, or None.

    Returns:
        ``(position, rule)``, the rule saying which character it is and what is allowed.
    """
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    kind = "bidirectional control" if char in BIDI else "control"
    return found.start(), (f"contains the {kind} character U+{ord(char):04X} "
                           f"({character_name(char)}); {RULE}")


def check_text(value: Any, path: str) -> None:
    """Raise ``ValueError`` if any text in ``value`` holds a forbidden character.

    Strings, mapping keys, and the items of lists and mappings at any depth are looked at.

    Args:
        value: Raw input, as parsed from YAML (or given in Python).
        path: Where ``value`` is, e.g. ``labels.en``; messages name the path inside it.

    Raises:
        ValueError: ``labels.en = 'a<NUL>b': contains the control character U+0000 (NUL);
            ...``: the path, the value and the rule on one line.
    """
    if isinstance(value, str):
        found = text_problem(value)
        if found is not None:
            raise ValueError(f"{path} = {_around(value, found[0])}: {found[1]}")
    elif isinstance(value, dict):
        for key, item in value.items():
            found = text_problem(key) if isinstance(key, str) else None
            if found is not None:
                where = f"{path} = {_cut(repr(value))}: " if path else ""
                raise ValueError(f"{where}the key {key!r} {found[1]}")
            check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_text(item, f"{path}[{i}]")


def check_raw(model: type[BaseModel], data: dict[str, Any]) -> None:
    """Check what a section is given: its text, and true/false or NaN where numbers go.

    Values of fields that are sections themselves are left to those sections, which check
    their own input (so each value is looked at once).

    Raises:
        ValueError: One line naming the field (and the path inside it), the value and the rule.
    """
    plan = _plan(model)
    for key, value in data.items():
        if isinstance(key, str) and (found := text_problem(key)) is not None:
            raise ValueError(f"the key {key!r} {found[1]}")
        if key in plan.sections:
            continue
        check_text(value, str(key))
        if key in plan.numbers:
            problem = number_problem(plan.numbers[key], value)
            if problem is not None:
                raise ValueError(f"{key} = {value!r}: {problem}")


class _Plan(typing.NamedTuple):
    sections: frozenset[str]  # fields holding sections, which check themselves
    numbers: dict[str, Any]  # fields holding numbers: name -> type


@functools.cache
def _plan(model: type[BaseModel]) -> _Plan:
    fields = model.model_fields
    sections = frozenset(name for name, info in fields.items() if _holds_model(info.annotation))
    numbers = numeric_fields({name: info.annotation for name, info in fields.items()
                              if name not in sections})
    return _Plan(sections, numbers)


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in typing.get_args(annotation))


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _around(text: str, position: int, limit: int = 60) -> str:
    """``repr(text)``, or for long text the part around ``position`` with ``...`` either side."""
    if len(text) <= limit:
        return repr(text)
    start = max(0, position - limit // 2)
    part = text[start:start + limit]
    return ("..." if start else "") + repr(part) + ("..." if start + limit < len(text) else "")
