"""Provenance of a result folder: what was run, from which inputs, with which software.

A manifest lets anyone check later that a result came from a given file and code: file and
scenario digests, seeds, package versions, the git commit. Nothing here may fail a run:
what cannot be found (no git, a package not installed) is recorded as null.
"""

from __future__ import annotations

import hashlib
import json
import platform
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


def git_state(folder: Path = REPOSITORY) -> dict[str, Any]:
    """Commit and whether the working tree has changes; nulls outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"),
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def environment() -> dict[str, Any]:
    """Python, platform, package versions and git state."""
    return {"python": platform.python_version(), "platform": platform.platform(),
            "packages": package_versions(), "git": git_state()}
