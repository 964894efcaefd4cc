"""The object the month's compiled phases read holds the model's own arrays, for the whole run.

``sim.month_state`` hands the compiled phases one object made at the model's first month,
holding the model's arrays rather than copies. That is right only while no array it holds is
replaced by another: these tests run every shipped scenario, and a mix of every instrument with
a compiled form, and check that each field still reads the array it read at the start.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from catfish.sim.model import ClusterModel
from catfish.sim.month_state import _READERS, FIELDS, NAMES

from catfish import scenarios
from tests.test_month_hooks import every_kind

SHIPPED = list(scenarios.shipped_names())


def _model(name: str) -> ClusterModel:
    if name == "every-kind":
        return ClusterModel(rng=3, policies=every_kind())
    if name == "default":
        return ClusterModel(rng=3)
    params, mix = scenarios.load(name).model_inputs()
    return ClusterModel(params, rng=3, policies=mix)


def test_the_constructor_takes_the_fields_in_their_order():
    from catfish.sim.month_record import new_month_state

    parameters = list(inspect.signature(new_month_state.py_func).parameters)
    assert parameters == list(NAMES), (
        "sim/month_record.py's constructor is not sim.month_state.FIELDS: run "
        "python tools/month_record_constructor.py")


@pytest.mark.parametrize("name", ["default", "every-kind", *SHIPPED])
def test_every_field_is_of_its_declared_kind(name):
    model = _model(name)
    for (field, path, kind), read in zip(FIELDS, _READERS, strict=True):
        value = read(model)
        dtype, _, dims = kind.partition("[")
        if not dims:
            expected = {"int64": int, "float64": float, "bool": bool}[dtype]
            assert type(value) is expected, f"{field} ({path}): {type(value)}, not {kind}"
            continue
        assert isinstance(value, np.ndarray), f"{field} ({path}): {type(value)}, not an array"
        assert value.dtype == np.dtype(dtype) and value.ndim == dims.count(":"), (
            f"{field} ({path}): {value.dtype}, {value.ndim} dimensions; declared {kind}")
        assert value.flags.c_contiguous and value.flags.writeable, (
            f"{field} ({path}): expected a writeable C-ordered array")


@pytest.mark.parametrize("name", ["default", "every-kind", *SHIPPED])
def test_no_array_held_is_replaced_during_a_run(name):
    model = _model(name)
    at_start = [read(model) for read in _READERS]
    while model.running:
        model.step()
    assert model._month_state is not None, "expected the compiled phases to have made it"
    replaced = [field for (field, path, kind), read, before
                in zip(FIELDS, _READERS, at_start, strict=True)
                if "[" in kind and read(model) is not before]
    assert not replaced, f"{name}: these arrays were replaced during the run: {replaced}"


def test_numbers_read_from_the_object_are_the_models():
    model = ClusterModel(rng=1)
    model.step()
    # a field's value seen from compiled code: the model's array is the object's (same memory)
    model.smes.cash[7] = 123.0
    import numba

    @numba.njit
    def cash_of(m, i):
        return m.cash[i]

    assert cash_of(model.month_state, 7) == 123.0, "expected the object to hold smes.cash itself"


def test_the_uncompiled_phases_read_a_namespace_and_give_the_same_numbers():
    code = ("import json\nfrom catfish.sim import run_one\nfrom tests.test_month_hooks import "
            "every_kind\nr = run_one(seed=4, n_smes=150, months=12, deadline_month=12, "
            "policies=every_kind())\nprint(json.dumps({k: v.tolist() for k, v in "
            "r.columns.items() if k != 'date'}))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    runs = []
    for disable in ("0", "1"):
        out = subprocess.run([sys.executable, "-W", "ignore", "-c", code],
                             env={**env, "NUMBA_DISABLE_JIT": disable}, check=True,
                             capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    compiled_run, python_run = runs
    differing = [k for k in compiled_run if compiled_run[k] != python_run[k]]
    assert not differing, f"columns differ between compiled and plain Python: {differing}"


def test_replacing_a_held_array_is_an_error_that_says_what_to_do():
    model = ClusterModel(rng=1)
    model.smes.cash = model.smes.cash.copy()  # before the first month: nothing holds it yet
    model.step()
    for arrays, name in ((model.smes, "cash"), (model.providers, "load"),
                         (model.leads, "visits")):
        with pytest.raises(AttributeError, match=rf"\.{name}: .*in place"):
            setattr(arrays, name, getattr(arrays, name).copy())
    model.smes.cash[:] = 5.0  # filling it in place is what compiled code sees
    assert model.smes.cash[0] == 5.0, "expected the array filled in place"


def test_a_copy_made_mid_run_goes_on_with_its_own_arrays_and_the_same_numbers():
    import copy

    model = ClusterModel(rng=6)
    for _ in range(8):
        model.step()
    twin = copy.deepcopy(model)
    assert twin._month_state is None, "expected the copy to make its own state object"
    while model.running:
        model.step()
        twin.step()
    assert twin.smes.cash is not model.smes.cash, "expected the copy's own arrays"
    for name, column in model.datacollector.columns().items():
        assert np.array_equal(column, twin.datacollector.columns()[name]), \
            f"{name}: a copy made in month 8 went on otherwise than the original"
