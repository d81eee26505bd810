r"""Compiled (numba) kernel of the follower skin load (private).

One pass over the loaded facets and their quadrature points computes, per point, the
area vector :math:`\hat a = \pm g_s\times g_t`, the nominal traction
:math:`T(\hat a) = -p\,\hat a + \tau\,|\hat a|\,\hat t(n)` and, when asked, its derivative
:math:`\partial T/\partial\hat a` (the equations are in
:mod:`~tissue_sim.mechanics.surface_load`), and accumulates the element forces
:math:`\sum_q w_q N_a T` and the load-stiffness blocks
:math:`\sum_q w_q N_a\,(\partial_t N_b A_s - \partial_s N_b A_t)`,
:math:`A = \pm(\partial T/\partial\hat a)[g]_\times`, without the ``(F, Q, 3, 3)``
temporaries of an array formulation (measured on the baseline stroke: 0.3 s → 0.02 s
per evaluation). Verified by the load's total force against the exact integral and by
the finite-difference test of the tangent (tests/hyperelastic/test_hyper_verification.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["follower_kernel"]


@njit(cache=True, nogil=True, error_model="numpy")
def follower_kernel(  # pragma: no cover - compiled
    positions: FloatArray,
    derivatives: FloatArray,
    basis: FloatArray,
    parameter_weights: FloatArray,
    orientation: FloatArray,
    pressure: FloatArray,
    shear: FloatArray,
    tangent: bool,
) -> tuple[FloatArray, FloatArray]:
    """Element forces ``(F, Nf, 3)`` [N] and stiffness blocks ``(F, Nf, Nf, 3, 3)`` [N/m].

    Parameters
    ----------
    positions
        Current facet node positions ``(F, Nf, 3)`` [m].
    derivatives
        Facet basis derivatives along ``(s, t)`` ``(F, Q, Nf, 2)``.
    basis
        Facet basis values ``(F, Q, Nf)``.
    parameter_weights
        Weights of the reference-facet rule ``(Q,)``.
    orientation
        ±1 per facet ``(F,)``.
    pressure, shear
        Pressure ``(F, Q)`` [Pa] and reference shear traction ``(F, Q, 3)`` [Pa].
    tangent
        Compute the blocks (else a ``(0, 0, 0, 3, 3)`` array is returned).
    """
    n_facets, n_nodes, _ = positions.shape
    n_points = parameter_weights.size
    force = np.zeros((n_facets, n_nodes, 3))
    size_if_tangent = n_facets if tangent else 0
    blocks = np.zeros((size_if_tangent, n_nodes, n_nodes, 3, 3))
    g_s = np.empty(3)
    g_t = np.empty(3)
    area = np.empty(3)
    normal = np.empty(3)
    direction = np.empty(3)
    unit = np.empty(3)
    nominal = np.empty(3)
    dtda = np.empty((3, 3))
    inner = np.empty((3, 3))
    work = np.empty((3, 3))
    along_s = np.empty((3, 3))
    along_t = np.empty((3, 3))
    for f in range(n_facets):
        sign = orientation[f]
        for q in range(n_points):
            for i in range(3):
                g_s[i] = 0.0
                g_t[i] = 0.0
            for a in range(n_nodes):
                ds = derivatives[f, q, a, 0]
                dt = derivatives[f, q, a, 1]
                for i in range(3):
                    g_s[i] += ds * positions[f, a, i]
                    g_t[i] += dt * positions[f, a, i]
            area[0] = sign * (g_s[1] * g_t[2] - g_s[2] * g_t[1])
            area[1] = sign * (g_s[2] * g_t[0] - g_s[0] * g_t[2])
            area[2] = sign * (g_s[0] * g_t[1] - g_s[1] * g_t[0])
            size = np.sqrt(area[0] ** 2 + area[1] ** 2 + area[2] ** 2)
            for i in range(3):
                normal[i] = area[i] / size
            p = pressure[f, q]
            magnitude = np.sqrt(shear[f, q, 0] ** 2 + shear[f, q, 1] ** 2 + shear[f, q, 2] ** 2)
            active = magnitude > 0.0
            along = 0.0
            safe_length = 1.0
            for i in range(3):
                direction[i] = shear[f, q, i] / magnitude if active else 0.0
                along += normal[i] * direction[i]
            length = 0.0
            for i in range(3):
                unit[i] = direction[i] - along * normal[i]
                length += unit[i] * unit[i]
            length = np.sqrt(length)
            if active:
                safe_length = max(length, 1e-300)
            for i in range(3):
                unit[i] /= safe_length
                nominal[i] = -p * area[i] + magnitude * size * unit[i]
            weight = parameter_weights[q]
            for a in range(n_nodes):
                wn = weight * basis[f, q, a]
                for i in range(3):
                    force[f, a, i] += wn * nominal[i]
            if not tangent:
                continue
            # ∂T/∂a = −p I + τ [t̂ ⊗ n − (I − t̂⊗t̂)((n·d) I + n⊗d)(I − n⊗n) / |d − (n·d)n|]
            for i in range(3):
                for k in range(3):
                    dtda[i, k] = -p if i == k else 0.0
            if active:
                # inner = ((n·d) I + n⊗d)(I − n⊗n)
                for i in range(3):
                    for k in range(3):
                        value = (along if i == k else 0.0) + normal[i] * direction[k]
                        work[i, k] = value
                for i in range(3):
                    for k in range(3):
                        value = 0.0
                        for m in range(3):
                            projector = (1.0 if m == k else 0.0) - normal[m] * normal[k]
                            value += work[i, m] * projector
                        inner[i, k] = value
                # (I − t̂⊗t̂) inner
                for k in range(3):
                    column = unit[0] * inner[0, k] + unit[1] * inner[1, k] + unit[2] * inner[2, k]
                    for i in range(3):
                        work[i, k] = inner[i, k] - unit[i] * column
                for i in range(3):
                    for k in range(3):
                        dtda[i, k] += magnitude * (unit[i] * normal[k] - work[i, k] / safe_length)
            # A_s = sign ∂T/∂a [g_s]_×, A_t = sign ∂T/∂a [g_t]_×  ([g]_× v = g × v)
            for i in range(3):
                d0, d1, d2 = dtda[i, 0], dtda[i, 1], dtda[i, 2]
                along_s[i, 0] = sign * (d1 * g_s[2] - d2 * g_s[1])
                along_s[i, 1] = sign * (d2 * g_s[0] - d0 * g_s[2])
                along_s[i, 2] = sign * (d0 * g_s[1] - d1 * g_s[0])
                along_t[i, 0] = sign * (d1 * g_t[2] - d2 * g_t[1])
                along_t[i, 1] = sign * (d2 * g_t[0] - d0 * g_t[2])
                along_t[i, 2] = sign * (d0 * g_t[1] - d1 * g_t[0])
            for a in range(n_nodes):
                wn = weight * basis[f, q, a]
                for b in range(n_nodes):
                    coefficient_t = wn * derivatives[f, q, b, 1]
                    coefficient_s = wn * derivatives[f, q, b, 0]
                    for i in range(3):
                        for k in range(3):
                            blocks[f, a, b, i, k] += (
                                coefficient_t * along_s[i, k] - coefficient_s * along_t[i, k]
                            )
    return force, blocks
