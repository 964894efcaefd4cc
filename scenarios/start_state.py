"""Where a scenario's sectors start: another shipped scenario's end state, run once and kept.

An entry of a scenario's ``start_state`` that names ``from_scenario`` starts its sector where
that shipped scenario left one of its sectors (``from_sector``). The other scenario runs as
it is shipped (its own cluster, behaviour and policy mix, not this scenario's) with a fixed
seed (``seed``, 0 unless the entry says otherwise), to its last month; the shares of its
firms in each state there become the sector's starting shares (``sim.start_state``: queued
firms and firms in a first project start willing). The seed is fixed because a world's
starting state is an input, not noise: every replicate, world and policy mix of a comparison
starts from the same state, so comparisons stay paired. Each (scenario, seed) runs once per
process.

Only shipped scenarios can be named, so a scenario file means the same wherever it is read;
a chain of starting states must not return to where it began.
"""

from __future__ import annotations

import functools
import multiprocessing
import sys
import threading
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from catfish.agents import jit
from catfish.sim.model import ClusterModel
from catfish.sim.start_state import end_shares

SEED = 0  # the default seed of the run whose end state a sector starts from


def source_problem(name: str, from_scenario: str, from_sector: str) -> str | None:
    """What is wrong with starting from ``from_scenario``'s ``from_sector`` (one line), or None.

    Args:
        name: The scenario that starts from it.
        from_scenario: The shipped scenario named.
        from_sector: The sector of it whose end state is taken.

    Returns:
        ``field = value: rule``, or None.
    """
    from catfish.scenarios.loader import (  # the loader validates with us
        ScenarioError,
        shipped_names,
    )

    shipped = shipped_names()
    if from_scenario == name:
        return (f"from_scenario = {from_scenario!r}: a scenario cannot start from its own end "
                f"state")
    if from_scenario not in shipped:
        return (f"from_scenario = {from_scenario!r}: not a shipped scenario (shipped: "
                f"{', '.join(shipped)})")
    chain = _cycle(name, from_scenario)
    if chain is not None:
        return (f"from_scenario = {from_scenario!r}: starting states run in a cycle "
                f"({' -> '.join([name, *chain])})")
    try:
        sectors = _sectors(from_scenario)
    except ScenarioError as exc:
        return f"from_scenario = {from_scenario!r}: cannot be loaded ({exc})"
    if from_sector not in sectors:
        return (f"from_sector = {from_sector!r}: not a sector of {from_scenario} (sectors: "
                f"{', '.join(sectors)})")
    return None


def start_shares(from_scenario: str, from_sector: str, seed: int) -> dict[str, float]:
    """Starting shares from a shipped scenario's end state in ``from_sector`` (a fresh dict)."""
    return dict(_end_state(from_scenario, seed)[from_sector])


@functools.cache
def _end_state(name: str, seed: int) -> dict[str, dict[str, float]]:
    """Run a shipped scenario to its last month: sector -> starting shares at its end.

    Kept per process (callers get copies): a comparison asks for it in every replicate.
    A process that has not run the model yet (a comparison's or sweep's coordinator, which
    loads the scenarios and leaves the runs to its workers) runs it in a forked child, so
    that it does not load the compiled engine, about 100 MB, for one run.
    """
    if not jit.loaded():
        shares = _in_forked_child(_run_to_end, name, seed)
        if shares is not None:
            return shares
    return _run_to_end(name, seed)


def _in_forked_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` computed in a forked child; None where that cannot be done.

    Only on Linux (macOS has fork, but system libraries a process has loaded may crash a
    forked child, which is why Python spawns there), in a process that is not a daemon (a
    pool's worker, which may have no children) and runs no other Python thread (a fork copies
    one thread; another holding a lock would leave the child stuck). A child that fails to
    report (killed, out of memory) leaves the work to the caller; an error of the function
    itself is raised here, as if it had run here.
    """
    if not sys.platform.startswith("linux") or threading.active_count() > 1 \
            or multiprocessing.current_process().daemon:
        return None
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with warnings.catch_warnings():  # Python 3.12 warns of numpy's idle native threads
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(target=_report, args=(send, function, args), daemon=True)
        child.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:  # the child died without a word
        return None
    finally:
        receive.close()
        child.join()
    if not ok:
        raise value
    return value


def _report(send: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: send ``(True, result)``, or ``(False, error)`` if the function raised."""
    try:
        message: tuple[bool, Any] = (True, function(*args))
    except Exception as exc:  # handed to the parent, which raises it
        message = (False, exc)
    send.send(message)
    send.close()


def _run_to_end(name: str, seed: int) -> dict[str, dict[str, float]]:
    from catfish.scenarios.loader import load

    params, mix = load(name).model_inputs()
    model = ClusterModel(params, rng=seed, policies=mix)
    while model.running:
        model.step()
    s = model.smes
    return {sector: end_shares(s.state, s.level, s.sector, k)
            for k, sector in enumerate(params.sector_names)}


@functools.cache
def _sectors(name: str) -> tuple[str, ...]:
    from catfish.scenarios.loader import load

    return tuple(x.name for x in load(name).cluster.smes.sectors)


def _references(name: str) -> tuple[str, ...]:
    """The scenarios a shipped scenario's ``start_state`` names, read from its file as written.

    Read without validating, so that a cycle is found before any scenario of it is loaded
    (loading one would load the next, and so on); a file that cannot be read names none here
    and reports its own problem when it is loaded.
    """
    from catfish.scenarios.loader import SHIPPED, ScenarioError, read_yaml

    try:
        data: Any = read_yaml(SHIPPED / f"{name}.yaml")
    except ScenarioError:
        return ()
    entries = data.get("start_state") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return ()
    return tuple(e["from_scenario"] for e in entries
                 if isinstance(e, dict) and isinstance(e.get("from_scenario"), str))


def _cycle(name: str, first: str) -> list[str] | None:
    """Where following starting states from ``first`` runs in a cycle, or None.

    Returns:
        The chain ``first -> ... -> name`` if it returns to ``name``, or the chain into a
        cycle of its own; None if it ends.
    """
    path: list[str] = []
    done: set[str] = set()

    def visit(current: str) -> list[str] | None:
        if current == name or current in path:
            return [*path, current]
        if current in done:
            return None
        path.append(current)
        for following in _references(current):
            found = visit(following)
            if found is not None:
                return found
        path.pop()
        done.add(current)
        return None

    return visit(first)
