"""Mechanics: one solid body over small- and finite-strain materials, loads, Newton, frames.

* :mod:`.materials` — the material protocol and linear elasticity;
  :mod:`.hyperelastic` — the finite-strain laws;
* :mod:`.body` — the solid body (locking-free mixed formulation, small or finite strain);
* :mod:`.surface_load` — dead and follower skin tractions;
* :mod:`.newton` — Newton's method over load frames, with its statistics;
* :mod:`.frames` — the one entry point that solves a sequence of load frames;
* :mod:`.session` — the mechanics stage of a run (every technique of a session);
* :mod:`.fields`, :mod:`.strain_measures` — output fields and scalar strain measures.
"""

from __future__ import annotations

from tissue_sim.mechanics._pressure_space import PRESSURE_SPACES
from tissue_sim.mechanics.body import FORMULATIONS, Evaluation, SolidBody
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.frames import (
    FrameLoads,
    FrameSolution,
    LinearSettings,
    base_condition,
    skin_quadrature,
    solve_frames,
)
from tissue_sim.mechanics.linear import LinearElasticProblem
from tissue_sim.mechanics.materials import LinearElasticMaterial, Material
from tissue_sim.mechanics.newton import NewtonSettings, NewtonStatistics
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
from tissue_sim.mechanics.surface_load import SkinTraction, follower_load

__all__ = [
    "EFFECTIVE_STRAIN_MEASURES",
    "FORMULATIONS",
    "PRESSURE_SPACES",
    "CellFields",
    "Evaluation",
    "FrameLoads",
    "FrameSolution",
    "LinearElasticMaterial",
    "LinearElasticProblem",
    "LinearSettings",
    "Material",
    "NewtonSettings",
    "NewtonStatistics",
    "SkinTraction",
    "SolidBody",
    "base_condition",
    "follower_load",
    "max_principal_strain",
    "max_shear_strain",
    "min_principal_strain",
    "octahedral_shear_strain",
    "principal_strains",
    "skin_quadrature",
    "solve_frames",
    "volumetric_strain",
    "von_mises_stress",
]
