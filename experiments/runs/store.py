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
    commits.jsonl        the commit journal, the ledger of commits: one JSON line per committed
                         batch (batch; done and failed runs; time-series rows; digests of its
                         done and failed run ids), and ``{"batch": N, "set_aside": why}`` for
                         a batch moved to damaged/; made on the first commit
    damaged/             KIND-part-NNNNNN.parquet: the parts of damaged batches, moved aside
                         (and listed in the manifest) when the store was opened for writing
    ledger.parquet       run_id, status, error: a snapshot rewritten when a session ends
    .lock                held (POSIX lock) by the one process writing; the kernel releases it
                         when that process exits or is killed

Commit protocol for a batch N: write ``timeseries/part-N``, then ``failures/part-N``, then
``outcomes.parquet/part-N``; each file is written to a temporary file beside it, fsynced
and renamed into place (``os.replace`` is atomic). The rename of the outcomes part commits
the batch's finished runs (a batch of failed runs only commits with its failures part): a
run is *done* iff its run_id is in an outcomes part; *failed* iff it is in a failures part
and not done; *pending* otherwise. Right after the commit a line is appended to the commit
journal and fsynced. A crash can therefore only leave temporary files, time-series parts
whose outcomes part never arrived, a committed batch without its journal line, and a torn
last journal line; opening the store for writing deletes the first two (their runs are
still pending), checks such a batch like any other and journals it, and drops the torn line.

Opening a store also checks every committed part, so that a disk, a copy or a person that
damaged one cannot make a sweep fail for good or read back wrong: its Parquet footer and
run ids can be read; its run ids are in the run list, each once, and in no other batch's
outcomes; they and its row count agree with its journal line (a batch not yet journalled
gets these checks without the journal); and its time series, if the store keeps them, are
there, of its done runs. Opening for writing (``--resume``) moves every part of a damaged
batch to ``damaged/`` (claimed in the manifest first, so that ``--overwrite`` removes
them), journals that the batch was set aside, and leaves its runs pending so that they run
again; :attr:`ResultStore.repairs` lists what was moved. Opening read-only moves nothing
and raises a :class:`StoreError` naming the damaged part instead.

Results are never held in memory: a store keeps only the run ids, seeds and one status byte
per run, so a coordinator stays flat in memory however long the sweep.

The tables read back (``outcomes()``, ``timeseries()``) are sorted by run_id (and month),
and their columns are ordered by rule, not by the order batches happened to finish in, so
an interrupted and resumed sweep reads back identical to an uninterrupted one.

The store's files (layout, atomic writers, writer lock, reading parts) are in
``experiments.runs.store_files``; checking committed batches against the run list and the commit
journal, and setting damaged ones aside, is in ``experiments.runs.store_check``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from catfish.experiments.runs.files import WRITTEN, check_output, claim_output, written
from catfish.experiments.runs.store_check import (
    Repair,
    append_journal,
    drop_torn_line,
    journal_line,
    set_aside,
    survey_batches,
)
from catfish.experiments.runs.store_files import (
    FAILURES,
    FORMAT,
    JOURNAL,
    LEDGER,
    LOCK,
    MANIFEST,
    OUTCOMES,
    PART_DIRS,
    ROW_GROUP,
    RUNS,
    STORE_ENTRIES,
    STORE_FILES,
    TIMESERIES,
    PartError,
    RunIndex,
    StoreError,
    acquire_lock,
    check_store,
    clean_up,
    fsync_dir,
    part_ids,
    part_name,
    part_run_ids,
    read_part,
    read_run_keys,
    read_run_list,
    release_lock,
    write_bytes,
    write_json,
    write_parquet,
    write_table,
)
from catfish.sim import codebook

# what other code imports from here; the rest of the store's files and checks are in
# experiments.runs.store_files and experiments.runs.store_check
__all__ = [
    "DONE",
    "FAILED",
    "FAILURES",
    "OUTCOMES",
    "PENDING",
    "TIMESERIES",
    "PartError",
    "Repair",
    "ResultStore",
    "RunRecord",
    "StoreError",
    "check_store",
    "part_ids",
    "part_name",
]

RUN_KEYS = ("run_id", "point", "replicate", "seed")
SERIES_KEYS = ("run_id", "month", "date")
PENDING, DONE, FAILED = 0, 1, 2
STATUS_NAMES = {PENDING: "pending", DONE: "done", FAILED: "failed"}
MAX_ERROR_CHARS = 2_000  # a traceback-sized message is enough to diagnose; the ledger stays small
OUTCOME_ORDER = {c.name: i for i, c in enumerate(codebook.OUTCOMES)}
SERIES_ORDER = {c.name: i for i, c in enumerate(codebook.TIMESERIES)}
INT32 = np.iinfo(np.int32)


@dataclasses.dataclass
class SeriesSlice:
    """One run's rows ``start:stop`` of its batch's time series, a block of columns by name.

    The records of a batch share the block (``experiments.runs.runner.join_series``).
    """

    block: dict[str, np.ndarray]
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def columns(self) -> dict[str, np.ndarray]:
        """This run's columns."""
        return {name: column[self.start:self.stop] for name, column in self.block.items()}


@dataclasses.dataclass
class RunRecord:
    """What one run sends back to be stored: outcomes and time series, or an error.

    Attributes:
        run_id: The run's id in the store's run list.
        outcomes: Run outcomes (name -> scalar); None if the run failed.
        timeseries: The run's monthly time series, a DataFrame (as ``run_one`` gives it),
            columns (name -> array, equal lengths) or a :class:`SeriesSlice` of its batch's;
            None if not kept or the run failed.
        error: ``"ExceptionType: message"`` if the run raised, else None.
        seconds: Time the worker spent on the run (not stored; for speed reports).
    """

    run_id: str
    outcomes: dict[str, Any] | None = None
    timeseries: dict[str, np.ndarray] | pd.DataFrame | SeriesSlice | None = None
    error: str | None = None
    seconds: float = 0.0


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
        #: parts of damaged batches moved to damaged/ when the store was opened for writing
        self.repairs: list[Repair] = []
        self._load_status()

    # --- making and opening -----------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path | str, manifest: dict[str, Any], runs: pd.DataFrame, *,
               overwrite: bool = False,
               files: Mapping[str, str | bytes] | None = None,
               option: str = "--out") -> ResultStore:
        """Make a new store holding the run list; nothing is done yet.

        Args:
            folder: The store folder; it may exist if it is empty.
            manifest: Provenance (sweep file hash, design, seeds, versions, code version);
                a JSON-serialisable dict without a ``"store"`` key: the store adds that
                section (format, runs, factors; counts, wall time, sessions).
            runs: One row per run: ``run_id`` (unique strings), ``point``, ``replicate``,
                ``seed`` (integers) and one column per factor.
            overwrite: Replace the results of an earlier Catfish command there: only the files
                its manifest lists are removed (``experiments.runs.files``); a folder holding
                anything else is refused.
            files: Other files to keep in the folder (name -> text or bytes), e.g. copies of
                the sweep file that a resume reads; written before the manifest, so that a
                store never lacks them, even after a crash.
            option: The command-line option that named the folder, for messages.

        Raises:
            OutputError: The folder cannot be used (see ``experiments.runs.files.check_location``).
            OutputExistsError: The folder is not empty and ``overwrite`` is false, or it is
                not a Catfish result folder.
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
        files = dict(files or {})
        for name in files:
            if name in STORE_ENTRIES or Path(name).name != name or name.startswith("."):
                raise StoreError(f"{folder}: files: {name!r} must be a plain file name other "
                                 f"than the store's own ({', '.join(STORE_ENTRIES)})")
        # checked before anything is written; the lock is taken before anything is removed,
        # so a store another process is writing is never emptied under it
        folder = check_output(folder, overwrite=overwrite, option=option,
                              resume_hint=f", resume it (--resume {folder})")
        folder.mkdir(parents=True, exist_ok=True)
        lock = acquire_lock(folder)
        command = str(manifest.get("command") or f"catfish {manifest.get('kind', 'sweep')}")
        try:
            claim_output(folder, command=command,
                         files=[*STORE_FILES, *files], keep=(LOCK,), option=option)
            for name in PART_DIRS:
                (folder / name).mkdir(exist_ok=True)
            write_parquet(folder / RUNS, schema, _slices(runs, schema), unique=("run_id",))
            for name, content in files.items():
                write_bytes(folder / name,
                             content.encode("utf-8") if isinstance(content, str) else content)
            record = {"command": command, **json.loads(manifest_text), "store": {
                "format": FORMAT,
                "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "runs": len(runs),
                "factors": [c for c in runs.columns if c not in RUN_KEYS],
                "counts": None, "wall_seconds": 0.0, "sessions": [],
            }, WRITTEN: written(folder)}
            write_json(folder / MANIFEST, record)  # last: a folder with its section is a store
            fsync_dir(folder)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            release_lock(lock)
            raise StoreError(f"runs: a factor column cannot be stored in Parquet: {exc}") \
                from None
        except BaseException:
            release_lock(lock)
            raise
        return cls(folder, RunIndex(runs["run_id"].to_numpy()), runs["seed"].to_numpy(np.int64),
                   readonly=False, lock=lock)

    @classmethod
    def open(cls, folder: Path | str, *, readonly: bool = False) -> ResultStore:
        """Open an existing store, to resume it or to read it.

        Opening for writing takes the store's lock, cleans up what an interrupted session
        left (temporary files, time-series parts whose batch never committed, a torn journal
        line), checks every committed part and moves the parts of damaged batches to
        ``damaged/``, listing them in :attr:`repairs`; their runs are pending again.

        Args:
            folder: The store folder.
            readonly: Read only: no lock, no clean-up, nothing moved (safe while a sweep is
                writing); only committed batches are read.

        Raises:
            StoreError: The folder is not a store, or another process is writing it.
            PartError: Read-only: a committed part is damaged or missing (a StoreError naming
                it and saying that resuming the store repairs it).
        """
        folder = Path(folder)
        check_store(folder)
        lock = None if readonly else acquire_lock(folder)
        try:
            if not readonly:
                clean_up(folder)
            index, seeds = read_run_keys(folder / RUNS)
            return cls(folder, index, seeds, readonly=readonly, lock=lock)
        except BaseException:
            release_lock(lock)
            raise

    def close(self) -> None:
        """Release the writer's lock (also released if the process ends)."""
        release_lock(self._lock)
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
        tables = [read_part(path, ["run_id", "error"])
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
        return read_run_list(self.folder / RUNS, lambda path: pq.read_table(path)).to_pandas()

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
        name, written, series_rows = part_name(batch), [], 0
        if with_series:
            written.append(self.folder / TIMESERIES)
            series = _series_table(with_series)
            series_rows = series.num_rows
            write_table(written[-1] / name, series)
        if failed:
            written.append(self.folder / FAILURES)
            write_table(written[-1] / name, pa.table({
                "run_id": pa.array([r.run_id for r in failed], pa.string()),
                "error": pa.array([r.error[:MAX_ERROR_CHARS] for r in failed], pa.string())}))
        if done:
            written.append(self.folder / OUTCOMES)
            write_table(written[-1] / name, _outcomes_table(done))  # the commit
        for folder in written:
            fsync_dir(folder)
        # after the commit: a crash before this line leaves a batch that opening checks and
        # journals; never a journal line for a batch that did not commit
        append_journal(self.folder, [journal_line(
            batch, [r.run_id for r in done], [r.run_id for r in failed], series_rows)])
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
        self._snapshot(session)

    def _snapshot(self, session: dict[str, Any] | None = None) -> None:
        """Write the ledger, and the counts (and a session) in the manifest."""
        write_table(self.folder / LEDGER, self._ledger_table(), unique=("run_id",))
        record = self.manifest()
        store = record["store"]
        if session is not None:
            store["sessions"].append(session)
            store["wall_seconds"] = round(store["wall_seconds"]
                                          + session.get("wall_seconds", 0.0), 3)
        store["counts"] = self.status_counts()
        store["complete"] = store["counts"]["pending"] == 0
        write_json(self.folder / MANIFEST, record)
        fsync_dir(self.folder)

    # --- reading the results ----------------------------------------------------------------

    def outcomes(self, *, order: str = "codebook") -> pd.DataFrame:
        """One row per done run, sorted by run_id.

        Columns: run_id, point, replicate, seed, the factor values, then the outcomes in the
        codebook's order, then the others (e.g. ``spent_by_deadline_<account>_rmb``; an
        account a run lacked is 0): by name, or with ``order="runs"`` in the order they first
        appear in run order (a comparison's accounts as its mixes list their instruments).
        An outcome named like a factor gets the suffix ``_outcome``.
        """
        runs = self.runs()
        parts = [read_part(path) for path in self._committed(OUTCOMES).values()]
        if not parts:
            return runs.iloc[:0].reset_index(drop=True)
        table = pa.concat_tables(parts, promote_options="permissive")
        names = ["run_id"] + _ordered([c for c in table.column_names if c != "run_id"],
                                      OUTCOME_ORDER,
                                      self.first_seen(OUTCOMES) if order == "runs" else None)
        table = table.select(names).sort_by("run_id")
        outcomes = table.to_pandas()
        spending = [c for c in outcomes.columns if c.startswith("spent_by_deadline_")
                    and c.endswith("_rmb") and c != "spent_by_deadline_rmb"]
        if spending:  # an account a run's mix lacked: it spent nothing, 0 as in compare
            outcomes[spending] = outcomes[spending].fillna(0.0)
        return runs.merge(outcomes, on="run_id", how="right", validate="one_to_one",
                          suffixes=("", "_outcome"))

    def first_seen(self, kind: str = TIMESERIES) -> list[str]:
        """A kind of part's columns (outcomes or time series) in the order they first appear.

        The parts are read in the order of their first run, their schemas only.
        """
        firsts = []
        for path in self._committed(kind).values():
            ids, _ = part_run_ids(path)
            if len(ids):
                firsts.append((min(ids), path))
        names: dict[str, None] = {}
        for _, path in sorted(firsts):
            names.update(dict.fromkeys(read_part(path, schema=True).names))
        return list(names)

    def series_columns(self, *, order: str = "codebook") -> list[str]:
        """The stored time-series columns after run_id, month and date (see timeseries)."""
        found: dict[str, None] = {}
        for path in self._committed(TIMESERIES).values():
            found.update(dict.fromkeys(read_part(path, schema=True).names))
        return _ordered([c for c in found if c not in SERIES_KEYS], SERIES_ORDER,
                        self.first_seen(TIMESERIES) if order == "runs" else None)

    def iter_timeseries(self, columns: Sequence[str], *, runs_per_chunk: int = 1_000,
                        ) -> Iterator[pd.DataFrame]:
        """The done runs' time series in chunks of runs, sorted by run_id and month.

        For writing a long comparison's time series with bounded memory: a chunk reads only
        the parts holding its runs (a batch's runs are usually consecutive). Every chunk has
        exactly ``columns`` (after run_id, month and date) with one dtype each: integers as
        int64; a spending column a run lacks is 0, other missing values NaN.

        Args:
            columns: The columns, e.g. :meth:`series_columns`.
            runs_per_chunk: Runs per chunk.
        """
        spans = []
        for path in self._committed(TIMESERIES).values():
            ids, _ = part_run_ids(path)
            if len(ids):
                spans.append((min(ids), max(ids), path))
        dtypes = self._series_dtypes([p for *_, p in spans], columns)
        done = np.sort(self._run_ids.ids[self._status == DONE])
        for start in range(0, len(done), runs_per_chunk):
            chunk = done[start:start + runs_per_chunk]
            low, high = chunk[0], chunk[-1]
            wanted = pa.array(chunk, pa.string())
            tables = []
            for first, last, path in spans:
                if last < low or first > high:
                    continue
                present = set(read_part(path, schema=True).names)
                table = read_part(path, [*SERIES_KEYS, *[c for c in columns if c in present]])
                tables.append(table.filter(pc.is_in(table.column("run_id"), wanted)))
            if not tables:
                continue
            table = pa.concat_tables(tables, promote_options="permissive").sort_by(
                [("run_id", "ascending"), ("month", "ascending")])
            frame = table.to_pandas()
            for name in columns:
                if name not in frame.columns:
                    frame[name] = np.nan
            frame = frame[[*SERIES_KEYS, *columns]]
            spending = [c for c in columns if c.startswith("spent_") and c.endswith("_rmb")]
            if spending:
                frame[spending] = frame[spending].fillna(0.0)
            yield frame.astype(dtypes)

    def _series_dtypes(self, paths: Sequence[Path], columns: Sequence[str]) -> dict[str, Any]:
        """One dtype per column over every part: int64 for integers, as stored otherwise."""
        types: dict[str, pa.DataType] = {}
        for path in paths:
            for f in read_part(path, schema=True):
                if f.name in types and types[f.name] != f.type:
                    both = {types[f.name], f.type}
                    types[f.name] = pa.int64() if all(pa.types.is_integer(t) for t in both) \
                        else pa.float64()
                else:
                    types.setdefault(f.name, f.type)
        dtypes: dict[str, Any] = {"month": "int64"}
        for name in columns:
            kind = types.get(name)
            if kind is None or pa.types.is_floating(kind) or pa.types.is_null(kind):
                dtypes[name] = "float64"
            elif pa.types.is_integer(kind):
                dtypes[name] = "int64"
            elif pa.types.is_boolean(kind):
                dtypes[name] = "bool"
        return dtypes

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
            present = read_part(path, schema=True).names
            chosen = present if wanted is None else \
                [*SERIES_KEYS, *[c for c in wanted if c in present]]
            parts.append(read_part(path, chosen))
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
        """Statuses from the committed batches, checked first; damaged ones set aside.

        Read-only, the first damaged part raises; for writing, damaged batches are moved to
        ``damaged/`` (their runs stay pending) and batches committed but not journalled are
        journalled.
        """
        survey = survey_batches(self.folder, self._run_ids)
        damaged = [b for b in survey.batches if b.problem is not None]
        if self.readonly and damaged:
            raise PartError(*damaged[0].problem)
        if not self.readonly:
            drop_torn_line(self.folder / JOURNAL)
            for path in survey.leftovers:  # time series of batches that never committed
                path.unlink()
            for batch in damaged:
                self.repairs += set_aside(self.folder, batch)
            append_journal(self.folder, [
                journal_line(b.number, b.done, b.failed, b.series_rows)
                for b in survey.batches if b.problem is None and b.entry is None])
        sound = [b for b in survey.batches if b.problem is None]
        for kind, status in (("failed", FAILED), ("done", DONE)):  # done overrides failed
            for batch in sound:
                self._status[self._run_ids.positions(getattr(batch, kind))] = status
        self._next_batch = survey.last_batch + 1
        if self.repairs:  # the manifest's counts and the ledger no longer hold
            self._snapshot()


# --- building the part tables --------------------------------------------------------------

def _series_frame(record: RunRecord) -> pd.DataFrame:
    series = record.timeseries
    if isinstance(series, SeriesSlice):
        series = series.columns()
    return series if isinstance(series, pd.DataFrame) else pd.DataFrame(series)


def _whole_block(series: list[Any]) -> dict[str, np.ndarray] | None:
    """The block the records' slices make up together, in order; None if they do not."""
    if not all(isinstance(s, SeriesSlice) for s in series):
        return None
    block = series[0].block
    if any(s.block is not block for s in series) or series[0].start != 0 \
            or any(a.stop != b.start for a, b in zip(series, series[1:], strict=False)) \
            or series[-1].stop != len(block["month"]):
        return None
    return block


def _series_table(records: list[RunRecord]) -> pa.Table:
    """One table of the records' time series, with a run_id column first."""
    series = [r.timeseries for r in records]
    lengths = [len(s) if isinstance(s, pd.DataFrame | SeriesSlice)
               else len(next(iter(s.values()))) for s in series]
    run_ids = pa.array([r.run_id for r, n in zip(records, lengths, strict=True)
                        for _ in range(n)], pa.string())
    block = _whole_block(series)
    names = list(series[0].keys()) if isinstance(series[0], dict) else None
    if block is not None:  # the usual case: a batch from a worker, already one block
        table = pa.Table.from_pandas(pd.DataFrame(block, copy=False), preserve_index=False)
    elif names is not None and all(isinstance(s, dict) and list(s) == names for s in series):
        # the usual case, columns from workers: each column joined once, one conversion
        frame = pd.DataFrame({name: np.concatenate([s[name] for s in series])
                              for name in names}, copy=False)
        table = pa.Table.from_pandas(frame, preserve_index=False)
    else:
        frames = [_series_frame(r) for r in records]
        names = frames[0].columns
        if all(f.columns.equals(names) for f in frames):  # one conversion
            table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True),
                                         preserve_index=False)
        else:  # runs of different policy mixes: the union of their columns, nulls where absent
            table = pa.concat_tables([pa.Table.from_pandas(f, preserve_index=False)
                                      for f in frames], promote_options="permissive")
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


def _ordered(names: list[str], order: dict[str, int],
             seen: list[str] | None = None) -> list[str]:
    """Codebook columns in the codebook's order, then the others by name (or as ``seen``)."""
    known = sorted((n for n in names if n in order), key=order.__getitem__)
    others = [n for n in names if n not in order]
    if seen is None:
        return known + sorted(others)
    position = {n: i for i, n in enumerate(seen)}
    return known + sorted(others, key=lambda n: (position.get(n, len(position)), n))


# --- the run list ------------------------------------------------------------------------------

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


def _slices(frame: pd.DataFrame, schema: pa.Schema) -> Iterator[pa.Table]:
    """A DataFrame as Arrow tables of ``ROW_GROUP`` rows (never the whole frame at once)."""
    for start in range(0, len(frame), ROW_GROUP):
        yield pa.Table.from_pandas(frame.iloc[start:start + ROW_GROUP], schema=schema,
                                   preserve_index=False)
