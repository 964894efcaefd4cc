"""A crash-safe result store for sweeps: committed Parquet part files are the only truth.

A sweep runs thousands of runs for days; the store must survive ``kill -9`` at any moment
and resume without losing or repeating a run. Layout of a store folder::

    manifest.json        the caller's provenance dict, plus a "store" section (format, runs,
                         factors, created; counts, wall time and sessions once a session ends)
    runs.parquet         every run of the sweep, written once: run_id, point, replicate, seed
                         and one column per factor
    outcomes.parquet/    part-NNNNNN.parquet: run_id and the run outcomes, one row per run
    timeseries/          part-NNNNNN.parquet: run_id, month, date, columns, one row per month
    failures/            part-NNNNNN.parquet: run_id, error, one row per failed attempt
    ledger.parquet       run_id, status, error: a snapshot rewritten when a session ends
    .lock                held (POSIX lock) by the one process writing; the kernel releases it
                         when that process exits or is killed

Commit protocol for a batch N: write ``timeseries/part-N``, then ``failures/part-N``, then
``outcomes.parquet/part-N``; each file is written to a temporary file beside it, fsynced
and renamed into place (``os.replace`` is atomic). The rename of the outcomes part commits
the batch's finished runs: a run is *done* iff its run_id is in an outcomes part; *failed*
iff it is in a failures part and not done; *pending* otherwise. A crash can therefore only
leave temporary files and time-series parts whose outcomes part never arrived; opening the
store for writing deletes both, and their runs are still pending. Results are never held
in memory: a store keeps only the run ids, seeds and one status byte per run, so a
coordinator stays flat in memory however long the sweep.

The tables read back (``outcomes()``, ``timeseries()``) are sorted by run_id (and month),
and their columns are ordered by rule, not by the order batches happened to finish in, so
an interrupted and resumed sweep reads back identical to an uninterrupted one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.files import OutputExistsError, write_atomic
from sim import codebook

try:  # POSIX record locks: released by the kernel when the process dies, not inherited by fork
    import fcntl
except ImportError:  # pragma: no cover - Windows: only this process's own check
    fcntl = None

FORMAT = "catfish-sweep-store/1"
MANIFEST, RUNS, LEDGER, LOCK = "manifest.json", "runs.parquet", "ledger.parquet", ".lock"
OUTCOMES, TIMESERIES, FAILURES = "outcomes.parquet", "timeseries", "failures"
PART_DIRS = (OUTCOMES, TIMESERIES, FAILURES)
STORE_ENTRIES = (MANIFEST, RUNS, LEDGER, LOCK, *PART_DIRS)
RUN_KEYS = ("run_id", "point", "replicate", "seed")
SERIES_KEYS = ("run_id", "month", "date")
PENDING, DONE, FAILED = 0, 1, 2
STATUS_NAMES = {PENDING: "pending", DONE: "done", FAILED: "failed"}
MAX_ERROR_CHARS = 2_000  # a traceback-sized message is enough to diagnose; the ledger stays small
PART = re.compile(r"^part-(\d+)\.parquet$")
OUTCOME_ORDER = {c.name: i for i, c in enumerate(codebook.OUTCOMES)}
SERIES_ORDER = {c.name: i for i, c in enumerate(codebook.TIMESERIES)}
INT32 = np.iinfo(np.int32)
ROW_GROUP = 8_192  # rows converted and written at a time: bounds the memory of big run lists
_HELD: dict[str, Any] = {}  # folders whose writer lock this process holds -> the lock file


class StoreError(ValueError):
    """A store cannot be used as asked; the message is one line naming the folder."""


@dataclass
class RunRecord:
    """What one run sends back to be stored: outcomes and time series, or an error.

    Attributes:
        run_id: The run's id in the store's run list.
        outcomes: Run outcomes (name -> scalar); None if the run failed.
        timeseries: The run's monthly time series, a DataFrame (as ``run_one`` gives it) or
            columns (name -> array, equal lengths); None if not kept or the run failed.
        error: ``"ExceptionType: message"`` if the run raised, else None.
        seconds: Time the worker spent on the run (not stored; for speed reports).
    """

    run_id: str
    outcomes: dict[str, Any] | None = None
    timeseries: dict[str, np.ndarray] | pd.DataFrame | None = None
    error: str | None = None
    seconds: float = 0.0


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


class ResultStore:
    """A sweep's result folder: run list, ledger, outcomes and time series as Parquet parts.

    Make one with :meth:`create` or :meth:`open`; use it as a context manager (or call
    :meth:`close`) to release the writer's lock. Only the coordinating process writes;
    workers return :class:`RunRecord` lists that it hands to :meth:`commit`.
    """

    def __init__(self, folder: Path, run_ids: RunIndex, seeds: np.ndarray, *, readonly: bool,
                 lock: str | None = None) -> None:
        self.folder = folder
        self.readonly = readonly
        self._run_ids = run_ids
        self._seeds = seeds
        self._status = np.zeros(len(run_ids), dtype=np.int8)
        self._lock = lock
        self._next_batch = 1
        self._load_status()

    # --- making and opening -----------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path | str, manifest: dict[str, Any], runs: pd.DataFrame, *,
               overwrite: bool = False,
               files: Mapping[str, str | bytes] | None = None) -> ResultStore:
        """Make a new store holding the run list; nothing is done yet.

        Args:
            folder: The store folder; it may exist if it is empty.
            manifest: Provenance (sweep file hash, design, seeds, versions, code version);
                a JSON-serialisable dict without a ``"store"`` key: the store adds that
                section (format, runs, factors; counts, wall time, sessions).
            runs: One row per run: ``run_id`` (unique strings), ``point``, ``replicate``,
                ``seed`` (integers) and one column per factor.
            overwrite: Replace a store (or the store's files in a folder) already there;
                other files in the folder are left alone.
            files: Other files to keep in the folder (name -> text or bytes), e.g. copies of
                the sweep file that a resume reads; written before the manifest, so that a
                store never lacks them, even after a crash.

        Raises:
            OutputExistsError: The folder is not empty and ``overwrite`` is false.
            StoreError: ``runs`` or ``manifest`` is not valid, or another process holds it.
        """
        folder = Path(folder)
        _check_runs(runs)
        runs = runs.reset_index(drop=True)
        try:
            schema = pa.Schema.from_pandas(runs, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise StoreError(f"runs: a factor column cannot be stored in Parquet: {exc}") \
                from None
        try:
            manifest_text = json.dumps(manifest, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{folder}: the manifest is not JSON-serialisable: {exc}") from None
        if "store" in manifest:
            raise StoreError(f"{folder}: the manifest's 'store' key is the store's own section")
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"{folder}: exists and is not a folder")
        files = dict(files or {})
        for name in files:
            if name in STORE_ENTRIES or Path(name).name != name or name.startswith("."):
                raise StoreError(f"{folder}: files: {name!r} must be a plain file name other "
                                 f"than the store's own ({', '.join(STORE_ENTRIES)})")
        taken = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        if taken and not overwrite:
            what = "holds a sweep store" if (folder / MANIFEST).exists() else "is not empty"
            raise OutputExistsError(f"{folder} {what}: choose another output folder, resume "
                                    "it, or allow overwriting")
        folder.mkdir(parents=True, exist_ok=True)
        lock = _acquire_lock(folder)
        try:
            for name in STORE_ENTRIES:  # the manifest goes first: a half-deleted store is none
                if name != LOCK:
                    _remove(folder / name)
            for name in PART_DIRS:
                (folder / name).mkdir()
            _write_parquet(folder / RUNS, schema, _slices(runs, schema), unique=("run_id",))
            for name, content in files.items():
                _write_bytes(folder / name,
                             content.encode("utf-8") if isinstance(content, str) else content)
            record = {**json.loads(manifest_text), "store": {
                "format": FORMAT,
                "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "runs": len(runs),
                "factors": [c for c in runs.columns if c not in RUN_KEYS],
                "counts": None, "wall_seconds": 0.0, "sessions": [],
            }}
            _write_json(folder / MANIFEST, record)  # last: a folder with a manifest is a store
            _fsync_dir(folder)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            _release_lock(lock)
            raise StoreError(f"runs: a factor column cannot be stored in Parquet: {exc}") \
                from None
        except BaseException:
            _release_lock(lock)
            raise
        return cls(folder, RunIndex(runs["run_id"].to_numpy()), runs["seed"].to_numpy(np.int64),
                   readonly=False, lock=lock)

    @classmethod
    def open(cls, folder: Path | str, *, readonly: bool = False) -> ResultStore:
        """Open an existing store, to resume it or to read it.

        Opening for writing takes the store's lock and cleans up what an interrupted
        session left: temporary files, and time-series parts whose batch never committed.

        Args:
            folder: The store folder.
            readonly: Read only: no lock, no clean-up (safe while a sweep is writing);
                only committed batches are read.

        Raises:
            StoreError: The folder is not a store, or another process is writing it.
        """
        folder = Path(folder)
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file() or not (folder / RUNS).is_file():
            raise StoreError(f"{folder}: not a sweep result store (no {MANIFEST} and {RUNS})")
        try:
            fmt = json.loads(manifest_path.read_text(encoding="utf-8"))["store"]["format"]
        except (ValueError, KeyError, TypeError):
            raise StoreError(f"{folder}: {MANIFEST} is not a sweep store's manifest") from None
        if fmt != FORMAT:
            raise StoreError(f"{folder}: store format {fmt!r}; this version reads {FORMAT!r}")
        lock = None if readonly else _acquire_lock(folder)
        try:
            if not readonly:
                _clean_up(folder)
            index, seeds = _read_run_keys(folder / RUNS)
            return cls(folder, index, seeds, readonly=readonly, lock=lock)
        except BaseException:
            _release_lock(lock)
            raise

    def close(self) -> None:
        """Release the writer's lock (also released if the process ends)."""
        _release_lock(self._lock)
        self._lock = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the run list and the ledger ----------------------------------------------------------

    def __len__(self) -> int:
        """Number of runs in the sweep."""
        return len(self._run_ids)

    def position(self, run_id: str) -> int:
        """Row of ``run_id`` in the run list.

        Raises:
            StoreError: The run is not in the store's run list.
        """
        position = int(self._run_ids.positions([run_id])[0]) if isinstance(run_id, str) else -1
        if position < 0:
            raise StoreError(f"{self.folder}: run {run_id!r} is not in the store's run list "
                             "(was the sweep changed since the store was made?)")
        return position

    def seed_at(self, position: int) -> int:
        """Seed of the run at ``position`` of the run list."""
        return int(self._seeds[position])

    def status_at(self, position: int) -> int:
        """Status (``PENDING``, ``DONE`` or ``FAILED``) of the run at ``position``."""
        return int(self._status[position])

    def status_counts(self) -> dict[str, int]:
        """How many runs the sweep has, and how many are done, failed and pending."""
        counts = np.bincount(self._status, minlength=3)
        return {"runs": len(self), "done": int(counts[DONE]), "failed": int(counts[FAILED]),
                "pending": int(counts[PENDING])}

    def pending_ids(self) -> list[str]:
        """Runs neither done nor failed, in the run list's order."""
        return self._run_ids.ids[self._status == PENDING].tolist()

    def failed(self) -> pd.DataFrame:
        """Failed runs (not done since): run_id and the error of the latest attempt."""
        tables = [pq.read_table(path, columns=["run_id", "error"])
                  for path in part_ids(self.folder / FAILURES).values()]
        if not tables:
            return pd.DataFrame({"run_id": pd.Series([], dtype=str),
                                 "error": pd.Series([], dtype=str)})
        errors = pa.concat_tables(tables).to_pandas()  # parts in batch order: the last wins
        errors = errors.drop_duplicates("run_id", keep="last")
        status = self._status[self._run_ids.positions(errors["run_id"].to_numpy())]
        return (errors[status == FAILED].sort_values("run_id", kind="stable")
                .reset_index(drop=True))

    def ledger(self) -> pd.DataFrame:
        """Every run in the run list's order: run_id, status (pending/done/failed), error."""
        ledger = self._ledger_table().to_pandas()
        ledger["status"] = ledger["status"].astype(str)
        return ledger

    def _ledger_table(self) -> pa.Table:
        # built from arrays, not Python objects per run: this runs at the end of every session
        failed = self.failed()
        errors = np.full(len(self), None, dtype=object)
        errors[self._run_ids.positions(failed["run_id"].to_numpy())] = failed["error"].to_numpy()
        names = pa.array([STATUS_NAMES[k] for k in sorted(STATUS_NAMES)], pa.string())
        return pa.table({
            "run_id": pa.array(self._run_ids.ids, pa.string()),
            "status": pa.DictionaryArray.from_arrays(pa.array(self._status, pa.int8()), names),
            "error": pa.array(errors, pa.string()),
        })

    def runs(self) -> pd.DataFrame:
        """The run list: run_id, point, replicate, seed and the factor values."""
        return pq.read_table(self.folder / RUNS).to_pandas()

    def manifest(self) -> dict[str, Any]:
        """The manifest as it is on disk."""
        return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))

    # --- writing ----------------------------------------------------------------------------

    def commit(self, records: Sequence[RunRecord]) -> int | None:
        """Store a batch of finished runs durably; return its batch id (None if empty).

        Successful runs become done when their outcomes part is renamed into place; failed
        runs are recorded with their error. A failed run may be committed again (a retry).

        Raises:
            StoreError: The store is read-only, a run is unknown, already done, or twice in
                the batch.
        """
        if self.readonly:
            raise StoreError(f"{self.folder}: opened read-only")
        if not records:
            return None
        positions = np.array([self.position(r.run_id) for r in records], dtype=np.int64)
        if len(np.unique(positions)) != len(positions):
            raise StoreError(f"{self.folder}: a run appears twice in one batch")
        already = positions[self._status[positions] == DONE]
        if len(already):
            raise StoreError(f"{self.folder}: run {self._run_ids.ids[already[0]]!r} is already "
                             "done; committing it again would repeat it")
        batch = self._next_batch
        done = [r for r in records if r.error is None]
        failed = [r for r in records if r.error is not None]
        with_series = [r for r in done if r.timeseries is not None]
        name, written = part_name(batch), []
        if with_series:
            written.append(self.folder / TIMESERIES)
            _write_table(written[-1] / name, _series_table(with_series))
        if failed:
            written.append(self.folder / FAILURES)
            _write_table(written[-1] / name, pa.table({
                "run_id": pa.array([r.run_id for r in failed], pa.string()),
                "error": pa.array([r.error[:MAX_ERROR_CHARS] for r in failed], pa.string())}))
        if done:
            written.append(self.folder / OUTCOMES)
            _write_table(written[-1] / name, _outcomes_table(done))  # the commit
        for folder in written:
            _fsync_dir(folder)
        is_done = np.array([r.error is None for r in records])
        self._status[positions[is_done]] = DONE
        self._status[positions[~is_done]] = FAILED
        self._next_batch = batch + 1
        return batch

    def finish(self, session: dict[str, Any]) -> None:
        """Record a session's end: counts, wall time and the session in the manifest; ledger.

        Args:
            session: What the session did (JSON-serialisable), with ``wall_seconds``.
        """
        if self.readonly:
            raise StoreError(f"{self.folder}: opened read-only")
        _write_table(self.folder / LEDGER, self._ledger_table(), unique=("run_id",))
        record = self.manifest()
        store = record["store"]
        store["sessions"].append(session)
        store["wall_seconds"] = round(store["wall_seconds"] + session.get("wall_seconds", 0.0),
                                      3)
        store["counts"] = self.status_counts()
        store["complete"] = store["counts"]["pending"] == 0
        _write_json(self.folder / MANIFEST, record)
        _fsync_dir(self.folder)

    # --- reading the results ----------------------------------------------------------------

    def outcomes(self) -> pd.DataFrame:
        """One row per done run, sorted by run_id.

        Columns: run_id, point, replicate, seed, the factor values, then the outcomes in the
        codebook's order (others, e.g. ``spent_by_deadline_<account>_rmb``, by name; an
        account a run lacked is 0). An outcome named like a factor gets the suffix
        ``_outcome``.
        """
        runs = self.runs()
        parts = [pq.read_table(path) for path in self._committed(OUTCOMES).values()]
        if not parts:
            return runs.iloc[:0].reset_index(drop=True)
        table = pa.concat_tables(parts, promote_options="permissive")
        names = ["run_id"] + _ordered([c for c in table.column_names if c != "run_id"],
                                      OUTCOME_ORDER)
        table = table.select(names).sort_by("run_id")
        outcomes = table.to_pandas()
        spending = [c for c in outcomes.columns if c.startswith("spent_by_deadline_")
                    and c.endswith("_rmb") and c != "spent_by_deadline_rmb"]
        if spending:  # an account a run's mix lacked: it spent nothing, 0 as in compare
            outcomes[spending] = outcomes[spending].fillna(0.0)
        return runs.merge(outcomes, on="run_id", how="right", validate="one_to_one",
                          suffixes=("", "_outcome"))

    def timeseries(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Monthly time series of the done runs, sorted by run_id and month.

        Args:
            columns: Columns to read besides run_id, month and date (default: all, in the
                codebook's order, then the others by name). Instrument spending columns
                (``spent_<account>_rmb``) missing from some runs are 0 there, as in
                ``catfish compare``; other missing values are NaN.

        Raises:
            StoreError: A requested column is in no run's time series.
        """
        paths = list(self._committed(TIMESERIES).values())
        wanted = None if columns is None else [c for c in columns if c not in SERIES_KEYS]
        parts = []
        for path in paths:
            present = pq.read_schema(path).names
            chosen = present if wanted is None else \
                [*SERIES_KEYS, *[c for c in wanted if c in present]]
            parts.append(pq.read_table(path, columns=chosen))
        if not parts:
            return pd.DataFrame({c: [] for c in [*SERIES_KEYS, *(wanted or [])]})
        table = pa.concat_tables(parts, promote_options="permissive")
        found = [c for c in table.column_names if c not in SERIES_KEYS]
        if wanted is None:
            names = _ordered(found, SERIES_ORDER)
        else:
            missing = [c for c in wanted if c not in found]
            if missing:
                raise StoreError(f"{self.folder}: no time-series column {missing[0]!r} in the "
                                 "store")
            names = wanted
        table = table.select([*SERIES_KEYS, *names]).sort_by([("run_id", "ascending"),
                                                              ("month", "ascending")])
        series = table.to_pandas()
        spending = [c for c in names if c.startswith("spent_") and c.endswith("_rmb")]
        if spending:  # a run without an instrument spent nothing on it: 0, not missing
            series[spending] = series[spending].fillna(0.0)
        return series

    # --- inside -------------------------------------------------------------------------------

    def _committed(self, kind: str) -> dict[int, Path]:
        # a part counts only if its batch's outcomes part is there: in read-only mode a
        # time-series part may belong to a batch still being written
        committed = part_ids(self.folder / OUTCOMES)
        parts = part_ids(self.folder / kind)
        return {batch: path for batch, path in parts.items() if batch in committed}

    def _load_status(self) -> None:
        seen_batches = [0]
        for kind, status in ((FAILURES, FAILED), (OUTCOMES, DONE)):  # done overrides failed
            for batch, path in part_ids(self.folder / kind).items():
                ids = pq.read_table(path, columns=["run_id"]).column("run_id")
                positions = self._run_ids.positions(ids.to_numpy(zero_copy_only=False))
                if (positions < 0).any():
                    raise StoreError(f"{path}: holds runs that are not in the run list")
                self._status[positions] = status
                seen_batches.append(batch)
        seen_batches += list(part_ids(self.folder / TIMESERIES))
        self._next_batch = max(seen_batches) + 1


# --- building the part tables --------------------------------------------------------------

def _series_frame(record: RunRecord) -> pd.DataFrame:
    series = record.timeseries
    return series if isinstance(series, pd.DataFrame) else pd.DataFrame(series)


def _series_table(records: list[RunRecord]) -> pa.Table:
    """One table of the records' time series, with a run_id column first."""
    frames = [_series_frame(r) for r in records]
    run_ids = pa.array([r.run_id for r, frame in zip(records, frames, strict=True)
                        for _ in range(len(frame))], pa.string())
    names = frames[0].columns
    if all(f.columns.equals(names) for f in frames):  # the usual case: one conversion
        table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    else:  # runs of different policy mixes: the union of their columns, nulls where absent
        table = pa.concat_tables([pa.Table.from_pandas(f, preserve_index=False) for f in frames],
                                 promote_options="permissive")
    return _narrow_integers(table).add_column(0, "run_id", run_ids)


def _narrow_integers(table: pa.Table) -> pa.Table:
    """64-bit integer columns as int32 where every value fits: a third smaller on disk.

    Reading promotes back to int64 only if some batch had a larger value, which depends on
    the values, never on how runs were batched.
    """
    columns = []
    for column in table.columns:
        if pa.types.is_int64(column.type) and len(column):
            extremes = pc.min_max(column)
            low, high = extremes["min"], extremes["max"]
            if low.is_valid and INT32.min <= low.as_py() and high.as_py() <= INT32.max:
                column = column.cast(pa.int32())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _outcomes_table(records: list[RunRecord]) -> pa.Table:
    """One row per record: run_id and its outcomes (a name missing from a run is null)."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.outcomes or {}))
    columns = {"run_id": pa.array([r.run_id for r in records], pa.string())}
    for name in names:
        columns[name] = pa.array([(r.outcomes or {}).get(name) for r in records])
    return pa.table(columns)


def _ordered(names: list[str], order: dict[str, int]) -> list[str]:
    """Codebook columns in the codebook's order, then the others by name."""
    known = sorted((n for n in names if n in order), key=order.__getitem__)
    return known + sorted(n for n in names if n not in order)


# --- files ------------------------------------------------------------------------------------

def _check_runs(runs: pd.DataFrame) -> None:
    if not isinstance(runs, pd.DataFrame):
        raise StoreError(f"runs: expected a pandas DataFrame, got {type(runs).__name__}")
    missing = [c for c in RUN_KEYS if c not in runs.columns]
    if missing:
        raise StoreError(f"runs: missing column {missing[0]!r} (needs {', '.join(RUN_KEYS)} "
                         "and one column per factor)")
    ids = runs["run_id"]
    if not all(isinstance(x, str) and x for x in ids):
        raise StoreError("runs: run_id must be non-empty strings")
    if ids.duplicated().any():
        raise StoreError(f"runs: run_id {ids[ids.duplicated()].iloc[0]!r} appears twice")
    for column in ("point", "replicate", "seed"):
        if not pd.api.types.is_integer_dtype(runs[column]):
            raise StoreError(f"runs: column {column!r} must hold integers, has "
                             f"{runs[column].dtype}")


def _write_table(path: Path, table: pa.Table, *, unique: tuple[str, ...] = ()) -> None:
    """Write a Parquet file atomically: temporary file beside it, fsync, rename."""
    _write_parquet(path, table.schema, [table], unique=unique)


def _write_parquet(path: Path, schema: pa.Schema, pieces: Iterable[pa.Table], *,
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


def _slices(frame: pd.DataFrame, schema: pa.Schema) -> Iterator[pa.Table]:
    """A DataFrame as Arrow tables of ``ROW_GROUP`` rows (never the whole frame at once)."""
    for start in range(0, len(frame), ROW_GROUP):
        yield pa.Table.from_pandas(frame.iloc[start:start + ROW_GROUP], schema=schema,
                                   preserve_index=False)


def _read_run_keys(path: Path) -> tuple[RunIndex, np.ndarray]:
    """Run ids and seeds of a run list, read a row group at a time."""
    ids, seeds = [], []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=ROW_GROUP,
                                                   columns=["run_id", "seed"]):
        ids.append(np.asarray(batch.column(0).to_numpy(zero_copy_only=False), dtype=str))
        seeds.append(batch.column(1).to_numpy().astype(np.int64))
    if not ids:
        return RunIndex([]), np.zeros(0, dtype=np.int64)
    return RunIndex(np.concatenate(ids)), np.concatenate(seeds)


def _write_json(path: Path, record: dict[str, Any]) -> None:
    _write_bytes(path, json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8"))


def _write_bytes(path: Path, content: bytes) -> None:
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


def _fsync_dir(folder: Path) -> None:
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


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _clean_up(folder: Path) -> None:
    """Delete what an interrupted session left: temp files, uncommitted time-series parts."""
    for place in (folder, *(folder / name for name in PART_DIRS)):
        place.mkdir(exist_ok=True)
        for path in place.iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink()
    committed = part_ids(folder / OUTCOMES)
    for batch, path in part_ids(folder / TIMESERIES).items():
        if batch not in committed:
            path.unlink()


def _acquire_lock(folder: Path) -> str:
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


def _release_lock(key: str | None) -> None:
    handle = _HELD.pop(key, None) if key is not None else None
    if handle is not None and not handle.closed:
        handle.close()  # closing the file drops the lock

