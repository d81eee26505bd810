"""One source of truth: every preset's linear E and ν are the small-strain limits of its law.

The linear model reads ``youngs_modulus``/``poisson_ratio`` of each layer, finite strain
reads the ``hyperelastic`` block; the two must describe the same tissue at F = I
(E = 9κμ/(3κ+μ), ν = (3κ−2μ)/(2(3κ+μ)) with the law's μ and κ). Also checks that the
muscle and fat of every preset are the in-vivo laws of FACTS §2/§9 (compression
stiffening after Hatt 2023), not the softest values found.
"""

from __future__ import annotations

import pytest

from tissue_sim.config.reader import MappingReader
from tissue_sim.config.tissue import list_tissue_presets, read_tissue
from tissue_sim.mechanics.hyperelastic import (
    CompressionStiffening,
    HyperelasticMaterial,
    hyperelastic_material,
)

PRESETS = list_tissue_presets()


def _layers(preset: str) -> list[tuple[str, float, float, HyperelasticMaterial]]:
    tissue = read_tissue(MappingReader({"preset": preset}, file="test.yaml", path="tissue"))
    out = []
    for layer in tissue.layers:
        assert layer.hyperelastic is not None, f"{preset}.{layer.name} has no hyperelastic law"
        law = hyperelastic_material(layer.hyperelastic)
        out.append((layer.name, layer.youngs_modulus, layer.poisson_ratio, law))
    return out


def test_there_are_presets() -> None:
    assert {"lumbar", "thigh_lateral", "forearm"} <= set(PRESETS)


@pytest.mark.parametrize("preset", PRESETS)
def test_linear_moduli_are_the_small_strain_limit_of_the_law(preset: str) -> None:
    for name, youngs, nu, law in _layers(preset):
        small = law.small_strain_material()
        assert youngs == pytest.approx(small.youngs_modulus, rel=1e-3), f"{preset}.{name} E"
        assert nu == pytest.approx(small.poisson_ratio, abs=1e-3), f"{preset}.{name} ν"


@pytest.mark.parametrize("preset", PRESETS)
def test_fat_and_muscle_stiffen_in_compression_as_measured(preset: str) -> None:
    """Hatt 2023 (FACTS §9): b = 1.18 (fat), 0.36 (muscle); K/μ₀ ≥ 80 (FACTS §2)."""
    laws = {name: law for name, _, _, law in _layers(preset)}
    fat, muscle = laws["adipose"], laws["muscle"]
    assert isinstance(fat, CompressionStiffening) and isinstance(muscle, CompressionStiffening)
    assert fat.stiffening_exponent == pytest.approx(1.18)
    assert muscle.stiffening_exponent == pytest.approx(0.36)
    for law in (fat, muscle):
        assert law.bulk_modulus / law.shear_modulus >= 80.0
    # resting muscle from in-vivo elastography (FACTS §9: 1.9–18.6 kPa), stiffer than the fat
    assert 1.9e3 <= muscle.shear_modulus <= 18.6e3
    assert muscle.shear_modulus > fat.shear_modulus
