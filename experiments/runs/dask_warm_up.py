"""Dask workers warm up as they start, as local worker processes do (``sim.warm``).

Apart from ``executors`` so that nothing imports Dask unless Dask runs the work.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class WarmUp(WorkerPlugin):
    """Each worker, present or joining later, compiles the model's hot paths as it starts."""

    name = "catfish-warm-up"

    def setup(self, worker: Any) -> None:
        """Compile, or load from numba's cache, what a run calls (``sim.warm.warm_up``)."""
        from catfish.sim.warm import warm_up

        warm_up()  # not settle_worker: a Dask worker's event loop keeps objects of its own


def register_warm_up(client: Any) -> None:
    """Have every worker of ``client``'s cluster warm up (``register_plugin`` since 2023.9)."""
    register = getattr(client, "register_plugin", None) or client.register_worker_plugin
    register(WarmUp())
