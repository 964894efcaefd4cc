"""Policy instruments: one class per instrument, a registry from the names used in files."""

from __future__ import annotations

from sim.policy.base import Instrument, Levers
from sim.policy.grant import Grant

REGISTRY: dict[str, type[Instrument]] = {
    Grant.name: Grant,
}


def make_instrument(name: str, **params: object) -> Instrument:
    """Build the instrument registered under ``name`` with its parameters."""
    try:
        cls = REGISTRY[name]
    except KeyError:
        raise ValueError(f"policy instrument {name!r}: unknown; known are "
                         f"{', '.join(sorted(REGISTRY))}") from None
    return cls(**params)


def default_policy_mix() -> list[Instrument]:
    """The built-in default mix: a 30 % grant on project cost, capped at 0.3 M RMB per firm."""
    return [Grant(share=0.3, cap_rmb=300_000.0, paid_on="start", kinds="both")]


__all__ = ["REGISTRY", "Grant", "Instrument", "Levers", "default_policy_mix", "make_instrument"]
