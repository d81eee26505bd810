"""Every scenario in configs/ validates, runs end to end at coarse size, and gives the
pinned per-layer strains.

The pins (``configs_pinned.json``): per config, its mechanics model and, per layer, the
peak over the load frames of the volume-weighted 90th percentile and of the maximum of the
maximum principal strain, at the coarse size this test runs. Tolerances: small-strain runs
are one linear solve per frame (direct-solver round-off ~1e-12, CG stops at a 1e-8
residual): 1e-6 relative; finite-strain runs stop Newton at a 1e-4 relative residual,
which leaves cell strains within ~1e-5 of the converged ones: 1e-3 relative. A changed
config, preset, material, mesh or solver moves them; then re-pin on purpose::

    .venv/bin/python tests/techniques/test_example_configs.py > tests/techniques/configs_pinned.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.config import Scenario
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io import RunResult
from tissue_sim.pipeline import prepare, run

CONFIG_FOLDER = Path(__file__).resolve().parents[2] / "configs"  # not the working directory
CONFIGS = sorted(str(p) for p in CONFIG_FOLDER.glob("*.yaml"))
FAST = ["mesh.size=coarse"]
PINNED_FILE = Path(__file__).with_name("configs_pinned.json")
RTOL = {"linear": 1e-6, "hyperelastic": 1e-3}


def _scenario(path: str) -> Scenario:
    scenario = load_config(path, FAST)
    overrides = [*FAST]
    if scenario.schedule.treatment_days is None:
        overrides.append("schedule.days=1")
    return load_config(path, overrides)


def layer_strains(result: RunResult) -> dict[str, Any]:
    """The pinned numbers of a run: its model and per-layer peak p90 / max strain."""
    layers = {
        layer: {
            "strain_p90_peak": float(np.max(stat(quantities["max_principal_strain"], "p90"))),
            "strain_max_peak": float(np.max(stat(quantities["max_principal_strain"], "max"))),
        }
        for layer, quantities in result.mechanics.layer_stats.items()
    }
    return {"model": result.mechanics.model, "layers": layers}


def _pinned() -> dict[str, Any]:
    return dict(json.loads(PINNED_FILE.read_text(encoding="utf-8")))


def test_there_is_a_config_for_every_technique() -> None:
    techniques = set()
    for path in CONFIGS:
        techniques |= {s.technique.name for s in load_config(path).loading.steps}
    assert techniques >= {
        "static_compression",
        "sustained_shear",
        "kneading",
        "effleurage",
        "cross_fibre_friction",
        "roller",
    }


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: Path(path).name)
def test_config_runs_at_coarse_size(path: str) -> None:
    scenario = _scenario(path)
    prepare(scenario)
    result = run(scenario)
    pinned = _pinned().get(Path(path).name)
    assert pinned is not None, f"{Path(path).name} is not pinned (see the module docstring)"
    now = layer_strains(result)
    assert now["model"] == pinned["model"], "the mechanics model changed: re-pin"
    assert sorted(now["layers"]) == sorted(pinned["layers"]), "the layers changed: re-pin"
    rtol = RTOL[now["model"]]
    moved = [
        f"{layer}.{key}: {value:.9e} (pinned {pinned['layers'][layer][key]:.9e})"
        for layer, values in now["layers"].items()
        for key, value in values.items()
        if value != pytest.approx(pinned["layers"][layer][key], rel=rtol)
    ]
    assert not moved, f"numbers moved beyond rtol {rtol:g}: " + "; ".join(moved)
    mech = result.mechanics
    assert np.all(np.isfinite(mech.displacement))
    assert np.abs(mech.displacement).max() > 0
    applied = mech.applied_force.sum(axis=0)
    assert np.all(np.isfinite(applied))
    assert result.stimulus is not None
    for values in result.stimulus.features.values():
        assert np.all(np.isfinite(values))
    if result.biology is not None:
        for layer in result.biology.layers.values():
            for values in layer.values():
                assert np.all(np.isfinite(values))


def test_every_pin_is_a_shipped_config() -> None:
    assert sorted(_pinned()) == sorted(Path(path).name for path in CONFIGS)


if __name__ == "__main__":  # re-pin: print the JSON of every config's numbers
    pins = {Path(path).name: layer_strains(run(_scenario(path))) for path in CONFIGS}
    json.dump(pins, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
