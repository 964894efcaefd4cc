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
- ``exp``, ``log`` and powers in compiled code are the C library's, as Python's ``math``
  module's are; numpy's vectorised ones may differ from them in the last bit, depending on
  the processor's SIMD instructions. The month's numbers (realised gains, market weights)
  are the C library's wherever they are computed, so a firm's number does not depend on
  which path computed it. A special function compiled code needs (scipy's inverse normal,
  ``ndtri``) is scipy's own, called by its C symbol (:func:`from_cython`): the same bits as
  ``scipy.special``. Everything else compiled is exact in any order or done in numpy's
  order: comparisons, counting, selection, bookkeeping, arithmetic written in the numpy
  expressions' order, sums in numpy's pairwise order.
- Compiled code runs as plain Python too: ``NUMBA_DISABLE_JIT=1`` runs the same loops
  uncompiled (slow, but a debugger steps through them).

The compiled code is cached next to the sources (``__pycache__``) or, where the package is
read-only, in the user's cache directory, as numba does; where neither can be written, in a
folder of the temporary directory. ``NUMBA_CACHE_DIR`` overrides all of these. A process
compiles (or loads from the cache) each function the first time it is called:
``catfish.sim.warm.warm_up`` does that once per worker, before it takes runs.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def compiled(function: Callable[..., Any]) -> Any:
    """Compile ``function`` with numba (nopython mode), cached on disk.

    Division by zero gives infinity or NaN as in numpy (``error_model="numpy"``), not
    Python's ``ZeroDivisionError``. Where no cache folder can be written the function is
    compiled in every process that calls it.

    Compiled loops over firms call other compiled functions with numbers, not arrays: handing
    a function an array costs reference counting, several times the work of a small helper.

    Nothing is handed to numba until a compiled function is first called in this process
    (:class:`Uncompiled` stands for it until then): numba and LLVM take about 100 MB, which a
    process that only plans, stores and reports (a sweep's or comparison's coordinator) does
    not need.
    """
    with _LOCK:
        if _DISPATCHERS is not None:  # a module imported after the first call
            return _dispatcher(function)
        stand_in = Uncompiled(function)
        _WAITING.append(stand_in)
        return stand_in


def from_cython(module: str, name: str, python: Callable[[float], float]) -> Any:
    """A C function of one number exported by a Cython module, for compiled code to call.

    scipy exports its special functions for Cython (``scipy.special.cython_special``); compiled
    code calls the same C function by name, so it gives scipy's bits, and a function calling
    it can still be cached (numba cannot cache a function calling a raw address). The symbol
    is registered with LLVM when numba is first loaded (:func:`compile_all`); until then, and
    under ``NUMBA_DISABLE_JIT=1``, ``python`` stands for it (the same function for Python).

    Args:
        module: The Cython module, e.g. ``"scipy.special.cython_special"``.
        name: The function's name in it; it takes and returns one float64.
        python: The same function callable from Python (e.g. ``scipy.special.ndtri``).
    """
    with _LOCK:
        stand_in = UncompiledC(module, name, python)
        if _DISPATCHERS is not None:
            return stand_in.compiled()
        _WAITING_C.append(stand_in)
        return stand_in


COMPILED: list[Any] = []  # every function compiled so far (a test checks the warm-up covers them)
_WAITING: list[Uncompiled] = []
_WAITING_C: list[UncompiledC] = []
_DISPATCHERS: dict[int, Any] | None = None  # id(stand-in) -> dispatcher, once compiled
_LOCK = threading.RLock()


class Uncompiled:
    """Stands for a compiled function until this process first calls one of them.

    The first call hands every function waiting to numba at once and puts the dispatchers in
    place of the stand-ins in every loaded module, so compiled code calling another compiled
    function finds a dispatcher under its name (numba looks a callee up in the caller's
    module when it compiles the caller) and Python calls go straight to the dispatcher.
    A stand-in kept elsewhere (a container made at import) still works: it forwards.
    """

    __slots__ = ("__wrapped__", "__dict__")

    def __init__(self, function: Callable[..., Any]) -> None:
        self.__wrapped__ = function
        self.__dict__.update({"__name__": function.__name__, "__doc__": function.__doc__,
                              "__qualname__": function.__qualname__,
                              "__module__": function.__module__})

    @property
    def py_func(self) -> Callable[..., Any]:
        """The Python function, as a dispatcher's ``py_func``."""
        return self.__wrapped__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the compiled function (compiling every waiting one first)."""
        return dispatcher_of(self)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # signatures, inspect_types, ...
        return getattr(dispatcher_of(self), name)

    def __repr__(self) -> str:
        return f"<uncompiled {self.__wrapped__.__module__}.{self.__wrapped__.__qualname__}>"


class UncompiledC:
    """Stands for a C function of :func:`from_cython` until numba is loaded: calls ``python``."""

    def __init__(self, module: str, name: str, python: Callable[[float], float]) -> None:
        self.module, self.name, self.python = module, name, python

    def __call__(self, x: float) -> float:
        """The function's value at ``x``, from Python."""
        return float(self.python(x))

    def compiled(self) -> Any:
        """What compiled code calls: the C function, declared to numba.

        Under ``NUMBA_DISABLE_JIT=1``, where compiled code is Python, this stand-in itself.
        """
        from numba.core import config

        if config.DISABLE_JIT:
            return self
        from llvmlite import binding
        from numba import types
        from numba.extending import get_cython_function_address

        symbol = f"catfish_{self.module.replace('.', '_')}_{self.name}"
        binding.add_symbol(symbol, get_cython_function_address(self.module, self.name))
        return types.ExternalFunction(symbol, types.float64(types.float64))

    def __repr__(self) -> str:
        return f"<C function {self.module}.{self.name}>"


def loaded() -> bool:
    """Whether this process has called a compiled function (and so loaded numba and LLVM)."""
    return _DISPATCHERS is not None


def dispatcher_of(function: Any) -> Any:
    """The numba dispatcher of a compiled function (compiling every waiting one first)."""
    if not isinstance(function, Uncompiled):
        return function
    return compile_all()[id(function)]


def compile_all() -> dict[int, Any]:
    """Hand every waiting function to numba and put the dispatchers in place of the stand-ins.

    Each function is compiled (or loaded from the cache) at its first call with a kind of
    argument, as before; this makes the dispatchers, which is what loads numba and LLVM.
    """
    global _DISPATCHERS
    with _LOCK:
        if _DISPATCHERS is None:
            # the C functions first: compiling a function that calls one needs it declared
            dispatchers = {id(stand_in): stand_in.compiled() for stand_in in _WAITING_C}
            dispatchers.update({id(stand_in): _dispatcher(stand_in.__wrapped__)
                                for stand_in in _WAITING})
            _replace_in_modules(dispatchers)
            _DISPATCHERS = dispatchers
        return _DISPATCHERS


def _dispatcher(function: Callable[..., Any]) -> Any:
    """``function``'s numba dispatcher, its cache stamped with its callees', recorded."""
    dispatcher = _compile(function)
    _stamp_with_callees(dispatcher, function)
    COMPILED.append(dispatcher)
    return dispatcher


def _replace_in_modules(dispatchers: dict[int, Any]) -> None:
    """Every loaded module's name bound to a stand-in now names its dispatcher."""
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            if type(value) is Uncompiled or type(value) is UncompiledC:
                namespace[name] = dispatchers[id(value)]


def _compile(function: Callable[..., Any]) -> Any:
    import numba

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
        value = function.__globals__.get(name)
        # a numba dispatcher or a stand-in for one
        callee = value.__wrapped__ if type(value) is Uncompiled else getattr(value, "py_func",
                                                                              None)
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
    from numba.core import config

    config.CACHE_DIR = folder
    return True
