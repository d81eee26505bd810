"""The layered lumbar stack under a thumb: load travels through every layer, and the stiff
fascia strains far less than the soft adipose tissue above it (Chaudhry et al. 2014 treat
skin, fat and fascia as one layered block; the force applied at the skin is transmitted
through every layer). Small strain: the claims about load transfer and the K identical
frames of a superposed static hold are the linear solve's (the finite-strain path has
its own in tests/pipeline/test_pipeline_hyperelastic.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.pipeline import run


@pytest.fixture(scope="module")
def result():
    return run(
        load_config(
            "configs/static_compression.yaml", ["mesh.size=coarse", "mechanics.model=linear"]
        )
    )


def test_fascia_strains_less_than_adipose(result) -> None:
    stats = result.mechanics.layer_stats
    adipose = stats["adipose"]["max_principal_strain"][-1]
    fascia = stats["fascia"]["max_principal_strain"][-1]
    for name in ("mean", "max", "p90"):
        assert stat(fascia, name) < 0.1 * stat(adipose, name), name


def test_every_layer_is_strained_and_the_base_carries_the_load(result) -> None:
    stats = result.mechanics.layer_stats
    for layer in ("skin", "adipose", "fascia", "muscle"):
        assert stat(stats[layer]["strain_energy_density"][-1], "max") > 0.0
    mech = result.mechanics
    assert mech.base_reaction[-1, 2] == pytest.approx(-mech.applied_force[-1, 2], rel=1e-8)


def test_static_frames_are_identical(result) -> None:
    """A static hold gives K identical frames (one solve, superposed)."""
    displacement = result.mechanics.displacement
    assert displacement.shape[0] >= 2
    assert np.allclose(displacement, displacement[:1], rtol=0, atol=1e-15)
