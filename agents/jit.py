"""How Catfish compiles its hot paths: numba, in nopython mode, cached on disk.

A month of a cluster of a thousand firms used to pay for a few hundred numpy calls of a
microsecond or two each on arrays of a few dozen firms. The month's hot paths are now small
functions over the state arrays, written as plain loops and compiled by :func:`compiled`
(``docs/architecture.md``, "A month").

Three rules keep compiled code honest:

- A compiled function calls only compiled functions of its own module. Numba's cache checks
  the source of the function it compiled, not of the functions it calls in other files, so a
  call across files would keep running old code after the other file changed.
- No ``exp``, ``log`` or ``pow`` inside compiled code: numpy's vectorised versions differ from
  the C library's in the last bit, and the model's numbers stay those of the numpy rules in
  ``agents`` (``willingness_prob``, ``stage_failure_prob``, ...), which are called as before.
  Compiled code does what is exact in any order or done in numpy's order: comparisons,
  counting, selection, bookkeeping, arithmetic written in the numpy expressions' order, and
  sums in numpy's pairwise order where numpy sums.
- Compiled code runs as plain Python too: ``NUMBA_DISABLE_JIT=1`` runs the same loops
  uncompiled (slow, but a debugger steps through them).

The compiled code is cached next to the sources (``__pycache__``) or, where the package is
read-only, in the user's cache directory, as numba does; where neither can be written, in a
folder of the temporary directory. ``NUMBA_CACHE_DIR`` overrides all of these. A process
compiles (or loads from the cache) each function the first time it is called:
``sim.run.warm_up`` does that once per worker, before it takes runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numba
from numba.core import config


def compiled(function: Callable[..., Any]) -> Any:
    """Compile ``function`` with numba (nopython mode), cached on disk.

    Division by zero gives infinity or NaN as in numpy (``error_model="numpy"``), not
    Python's ``ZeroDivisionError``. Where no cache folder can be written the function is
    compiled in every process that calls it.
    """
    try:
        return numba.njit(cache=True, error_model="numpy")(function)
    except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
        if "cannot cache" not in str(exc):
            raise
    if _use_temporary_cache():
        return numba.njit(cache=True, error_model="numpy")(function)
    return numba.njit(error_model="numpy")(function)


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
