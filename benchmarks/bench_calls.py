"""What a call into compiled code costs, and how many calls a month of a run makes.

Run: ``python benchmarks/bench_calls.py [NAME] [--runs N]`` (NAME a shipped scenario, or
``default`` for the built-in cluster, the default).

- The cost of calling a compiled function from Python: with no argument, one array, twenty
  arrays, and one array handed back (what ``docs/architecture.md``, "Few calls from Python",
  quotes).
- The cost of a call back from compiled code into Python (numba's ``objmode``), to a Python
  function handed one array and to numpy's ``exp`` of 20 numbers: what a month compiled as one
  call would pay for each instrument hook it calls back, and for each step that must stay
  numpy's to keep the numbers (``docs/architecture.md``, "Few calls from Python").
- The cost of handing a compiled function sixty arrays: as sixty arguments read from an
  object's attributes, as the month's calls do, as one tuple made once, or as one numba
  ``structref`` that holds them (made once; numba caches the functions that take one, unlike
  a ``jitclass``; it cannot be made with ``NUMBA_DISABLE_JIT=1``).
- Per month of the run, after a warm-up: the calls into compiled functions (``agents.jit``)
  and the other Python calls (functions, methods and built-ins, as ``cProfile`` counts them).
- Per run: the crossings from Python into compiled code (calls, arrays and other arguments
  handed over, calls handing arrays back), counted by wrapping the compiled functions that
  Python calls, and what they cost at the prices above: the part of a run that compiling the
  month as one call would save before any of its work.
- Where a run's time goes (:func:`time_split`): building the model, the months' work inside
  compiled code, the crossings into it, the Python between the calls, and the tables. What a
  month compiled as one call would still pay is roughly the first two and the last: an
  estimate of that route's floor, not a measurement of it.
- The same split of the months by phase of the month and by instrument hook
  (:func:`phase_split`, with ``--phases``): where the Python between the calls is, and so what
  compiling each phase could save at most.

For deciding what to fuse next; the speed targets are ``bench_engine.py``'s.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import time
import timeit
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from catfish.agents.jit import COMPILED, compiled
from catfish.sim import metrics, projects, run_one
from catfish.sim.model import ClusterModel, FastCollector
from catfish.sim.run import finish_run
from catfish.sim.streams import MonthlyDraws
from catfish.sim.warm import settle_worker
from numba import njit, objmode, types
from numba.experimental import structref

from catfish import scenarios


@compiled
def _nothing() -> int:
    return 0


@compiled
def _one(a: np.ndarray) -> int:
    return 0


@compiled
def _twenty(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray,
            f: np.ndarray, g: np.ndarray, h: np.ndarray, i: np.ndarray, j: np.ndarray,
            k: np.ndarray, m: np.ndarray, n: np.ndarray, o: np.ndarray, p: np.ndarray,
            q: np.ndarray, r: np.ndarray, s: np.ndarray, t: np.ndarray, u: np.ndarray) -> int:
    return 0


@compiled
def _handed_back(a: np.ndarray) -> np.ndarray:
    return a[:3]


def _hook(firms: np.ndarray) -> float:
    """What an instrument's hook stands for here: a Python function handed the firms."""
    return float(len(firms))


@compiled
def _calling_back(firms: np.ndarray, times: int) -> float:
    total = 0.0
    for _ in range(times):
        with objmode(answer="float64"):
            answer = _hook(firms)
        total += answer
    return total


@compiled
def _exp_called_back(x: np.ndarray, times: int) -> float:
    total = 0.0
    for _ in range(times):
        with objmode(y="float64[:]"):
            y = np.exp(x)
        total += y[0]
    return total


def callback_costs(times: int = 100_000) -> dict[str, float]:
    """Nanoseconds per call back into Python from a compiled loop (the fastest of three)."""
    firms, x = np.arange(20), np.linspace(0.0, 1.0, 20)
    _calling_back(firms, 1)
    _exp_called_back(x, 1)
    return {"a call back into Python with one array":
            min(timeit.repeat(lambda: _calling_back(firms, times), number=1, repeat=3))
            / times * 1e9,
            "numpy's exp of 20 numbers, called back":
            min(timeit.repeat(lambda: _exp_called_back(x, times), number=1, repeat=3))
            / times * 1e9}


STATE_ARRAYS = 60  # about as many as a month's work reads of the model's state


@structref.register
class _StateType(types.StructRef):
    def preprocess_fields(self, fields: Any) -> tuple[tuple[str, Any], ...]:
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class _State(structref.StructRefProxy):
    """Sixty arrays held by one object that compiled code reads as fields."""


_STATE_FIELDS = [f"a{i}" for i in range(STATE_ARRAYS)]
structref.define_proxy(_State, _StateType, _STATE_FIELDS)


@njit
def _from_state(state: Any) -> float:
    return state.a0[0] + state.a59[0]


def _sixty_arguments() -> Callable[..., float]:
    """A compiled function of sixty arrays (written out: numba takes no ``*args`` of arrays)."""
    names = ", ".join(_STATE_FIELDS)
    namespace: dict[str, Any] = {"njit": njit}
    exec(f"@njit\ndef sixty({names}):\n    return a0[0] + a59[0]\n", namespace)  # noqa: S102
    return namespace["sixty"]


@njit
def _from_tuple(arrays: tuple[np.ndarray, ...]) -> float:
    return arrays[0][0] + arrays[-1][0]


def state_costs(number: int = 20_000) -> dict[str, float]:
    """Microseconds per call handing sixty arrays over: as arguments, as one tuple made once
    (numba unboxes each of its arrays at every call, as it does arguments), or as one
    structref."""
    arrays = [np.zeros(1000) for _ in range(STATE_ARRAYS)]
    held = tuple(arrays)
    holder = type("Holder", (), dict(zip(_STATE_FIELDS, arrays, strict=True)))()
    sixty, state = _sixty_arguments(), _State(*arrays)
    names = ", ".join(f"holder.{name}" for name in _STATE_FIELDS)
    as_arguments = eval(f"lambda: sixty({names})", {"sixty": sixty, "holder": holder})  # noqa: S307
    calls = {"sixty arrays as arguments": as_arguments,
             "sixty arrays in one tuple made once": lambda: _from_tuple(held),
             "sixty arrays in one structref": lambda: _from_state(state)}
    for call in calls.values():
        call()
    return {name: min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6
            for name, call in calls.items()}


def call_costs(number: int = 200_000) -> dict[str, float]:
    """Nanoseconds per call of the four functions above (the fastest of three timings)."""
    x = np.zeros(1000)
    calls = {"no argument": lambda: _nothing(), "one array": lambda: _one(x),
             "twenty arrays": lambda: _twenty(*[x] * 20),
             "one array, one handed back": lambda: _handed_back(x)}
    for call in calls.values():
        call()  # compiled (or loaded) before it is timed
    return {name: min(timeit.repeat(call, number=number, repeat=3)) / number * 1e9
            for name, call in calls.items()}


def calls_per_month(name: str, runs: int) -> dict[str, float]:
    """Compiled and other Python calls per month of ``runs`` runs, as cProfile counts them."""
    settle_worker()
    scenario = None if name == "default" else scenarios.load(name)
    for seed in range(10):
        run_one(scenario, seed=seed)
    profile = cProfile.Profile()
    profile.enable()
    months = sum(len(run_one(scenario, seed=seed).columns["month"]) for seed in range(runs))
    profile.disable()
    kernels = {(f.py_func.__code__.co_filename, f.py_func.__code__.co_firstlineno)
               for f in COMPILED}
    compiled_calls = other = 0
    for (path, line, _), (_, calls, *_) in pstats.Stats(profile).stats.items():
        if (path, line) in kernels:
            compiled_calls += calls
        else:
            other += calls
    return {"compiled": compiled_calls / months, "other": other / months}


@contextlib.contextmanager
def compiled_wrapped(wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Every compiled function a loaded ``catfish`` module holds replaced by ``wrap(it)``.

    Compiled code calls its callees directly, so only Python's calls go through the wrappers.
    They are put back on leaving.
    """
    from numba.core.registry import CPUDispatcher

    replaced = [(module, attr, value) for module_name, module in list(sys.modules.items())
                if module_name.startswith("catfish") and module is not None
                for attr, value in list(vars(module).items())
                if isinstance(value, CPUDispatcher)]
    for module, attr, value in replaced:
        setattr(module, attr, wrap(value))
    try:
        yield
    finally:
        for module, attr, value in replaced:
            setattr(module, attr, value)


def _count_crossing(counts: Counter[str], args: tuple[Any, ...], result: Any) -> None:
    """Add one call into compiled code to ``counts``: the arrays and other arguments it took,
    and whether it handed arrays back."""
    arrays = sum(isinstance(a, np.ndarray) for a in args)
    counts["calls"] += 1
    counts["arrays"] += arrays
    counts["others"] += len(args) - arrays
    counts["handing back"] += isinstance(result, np.ndarray) or (
        isinstance(result, tuple) and any(isinstance(r, np.ndarray) for r in result))


def crossing_ms(counts: Counter[str] | dict[str, float], costs: dict[str, float]) -> float:
    """What ``counts`` of crossings (:func:`_count_crossing`) cost at the prices of
    :func:`call_costs`, in milliseconds."""
    per_array = (costs["twenty arrays"] - costs["no argument"]) / 20
    per_return = costs["one array, one handed back"] - costs["one array"]
    return (counts["calls"] * costs["no argument"] + counts["arrays"] * per_array
            + counts["handing back"] * per_return) / 1e6


def crossings_per_run(name: str, runs: int) -> dict[str, float]:
    """Calls into compiled code per run, with the arrays and other arguments they take.

    Counted by wrapping the compiled functions (:func:`compiled_wrapped`) while the runs are
    made. Also the run's own CPU milliseconds, unwrapped.
    """
    scenario = None if name == "default" else scenarios.load(name)
    start = time.process_time()
    for seed in range(runs):
        run_one(scenario, seed=seed)
    run_ms = (time.process_time() - start) / runs * 1e3
    counts: Counter[str] = Counter()

    def counted(dispatcher: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = dispatcher(*args)
            _count_crossing(counts, args, result)
            return result
        return call

    with compiled_wrapped(counted):
        for seed in range(runs):
            run_one(scenario, seed=seed)
    return {**{k: v / runs for k, v in counts.items()}, "run_ms": run_ms}


def _own_cost(wrap: Callable[[Callable[..., Any]], Callable[..., Any]],
              number: int = 200_000) -> float:
    """Seconds ``wrap`` adds to a call: it is timed around a function that does nothing.

    (What the wrapper adds to its counters is left there: callers clear them after.)
    """
    empty = wrap(lambda *args: None)
    started = time.perf_counter()
    for _ in range(number):
        empty(1, 2, 3)
    return (time.perf_counter() - started) / number


def time_split(name: str, runs: int, crossing_ms: float) -> dict[str, float]:
    """Where a run's time goes, in wall milliseconds per run.

    Building the model, its months and its tables (:func:`sim.run.finish_run`) are timed
    apart; within the months, the calls into compiled code are timed by wrapping the compiled
    functions (:func:`compiled_wrapped`), and the wrapper's own cost (timed around a function
    that does nothing) is taken off. ``crossing_ms`` (what the run's crossings cost, from
    :func:`crossings_per_run` at the prices of :func:`call_costs`) splits the compiled calls'
    time into crossings and work; the rest of the months is the Python between the calls.

    Returns:
        Milliseconds by ``build``, ``compiled work``, ``crossings``, ``python between`` and
        ``tables``.
    """
    scenario = None if name == "default" else scenarios.load(name)
    params, mix = scenario.model_inputs() if scenario is not None else (None, None)
    clock = time.perf_counter  # a vDSO read: process_time, a system call, costs ten times more
    spent = Counter[str]()
    in_months = [True]

    def timed(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if not in_months[0]:
                return function(*args)
            started = clock()
            result = function(*args)
            spent["compiled"] += clock() - started
            spent["calls"] += 1
            return result
        return call

    wrapper = _own_cost(timed)
    spent.clear()
    with compiled_wrapped(timed):
        for seed in range(runs):
            in_months[0] = False
            started = clock()
            model = ClusterModel(params, rng=seed, policies=mix)
            built = clock()
            in_months[0] = True
            while model.running:
                model.step()
            in_months[0] = False
            stepped = clock()
            finish_run(model)
            spent["build"] += built - started
            spent["months"] += stepped - built
            spent["tables"] += clock() - stepped
    ms = {key: value / runs * 1e3 for key, value in spent.items()}
    compiled_ms = ms["compiled"] - ms["calls"] * wrapper
    return {"build": ms["build"], "compiled work": compiled_ms - crossing_ms,
            "crossings": crossing_ms,
            "python between": ms["months"] - ms["calls"] * wrapper - compiled_ms,
            "tables": ms["tables"]}


# the month's phases as ClusterModel.step calls them (owner, attribute, label)
PHASES = ((ClusterModel, "open_month", "open_month (levers, budget)"),
          (MonthlyDraws, "__call__", "the month's draws"),
          (ClusterModel, "_update_leads", "central factories"),
          (ClusterModel, "_update_market", "market"),
          (ClusterModel, "observe_peers", "observe peers"),
          (ClusterModel, "_willingness_to_retry", "steps 5-9 in one call"),
          (ClusterModel, "_become_willing", "visits and willingness"),
          (projects, "decide", "decide and queue"),
          (projects, "assign_and_start", "assign and start"),
          (projects, "progress", "progress and acceptance"),
          (projects, "lapse_and_retry", "lapse and retry"),
          (metrics, "monthly", "the month's row"),
          (FastCollector, "collect", "collector"))


def _wrapped(function: Callable[..., Any], label: str, enter: Callable[[str], None],
             leave: Callable[[], None]) -> Callable[..., Any]:
    """``function``, calling ``enter(label)`` before and ``leave()`` after it."""
    def call(*args: Any, **kwargs: Any) -> Any:
        enter(label)
        try:
            return function(*args, **kwargs)
        finally:
            leave()
    return call


@contextlib.contextmanager
def _phases_wrapped(enter: Callable[[str], None], leave: Callable[[], None]) -> Iterator[None]:
    """The month's phases (:data:`PHASES`), each replaced by a function that calls
    ``enter(label)`` before and ``leave()`` after it; put back on leaving."""
    saved = [(owner, attr, owner.__dict__.get(attr)) for owner, attr, _ in PHASES]
    for owner, attr, label in PHASES:
        setattr(owner, attr, _wrapped(getattr(owner, attr), label, enter, leave))
    try:
        yield
    finally:
        for owner, attr, value in saved:
            if value is None:
                delattr(owner, attr)  # it was inherited
            else:
                setattr(owner, attr, value)


def _hooks_wrapped(model: ClusterModel, enter: Callable[[str], None],
                   leave: Callable[[], None]) -> None:
    """The model's instrument hooks, each wrapped as the phases are.

    On the built model's own lists of hooks, so its phases whose hooks have compiled forms
    (``sim.policy.month_hooks``, decided when it was built) still run in one call and call no
    hook, as in a run that is not timed.
    """
    for hook, bound in model.hooks.items():
        if hook != "finalize":
            bound[:] = [_wrapped(function, f"hook {type(function.__self__).__name__}.{hook}",
                                 enter, leave) for function in bound]


def phase_split(name: str, runs: int, costs: dict[str, float]) -> dict[str, dict[str, float]]:
    """The months' time by phase of the month and by instrument hook, in ms a run.

    Each phase and hook (:func:`_phases_wrapped`) is timed without the phases and hooks it
    calls; its calls into compiled code are timed as in :func:`time_split` and counted as in
    :func:`crossings_per_run` (in a second pass over the same seeds), whose price
    (:func:`crossing_ms`) splits them into crossings and work. What is left is the phase's
    Python, numpy's calls included (the month's draws are numpy's): the most that compiling
    it could save. ``step`` is what ``ClusterModel.step`` does itself (and Mesa's wrapper
    around it).

    Returns:
        By label: ``wall``, ``compiled work``, ``crossings``, ``python`` and ``calls`` (into
        compiled code, a run).
    """
    scenario = None if name == "default" else scenarios.load(name)
    params, mix = scenario.model_inputs() if scenario is not None else (None, None)
    clock = time.perf_counter
    stack, started = ["step"], [0.0]
    wall, compiled_s, calls = Counter[str](), Counter[str](), Counter[str]()
    crossings: dict[str, Counter[str]] = {}

    def enter(label: str) -> None:
        now = clock()
        wall[stack[-1]] += now - started[0]
        stack.append(label)
        started[0] = now

    def leave() -> None:
        now = clock()
        wall[stack.pop()] += now - started[0]
        started[0] = now

    def timed(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            begun = clock()
            result = function(*args)
            compiled_s[stack[-1]] += clock() - begun
            calls[stack[-1]] += 1
            return result
        return call

    def counted(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = function(*args)
            _count_crossing(crossings.setdefault(stack[-1], Counter()), args, result)
            return result
        return call

    wrapper = _own_cost(timed)
    compiled_s.clear()
    calls.clear()
    for wrap in (counted, timed):
        with compiled_wrapped(wrap), _phases_wrapped(enter, leave):
            for seed in range(runs):
                model = ClusterModel(params, rng=seed, policies=mix)
                _hooks_wrapped(model, enter, leave)
                started[0] = clock()
                while model.running:
                    model.step()
                wall["step"] += clock() - started[0]
                finish_run(model)
        if wrap is counted:
            wall.clear()  # the counting pass's times are not the run's
    split = {}
    for label in wall:
        unwrapped_ms = (wall[label] - calls[label] * wrapper) / runs * 1e3
        compiled_ms = (compiled_s[label] - calls[label] * wrapper) / runs * 1e3
        crossing = crossing_ms(crossings.get(label, Counter()), costs) / runs
        split[label] = {"wall": unwrapped_ms, "compiled work": compiled_ms - crossing,
                        "crossings": crossing, "python": unwrapped_ms - compiled_ms,
                        "calls": calls[label] / runs}
    return split


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", default="default")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--phases", action="store_true",
                        help="also split the months by phase and instrument hook")
    args = parser.parse_args()
    per_month = calls_per_month(args.name, args.runs)  # warms up first
    per_run = crossings_per_run(args.name, args.runs)
    costs = call_costs()
    for what, ns in costs.items():
        print(f"a call with {what}: {ns:.0f} ns")
    for what, ns in callback_costs().items():
        print(f"{what}: {ns:.0f} ns")
    for what, us in state_costs().items():
        print(f"a call handing over {what}: {us:.2f} us")
    print(f"{args.name}, per month: {per_month['compiled']:.0f} calls into compiled code, "
          f"{per_month['other']:.0f} other Python calls (cProfile)")
    crossings = crossing_ms(per_run, costs)
    print(f"{args.name}, per run: {per_run['calls']:.0f} calls into compiled code, handing over "
          f"{per_run['arrays']:.0f} arrays and {per_run['others']:.0f} other arguments, "
          f"{per_run['handing back']:.0f} handing arrays back: about {crossings:.2f} ms at "
          f"the prices above, of a run of {per_run['run_ms']:.2f} ms CPU "
          f"({crossings / per_run['run_ms']:.0%})")
    split = time_split(args.name, args.runs, crossings)
    total = sum(split.values())
    print(f"{args.name}, where a run's {total:.2f} ms go (wrapped compiled calls, their "
          "wrapper's cost taken off):")
    for key, ms in split.items():
        print(f"  {key:<15} {ms:5.2f} ms ({ms / total:4.0%})")
    floor = split["build"] + split["compiled work"] + split["tables"]
    print(f"  a month compiled as one call would still pay about {floor:.2f} ms "
          f"({floor / total:.0%} of this run): building, compiled work and tables")
    if args.phases:
        phases = phase_split(args.name, args.runs, costs)
        months = sum(row["wall"] for row in phases.values())
        print(f"{args.name}, the months' {months:.2f} ms by phase and hook (ms a run; each "
              "phase without the hooks it calls; python counts numpy's calls; the wrappers' "
              "cost taken off the compiled calls, not the phases):")
        print(f"  {'':<44}{'wall':>6}{'compiled':>9}{'crossing':>9}{'python':>8}{'calls':>7}")
        for label, row in sorted(phases.items(), key=lambda item: -item[1]["python"]):
            print(f"  {label:<44}{row['wall']:6.2f}{row['compiled work']:9.2f}"
                  f"{row['crossings']:9.2f}{row['python']:8.2f}{row['calls']:7.0f}")


if __name__ == "__main__":
    main()
