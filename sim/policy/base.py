"""The policy-instrument interface: set up, apply each month, react to project events, finalize.

The model calls instruments in the order they are listed, at fixed points of the month (see
``docs/model.md``, "Step order"). An instrument changes the model only through the hooks below
and spends only through ``model.government.pay`` so that every RMB is accounted for under
``spent_<name>_rmb``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sim.model import ClusterModel


@dataclass
class Levers:
    """This month's settings that firms and providers react to; instruments set them in ``apply``.

    Reset to these neutral values at the start of every month.
    """

    interest_subsidy_share: float = 0.0       # share of project-loan interest the state pays
    failure_reimbursement_share: float = 0.0  # share of a failed project's outlay reimbursed
    providers_rated: bool = False             # firms can see provider quality
    stage_log_odds: np.ndarray = field(default_factory=lambda: np.zeros(4))  # by stage 1-3


class Instrument:
    """Base class of policy instruments; override the hooks an instrument needs."""

    name: ClassVar[str] = ""

    @property
    def account(self) -> str:
        """Name under which spending is reported (``spent_<account>_rmb``)."""
        return self.name

    def setup(self, model: ClusterModel) -> None:
        """Called once when the model is built."""
        model.government.register(self.account)

    def apply(self, model: ClusterModel) -> None:
        """Called at the start of every month, before firms act."""

    def support_at_start(self, model: ClusterModel, kinds: np.ndarray,
                         cost: np.ndarray) -> np.ndarray | float:
        """Support firms expect when a project starts, RMB.

        Args:
            model: The model.
            kinds: Project kinds (1 light, 2 deep), broadcastable against ``cost``.
            cost: Project costs, RMB.
        """
        return 0.0

    def support_on_acceptance(self, model: ClusterModel, kinds: np.ndarray,
                              cost: np.ndarray) -> np.ndarray | float:
        """Support firms expect when a project is accepted, RMB (arguments as above)."""
        return 0.0

    def on_start(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` (indices, in queue order) started this month."""

    def on_acceptance(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` were accepted as transformations this month."""

    def on_failure(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Projects of ``firms`` failed or were rejected this month."""

    def finalize(self, model: ClusterModel) -> None:
        """Called once after the last month."""
