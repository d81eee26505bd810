"""The tutorial notebooks are stored without outputs and run at tutorial size.

They are executed by ``make tutorials`` (nbmake, part of ``make test``); this test only
checks how they are stored, so that a notebook saved with its outputs (pictures, paths of
a temporary folder, timings) or at full size is caught in review.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))


def test_there_are_the_four_tutorials() -> None:
    names = [path.stem for path in NOTEBOOKS]
    assert names == [
        "01_first_run",
        "02_reading_results",
        "03_sweep_sensitivity",
        "04_own_cell_model",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs_at_tutorial_size(path: Path) -> None:
    book = json.loads(path.read_text(encoding="utf-8"))
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell for cell in book["cells"] if cell["cell_type"] == "code"]
    assert code, path.name
    for cell in code:
        assert cell.get("outputs") == [], f"{path.name}: a cell was saved with outputs"
        assert cell.get("execution_count") is None, f"{path.name}: saved after running"
    sources = ["".join(cell["source"]) for cell in code]
    assert "FULL = False" in sources[0], f"{path.name}: first cell must set FULL = False"
    # every file a notebook writes goes into a temporary folder, never into the checkout
    assert any("tempfile.mkdtemp" in source for source in sources), path.name
