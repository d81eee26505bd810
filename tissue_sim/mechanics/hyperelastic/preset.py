"""Build a hyperelastic material from the law parameters the config stage read.

The ``hyperelastic`` block of a tissue layer is read (units, alternatives such as
``c10`` or ``poisson_ratio``, fibre angles, error messages naming the key) by
:mod:`tissue_sim.config.materials` into a frozen dataclass; this module maps each of
those dataclasses to its material class here. Adding a law: its dataclass and reader
branch in ``config/materials.py``, its class in this package, one entry of
:data:`_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tissue_sim.config.materials import (
    HYPERELASTIC_LAWS,
    CompressionStiffeningLaw,
    FibreReinforcedLaw,
    HyperelasticLaw,
    NeoHookeanLaw,
    OgdenLaw,
    read_hyperelastic_law,
)
from tissue_sim.config.reader import MappingReader
from tissue_sim.mechanics.hyperelastic.compression_stiffening import CompressionStiffening
from tissue_sim.mechanics.hyperelastic.materials import (
    FibreReinforced,
    HyperelasticMaterial,
    NeoHookean,
    Ogden,
)

__all__ = ["HYPERELASTIC_LAWS", "hyperelastic_material", "read_hyperelastic_material"]


def _neo_hookean(law: NeoHookeanLaw) -> HyperelasticMaterial:
    return NeoHookean(law.shear_modulus, law.bulk_modulus, law.volumetric)


def _ogden(law: OgdenLaw) -> HyperelasticMaterial:
    return Ogden(law.moduli, law.exponents, law.bulk_modulus, law.volumetric)


def _fibre_reinforced(law: FibreReinforcedLaw) -> HyperelasticMaterial:
    return FibreReinforced(
        law.shear_modulus,
        law.bulk_modulus,
        law.k1,
        law.k2,
        law.fibre_angles,
        law.dispersion,
        law.fibre_energy,
        law.volumetric,
    )


def _compression_stiffening(law: CompressionStiffeningLaw) -> HyperelasticMaterial:
    return CompressionStiffening(
        law.shear_modulus, law.stiffening_exponent, law.bulk_modulus, law.volumetric
    )


#: Law parameters type → the function building its material.
_BUILDERS: dict[type, Callable[[Any], HyperelasticMaterial]] = {
    NeoHookeanLaw: _neo_hookean,
    OgdenLaw: _ogden,
    FibreReinforcedLaw: _fibre_reinforced,
    CompressionStiffeningLaw: _compression_stiffening,
}


def hyperelastic_material(law: HyperelasticLaw) -> HyperelasticMaterial:
    """The material of a layer's law parameters (SI units).

    Parameters
    ----------
    law
        A layer's :attr:`~tissue_sim.config.LayerConfig.hyperelastic`.

    Returns
    -------
    HyperelasticMaterial
        :class:`NeoHookean`, :class:`Ogden`, :class:`FibreReinforced` or
        :class:`CompressionStiffening`.
    """
    return _BUILDERS[type(law)](law)


def read_hyperelastic_material(reader: MappingReader) -> HyperelasticMaterial:
    """Read a ``hyperelastic`` block and build its material (for blocks outside a scenario).

    :func:`~tissue_sim.config.materials.read_hyperelastic_law` followed by
    :func:`hyperelastic_material`; errors name the file and key path of ``reader``.
    """
    return hyperelastic_material(read_hyperelastic_law(reader))
