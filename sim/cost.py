"""What one run will cost before it starts: memory and time, from the cluster's size.

A 2-million-firm cluster with a dense peer network needs tens of gigabytes; saying so before
building it beats a ``MemoryError`` minutes later. The figures are fitted to measurements of
runs of the default cluster resized, in a process that has warmed up (Python 3.11, one core of
a shared 2-core machine; ``benchmarks/bench_model.py --cost`` measures them again):

- memory above the interpreter's own: about 80 MB for any model (two thirds of it the
  compiled month, ``sim.warm``, which a process loads once), 280 bytes per firm (state arrays)
  and 23 bytes per firm and peer link (the network as CSR); measured 56 MB at 100,000 firms
  and 8 peers, 265 MB at 100 peers, 421 MB at 300,000 firms and 50 peers, above the 66 MB of
  compiled code;
- time: building takes about 0.2 µs per firm plus 0.09 µs per firm and peer link; a month
  about 150 µs (the default mix's instruments and some fifty compiled calls) plus 0.03 µs per
  firm (0.14 s for 100,000 firms over 24 months, 1.3 s for 300,000 firms and 50 peers over
  6 months). A process's first run also loads the compiled code: half a second, once.

They are estimates, rounded up by :data:`MARGIN`: a policy mix with many instruments, or a
busier machine, takes longer.
"""

from __future__ import annotations

from dataclasses import dataclass

from catfish.sim.params import ModelParams

BYTES_PER_MODEL = 80e6
BYTES_PER_FIRM = 280
BYTES_PER_LINK = 23
SECONDS_PER_FIRM_BUILD = 2e-7
SECONDS_PER_LINK_BUILD = 9e-8
SECONDS_PER_MONTH = 1.5e-4
SECONDS_PER_FIRM_MONTH = 3e-8
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
