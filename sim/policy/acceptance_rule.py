"""Acceptance rule: what counts as transformed (hardware-only purchases never do)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from catfish.agents.sme import DEEP, LIGHT
from catfish.sim.policy.base import (
    Instrument,
    check_at_least,
    check_choice,
    check_month,
    check_numbers,
    each,
    in_window,
)

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel


@dataclass
class AcceptanceRule(Instrument):
    """Sets how completed projects are judged, and which accepted levels count to the target.

    A completed project is accepted when its verified gain (realised gain as a share of the
    expected gain, from data: efficiency up, cost down) reaches ``min_verified_gain``;
    hardware-only purchases (computers, servers, printers, office software) are always
    rejected. ``counts`` says whether light projects count toward the target or only deep
    ones. A third-party check costs ``check_cost_rmb`` per completed project.

    The target counts the firms the city has accepted (source 001 reports each city's
    "acceptance completion ratio", 验收完成比例): a project accepted before ``start``, when the
    city's acceptance process was not yet in force, does not count toward the target (the
    firm is still transformed, and peers still see it).

    Args:
        min_verified_gain: Least verified gain for acceptance, share of the expected gain.
        counts: ``"light_or_deep"`` or ``"deep_only"``.
        check_cost_rmb: Public money per acceptance check, RMB.
        start: First month whose acceptances count toward the target, YYYY-MM (default: the
            scenario's start).

    Source: 001 (hardware-only purchases must not count; judge by data), 003 (the lead unit
    answers for acceptance).
    """

    min_verified_gain: float = 0.3
    counts: Literal["light_or_deep", "deep_only"] = "light_or_deep"
    check_cost_rmb: float = 5_000.0
    start: str | None = None
    name: ClassVar[str] = "acceptance_rule"
    pays_for: ClassVar[str] = "check_cost_rmb per project that reaches acceptance"

    def __post_init__(self) -> None:
        check_numbers(self)
        if not 0 <= self.min_verified_gain <= 5:
            raise ValueError(f"min_verified_gain = {self.min_verified_gain!r}: must be between "
                             f"0 and 5")
        check_choice("counts", self.counts, ("light_or_deep", "deep_only"))
        check_at_least("check_cost_rmb", self.check_cost_rmb)
        check_month("start", self.start)

    def apply(self, model: ClusterModel) -> None:
        """Put the rule in force for this month's acceptances and count."""
        model.levers.verified_gain_min = self.min_verified_gain
        model.levers.counted_min_level = DEEP if self.counts == "deep_only" else LIGHT
        model.levers.counting = in_window(model, self.start, None)

    def on_completion(self, model: ClusterModel, firms: np.ndarray) -> None:
        """Pay for the checks of projects that reached acceptance."""
        if len(firms) and self.check_cost_rmb > 0:
            model.government.pay(self.account, each(self.check_cost_rmb, len(firms)))
