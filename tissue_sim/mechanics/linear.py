"""Small-strain linear elasticity: the solid body with linear-elastic layers.

:class:`LinearElasticProblem` is :class:`~tissue_sim.mechanics.body.SolidBody` restricted
to :class:`~tissue_sim.mechanics.materials.LinearElasticMaterial` layers (its
constant stiffness is assembled once and cached; see the body for the formulation).
"""

from __future__ import annotations

from collections.abc import Sequence

from tissue_sim.geometry.mesh import Mesh
from tissue_sim.mechanics._pressure_space import PRESSURE_SPACES
from tissue_sim.mechanics.body import FORMULATIONS, SolidBody
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.materials import LinearElasticMaterial

__all__ = ["FORMULATIONS", "PRESSURE_SPACES", "CellFields", "LinearElasticProblem"]


class LinearElasticProblem(SolidBody):
    """The solid body of linear-elastic layers (see :class:`~tissue_sim.mechanics.body.SolidBody`).

    Parameters
    ----------
    mesh
        The mesh; ``mesh.cell_layer`` indexes ``materials``.
    materials
        One linear-elastic material per layer, in the order of ``mesh.layer_names``.
    formulation
        ``"mixed"`` (locking-free, default) or ``"displacement"``.
    quadrature_degree
        Cell quadrature degree (default: exact stiffness on affine cells).
    chunk_size
        Cells per assembly chunk.
    """

    def __init__(
        self,
        mesh: Mesh,
        materials: Sequence[LinearElasticMaterial],
        *,
        formulation: str = "mixed",
        quadrature_degree: int | None = None,
        chunk_size: int | None = None,
    ) -> None:
        if not all(isinstance(material, LinearElasticMaterial) for material in materials):
            raise ValueError("a linear-elastic problem needs LinearElasticMaterial layers")
        super().__init__(
            mesh,
            materials,
            formulation=formulation,
            quadrature_degree=quadrature_degree,
            chunk_size=chunk_size,
        )
