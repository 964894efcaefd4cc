"""Decision analysis over worlds: which mix is robust, when it loses, and what is worth knowing.

Every function here is a pure function of two tables, never of a model or a file:

- ``runs``: one row per (mix, replicate) with the outcome columns of a comparison;
- ``worlds``: one row per replicate, one float column per uncertain parameter (the joint draw
  that replicate ran in, the same in every mix).

:mod:`.robustness` scores the mixes across worlds, :mod:`.flips` finds the worlds where the
choice flips (PRIM), :mod:`.variance` how much of a gap between two mixes each parameter
explains (RBD-FAST), and :mod:`.value_of_information` prices learning a parameter before
choosing (EVPPI). None of them imports charts, reports or the command line.
"""

from catfish.experiments.analysis.flips import Rule, describe, find_rule, flip_table
from catfish.experiments.analysis.robustness import (
    OBJECTIVES,
    Objective,
    best_mix,
    get_objective,
    objective_values,
    robustness,
)
from catfish.experiments.analysis.value_of_information import evppi, evppi_estimate
from catfish.experiments.analysis.variance import variance_share_table, variance_shares

__all__ = [
    "OBJECTIVES",
    "Objective",
    "Rule",
    "best_mix",
    "describe",
    "evppi",
    "evppi_estimate",
    "find_rule",
    "flip_table",
    "get_objective",
    "objective_values",
    "robustness",
    "variance_share_table",
    "variance_shares",
]
