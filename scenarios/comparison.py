"""Comparison files: a base scenario and the policy mixes to compare against it.

A comparison file names a base scenario and lists policy mixes; each mix becomes a full
``Scenario`` (the base with its policies replaced or added to, and optionally its budget
changed), so every mix runs the same cluster, calendar and target. The base scenario's own
mix always runs too, as the reference mix ``base``. Errors are :class:`ScenarioError` with
one line naming the file, the path inside it (``mixes[2].policies[1].share``), the value and
what is allowed, as for scenario files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from catfish.scenarios import loader
from catfish.scenarios.loader import (
    COMPARISON,
    ScenarioError,
    check_instrument,
    describe,
    read_list,
)
from catfish.scenarios.schema import Labels, PolicySpec, Scenario, Section
from catfish.scenarios.uncertain import PriorSpec, prior_problem
from catfish.sim.params import ParameterError
from pydantic import Field, ValidationError, model_validator

PREFIX = COMPARISON.prefix
BASE = "base"  # name of the reference mix: the base scenario's own policies
MAX_SEED = 2**62  # seeds are seed + replicate; stay well inside numpy's and Mesa's range
IDENTIFIER = r"^[a-z0-9][a-z0-9\-]*$"


class MixSpec(Section):
    """One policy mix, as the base scenario with its policies replaced or added to."""

    name: str = Field(min_length=1, max_length=40, pattern=IDENTIFIER,
                      description="identifier used in tables and file names")
    labels: Labels = Field(description="name shown to people (zh, en)")
    description: str = Field("", max_length=2000, description="what the mix represents")
    mode: Literal["replace", "add", "swap"] = Field(
        "replace", description="replace: only these policies; add: the base's policies, then "
                               "these; swap: the base's, with its instruments of the kinds "
                               "listed here replaced by these")
    policies: tuple[PolicySpec, ...] = Field((), description="instruments, as in a scenario")
    drop: tuple[str, ...] = Field((), max_length=50,
                                  description="instruments taken out of the base's policies "
                                              "(with mode add or swap)")
    budget_rmb: float | None = Field(None, ge=0, le=1e12,
                                     description="this mix's budget (default: the base's)")


class ComparisonSpec(Section):
    """What a comparison file may say."""

    name: str = Field(min_length=1, max_length=80, pattern=IDENTIFIER,
                      description="identifier; a shipped comparison's file is NAME.yaml")
    labels: Labels = Field(description="title shown to people")
    description: str = Field("", max_length=5000, description="what is being compared and why")
    base: str = Field(min_length=1, max_length=500,
                      description="shipped scenario name, or path relative to this file")
    base_labels: Labels | None = Field(
        None, description="name of the reference mix (default: the base scenario's labels)")
    replicates: int = Field(100, ge=2, le=100_000, description="runs per mix")
    seed: int = Field(1, ge=0, le=MAX_SEED, description="replicate r uses seed + r in every mix")
    same_budget: bool = Field(False, description="every mix gets the base scenario's budget")
    mixes: tuple[MixSpec, ...] = Field(min_length=1, max_length=26,
                                       description="the mixes compared with the base")
    objective: Literal["transformed", "p_target", "cost_per_firm"] = Field(
        "transformed", description="what makes a mix best in a world: firms transformed by the "
                                   "deadline (transformed), reaching the target (p_target), or "
                                   "the least public money per transformed firm "
                                   "(cost_per_firm); regret is in its unit")
    priors: tuple[PriorSpec, ...] | str = Field(
        (), description="the comparison's own uncertain parameters: a list of {parameter, low, "
                        "high, source}, or a YAML file of such a list (relative to this file); "
                        "they add to or replace the shipped priors (docs/compare.md)")

    @model_validator(mode="after")
    def _consistent(self) -> ComparisonSpec:
        seen: set[str] = {BASE}
        for i, mix in enumerate(self.mixes):
            if mix.name in seen:
                why = "is the reference mix's name" if mix.name == BASE else "is used twice"
                raise ValueError(f"mixes[{i}].name = {mix.name!r}: {why}; mix names must be "
                                 f"unique and not {BASE!r}")
            seen.add(mix.name)
            if mix.drop and mix.mode == "replace":
                raise ValueError(f"mixes[{i}].drop = {list(mix.drop)!r}: only with mode add or "
                                 "swap (replace already leaves out every base policy)")
            if self.same_budget and mix.budget_rmb is not None:
                raise ValueError(f"mixes[{i}].budget_rmb = {mix.budget_rmb!r}: not allowed "
                                 "with same_budget: true (every mix gets the base's budget)")
        if self.seed + self.replicates > MAX_SEED:
            raise ValueError(f"seed = {self.seed}: seed + replicates must stay below {MAX_SEED}")
        return self


@dataclass(frozen=True)
class Mix:
    """A policy mix ready to run: its name, labels and the full scenario it runs."""

    name: str
    labels: Labels
    mode: str
    scenario: Scenario


@dataclass(frozen=True)
class Comparison:
    """A validated comparison: the file, its base scenario and every mix (``base`` first)."""

    spec: ComparisonSpec
    path: Path
    base_path: Path
    mixes: tuple[Mix, ...]
    priors: tuple[PriorSpec, ...] = ()  # the file's own, checked (from ``priors:``)

    @property
    def name(self) -> str:
        """The comparison's identifier."""
        return self.spec.name

    @property
    def base(self) -> Scenario:
        """The base scenario (the scenario of the reference mix)."""
        return self.mixes[0].scenario


def shipped_names() -> list[str]:
    """Names of the comparisons shipped with Catfish."""
    return COMPARISON.shipped()


def resolve(name_or_path: str | Path) -> Path:
    """The file a name or path refers to: a path, else a shipped comparison's name."""
    return COMPARISON.resolve(name_or_path)


def load(name_or_path: str | Path) -> Comparison:
    """Load and validate a comparison from a file path or a shipped comparison's name."""
    return loader.read_spec(name_or_path, COMPARISON, parse)


def parse(data: Any, source: Path) -> Comparison:
    """Validate parsed data as a comparison; ``source`` names it in errors and anchors ``base``.

    Raises:
        ScenarioError: One line naming the file, the path inside it, the value and the rule.
    """
    spec = loader.validate(data, source, COMPARISON, ComparisonSpec)
    for i, mix in enumerate(spec.mixes):
        for j, policy in enumerate(mix.policies):
            check_instrument(policy.instrument, policy.parameters(),
                             f"{source}: mixes[{i}].policies[{j}]")
    base_path, base = loader.load_base(spec.base, source)
    present = {p.instrument for p in base.policies}
    for i, mix in enumerate(spec.mixes):
        for j, name in enumerate(mix.drop):
            if name not in present:
                raise ScenarioError(f"{source}: mixes[{i}].drop[{j}] = {name!r}: the base "
                                    f"scenario has no such instrument (it has: "
                                    f"{', '.join(sorted(present)) or 'none'})")
    mixes = [Mix(BASE, spec.base_labels or base.labels, "base", base)]
    mixes += [Mix(m.name, m.labels, m.mode, _mix_scenario(base, m, spec, f"{source}: mixes[{i}]"))
              for i, m in enumerate(spec.mixes)]
    priors = _priors(spec, source, [m.scenario for m in mixes])
    return Comparison(spec=spec, path=source, base_path=base_path, mixes=tuple(mixes),
                      priors=priors)


def _priors(spec: ComparisonSpec, source: Path, mixes: list[Scenario]) -> tuple[PriorSpec, ...]:
    """The file's own priors (inline, or from the file it names), each checked against the mixes.

    Raises:
        ScenarioError: One line naming the file, the prior, the value and the rule.
    """
    if isinstance(spec.priors, str):
        path = Path(source).parent / spec.priors
        if not path.is_file():
            raise ScenarioError(f"{source}: priors = {spec.priors!r}: no such file (relative to "
                                f"{Path(source).parent})")
        priors, where = tuple(read_list(path, PriorSpec, "priors (parameter, low, high, "
                                        "source)")), f"{path}: "
    else:
        priors, where = spec.priors, f"{source}: priors"
    seen: set[str] = set()
    for i, prior in enumerate(priors):
        problem = prior_problem(prior, mixes)
        if prior.parameter in seen:
            problem = f"parameter = {prior.parameter!r}: has a prior already"
        if problem:
            raise ScenarioError(f"{where}[{i}].{problem}")
        seen.add(prior.parameter)
    return priors


def combine_policies(base: list[dict[str, Any]], mix: list[dict[str, Any]], mode: str,
                     drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The policy list of a mix: the base's and the mix's instruments, combined by ``mode``.

    - ``replace``: the mix's policies only.
    - ``add``: the base's policies (less those named in ``drop``), then the mix's.
    - ``swap``: as ``add``, but each instrument the mix lists replaces every base instrument
      of that name, in the place of the first (instruments act in list order, e.g. when the
      budget is short), so a mix changes the grant and keeps the rest of the base's mix.
    """
    if mode == "replace":
        return list(mix)
    swapped = {p["instrument"] for p in mix} if mode == "swap" else set()
    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    for policy in base:
        name = policy["instrument"]
        if name in drop:
            continue
        if name in swapped:
            if name not in placed:
                out += [p for p in mix if p["instrument"] == name]
                placed.add(name)
            continue
        out.append(policy)
    return out + [p for p in mix if p["instrument"] not in placed]


def _mix_scenario(base: Scenario, mix: MixSpec, spec: ComparisonSpec, where: str) -> Scenario:
    """The base scenario with the mix's policies and budget: a full, validated scenario."""
    data = base.model_dump(mode="json")
    data["policies"] = combine_policies(data["policies"],
                                        [p.model_dump(mode="json") for p in mix.policies],
                                        mix.mode, mix.drop)
    if mix.budget_rmb is not None and not spec.same_budget:
        data["budget"] = {**data["budget"], "total_rmb": mix.budget_rmb}
    data["labels"] = mix.labels.model_dump()
    data["description"] = mix.description or base.description
    try:
        scenario = Scenario.model_validate(data)
        params = scenario.model_params()
    except ValidationError as exc:  # the parts were checked; this is a rule across them
        raise ScenarioError(f"{where}: {describe(exc, 'the resulting scenario')}") from None
    except ParameterError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    for i, message in loader.mix_problems(scenario, params)[:1]:
        raise ScenarioError(f"{where}: the resulting scenario: policies[{i}].{message}")
    return scenario
