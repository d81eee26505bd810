r"""Per-cell stiffness factors → the materials and material map the mechanics solves with.

The solid body (:class:`~tissue_sim.mechanics.body.SolidBody`) gives every cell the
material of ``mesh.cell_layer``. A remodelled tissue has one factor per cell, so the
cells are grouped into **stiffness classes**: within each layer, cells whose factors lie
within a relative ``resolution`` of each other (the same integer
:math:`\operatorname{round}(\ln s / \ln(1 + r))`) form one class, whose factor is the
volume-weighted mean of its cells' factors. The mechanics then runs on a copy of the
mesh whose ``cell_layer`` indexes the classes, with one scaled material per class
(:func:`scaled_material`). A cell is solved with a factor within a ratio
:math:`1 + r` of its own (2 % at the default ``resolution`` 0.02). ``resolution = 0``
gives one class per layer (the volume-weighted mean of the layer's factors: a Voigt
average). The body evaluates its laws class by class (a loop over classes, not cells).

With Q1/Q2 elements the pressure space is element-wise, so the classes change nothing but
the moduli. With P1/P2 tetrahedra the vertex pressure is continuous per class (it jumps
between classes as it does at layer interfaces).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.geometry.mesh import Mesh
from tissue_sim.mechanics.materials import LinearElasticMaterial, Material

__all__ = ["ScaledMaterial", "StiffnessClasses", "scaled_material", "stiffness_classes"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ScaledMaterial:
    r"""A finite-strain law with its whole strain energy scaled: :math:`W = s\,W_0`.

    :math:`P = s P_0`, :math:`\mathbb A = s\,\mathbb A_0`, :math:`\mu = s\mu_0`,
    :math:`\kappa = s\kappa_0` (the volumetric energies are linear in κ).

    Attributes
    ----------
    base
        The layer's finite-strain material.
    factor
        Stiffness factor s > 0 [-].
    """

    base: Material
    factor: float

    #: A finite-strain law (small-strain layers are scaled as linear materials).
    small_strain: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.factor) and self.factor > 0.0):
            raise ValueError(f"the stiffness factor must be positive, got {self.factor!r}")

    @property
    def shear_modulus(self) -> float:
        """s·μ₀ [Pa]."""
        return self.factor * self.base.shear_modulus

    @property
    def bulk_modulus(self) -> float:
        """s·κ₀ [Pa]."""
        return self.factor * self.base.bulk_modulus

    @property
    def volumetric(self) -> str:
        """The base law's volumetric energy."""
        return self.base.volumetric

    @property
    def fibre_directions(self) -> FloatArray:
        """The base law's fibre directions."""
        return self.base.fibre_directions

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """s·Ψ₀_iso(F) [J/m³]."""
        return np.asarray(self.factor * self.base.isochoric_energy(deformation_gradient))

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """s·P₀_iso and s·∂P₀_iso/∂F [Pa]."""
        stress, moduli = self.base.isochoric_stress(deformation_gradient, tangent=tangent)
        return self.factor * stress, None if moduli is None else self.factor * moduli

    def tangent_regime(self, deformation_gradient: FloatArray) -> NDArray[np.int64] | None:
        """The base law's branch labels (scaling does not move a branch), or ``None``."""
        regime = getattr(self.base, "tangent_regime", None)
        return regime(deformation_gradient) if callable(regime) else None

    def small_strain_material(self) -> LinearElasticMaterial:
        """The linear-elastic material with s·μ₀ and s·κ₀."""
        return LinearElasticMaterial.from_moduli(self.shear_modulus, self.bulk_modulus)


def scaled_material(material: Material, factor: float) -> Material:
    """``material`` with its strain energy multiplied by ``factor`` (1 returns it as is).

    A linear-elastic layer keeps its Poisson's ratio and gets ``factor·E``; a
    finite-strain layer is wrapped in :class:`ScaledMaterial`.
    """
    if factor == 1.0:
        return material
    if isinstance(material, LinearElasticMaterial):
        return LinearElasticMaterial(factor * material.youngs_modulus, material.poisson_ratio)
    if isinstance(material, ScaledMaterial):
        return ScaledMaterial(material.base, factor * material.factor)
    return ScaledMaterial(material, factor)


@dataclass(frozen=True)
class StiffnessClasses:
    """The material map of a remodelled tissue.

    Attributes
    ----------
    mesh
        The mesh with ``cell_layer`` indexing the classes (``layer_names`` repeats each
        class's layer name); the original mesh when every factor is 1.
    materials
        One material per class.
    class_layer
        Layer of every class ``(k,)``.
    class_factor
        Factor of every class ``(k,)`` [-].
    cell_factor
        The factor every cell is solved with ``(m,)`` [-] (its class's).
    """

    mesh: Mesh
    materials: tuple[Material, ...]
    class_layer: NDArray[np.int64]
    class_factor: FloatArray
    cell_factor: FloatArray

    @property
    def unchanged(self) -> bool:
        """Every cell is solved with its layer's own material."""
        return bool(np.all(self.class_factor == 1.0))


def stiffness_classes(
    mesh: Mesh,
    materials: Sequence[Material],
    factors: ArrayLike,
    volume: ArrayLike,
    *,
    resolution: float = 0.02,
) -> StiffnessClasses:
    """Group the cells into stiffness classes and scale each class's material.

    Parameters
    ----------
    mesh
        The mesh (``cell_layer`` indexes ``materials``).
    materials
        One material per layer.
    factors
        Stiffness factor per cell ``(m,)`` [-], > 0.
    volume
        Cell volumes ``(m,)`` [m³] (the class factor is their weighted mean).
    resolution
        Relative width r of a class [-]; 0: one class per layer.

    Returns
    -------
    StiffnessClasses
    """
    factor = np.asarray(factors, dtype=np.float64)
    weights = np.asarray(volume, dtype=np.float64)
    layers = mesh.cell_layer.astype(np.int64)
    if factor.shape != layers.shape or weights.shape != layers.shape:
        raise ValueError(f"factors and volume must have shape {layers.shape}")
    if not np.all(np.isfinite(factor) & (factor > 0.0)):
        raise ValueError("stiffness factors must be positive and finite")
    if len(materials) != len(mesh.layer_names):
        raise ValueError("give one material per layer")
    if resolution < 0.0:
        raise ValueError("resolution must be >= 0")
    if resolution > 0.0:
        level = np.rint(np.log(factor) / np.log1p(resolution)).astype(np.int64)
    else:
        level = np.zeros_like(layers)
    keys = np.stack([layers, level], axis=1)
    unique, cell_class = np.unique(keys, axis=0, return_inverse=True)
    cell_class = cell_class.reshape(-1)
    class_layer = unique[:, 0]
    count = len(unique)
    volume_sum = np.bincount(cell_class, weights=weights, minlength=count)
    weighted = np.bincount(cell_class, weights=weights * factor, minlength=count)
    class_factor: FloatArray = np.asarray(weighted / volume_sum, dtype=np.float64)
    # a class of factors that are all exactly 1 stays exactly 1 (no round-off)
    changed = np.bincount(cell_class, weights=(factor != 1.0).astype(float), minlength=count)
    exact_one = changed == 0
    class_factor[exact_one] = 1.0
    if np.all(class_factor == 1.0):
        return StiffnessClasses(
            mesh,
            tuple(materials),
            np.arange(len(materials)),
            np.ones(len(materials)),
            np.ones(layers.size),
        )
    class_materials = tuple(
        scaled_material(materials[int(layer)], float(value))
        for layer, value in zip(class_layer, class_factor, strict=True)
    )
    class_mesh = dataclasses.replace(
        mesh,
        cell_layer=cell_class.astype(np.int32),
        layer_names=tuple(mesh.layer_names[int(layer)] for layer in class_layer),
    )
    return StiffnessClasses(
        class_mesh, class_materials, class_layer, class_factor, class_factor[cell_class]
    )
