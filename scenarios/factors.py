"""Factor paths: where a sweep's factor points in a scenario, and applying factor values.

A path names a scenario field (``cluster.smes.talent_mean``), a model parameter through
``behaviour.overrides`` (``behaviour.overrides.peer_effect_per_year``) or an instrument
parameter (``policies.grant.share``: the first instrument of that name; ``policies[0].share``).
:func:`apply_factors` sets the values of one design point on a dump of the base scenario and
validates the result like a file, so a value the scenario does not accept is a one-line error.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from catfish.scenarios.loader import ScenarioError, format_path, mix_problems
from catfish.scenarios.schema import PARAM_OF, SCENARIO_OWNED, Scenario
from catfish.sim.params import ModelParams, ParameterError
from catfish.sim.policy import REGISTRY
from pydantic import (
    BaseModel,
    TypeAdapter,
    ValidationError,
)

# scenario sections a factor may not change: they label the scenario, the model never sees them
NOT_INPUTS = ("name", "labels", "description", "sources")

# --- factor paths --------------------------------------------------------------------------

_SEGMENT = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
KIND_WORDS = {"int": "whole numbers", "float": "numbers", "bool": "true or false",
               "text": "text or one of a few choices", "list": "a list", "section": "a section"}
_EXAMPLES = ("e.g. cluster.smes.talent_mean, behaviour.overrides.peer_effect_per_year, "
             "policies.grant.share or policies[0].share")


@dataclasses.dataclass(frozen=True)
class FactorTarget:
    """Where a factor path points in a scenario's data, and what kind of value lives there.

    Attributes:
        location: Keys from the scenario's top-level mapping to the value, e.g.
            ``("policies", 0, "share")``.
        kind: ``"int"``, ``"float"``, ``"bool"`` or ``"text"`` (text or a choice).
    """

    location: tuple[str | int, ...]
    kind: str


def resolve_path(base: Scenario, path: str) -> FactorTarget:
    """Where ``path`` points in ``base``: a scenario field, a behaviour override or a policy.

    Args:
        base: The scenario the path refers to (instruments are found by name in its mix).
        path: ``section.field...`` (e.g. ``cluster.providers.count``),
            ``behaviour.overrides.<ModelParams field>``, ``policies.<instrument>.<param>``
            (the first instrument of that name) or ``policies[<index>].<param>``.

    Raises:
        ValueError: The path does not name a single value of the scenario; the message says
            why (without the path itself).
    """
    parts = path.split(".")
    matches = [_SEGMENT.match(p) for p in parts]
    if not all(matches):
        raise ValueError(f"not a path: dotted lower-case names, {_EXAMPLES}")
    head, index = matches[0]["name"], matches[0]["index"]
    if head == "policies":
        return _policy_target(base, parts, index)
    if index is not None or any(m["index"] is not None for m in matches[1:]):
        raise ValueError("only policies can be indexed ([i])")
    if head == "behaviour" and parts[1:2] == ["overrides"]:
        return _override_target(parts)
    if head in NOT_INPUTS:
        raise ValueError(f"{head!r} labels the scenario and is not a model input; factors "
                         "change calendar, target, budget, cluster, behaviour or policies")
    model: type[BaseModel] = Scenario
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth]) or "a scenario"
        if part not in model.model_fields:
            raise ValueError(f"{where} has no field {part!r} (fields: "
                             f"{', '.join(_inputs(model))})")
        annotation = model.model_fields[part].annotation
        kind = _kind_of(annotation)
        if kind == "section" and depth + 1 < len(parts):
            model = annotation
            continue
        if depth + 1 < len(parts):
            raise ValueError(f"{'.'.join(parts[:depth + 1])} is a value, not a section")
        if kind == "section":
            raise ValueError(f"{path} is a section; name one of its fields "
                             f"({', '.join(annotation.model_fields)})")
        if kind == "list":
            raise ValueError(f"{path} is a list or mapping, not a single value")
        return FactorTarget(tuple(parts), kind)
    raise AssertionError("unreachable")  # pragma: no cover


def _inputs(model: type[BaseModel]) -> list[str]:
    names = list(model.model_fields)
    return [n for n in names if n not in NOT_INPUTS] if model is Scenario else names


def _override_target(parts: list[str]) -> FactorTarget:
    if len(parts) != 3:
        raise ValueError("name one model parameter: behaviour.overrides.<parameter> "
                         "(docs/parameters.md)")
    name = parts[2]
    if name not in ModelParams.model_fields:
        raise ValueError(f"{name!r} is not a model parameter (docs/parameters.md)")
    if name in SCENARIO_OWNED:
        owner = next((p for p, param in PARAM_OF.items() if param == name),
                     SCENARIO_OWNED[name])
        raise ValueError(f"{name!r} is set by the scenario's {owner}; vary that path instead")
    kind = _kind_of(ModelParams.model_fields[name].annotation)
    if kind == "list":
        raise ValueError(f"{name!r} holds several values; a factor sets a single value")
    return FactorTarget(("behaviour", "overrides", name), kind)


def _policy_target(base: Scenario, parts: list[str], index: str | None) -> FactorTarget:
    present = [p.instrument for p in base.policies]
    if index is not None:
        i, rest = int(index), parts[1:]
        if i >= len(present):
            raise ValueError(f"the base scenario has {len(present)} instruments" + (
                f" (policies[0] to policies[{len(present) - 1}])" if present else ""))
    else:
        if len(parts) < 2:
            raise ValueError(f"name an instrument and its parameter, {_EXAMPLES}")
        name, rest = parts[1], parts[2:]
        if name not in REGISTRY:
            raise ValueError(f"unknown instrument {name!r} (known: {', '.join(sorted(REGISTRY))})")
        if name not in present:
            raise ValueError(f"the base scenario has no {name!r} instrument (it has: "
                             f"{', '.join(dict.fromkeys(present)) or 'none'})")
        i = present.index(name)
    instrument = present[i]
    fields = {f.name: f.type for f in dataclasses.fields(REGISTRY[instrument])}
    if len(rest) != 1:
        raise ValueError(f"name one parameter of {instrument!r} after the instrument "
                         f"({', '.join(fields)})")
    if rest[0] not in fields:
        raise ValueError(f"{rest[0]!r} is not a parameter of {instrument!r} (parameters: "
                         f"{', '.join(fields)})")
    kind = _kind_of(fields[rest[0]])
    if kind == "list":
        raise ValueError(f"{rest[0]!r} of {instrument!r} is a list; a factor sets one value")
    return FactorTarget(("policies", i, rest[0]), kind)


def _kind_of(annotation: Any) -> str:
    """``int``, ``float``, ``bool``, ``text``, ``list`` or ``section`` for a field's type."""
    if isinstance(annotation, str):  # dataclass fields under `from __future__ import annotations`
        text = annotation.replace(" | None", "").replace("Optional[", "").strip()
        if text in ("int", "float", "bool"):
            return text
        return "list" if text.startswith(("tuple", "list", "dict")) else "text"
    origin = get_origin(annotation)
    if origin in (Union, type(int | None)):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _kind_of(args[0]) if len(args) == 1 else "text"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    if annotation in (bool, int, float):
        return annotation.__name__
    if origin in (tuple, list, dict) or annotation in (tuple, list, dict):
        return "list"
    return "text"


# --- applying factor values ----------------------------------------------------------------

class FactorError(ScenarioError):
    """Factor values the scenario does not accept; the message is one line.

    Attributes:
        path: The factor path (as given) the problem is attributed to, or None when it comes
            from a rule across several values.
        value: That path's value (None when ``path`` is None).
        rule: What is allowed (or, when ``path`` is None, the whole problem).
        values: Every path and value that was being applied.
    """

    def __init__(self, path: str | None, value: Any, rule: str, values: Mapping[str, Any]):
        self.path, self.value, self.rule, self.values = path, value, rule, dict(values)
        if path is not None:
            message = f"{path} = {value!r}: {rule}"
        else:
            message = f"with {', '.join(f'{p} = {v!r}' for p, v in values.items())}: {rule}"
        super().__init__(message)

    def __reduce__(self) -> tuple:
        # rebuilt from its fields, so the error survives a trip between processes
        return type(self), (self.path, self.value, self.rule, self.values)


@dataclasses.dataclass
class _Prepared:
    """A base scenario's data and resolved paths, kept while the same base is being varied."""

    base: Scenario
    data: dict[str, Any]
    targets: dict[str, FactorTarget]


_last: _Prepared | None = None  # one entry: a sweep varies one base scenario many times


def _prepared(base: Scenario) -> _Prepared:
    global _last
    prepared = _last
    if prepared is None or prepared.base is not base:
        # never mutated: apply_factors copies only the mappings on the paths it changes
        prepared = _Prepared(base, base.model_dump(), {})
        _last = prepared
    return prepared


def apply_factors(base: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The base scenario with ``values`` set at their paths, validated like a scenario file.

    Pure: ``base`` is left as it was. Paths are those of sweep factors (see
    :func:`resolve_path`); a field missing from the base file takes the value anyway (its
    default no longer applies). The result passes the same checks as a loaded file: the
    schema, each changed instrument's parameters, the model's parameter rules and the
    policy mix against the cluster and its calendar.

    Args:
        base: A validated scenario.
        values: Factor path -> value, e.g. ``{"policies.grant.share": 0.4}``.

    Raises:
        FactorError: A path that does not exist, or values the scenario does not accept;
            one line naming the path (when one value is to blame), the value and the rule.
    """
    prepared = _prepared(base)
    targets: dict[str, FactorTarget] = {}
    for path in values:
        if path not in prepared.targets:
            try:
                prepared.targets[path] = resolve_path(base, path)
            except ValueError as exc:
                raise FactorError(path, values[path], f"not a factor path: {exc}",
                                  values) from None
        targets[path] = prepared.targets[path]
    data = dict(prepared.data)
    for path, value in values.items():
        _set(data, targets[path].location, value)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _blame(exc.errors(include_url=False)[0], (), targets, values) from None
    touched = sorted({t.location[1] for t in targets.values() if t.location[0] == "policies"})
    for i in touched:
        spec = scenario.policies[i]
        try:
            _adapter(spec.instrument).validate_python(spec.parameters())
        except ValidationError as exc:
            raise _blame(exc.errors(include_url=False)[0], ("policies", i), targets,
                         values) from None
    try:
        params = scenario.model_params()
    except ParameterError as exc:
        raise _blame_parameter(str(exc), targets, values) from None
    for i, message in mix_problems(scenario, params)[:1]:
        raise _blame({"loc": (), "msg": message}, ("policies", i), targets, values)
    return scenario


@functools.cache
def _adapter(name: str) -> TypeAdapter:
    # building a TypeAdapter costs about 1 ms; a sweep validates the same instruments often
    return TypeAdapter(REGISTRY[name])


def _set(data: dict[str, Any], location: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``location``, copying each mapping or list on the way (not the rest)."""
    node: Any = data
    for key in location[:-1]:
        child = node[key]
        child = list(child) if isinstance(child, list | tuple) else dict(child)
        node[key] = child
        node = child
    node[location[-1]] = value


_NAMED_RULE = re.compile(r"^(?P<field>[a-z_][a-z0-9_]*) = .*?: (?P<rule>.*)$")


def _blame(err: Mapping[str, Any], prefix: tuple, targets: Mapping[str, FactorTarget],
           values: Mapping[str, Any]) -> FactorError:
    """A FactorError for one validation error, pinned on the factor whose value it concerns."""
    loc = prefix + tuple(p for p in err.get("loc", ())
                         if not str(p).startswith(("dataclass-", "function-", "model-")))
    message = " ".join(str(err.get("msg", "invalid")).split()).removeprefix("Value error, ")
    # the whole problem as a scenario file would report it: "policies[4].sector = 'x': ..."
    whole = f"{format_path(loc)}: {message}" if loc else message
    named = _NAMED_RULE.match(message)
    if named:  # a rule that names its own field ("share = 1.5: must be ..."), on its object
        whole = f"{format_path(loc)}.{message}" if loc else message
        loc, message = (*loc, named["field"]), named["rule"]
    exact = [p for p, t in targets.items() if t.location == loc]
    around = [p for p, t in targets.items() if t.location[:len(loc)] == loc]
    blamed = exact or around
    if len(blamed) == 1:
        path = blamed[0]
        return FactorError(path, values[path], message if exact else whole, values)
    return FactorError(None, None, whole, values)


_PARAMETER_RULE = re.compile(r"^ModelParams\.(?P<field>\w+) = .*?: (?P<rule>.*)$")


def _blame_parameter(message: str, targets: Mapping[str, FactorTarget],
                     values: Mapping[str, Any]) -> FactorError:
    """A FactorError for a ModelParams rule, pinned on the factor that sets that parameter."""
    named = _PARAMETER_RULE.match(message)
    if named:
        field = named["field"]
        for path, target in targets.items():
            if target.location == ("behaviour", "overrides", field) \
                    or PARAM_OF.get(".".join(map(str, target.location))) == field:
                return FactorError(path, values[path], named["rule"], values)
    return FactorError(None, None, message, values)
