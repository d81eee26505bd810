"""Finite-strain hyperelastic laws of the soft-tissue layers.

The laws are materials of :class:`~tissue_sim.mechanics.body.SolidBody` (the one
mechanics body, small or finite strain); frames are solved by
:func:`~tissue_sim.mechanics.frames.solve_frames`.

* :mod:`.materials` — nearly incompressible neo-Hookean, Ogden and fibre-reinforced
  (Holzapfel–Gasser–Ogden type) laws with stresses and consistent tangents;
* :mod:`.compression_stiffening` — fat and muscle that stiffen in compression, fitted to
  in-vivo MR elastography under compression (Hatt et al. 2023);
* :mod:`.preset` — the material of a layer's law parameters (read by ``config``);
* :mod:`.volumetric` — the volumetric energies U(J);
* :mod:`.kinematics` — Green–Lagrange strain, Hencky strains and stretches.
"""

from __future__ import annotations

from tissue_sim.mechanics.hyperelastic.compression_stiffening import CompressionStiffening
from tissue_sim.mechanics.hyperelastic.kinematics import (
    directional_stretch,
    green_lagrange_strain,
    hencky_principal_strains,
    principal_stretches,
)
from tissue_sim.mechanics.hyperelastic.materials import (
    FIBRE_ENERGIES,
    FibreReinforced,
    HyperelasticMaterial,
    NeoHookean,
    Ogden,
    fibre_directions_from_angles,
)
from tissue_sim.mechanics.hyperelastic.preset import (
    HYPERELASTIC_LAWS,
    hyperelastic_material,
    read_hyperelastic_material,
)
from tissue_sim.mechanics.hyperelastic.volumetric import VOLUMETRIC_LAWS, volumetric_energy

__all__ = [
    "FIBRE_ENERGIES",
    "HYPERELASTIC_LAWS",
    "VOLUMETRIC_LAWS",
    "CompressionStiffening",
    "FibreReinforced",
    "HyperelasticMaterial",
    "NeoHookean",
    "Ogden",
    "directional_stretch",
    "fibre_directions_from_angles",
    "green_lagrange_strain",
    "hencky_principal_strains",
    "hyperelastic_material",
    "principal_stretches",
    "read_hyperelastic_material",
    "volumetric_energy",
]
