"""ABC-SMC on a Dask cluster (catfish calibrate --scheduler), and addresses with none there."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

import catfish.calibration.abc as abc
import numpy as np
import pytest
from catfish.calibration.abc import CALIBRATED, Settings, calibrate, check_scheduler
from catfish.calibration.data import targets

from tests.conftest import invoke

NOBODY = "tcp://127.0.0.1:1"  # a port nothing listens on


def chengdu_transformed():
    """The cheapest target: one run of chengdu-chain-led, firms transformed by the deadline."""
    facts = [f for f in targets() if f.scenario == "chengdu-chain-led"
             and f.computed_as == "transformed_by_deadline"]
    assert len(facts) == 1, f"one Chengdu target computed as transformed_by_deadline, not {facts}"
    return facts


def worker_state(dask_worker):
    """On a worker: its process, whether it imported Catfish's calibration, tasks it ran."""
    return os.getpid(), "catfish.calibration.abc" in sys.modules, dask_worker.state.executed_count


def test_calibration_runs_its_simulations_on_a_dask_cluster(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    made = []

    def recording(workers, scheduler=None):
        sampler, close = make_sampler(workers, scheduler)
        made.append(sampler)
        return sampler, close

    make_sampler = abc.make_sampler
    monkeypatch.setattr(abc, "make_sampler", recording)
    settings = Settings(population=4, generations=1, min_epsilon=0.0, ppc_draws=0,
                        max_simulations=40)
    # processes: the simulator is pickled to other processes, as on a real cluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR,
                      # no dashboard, and the scheduler's health page on a free port, not 8787
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        started = time.perf_counter()
        run = calibrate(tmp_path / "calibration", facts=chengdu_transformed(),
                        parameters=CALIBRATED[:2], settings=settings,
                        scheduler=cluster.scheduler_address)
        seconds = time.perf_counter() - started
        with Client(cluster, set_as_default=False) as client:
            states = list(client.run(worker_state).values())

    assert [type(s).__name__ for s in made] == ["DaskDistributedSampler"], \
        f"one pyabc DaskDistributedSampler made for --scheduler, not {made}"
    assert made[0].batch_size == abc.DASK_BATCH == 1, "one simulation per Dask task"
    assert made[0].client.status == "closed", \
        f"the client is closed when the calibration ends, not {made[0].client.status!r}"
    assert run.generations == 1, f"one generation, not {run.generations}"
    assert len(run.posterior) == settings.population, \
        f"a posterior of {settings.population} particles, not {len(run.posterior)}"
    assert list(run.posterior.columns) == [*CALIBRATED[:2], "weight"], \
        f"one column per calibrated parameter and the weight, not {list(run.posterior.columns)}"
    assert np.isclose(run.posterior["weight"].sum(), 1.0), "the weights sum to one"
    assert (tmp_path / "calibration" / abc.DATABASE).is_file(), \
        "pyabc's history is written here, by this process, not by the workers"
    assert len(states) == 2, f"two workers in the cluster, not {len(states)}"
    assert all(pid != os.getpid() for pid, _, _ in states), "the workers are other processes"
    assert all(imported for _, imported, _ in states), \
        f"every worker imported calibration.abc to unpickle the simulator: {states}"
    executed = sum(count for _, _, count in states)
    assert executed >= settings.population, \
        f"the workers ran at least one task per particle ({settings.population}), not {executed}"
    assert run.simulations >= settings.population, \
        f"pyabc counted the simulations the workers ran: {run.simulations}"
    print(f"calibration on 2 Dask workers: {seconds:.1f} s, {executed} tasks, "
          f"{run.simulations} simulations")


def test_an_address_with_no_scheduler_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(abc, "CONNECT_SECONDS", 1.0)  # the test's patience, not a user's
    out = tmp_path / "calibration"
    started = time.perf_counter()
    done = invoke("calibrate", "--quick", "--scheduler", NOBODY, "--out", str(out))
    seconds = time.perf_counter() - started
    lines = done.stderr.strip().splitlines()
    assert done.exit_code == 1, \
        f"exit status 1: a scheduler that does not answer is a failure, not {done.exit_code}"
    assert len(lines) == 1, f"one line on stderr, not {lines}"
    assert lines[0] == (f"catfish: error: --scheduler {NOBODY}: no Dask scheduler answered "
                        "within 1 s; give the address a `dask scheduler` printed "
                        "(tcp://HOST:PORT)"), \
        f"the line names --scheduler, the address and what is expected: {lines[0]}"
    assert "Traceback" not in done.output, "no traceback"
    assert not out.exists(), \
        f"the address is checked before --out is claimed: nothing written, found {out}"
    assert seconds < 10, f"given up after the connect timeout (1 s here), not {seconds:.0f} s"


@pytest.mark.parametrize("address, expected", [
    ("nonsense", "--scheduler nonsense: is not a Dask address (missing port number"),
    ("http://127.0.0.1:8787", "--scheduler http://127.0.0.1:8787: is not a Dask address "
                              "(unknown address scheme 'http'"),
    ("", "--scheduler : is not a Dask address")])
def test_what_is_not_an_address_is_said_at_once(address, expected):
    with pytest.raises(ValueError, match="tcp://HOST:PORT") as error:
        check_scheduler(address, timeout=1)
    assert str(error.value).startswith(expected), f"{expected!r}..., not {error.value}"


def test_a_listener_that_is_not_a_scheduler_does_not_hang():
    # a dashboard's port, say: Dask's own client would wait on it forever
    with socket.create_server(("127.0.0.1", 0)) as server:
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        started = time.perf_counter()
        with pytest.raises(ValueError) as error:
            check_scheduler(address, timeout=1)
        seconds = time.perf_counter() - started
    assert str(error.value).startswith(f"--scheduler {address}: no Dask scheduler answered "
                                       "within 1 s"), f"one line saying so, not {error.value}"
    assert seconds < 5, f"given up after the timeout (1 s), not {seconds:.0f} s"


def test_scheduler_goes_with_a_calibration_only():
    done = invoke("calibrate", "--screen", "--scheduler", NOBODY)
    assert done.exit_code == 2, f"exit status 2, not {done.exit_code}"
    assert done.stderr.strip() == ("catfish: error: --scheduler goes with a calibration, not "
                                   "with --screen or --ship"), \
        f"one line naming --scheduler: {done.stderr}"
