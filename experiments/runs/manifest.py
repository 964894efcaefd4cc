"""Provenance of a result folder: what was run, from which inputs, with which software.

A manifest lets anyone check later that a result came from a given file and code: file and
scenario digests, seeds, package versions, Catfish's version and, when Catfish runs from a
source checkout of its own repository, that checkout's commit. An installed Catfish (in
site-packages, or a wheel inside someone else's repository) records no commit: the commit of
whatever repository happens to surround it says nothing about Catfish. Nothing here may fail
a run: what cannot be found (no git, a package not installed) is recorded as null.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

PACKAGES = ("catfish", "mesa", "numpy", "scipy", "pandas", "pydantic")
REPOSITORY = Path(__file__).resolve().parents[1]


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def canonical_json(model: BaseModel) -> str:
    """A pydantic model as canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def sha256_model(model: BaseModel) -> str:
    """SHA-256 of a model's canonical JSON: equal for equal contents, however written."""
    return hashlib.sha256(canonical_json(model).encode("utf-8")).hexdigest()


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (None if it is not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def repository() -> Path:
    """The folder Catfish's packages are in: a source checkout, or site-packages."""
    return REPOSITORY


def is_source_checkout(folder: Path = REPOSITORY) -> bool:
    """Whether ``folder`` is the root of a source checkout of Catfish itself.

    Its own ``pyproject.toml`` names the ``catfish`` project and it holds the ``.git`` of the
    checkout: an installed package has neither beside it.
    """
    try:
        project = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return (folder / ".git").exists() and re.search(r'(?m)^name\s*=\s*"catfish"\s*$',
                                                    project) is not None


def git_state(folder: Path = REPOSITORY) -> dict[str, Any]:
    """Commit and whether the working tree has changes, for a source checkout of Catfish.

    Nulls for an installed Catfish or where git cannot tell.
    """
    nothing = {"commit": None, "dirty": None}
    if not is_source_checkout(folder):
        return nothing

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != folder.resolve():
            return nothing  # a folder inside another repository
        return {"commit": git("rev-parse", "HEAD"),
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return nothing


def environment() -> dict[str, Any]:
    """Catfish's version, Python, platform, package versions and git state."""
    packages = package_versions()
    return {"catfish_version": packages.get("catfish"), "python": platform.python_version(),
            "platform": platform.platform(), "packages": packages, "git": git_state()}
