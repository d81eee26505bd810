"""Constitutive laws, the linear-elastic problem and strain measures."""

from __future__ import annotations

from tissue_sim.mechanics.linear import (
    FORMULATIONS,
    PRESSURE_SPACES,
    CellFields,
    LinearElasticProblem,
)
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.strain_measures import (
    EFFECTIVE_STRAIN_MEASURES,
    max_principal_strain,
    max_shear_strain,
    min_principal_strain,
    octahedral_shear_strain,
    principal_strains,
    volumetric_strain,
    von_mises_stress,
)

__all__ = [
    "EFFECTIVE_STRAIN_MEASURES",
    "FORMULATIONS",
    "PRESSURE_SPACES",
    "CellFields",
    "LinearElasticMaterial",
    "LinearElasticProblem",
    "max_principal_strain",
    "max_shear_strain",
    "min_principal_strain",
    "octahedral_shear_strain",
    "principal_strains",
    "volumetric_strain",
    "von_mises_stress",
]
