"""Loading scenario files: safe YAML, validated into a frozen ``Scenario``, one-line errors.

Every problem (missing file, bad YAML or a key written twice, unknown key, wrong type, value
out of range, an instrument parameter it does not accept, a month outside the run) raises
:class:`ScenarioError`, a ``ValueError`` whose message is one line naming the file, the path
inside it (``policies[2].share``), the value and what is allowed.

Names and paths (:func:`is_path`): an argument holding a path separator or ending in
``.yaml``/``.yml`` is a file of the user's own; anything else is a shipped file's name.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from catfish.scenarios import safe_yaml
from catfish.scenarios.inputs import check_text
from catfish.scenarios.schema import Scenario
from catfish.sim.checks import NOT_FINITE
from catfish.sim.params import ParameterError
from catfish.sim.policy import REGISTRY, check_calendar, check_mix, parameter_problem

SHIPPED = Path(__file__).parent
# shipped YAML files that are not scenarios (comparisons, sweeps, sensitivity analyses)
OTHER_KINDS = ("compare-", "sweep-", "sa-")
# what a shipped file's name looks like; anything else names a file of the user's own
SHIPPED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SEPARATORS = tuple({"/", os.sep, os.altsep or "/"})


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message is one line."""


def shipped_names() -> list[str]:
    """Names of the scenarios shipped with Catfish."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml") if not p.name.startswith(OTHER_KINDS))


def is_path(name_or_path: str | Path) -> bool:
    """True if the argument names a file of the user's own rather than a shipped one.

    The rule: a ``Path``, or text holding a path separator or ending in ``.yaml`` / ``.yml``,
    is a path (``my-city.yaml``, ``./my-city``, ``runs/x.yaml``); anything else is the name of
    a shipped file and must look like one (``jieyang-city-2023``). A file in the current
    folder is never picked up in place of a shipped name, nor a shipped file for a path.
    """
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return any(sep in text for sep in SEPARATORS) or text.lower().endswith((".yaml", ".yml"))


def user_file(name_or_path: str | Path, kind: str = "scenario") -> Path:
    """The path if it is a file; else one line, naming it as given, saying what it is instead."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.is_dir():
        raise ScenarioError(f"{name_or_path}: is a folder, not a {kind} file")
    if path.exists():
        raise ScenarioError(f"{name_or_path}: is not a regular file")
    raise ScenarioError(f"{name_or_path}: no such file")


def _shipped_name(name: str, kind: str, choices: list[str]) -> str:
    """``name`` if it can be a shipped file's name; else one line on names and paths."""
    if not SHIPPED_NAME.match(name):
        raise ScenarioError(f"{name}: not a shipped {kind}'s name (lower-case letters, digits, "
                            f"- and _) nor a path; for a file of your own give its path, e.g. "
                            f"./{name} (shipped: {', '.join(choices) or 'none'})")
    return name


def _unknown(name: str, kind: str, choices: list[str]) -> ScenarioError:
    return ScenarioError(f"{name}: no such file or shipped {kind} (shipped: "
                         f"{', '.join(choices) or 'none'}); for a file of your own give its "
                         f"path, e.g. ./{name}.yaml")


def resolve(name_or_path: str | Path) -> Path:
    """The file a shipped scenario's name or a path refers to (see :func:`is_path`).

    Raises:
        ScenarioError: A path that is not a file, or a name no shipped scenario has.
    """
    if is_path(name_or_path):
        return user_file(name_or_path)
    name = _shipped_name(str(name_or_path), "scenario", shipped_names())
    if name not in shipped_names():
        raise _unknown(name, "scenario", shipped_names())
    return SHIPPED / f"{name}.yaml"


def shipped_of_kind(prefix: str) -> list[str]:
    """Names of the shipped files of one kind (``compare-``, ``sweep-``)."""
    return sorted(p.stem for p in SHIPPED.glob(f"{prefix}*.yaml"))


def resolve_kind(name_or_path: str | Path, prefix: str, kind: str) -> Path:
    """A path, or the shipped ``prefix`` file named with or without the prefix.

    Names and paths are told apart as for scenarios (:func:`is_path`).

    Raises:
        ScenarioError: A path that is not a file, or a name no shipped file of the kind has.
    """
    if is_path(name_or_path):
        return user_file(name_or_path, kind)
    choices = shipped_of_kind(prefix)
    name = _shipped_name(str(name_or_path), kind, choices)
    for stem in (name, f"{prefix}{name}"):
        if stem in choices:
            return SHIPPED / f"{stem}.yaml"
    raise _unknown(name, kind, choices)


def base_scenario_path(base: str, source: str | Path) -> Path:
    """The scenario a comparison's or a sweep's ``base`` names.

    A path (:func:`is_path`) is relative to the folder of ``source``, the file that names it,
    so a folder of files can travel together; anything else is a shipped scenario's name.

    Raises:
        ScenarioError: ``source: base = ...`` and what is wrong, on one line.
    """
    folder = Path(source).parent
    if is_path(base):
        path = folder / base
        if path.is_file():
            return path
        what = "a folder, not a scenario file" if path.is_dir() else "no such scenario file"
        raise ScenarioError(f"{source}: base = {base!r}: {what} (relative to {folder})")
    if base in shipped_names():
        return SHIPPED / f"{base}.yaml"
    raise ScenarioError(f"{source}: base = {base!r}: not a shipped scenario (shipped: "
                        f"{', '.join(shipped_names())}); a file of your own is a path "
                        f"relative to {folder}, e.g. ./{base}.yaml")


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with the safe loader; errors name the file, line and column.

    A key written twice in one mapping is an error too (``scenarios.safe_yaml``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({type(exc).__name__}: "
                            f"{_one_line(str(exc))})") from None
    return parse_yaml(text, path)


def parse_yaml(text: str, source: str | Path) -> Any:
    """Parse YAML text read from ``source``; errors as :func:`read_yaml`'s."""
    try:
        return safe_yaml.load(text)
    except safe_yaml.DuplicateKeyError as exc:
        raise ScenarioError(f"{source}:{exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}{where}: not valid YAML ({_one_line(problem)})") from None


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
    for i, message in mix_problems(scenario, params)[:1]:
        raise ScenarioError(f"{source}: policies[{i}].{message}")
    return scenario


def mix_problems(scenario: Scenario, params: Any) -> list[tuple[int, str]]:
    """Problems of a scenario's policy mix in its cluster and calendar: (position, message).

    The mix against the cluster (``sim.policy.check_mix``: sectors, lead firms) and the months
    its instruments name against the simulated months (``sim.policy.check_calendar``).
    """
    instruments = scenario.instruments()
    return check_mix(instruments, params) + check_calendar(instruments, params)


def check_instrument(name: str, params: dict[str, Any], where: str) -> None:
    """Validate an instrument's parameters against its class (types, ranges, unknown names)."""
    cls = REGISTRY[name]
    source, _, prefix = where.rpartition(": ")
    try:  # text first: an unknown key is shown as given
        check_text(params, "")
    except ValueError as exc:
        named = " = " in str(exc).split(":")[0]  # "sector = '...': ..." or "the key ..."
        raise ScenarioError(f"{source}: {prefix}{'.' if named else ': '}{exc}") from None
    known = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    unknown = sorted(set(params) - known)
    if unknown:
        raise ScenarioError(f"{where}.{unknown[0]}: not a parameter of {name!r} "
                            f"(allowed: {', '.join(sorted(known)) or 'none'})")
    problem = parameter_problem(cls, params)  # what pydantic would convert: true/false, NaN
    if problem is not None:
        raise ScenarioError(f"{source}: {prefix}.{problem}")
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
    if kind == "finite_number":  # as ModelParams and the instruments say it
        message = NOT_FINITE
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
