"""mkdocs hook: lay the packages out for the API reference as the installed wheel has them.

The repository keeps ``sim/``, ``agents/``, ``scenarios/``, ``calibration/`` and
``experiments/`` at its top and maps them into the ``catfish`` namespace when it is installed
(``pyproject.toml``: ``package-dir``). mkdocstrings reads source files, so before a build this
makes ``.docs-src/catfish/``: a copy of the Python files of ``catfish/`` and of the five
folders, in the layout ``import catfish.sim`` sees (copies, not links: griffe resolves a link to
where it points, and would look for ``catfish.sim`` inside ``catfish/`` again). Nothing else is
written; ``.docs-src`` is ignored by git.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / ".docs-src" / "catfish"
MAPPED = ("sim", "agents", "scenarios", "calibration", "experiments")


def on_startup(*, command: str, dirty: bool) -> None:
    """Make the tree before any plugin reads the configuration.

    ``on_startup``, not ``on_config``: mkdocstrings resolves its ``paths`` in its own
    ``on_config``, which runs before a hook's, and drops a path that does not exist yet.
    """
    if TREE.parent.exists():
        shutil.rmtree(TREE.parent)
    python_only = shutil.ignore_patterns("__pycache__", "*.pyc", "*.otf", "*.png", "*.parquet")
    shutil.copytree(ROOT / "catfish", TREE, ignore=python_only)
    for name in MAPPED:
        shutil.copytree(ROOT / name, TREE / name, ignore=python_only)
