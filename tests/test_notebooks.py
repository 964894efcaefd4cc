"""Every example notebook runs as shown (executed with nbclient, in a scratch folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_the_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01-comparison.ipynb", "02-sensitivity.ipynb",
                                           "03-salib-bridge.ipynb", "04-ema-bridge.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    book = nbformat.read(copy, as_version=4)
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [output for cell in book.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    if "comparison" in path.name or "sensitivity" in path.name:
        assert (tmp_path / "out").is_dir(), f"{path.name} writes its results into out/"
