r"""Tractions on the skin: dead loads, and follower loads that act on the deformed skin.

A load frame gives a traction :math:`t(X)` [Pa] per unit *reference* area at the
reference skin points, split into a normal pressure :math:`p = -t\cdot N` and a
tangential shear :math:`s = t - (t\cdot N)N` (magnitude :math:`\tau = |s|`, direction
:math:`d = s/\tau`; N the outward reference normal).

**Dead load**: :math:`f_a = \int N_a\,t\,dA`, independent of the deformation.

**Follower load** (finite strain): the pressure acts normal to the *deformed* skin, per
unit deformed area, and the friction shear stays tangent to it with the same
magnitude per deformed area, along the hand's direction projected onto the deformed
surface. With the area vector (Nanson) :math:`a = J F^{-T}N = n\,da/dA`, the nominal
traction (per reference area) is

.. math::

    T(a) = -p\,a + \tau\,|a|\,\hat t(n), \qquad
    \hat t = \frac{d - (n\cdot d)\,n}{|d - (n\cdot d)\,n|}, \qquad n = a/|a|,

so :math:`T = t` in the reference configuration. On a facet parametrised by
:math:`(s, t)` the area vector per unit parameter area is
:math:`\hat a = \pm\,g_s\times g_t`, :math:`g_\alpha = \sum_b x_b\,\partial_\alpha N_b`, and
since T is homogeneous of degree one in a, :math:`T(a)\,dA = T(\hat a)\,d\xi`:

.. math::

    f_a = \sum_q w_q\,N_a\,T(\hat a_q), \qquad
    \frac{\partial f_a}{\partial x_b} = \sum_q w_q\,N_a\,\frac{\partial T}{\partial\hat a}
        \left(\partial_t N_b\,[g_s]_\times - \partial_s N_b\,[g_t]_\times\right)(\pm 1),

with :math:`[g]_\times v = g\times v` and

.. math::

    \frac{\partial T}{\partial a} = -p\,I + \tau\left[\hat t\otimes n
        - \frac{(I - \hat t\otimes\hat t)\,((n\cdot d)\,I + n\otimes d)\,(I - n\otimes n)}
               {|d - (n\cdot d)\,n|}\right].

The load stiffness is not symmetric (a follower load has no potential in general).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from tissue_sim.fem.surface import FacetQuadrature
from tissue_sim.mechanics._follower_kernel import follower_kernel

__all__ = ["FollowerLoad", "SkinTraction", "add_node_blocks", "follower_load"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class SkinTraction:
    """A traction field on a set of facets, given at their quadrature points.

    Attributes
    ----------
    quadrature
        Facet quadrature (its ``normals`` are the outward reference normals N).
    values
        Traction per unit reference area at the points, ``(F, Q, 3)`` [Pa].
    """

    quadrature: FacetQuadrature
    values: FloatArray

    @property
    def is_zero(self) -> bool:
        """Whether the traction vanishes everywhere."""
        return not np.any(self.values)

    def loaded(self) -> SkinTraction:
        """The traction restricted to the facets where it does not vanish."""
        rows = np.flatnonzero(np.any(self.values != 0.0, axis=(1, 2)))
        if rows.size == self.values.shape[0]:
            return self
        return SkinTraction(self.quadrature.subset(rows), self.values[rows])

    def dead_load_vector(self, num_points: int) -> FloatArray:
        """Nodal forces of the traction as a dead load, ``(n, 3)`` [N]."""
        return _dead_load(num_points, self.quadrature, self.values)

    def split(self) -> tuple[FloatArray, FloatArray]:
        """Pressure ``p = −t·N`` ``(F, Q)`` [Pa] and shear ``t − (t·N)N`` ``(F, Q, 3)`` [Pa]."""
        normals = self.quadrature.normals
        normal_part = np.einsum("fqi,fqi->fq", self.values, normals)
        return -normal_part, self.values - normal_part[..., None] * normals


def _dead_load(num_points: int, quadrature: FacetQuadrature, values: FloatArray) -> FloatArray:
    loaded = np.flatnonzero(np.any(values != 0.0, axis=(1, 2)))
    weighted = quadrature.facet_basis[loaded] * quadrature.weights[loaded][:, :, None]
    element_forces = np.matmul(np.swapaxes(weighted, 1, 2), values[loaded])  # (F, Nf, 3)
    result = np.zeros((num_points, 3))
    nodes = quadrature.facet_nodes[loaded].reshape(-1)
    for component in range(3):
        result[:, component] = np.bincount(
            nodes, weights=element_forces[..., component].reshape(-1), minlength=num_points
        )
    return result


@dataclass(frozen=True)
class FollowerLoad:
    """Nodal forces of a follower traction at one configuration, and their derivative.

    Attributes
    ----------
    force
        External nodal forces ``(n, 3)`` [N].
    rows, columns
        Node pairs ``(a, b)`` of the load-stiffness blocks, ``(P,)``.
    blocks
        ``∂f_a/∂x_b`` per pair, ``(P, 3, 3)`` [N/m] (``None`` if not requested).
    """

    force: FloatArray
    rows: IntArray
    columns: IntArray
    blocks: FloatArray | None


def follower_load(
    traction: SkinTraction,
    points: FloatArray,
    displacement: FloatArray,
    *,
    tangent: bool = True,
) -> FollowerLoad:
    """Follower-load forces (and stiffness blocks) of a skin traction at ``u``.

    Parameters
    ----------
    traction
        The traction per reference area (only facets where it does not vanish are
        evaluated).
    points
        Reference node coordinates ``(n, 3)`` [m].
    displacement
        Nodal displacements ``(n, 3)`` [m].
    tangent
        Also return ``∂f/∂u`` (see the module description).

    Returns
    -------
    FollowerLoad
        Forces and the blocks of their derivative.
    """
    u = np.asarray(displacement, dtype=float).reshape(-1, 3)
    num_points = u.shape[0]
    loaded = traction.loaded()
    quadrature = loaded.quadrature
    nodes = quadrature.facet_nodes  # (F, Nf)
    n_facets, n_nodes = nodes.shape
    empty = np.zeros(0, dtype=np.int64)
    if n_facets == 0:
        return FollowerLoad(np.zeros((num_points, 3)), empty, empty, None)
    pressure, shear = loaded.split()
    positions = points[nodes] + u[nodes]  # (F, Nf, 3)
    local, blocks = follower_kernel(
        np.ascontiguousarray(positions),
        np.ascontiguousarray(quadrature.facet_derivatives),
        np.ascontiguousarray(quadrature.facet_basis),
        np.ascontiguousarray(quadrature.parameter_weights, dtype=float),
        np.ascontiguousarray(quadrature.orientation, dtype=float),
        np.ascontiguousarray(pressure),
        np.ascontiguousarray(shear),
        tangent,
    )
    force = np.zeros((num_points, 3))
    flat_nodes = nodes.reshape(-1)
    for component in range(3):
        force[:, component] = np.bincount(
            flat_nodes, weights=local[..., component].reshape(-1), minlength=num_points
        )
    rows = np.repeat(nodes, n_nodes, axis=1).reshape(-1)
    columns = np.tile(nodes, (1, n_nodes)).reshape(-1)
    if not tangent:
        return FollowerLoad(force, rows, columns, None)
    return FollowerLoad(force, rows, columns, blocks.reshape(-1, 3, 3))


def add_node_blocks(
    matrix: sp.bsr_matrix, rows: IntArray, columns: IntArray, blocks: FloatArray, scale: float
) -> sp.bsr_matrix:
    """``matrix + scale · Σ blocks`` at the node pairs ``(rows, columns)`` of a 3×3 BSR.

    The pairs must be in the matrix's pattern (nodes of one facet share a cell); the
    matrix data is updated in place and returned.

    Raises
    ------
    ValueError
        If a pair is not in the pattern.
    """
    indptr, indices = matrix.indptr, matrix.indices
    n_nodes = indptr.size - 1
    row_of_block = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(indptr))
    keys = row_of_block * n_nodes + indices
    query = rows.astype(np.int64) * n_nodes + columns
    slots = np.searchsorted(keys, query)
    if np.any(slots >= keys.size) or np.any(keys[np.minimum(slots, keys.size - 1)] != query):
        raise ValueError("a load-stiffness block lies outside the matrix pattern")
    flat = (9 * slots[:, None] + np.arange(9)).reshape(-1)
    np.add.at(matrix.data.reshape(-1), flat, scale * blocks.reshape(-1))
    return matrix
