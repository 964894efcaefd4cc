"""Loading scenario files: safe YAML, validated into a frozen ``Scenario``, one-line errors.

Every problem (missing file, bad YAML, unknown key, wrong type, value out of range, an
instrument parameter it does not accept) raises :class:`ScenarioError`, a ``ValueError``
whose message is one line naming the file, the path inside it (``policies[2].share``), the
value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from scenarios.schema import Scenario
from sim.params import ParameterError
from sim.policy import REGISTRY, check_mix

SHIPPED = Path(__file__).parent
# shipped YAML files that are not scenarios (comparisons, sweeps, sensitivity analyses)
OTHER_KINDS = ("compare-", "sweep-", "sa-")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message is one line."""


def shipped_names() -> list[str]:
    """Names of the scenarios shipped with Catfish."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml") if not p.name.startswith(OTHER_KINDS))


def resolve(name_or_path: str | Path) -> Path:
    """The file a name or path refers to: an existing path, else a shipped scenario's name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = SHIPPED / f"{name_or_path}.yaml"
    if not path.suffix and shipped.is_file():
        return shipped
    raise ScenarioError(f"{name_or_path}: no such file or shipped scenario "
                        f"(shipped: {', '.join(shipped_names())})")


def shipped_of_kind(prefix: str) -> list[str]:
    """Names of the shipped files of one kind (``compare-``, ``sweep-``)."""
    return sorted(p.stem for p in SHIPPED.glob(f"{prefix}*.yaml"))


def resolve_kind(name_or_path: str | Path, prefix: str, kind: str) -> Path:
    """An existing path, else the shipped ``prefix`` file named with or without the prefix."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if not path.suffix:
        for stem in (str(name_or_path), f"{prefix}{name_or_path}"):
            if stem.startswith(prefix) and (SHIPPED / f"{stem}.yaml").is_file():
                return SHIPPED / f"{stem}.yaml"
    raise ScenarioError(f"{name_or_path}: no such file or shipped {kind} "
                        f"(shipped: {', '.join(shipped_of_kind(prefix)) or 'none'})")


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with the safe loader; errors name the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({type(exc).__name__}: "
                            f"{_one_line(str(exc))})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}{where}: not valid YAML ({_one_line(problem)})") from None


def read_list(path: Path, item: Any, what: str,
              error: type[ScenarioError] = ScenarioError) -> list[Any]:
    """A YAML file holding a list, each entry validated as ``item`` (a pydantic model).

    Args:
        path: The file.
        item: The entries' pydantic model.
        what: What the list holds, for the message when the file is not a list.
        error: The ``ScenarioError`` subclass to raise.

    Raises:
        error: One line naming the file, the entry, the field, the value and the rule.
    """
    try:
        data = read_yaml(path)
    except ScenarioError as exc:
        raise error(str(exc)) from None
    if not isinstance(data, list):
        raise error(f"{path}: expected a list of {what}, got {type(data).__name__}")
    try:
        return TypeAdapter(list[item]).validate_python(data)
    except ValidationError as exc:
        raise error(describe(exc, path)) from None


def load(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario from a file path or a shipped scenario's name."""
    path = resolve(name_or_path)
    return parse(read_yaml(path), path)


def parse(data: Any, source: str | Path = "<scenario>") -> Scenario:
    """Validate already-parsed data as a scenario; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping of sections (name, labels, calendar, "
                            f"...), got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(describe(exc, source)) from None
    for i, spec in enumerate(scenario.policies):
        check_instrument(spec.instrument, spec.parameters(), f"{source}: policies[{i}]")
    try:
        params = scenario.model_params()
    except ParameterError as exc:  # a cross-field rule of the model, e.g. too few providers
        raise ScenarioError(f"{source}: {exc}") from None
    for i, message in check_mix(scenario.instruments(), params)[:1]:
        raise ScenarioError(f"{source}: policies[{i}].{message}")
    return scenario


def check_instrument(name: str, params: dict[str, Any], where: str) -> None:
    """Validate an instrument's parameters against its class (types, ranges, unknown names)."""
    cls = REGISTRY[name]
    known = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    unknown = sorted(set(params) - known)
    if unknown:
        raise ScenarioError(f"{where}.{unknown[0]}: not a parameter of {name!r} "
                            f"(allowed: {', '.join(sorted(known)) or 'none'})")
    source, _, prefix = where.rpartition(": ")
    try:
        TypeAdapter(cls).validate_python(params)
    except ValidationError as exc:
        raise ScenarioError(describe(exc, source, prefix=prefix)) from None


def format_path(loc: tuple, prefix: str = "") -> str:
    """``('policies', 2, 'share')`` -> ``policies[2].share``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and not str(part).startswith(("function-", "model-")):
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe(exc: ValidationError, source: str | Path, prefix: str = "") -> str:
    """One line for the first error of a pydantic validation: file, path, value, allowed."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = tuple(p for p in err.get("loc", ()) if not str(p).startswith("dataclass-"))
    path = format_path(loc, prefix)
    message = _one_line(err.get("msg", "invalid")).removeprefix("Value error, ")
    kind = err.get("type", "")
    if kind == "model_type":  # pydantic names our class; people need to know it is a section
        message = "Input should be a mapping (a section with keys)"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
        if len(errors) > 1 else ""
    if kind == "extra_forbidden":
        return f"{source}: {path}: unknown key{more}"
    if kind == "missing":
        return f"{source}: {path}: missing (required){more}"
    if kind == "value_error" and " = " in message.split(":")[0]:
        # a rule that names its own field and value ("share = 1.5: must be ..."), raised
        # where the path stops at the enclosing object
        return f"{source}: {path}.{message}{more}" if path != "(top level)" \
            else f"{source}: {message}{more}"
    return f"{source}: {path} = {_short(err.get('input'))}: {message}{more}"


def _short(value: Any, limit: int = 60) -> str:
    text = _one_line(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
