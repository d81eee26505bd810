"""Layered block geometry and structured meshes (hexahedra Q1/Q2, tetrahedra P1/P2)."""

from __future__ import annotations

from tissue_sim.geometry.axes import graded_axis, graded_layers
from tissue_sim.geometry.mesh import (
    ELEMENT_TYPES,
    InvertedElementError,
    Mesh,
    cell_volumes_linear,
    check_orientation,
    structured_block_mesh,
)

__all__ = [
    "ELEMENT_TYPES",
    "InvertedElementError",
    "Mesh",
    "cell_volumes_linear",
    "check_orientation",
    "graded_axis",
    "graded_layers",
    "structured_block_mesh",
]
