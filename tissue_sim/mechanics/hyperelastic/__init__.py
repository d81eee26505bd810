"""Finite-strain hyperelasticity for deep massage: laws, the total-Lagrangian problem, Newton.

* :mod:`.materials` — nearly incompressible neo-Hookean, Ogden and fibre-reinforced
  (Holzapfel–Gasser–Ogden type) laws with stresses and consistent tangents;
* :mod:`.compression_stiffening` — fat and muscle that stiffen in compression, fitted to
  in-vivo MR elastography under compression (Hatt et al. 2023);
* :mod:`.preset` — read a law from a tissue-preset block with units;
* :mod:`.problem` — the locking-free three-field total-Lagrangian problem;
* :mod:`.newton` — Newton with line search and adaptive load increments over frames;
* :mod:`.kinematics` — Green–Lagrange, Hencky, stretches and the per-cell output fields.
"""

from __future__ import annotations

from tissue_sim.mechanics.hyperelastic.compression_stiffening import CompressionStiffening
from tissue_sim.mechanics.hyperelastic.kinematics import (
    HyperelasticCellFields,
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
from tissue_sim.mechanics.hyperelastic.newton import (
    FrameSolution,
    FrameStatistics,
    IncrementStatistics,
    NewtonSettings,
    forcing_term,
    solve_frames,
)
from tissue_sim.mechanics.hyperelastic.preset import HYPERELASTIC_LAWS, read_hyperelastic_material
from tissue_sim.mechanics.hyperelastic.problem import (
    FORMULATIONS,
    PRESSURE_SPACES,
    Evaluation,
    HyperelasticProblem,
    LoadSpec,
)
from tissue_sim.mechanics.hyperelastic.volumetric import VOLUMETRIC_LAWS, volumetric_energy

__all__ = [
    "FIBRE_ENERGIES",
    "FORMULATIONS",
    "HYPERELASTIC_LAWS",
    "PRESSURE_SPACES",
    "VOLUMETRIC_LAWS",
    "CompressionStiffening",
    "Evaluation",
    "FibreReinforced",
    "FrameSolution",
    "FrameStatistics",
    "HyperelasticCellFields",
    "HyperelasticMaterial",
    "HyperelasticProblem",
    "IncrementStatistics",
    "LoadSpec",
    "NeoHookean",
    "NewtonSettings",
    "Ogden",
    "directional_stretch",
    "fibre_directions_from_angles",
    "forcing_term",
    "green_lagrange_strain",
    "hencky_principal_strains",
    "principal_stretches",
    "read_hyperelastic_material",
    "solve_frames",
    "volumetric_energy",
]
