r"""Compiled (numba) point kernel of an energy of one isochoric invariant (private).

The stress and tangent of
:func:`~tissue_sim.mechanics.hyperelastic.materials._invariant_response` (equations in
its docstring), one pass per point, added in place to the output arrays: the same
result as the array formulation up to the order of summation, without its
``(n, 3, 3, 3, 3)`` temporaries.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["invariant_batch"]


@njit(cache=True, nogil=True, error_model="numpy")
def invariant_batch(  # pragma: no cover - compiled
    f: FloatArray,
    inv_t: FloatArray,
    scale: FloatArray,
    structure: FloatArray,
    first: FloatArray,
    second: FloatArray,
    with_second: bool,
    out_stress: FloatArray,
    out_tangent: FloatArray,
    with_tangent: bool,
) -> None:
    """Add ``P`` ``(n, 3, 3)`` and (``with_tangent``) ``∂P/∂F`` ``(n, 3, 3, 3, 3)`` [Pa].

    ``structure`` is H ``(3, 3)``; ``first``/``second`` are ψ', ψ'' per point ``(n,)``.
    """
    n = f.shape[0]
    b = np.empty((3, 3))
    d = np.empty((3, 3))
    e = np.empty((3, 3))
    for point in range(n):
        g = f[point]
        h_inv = inv_t[point]
        for i in range(3):
            for j in range(3):
                b[i, j] = (
                    g[i, 0] * structure[0, j]
                    + g[i, 1] * structure[1, j]
                    + g[i, 2] * (structure[2, j])
                )
        invariant = 0.0
        for i in range(3):
            for j in range(3):
                invariant += g[i, j] * b[i, j]
        s2 = 2.0 * scale[point]
        psi1 = first[point]
        for i in range(3):
            for j in range(3):
                d[i, j] = s2 * (b[i, j] - invariant / 3.0 * h_inv[i, j])
                out_stress[point, i, j] += psi1 * d[i, j]
        if not with_tangent:
            continue
        weight = s2 * psi1
        psi2 = second[point] if with_second else 0.0
        for i in range(3):
            for j in range(3):
                e[i, j] = b[i, j] - invariant / 6.0 * h_inv[i, j]
        mixed = (-2.0 / 3.0) * weight
        crossed = weight * invariant / 3.0
        a = out_tangent[point]
        for i in range(3):
            for j in range(3):
                for k in range(3):
                    for m in range(3):
                        value = mixed * (e[i, j] * h_inv[k, m] + h_inv[i, j] * e[k, m])
                        value += crossed * h_inv[i, m] * h_inv[k, j]
                        value += psi2 * d[i, j] * d[k, m]
                        if i == k:
                            value += weight * structure[j, m]
                        a[i, j, k, m] += value
