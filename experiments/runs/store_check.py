"""Checking a store's committed batches and its commit journal, and repairing them.

Opening a store surveys every committed batch (``experiments.runs.store`` says what is checked
and why); this module finds what is damaged or missing, moves a damaged batch's parts to
``damaged/`` and journals that, and reads and appends the commit journal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from catfish.experiments.runs.files import WriteError, claim, describe_write_error, written
from catfish.experiments.runs.store_files import (
    DAMAGED,
    FAILURES,
    JOURNAL,
    MISSING,
    OUTCOMES,
    PART_DIRS,
    TIMESERIES,
    PartError,
    RunIndex,
    StoreError,
    fsync_dir,
    part_ids,
    part_name,
    part_run_ids,
)

SET_ASIDE = "set_aside"  # a journal line's key for a batch moved to damaged/


@dataclasses.dataclass(frozen=True)
class Repair:
    """A part of a damaged batch that opening the store for writing moved to ``damaged/``.

    Attributes:
        path: Where the part was (or, if missing, should have been).
        moved_to: Where it is now; None if it was missing.
        reason: What is wrong with it, or, for the other parts of its batch, which part is
            damaged and why.
        runs: Runs of the batch, pending again so that they run again (None: unknown, as no
            part of the batch could be read and its commit was not journalled).
        damaged: True for the damaged part itself, False for the rest of its batch.
    """

    path: Path
    moved_to: Path | None
    reason: str
    runs: int | None
    damaged: bool = True

    def describe(self) -> str:
        """One line for people, e.g. for ``catfish: warning: ...``."""
        again = "its runs will run again" if self.runs is None else \
            f"its {self.runs:,} run{'' if self.runs == 1 else 's'} will run again"
        if self.moved_to is None:
            return f"{self.path} is {self.reason}; {again}"
        what = f"is damaged ({self.reason})" if self.damaged else \
            f"is of a damaged batch ({self.reason})"
        return f"{self.path} {what}; moved to {self.moved_to}, {again}"


@dataclasses.dataclass
class Batch:
    """A committed batch as found on disk, and what (if anything) is wrong with it."""

    number: int
    parts: dict[str, Path]                # part folder -> part file, those present
    entry: dict[str, Any] | None          # its journal line (None: not journalled)
    done: np.ndarray = dataclasses.field(default_factory=lambda: np.array([], dtype=str))
    failed: np.ndarray = dataclasses.field(default_factory=lambda: np.array([], dtype=str))
    series_rows: int = 0
    runs: int | None = None               # runs it holds (None: unknown)
    problem: tuple[Path, str] | None = None   # the damaged (or missing) part, and why


@dataclasses.dataclass
class Survey:
    """Every committed batch of a store as found on disk, and what a crash left."""

    batches: list[Batch]
    leftovers: list[Path]                 # time-series parts of batches that never committed
    last_batch: int


def survey_batches(folder: Path, index: RunIndex) -> Survey:
    """Every committed batch of a store, checked against the run list and the journal."""
    # the journal first: a batch journalled by now has its parts in place when they are listed
    journal = _read_journal(folder)[0]
    recorded = {n: e for n, e in journal.items() if SET_ASIDE not in e}
    parts = {kind: part_ids(folder / kind) for kind in PART_DIRS}
    numbers = sorted(set(parts[OUTCOMES]) | set(parts[FAILURES]) | set(recorded))
    keeps_series = any(e["series_rows"] > 0 for e in recorded.values()) or \
        any(n in parts[TIMESERIES] for n in parts[OUTCOMES])
    batches = []
    for number in numbers:
        entry = recorded.get(number)
        # a time-series part counts only if its batch's outcomes were committed
        committed = number in parts[OUTCOMES] or (entry is not None and entry["done"] > 0)
        found = {kind: parts[kind][number] for kind in PART_DIRS if number in parts[kind]
                 and (kind != TIMESERIES or committed)}
        batch = Batch(number, found, entry)
        batch.problem = _check_batch(folder, batch, index, keeps_series)
        batches.append(batch)
    _check_overlaps(folder, [b for b in batches if b.problem is None])
    kept = {b.number for b in batches if TIMESERIES in b.parts}
    leftovers = [path for n, path in parts[TIMESERIES].items() if n not in kept]
    return Survey(batches, leftovers, max([0, *journal, *numbers]))


def _check_batch(folder: Path, batch: Batch, index: RunIndex,
                 keeps_series: bool) -> tuple[Path, str] | None:
    """The first damaged or missing part of a batch and why, or None if it is sound."""
    found: dict[str, tuple[np.ndarray, int]] = {}
    for kind, path in batch.parts.items():
        try:
            found[kind] = part_run_ids(path)
        except PartError as exc:
            if batch.entry is not None:
                batch.runs = batch.entry["done"] + batch.entry["failed"]
            elif kind == TIMESERIES:
                batch.runs = sum(len(_try_ids(batch.parts.get(k))) for k in (OUTCOMES, FAILURES))
            return exc.path, exc.reason
    batch.done = found.get(OUTCOMES, (np.array([], dtype=str), 0))[0]
    batch.failed = found.get(FAILURES, (np.array([], dtype=str), 0))[0]
    batch.series_rows = found.get(TIMESERIES, (None, 0))[1]
    batch.runs = len(batch.done) + len(batch.failed)
    if batch.entry is not None:
        batch.runs = batch.entry["done"] + batch.entry["failed"]
    for kind in (OUTCOMES, FAILURES):
        if kind in found:
            ids = found[kind][0]
            if (index.positions(ids) < 0).any():
                return batch.parts[kind], "holds runs that are not in the run list"
            if len(np.unique(ids)) != len(ids):
                return batch.parts[kind], "holds a run twice"
    problem = _against_journal(folder, batch, found) if batch.entry is not None else None
    if problem is not None:
        return problem
    series = found.get(TIMESERIES)
    if batch.entry is None and keeps_series and len(batch.done) and series is None:
        return (folder / TIMESERIES / part_name(batch.number),
                "missing (the store keeps time series, and its batch's outcomes are there)")
    if series is not None and not np.isin(np.unique(series[0]), batch.done).all():
        return batch.parts[TIMESERIES], "holds time series of runs its batch did not finish"
    return None


def _try_ids(path: Path | None) -> np.ndarray:
    """A part's run ids, or none if it is absent or cannot be read."""
    try:
        return part_run_ids(path)[0] if path is not None else np.array([], dtype=str)
    except PartError:
        return np.array([], dtype=str)


def _against_journal(folder: Path, batch: Batch,
                     found: dict[str, tuple[np.ndarray, int]]) -> tuple[Path, str] | None:
    """A part of a journalled batch that disagrees with its journal line, and how."""
    entry = batch.entry
    for kind, key in ((OUTCOMES, "done"), (FAILURES, "failed")):
        expected = entry[key]
        if kind not in found:
            if expected:
                return (folder / kind / part_name(batch.number),
                        f"missing (its batch was committed with {expected:,} {key} runs)")
            continue
        ids = found[kind][0]
        if len(ids) != expected:
            return batch.parts[kind], f"holds {len(ids):,} runs; its commit recorded {expected:,}"
        if _digest(ids) != entry[f"{key}_ids"]:
            return batch.parts[kind], "holds other runs than its commit recorded"
    rows = found[TIMESERIES][1] if TIMESERIES in found else 0
    if entry["series_rows"] and TIMESERIES not in found:
        return (folder / TIMESERIES / part_name(batch.number),
                f"missing (its batch was committed with {entry['series_rows']:,} months of "
                "time series)")
    if rows != entry["series_rows"]:
        return (batch.parts[TIMESERIES], f"holds {rows:,} time-series rows; its commit "
                f"recorded {entry['series_rows']:,}")
    return None


def _check_overlaps(folder: Path, batches: list[Batch]) -> None:
    """Mark batches whose done runs are also done in another batch.

    Of two batches sharing a run, a journalled one (its runs checked against the journal)
    is kept and the other set aside; if neither or both are journalled, both are set aside:
    there is no telling which is right.
    """
    done = [b for b in batches if len(b.done)]
    if len(done) < 2:
        return
    ids = np.concatenate([b.done for b in done])
    owner = np.repeat(np.arange(len(done)), [len(b.done) for b in done])
    order = np.argsort(ids, kind="stable")
    ids, owner = ids[order], owner[order]
    twice = np.flatnonzero(ids[1:] == ids[:-1])
    for first, second in {(int(owner[i]), int(owner[i + 1])) for i in twice}:
        pair = (done[first], done[second])
        journalled = [b.entry is not None for b in pair]
        for batch, other, trusted in ((*pair, journalled[0]), (pair[1], pair[0], journalled[1])):
            if batch.problem is None and (not trusted or all(journalled)):
                name = other.parts[OUTCOMES].relative_to(folder)
                batch.problem = (batch.parts[OUTCOMES], f"holds runs also done in {name}")


def set_aside(folder: Path, batch: Batch) -> list[Repair]:
    """Move every part of a damaged batch to damaged/ (claimed first); journal it."""
    culprit, reason = batch.problem
    moves = {path: _aside(folder, kind, path) for kind, path in batch.parts.items()}
    _claim(folder, list(moves.values()))
    try:
        (folder / DAMAGED).mkdir(exist_ok=True)
        for path, name in moves.items():
            os.replace(path, folder / name)
    except OSError as exc:
        raise StoreError(f"{culprit}: damaged ({reason}), and it cannot be moved to "
                         f"{folder / DAMAGED} ({exc.strerror}); move its batch's parts "
                         f"(part-{batch.number:06d}) out of the folder by hand") from None
    for place in {folder / DAMAGED, *(path.parent for path in moves)}:
        fsync_dir(place)
    append_journal(folder, [{"batch": batch.number,
                              SET_ASIDE: f"{culprit.relative_to(folder)}: {reason}"}])
    why = f"{culprit.relative_to(folder)} is {MISSING if reason.startswith(MISSING) else 'damaged'}"
    repairs = [] if culprit in moves else [Repair(culprit, None, reason, batch.runs)]
    for path, name in sorted(moves.items(), key=lambda item: item[0] != culprit):
        repairs.append(Repair(path, folder / name, reason if path == culprit else why,
                              batch.runs, damaged=path == culprit))
    return repairs


def _aside(folder: Path, kind: str, path: Path) -> str:
    """A free name in damaged/ for a part (manifest-style, relative to the folder)."""
    name = f"{DAMAGED}/{kind}-{path.name}"
    copy = 1
    while (folder / name).exists():  # only if a batch number was used twice
        copy += 1
        name = f"{DAMAGED}/{kind}-{path.stem}-{copy}{path.suffix}"
    return name


def _claim(folder: Path, names: list[str]) -> None:
    """List files the store is about to write in its manifest (if it lists its files)."""
    if written(folder) is not None:  # a store made before manifests listed files: nothing
        claim(folder, names)


# --- the commit journal ------------------------------------------------------------------------

def _digest(run_ids: Iterable[str]) -> str:
    """A digest of a set of run ids (whatever their order)."""
    text = "\n".join(sorted(str(r) for r in run_ids))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def journal_line(batch: int, done: Iterable[str], failed: Iterable[str],
                  series_rows: int) -> dict[str, Any]:
    """The journal line of a committed batch: its counts, and digests of its run ids."""
    done, failed = list(done), list(failed)
    return {"batch": int(batch), "done": len(done), "failed": len(failed),
            "series_rows": int(series_rows), "done_ids": _digest(done),
            "failed_ids": _digest(failed)}


def _read_journal(folder: Path) -> tuple[dict[int, dict[str, Any]], int]:
    """The journal's lines by batch (a later line wins), and how many bytes end a line.

    A last line without its newline is torn (a crash while it was written) and ignored; so
    is a line that is not a journal line: its batch is checked as one not journalled.
    """
    try:
        data = (folder / JOURNAL).read_bytes()
    except FileNotFoundError:
        return {}, 0
    except OSError as exc:
        raise StoreError(f"{folder / JOURNAL}: cannot be read ({exc.strerror})") from None
    whole = data.rfind(b"\n") + 1
    lines = {}
    for line in data[:whole].splitlines():
        entry = _journal_entry(line)
        if entry is not None:
            lines[entry["batch"]] = entry
    return lines, whole


def _journal_entry(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or not _count(entry.get("batch")):
        return None
    if isinstance(entry.get(SET_ASIDE), str):
        return entry
    counts = ("done", "failed", "series_rows")
    if all(_count(entry.get(k)) is not None for k in counts) and \
            all(isinstance(entry.get(k), str) for k in ("done_ids", "failed_ids")):
        return entry
    return None


def _count(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def append_journal(folder: Path, lines: list[dict[str, Any]]) -> None:
    """Append lines to the journal and fsync it (made, and claimed, on first use)."""
    if not lines:
        return
    path = folder / JOURNAL
    new = not path.exists()
    if new:
        _claim(folder, [JOURNAL])
    text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    try:
        drop_torn_line(path)
        with open(path, "ab") as journal:
            journal.write(text.encode("utf-8"))
            journal.flush()
            os.fsync(journal.fileno())
    except OSError as exc:
        raise WriteError(exc.errno, describe_write_error(
            OSError(exc.errno, exc.strerror, str(path)))) from None
    if new:
        fsync_dir(folder)


def drop_torn_line(path: Path) -> None:
    """Cut a torn last line off the journal, so that the next line starts on its own."""
    size = path.stat().st_size if path.exists() else 0
    if not size:
        return
    with open(path, "rb") as journal:
        journal.seek(size - 1)
        if journal.read(1) == b"\n":  # the usual case: read one byte, not the journal
            return
    os.truncate(path, _read_journal(path.parent)[1])
