"""Helpers of the technique families: default patches, scaled frames, fixed-patch geometry."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import LoadingParameterError
from tissue_sim.loading.patch import ContactPatch, LoadFrame, PatchLoad, patch_extent

__all__ = [
    "FINGERTIP",
    "HAND",
    "THUMB",
    "FixedPatch",
    "cm",
    "describe_load",
    "patch_load_feature",
    "scaled_frame",
]

FloatArray = NDArray[np.float64]

# Default contact patches: FACTS.md §3 found no hand, thumb or elbow contact areas, so the
# sizes are assumptions of ours.
THUMB = ContactPatch(centre=(0.0, 0.0), semi_axes=(0.01, 0.01), profile="smooth")
HAND = ContactPatch(centre=(0.0, 0.0), semi_axes=(0.02, 0.015), profile="smooth")
FINGERTIP = ContactPatch(centre=(0.0, 0.0), semi_axes=(0.005, 0.005), profile="smooth")


def cm(value: float) -> str:
    """A length [m] in centimetres, 3 significant digits (for messages)."""
    return f"{value * 100.0:.3g}"


def _mm(value: float) -> str:
    return f"{value * 1e3:.3g} mm"


def describe_patch(patch: ContactPatch) -> str:
    """The patch in words: ``a circle of radius 10 mm (smooth pressure profile)``."""
    a, b = patch.semi_axes
    if patch.shape == "ellipse":
        size = (
            f"a circle of radius {_mm(a)}"
            if math.isclose(a, b, rel_tol=1e-9)
            else f"an ellipse of {_mm(2 * a)} × {_mm(2 * b)}"
        )
    else:
        size = f"a strip of {_mm(2 * a)} × {_mm(2 * b)}"
    return f"{size} ({patch.profile} pressure profile)"


def describe_load(name: str, pressure: float, shear: float, patch: ContactPatch) -> str:
    """The start of every technique's description: name, mean pressure, shear, patch.

    Parameters
    ----------
    name
        Technique name (``sustained_shear`` is written ``sustained shear``).
    pressure
        Mean normal pressure [Pa].
    shear
        Size of the mean shear traction [Pa] (0: none).
    patch
        The contact patch.
    """
    words = f"{name.replace('_', ' ')} at {pressure / 1e3:.3g} kPa mean pressure"
    if shear:
        words += f" with {abs(shear) / 1e3:.3g} kPa of shear"
    return f"{words} over {describe_patch(patch)}"


def scaled_frame(reference: LoadFrame, time: float, factor: float) -> LoadFrame:
    """``reference`` at ``time`` with every pressure and shear times ``factor``."""
    loads = tuple(
        PatchLoad(
            load.patch, load.pressure * factor, (load.shear[0] * factor, load.shear[1] * factor)
        )
        for load in reference.loads
    )
    return LoadFrame(time, loads)


def patch_load_feature(patch: ContactPatch) -> float:
    """Smallest length over which a patch's load changes [m].

    The smaller semi-axis; for the ``smooth`` profile, the width of its cosine edge taper
    (``edge_width`` times the semi-axis, at least 5 % of it).
    """
    smallest = min(patch.semi_axes)
    if patch.profile == "smooth":
        smallest *= max(patch.edge_width, 0.05)
    return smallest


class FixedPatch:
    """Geometry of a technique whose patch stays in place (mixed into its dataclass)."""

    patch: ContactPatch

    def patch_boxes(self) -> FloatArray:
        """The patch's bounding box ``(1, 4)`` [m]."""
        centre = self.patch.centre
        half_x, half_y = patch_extent(self.patch)
        return np.array(
            [[centre[0] - half_x, centre[0] + half_x, centre[1] - half_y, centre[1] + half_y]]
        )

    def off_block_error(
        self, outside: NDArray[np.bool_], half_size: tuple[float, float]
    ) -> LoadingParameterError:
        """``patch.centre``: the patch reaches beyond the skin."""
        half_x, half_y = half_size
        return LoadingParameterError(
            "patch.centre",
            f"the patch at ({cm(self.patch.centre[0])}, {cm(self.patch.centre[1])}) cm "
            f"reaches beyond the skin surface (x within ±{cm(half_x)} cm, "
            f"y within ±{cm(half_y)} cm)",
        )

    def smallest_load_feature(self) -> float:
        """The patch's smallest load feature [m]."""
        return patch_load_feature(self.patch)
