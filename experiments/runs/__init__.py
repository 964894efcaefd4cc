"""Making runs: designs, executors, the crash-safe store, and the engine that joins them.

Nothing here reads a result to summarise it or draws a chart: that is ``experiments.analysis``
and ``experiments.outputs``, which import from here, never the other way.
"""
