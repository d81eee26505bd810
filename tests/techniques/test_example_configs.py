"""Every scenario in configs/ validates and runs end to end at coarse size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.pipeline import prepare, run

CONFIG_FOLDER = Path(__file__).resolve().parents[2] / "configs"  # not the working directory
CONFIGS = sorted(str(p) for p in CONFIG_FOLDER.glob("*.yaml"))
FAST = ["mesh.size=coarse"]


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
    scenario = load_config(path, FAST)
    overrides = [*FAST]
    if scenario.schedule.treatment_days is None:
        overrides.append("schedule.days=1")
    scenario = load_config(path, overrides)
    prepare(scenario)
    result = run(scenario)
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
