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

__all__ = ["FollowerLoad", "SkinTraction", "add_node_blocks", "follower_load"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_IDENTITY = np.eye(3)


def _skew(vectors: FloatArray) -> FloatArray:
    """``[v]_×`` with ``[v]_× w = v × w``, shape ``(..., 3, 3)``."""
    out = np.zeros((*vectors.shape, 3))
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    out[..., 0, 1], out[..., 0, 2] = -z, y
    out[..., 1, 0], out[..., 1, 2] = z, -x
    out[..., 2, 0], out[..., 2, 1] = -y, x
    return out


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
    derivatives = quadrature.facet_derivatives  # (F, Q, Nf, 2)
    g_s = np.einsum("fqa,fai->fqi", derivatives[..., 0], positions)
    g_t = np.einsum("fqa,fai->fqi", derivatives[..., 1], positions)
    sign = quadrature.orientation[:, None, None]
    area = sign * np.cross(g_s, g_t)  # (F, Q, 3)
    size = np.linalg.norm(area, axis=-1)
    normal = area / size[..., None]
    magnitude = np.linalg.norm(shear, axis=-1)
    active = magnitude > 0.0
    direction = np.where(
        active[..., None], shear / np.where(active, magnitude, 1.0)[..., None], 0.0
    )
    along = np.einsum("fqi,fqi->fq", normal, direction)
    projected = direction - along[..., None] * normal
    length = np.linalg.norm(projected, axis=-1)
    safe_length = np.where(active, np.maximum(length, 1e-300), 1.0)
    unit = projected / safe_length[..., None]
    nominal = -pressure[..., None] * area + (magnitude * size)[..., None] * unit  # (F, Q, 3)
    weights = quadrature.parameter_weights[None, :] * quadrature.facet_basis.transpose(2, 0, 1)
    # element forces: Σ_q w N_a T  -> (F, Nf, 3)
    local = np.einsum("afq,fqi->fai", weights, nominal)
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
    # ∂T/∂a at the points (F, Q, 3, 3)
    dtda = -pressure[..., None, None] * _IDENTITY
    if np.any(active):
        tangential = _IDENTITY - normal[..., :, None] * normal[..., None, :]
        inner = along[..., None, None] * _IDENTITY + normal[..., :, None] * direction[..., None, :]
        across = _IDENTITY - unit[..., :, None] * unit[..., None, :]
        shear_part = (
            unit[..., :, None] * normal[..., None, :]
            - (across @ inner @ tangential) / safe_length[..., None, None]
        )
        dtda = dtda + np.where(active, magnitude, 0.0)[..., None, None] * shear_part
    # ∂a/∂x_b = sign (∂_t N_b [g_s]_x − ∂_s N_b [g_t]_x), so
    # blocks[f, a, b] = Σ_q w_q N_a (∂T/∂a)(∂a/∂x_b)
    #                 = Σ_q w_q N_a (∂_t N_b A_s − ∂_s N_b A_t),  A = sign (∂T/∂a)[g]_x,
    # two batched products over the quadrature points (no (F, Q, Nf, 3, 3) array)
    along_s = sign[..., None] * (dtda @ _skew(g_s))  # (F, Q, 3, 3)
    along_t = sign[..., None] * (dtda @ _skew(g_t))
    weighted = np.moveaxis(weights, 0, -1)  # (F, Q, Nf): w_q N_a
    pairs_t = weighted[..., :, None] * derivatives[..., None, :, 1]  # (F, Q, a, b)
    pairs_s = weighted[..., :, None] * derivatives[..., None, :, 0]
    n_points = weighted.shape[1]
    blocks = np.matmul(
        np.swapaxes(pairs_t.reshape(n_facets, n_points, -1), 1, 2),
        along_s.reshape(n_facets, n_points, 9),
    ) - np.matmul(
        np.swapaxes(pairs_s.reshape(n_facets, n_points, -1), 1, 2),
        along_t.reshape(n_facets, n_points, 9),
    )  # (F, a·b, 9)
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
