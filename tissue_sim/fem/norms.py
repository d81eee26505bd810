"""Error norms of a finite-element vector field against an exact solution."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.assembly import Assembler

__all__ = ["error_norms"]

FloatArray = NDArray[np.float64]


def error_norms(
    assembler: Assembler,
    nodal_values: FloatArray,
    exact: Callable[[FloatArray], FloatArray],
    exact_gradient: Callable[[FloatArray], FloatArray],
    *,
    quadrature_degree: int = 8,
) -> tuple[float, float]:
    """L2 error and H1-seminorm error of a nodal vector field.

    Parameters
    ----------
    assembler
        Assembler of the mesh (provides cells, geometry and the element).
    nodal_values
        Finite-element solution ``(n_nodes, 3)``.
    exact
        Exact field, points ``(M, 3)`` → values ``(M, 3)``.
    exact_gradient
        Exact gradient, points ``(M, 3)`` → ``(M, 3, 3)`` with ``[.., i, j] = ∂u_i/∂x_j``.
    quadrature_degree
        Degree of the quadrature used for the integrals.

    Returns
    -------
    l2, h1
        ``‖u_h − u‖_{L2}`` and ``|u_h − u|_{H1}`` (units of u and u/m).
    """
    from tissue_sim.fem.reference import quadrature_rule

    rule = quadrature_rule(assembler.element.cell_type, quadrature_degree)
    l2_squared = 0.0
    h1_squared = 0.0
    cells = assembler.mesh.cells
    for chunk in assembler.chunks(quadrature=rule):
        g = chunk.geometry
        local = nodal_values[cells[chunk.cells]]
        values = np.einsum("qa,eai->eqi", g.values, local)
        gradients = np.einsum("eai,eqaj->eqij", local, g.gradients)
        flat = g.points.reshape(-1, 3)
        exact_values = np.asarray(exact(flat)).reshape(values.shape)
        exact_gradients = np.asarray(exact_gradient(flat)).reshape(gradients.shape)
        l2_squared += float(np.einsum("eq,eqi->", g.weights, (values - exact_values) ** 2))
        h1_squared += float(np.einsum("eq,eqij->", g.weights, (gradients - exact_gradients) ** 2))
    return float(np.sqrt(l2_squared)), float(np.sqrt(h1_squared))
