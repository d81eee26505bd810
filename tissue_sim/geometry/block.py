"""The layered block: from layer thicknesses and a loaded footprint to a graded mesh."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tissue_sim.geometry.axes import graded_axis, graded_layers
from tissue_sim.geometry.mesh import Mesh, structured_block_mesh

__all__ = ["BlockSpec", "mesh_block"]


@dataclass(frozen=True)
class BlockSpec:
    """Geometry of a layered block on a fixed base.

    Attributes
    ----------
    size
        Lateral size (L_x, L_y) [m]; the block spans [−L_x/2, L_x/2] × [−L_y/2, L_y/2].
    layer_names
        Layer names from the skin down.
    thicknesses
        Layer thicknesses from the skin down [m].
    """

    size: tuple[float, float]
    layer_names: tuple[str, ...]
    thicknesses: tuple[float, ...]

    @property
    def depth(self) -> float:
        """Total thickness [m]; the skin is at z = depth, the bone at z = 0."""
        return float(sum(self.thicknesses))


def mesh_block(
    block: BlockSpec,
    *,
    element: str = "Q1",
    size: float = 3e-3,
    footprint: Sequence[float] | None = None,
    margin: float = 5e-3,
    growth: float = 1.3,
    max_size: float | None = None,
    min_layer_elements: int = 2,
) -> Mesh:
    """Mesh a layered block, finer under the loaded footprint and at the skin.

    Parameters
    ----------
    block
        The block.
    element
        ``Q1``, ``Q2``, ``P1`` or ``P2``.
    size
        Lateral element size under the footprint, and the element height at the skin
        (at most half the skin thickness) [m].
    footprint
        ``(x_min, x_max, y_min, y_max)`` of the loaded area [m]; default: the whole top.
    margin
        Extra width meshed at ``size`` around the footprint [m].
    growth
        Size ratio between neighbouring elements away from the footprint and with depth.
    max_size
        Largest element size [m] (default 6 × ``size``).
    min_layer_elements
        Elements through every layer, at least (2 resolves a thin fascia).

    Returns
    -------
    Mesh
        The mesh; layer interfaces are grid planes and every cell is tagged with its layer.
    """
    half_x, half_y = 0.5 * block.size[0], 0.5 * block.size[1]
    if footprint is None:
        footprint = (-half_x, half_x, -half_y, half_y)
    x_min, x_max, y_min, y_max = footprint
    max_size = 6.0 * size if max_size is None else max_size
    x_nodes = graded_axis(
        -half_x, half_x, x_min - margin, x_max + margin, size, growth=growth, max_size=max_size
    )
    y_nodes = graded_axis(
        -half_y, half_y, y_min - margin, y_max + margin, size, growth=growth, max_size=max_size
    )
    top_size = min(size, block.thicknesses[0] / min_layer_elements)
    z_nodes, counts = graded_layers(
        list(block.thicknesses),
        top_size,
        growth=growth,
        max_size=max_size,
        min_elements_per_layer=min_layer_elements,
    )
    # slabs are numbered bottom-up; layers are listed top-down
    layer_of_slab = np.repeat(np.arange(len(counts))[::-1], counts[::-1]).astype(np.int32)
    interfaces = tuple(
        float(z) for z in np.concatenate([[0.0], np.cumsum(block.thicknesses[::-1])])
    )
    return structured_block_mesh(
        x_nodes,
        y_nodes,
        z_nodes,
        layer_of_slab,
        block.layer_names,
        element=element,
        interfaces=interfaces,
    )
