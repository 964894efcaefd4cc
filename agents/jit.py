"""How Catfish compiles its hot paths: numba, in nopython mode, cached on disk.

A month of a cluster of a thousand firms used to pay for a few hundred numpy calls of a
microsecond or two each on arrays of a few dozen firms. The month's hot paths are now small
functions over the state arrays, written as plain loops and compiled by :func:`compiled`
(``docs/architecture.md``, "A month").

Three rules keep compiled code honest:

- A compiled function may call compiled functions of other modules (the rules in ``agents``
  from the kernels in ``sim``), but numba's cache checks only the source file of the function
  it compiled. :func:`compiled` therefore adds to each function's cache stamp the sources of
  the compiled functions it calls, and of those they call, so that an edited rule is
  compiled again wherever it is used.
- ``exp``, ``log`` and powers compiled from numpy expressions use the C library's functions,
  which may differ in the last bit from numpy's vectorised ones. Compiled rules use them only
  for probabilities that are compared with random draws (a decision changes only if a draw
  falls within a rounding error of its threshold); quantities the outputs carry (market
  weights, realised gains) are computed by numpy as before. Everything else compiled is exact
  in any order or done in numpy's order: comparisons, counting, selection, bookkeeping,
  arithmetic written in the numpy expressions' order, sums in numpy's pairwise order.
- Compiled code runs as plain Python too: ``NUMBA_DISABLE_JIT=1`` runs the same loops
  uncompiled (slow, but a debugger steps through them).

The compiled code is cached next to the sources (``__pycache__``) or, where the package is
read-only, in the user's cache directory, as numba does; where neither can be written, in a
folder of the temporary directory. ``NUMBA_CACHE_DIR`` overrides all of these. A process
compiles (or loads from the cache) each function the first time it is called:
``sim.run.warm_up`` does that once per worker, before it takes runs.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba.core import config


def compiled(function: Callable[..., Any]) -> Any:
    """Compile ``function`` with numba (nopython mode), cached on disk.

    Division by zero gives infinity or NaN as in numpy (``error_model="numpy"``), not
    Python's ``ZeroDivisionError``. Where no cache folder can be written the function is
    compiled in every process that calls it.

    Compiled loops over firms call other compiled functions with numbers, not arrays: handing
    a function an array costs reference counting, several times the work of a small helper.
    """
    dispatcher = _compile(function)
    _stamp_with_callees(dispatcher, function)
    COMPILED.append(dispatcher)
    return dispatcher


COMPILED: list[Any] = []  # every function compiled so far (a test checks the warm-up covers them)


def _compile(function: Callable[..., Any]) -> Any:
    try:
        return numba.njit(cache=True, error_model="numpy")(function)
    except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
        if "cannot cache" not in str(exc):
            raise
    if _use_temporary_cache():
        return numba.njit(cache=True, error_model="numpy")(function)
    return numba.njit(error_model="numpy")(function)


def _stamp_with_callees(dispatcher: Any, function: Callable[..., Any]) -> None:
    """Make the cached machine code of ``function`` depend on the compiled code it calls.

    numba keeps a cache index per function, valid while the function's own source file is
    unchanged; the sources of other modules' compiled functions it calls are added to that
    stamp. (numba's internals: where they differ, the cache works as numba's own.)
    """
    files = _callee_files(function, set())
    files.discard(inspect.getsourcefile(function))
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if files and hasattr(cache_file, "_source_stamp"):
        digest = hashlib.sha256()
        for path in sorted(files):
            digest.update(Path(path).read_bytes())
        cache_file._source_stamp = (cache_file._source_stamp, digest.hexdigest())


def _callee_files(function: Callable[..., Any], seen: set[Any]) -> set[str]:
    """Source files of the compiled functions ``function`` calls by name, and of theirs."""
    files: set[str] = set()
    for name in function.__code__.co_names:
        callee = getattr(function.__globals__.get(name), "py_func", None)  # a numba dispatcher
        if callee is None or callee in seen:
            continue
        seen.add(callee)
        files.add(inspect.getsourcefile(callee))
        files |= _callee_files(callee, seen)
    return files


def _use_temporary_cache() -> bool:
    """Point numba's cache at a private folder of the temporary directory, if it can be made.

    For a read-only installation whose user has no writable home either (a container).
    """
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    folder = os.path.join(tempfile.gettempdir(), f"catfish-numba-{user}")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    config.CACHE_DIR = folder
    return True
