"""The policy-instrument interface: set up, apply each month, react to project events, finalize.

The model calls instruments in the order they are listed, at fixed points of the month (see
``docs/model.md``, "Step order"). An instrument changes the model only through the hooks below
(and the firm and lead-firm arrays they are given) and spends only through
``model.government.pay``, so that every RMB is accounted for under ``spent_<name>_rmb``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from catfish.agents.sme import LIGHT
from catfish.sim.calendar import last_month, month_index
from catfish.sim.policy.parameters import Checked
from catfish.sim.policy.selection import KIND_CODES

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams


@dataclass
class Levers:
    """This month's settings that firms and providers react to; instruments set them in ``apply``.

    Reset to these neutral values at the start of every month.
    """

    # by project kind (index 1 light, 2 deep; 0 unused)
    interest_subsidy_share: np.ndarray = field(default_factory=lambda: np.zeros(3))
    failure_reimbursement_share: np.ndarray = field(default_factory=lambda: np.zeros(3))
    instalment_share: np.ndarray = field(default_factory=lambda: np.zeros(3))
    providers_rated: bool = False             # firms can see provider quality
    min_provider_quality: float = 0.0         # providers below this take no new projects
    stage_log_odds: np.ndarray = field(default_factory=lambda: np.zeros(4))  # by stage 1-3
    extra_visits: np.ndarray | float = 0.0    # visitors (people) hosted this month, by sector
    verified_gain_min: float | None = None    # acceptance threshold (None: the parameter's)
    counted_min_level: int = LIGHT            # lowest accepted level counted as transformed
    counting: bool = True                     # this month's acceptances count toward the target


class Instrument(Checked):
    """Base class of policy instruments; override the hooks an instrument needs.

    An instrument is declared with ``@instrument`` (``sim.policy.parameters``): its fields are
    its parameters, each with its type, default, bounds, unit and meaning. The class docstring
    says what it changes in the model, ``pays_for`` what public money buys and ``sources`` the
    documents that describe it (``docs/policies.md`` is written from all of these).
    """

    name: ClassVar[str] = ""
    pays_for: ClassVar[str] = ""  # what public money buys, for docs/policies.md
    sources: ClassVar[str] = ""  # the documents (docs/sources.md) that describe it

    def __copy__(self) -> Instrument:
        # what copy.copy does for these classes (their state is their __dict__), without its
        # generic protocol: a run copies its mix's instruments, and that took 3 µs each
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    @property
    def account(self) -> str:
        """Name under which spending is reported (``spent_<account>_rmb``)."""
        return self.name

    def validate_for(self, params: ModelParams) -> None:
        """Raise ``ValueError`` (one line) if the instrument cannot work in this cluster."""

    def setup(self, model: ClusterModel) -> None:
        """Called once when the model is built; resets any state of an earlier run."""
        self.account_row = model.government.register(self.account)  # compiled payments book here

    def apply(self, model: ClusterModel) -> None:
        """Called at the start of every month, before firms act."""

    def support_at_start(self, model: ClusterModel, firms: np.ndarray, kinds: np.ndarray,
                         cost: np.ndarray) -> np.ndarray | float:
        """Support firms expect when a project starts, RMB.

        Args:
            model: The model.
            firms: Indices of the deciding firms (columns of ``cost``).
            kinds: Project kinds (1 light, 2 deep), broadcastable against ``cost``.
            cost: Project costs, RMB, shape (kinds, firms).
        """
        return 0.0

    def support_on_acceptance(self, model: ClusterModel, firms: np.ndarray, kinds: np.ndarray,
                              cost: np.ndarray) -> np.ndarray | float:
        """Support firms expect when a project is accepted, RMB (arguments as above)."""
        return 0.0

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` (indices, in queue order) started this month."""

    def stage_log_odds(self, model: ClusterModel, firms: np.ndarray) -> np.ndarray | float:
        """Change in the failure log-odds of new projects' early, middle and late stage.

        For the projects ``firms`` start this month; shape (firms, 3) or broadcastable;
        negative is safer.
        """
        return 0.0

    def on_completion(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` finished their last stage and go to acceptance this month."""

    def on_acceptance(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` were accepted as transformations this month."""

    def on_failure(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` failed or were rejected this month."""

    def finalize(self, model: ClusterModel) -> None:
        """Called once after the last month."""

    def idle_hooks(self) -> tuple[str, ...]:
        """Hooks this instrument overrides that do nothing as it is set: not to be called.

        A grant paid at the start, for instance, never acts on acceptance. Asked once, when a
        model is built. A month with no hook to call at a point runs that part as one compiled
        call (``sim.projects.progress``).
        """
        return ()

    # --- helpers for instruments ----------------------------------------------------------
    def stream(self, model: ClusterModel) -> np.random.Generator:
        """The instrument's own random stream (other streams' draws are left untouched)."""
        return model.streams[self.stream_name]

    @property
    def stream_name(self) -> str:
        """The name of the instrument's own stream."""
        return f"policy:{self.account}"

    def uniforms(self, model: ClusterModel, rows: int = 1) -> np.ndarray:
        """``stream(model).random((rows, n_smes))``: a draw for every firm, as often as asked.

        The numbers are the same; the array is the instrument's own, filled again at the next
        call (an instrument that picks firms draws for all of them every month).
        """
        shape = (rows, model.params.n_smes)
        out = getattr(self, "_uniforms", None)
        if out is None or out.shape != shape:
            out = self._uniforms = np.empty(shape)
        model.streams.fill(self.stream_name, out)
        return out


class Cell:
    """An instrument's number kept in a cell the model hands it, for its compiled hooks too.

    The cell is ``model.counter`` or ``model.running_sum``'s. Declared on the class
    (``left = Cell(int, "...")``); the cell itself is the instance's ``_left``, set in
    ``setup``.
    """

    def __init__(self, kind: type, doc: str) -> None:
        self.kind, self.__doc__ = kind, doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.cell = f"_{name}"

    def __get__(self, instrument: Any, owner: type | None = None) -> Any:
        if instrument is None:
            return self
        return self.kind(getattr(instrument, self.cell)[0])

    def __set__(self, instrument: Any, value: Any) -> None:
        getattr(instrument, self.cell)[0] = value


# the hooks the model calls during a run, in the order of the month (see the class above)
HOOKS = ("apply", "support_at_start", "support_on_acceptance", "on_start", "stage_log_odds",
         "on_completion", "on_acceptance", "on_failure", "finalize")


def bound_hooks(instruments: Iterable[Instrument]) -> dict[str, list[Callable[..., Any]]]:
    """For each hook, the bound methods of the instruments that override it, in their order.

    The base class's hooks do nothing, nor do an instrument's :meth:`Instrument.idle_hooks`;
    skipping them saves a run of a small cluster thousands of calls (a hook is called every
    month, often for every instrument).
    """
    bound: dict[str, list[Callable[..., Any]]] = {hook: [] for hook in HOOKS}
    for i in instruments:
        idle = i.idle_hooks()
        for hook in _overridden_hooks(type(i)):
            if hook not in idle:
                bound[hook].append(getattr(i, hook))
    return bound


@functools.cache  # a class's hooks do not change; every run of a city asks for its mix's
def _overridden_hooks(cls: type) -> tuple[str, ...]:
    return tuple(hook for hook in HOOKS if getattr(cls, hook) is not getattr(Instrument, hook))


MONTH_FIELDS = ("start", "end", "opening")  # parameters that name a calendar month


def check_months(instrument: Instrument, params: ModelParams) -> None:
    """Raise a one-line error if a month the instrument names lies outside the run.

    A month before the first or after the last simulated month would silently do nothing (or
    act from the first month), which is never what a file that names it means. (An ``end``
    before the ``start`` is refused when the instrument is built: ``months_in_order``.)
    """
    first, last = params.start_month, last_month(params.start_month, params.months)
    for name in MONTH_FIELDS:
        month = getattr(instrument, name, None)
        if month is not None and not 1 <= month_index(first, month) <= params.months:
            raise ValueError(f"{name} = {month!r}: must be a month of the run, {first} to "
                             f"{last} (YYYY-MM)")


def step_of(model: ClusterModel, month: str | None, default: int = 1) -> int:
    """The step of calendar ``month`` in this model's run (``default`` if None)."""
    return default if month is None else month_index(model.params.start_month, month)


def covers(kinds_spec: str, kinds: np.ndarray) -> np.ndarray:
    """Which project kinds an instrument's ``kinds`` setting (light, deep, both) covers.

    The same rule as the compiled ``selection.of_kind``, by the same codes (``KIND_CODES``).
    """
    code = KIND_CODES[kinds_spec]
    kinds = np.asarray(kinds)
    return kinds > 0 if code == 0 else kinds == code


def kind_mask(kinds_spec: str) -> np.ndarray:
    """1.0 for the kinds covered, by kind index (0 unused, 1 light, 2 deep)."""
    return covers(kinds_spec, np.arange(3)).astype(float)


def in_window(model: ClusterModel, start: str | None, end: str | None) -> bool:
    """Whether this month lies from calendar month ``start`` to ``end`` (either open)."""
    if start is None and end is None:  # most instruments: the whole run (asked every month)
        return 1 <= model.month <= model.params.months
    first, last = _window(model.params.start_month, model.params.months, start, end)
    return first <= model.month <= last


@functools.lru_cache(maxsize=1024)  # instruments ask every month
def _window(start_month: str, months: int, start: str | None,
            end: str | None) -> tuple[int, int]:
    first = 1 if start is None else month_index(start_month, start)
    last = months if end is None else month_index(start_month, end)
    return first, last


def sector_mask(params: ModelParams, sectors: tuple[str, ...]) -> np.ndarray:
    """True for the sectors named (all sectors if none are named), by sector index."""
    if not sectors:
        return np.ones(len(params.sector_names), bool)
    return np.isin(np.asarray(params.sector_names), sectors)


def check_sectors(name: str, sectors: tuple[str, ...], params: ModelParams) -> None:
    """Raise a one-line error if ``sectors`` names a sector the cluster does not have."""
    unknown = [x for x in sectors if x not in params.sector_names]
    if unknown:
        raise ValueError(f"{name} = {list(sectors)}: {unknown[0]!r} is not a sector of this "
                         f"cluster (sectors: {', '.join(params.sector_names)})")
