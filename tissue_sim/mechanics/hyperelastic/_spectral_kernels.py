r"""Compiled (numba) point kernels of :mod:`._spectral` and of the Ogden law (private).

One pass per material point, no ``(n, 3, 3, 3, 3)`` temporaries beyond the result:

* :func:`eigen_batch`: the closed-form symmetric 3×3 eigen-decomposition described in
  :mod:`._spectral` (trigonometric cubic, null vector of the most isolated eigenvalue
  refined once by its Rayleigh quotient, Jacobi rotation of the complement);
* :func:`isotropic_batch`: ``P`` and ``∂P/∂F`` of an isotropic law from the spectral
  derivatives ψ_a, ψ_ab, ψ_[ab] (equations in :mod:`._spectral`), using
  :math:`\sum_{a\ne b}2\psi_{[ab]}Y_{ab}\otimes(Y_{ab}+Y_{ba})
  = \sum_{a<b}2\psi_{[ab]}Z_{ab}\otimes Z_{ab}`, :math:`Z_{ab} = Y_{ab}+Y_{ba}`,
  :math:`Y_{ab} = f_a\otimes N_b`;
* :func:`ogden_batch`: the isochoric Ogden stress and tangent of
  :meth:`~tissue_sim.mechanics.hyperelastic.materials.Ogden.isochoric_stress` (ψ_a,
  ψ_ab, ψ_[ab] in its docstring) through the two kernels above.

The results equal the array formulation to round-off (the order of summation differs).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from tissue_sim.fem._threads import run_ranges

FloatArray = NDArray[np.float64]

__all__ = ["eigen_batch", "isotropic_batch", "ogden_batch"]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _cross(u: FloatArray, v: FloatArray, out: FloatArray) -> None:  # pragma: no cover
    out[0] = u[1] * v[2] - u[2] * v[1]
    out[1] = u[2] * v[0] - u[0] * v[2]
    out[2] = u[0] * v[1] - u[1] * v[0]


@njit(cache=True, nogil=True, error_model="numpy")
def _quadratic(m: FloatArray, v: FloatArray) -> float:  # pragma: no cover
    total = 0.0
    for i in range(3):
        row = m[i, 0] * v[0] + m[i, 1] * v[1] + m[i, 2] * v[2]
        total += v[i] * row
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def _null_vector(m: FloatArray, value: float, out: FloatArray) -> None:  # pragma: no cover
    """Unit null vector of ``m − value·I``: the largest cross product of its rows."""
    r00, r01, r02 = m[0, 0] - value, m[0, 1], m[0, 2]
    r10, r11, r12 = m[1, 0], m[1, 1] - value, m[1, 2]
    r20, r21, r22 = m[2, 0], m[2, 1], m[2, 2] - value
    # rows 0 × 1, 0 × 2, 1 × 2
    x0, y0, z0 = r01 * r12 - r02 * r11, r02 * r10 - r00 * r12, r00 * r11 - r01 * r10
    x1, y1, z1 = r01 * r22 - r02 * r21, r02 * r20 - r00 * r22, r00 * r21 - r01 * r20
    x2, y2, z2 = r11 * r22 - r12 * r21, r12 * r20 - r10 * r22, r10 * r21 - r11 * r20
    n0 = x0 * x0 + y0 * y0 + z0 * z0
    n1 = x1 * x1 + y1 * y1 + z1 * z1
    n2 = x2 * x2 + y2 * y2 + z2 * z2
    x, y, z, best = x0, y0, z0, n0
    if n1 > best:
        x, y, z, best = x1, y1, z1, n1
    if n2 > best:
        x, y, z, best = x2, y2, z2, n2
    size = math.sqrt(best)
    if not size > 0.0:
        out[0], out[1], out[2] = 1.0, 0.0, 0.0
        return
    out[0], out[1], out[2] = x / size, y / size, z / size


@njit(cache=True, nogil=True, error_model="numpy")
def _eigen_point(  # pragma: no cover
    m: FloatArray, values: FloatArray, vectors: FloatArray, work: FloatArray
) -> None:
    """Eigenvalues ``(3,)`` and eigenvector columns ``(3, 3)`` of one symmetric matrix
    (``work``: a ``(4, 3)`` scratch array)."""
    q = (m[0, 0] + m[1, 1] + m[2, 2]) / 3.0
    d00, d11, d22 = m[0, 0] - q, m[1, 1] - q, m[2, 2] - q
    a01, a02, a12 = m[0, 1], m[0, 2], m[1, 2]
    p = math.sqrt(
        (d00 * d00 + d11 * d11 + d22 * d22 + 2.0 * (a01 * a01 + a02 * a02 + a12 * a12)) / 6.0
    )
    det = (
        d00 * (d11 * d22 - a12 * a12)
        - a01 * (a01 * d22 - a12 * a02)
        + a02 * (a01 * a12 - d11 * a02)
    )
    safe = p if p > 0.0 else 1.0
    ratio = min(max(det / (2.0 * safe**3), -1.0), 1.0)
    phi = math.acos(ratio) / 3.0
    largest = q + 2.0 * p * math.cos(phi)
    smallest = q + 2.0 * p * math.cos(phi + 2.0 * math.pi / 3.0)
    middle = 3.0 * q - largest - smallest
    isolated = largest if largest - middle >= middle - smallest else smallest
    v0, axis, u, w = work[0], work[1], work[2], work[3]
    _null_vector(m, isolated, v0)
    _null_vector(m, _quadratic(m, v0), v0)
    axis[:] = 0.0
    smallest_index = 0
    for i in range(1, 3):
        if abs(v0[i]) < abs(v0[smallest_index]):
            smallest_index = i
    axis[smallest_index] = 1.0
    _cross(axis, v0, u)
    size = math.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2)
    for i in range(3):
        u[i] /= size
    _cross(v0, u, w)
    m_uu = _quadratic(m, u)
    m_ww = 0.0
    m_uw = 0.0
    for i in range(3):
        mw = m[i, 0] * w[0] + m[i, 1] * w[1] + m[i, 2] * w[2]
        m_ww += w[i] * mw
        m_uw += u[i] * mw
    theta = 0.5 * math.atan2(2.0 * m_uw, m_uu - m_ww)
    c, s = math.cos(theta), math.sin(theta)
    values[0] = _quadratic(m, v0)
    values[1] = c * c * m_uu + 2.0 * c * s * m_uw + s * s * m_ww
    values[2] = s * s * m_uu - 2.0 * c * s * m_uw + c * c * m_ww
    for i in range(3):
        vectors[i, 0] = v0[i]
        vectors[i, 1] = c * u[i] + s * w[i]
        vectors[i, 2] = -s * u[i] + c * w[i]


@njit(cache=True, nogil=True, error_model="numpy")
def eigen_batch(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:  # pragma: no cover
    """Eigenvalues ``(n, 3)`` and eigenvector columns ``(n, 3, 3)`` of ``(n, 3, 3)``."""
    n = matrices.shape[0]
    values = np.empty((n, 3))
    vectors = np.empty((n, 3, 3))
    work = np.empty((4, 3))
    for point in range(n):
        _eigen_point(matrices[point], values[point], vectors[point], work)
    return values, vectors


@njit(cache=True, nogil=True, error_model="numpy")
def _isotropic_point(  # pragma: no cover
    f: FloatArray,
    vectors: FloatArray,
    first: FloatArray,
    second: FloatArray,
    divided: FloatArray,
    tangent: bool,
    stress: FloatArray,
    out: FloatArray,
    buffer: FloatArray,
) -> None:
    """``P`` into ``stress`` and (if ``tangent``) ``∂P/∂F`` into ``out`` (3, 3, 3, 3)
    (``buffer``: 81 scratch values). ``second`` (ψ_ab) must be symmetric, as the second
    derivatives of an energy are: ``∂P/∂F`` is then major-symmetric and only the upper
    triangle of its 9×9 form is summed."""
    s = buffer[0:9].reshape(3, 3)
    stretched = buffer[9:18].reshape(3, 3)  # stretched[a, i] = (F N_a)_i
    diagonal = buffer[18:45].reshape(3, 9)
    weighted = buffer[45:72].reshape(3, 9)  # W_a = Σ_b 4 ψ_ab Y_bb
    pair = buffer[72:81]
    s[:, :] = 0.0
    for a in range(3):
        for i in range(3):
            for j in range(3):
                s[i, j] += 2.0 * first[a] * vectors[i, a] * vectors[j, a]
    for i in range(3):
        for j in range(3):
            stress[i, j] = f[i, 0] * s[0, j] + f[i, 1] * s[1, j] + f[i, 2] * s[2, j]
    if not tangent:
        return
    for a in range(3):
        for i in range(3):
            stretched[a, i] = (
                f[i, 0] * vectors[0, a] + f[i, 1] * vectors[1, a] + f[i, 2] * vectors[2, a]
            )
    # dyads Y_ab[i, J] = f_a,i N_b,J, flattened to 9
    for a in range(3):
        for i in range(3):
            for j in range(3):
                diagonal[a, 3 * i + j] = stretched[a, i] * vectors[j, a]
    weighted[:, :] = 0.0
    for a in range(3):
        for b in range(3):
            coefficient = 4.0 * second[a, b]
            for r in range(9):
                weighted[a, r] += coefficient * diagonal[b, r]
    # the 9×9 form is symmetric (ψ_ab = ψ_ba): the upper triangle, then mirrored
    flat = out.reshape(9, 9)
    for r in range(9):
        for c in range(r, 9):
            flat[r, c] = (
                diagonal[0, r] * weighted[0, c]
                + diagonal[1, r] * weighted[1, c]
                + diagonal[2, r] * weighted[2, c]
            )
    for a in range(3):
        for b in range(a + 1, 3):
            coefficient = 2.0 * divided[a, b]
            for i in range(3):
                for j in range(3):
                    pair[3 * i + j] = (
                        stretched[a, i] * vectors[j, b] + stretched[b, i] * vectors[j, a]
                    )
            for r in range(9):
                scaled = coefficient * pair[r]
                for c in range(r, 9):
                    flat[r, c] += scaled * pair[c]
    for r in range(9):
        for c in range(r + 1, 9):
            flat[c, r] = flat[r, c]
    for i in range(3):
        for j in range(3):
            for k in range(3):
                out[i, j, i, k] += s[k, j]


@njit(cache=True, nogil=True, error_model="numpy")
def isotropic_batch(  # pragma: no cover
    f: FloatArray,
    vectors: FloatArray,
    first: FloatArray,
    second: FloatArray,
    divided: FloatArray,
    tangent: bool,
) -> tuple[FloatArray, FloatArray]:
    """``P`` ``(n, 3, 3)`` and ``∂P/∂F`` ``(n, 3, 3, 3, 3)`` (``(0, …)`` without tangent)."""
    n = f.shape[0]
    stress = np.empty((n, 3, 3))
    out = np.empty((n if tangent else 0, 3, 3, 3, 3))
    scratch = np.empty((3, 3, 3, 3))
    buffer = np.empty(81)
    for point in range(n):
        target = out[point] if tangent else scratch
        _isotropic_point(
            f[point],
            vectors[point],
            first[point],
            second[point],
            divided[point],
            tangent,
            stress[point],
            target,
            buffer,
        )
    return stress, out


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _divided_power(r: float, scale: float, exponent: float) -> float:  # pragma: no cover
    """``(a^β − b^β)/(a − b)`` without cancellation (see ``power_divided_difference``),
    from ``r = ln a − ln b`` and ``scale = b^(β−1)``."""
    denominator = math.expm1(r)
    ratio = exponent if denominator == 0.0 else math.expm1(exponent * r) / denominator
    return scale * ratio


#: Fewest points per thread of :func:`ogden_batch`.
_POINTS_PER_THREAD = 512


def ogden_batch(
    f: FloatArray, moduli: FloatArray, exponents: FloatArray, tangent: bool
) -> tuple[FloatArray, FloatArray]:
    """Isochoric Ogden ``P`` ``(n, 3, 3)`` and ``∂P/∂F`` ``(n, 3, 3, 3, 3)`` [Pa].

    The points are split into ranges on the threads of
    :func:`~tissue_sim.fem._threads.run_ranges` (compiled :func:`_ogden_range` each);
    every point is computed alone, so the result is the same for any number of threads.
    ``f`` ``(n, 3, 3)`` C-contiguous float64.
    """
    n = f.shape[0]
    stress = np.empty((n, 3, 3))
    out = np.empty((n if tangent else 0, 3, 3, 3, 3))
    g = np.ascontiguousarray(f, dtype=float)
    mu = np.ascontiguousarray(moduli, dtype=float)
    alpha = np.ascontiguousarray(exponents, dtype=float)

    def kernel(start: int, stop: int) -> None:
        _ogden_range(g, mu, alpha, tangent, stress, out, start, stop)

    run_ranges(kernel, n, minimum=_POINTS_PER_THREAD)
    return stress, out


@njit(cache=True, nogil=True, error_model="numpy")
def _ogden_range(  # pragma: no cover
    f: FloatArray,
    moduli: FloatArray,
    exponents: FloatArray,
    tangent: bool,
    stress: FloatArray,
    out: FloatArray,
    start: int,
    stop: int,
) -> None:
    """:func:`ogden_batch` at the points ``start:stop`` (into ``stress`` and ``out``)."""
    scratch = np.empty((3, 3, 3, 3))
    c = np.empty((3, 3))
    values = np.empty(3)
    vectors = np.empty((3, 3))
    first = np.empty(3)
    second = np.empty((3, 3))
    divided = np.empty((3, 3))
    powers = np.empty(3)
    logs = np.empty(3)
    work = np.empty((4, 3))
    buffer = np.empty(81)
    for point in range(start, stop):
        g = f[point]
        for i in range(3):
            for j in range(3):
                c[i, j] = g[0, i] * g[0, j] + g[1, i] * g[1, j] + g[2, i] * g[2, j]
        _eigen_point(c, values, vectors, work)
        if tangent:
            for a in range(3):
                logs[a] = math.log(values[a])
        jac = (
            g[0, 0] * (g[1, 1] * g[2, 2] - g[1, 2] * g[2, 1])
            - g[0, 1] * (g[1, 0] * g[2, 2] - g[1, 2] * g[2, 0])
            + g[0, 2] * (g[1, 0] * g[2, 1] - g[1, 1] * g[2, 0])
        )
        first[:] = 0.0
        second[:, :] = 0.0
        divided[:, :] = 0.0
        for term in range(moduli.size):
            mu, alpha = moduli[term], exponents[term]
            beta = 0.5 * alpha - 1.0
            k = (mu / alpha) * jac ** (-alpha / 3.0)
            total = 0.0
            for a in range(3):
                powers[a] = values[a] ** beta
                total += powers[a] * values[a]
            for a in range(3):
                first[a] += k * (powers[a] - total / (3.0 * values[a]))
            if not tangent:
                continue
            for a in range(3):
                for b in range(3):
                    third = (total / 3.0) / (values[a] * values[b])
                    second[a, b] -= (alpha * k / 6.0) * (
                        powers[a] / values[b] + powers[b] / values[a] - third
                    )
                    if b > a:  # the isotropic kernel reads ψ_[ab] for a < b only
                        scale = powers[b] / values[b]  # c_b^(β−1)
                        divided[a, b] += k * (
                            _divided_power(logs[a] - logs[b], scale, beta) + third
                        )
                second[a, a] += k * (beta * powers[a] / values[a] + total / (3.0 * values[a] ** 2))
        target = out[point] if tangent else scratch
        _isotropic_point(g, vectors, first, second, divided, tangent, stress[point], target, buffer)
