"""The same config gives bit-identical datasets on every solver path (docs/reliability.md).

Each path (``mechanics.model`` × ``mechanics.solver``; methods not installed here are
skipped with the reason) runs the same coarse scenario (a 4 × 4 cm block: 784 cells,
~3000 unknowns, still several AMG levels) twice
through ``run_to_directory`` and every dataset of the two ``result.h5`` files is compared
byte for byte (timings and creation times are attributes, not datasets). Sweeps: 1 vs 2
workers, local pool and Dask, in ``tests/sweep/test_sweep_determinism.py``.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from tissue_sim.config import load_config
from tissue_sim.fem.solvers import METHODS, available_methods
from tissue_sim.pipeline import run_to_directory

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "static_compression.yaml"

#: Every linear solver method (``mechanics.solver``) on the linear path, with the biology;
#: the finite-strain path with its default direct solver (mechanics only).
PATHS = {
    **{f"linear-{method}": ("linear", method, True) for method in METHODS if method != "auto"},
    "hyperelastic-direct": ("hyperelastic", "direct", False),
}


def _datasets(path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with h5py.File(path) as f:

        def visit(name: str, item: object) -> None:
            if isinstance(item, h5py.Dataset):
                value = item[()]
                out[name] = bytes(str(item.dtype), "ascii") + (
                    value.tobytes() if hasattr(value, "tobytes") else repr(value).encode()
                )

        f.visititems(visit)
    return out


@pytest.mark.parametrize("path_name", sorted(PATHS))
def test_same_config_twice_gives_bit_identical_datasets(path_name: str, tmp_path: Path) -> None:
    model, solver, biology = PATHS[path_name]
    if solver not in available_methods():
        pytest.skip(f"solver {solver} is not installed here")
    overrides = [
        "mesh.size=coarse",
        "tissue.size=[4 cm, 4 cm]",
        "schedule.days=1",
        "loading.pressure=5 kPa",
        f"mechanics.model={model}",
        f"mechanics.solver={solver}",
        f"biology.enabled={'true' if biology else 'false'}",
    ]
    scenario = load_config(CONFIG, overrides)
    results = []
    for name in ("first", "second"):
        _, written = run_to_directory(scenario, tmp_path / name, figures=False, report=False)
        results.append(_datasets(written))
    first, second = results
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert not differing, f"{len(differing)} dataset(s) differ: {differing[:8]}"
