"""Writing result files safely: atomic writes, and never over an earlier result."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


class OutputExistsError(FileExistsError):
    """A result file is already there; the message is one line naming it."""


def check_free(folder: Path, names: list[str], *, overwrite: bool) -> None:
    """Refuse to write into ``folder`` if any of ``names`` is already there (unless told to)."""
    if overwrite:
        return
    taken = [name for name in names if (folder / name).exists()]
    if taken:
        raise OutputExistsError(
            f"{folder / taken[0]} already exists: choose another --out folder or pass "
            "--overwrite")


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file, and an interrupted write leaves the old one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file private (0600); results are for sharing: 0666 less the umask
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
