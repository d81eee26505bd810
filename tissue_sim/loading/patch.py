r"""Contact patches on the skin, their pressure profiles, and the surface traction they apply.

Geometry convention: the tissue block occupies :math:`x \in [-L_x/2, L_x/2]`,
:math:`y \in [-L_y/2, L_y/2]`, :math:`z \in [0, H]`; the skin is the plane :math:`z = H`
with outward normal :math:`+e_z`. A normal pressure :math:`p > 0` pushes into the tissue
(traction :math:`-p\,e_z`); a shear traction is tangential (x, y components). SI units.

A patch has its own axes :math:`x'` (at angle ``orientation`` from the global x axis) and
:math:`y'`, semi-axes :math:`a` along :math:`x'` and :math:`b` along :math:`y'`, and a shape:

``"ellipse"``
    :math:`(x'/a)^2 + (y'/b)^2 \le 1` (a circle when :math:`a = b`), area :math:`\pi a b`.
    The profile is a function of the normalised elliptical radius
    :math:`r = \sqrt{(x'/a)^2 + (y'/b)^2}`.
``"rectangle"``
    :math:`|x'| \le a,\ |y'| \le b`, area :math:`4ab`. Meant for line contacts (roller,
    instrument edge): a cylinder of contact length :math:`2a` lying along :math:`x'` and
    contact width :math:`2b`. The profile is separable in :math:`s = x'/a` and :math:`u = y'/b`.

Profiles (the weight :math:`w` is dimensionless, zero outside the patch, and normalised so
that :math:`\int w\,dA` equals the patch area: a mean pressure :math:`p` then gives the
resultant force :math:`p \times \text{area}` for every profile):

==============  ======================================  ======================================
profile         ellipse                                 rectangle
==============  ======================================  ======================================
``uniform``     :math:`w = 1`                           :math:`w = 1`
``hertzian``    :math:`w = \tfrac32\sqrt{1 - r^2}`        :math:`w = \tfrac4\pi\sqrt{1 - u^2}`
                (Hertz point contact, peak = 1.5 ×      (Hertz line contact across the width,
                mean)                                   uniform along the length; peak =
                                                        4/π × mean)
``smooth``      :math:`w = c\,\tau(r)`                  :math:`w = c_1^2\,\tau(|s|)\,\tau(|u|)`
==============  ======================================  ======================================

with the cosine taper over an edge band of relative width :math:`\delta` (``edge_width``)

.. math::
    \tau(r) = 1 \ (r \le 1-\delta), \quad
    \tau(r) = \tfrac12\bigl(1 + \cos(\pi (r - 1 + \delta)/\delta)\bigr) \ (1-\delta < r \le 1),

and normalisation constants :math:`c = 1/(2I)`,
:math:`I = \int_0^1 \tau(r)\,r\,dr = \tfrac12(1-\delta)^2
+ \tfrac{\delta}{2}\bigl[(1-\delta) + \delta(\tfrac12 - \tfrac{2}{\pi^2})\bigr]`, and
:math:`c_1 = 1/(1 - \delta/2)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.loading._validation import (
    LoadingParameterError,
    require_finite,
    require_non_negative,
    require_positive,
)

__all__ = [
    "PATCH_SHAPES",
    "PROFILES",
    "ContactPatch",
    "LoadFrame",
    "PatchLoad",
    "frame_resultant",
    "patch_extent",
    "profile_weight",
    "surface_traction",
]

FloatArray = NDArray[np.float64]

#: Pressure profiles a patch may have.
PROFILES: Final[tuple[str, ...]] = ("uniform", "hertzian", "smooth")
#: Outline shapes a patch may have.
PATCH_SHAPES: Final[tuple[str, ...]] = ("ellipse", "rectangle")


@dataclass(frozen=True)
class ContactPatch:
    """Region of the skin in contact with a hand, finger, tool or roller.

    Parameters
    ----------
    centre
        Patch centre :math:`(x, y)` on the skin plane [m].
    semi_axes
        Semi-axes :math:`(a, b)` [m]: :math:`a` along the patch axis :math:`x'`, :math:`b`
        along :math:`y'`. A circle has :math:`a = b`.
    orientation
        Angle of :math:`x'` from the global x axis, counter-clockwise [rad].
    profile
        Pressure profile: ``"uniform"``, ``"hertzian"`` or ``"smooth"``.
    shape
        Outline: ``"ellipse"`` (default) or ``"rectangle"`` (line contacts).
    edge_width
        Width of the cosine taper of the ``"smooth"`` profile as a fraction of the
        semi-axis, in (0, 1] [-]. Ignored by the other profiles.
    """

    centre: tuple[float, float]
    semi_axes: tuple[float, float]
    orientation: float = 0.0
    profile: str = "uniform"
    shape: str = "ellipse"
    edge_width: float = 0.2

    def __post_init__(self) -> None:
        if len(self.centre) != 2:
            raise LoadingParameterError("patch.centre", "expected two coordinates (x, y)")
        if len(self.semi_axes) != 2:
            raise LoadingParameterError("patch.semi_axes", "expected two semi-axes (a, b)")
        object.__setattr__(self, "centre", (float(self.centre[0]), float(self.centre[1])))
        object.__setattr__(self, "semi_axes", (float(self.semi_axes[0]), float(self.semi_axes[1])))
        for value in self.centre:
            require_finite("patch.centre", value)
        for value in self.semi_axes:
            require_positive("patch.semi_axes", value)
        require_finite("patch.orientation", self.orientation)
        if self.profile not in PROFILES:
            raise LoadingParameterError(
                "patch.profile", f"expected one of {', '.join(PROFILES)}, got {self.profile!r}"
            )
        if self.shape not in PATCH_SHAPES:
            raise LoadingParameterError(
                "patch.shape", f"expected one of {', '.join(PATCH_SHAPES)}, got {self.shape!r}"
            )
        require_finite("patch.edge_width", self.edge_width)
        if not 0.0 < self.edge_width <= 1.0:
            raise LoadingParameterError(
                "patch.edge_width", f"expected a fraction in (0, 1], got {self.edge_width:g}"
            )

    @property
    def area(self) -> float:
        """Contact area [m²]: :math:`\\pi a b` (ellipse) or :math:`4ab` (rectangle)."""
        a, b = self.semi_axes
        return math.pi * a * b if self.shape == "ellipse" else 4.0 * a * b

    @property
    def peak_weight(self) -> float:
        """Largest value of :func:`profile_weight` (peak pressure / mean pressure) [-]."""
        if self.profile == "uniform":
            return 1.0
        if self.profile == "hertzian":
            return 1.5 if self.shape == "ellipse" else 4.0 / math.pi
        if self.shape == "ellipse":
            return _smooth_disc_constant(self.edge_width)
        return _smooth_line_constant(self.edge_width) ** 2

    def moved(self, centre: tuple[float, float], orientation: float) -> ContactPatch:
        """A copy of this patch at another centre [m] and orientation [rad]."""
        return ContactPatch(
            centre=centre,
            semi_axes=self.semi_axes,
            orientation=orientation,
            profile=self.profile,
            shape=self.shape,
            edge_width=self.edge_width,
        )


@dataclass(frozen=True)
class PatchLoad:
    """Pressure and shear traction applied over one contact patch.

    Parameters
    ----------
    patch
        Where the load acts and with which profile.
    pressure
        Mean normal pressure [Pa], >= 0 (pushes into the tissue). The local pressure is
        ``pressure * profile_weight``.
    shear
        Mean tangential traction vector :math:`(t_x, t_y)` on the skin [Pa], distributed
        with the same profile as the pressure.
    """

    patch: ContactPatch
    pressure: float
    shear: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        require_non_negative("pressure", self.pressure)
        if len(self.shear) != 2:
            raise LoadingParameterError("shear", "expected a vector (tx, ty)")
        object.__setattr__(self, "pressure", float(self.pressure))
        object.__setattr__(self, "shear", (float(self.shear[0]), float(self.shear[1])))
        for value in self.shear:
            require_finite("shear", value)

    @property
    def resultant(self) -> FloatArray:
        """Resultant force on the tissue :math:`(F_x, F_y, F_z)` [N]; :math:`F_z = -pA`."""
        area = self.patch.area
        return np.array([self.shear[0] * area, self.shear[1] * area, -self.pressure * area])


@dataclass(frozen=True)
class LoadFrame:
    """All surface loads acting at one instant of a technique.

    Parameters
    ----------
    time
        Time of the frame within the cycle or pass [s].
    loads
        Patch loads acting together; their tractions add. Empty for an unloaded frame
        (hand lifted).
    """

    time: float
    loads: tuple[PatchLoad, ...] = ()

    def __post_init__(self) -> None:
        require_finite("time", self.time)
        object.__setattr__(self, "time", float(self.time))
        object.__setattr__(self, "loads", tuple(self.loads))

    @property
    def is_loaded(self) -> bool:
        """Whether any load of the frame is non-zero."""
        return any(load.pressure != 0.0 or any(load.shear) for load in self.loads)


def profile_weight(patch: ContactPatch, xy: ArrayLike) -> FloatArray:
    """Dimensionless pressure-profile weight of a patch at skin points.

    Parameters
    ----------
    patch
        The contact patch.
    xy
        Points on the skin plane, shape ``(n, 2)`` [m].

    Returns
    -------
    ndarray
        Weight :math:`w \\ge 0`, shape ``(n,)`` [-]: zero outside the patch, with
        :math:`\\int w\\,dA = ` ``patch.area`` (see the module docstring for the formulas).
    """
    points = np.asarray(xy, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"xy must have shape (n, 2), got {points.shape}")
    a, b = patch.semi_axes
    cos_t, sin_t = math.cos(patch.orientation), math.sin(patch.orientation)
    dx = points[:, 0] - patch.centre[0]
    dy = points[:, 1] - patch.centre[1]
    s = (cos_t * dx + sin_t * dy) / a
    u = (-sin_t * dx + cos_t * dy) / b
    if patch.shape == "ellipse":
        r2 = s * s + u * u
        inside = r2 <= 1.0
        if patch.profile == "uniform":
            return inside.astype(float)
        if patch.profile == "hertzian":
            return 1.5 * np.sqrt(np.clip(1.0 - r2, 0.0, None))
        taper = _cosine_taper(np.sqrt(r2), patch.edge_width)
        return _smooth_disc_constant(patch.edge_width) * taper
    abs_s, abs_u = np.abs(s), np.abs(u)
    inside = (abs_s <= 1.0) & (abs_u <= 1.0)
    if patch.profile == "uniform":
        return inside.astype(float)
    if patch.profile == "hertzian":
        across = (4.0 / math.pi) * np.sqrt(np.clip(1.0 - u * u, 0.0, None))
        return np.where(abs_s <= 1.0, across, 0.0)
    constant = _smooth_line_constant(patch.edge_width)
    return (
        constant
        * constant
        * _cosine_taper(abs_s, patch.edge_width)
        * _cosine_taper(abs_u, patch.edge_width)
    )


def surface_traction(frame: LoadFrame, points: ArrayLike) -> FloatArray:
    """Traction vector applied to the skin at given points, summed over the frame's patches.

    Parameters
    ----------
    frame
        The load frame.
    points
        Skin points, shape ``(n, 3)`` [m]; only x and y are used (the points are assumed
        to lie on the skin plane :math:`z = H`).

    Returns
    -------
    ndarray
        Traction :math:`t = w\\,(t_x, t_y, -p)` summed over patches, shape ``(n, 3)`` [Pa].
    """
    coordinates = np.asarray(points, dtype=float)
    if coordinates.ndim != 2 or coordinates.shape[1] != 3:
        raise ValueError(f"points must have shape (n, 3), got {coordinates.shape}")
    traction = np.zeros_like(coordinates)
    xy = coordinates[:, :2]
    for load in frame.loads:
        weight = profile_weight(load.patch, xy)
        traction += weight[:, None] * np.array([load.shear[0], load.shear[1], -load.pressure])
    return traction


def frame_resultant(frame: LoadFrame) -> FloatArray:
    """Resultant force of all loads of a frame on the tissue, shape ``(3,)`` [N]."""
    total = np.zeros(3)
    for load in frame.loads:
        total += load.resultant
    return total


def patch_extent(patch: ContactPatch, direction: float | None = None) -> tuple[float, float]:
    """Half-extents of a patch along the global axes, or along and across a direction.

    Parameters
    ----------
    patch
        The contact patch.
    direction
        Angle of a direction in the skin plane [rad]. ``None`` gives the half-extents along
        the global x and y axes (half the size of the axis-aligned bounding box).

    Returns
    -------
    tuple of float
        Half-extent along the direction (or x) and across it (or y) [m].
    """
    angle = 0.0 if direction is None else direction
    a, b = patch.semi_axes
    phi = patch.orientation - angle
    cos_p, sin_p = abs(math.cos(phi)), abs(math.sin(phi))
    if patch.shape == "ellipse":
        along = math.hypot(a * cos_p, b * sin_p)
        across = math.hypot(a * sin_p, b * cos_p)
    else:
        along = a * cos_p + b * sin_p
        across = a * sin_p + b * cos_p
    return along, across


def _cosine_taper(radius: FloatArray, edge_width: float) -> FloatArray:
    """1 inside ``1 - edge_width``, a cosine down to 0 at 1, 0 beyond (vectorised)."""
    inner = 1.0 - edge_width
    phase = np.clip((radius - inner) / edge_width, 0.0, 1.0)
    taper = 0.5 * (1.0 + np.cos(math.pi * phase))
    return np.where(radius <= 1.0, taper, 0.0)


def _smooth_disc_constant(edge_width: float) -> float:
    """Normalisation of the smooth profile on the unit disc: 1 / (2 ∫ τ(r) r dr)."""
    inner = 1.0 - edge_width
    integral = 0.5 * inner**2 + 0.5 * edge_width * (inner + edge_width * (0.5 - 2.0 / math.pi**2))
    return 1.0 / (2.0 * integral)


def _smooth_line_constant(edge_width: float) -> float:
    """Normalisation of the 1-D smooth profile on [-1, 1]: 1 / ∫₀¹ τ(s) ds."""
    return 1.0 / (1.0 - 0.5 * edge_width)
