"""A killed coordinator's workers exit, even while it is an unreaped zombie.

A wrapper that runs the coordinator with its output on a pipe and reads to the end before
waiting for it keeps a coordinator killed with SIGKILL a zombie, and the pool's workers, which
inherited the pipe, hold it open: the wrapper hangs until they exit. These tests play that
wrapper with real processes.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import catfish.experiments.runs.executors as ex
import pytest

ROOT = Path(__file__).resolve().parents[1]
HAS_PROC = Path("/proc/self/stat").exists()
needs_proc = pytest.mark.skipif(not HAS_PROC, reason="needs Linux /proc")

MARK = "CATFISH_ORPHAN_TEST"  # environment variable every process a test starts inherits
START_TIMEOUT = 180  # for a pool or cluster to come up on a loaded 2-core machine
EXIT_TIMEOUT = 30  # for workers to notice their coordinator died (they poll once a second)
SLOW_START = 3.0  # seconds a spawned worker waits before Python starts, in "starting" tests

# Delays each worker process that multiprocessing spawns (pool's or Dask's: its argv ends with
# --multiprocessing-fork) before it imports anything, so that the coordinator is killed while
# its workers are certainly still starting.
SITECUSTOMIZE = f"""
import sys
import time

if "--multiprocessing-fork" in sys.orig_argv:
    time.sleep({SLOW_START})
"""

POOL_COORDINATOR = """
import time

from catfish.experiments.runs.executors import local_executor
from tests.test_executor_orphans import say_and_sleep

with local_executor(2) as executor:
    print("pool made", flush=True)
    for _ in range(2):
        executor.submit(say_and_sleep, 600)
    print("submitted", flush=True)
    time.sleep(600)
"""

DASK_COORDINATOR = """
import time

from catfish.experiments.runs.executors import dask_executor
from tests.test_executor_orphans import say_and_sleep

print("making cluster", flush=True)
with dask_executor(local_workers=2) as executor:
    print("cluster made", flush=True)
    for _ in range(2):
        executor.submit(say_and_sleep, 600)
    print("submitted", flush=True)
    time.sleep(600)
"""

# Starts a child that asks to die with its parent, prints the child's id and exits at once.
DIE_WITH_PARENT = """
import os
import subprocess
import sys

CHILD = ("import time; from experiments.runs.executors import die_with_parent; die_with_parent(); "
         "print('ready', flush=True); time.sleep(600)")
child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE)
assert child.stdout.readline() == b"ready\\n"
print(child.pid, flush=True)
os._exit(0)
"""


def say_and_sleep(seconds: float) -> None:
    """A task: say on fd 1 (the coordinator's stdout pipe, inherited) that it runs; sleep."""
    # one write: two workers' lines must not interleave (print writes the newline apart)
    os.write(1, f"worker {os.getpid()} running\n".encode())
    time.sleep(seconds)


def state(pid: int) -> str | None:
    """The state letter of process ``pid`` (R, S, Z, ...), or None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return stat.rsplit(b")", 1)[1].split()[0].decode()


def tagged(mark: str) -> list[int]:
    """Ids of the live (not zombie) processes whose environment holds ``MARK=mark``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # exited meanwhile, or another user's
            continue
        if needle in environ and state(int(entry.name)) not in (None, "Z", "X"):
            found.append(int(entry.name))
    return found


def spawned(mark: str) -> list[int]:
    """Ids of the live processes of ``tagged(mark)`` started by multiprocessing's spawn."""
    return [pid for pid in tagged(mark) if b"--multiprocessing-fork" in cmdline(pid)]


def cmdline(pid: int) -> bytes:
    """The command line of process ``pid``, arguments separated by spaces (empty: gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""


def describe(pids: list[int]) -> list[str]:
    """``pid: command line`` of each process, for failure messages."""
    return [f"{pid}: {cmdline(pid).decode(errors='replace')[:200]}" for pid in pids]


class Output:
    """A process's stdout, read line by line to EOF by a thread, as a wrapper would read it."""

    def __init__(self, stream, stderr: Path):
        self.stderr = stderr  # where the process and its children write errors
        self.lines: queue.Queue[str | None] = queue.Queue()  # None: EOF
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, wanted, count: int = 1, timeout: float = START_TIMEOUT) -> None:
        """Wait until ``count`` lines for which ``wanted(line)`` is true have been read."""
        deadline = time.monotonic() + timeout
        matched = 0
        while matched < count:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"expected {count} such lines within {timeout} s; "
                                     f"read {self.seen}; stderr: {self.errors()}") from None
            assert line is not None, \
                f"expected more output before EOF; read {self.seen}; stderr: {self.errors()}"
            self.seen.append(line)
            matched += bool(wanted(line))

    def errors(self) -> str:
        """The end of what was written to stderr."""
        return self.stderr.read_text(errors="replace")[-3000:]

    def eof_within(self, timeout: float) -> bool:
        """Whether EOF arrives within ``timeout`` seconds (the lines before it are kept)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return False
            if line is None:
                return True
            self.seen.append(line)


@pytest.fixture
def start_coordinator(tmp_path):
    """Start a coordinator script with stdout on a pipe; kill all it started at the end."""
    started: list[tuple[subprocess.Popen, Output, str]] = []

    def start(script: str, slow_start: bool = False) -> tuple[subprocess.Popen, Output, str]:
        mark = uuid.uuid4().hex
        path = [str(ROOT), os.environ.get("PYTHONPATH")]
        if slow_start:
            (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
            path.insert(0, str(tmp_path))
        env = {**os.environ, MARK: mark,
               "PYTHONPATH": os.pathsep.join(filter(None, path))}
        errors = tmp_path / f"stderr-{mark}.txt"
        with open(errors, "wb") as stderr:
            process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=stderr)
        output = Output(process.stdout, errors)
        started.append((process, output, mark))
        return process, output, mark

    yield start

    for process, output, mark in started:
        process.kill()  # no-op if it already exited; it stays unreaped until wait() below
        for pid in tagged(mark):  # only processes this test started carry its mark
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=60)
        output.thread.join(timeout=60)  # EOF once every holder of the pipe is gone
        process.stdout.close()


def coordinator_killed_and_read_to_eof(process: subprocess.Popen, output: Output,
                                       mark: str) -> None:
    """SIGKILL the coordinator, read its output to EOF without reaping it, then reap it.

    Asserts that EOF came (the workers holding the pipe exited) and that no process the
    coordinator started is left.
    """
    before = tagged(mark)
    assert len(before) >= 3, \
        f"expected the coordinator and its 2 workers to be up when killed: {describe(before)}"
    os.kill(process.pid, signal.SIGKILL)  # and no wait() or poll(): it stays a zombie
    eof = output.eof_within(EXIT_TIMEOUT)
    coordinator_state = state(process.pid)
    left = tagged(mark)
    assert eof, (f"expected EOF on the killed coordinator's output within {EXIT_TIMEOUT} s; "
                 f"still holding it: {describe(left)}; stderr: {output.errors()}")
    assert coordinator_state == "Z", \
        f"expected the coordinator to be an unreaped zombie while read, got {coordinator_state}"
    assert process.wait(timeout=30) == -signal.SIGKILL, "expected the coordinator killed"
    deadline = time.monotonic() + EXIT_TIMEOUT
    while (left := tagged(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"expected no process of the killed coordinator left: {describe(left)}"


# --- the local process pool ----------------------------------------------------------------------

@needs_proc
def test_pool_workers_running_exit_when_coordinator_killed_left_a_zombie(start_coordinator):
    process, output, mark = start_coordinator(POOL_COORDINATOR)
    output.wait_for(lambda line: line.startswith("worker "), count=2)
    coordinator_killed_and_read_to_eof(process, output, mark)


@needs_proc
def test_pool_workers_starting_exit_when_coordinator_killed_left_a_zombie(start_coordinator):
    # the workers are spawned by the time "submitted" is printed, and sleep SLOW_START s
    # before Python starts: they run the initializer with the coordinator already dead
    process, output, mark = start_coordinator(POOL_COORDINATOR, slow_start=True)
    output.wait_for(lambda line: line == "submitted")
    coordinator_killed_and_read_to_eof(process, output, mark)
    assert not any(line.startswith("worker ") for line in output.seen), \
        f"expected no task run for a dead coordinator: {output.seen}"


# --- Dask's local cluster ------------------------------------------------------------------------

@needs_proc
@pytest.mark.slow
def test_dask_workers_running_exit_when_coordinator_killed_left_a_zombie(start_coordinator):
    process, output, mark = start_coordinator(DASK_COORDINATOR)
    output.wait_for(lambda line: line.startswith("worker "), count=2)
    coordinator_killed_and_read_to_eof(process, output, mark)


@needs_proc
@pytest.mark.slow
def test_dask_workers_starting_exit_when_coordinator_killed_left_a_zombie(start_coordinator):
    # the cluster's worker processes sleep SLOW_START s before Python starts: killed meanwhile
    process, output, mark = start_coordinator(DASK_COORDINATOR, slow_start=True)
    output.wait_for(lambda line: line == "making cluster")
    deadline = time.monotonic() + START_TIMEOUT
    while len(spawned(mark)) < 2:
        assert process.poll() is None, f"expected the coordinator up: {output.errors()}"
        assert time.monotonic() < deadline, f"expected 2 Dask workers: {describe(tagged(mark))}"
        time.sleep(0.01)
    coordinator_killed_and_read_to_eof(process, output, mark)


# --- the parts ----------------------------------------------------------------------------------

@needs_proc
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_die_with_parent_ends_the_child_when_its_parent_exits(start_coordinator):
    process, output, mark = start_coordinator(DIE_WITH_PARENT)
    output.wait_for(lambda line: line.isdigit())
    child = int(output.seen[-1])
    assert process.wait(timeout=60) == 0, "expected the parent to exit by itself"
    deadline = time.monotonic() + EXIT_TIMEOUT
    while state(child) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state(child) in (None, "Z"), \
        f"expected the child killed with its parent, not sleeping on: {describe([child])}"


# --- the liveness test ---------------------------------------------------------------------------

@needs_proc
def test_this_process_is_alive():
    me = os.getpid()
    started = ex.process_start_time(me)
    assert isinstance(started, int), f"expected this process's start time, got {started!r}"
    assert ex.process_alive(me, started), "expected this process alive with its start time"
    assert ex.process_alive(me), "expected this process alive without a start time"


@needs_proc
def test_another_start_time_is_another_process():
    me = os.getpid()
    assert not ex.process_alive(me, ex.process_start_time(me) + 1), \
        "expected a process with this id but another start time (a recycled id) not alive"


@needs_proc
def test_a_zombie_is_dead():
    child = subprocess.Popen(["true"])
    try:
        deadline = time.monotonic() + 60
        while state(child.pid) != "Z":  # exited, and not reaped: no wait() or poll()
            assert time.monotonic() < deadline, f"expected `true` to exit, {state(child.pid)}"
            time.sleep(0.01)
        assert not ex.process_alive(child.pid), "expected a zombie not alive"
    finally:
        child.wait(timeout=60)


@needs_proc
def test_a_reaped_process_is_dead():
    child = subprocess.Popen(["true"])
    child.wait(timeout=60)
    assert ex.process_start_time(child.pid) is None, "expected no start time for no process"
    assert not ex.process_alive(child.pid), "expected an exited and reaped process not alive"


@needs_proc
def test_a_command_name_with_parentheses_and_spaces_is_parsed(tmp_path):
    # the command name is field 2 of /proc/<pid>/stat, in parentheses, as the program calls
    # itself: one that looks like the end of the name followed by state Z must not fool it
    program = tmp_path / "a) Z (b"
    program.symlink_to(shutil.which("sleep"))
    child = subprocess.Popen([str(program), "60"])
    try:
        comm = Path(f"/proc/{child.pid}/comm").read_text().rstrip("\n")
        deadline = time.monotonic() + 60
        while comm != program.name:  # between fork and exec it has its parent's name
            assert time.monotonic() < deadline, f"expected the name {program.name!r}: {comm!r}"
            time.sleep(0.01)
            comm = Path(f"/proc/{child.pid}/comm").read_text().rstrip("\n")
        started = ex.process_start_time(child.pid)
        assert isinstance(started, int), f"expected a start time, got {started!r}"
        assert ex.process_alive(child.pid, started), \
            f"expected the process named {comm!r} alive"
    finally:
        child.kill()
        child.wait(timeout=60)
