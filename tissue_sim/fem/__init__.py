"""Finite-element machinery: basix elements and quadrature, vectorised assembly, BCs, solvers."""

from __future__ import annotations

from tissue_sim.fem.assembly import Assembler, CellChunk
from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.geometry import CellGeometry, cell_geometry
from tissue_sim.fem.norms import error_norms
from tissue_sim.fem.pattern import BlockPattern, block_pattern
from tissue_sim.fem.reference import ReferenceElement, quadrature_rule, reference_element
from tissue_sim.fem.solvers import LinearSolver, SolveStatistics, make_solver, rigid_body_modes
from tissue_sim.fem.surface import FacetQuadrature, facet_quadrature, traction_load_vector

__all__ = [
    "Assembler",
    "BlockPattern",
    "CellChunk",
    "CellGeometry",
    "DirichletCondition",
    "FacetQuadrature",
    "LinearSolver",
    "ReferenceElement",
    "SolveStatistics",
    "apply_dirichlet",
    "block_pattern",
    "cell_geometry",
    "error_norms",
    "facet_quadrature",
    "make_solver",
    "quadrature_rule",
    "reference_element",
    "rigid_body_modes",
    "traction_load_vector",
]
