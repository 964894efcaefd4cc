"""Result folders that never cost a user a file: checked first, written atomically, owned.

Every folder Catfish writes results into holds a ``manifest.json`` whose ``written`` list names
each file Catfish wrote there (a path relative to the folder; ``DIR/part-NNNNNN.parquet``
stands for every part file of a result store's part folder ``DIR``). That list is what
"Catfish's files" means:

- :func:`prepare` checks an output folder before anything runs: it is not ``/``, the home
  folder or the current folder itself, it is (or can be made) a writable folder, and, if it
  holds anything, it is a Catfish result folder and the caller allows overwriting;
- overwriting removes only the files the old manifest lists (:func:`remove_written`), never a
  file Catfish did not write, and refuses if a file Catfish is about to write is someone else's;
- names are claimed in the manifest *before* they are written (:func:`claim`), so a crash can
  leave a listed file missing but never an unlisted file of Catfish's.

A tampered manifest cannot widen what is removed: entries that are absolute or climb out of
the folder (``..``) are ignored, and only plain files (or links, not what they point to) go.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST = "manifest.json"
WRITTEN = "written"                  # the manifest's list of the files Catfish wrote
PARTS = "part-NNNNNN.parquet"        # "DIR/part-NNNNNN.parquet": every part file of DIR
PART_FILE = re.compile(r"^part-\d{6}\.parquet$")
TEMP_FILE = re.compile(r"^\..+\.tmp$")  # write_atomic's temporary files: .NAME.XXXX.tmp


class OutputError(ValueError):
    """An output folder or file that cannot be used as asked; the message is one line."""


class OutputExistsError(OutputError):
    """Results are already there and may not be replaced; the message is one line."""


class WriteError(OSError):
    """A result file could not be written (disk full, permissions); one line naming it."""

    def __str__(self) -> str:
        return str(self.strerror)


def version() -> str:
    """Catfish's installed version (``unknown`` when it is run from an uninstalled tree)."""
    try:
        return metadata.version("catfish")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "unknown"


# --- where results may go ---------------------------------------------------------------------

def check_location(folder: str | Path, option: str = "--out") -> Path:
    """An output folder, checked before anything runs; returns it with ``~`` expanded.

    Raises:
        OutputError: It is ``/``, the home folder or the current folder itself; it or a
            folder on its path is a file; or it cannot be created or written.
    """
    given = str(folder)
    path = Path(given).expanduser()  # a quoted "~/results" reaches us unexpanded
    if given.startswith("~") and str(path).startswith("~"):
        raise OutputError(f"{option} {given}: cannot expand '~' here; give the full path")
    where = path.resolve()
    for special, what in ((Path(where.anchor), "the root folder"),
                          (Path.home().resolve(), "your home folder"),
                          (Path.cwd().resolve(), "the current folder itself")):
        if where == special:
            raise OutputError(f"{option} {given}: is {what}; give a folder of its own for the "
                              "results (e.g. --out results)")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {given}: exists and is not a folder")
    _check_can_write(where, f"{option} {given}")
    return path


def _check_can_write(folder: Path, named: str) -> None:
    """Raise unless ``folder`` is, or can be made as, a folder this process may write in."""
    existing = folder.resolve()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{named}: {existing} is a file, so no folder can be made there")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{named}: {existing} is not writable (permission denied)")


def check_target(file: str | Path, *, overwrite: bool, option: str | None = "--out") -> Path:
    """A single output file (a report): a file name in a folder that exists or can be made.

    Args:
        file: The file.
        overwrite: Allow replacing it.
        option: The option that named it, for messages (None: a default the user did not give).

    Raises:
        OutputError: Its folder cannot be made or written, it is a folder, or it exists and
            ``overwrite`` is false.
    """
    path = Path(str(file)).expanduser()
    named = f"{option} {file}" if option else str(file)
    if path.is_dir():
        raise OutputError(f"{named}: is a folder; give a file name such as "
                          f"{Path(str(file)) / 'report.html'}")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{named}: exists; pass --overwrite to replace it, or --out "
                                "another file")
    _check_can_write(path.parent, named)
    return path


# --- what Catfish wrote -------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest if it is Catfish's (a JSON object with a ``written`` list)."""
    try:
        record = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get(WRITTEN), list) \
            or not all(isinstance(name, str) for name in record[WRITTEN]):
        return None
    return record


def written(folder: Path) -> list[str] | None:
    """The files Catfish lists as its own in ``folder`` (None: not a Catfish result folder)."""
    record = read_manifest(folder)
    return None if record is None else list(record[WRITTEN])


def _inside(name: str) -> PurePosixPath | None:
    """A manifest entry as a relative path inside the folder, or None if it points outside."""
    entry = PurePosixPath(name)
    if not name or entry.is_absolute() or ".." in entry.parts or "\\" in name:
        return None
    return entry


def owned_paths(folder: Path, names: Iterable[str]) -> Iterator[Path]:
    """The existing files that manifest entries ``names`` stand for (links, not their targets)."""
    for name in names:
        entry = _inside(name)
        if entry is None:
            continue
        path = folder / entry
        if entry.name == PARTS:
            parts = path.parent
            if parts.is_dir() and not parts.is_symlink():
                yield from (p for p in parts.iterdir()
                            if (PART_FILE.match(p.name) or TEMP_FILE.match(p.name))
                            and (p.is_symlink() or p.is_file()))
        elif path.is_symlink() or path.is_file():
            yield path
        if path.parent.is_dir() and not path.parent.is_symlink():  # write_atomic's leftovers
            yield from (p for p in path.parent.glob(f".{entry.name}.*.tmp") if p.is_file())


def remove_written(folder: Path, *, keep: Iterable[str] = ()) -> list[Path]:
    """Remove the files the folder's manifest lists (the manifest last); returns them.

    Folders that held only such files and are left empty are removed too; the folder itself,
    the files named in ``keep`` and anything Catfish did not write stay.
    """
    kept = {folder / name for name in keep} | {folder / MANIFEST}
    names = written(folder) or []
    removed = [p for p in dict.fromkeys(owned_paths(folder, names)) if p not in kept]
    for path in removed:
        path.unlink(missing_ok=True)
    parents = sorted({p.parent for p in removed if p.parent != folder},
                     key=lambda p: len(p.parts), reverse=True)
    for parent in parents:
        try:
            parent.rmdir()  # only if empty: a user's file keeps its folder
        except OSError:
            pass
    (folder / MANIFEST).unlink(missing_ok=True)
    return removed


def prepare(folder: str | Path, *, command: str, files: Iterable[str], overwrite: bool,
            resume_hint: str = "", option: str = "--out") -> Path:
    """Check and claim an output folder before anything runs; returns it (``~`` expanded).

    :func:`check_output`, then :func:`claim_output`: a new or empty folder is made; a folder
    holding the results of an earlier Catfish command is emptied of them if ``overwrite``;
    either way it gets a manifest claiming ``files``, marked incomplete, before the first
    result is written.

    Args:
        folder: The output folder.
        command: The command writing it (``catfish compare``), recorded in the manifest.
        files: Every file the command will write, relative to the folder (part folders as
            ``DIR/part-NNNNNN.parquet``); more can be claimed later with :func:`claim`.
        overwrite: Replace the results of an earlier Catfish command there.
        resume_hint: Added to the message when the folder holds results (``, resume it
            with --resume DIR``).
        option: The option that named the folder, for messages.

    Raises:
        OutputError: See :func:`check_location`; or the folder cannot be written.
        OutputExistsError: See :func:`check_output` and :func:`claim_output`.
    """
    path = check_output(folder, overwrite=overwrite, resume_hint=resume_hint, option=option)
    return claim_output(path, command=command, files=files, option=option)


def check_output(folder: str | Path, *, overwrite: bool, resume_hint: str = "",
                 option: str = "--out") -> Path:
    """Check an output folder without writing anything; returns it (``~`` expanded).

    Raises:
        OutputError: See :func:`check_location`.
        OutputExistsError: It is not empty and not a Catfish result folder, or it holds
            Catfish results and ``overwrite`` is false.
    """
    path = check_location(folder, option)
    if path.is_dir() and any(path.iterdir()):
        record = read_manifest(path)
        if record is None:
            raise OutputExistsError(
                f"{option} {folder}: is not empty and is not a catfish result folder (no "
                f"{MANIFEST} listing what catfish wrote); choose a new or empty folder")
        if not overwrite:
            what = record.get("command") or "catfish"
            raise OutputExistsError(
                f"{option} {folder}: holds results of {what}; choose another folder{resume_hint}"
                ", or pass --overwrite to replace them (only the files catfish wrote there)")
    return path


def claim_output(path: Path, *, command: str, files: Iterable[str], keep: Iterable[str] = (),
                 option: str = "--out") -> Path:
    """Empty a checked folder of Catfish's earlier files and claim ``files`` in a new manifest.

    Args:
        path: A folder that passed :func:`check_output`.
        command: The command writing it, recorded in the manifest.
        files: Every file the command will write (see :func:`prepare`).
        keep: Files of Catfish's to leave in place (a store's lock file, held right now).
        option: The option that named the folder, for messages.

    Raises:
        OutputError: The folder cannot be made or written.
        OutputExistsError: A file Catfish is about to write is there and is not Catfish's.
    """
    files = [*dict.fromkeys([*files, MANIFEST])]
    keep = set(keep)
    if path.is_dir() and read_manifest(path) is not None:
        remove_written(path, keep=keep)
    for name in files:
        entry = _inside(name)
        if entry is not None and entry.name != PARTS and name not in keep \
                and (path / entry).exists() and name != MANIFEST:
            raise OutputExistsError(f"{path / entry}: exists and catfish did not write it; "
                                    f"move it away or choose another {option} folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".catfish-probe-")  # noqa: SIM115
        probe.close()
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot be written ({_reason(exc)})") from None
    write_json(path / MANIFEST, {"command": command, "catfish_version": version(),
                                 "complete": False, WRITTEN: files})
    return path


def claim(folder: Path, names: Iterable[str]) -> None:
    """Add ``names`` to the files the folder's manifest lists, before they are written."""
    record = read_manifest(folder)
    if record is None:
        raise OutputError(f"{folder}: has no catfish {MANIFEST} to record its files in")
    new = [n for n in names if n not in record[WRITTEN]]
    if new:
        record[WRITTEN] = [*record[WRITTEN], *new]
        write_json(folder / MANIFEST, record)


def finish(folder: Path, record: dict[str, Any]) -> None:
    """Write the final manifest: ``record`` plus the files claimed, marked complete."""
    claimed = written(folder) or []
    extra = [n for n in record.get(WRITTEN, []) if n not in claimed]
    write_json(folder / MANIFEST, {**record, "catfish_version": version(), "complete": True,
                                   WRITTEN: [*claimed, *extra, *([] if MANIFEST in claimed
                                                                 else [MANIFEST])]})


# --- writing ----------------------------------------------------------------------------------

def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write a JSON object atomically (UTF-8, indented)."""
    text = json.dumps(record, indent=2, ensure_ascii=False)
    write_atomic(path, lambda f: f.write_text(text, encoding="utf-8"))


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file, and an interrupted or failed write leaves the
    old one.

    Raises:
        WriteError: The file could not be written (one line naming it and why).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteError(exc.errno, f"{path}: cannot be written ({_reason(exc)})") from None
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file private (0600); results are for sharing: 0666 less the umask
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, WriteError):
            raise
        raise WriteError(exc.errno, f"{path}: cannot be written ({_reason(exc)})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the disk"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or type(exc).__name__


def describe_write_error(exc: OSError) -> str:
    """One line for a failed write: the file and why (WriteError's own message as it is)."""
    if isinstance(exc, WriteError):
        return str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}cannot be written ({_reason(exc)})"
