"""Reading hyperelastic preset blocks: units, alternatives, fibre angles and clear errors."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tissue_sim.config.reader import MappingReader
from tissue_sim.errors import InputError
from tissue_sim.mechanics.hyperelastic import (
    FibreReinforced,
    NeoHookean,
    Ogden,
    read_hyperelastic_material,
)

PATH = "tissue.layers.adipose.hyperelastic"


def _read(block: dict[str, Any]) -> Any:
    return read_hyperelastic_material(MappingReader(block, file="preset.yaml", path=PATH))


def test_neo_hookean_block() -> None:
    material = _read({"law": "neo_hookean", "shear_modulus": "8 kPa", "bulk_modulus": "667 kPa"})
    assert material == NeoHookean(8e3, 667e3)


def test_neo_hookean_from_c10_and_poisson_ratio() -> None:
    """Pressure-injury FE set (FACTS §2): skin C10 = 4 kPa, ν = 0.494 ⇒ K0 ≈ 666.67 kPa."""
    material = _read(
        {"law": "neo_hookean", "c10": "4 kPa", "poisson_ratio": 0.494, "volumetric": "quadratic"}
    )
    assert isinstance(material, NeoHookean)
    assert material.mu == pytest.approx(8e3)
    # κ = 2μ(1+ν)/(3(1−2ν)) = 664 kPa; the table's K0 = 666.67 kPa rounds ν = 0.494
    assert material.bulk_modulus == pytest.approx(664.0e3)
    assert material.volumetric == "quadratic"


def test_sourced_values_are_recorded() -> None:
    reader = MappingReader(
        {
            "law": "ogden",
            "mu": {"value": "15.6 kPa", "source": "Bosboom et al. 2001, J Biomech 34:1365"},
            "alpha": {"value": 21.4, "source": "Bosboom et al. 2001"},
            "poisson_ratio": 0.494,
            "source": "muscle preset",
        },
        file="preset.yaml",
        path=PATH,
    )
    material = read_hyperelastic_material(reader)
    assert isinstance(material, Ogden)
    assert material.mu == (15.6e3,) and material.alpha == (21.4,)
    assert reader.sources[f"{PATH}.mu"].startswith("Bosboom")
    assert reader.sources[PATH] == "muscle preset"


def test_multi_term_ogden() -> None:
    material = _read(
        {"law": "ogden", "mu": ["10 kPa", "2 kPa"], "alpha": [20, -4], "bulk_modulus": "1 MPa"}
    )
    assert isinstance(material, Ogden)
    assert material.mu == (10e3, 2e3) and material.alpha == (20.0, -4.0)
    assert material.shear_modulus == pytest.approx(12e3)


@pytest.mark.parametrize(
    ("angle", "expected"),
    [
        ("±39 deg", (39.0, -39.0)),
        ("+-39 deg", (39.0, -39.0)),
        ("0 deg", (0.0,)),
        (["30 deg", "-45 deg"], (30.0, -45.0)),
        ("0.5 rad", (math.degrees(0.5),)),
    ],
)
def test_hgo_fibre_angles(angle: Any, expected: tuple[float, ...]) -> None:
    material = _read(
        {
            "law": "hgo",
            "shear_modulus": "2 kPa",
            "bulk_modulus": "400 kPa",
            "k1": "50 kPa",
            "k2": 4,
            "fibre_angle": angle,
        }
    )
    assert isinstance(material, FibreReinforced)
    assert [math.degrees(a) for a in material.fibre_angles] == pytest.approx(list(expected))
    assert material.fibre_energy == "exponential_quadratic"
    assert material.dispersion == 0.0


def test_hgo_natali_fibres_with_dispersion() -> None:
    material = _read(
        {
            "law": "hgo",
            "c10": "7.2245 MPa",
            "poisson_ratio": 0.4,
            "k1": "254.02 MPa",
            "k2": 10.397,
            "fibre_angle": "0 deg",
            "fibre_energy": "exponential",
            "dispersion": 0.1,
        }
    )
    assert isinstance(material, FibreReinforced)
    assert material.mu == pytest.approx(14.449e6)
    assert material.k1 == pytest.approx(254.02e6)
    assert material.fibre_energy == "exponential"
    assert material.dispersion == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("block", "key", "message"),
    [
        ({"law": "mooney", "shear_modulus": "1 kPa"}, "law", "expected one of"),
        ({"law": "neo_hookean", "shear_modulus": "1 kPa"}, None, "bulk_modulus or poisson"),
        (
            {"law": "neo_hookean", "bulk_modulus": "1 MPa", "poisson_ratio": 0.49, "c10": "1 kPa"},
            None,
            "bulk_modulus or poisson",
        ),
        ({"law": "neo_hookean", "bulk_modulus": "1 MPa"}, None, "shear_modulus or c10"),
        (
            {"law": "neo_hookean", "shear_modulus": "8 mm", "bulk_modulus": "1 MPa"},
            "shear_modulus",
            "pressure",
        ),
        (
            {"law": "neo_hookean", "shear_modulus": 8000, "bulk_modulus": "1 MPa"},
            "shear_modulus",
            "add a unit",
        ),
        (
            {"law": "neo_hookean", "shear_modulus": "-8 kPa", "bulk_modulus": "1 MPa"},
            "shear_modulus",
            "positive",
        ),
        (
            {"law": "neo_hookean", "shear_modulus": "8 kPa", "poisson_ratio": 0.5},
            "poisson_ratio",
            "< 0.5",
        ),
        (
            {"law": "neo_hookean", "shear_modulus": "8 kPa", "bulk_modulus": "1 MPa", "k1": 1},
            "k1",
            "unknown key",
        ),
        (
            {"law": "ogden", "mu": ["1 kPa", "2 kPa"], "alpha": [3], "bulk_modulus": "1 MPa"},
            "alpha",
            "one per mu",
        ),
        (
            {"law": "ogden", "mu": ["1 kPa", "2 kPa"], "alpha": [3, "x"], "bulk_modulus": "1 MPa"},
            "alpha[1]",
            "without its number",
        ),
        (
            {"law": "ogden", "mu": "1 kPa", "alpha": 0, "bulk_modulus": "1 MPa"},
            "alpha",
            "non-zero",
        ),
    ],
)
def test_errors_name_the_key(block: dict[str, Any], key: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        _read(block)
    assert info.value.file == "preset.yaml"
    assert info.value.key == (f"{PATH}.{key}" if key else PATH)


HGO = {"law": "hgo", "shear_modulus": "2 kPa", "bulk_modulus": "400 kPa", "k1": "50 kPa", "k2": 4}


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ({"fibre_angle": 39}, "fibre_angle", "add a unit"),
        ({"fibre_angle": "±0 deg"}, "fibre_angle", "one fibre family"),
        ({"fibre_angle": ["1 deg", "2 deg", "3 deg"]}, "fibre_angle", "list of two angles"),
        ({"fibre_angle": "0 deg", "dispersion": 0.5}, "dispersion", "<= 0.333"),
        ({"fibre_angle": "0 deg", "fibre_energy": "linear"}, "fibre_energy", "expected one"),
        ({"fibre_angle": "0 deg", "k2": 0}, "k2", "positive"),
        ({}, "fibre_angle", "required key"),
    ],
)
def test_hgo_errors(extra: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        _read({**HGO, **extra})
    assert info.value.key == f"{PATH}.{key}"
