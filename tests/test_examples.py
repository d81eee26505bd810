"""The examples in ``docs/examples`` print numbers; these tests pin them (as scikit-fem does).

Each example prints ``key = value`` lines; every value is compared with the pinned one
below with a tolerance that says why it is what it is. The examples fix their settings
with explicit overrides (coarse mesh, ``mechanics.model=linear``, frames, days), so a
changed default in ``configs/*.yaml`` does not move them; a changed model, material or
solver does, and then this test names the numbers that moved. To re-pin after an
intended change, run the example (``python docs/examples/ex01_baseline_layers.py``) and
copy its lines into the tables below, saying in the commit why the numbers moved.

The README's Python snippet runs here too, and the package's docstring examples
(``>>>``) run through :mod:`doctest`.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tissue_sim.geometry.layer_statistics import STATISTICS
from tissue_sim.io import RunResult, write_result

REPOSITORY = Path(__file__).resolve().parents[1]
EXAMPLES = REPOSITORY / "docs" / "examples"
sys.path.insert(0, str(EXAMPLES))

import ex01_baseline_layers  # noqa: E402
import ex02_read_result  # noqa: E402
import ex03_pressure_sweep  # noqa: E402

#: Example 1 (baseline effleurage, coarse Q1 mesh, linear, 8 frames, 3 days).
EX01 = {
    "skin.strain_p90_peak": 1.921656988e-02,
    "skin.strain_max_peak": 3.590973198e-02,
    "adipose.strain_p90_peak": 3.441726547e-01,
    "adipose.strain_max_peak": 5.867581078e-01,
    "fascia.strain_p90_peak": 6.008312242e-04,
    "fascia.strain_max_peak": 1.179852138e-03,
    "fascia_loose.strain_p90_peak": 1.192592576e-01,
    "fascia_loose.strain_max_peak": 1.360202234e-01,
    "muscle.strain_p90_peak": 1.693032661e-02,
    "muscle.strain_max_peak": 2.269063911e-02,
    "skin.tgfb1_active.effect_percent": -9.740267e-02,
    "skin.collagen.effect_percent": -1.903239e-03,
    "adipose.tgfb1_active.effect_percent": -1.664507e00,
    "adipose.collagen.effect_percent": -3.232814e-02,
    "fascia.tgfb1_active.effect_percent": -7.171182e-05,
    "fascia.collagen.effect_percent": -1.014042e-06,
    "fascia_loose.tgfb1_active.effect_percent": -1.312497e00,
    "fascia_loose.collagen.effect_percent": -2.551999e-02,
    "muscle.tgfb1_active.effect_percent": -8.801380e-02,
    "muscle.collagen.effect_percent": -1.720368e-03,
}
#: Strains come from one linear solve per frame: SuperLU/MUMPS/CHOLMOD round-off is ~1e-12
#: relative, the AMG-preconditioned CG path stops at a 1e-8 residual; 1e-6 relative is
#: above both and far below any change of mesh, element, material or load (>= 1e-3).
STRAIN_RTOL = 1e-6
#: The effects are 100 (treated/control - 1) [%] of two courses integrated with the
#: scenario's relative tolerance 1e-5: each layer mean carries up to ~1e-5 relative, so
#: their ratio ~2e-5, i.e. 2e-3 percentage points. The effects that matter (adipose,
#: fascia_loose TGF-b1: -1.7 %, -1.3 %) are pinned to about 0.1 % of their size.
EFFECT_ATOL = 2e-3

#: Example 3 (static compression at 10/20/40 kPa, coarse, linear, one frame): the strains,
#: and their ratio to the 20-kPa run.
EX03 = {
    "adipose_strain_p90[10 kPa]": 1.355378611e-01,
    "adipose_strain_p90[20 kPa]": 2.710757222e-01,
    "adipose_strain_p90[40 kPa]": 5.421514445e-01,
    "fascia_strain_p90[10 kPa]": 2.062544159e-04,
    "fascia_strain_p90[20 kPa]": 4.125088317e-04,
    "fascia_strain_p90[40 kPa]": 8.250176635e-04,
}
#: Linear elasticity: the strain of the 10-kPa (40-kPa) run is exactly 0.5 (2) times the
#: 20-kPa one. The three are separate solves, so the ratio carries their solver error
#: (above) and the 9 printed decimals: 1e-7.
RATIO_ATOL = 1e-7


def _printed(function: Callable[..., Any], *arguments: Any) -> tuple[dict[str, str], Any]:
    """Run ``function`` and parse the ``key = value`` lines it prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        returned = function(*arguments)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    parsed = dict(line.split(" = ", 1) for line in lines)
    assert len(parsed) == len(lines), "a key was printed twice"
    return parsed, returned


def _compare(printed: dict[str, str], pinned: dict[str, float]) -> None:
    moved = []
    for key, expected in pinned.items():
        value = float(printed[key])
        tolerance = EFFECT_ATOL if key.endswith("effect_percent") else STRAIN_RTOL * abs(expected)
        if not abs(value - expected) <= tolerance:
            moved.append(f"{key}: {value:.9e} (pinned {expected:.9e}, tolerance {tolerance:.1e})")
    assert not moved, "numbers moved (see the module docstring):\n" + "\n".join(moved)


@pytest.fixture(scope="module")
def example_1() -> tuple[dict[str, str], Any]:
    return _printed(ex01_baseline_layers.main)


def test_example_1_prints_the_pinned_layer_strains_and_effects(
    example_1: tuple[dict[str, str], Any],
) -> None:
    printed, result = example_1
    assert sorted(printed) == sorted(EX01)  # every layer of the lumbar preset, both species
    assert result.mechanics.model == "linear"
    _compare(printed, EX01)


def test_example_2_reads_back_what_example_1_computed(
    example_1: tuple[dict[str, str], Any], tmp_path: Path
) -> None:
    printed_1, result = example_1
    path = write_result(result, tmp_path / "result.h5")
    printed, _ = _printed(ex02_read_result.main, path)
    # the file gives back the very numbers of the run (HDF5 stores the float64 bits)
    assert {key: printed[key] for key in printed_1} == printed_1
    assert printed["h5py.fascia.strain_p90_peak"] == printed_1["fascia.strain_p90_peak"]
    assert printed["h5py.fascia.strain_units"] == "1"
    assert printed["config_hash"] == result.config_hash[:12]
    assert printed["mechanics_model"] == "linear"
    assert int(printed["format_version"]) == 3
    assert int(printed["cells"]) == result.mesh.cells.shape[0]


def test_example_3_sweep_is_linear_in_the_pressure(tmp_path: Path) -> None:
    printed, summary = _printed(ex03_pressure_sweep.main, tmp_path / "sweep")
    assert list(summary.status) == ["ok", "ok", "ok"]
    _compare({key: printed[key] for key in EX03}, EX03)
    for layer in ex03_pressure_sweep.LAYERS:
        for pressure, expected in (("10", 0.5), ("20", 1.0), ("40", 2.0)):
            ratio = float(printed[f"{layer}_strain_p90[{pressure} kPa]/[20 kPa]"])
            assert ratio == pytest.approx(expected, abs=RATIO_ATOL), (layer, pressure)


def _readme_python_blocks() -> list[str]:
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_python_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _readme_python_blocks()
    assert len(blocks) == 1, "one Python snippet in the README (update this test)"
    monkeypatch.chdir(REPOSITORY)  # the snippet names configs/ relative to the checkout
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    result, strain = namespace["result"], namespace["strain"]
    assert isinstance(result, RunResult)
    frames = result.mechanics.displacement.shape[0]
    assert strain.shape == (frames, len(STATISTICS))
    # the documented columns: p10 <= p50 <= p90 <= max, and the mean inside [p10, max]
    p10, p50, p90, peak, mean = (
        strain[:, STATISTICS.index(n)] for n in ("p10", "p50", "p90", "max", "mean")
    )
    assert np.all(p10 <= p50) and np.all(p50 <= p90) and np.all(p90 <= peak)
    assert np.all(mean <= peak) and np.all(np.isfinite(mean))
    assert np.max(p90) > 0.0


def _modules_with_examples() -> list[str]:
    """Modules of the package whose docstrings hold ``>>>`` examples (read, not imported)."""
    root = REPOSITORY / "tissue_sim"
    names = []
    for path in sorted(root.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(REPOSITORY).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_package_has_docstring_examples() -> None:
    assert "tissue_sim.config.reader" in _modules_with_examples()


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert results.failed == 0, f"{name}: {results.failed} of {results.attempted} examples failed"
