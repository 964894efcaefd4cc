"""What one run will cost before it starts: memory and time, from the cluster's size.

A 2-million-firm cluster with a dense peer network needs tens of gigabytes; saying so before
building it beats a ``MemoryError`` minutes later. The figures are fitted to measurements of
``run_one`` on ``jieyang-city-2023`` resized (Python 3.11, one core of a shared 2-core
machine; ``benchmarks/bench_model.py --cost`` measures them again):

- memory above the interpreter's own: about 40 MB for any model, 500 bytes per firm (state
  arrays, agents) and 42 bytes per firm and peer link (the network is built as sorted 64-bit
  keys, then CSR); measured 43 MB at 10,000 firms, 71 MB at 100,000 firms and 8 peers,
  840 MB at 200 peers, 2.5 GB at 300,000 firms and 200 peers;
- time: building takes about 2 µs per firm plus 0.2 µs per firm and peer link; a month about
  0.5 ms (hundreds of small numpy calls) plus 0.33 µs per firm (7.7 s for 100,000 firms over
  240 months, 24 s for 1,000,000 firms over 60 months).

They are estimates, rounded up by :data:`MARGIN`: a policy mix with many instruments, or a
busier machine, takes longer.
"""

from __future__ import annotations

from dataclasses import dataclass

from catfish.sim.params import ModelParams

BYTES_PER_MODEL = 40e6
BYTES_PER_FIRM = 500
BYTES_PER_LINK = 42
SECONDS_PER_FIRM_BUILD = 2e-6
SECONDS_PER_LINK_BUILD = 2e-7
SECONDS_PER_MONTH = 5e-4
SECONDS_PER_FIRM_MONTH = 3.3e-7
MARGIN = 1.25


@dataclass(frozen=True)
class RunCost:
    """Estimated memory (bytes, above the interpreter's) and wall time (seconds) of one run."""

    bytes: float
    seconds: float


def peer_links(params: ModelParams) -> float:
    """Peer links per firm the network will hold (0 for the complete graph, not materialised)."""
    if params.network == "complete":
        return 0.0
    smallest = min(params.sector_shares) * params.n_smes
    return float(min(params.peer_mean_degree, max(smallest - 1, 0)))


def estimate(params: ModelParams, months: int | None = None) -> RunCost:
    """The memory and time one run of ``params`` (for ``months``, default its own) needs."""
    months = params.months if months is None else months
    firms, links = params.n_smes, peer_links(params)
    memory = BYTES_PER_MODEL + firms * (BYTES_PER_FIRM + BYTES_PER_LINK * links)
    build = firms * (SECONDS_PER_FIRM_BUILD + SECONDS_PER_LINK_BUILD * links)
    step = months * (SECONDS_PER_MONTH + SECONDS_PER_FIRM_MONTH * firms)
    return RunCost(bytes=MARGIN * memory, seconds=MARGIN * (build + step))
