r"""Element kernels of the solid body (private): forces and stiffness blocks of a chunk.

All kernels work on a chunk of ``E`` cells with ``Q`` quadrature points and ``N``
nodes: weights ``w`` ``(E, Q)`` [m³] and physical basis gradients ``∂_J N_a``
``(E, Q, N, 3)`` [1/m]. No Python loop runs over cells or points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray

from tissue_sim.fem._threads import run_ranges

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Fewest cells per thread of the element stiffness kernel.
_CELLS_PER_THREAD = 64


def point_kinematics(
    displacement: FloatArray, cells: IntArray, gradients: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""``F = I + Σ_a u_a ⊗ ∇N_a``, ``F^{-T}`` and ``J = det F`` at a chunk's points.

    One compiled pass (:func:`_kinematics_kernel`): the cofactor formula and the rule of
    Sarrus, as :func:`~tissue_sim.mechanics.hyperelastic._tensors.inverse_transpose`.

    Parameters
    ----------
    displacement
        Nodal displacements ``(n, 3)`` [m].
    cells
        Nodes of the chunk's cells ``(E, N)``.
    gradients
        Basis gradients ``(E, Q, N, 3)`` [1/m].

    Returns
    -------
    f, inverse_transposed, jacobian
        ``(E, Q, 3, 3)``, ``(E, Q, 3, 3)`` and ``(E, Q)`` (``F^{-T}`` is ``inf``/``nan``
        where ``J = 0``; the caller checks ``J``).
    """
    n_cells, n_points = gradients.shape[:2]
    f = np.empty((n_cells, n_points, 3, 3))
    inv_t = np.empty((n_cells, n_points, 3, 3))
    jac = np.empty((n_cells, n_points))
    _kinematics_kernel(
        np.ascontiguousarray(displacement, dtype=float),
        np.ascontiguousarray(cells, dtype=np.int64),
        np.ascontiguousarray(gradients, dtype=float),
        f,
        inv_t,
        jac,
    )
    return f, inv_t, jac


@njit(cache=True, nogil=True, error_model="numpy")
def _kinematics_kernel(  # pragma: no cover - compiled
    displacement: FloatArray,
    cells: IntArray,
    gradients: FloatArray,
    f: FloatArray,
    inv_t: FloatArray,
    jac: FloatArray,
) -> None:
    n_cells, n_points, n_nodes, _ = gradients.shape
    nodal = np.empty((n_nodes, 3))
    for e in range(n_cells):
        for a in range(n_nodes):
            for i in range(3):
                nodal[a, i] = displacement[cells[e, a], i]
        for q in range(n_points):
            g = gradients[e, q]
            m = f[e, q]
            for i in range(3):
                for j in range(3):
                    total = 0.0
                    for a in range(n_nodes):
                        total += nodal[a, i] * g[a, j]
                    m[i, j] = total + (1.0 if i == j else 0.0)
            det = (
                m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
                - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
                + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])
            )
            jac[e, q] = det
            h = inv_t[e, q]
            for i in range(3):
                i1, i2 = (i + 1) % 3, (i + 2) % 3
                for j in range(3):
                    j1, j2 = (j + 1) % 3, (j + 2) % 3
                    h[i, j] = (m[i1, j1] * m[i2, j2] - m[i1, j2] * m[i2, j1]) / det


def assemble_force(
    force: FloatArray,
    cells: IntArray,
    weights: FloatArray,
    gradients: FloatArray,
    stress: FloatArray,
    pressure: FloatArray,
    jacobian: FloatArray,
    inverse_transposed: FloatArray,
) -> None:
    r"""Add :math:`f_{ai} = \sum_q w\,(P + \tilde p J F^{-T})_{iJ}\,\partial_J N_a` of a
    chunk to the nodal forces ``force`` ``(n, 3)`` [N] (in place, cells in order).

    Parameters
    ----------
    force
        Nodal forces ``(n, 3)``, C-contiguous float64 [N].
    cells
        Nodes of the chunk's cells ``(E, N)``.
    weights, gradients
        ``(E, Q)`` [m³] and ``(E, Q, N, 3)`` [1/m].
    stress
        Isochoric ``P`` ``(E, Q, 3, 3)`` [Pa].
    pressure, jacobian, inverse_transposed
        p̃ ``(E, Q)`` [Pa], ``J`` ``(E, Q)`` and ``F^{-T}`` ``(E, Q, 3, 3)``.
    """
    if not (force.flags.c_contiguous and force.dtype == np.float64):
        raise ValueError("force must be a C-contiguous float64 array")
    _force_kernel(
        force,
        np.ascontiguousarray(cells, dtype=np.int64),
        np.ascontiguousarray(weights, dtype=float),
        np.ascontiguousarray(gradients, dtype=float),
        np.ascontiguousarray(stress, dtype=float),
        np.ascontiguousarray(pressure, dtype=float),
        np.ascontiguousarray(jacobian, dtype=float),
        np.ascontiguousarray(inverse_transposed, dtype=float),
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _force_kernel(  # pragma: no cover - compiled
    force: FloatArray,
    cells: IntArray,
    weights: FloatArray,
    gradients: FloatArray,
    stress: FloatArray,
    pressure: FloatArray,
    jacobian: FloatArray,
    inverse_transposed: FloatArray,
) -> None:
    n_cells, n_points, n_nodes, _ = gradients.shape
    total = np.empty((n_points, 3, 3))  # w (P + p̃ J F^{-T}) per point
    local = np.empty((n_nodes, 3))
    for e in range(n_cells):
        for q in range(n_points):
            w = weights[e, q]
            scale = pressure[e, q] * jacobian[e, q]
            for i in range(3):
                for j in range(3):
                    total[q, i, j] = w * (
                        stress[e, q, i, j] + scale * inverse_transposed[e, q, i, j]
                    )
        for a in range(n_nodes):
            for i in range(3):
                value = 0.0
                for q in range(n_points):
                    for j in range(3):
                        value += gradients[e, q, a, j] * total[q, i, j]
                local[a, i] = value
        for a in range(n_nodes):
            node = cells[e, a]
            for i in range(3):
                force[node, i] += local[a, i]


#: Tangents of a chunk's cells: one array ``(E, Q, 3, 3, 3, 3)``, or per group of cells
#: (e.g. per layer) the cells and their tangents ``(k, Q, 3, 3, 3, 3)``.
Tangents = FloatArray | Sequence[tuple[IntArray, FloatArray]]


def element_stiffness(
    weights: FloatArray,
    gradients: FloatArray,
    tangent: Tangents,
    inverse_transposed: FloatArray | None = None,
    jacobian_scale: FloatArray | None = None,
    *,
    volumetric: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None,
) -> FloatArray:
    r"""``Σ_q w ∂_J N_a (A_{iJkL} + s ∂²J/∂F_{iJ}∂F_{kL}) ∂_L N_b`` as blocks ``(E, N, N, 3, 3)``.

    One compiled pass per cell (:func:`_stiffness_kernel`, cell ranges on the threads of
    :func:`~tissue_sim.fem._threads.run_ranges`): per point
    the Jacobian term, with
    :math:`\partial^2J/\partial F\partial F = J(F^{-T}_{iJ}F^{-T}_{kL} - F^{-T}_{iL}F^{-T}_{kJ})`
    (``jacobian_scale`` = s J per point, e.g. :math:`\tilde p J`), is added to the 81
    entries of ``A``; then ``U_{b,iJk} = Â_{iJkL} ∂_L N_b`` and
    ``K_{ab,ik} += w ∂_J N_a U_{b,iJk}`` for ``b ≥ a`` (``A`` has the major symmetry of a
    hyperelastic law; ``K_{ba} = K_{ab}^T`` is mirrored, so the blocks are exactly
    symmetric).

    Parameters
    ----------
    weights, gradients
        Quadrature weights ``(E, Q)`` [m³] and gradients ``(E, Q, N, 3)`` [1/m].
    tangent
        ``A = ∂P/∂F`` per point ``(E, Q, 3, 3, 3, 3)`` [Pa], major-symmetric; or a
        sequence of ``(cells, A)`` with ``A`` ``(k, Q, 3, 3, 3, 3)`` of the chunk's
        cells ``cells`` ``(k,)`` (groups covering every cell once: the per-layer
        tangents of a chunk, without gathering them into one array).
    inverse_transposed, jacobian_scale
        ``F^{-T}`` ``(E, Q, 3, 3)`` and s J ``(E, Q)`` [Pa] of the Jacobian term (both or
        neither).
    volumetric
        Optional condensed volumetric part of an element-wise pressure space, added in the
        same pass: ``(basis, mass_inverse, second, jacobian)`` — the pressure basis
        ``(Q, P)``, inverse pressure mass ``(E, P, P)`` [1/m³], ``U''(θ)`` ``(E, Q)`` [Pa]
        and ``J`` ``(E, Q)`` — giving ``D^T M^{-1} H M^{-1} D`` with
        ``D_{p,ai} = Σ_q w ψ_p J F^{-T}_{iJ} ∂_J N_a`` and ``H_{pr} = Σ_q w U'' ψ_p ψ_r``
        (see :func:`~tissue_sim.mechanics._pressure_space.element_volumetric_stiffness`).
        Needs ``inverse_transposed``.
    """
    geometric = inverse_transposed is not None and jacobian_scale is not None
    if volumetric is not None and inverse_transposed is None:
        raise ValueError("the volumetric part needs inverse_transposed")
    n_cells, n_points = weights.shape
    empty = np.zeros((0, 0, 3, 3))
    h = empty if inverse_transposed is None else inverse_transposed
    scale = np.zeros((n_cells, n_points)) if jacobian_scale is None else jacobian_scale
    if volumetric is None:
        basis, mass_inverse = np.zeros((n_points, 0)), np.zeros((n_cells, 0, 0))
        second = jacobian = np.zeros((0, 0))
    else:
        basis, mass_inverse, second, jacobian = volumetric
    groups: Sequence[tuple[IntArray, FloatArray]]
    if isinstance(tangent, np.ndarray):
        groups = [(np.arange(n_cells), tangent)]
    else:
        groups = tangent
        if sum(len(cells) for cells, _ in groups) != n_cells:
            raise ValueError("the groups of tangents must cover every cell once")
    arrays = (
        np.ascontiguousarray(weights, dtype=float),
        np.ascontiguousarray(gradients, dtype=float),
        np.ascontiguousarray(h, dtype=float),
        np.ascontiguousarray(scale, dtype=float),
        geometric,
        volumetric is not None,
        np.ascontiguousarray(basis, dtype=float),
        np.ascontiguousarray(mass_inverse, dtype=float),
        np.ascontiguousarray(second, dtype=float),
        np.ascontiguousarray(jacobian, dtype=float),
    )
    n_nodes = gradients.shape[2]
    blocks = np.empty((n_cells, n_nodes, n_nodes, 3, 3))

    for cells, values in groups:
        index = np.ascontiguousarray(cells, dtype=np.int64)
        part = np.ascontiguousarray(values, dtype=float)

        def kernel(start: int, stop: int, index: IntArray = index, part: FloatArray = part) -> None:
            _stiffness_kernel(*arrays, index, part, blocks, start, stop)

        run_ranges(kernel, index.size, minimum=_CELLS_PER_THREAD)
    return blocks


@njit(cache=True, nogil=True, error_model="numpy", inline="never")
def _fold_jacobian(  # pragma: no cover - compiled
    a_point: FloatArray, h: FloatArray, s: float, modified: FloatArray
) -> None:
    """``Â = A + s (F^{-T}_{iJ}F^{-T}_{kL} − F^{-T}_{iL}F^{-T}_{kJ})`` at one point (a
    function of its own: inside :func:`_stiffness_kernel` this loop nest tripled the
    kernel's compile time, 4 s → 13 s, for the same run time)."""
    for i in range(3):
        for j in range(3):
            for k in range(3):
                for m in range(3):
                    modified[i, j, k, m] = a_point[i, j, k, m] + s * (
                        h[i, j] * h[k, m] - h[i, m] * h[k, j]
                    )


@njit(cache=True, nogil=True, error_model="numpy", inline="never")
def _copy_tangent(a_point: FloatArray, modified: FloatArray) -> None:  # pragma: no cover
    """``Â = A`` at one point (explicit loops: a 4-d slice assignment added about 10 s to
    the first compilation in a process)."""
    for i in range(3):
        for j in range(3):
            for k in range(3):
                for m in range(3):
                    modified[i, j, k, m] = a_point[i, j, k, m]


@njit(cache=True, nogil=True, error_model="numpy")
def _stiffness_kernel(  # pragma: no cover - compiled
    weights: FloatArray,
    gradients: FloatArray,
    inverse_transposed: FloatArray,
    jacobian_scale: FloatArray,
    geometric: bool,
    volumetric: bool,
    basis: FloatArray,
    mass_inverse: FloatArray,
    second: FloatArray,
    jacobian: FloatArray,
    cells: IntArray,
    tangent: FloatArray,
    blocks: FloatArray,
    start: int,
    stop: int,
) -> None:
    """Element blocks of the cells ``cells[start:stop]`` (tangents ``tangent[start:stop]``)
    into ``blocks`` ``(E, N, N, 3, 3)`` (see :func:`element_stiffness`); each cell is
    summed alone, so the result does not depend on how the cells are split between
    threads."""
    _, n_points, n_nodes, _ = gradients.shape
    n_basis = basis.shape[1]
    for row in range(start, stop):
        e = cells[row]
        modified = np.empty((3, 3, 3, 3))  # Â[i, J, k, L]
        contracted = np.empty((n_nodes, 3, 3, 3))  # U[b, i, J, k] = Â[i, J, k, L] ∂_L N_b
        local = np.zeros((n_nodes, n_nodes, 3, 3))
        moments = np.zeros((n_basis, n_nodes, 3))  # D[p, a, i]
        hessian = np.zeros((n_basis, n_basis))  # H[p, r]
        for q in range(n_points):
            w = weights[e, q]
            a_point = tangent[row, q]
            g = gradients[e, q]
            if geometric:
                h = inverse_transposed[e, q]
                s = jacobian_scale[e, q]
                _fold_jacobian(a_point, h, s, modified)
            else:
                _copy_tangent(a_point, modified)
            if volumetric:
                h = inverse_transposed[e, q]
                wj = w * jacobian[e, q]
                for p in range(n_basis):
                    psi = wj * basis[q, p]
                    for a in range(n_nodes):
                        for i in range(3):
                            moments[p, a, i] += psi * (
                                h[i, 0] * g[a, 0] + h[i, 1] * g[a, 1] + h[i, 2] * g[a, 2]
                            )
                    for r in range(n_basis):
                        hessian[p, r] += w * second[e, q] * basis[q, p] * basis[q, r]
            for b in range(n_nodes):
                g0, g1, g2 = g[b, 0], g[b, 1], g[b, 2]
                for i in range(3):
                    for j in range(3):
                        for k in range(3):
                            contracted[b, i, j, k] = (
                                modified[i, j, k, 0] * g0
                                + modified[i, j, k, 1] * g1
                                + modified[i, j, k, 2] * g2
                            )
            for a in range(n_nodes):
                w0, w1, w2 = w * g[a, 0], w * g[a, 1], w * g[a, 2]
                for b in range(a, n_nodes):
                    for i in range(3):
                        for k in range(3):
                            local[a, b, i, k] += (
                                w0 * contracted[b, i, 0, k]
                                + w1 * contracted[b, i, 1, k]
                                + w2 * contracted[b, i, 2, k]
                            )
        if volumetric:
            m_inv = mass_inverse[e]
            for p in range(n_basis):
                for r in range(n_basis):
                    c = 0.0  # (M⁻¹ H M⁻¹)[p, r]
                    for t in range(n_basis):
                        for v in range(n_basis):
                            c += m_inv[p, t] * hessian[t, v] * m_inv[v, r]
                    for a in range(n_nodes):
                        for b in range(a, n_nodes):
                            for i in range(3):
                                left = c * moments[p, a, i]
                                for k in range(3):
                                    local[a, b, i, k] += left * moments[r, b, k]
        for a in range(n_nodes):
            for b in range(a, n_nodes):
                for i in range(3):
                    for k in range(3):
                        value = local[a, b, i, k]
                        blocks[e, a, b, i, k] = value
                        blocks[e, b, a, k, i] = value


def isotropic_stiffness(
    weights: FloatArray,
    gradients: FloatArray,
    shear_modulus: FloatArray,
    volumetric_coefficient: FloatArray,
) -> FloatArray:
    r"""Small-strain isotropic element matrices in dof order ``(E, N, 3, N, 3)`` [N/m].

    With :math:`G_{aibj} = \sum_q w\,\partial_i N_a\,\partial_j N_b` (one batched matrix
    product over the points):
    :math:`K_{aibj} = c\,G_{aibj} + \mu\,G_{ajbi} + \mu\,\delta_{ij}\,G_{akbk}`, i.e.
    :math:`\int 2\mu\,\varepsilon(N_a e_i):\varepsilon(N_b e_j) + c\,\partial_iN_a\partial_jN_b`,
    with :math:`c = \lambda` (displacement formulation) or :math:`c = -2\mu/3` (the
    deviatoric part of the mixed formulation, whose volumetric part is condensed
    separately).

    Parameters
    ----------
    weights, gradients
        Quadrature weights ``(E, Q)`` [m³] and gradients ``(E, Q, N, 3)`` [1/m].
    shear_modulus, volumetric_coefficient
        μ and c per cell ``(E,)`` [Pa].
    """
    n_cells, n_points, n_nodes, _ = gradients.shape
    flat = gradients.reshape(n_cells, n_points, 3 * n_nodes)
    gram = np.matmul(np.swapaxes(flat * weights[:, :, None], 1, 2), flat)
    gram = gram.reshape(n_cells, n_nodes, 3, n_nodes, 3)
    mu = shear_modulus[:, None, None, None, None]
    blocks = gram * volumetric_coefficient[:, None, None, None, None]
    blocks += gram.transpose(0, 1, 4, 3, 2) * mu
    trace = np.einsum("eakbk->eab", gram)
    for i in range(3):
        blocks[:, :, i, :, i] += trace * mu[:, :, 0, :, 0]
    return np.asarray(blocks)
