"""Where runs execute: in this process, or on any ``concurrent.futures.Executor``.

Experiments hand a picklable function and a list of items to :func:`map_in_order`; it sends
the items in chunks (so that a 50 ms run does not pay a process round trip each) and returns
the results in the items' order, whatever order the chunks finish in. That is why the same
seeds give identical tables with any number of workers. To run on a cluster later, pass
another executor, e.g. Dask's ``distributed.Client(...).get_executor()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNKS_PER_WORKER = 8  # enough chunks that workers finish together and progress moves
MAX_CHUNK = 50


@contextmanager
def local_executor(workers: int) -> Iterator[Executor | None]:
    """An executor for ``workers`` local processes, or None (run in this process) for one.

    On leaving, pending work is cancelled, so an interrupt or error does not wait for the
    rest of the runs.
    """
    if workers <= 1:
        yield None
        return
    executor = ProcessPoolExecutor(max_workers=workers)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def chunk_size(n_items: int, workers: int) -> int:
    """Items per chunk: about ``CHUNKS_PER_WORKER`` chunks per worker, at most ``MAX_CHUNK``."""
    if n_items <= 0:
        return 1
    return max(1, min(MAX_CHUNK, math.ceil(n_items / (max(1, workers) * CHUNKS_PER_WORKER))))


def run_chunk(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """Apply ``fn`` to each item of a chunk (runs in a worker; module level so it pickles)."""
    return [fn(item) for item in items]


def map_in_order(fn: Callable[[T], R], items: Sequence[T], *, executor: Executor | None = None,
                 workers: int = 1, progress: Callable[[int], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, on ``executor`` if given, results in input order.

    Args:
        fn: A picklable (module-level) function of one item.
        items: The work, each item picklable.
        executor: Where to run; None runs here, one item at a time.
        workers: How many workers ``executor`` has (sets the chunk size).
        progress: Called with the number of items just finished.
    """
    done = progress or (lambda n: None)
    if executor is None:
        results = []
        for item in items:
            results.append(fn(item))
            done(1)
        return results
    size = chunk_size(len(items), workers)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    futures = {executor.submit(run_chunk, fn, chunk): k for k, chunk in enumerate(chunks)}
    by_chunk: list[list[R]] = [[] for _ in chunks]
    for future in as_completed(futures):
        k = futures[future]
        by_chunk[k] = future.result()
        done(len(chunks[k]))
    return [result for chunk in by_chunk for result in chunk]
