"""Config owns the hyperelastic blocks: typed laws at load_config, one fibre direction.

The blocks' units, alternatives and error messages are tested through
``tests/hyperelastic/test_hyper_preset.py`` (the same reader, via the mechanics builder);
here: what the scenario carries, that a bad block fails in ``load_config`` (not later in
``prepare``), that the names config accepts are the ones mechanics implements, and the
one source of truth for a layer's fibre direction.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tissue_sim.config import load_config, read_tissue
from tissue_sim.config.materials import (
    FIBRE_ENERGIES,
    HYPERELASTIC_LAWS,
    VOLUMETRIC_LAWS,
    CompressionStiffeningLaw,
    FibreReinforcedLaw,
    NeoHookeanLaw,
    OgdenLaw,
    fibre_bisector,
)
from tissue_sim.config.reader import MappingReader
from tissue_sim.config.scenario import EFFECTIVE_MEASURES
from tissue_sim.config.tissue import list_tissue_presets
from tissue_sim.errors import InputError
from tissue_sim.mechanics.hyperelastic import (
    CompressionStiffening,
    FibreReinforced,
    NeoHookean,
    Ogden,
    hyperelastic_material,
)
from tissue_sim.mechanics.hyperelastic import materials as mechanics_materials
from tissue_sim.mechanics.hyperelastic import volumetric as mechanics_volumetric
from tissue_sim.mechanics.strain_measures import EFFECTIVE_STRAIN_MEASURES

REPOSITORY = Path(__file__).resolve().parents[2]
BASELINE = REPOSITORY / "configs" / "baseline.yaml"
LAW_TYPES = (NeoHookeanLaw, OgdenLaw, FibreReinforcedLaw, CompressionStiffeningLaw)


def _tissue(data: dict[str, object]) -> object:
    return read_tissue(MappingReader(data, file="s.yaml", path="tissue"))


def test_the_names_config_accepts_are_the_ones_mechanics_implements() -> None:
    assert VOLUMETRIC_LAWS == mechanics_volumetric.VOLUMETRIC_LAWS
    assert FIBRE_ENERGIES == mechanics_materials.FIBRE_ENERGIES
    assert tuple(EFFECTIVE_STRAIN_MEASURES) == EFFECTIVE_MEASURES
    assert tuple(law.law for law in LAW_TYPES) == HYPERELASTIC_LAWS


@pytest.mark.parametrize("preset", list_tissue_presets())
def test_every_preset_layer_carries_a_typed_law_that_mechanics_builds(preset: str) -> None:
    tissue = read_tissue(MappingReader({"preset": preset}, file="s.yaml", path="tissue"))
    for layer in tissue.layers:
        assert isinstance(layer.hyperelastic, LAW_TYPES), layer.name
        material = hyperelastic_material(layer.hyperelastic)
        assert material.law == layer.hyperelastic.law
        assert material.bulk_modulus == layer.hyperelastic.bulk_modulus
        assert material.volumetric == layer.hyperelastic.volumetric


def test_each_law_builds_its_material_with_the_same_numbers() -> None:
    cases = [
        (NeoHookeanLaw(8e3, 664e3), NeoHookean(8e3, 664e3)),
        (OgdenLaw((10e3, 2e3), (20.0, -4.0), 1e6), Ogden((10e3, 2e3), (20.0, -4.0), 1e6)),
        (
            FibreReinforcedLaw(2e3, 4e5, 5e4, 4.0, (0.5, -0.5), 0.1, "exponential"),
            FibreReinforced(2e3, 4e5, 5e4, 4.0, (0.5, -0.5), 0.1, "exponential"),
        ),
        (
            CompressionStiffeningLaw(748.5, 1.18, 1e5, "quadratic"),
            CompressionStiffening(748.5, 1.18, 1e5, "quadratic"),
        ),
    ]
    for law, expected in cases:
        assert hyperelastic_material(law) == expected


def test_a_bad_block_fails_in_load_config_naming_the_file_and_key() -> None:
    with pytest.raises(InputError, match="stiffening exponent must satisfy") as info:
        load_config(BASELINE, ["tissue.layers.adipose.hyperelastic.stiffening_exponent=0.1"])
    assert info.value.key == "tissue.layers.adipose.hyperelastic"
    with pytest.raises(InputError, match="expected one of") as info:
        load_config(BASELINE, ["tissue.layers.skin.hyperelastic.volumetric=cubic"])
    assert info.value.key == "tissue.layers.skin.hyperelastic.volumetric"


def test_the_resolved_config_stores_the_law_in_si_units() -> None:
    scenario = load_config(BASELINE, ["tissue.layers.skin.hyperelastic.c10=4.5 kPa"])
    skin = scenario.resolved()["tissue"]["layers"][0]
    assert skin["name"] == "skin"
    assert skin["hyperelastic"]["type"] == "NeoHookeanLaw"
    assert skin["hyperelastic"]["shear_modulus"] == pytest.approx(9e3)


@pytest.mark.parametrize(
    ("angles_deg", "mean_deg"),
    [((39.0, -39.0), 0.0), ((30.0, 90.0), 60.0), ((20.0,), 20.0), ((170.0,), -10.0)],
)
def test_fibre_bisector_averages_axes(angles_deg: tuple[float, ...], mean_deg: float) -> None:
    angles = tuple(math.radians(a) for a in angles_deg)
    assert math.degrees(fibre_bisector(angles)) == pytest.approx(mean_deg, abs=1e-12)


HGO = {
    "law": "hgo",
    "shear_modulus": "2 kPa",
    "bulk_modulus": "400 kPa",
    "k1": "50 kPa",
    "k2": 4,
    "fibre_angle": "±30 deg",
}
LAYER = {"thickness": "1 mm", "youngs_modulus": "6 kPa", "poisson_ratio": 0.45}


def test_a_fibre_law_gives_the_layer_its_fibre_direction() -> None:
    rotated = {**HGO, "fibre_angle": ["10 deg", "50 deg"]}
    tissue = _tissue({"layers": {"fascia": {**LAYER, "hyperelastic": rotated}}})
    (fascia,) = tissue.layers  # type: ignore[attr-defined]
    assert math.degrees(fascia.fibre_angle) == pytest.approx(30.0)
    same = _tissue(
        {"layers": {"fascia": {**LAYER, "fibre_angle": "30 deg", "hyperelastic": rotated}}}
    )
    assert same.layers[0].fibre_angle == pytest.approx(fascia.fibre_angle)  # type: ignore[attr-defined]


def test_a_layer_fibre_angle_that_disagrees_with_its_law_is_an_error() -> None:
    with pytest.raises(InputError, match="disagrees with the mean direction 0 deg") as info:
        _tissue({"layers": {"fascia": {**LAYER, "fibre_angle": "20 deg", "hyperelastic": HGO}}})
    assert info.value.key == "tissue.layers.fascia.fibre_angle"
    assert info.value.file == "s.yaml"


def test_the_shipped_fascia_directions_agree() -> None:
    # every preset's fascia: layer fibre_angle 0 deg, hgo families ±39 deg (bisector 0)
    for preset in list_tissue_presets():
        tissue = read_tissue(MappingReader({"preset": preset}, file="s.yaml", path="tissue"))
        fascia = next(layer for layer in tissue.layers if layer.name == "fascia")
        assert isinstance(fascia.hyperelastic, FibreReinforcedLaw)
        assert fascia.fibre_angle == pytest.approx(fibre_bisector(fascia.hyperelastic.fibre_angles))


def test_fibre_directions_per_layer() -> None:
    tissue = _tissue(
        {
            "layers": {
                "skin": LAYER,
                "fascia": {**LAYER, "fibre_angle": "90 deg"},
                "muscle": {**LAYER, "fibre_angle": "-45 deg"},
            }
        }
    )
    directions = tissue.fibre_directions()  # type: ignore[attr-defined]
    half = math.sqrt(0.5)
    np.testing.assert_allclose(directions, [[0, 0, 0], [0, 1, 0], [half, -half, 0]], atol=1e-15)
    plain = _tissue({"layers": {"skin": LAYER}})
    assert plain.fibre_directions() is None  # type: ignore[attr-defined]
