r"""Batched 3×3 tensor algebra for the hyperelastic laws (private).

Every function is vectorised over leading axes: second-order tensors have shape
``(..., 3, 3)``, fourth-order tensors ``(..., 3, 3, 3, 3)``. Index names follow
Holzapfel (2000): upper case for the reference configuration.

The central piece is :func:`isochoric_response`, which turns the fictitious stress
:math:`\bar S = 2\,\partial\Psi/\partial\bar C` and elasticity
:math:`\bar{\mathbb C} = 4\,\partial^2\Psi/\partial\bar C\partial\bar C` of an isochoric
energy :math:`\Psi(\bar C)`, :math:`\bar C = J^{-2/3}C`, into the first Piola–Kirchhoff
stress and its derivative :math:`\mathbb A = \partial P/\partial F` (Holzapfel 2000,
eqs. 6.89–6.90 and 6.166–6.168).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

IDENTITY = np.eye(3)


def determinant(matrices: FloatArray) -> FloatArray:
    """Determinant of 3×3 matrices, ``(...)``, by the rule of Sarrus (no LAPACK call)."""
    a = matrices
    return (
        a[..., 0, 0] * (a[..., 1, 1] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 1])
        - a[..., 0, 1] * (a[..., 1, 0] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 0])
        + a[..., 0, 2] * (a[..., 1, 0] * a[..., 2, 1] - a[..., 1, 1] * a[..., 2, 0])
    )


def cofactor(matrices: FloatArray) -> FloatArray:
    """Cofactor matrices ``cof A = det(A) A^{-T}``, ``(..., 3, 3)`` (exact for any A)."""
    a = matrices
    result = np.empty_like(a)
    for i in range(3):
        i1, i2 = (i + 1) % 3, (i + 2) % 3
        for j in range(3):
            j1, j2 = (j + 1) % 3, (j + 2) % 3
            result[..., i, j] = a[..., i1, j1] * a[..., i2, j2] - a[..., i1, j2] * a[..., i2, j1]
    return result


def inverse_transpose(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``A^{-T}`` and ``det A`` of 3×3 matrices (cofactor formula)."""
    cof = cofactor(matrices)
    det = determinant(matrices)
    return cof / det[..., None, None], det


def outer(a: FloatArray, b: FloatArray) -> FloatArray:
    r"""Dyadic product :math:`(a\otimes b)_{IJKL} = a_{IJ} b_{KL}`."""
    return a[..., :, :, None, None] * b[..., None, None, :, :]


def symmetric_product(a: FloatArray) -> FloatArray:
    r""":math:`(a\odot a)_{IJKL} = \tfrac12(a_{IK}a_{JL} + a_{IL}a_{JK})` for symmetric ``a``."""
    first = a[..., :, None, :, None] * a[..., None, :, None, :]
    return 0.5 * (first + np.swapaxes(first, -1, -2))


def double_contract(a: FloatArray, b: FloatArray) -> FloatArray:
    """``a : b`` of second-order tensors, shape ``(...)``."""
    return np.einsum("...ij,...ij->...", a, b)


def isochoric_response(
    deformation_gradient: FloatArray,
    fictitious_stress: FloatArray,
    fictitious_elasticity: FloatArray | None,
) -> tuple[FloatArray, FloatArray | None]:
    r"""First Piola–Kirchhoff stress and tangent of an isochoric energy :math:`\Psi(\bar C)`.

    With :math:`J = \det F`, :math:`C = F^TF`, :math:`\bar C = J^{-2/3}C`,
    :math:`\operatorname{DEV}(\cdot) = (\cdot) - \tfrac13[(\cdot):C]\,C^{-1}`:

    .. math::

        S_{iso} &= J^{-2/3}\operatorname{DEV}\bar S, \\
        \mathbb C_{iso} &= \mathbb P:\tilde{\mathbb C}:\mathbb P^T
            + \tfrac23 J^{-2/3}(\bar S:C)\,\tilde{\mathbb P}
            - \tfrac23(C^{-1}\otimes S_{iso} + S_{iso}\otimes C^{-1}),

    with :math:`\tilde{\mathbb C} = J^{-4/3}\bar{\mathbb C}`,
    :math:`\mathbb P = \mathbb I - \tfrac13 C^{-1}\otimes C`,
    :math:`\tilde{\mathbb P} = C^{-1}\odot C^{-1} - \tfrac13 C^{-1}\otimes C^{-1}`; then
    :math:`P = F S_{iso}` and
    :math:`\mathbb A_{iJkL} = \delta_{ik} S_{LJ} + F_{iI}\,\mathbb C_{IJLM}\,F_{kM}`.

    Parameters
    ----------
    deformation_gradient
        ``F``, shape ``(..., 3, 3)``, det F > 0.
    fictitious_stress
        :math:`\bar S` at :math:`\bar C`, shape ``(..., 3, 3)`` [Pa].
    fictitious_elasticity
        :math:`\bar{\mathbb C}` at :math:`\bar C` (minor and major symmetric), shape
        ``(..., 3, 3, 3, 3)`` [Pa]; ``None`` for the stress only.

    Returns
    -------
    stress, tangent
        ``P`` ``(..., 3, 3)`` [Pa] and ``∂P/∂F`` ``(..., 3, 3, 3, 3)`` [Pa] (``None`` if
        no elasticity was given).
    """
    f = deformation_gradient
    inv_t, jac = inverse_transpose(f)
    c = np.einsum("...ki,...kj->...ij", f, f)
    c_inv = np.swapaxes(inv_t, -1, -2) @ inv_t
    scale = jac ** (-2.0 / 3.0)
    trace_s = double_contract(fictitious_stress, c)
    s_iso = scale[..., None, None] * (fictitious_stress - (trace_s / 3.0)[..., None, None] * c_inv)
    stress = f @ s_iso
    if fictitious_elasticity is None:
        return stress, None
    elasticity = (2.0 / 3.0) * (scale * trace_s)[..., None, None, None, None] * (
        symmetric_product(c_inv) - outer(c_inv, c_inv) / 3.0
    ) - (2.0 / 3.0) * (outer(c_inv, s_iso) + outer(s_iso, c_inv))
    x = (scale * scale)[..., None, None, None, None] * fictitious_elasticity
    x_c = np.einsum("...IJKL,...KL->...IJ", x, c)
    c_x = np.einsum("...IJ,...IJKL->...KL", c, x)
    c_x_c = double_contract(c_x, c)
    elasticity += (
        x
        - outer(c_inv, c_x) / 3.0
        - outer(x_c, c_inv) / 3.0
        + (c_x_c / 9.0)[..., None, None, None, None] * outer(c_inv, c_inv)
    )
    tangent = material_to_nominal_tangent(f, s_iso, elasticity)
    return stress, tangent


def material_to_nominal_tangent(
    deformation_gradient: FloatArray, second_pk: FloatArray, elasticity: FloatArray
) -> FloatArray:
    r""":math:`\mathbb A_{iJkL} = \delta_{ik}S_{LJ} + F_{iI}\mathbb C_{IJLM}F_{kM}`.

    Parameters
    ----------
    deformation_gradient
        ``F`` ``(..., 3, 3)``.
    second_pk
        Second Piola–Kirchhoff stress ``S`` ``(..., 3, 3)`` [Pa].
    elasticity
        Material elasticity :math:`\mathbb C = 2\,\partial S/\partial C` with minor
        symmetries ``(..., 3, 3, 3, 3)`` [Pa].
    """
    f = deformation_gradient
    tangent = np.einsum("...iI,...IJLM,...kM->...iJkL", f, elasticity, f, optimize=True)
    tangent += IDENTITY[:, None, :, None] * np.swapaxes(second_pk, -1, -2)[..., None, :, None, :]
    return tangent


def jacobian_second_derivative(inverse_transposed: FloatArray, jac: FloatArray) -> FloatArray:
    r""":math:`\partial^2 J/\partial F_{iJ}\partial F_{kL} = J(F^{-T}_{iJ}F^{-T}_{kL}
    - F^{-T}_{iL}F^{-T}_{kJ})`, shape ``(..., 3, 3, 3, 3)``."""
    h = inverse_transposed
    first = h[..., :, :, None, None] * h[..., None, None, :, :]
    second = np.einsum("...iL,...kJ->...iJkL", h, h)
    return jac[..., None, None, None, None] * (first - second)


def power_divided_difference(a: FloatArray, b: FloatArray, exponent: float) -> FloatArray:
    r"""Divided difference :math:`(a^\beta - b^\beta)/(a - b)` of :math:`c^\beta`, exact near a = b.

    Written as :math:`b^{\beta-1}\operatorname{expm1}(\beta r)/\operatorname{expm1}(r)`,
    :math:`r = \ln(a/b)`, which keeps full precision when ``a`` and ``b`` (positive)
    nearly coincide and tends to :math:`\beta\,b^{\beta-1}` as a → b.
    """
    r = np.log(a) - np.log(b)
    denominator = np.expm1(r)
    same = denominator == 0.0
    ratio = np.where(same, exponent, np.expm1(exponent * r) / np.where(same, 1.0, denominator))
    return np.asarray(b ** (exponent - 1.0) * ratio, dtype=float)
