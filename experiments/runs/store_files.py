"""The files of a sweep result store: its layout, and writing, locking and reading them.

This module knows where a store keeps what (see ``experiments.runs.store`` for the layout and the
commit protocol) and how each file is written crash-safely (temporary file, fsync, atomic
rename), how the one writer's lock is held, and how a part or the run list is read so that a
damaged file is a one-line error; it decides nothing about what the files mean.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from catfish.experiments.runs.files import PARTS, write_atomic

try:  # POSIX record locks: released by the kernel when the process dies, not inherited by fork
    import fcntl
except ImportError:  # pragma: no cover - Windows: only this process's own check
    fcntl = None

FORMAT = "catfish-sweep-store/1"
MANIFEST, RUNS, LEDGER, LOCK = "manifest.json", "runs.parquet", "ledger.parquet", ".lock"
OUTCOMES, TIMESERIES, FAILURES = "outcomes.parquet", "timeseries", "failures"
PART_DIRS = (OUTCOMES, TIMESERIES, FAILURES)
JOURNAL, DAMAGED = "commits.jsonl", "damaged"
STORE_ENTRIES = (MANIFEST, RUNS, LEDGER, LOCK, JOURNAL, DAMAGED, *PART_DIRS)
# what a store writes, as its manifest lists it (experiments.runs.files): parts by their pattern;
# the parts of damaged batches are claimed one by one as they are moved to damaged/
STORE_FILES = (RUNS, LEDGER, LOCK, JOURNAL, *(f"{name}/{PARTS}" for name in PART_DIRS))
PART = re.compile(r"^part-(\d+)\.parquet$")
ROW_GROUP = 8_192  # rows converted and written at a time: bounds the memory of big run lists
_HELD: dict[str, Any] = {}  # folders whose writer lock this process holds -> the lock file


class StoreError(ValueError):
    """A store cannot be used as asked; the message is one line naming the folder."""


class PartError(StoreError):
    """A committed part file is damaged (or missing): one line naming it and saying to resume.

    Attributes:
        path: The part file.
        reason: What is wrong with it (``cannot be read: ...``, ``missing``, ...).
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        folder = path.parent.parent
        what = reason if reason.startswith(MISSING) else f"damaged ({reason})"
        super().__init__(f"{path}: {what}; resuming the store (--resume {folder}) moves its "
                         "batch aside and runs it again")


MISSING = "missing"


def part_name(batch: int) -> str:
    """File name of batch ``batch``'s part in each part folder."""
    return f"part-{batch:06d}.parquet"


def part_ids(folder: Path) -> dict[int, Path]:
    """Committed part files of one part folder by batch id (temporary files are hidden)."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = PART.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


class RunIndex:
    """Run ids in run-list order, and where each one is, in a few bytes per run.

    A coordinator holds this for the whole sweep, so it keeps no Python object per run: the
    ids are one fixed-width numpy string array, searched through a sorting permutation
    (60 bytes a run for ids of 13 characters).
    """

    def __init__(self, run_ids: Sequence[str] | np.ndarray) -> None:
        self.ids = np.asarray(run_ids, dtype=str)
        self._order = np.argsort(self.ids, kind="stable")

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, run_ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Row of each run id in the run list, -1 for an id not in it."""
        wanted = np.asarray(run_ids, dtype=str)
        if not len(self.ids) or not len(wanted):
            return np.full(len(wanted), -1, dtype=np.int64)
        slots = np.searchsorted(self.ids, wanted, sorter=self._order)
        found = self._order[np.minimum(slots, len(self.ids) - 1)]
        return np.where(self.ids[found] == wanted, found, -1).astype(np.int64)


# --- writing files atomically ------------------------------------------------------------------

def write_table(path: Path, table: pa.Table, *, unique: tuple[str, ...] = ()) -> None:
    """Write a Parquet file atomically: temporary file beside it, fsync, rename."""
    write_parquet(path, table.schema, [table], unique=unique)


def write_parquet(path: Path, schema: pa.Schema, pieces: Iterable[pa.Table], *,
                   unique: tuple[str, ...] = ()) -> None:
    """Write pieces of a table as one Parquet file, atomically, a row group at a time.

    Columns of ``unique`` values (the run list's run ids) are not dictionary-encoded: a
    dictionary of unique values only costs memory.
    """
    coded = [f.name for f in schema if f.name not in unique]

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema, use_dictionary=coded) as writer:
            for piece in pieces:  # row groups by size, whatever the pieces' chunks
                writer.write_table(piece, row_group_size=ROW_GROUP)
        _fsync_file(tmp)

    write_atomic(path, write)


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write a JSON file (indented, UTF-8) atomically."""
    write_bytes(path, json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8"))


def write_bytes(path: Path, content: bytes) -> None:
    """Write a file atomically: temporary file beside it, fsync, rename."""
    def write(tmp: Path) -> None:
        tmp.write_bytes(content)
        _fsync_file(tmp)

    write_atomic(path, write)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the files renamed or made in it) to disk, if it can."""
    # makes the renames durable across a power cut too (a killed process needs no fsync)
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


# --- the writer's lock -------------------------------------------------------------------------

def acquire_lock(folder: Path) -> str:
    """Take the store's writer lock, or say which process holds it.

    A POSIX record lock (``lockf``) is released by the kernel when its process dies, and is
    not inherited by forked workers; it does not exclude the same process, hence the set of
    folders this process holds (which also keeps a second file handle, whose closing would
    drop the lock, from being opened).
    """
    key = str(folder.resolve())
    if key in _HELD:
        raise StoreError(f"{folder}: in use by process {os.getpid()} (this one): close the "
                         "other store object first")
    handle = open(folder / LOCK, "a+")  # noqa: SIM115 - held open for the store's lifetime
    if fcntl is not None:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(f"{folder}: in use by {holder}; wait for it to end or stop it "
                             "first") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
    handle.flush()
    _HELD[key] = handle
    return key


def release_lock(key: str | None) -> None:
    """Release a writer's lock that :func:`acquire_lock` took (None: none was taken)."""
    handle = _HELD.pop(key, None) if key is not None else None
    if handle is not None and not handle.closed:
        handle.close()  # closing the file drops the lock


# --- reading the run list and committed parts --------------------------------------------------

def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_part(path: Path, columns: list[str] | None = None, *,
               schema: bool = False) -> Any:
    """A committed part as a table (or its schema): every part is read through here.

    Raises:
        PartError: The file cannot be read (truncated, empty, not Parquet, gone): one line
            naming it, never a pyarrow error.
    """
    try:
        if schema:
            return pq.read_schema(path)
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise PartError(path, f"cannot be read: {_first_line(exc)}") from None


def part_run_ids(path: Path) -> tuple[np.ndarray, int]:
    """A part's run ids (row order) and row count, reading its footer and run_id column."""
    try:
        with pq.ParquetFile(path) as file:  # one opening for both: a store has many parts
            if "run_id" not in file.schema_arrow.names:
                raise PartError(path, "not a part of this store (it has no run_id column)")
            ids = file.read(columns=["run_id"]).column("run_id")
    except (pa.ArrowException, OSError) as exc:
        raise PartError(path, f"cannot be read: {_first_line(exc)}") from None
    return np.asarray(ids.to_numpy(zero_copy_only=False), dtype=str), len(ids)


def read_run_keys(path: Path) -> tuple[RunIndex, np.ndarray]:
    """Run ids and seeds of a run list, read a row group at a time."""
    def read(path: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
        ids, seeds = [], []
        with pq.ParquetFile(path) as file:
            for batch in file.iter_batches(batch_size=ROW_GROUP, columns=["run_id", "seed"]):
                ids.append(np.asarray(batch.column(0).to_numpy(zero_copy_only=False),
                                      dtype=str))
                seeds.append(batch.column(1).to_numpy().astype(np.int64))
        return ids, seeds

    ids, seeds = read_run_list(path, read)
    if not ids:
        return RunIndex([]), np.zeros(0, dtype=np.int64)
    return RunIndex(np.concatenate(ids)), np.concatenate(seeds)


def read_run_list(path: Path, read: Any) -> Any:
    """``read(path)`` of the run list; a damaged one is a one-line StoreError."""
    try:
        return read(path)
    except (pa.ArrowException, OSError) as exc:
        raise StoreError(f"{path}: the run list cannot be read ({_first_line(exc)}); without "
                         "it the folder can be neither read nor resumed: run the sweep again "
                         "into a new folder") from None


# --- checking and tidying a store folder -------------------------------------------------------

def check_store(folder: Path | str, *, run_list: bool = False) -> None:
    """Check that a folder holds a sweep store this version reads; nothing is written.

    Args:
        folder: The folder.
        run_list: Read the run list too (its run ids and seeds), not only the manifest.

    Raises:
        StoreError: It has no store manifest and run list, another store format, or (with
            ``run_list``) a run list that cannot be read.
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file() or not (folder / RUNS).is_file():
        raise StoreError(f"{folder}: not a sweep result store (no {MANIFEST} and {RUNS})")
    try:
        fmt = json.loads(manifest_path.read_text(encoding="utf-8"))["store"]["format"]
    except (OSError, ValueError, KeyError, TypeError):
        raise StoreError(f"{folder}: {MANIFEST} is not a sweep store's manifest") from None
    if fmt != FORMAT:
        raise StoreError(f"{folder}: store format {fmt!r}; this version reads {FORMAT!r}")
    if run_list:
        read_run_keys(folder / RUNS)


def clean_up(folder: Path) -> None:
    """Delete the temporary files an interrupted session left.

    Time-series parts of batches that never committed go once the committed batches are
    known (``experiments.runs.store.ResultStore._load_status``).
    """
    for place in (folder, *(folder / name for name in PART_DIRS)):
        place.mkdir(exist_ok=True)
        for path in place.iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink()
