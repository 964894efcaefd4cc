"""Loading Catfish's input files: one loader for every kind, one-line errors.

Catfish reads four kinds of file (:data:`KINDS`): scenarios, comparisons (``compare-*``),
sweeps (``sweep-*``) and sensitivity analyses (``sa-*``). Each kind's public function
(:func:`load`, ``scenarios.comparison.load``, ``scenarios.sweep.load_sweep``,
``experiments.runs.sensitivity_spec.load_sensitivity``) hands its parser to :func:`read_spec`,
which finds the file (:func:`resolve`), reads it with the safe loader (:func:`read_yaml`), and
passes the data on; the parser checks it is a mapping of that kind (:meth:`Kind.mapping`) and
validates it against its schema (:func:`validate`).

Every problem (missing file, bad YAML or a key written twice, a file of another kind, unknown
key, wrong type, value out of range, an instrument parameter it does not accept, a month
outside the run) raises :class:`ScenarioError`, a ``ValueError`` whose message is one line
naming the file, the path inside it (``policies[2].share``), the value and what is allowed.

Names and paths (:func:`is_path`): an argument holding a path separator or ending in
``.yaml``/``.yml`` is a file of the user's own; anything else is a shipped file's name.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from catfish.scenarios import safe_yaml
from catfish.scenarios.inputs import check_text
from catfish.scenarios.schema import Scenario
from catfish.sim.checks import NOT_FINITE
from catfish.sim.params import ParameterError
from catfish.sim.policy import REGISTRY, check_calendar, check_mix, parameter_problem
from pydantic import BaseModel, TypeAdapter, ValidationError

SHIPPED = Path(__file__).parent
# what a shipped file's name looks like; anything else names a file of the user's own
SHIPPED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SEPARATORS = tuple({"/", os.sep, os.altsep or "/"})

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class ScenarioError(ValueError):
    """An input file that cannot be used; the message is one line."""


# --- kinds of file -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of input file: how its shipped files are named and how to tell it from others.

    Attributes:
        name: The kind in messages (``scenario``, ``sensitivity analysis``).
        prefix: How its shipped files' names begin (empty for scenarios).
        marker: A top-level key that files of this kind have and files of no other kind have.
        expected: What a file of it is, for a file that is not a mapping.
        about: What a file of it says, for a file of another kind given in its place.
    """

    name: str
    prefix: str
    marker: str
    expected: str
    about: str

    def shipped(self) -> list[str]:
        """Names of the shipped files of this kind."""
        return sorted(p.stem for p in SHIPPED.glob(f"{self.prefix}*.yaml")
                      if kind_of(p.stem) is self)

    def resolve(self, name_or_path: str | Path, within: str | Path | None = None,
                field: str = "base") -> Path:
        """The file a shipped name or a path refers to (see :func:`is_path`).

        Args:
            name_or_path: As given: a path, or a shipped file's name (with or without the
                kind's prefix).
            within: The file whose ``field`` names it: a path is then relative to its folder,
                and messages begin ``within: field = 'value': ``; None for an argument.
            field: The key of ``within`` that names it.

        Raises:
            ScenarioError: A path that is not a file, or a name that no shipped file of this
                kind has (:meth:`not_found`).
        """
        where = f"{within}: {field} = {str(name_or_path)!r}" if within is not None \
            else str(name_or_path)
        folder = Path(within).parent if within is not None else None
        if is_path(name_or_path):
            path = folder / name_or_path if folder is not None else Path(name_or_path)
            if path.is_file():
                return path
            raise self.not_found(name_or_path, where, folder, path)
        name = str(name_or_path)
        shipped = self.shipped()
        for stem in dict.fromkeys((name, f"{self.prefix}{name}")):
            if stem in shipped:
                return SHIPPED / f"{stem}.yaml"
        raise self.not_found(name, where, folder)

    def not_found(self, given: str | Path, where: str, folder: Path | None = None,
                  path: Path | None = None) -> ScenarioError:
        """One line for a file of this kind that is not there.

        It names the argument as given (or the file and field that give it), which kind of
        file was looked for and, for a name, the shipped names of this kind and how to give a
        file of one's own.
        """
        relative = f" relative to {folder}" if folder is not None else ""
        if path is not None:  # a path
            what = "is a folder, not a" if path.is_dir() else \
                "is not a regular file, so not a" if path.exists() else "no such"
            stem = Path(given).name.removesuffix(".yaml").removesuffix(".yml")
            meant = [s for s in (stem, f"{self.prefix}{stem}") if s in self.shipped()]
            hint = f"; the shipped {self.name} {meant[0]!r} is given by its name alone" \
                if meant else ""
            return ScenarioError(f"{where}: {what} {self.name} file"
                                 f"{f' ({relative.strip()})' if relative else ''}{hint}")
        shipped = ", ".join(self.shipped()) or "none"
        if not SHIPPED_NAME.match(str(given)):
            return ScenarioError(f"{where}: not a shipped {self.name}'s name (lower-case "
                                 f"letters, digits, - and _) nor a path; for a file of your own "
                                 f"give its path{relative}, e.g. ./{given} (shipped: {shipped})")
        if ((folder or Path()) / str(given)).is_file():  # a name never stands for a file
            return ScenarioError(f"{where}: not a shipped {self.name} (shipped: {shipped}); a "
                                 f"name is never a file: for the file {given} give its path"
                                 f"{relative}, ./{given}")
        return ScenarioError(f"{where}: no such file or shipped {self.name} (shipped: "
                             f"{shipped}); for a file of your own give its path{relative}, "
                             f"e.g. ./{given}.yaml")

    def mapping(self, data: Any, source: str | Path) -> dict[str, Any]:
        """``data`` if it is a mapping and not a file of another kind.

        Raises:
            ScenarioError: ``source: expected ...`` or ``source: this is a ... file, not ...``.
        """
        if not isinstance(data, dict):
            raise ScenarioError(f"{source}: expected {self.expected}, got "
                                f"{type(data).__name__}")
        if self.marker not in data:
            for other in KINDS:
                if other is not self and other.marker in data:
                    raise ScenarioError(f"{source}: this is a {other.name} file, not a "
                                        f"{self.name}; a {self.name} {self.about}")
        return data


SCENARIO = Kind("scenario", "", "calendar",
                "a mapping of sections (name, labels, calendar, ...)",
                "describes a cluster, its calendar, target, budget and policy mix "
                "(docs/scenarios.md)")
COMPARISON = Kind("comparison", "compare-", "mixes",
                  "a mapping (name, labels, base, mixes, ...)",
                  "names a scenario as its base and lists mixes (docs/compare.md)")
SWEEP = Kind("sweep", "sweep-", "design",
             "a mapping (name, labels, base, factors, design, ...)",
             "names a base scenario and lists factors and a design (docs/sweeps.md)")
SENSITIVITY = Kind("sensitivity analysis", "sa-", "n",
                   "a mapping (name, labels, base, factors, method, n, ...)",
                   "names a base scenario, the factors and their bounds, a method and n "
                   "(docs/sensitivity.md)")
KINDS = (SCENARIO, COMPARISON, SWEEP, SENSITIVITY)
# shipped YAML files that are not scenarios (comparisons, sweeps, sensitivity analyses)
OTHER_KINDS = tuple(kind.prefix for kind in KINDS if kind.prefix)


def kind_of(stem: str) -> Kind:
    """The kind of a shipped file, from its name: the kind whose prefix it has, else scenario."""
    return next((kind for kind in KINDS if kind.prefix and stem.startswith(kind.prefix)),
                SCENARIO)


def shipped_names() -> list[str]:
    """Names of the scenarios shipped with Catfish."""
    return SCENARIO.shipped()


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


def resolve(name_or_path: str | Path, kind: Kind = SCENARIO) -> Path:
    """The file of ``kind`` that a shipped name or a path refers to (:meth:`Kind.resolve`)."""
    return kind.resolve(name_or_path)


def read_spec(name_or_path: str | Path, kind: Kind,
              parse: Callable[[Any, Path], T]) -> T:
    """A file of ``kind`` found, read and parsed: ``parse(data, path)``.

    Raises:
        ScenarioError: One line: the file is not there (:meth:`Kind.resolve`), cannot be read
            or is not YAML (:func:`read_yaml`), or what ``parse`` finds wrong with it.
    """
    path = kind.resolve(name_or_path)
    return parse(read_yaml(path), path)


def validate(data: Any, source: str | Path, kind: Kind, model: type[M],
             adjust: Callable[[ValidationError], ValidationError] | None = None) -> M:
    """``data`` as a file of ``kind``, validated as ``model`` (its pydantic schema).

    Args:
        data: The parsed file.
        source: The file, named in errors.
        kind: Its kind (:meth:`Kind.mapping`).
        model: The schema.
        adjust: Rewrites pydantic's errors before the first is described (e.g. paths).

    Raises:
        ScenarioError: One line naming the file, the path inside it, the value and the rule.
    """
    try:
        return model.model_validate(kind.mapping(data, source))
    except ValidationError as exc:
        raise ScenarioError(describe(adjust(exc) if adjust else exc, source)) from None


def load_base(base: str, source: str | Path) -> tuple[Path, Scenario]:
    """The scenario a comparison's or a sweep's ``base`` names: its file and the scenario.

    A path (:func:`is_path`) is relative to the folder of ``source``, the file that names it,
    so a folder of files can travel together; anything else is a shipped scenario's name.

    Raises:
        ScenarioError: ``source: base = ...`` and why it is not there, or ``source: base: ``
            and the scenario's own problem, on one line.
    """
    path = SCENARIO.resolve(base, within=source)
    try:
        return path, load(path)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: base: {exc}") from None


# --- reading YAML ------------------------------------------------------------------------------

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


# --- scenarios ---------------------------------------------------------------------------------

def load(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario from a file path or a shipped scenario's name."""
    return read_spec(name_or_path, SCENARIO, parse)


def parse(data: Any, source: str | Path = "<scenario>") -> Scenario:
    """Validate already-parsed data as a scenario; ``source`` names it in errors."""
    scenario = validate(data, source, SCENARIO, Scenario)
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
