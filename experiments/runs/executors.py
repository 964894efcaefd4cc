"""Where runs execute: in this process, local processes, or Dask.

:class:`Workers` is the one object a job is given: a context manager that starts a local
process pool (:func:`local_executor`, spawned workers that die with their coordinator) or a
Dask client (:func:`dask_executor`, a LocalCluster or a running scheduler) and hands the engine
(``experiments.runs.engine``) a ``concurrent.futures.Executor``. Results never depend on which:
each run depends only on its task and its seed.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any

PARENT_CHECK_SECONDS = 1.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STARTTIME = 22 - 3  # field 22 of /proc/<pid>/stat, counted from field 3 (see proc_stat)
HAS_PROC = os.path.exists("/proc/self/stat")


@contextmanager
def local_executor(workers: int) -> Iterator[Executor | None]:
    """An executor for ``workers`` local processes, or None (run in this process) for one.

    On leaving, pending work is cancelled, so an interrupt or error does not wait for the
    rest of the runs. Workers are spawned, not forked: a coordinator has threads (Arrow's,
    Dask's) by the time it starts workers, and forking a threaded process can deadlock the
    child (Mesa 3.3 makes spawn the default when imported; Mesa 3.5 only in batch_run).
    Workers exit when the coordinator dies (see :func:`exit_with_coordinator`), and compile
    the model's hot paths before they take a run (:func:`start_worker`).
    """
    if workers <= 1:
        yield None
        return
    me = os.getpid()
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                   initializer=start_worker,
                                   initargs=(me, process_start_time(me)))
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def start_worker(coordinator: int, started: int | None = None) -> None:
    """Pool initializer: die with the coordinator, then warm up (``sim.warm.settle_worker``).

    Compiling (or loading from numba's cache) before the first task means no run pays for
    it, and a batch's time is the runs' own.
    """
    exit_with_coordinator(coordinator, started)
    from catfish.sim.warm import settle_worker

    settle_worker()


def exit_with_coordinator(coordinator: int, started: int | None = None) -> None:
    """Pool initializer: end this worker as soon as the coordinating process dies.

    A process pool's workers outlive a coordinator killed with SIGKILL (they wait forever
    for work that will not come), holding memory across every resume of a long sweep, and
    holding the coordinator's stdout: a wrapper reading that to the end hangs.

    A worker started by the coordinator asks Linux to kill it with its parent, and watches
    for being handed to another parent. One started by a fork server, or whose parent died
    before it got here, watches whether the coordinator is still running.

    Args:
        coordinator: Process id of the process that made the pool.
        started: Its :func:`process_start_time`, so that a process given its id later is not
            taken for it; None if unknown.
    """
    started_by_it = os.getppid() == coordinator
    if started_by_it:
        die_with_parent()

    def coordinator_alive() -> bool:
        if started_by_it:  # the parent id changes as the parent exits, before it is reaped
            return os.getppid() == coordinator
        return process_alive(coordinator, started)

    # checked now, not only by the thread: the parent may have died just before prctl, and
    # a worker of a dead coordinator should not take a task
    if not coordinator_alive():
        os._exit(1)

    def watch() -> None:
        while coordinator_alive():
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-coordinator", daemon=True).start()


def die_with_parent() -> None:
    """On Linux, have the kernel SIGKILL this process when its parent thread ends.

    Immediate, where the polling in :func:`exit_with_coordinator` takes up to a second; that
    stays as the backstop elsewhere or if prctl fails. The signal comes when the *thread* that
    started this process ends: a pool's workers are started by the thread that submits work,
    which in :func:`local_executor` is the thread in its ``with`` block, so outlives them.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    except (OSError, AttributeError):  # pragma: no cover - no usable libc: the thread still polls
        pass


def process_start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot), or None: no such process or no /proc.

    With its id, this names a process: ids are reused, start times (of one id) are not.
    """
    fields = proc_stat(pid)
    return None if fields is None else int(fields[STARTTIME])


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether process ``pid`` is running: it exists, is not a zombie, and started at ``started``.

    ``os.kill(pid, 0)`` is not enough: it succeeds for a zombie, a process that has exited but
    whose parent has not collected its exit status yet. A wrapper that reads a killed
    coordinator's output to the end before waiting for it keeps the coordinator a zombie
    until the workers holding that output exit. On Linux this reads ``/proc``; elsewhere it
    falls back to ``os.kill`` (zombies pass for alive there).

    Args:
        pid: Process id.
        started: Its :func:`process_start_time`, to tell it from a later process given the
            same id; None: not checked.
    """
    if not HAS_PROC:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - exists, owned by someone else
            return True
        return True
    fields = proc_stat(pid)
    if fields is None or fields[0] in ("Z", "X"):  # X: dead, being removed
        return False
    return started is None or int(fields[STARTTIME]) == started


def proc_stat(pid: int) -> list[str] | None:
    """Fields 3 onwards of ``/proc/<pid>/stat`` (state first), or None if it cannot be read.

    Field 2 is the command name in parentheses, and may itself hold spaces and parentheses
    (a program can call itself anything), so the fields after it start after the last ')'.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read()
    except OSError:
        return None
    return stat[stat.rindex(b")") + 1:].decode("ascii").split()


@contextmanager
def dask_executor(scheduler: str | None = None,
                  local_workers: int | None = None) -> Iterator[Executor]:
    """Dask distributed's executor: on a running scheduler, or on a local cluster.

    Args:
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``); its workers
            must have catfish installed. None starts a local cluster on this machine.
        local_workers: Worker processes of the local cluster (one thread each; default:
            one per CPU). Not with ``scheduler``.

    The local cluster listens on 127.0.0.1 only, has no dashboard and no worker profiler.
    On leaving, pending work is cancelled and the client and cluster are shut down.

    Raises:
        ValueError: Both ``scheduler`` and ``local_workers`` were given.
    """
    import dask
    from catfish.experiments.runs.dask_warm_up import register_warm_up
    from distributed import Client, LocalCluster

    if scheduler is not None and local_workers is not None:
        raise ValueError("dask_executor: give a scheduler address or local workers, not both")
    cluster = None
    if scheduler is None:
        # workers' sampling profiler walks stacks every 10 ms: about 5 % of a CPU-bound run
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=local_workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   # no dashboard; the health page on a free port, not 8787
                                   scheduler_kwargs={"dashboard_address": ":0"})
    try:
        client = Client(cluster if cluster is not None else scheduler, set_as_default=False)
        try:
            register_warm_up(client)
            # pure=False: tasks are never deduplicated, and their arguments are not hashed
            executor = client.get_executor(pure=False)
            try:
                yield executor
            finally:
                executor.shutdown(wait=False)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def worker_count(executor: Executor | None) -> int:
    """How many runs ``executor`` can make at once (1 for None, run in this process).

    For Dask, the threads of the workers connected now (at least 1: a cluster's workers
    may still be starting).
    """
    if executor is None:
        return 1
    client = getattr(executor, "_client", None)  # Dask's ClientExecutor
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return max(1, int(getattr(executor, "_max_workers", 1)))


class Workers:
    """Where runs go, as one object: here, local processes, a Dask LocalCluster or a scheduler.

    As EMA Workbench's evaluators are, it is a context manager: entering starts the workers
    (a process pool, a local cluster, a client of a running scheduler), leaving stops them and
    cancels what is pending. Inside, :attr:`executor` is the ``concurrent.futures.Executor``
    (None: this process) and :attr:`count` how many runs it makes at once. Every job takes one
    instead of threading ``workers``, ``dask_local`` and ``scheduler`` through its functions::

        with Workers(2) as workers:
            run_design(design, store, workers)

    Args:
        processes: Local worker processes (1: run in this process). Ignored with
            ``dask_local`` or ``scheduler``.
        dask_local: Start a Dask ``LocalCluster`` with this many single-thread workers.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``); its workers
            must have this version of Catfish installed.

    Raises:
        ValueError: Both ``dask_local`` and ``scheduler``, or a count below 1.
    """

    def __init__(self, processes: int = 1, *, dask_local: int | None = None,
                 scheduler: str | None = None) -> None:
        if dask_local is not None and scheduler:
            raise ValueError("--scheduler and --dask-local exclude each other")
        if processes < 1 or (dask_local is not None and dask_local < 1):
            raise ValueError("workers: at least 1")
        self.processes = int(processes)
        self.dask_local = dask_local
        self.scheduler = scheduler or None
        self.executor: Executor | None = None
        self.count = 1
        self._stack: Any = None

    @property
    def kind(self) -> str:
        """``in-process``, ``processes``, ``dask-local`` or ``dask-scheduler``."""
        if self.scheduler:
            return "dask-scheduler"
        if self.dask_local is not None:
            return "dask-local"
        return "processes" if self.processes > 1 else "in-process"

    @property
    def planned(self) -> int:
        """The workers asked for (a scheduler's are known only once connected: 1 until then)."""
        if self.scheduler:
            return max(self.count, 1)
        return self.dask_local if self.dask_local is not None else self.processes

    def describe(self) -> str:
        """For people and manifests, e.g. ``2 local processes``."""
        n = self.count if self.executor is not None or self.kind == "in-process" \
            else self.planned
        return {"in-process": "this process",
                "processes": f"{n} local processes",
                "dask-local": f"a Dask LocalCluster of {n} workers",
                "dask-scheduler": f"the Dask scheduler at {self.scheduler}"}[self.kind]

    def __enter__(self) -> Workers:
        import contextlib

        stack = contextlib.ExitStack()
        try:
            if self.kind.startswith("dask"):
                self.executor = stack.enter_context(dask_executor(
                    scheduler=self.scheduler, local_workers=self.dask_local))
                self.count = self.dask_local or worker_count(self.executor)
            else:
                self.executor = stack.enter_context(local_executor(self.processes))
                self.count = self.processes
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def __exit__(self, *exc_info: object) -> None:
        stack, self._stack, self.executor = self._stack, None, None
        if stack is not None:
            stack.close()
