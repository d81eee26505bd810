"""One-dimensional graded node distributions for structured meshes."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["graded_axis", "graded_layers"]

FloatArray = NDArray[np.float64]


def _growing_spacings(length: float, h_start: float, growth: float, h_max: float) -> FloatArray:
    """Spacings starting at ``h_start`` that grow by ``growth`` up to ``h_max`` and fill ``length``.

    The last spacings are rescaled so that their sum is exactly ``length``.
    """
    if length <= 0.0:
        return np.zeros(0)
    spacings: list[float] = []
    total = 0.0
    h = min(h_start, h_max)
    while total + h < length * (1.0 - 1e-12):
        spacings.append(h)
        total += h
        h = min(h * growth, h_max)
    remainder = length - total
    if spacings and remainder < 0.5 * spacings[-1]:
        spacings[-1] += remainder
    else:
        spacings.append(remainder)
    result = np.asarray(spacings, dtype=float)
    return result * (length / result.sum())


def graded_axis(
    lower: float,
    upper: float,
    fine_lower: float,
    fine_upper: float,
    fine_size: float,
    *,
    growth: float = 1.25,
    max_size: float | None = None,
) -> FloatArray:
    """Nodes on ``[lower, upper]``, uniform of size ``fine_size`` on the fine interval.

    Outside ``[fine_lower, fine_upper]`` the spacing grows geometrically by ``growth``
    per element up to ``max_size``.

    Parameters
    ----------
    lower, upper
        Ends of the axis [m].
    fine_lower, fine_upper
        The interval meshed at ``fine_size`` [m] (clipped to the axis).
    fine_size
        Element size inside the fine interval [m].
    growth
        Ratio between neighbouring element sizes outside the fine interval (≥ 1).
    max_size
        Largest element size [m]; defaults to 8 × ``fine_size``.

    Returns
    -------
    numpy.ndarray
        Strictly increasing node coordinates [m], first ``lower``, last ``upper``.
    """
    if not upper > lower:
        raise ValueError("upper must exceed lower")
    if fine_size <= 0.0:
        raise ValueError("fine_size must be positive")
    max_size = 8.0 * fine_size if max_size is None else max(max_size, fine_size)
    fine_lower = min(max(fine_lower, lower), upper)
    fine_upper = min(max(fine_upper, fine_lower), upper)
    n_fine = max(1, math.ceil((fine_upper - fine_lower) / fine_size - 1e-9))
    if fine_upper - fine_lower <= 0.0:
        fine_nodes = np.array([fine_lower])
        h_edge = fine_size
    else:
        fine_nodes = np.linspace(fine_lower, fine_upper, n_fine + 1)
        h_edge = (fine_upper - fine_lower) / n_fine
    left = _growing_spacings(fine_lower - lower, h_edge * growth, growth, max_size)
    right = _growing_spacings(upper - fine_upper, h_edge * growth, growth, max_size)
    left_nodes = fine_lower - np.cumsum(left)[::-1]
    right_nodes = fine_upper + np.cumsum(right)
    nodes = np.concatenate([left_nodes, fine_nodes, right_nodes])
    nodes[0], nodes[-1] = lower, upper
    return nodes


def graded_layers(
    thicknesses_top_down: list[float],
    top_size: float,
    *,
    growth: float = 1.25,
    max_size: float | None = None,
    min_elements_per_layer: int = 2,
) -> tuple[FloatArray, list[int]]:
    """Vertical nodes through a layer stack, finest at the top (the loaded skin).

    Parameters
    ----------
    thicknesses_top_down
        Layer thicknesses from the skin downwards [m].
    top_size
        Element height at the skin surface [m].
    growth
        Height ratio between an element and the one above it (≥ 1).
    max_size
        Largest element height [m]; defaults to 8 × ``top_size``.
    min_elements_per_layer
        Every layer, however thin, gets at least this many elements through it.

    Returns
    -------
    nodes : numpy.ndarray
        Increasing z coordinates from 0 (bone) to the skin surface [m]; every layer
        interface is a node.
    elements_per_layer : list of int
        Number of elements through each layer, top-down order.
    """
    max_size = 8.0 * top_size if max_size is None else max(max_size, top_size)
    depth_nodes = [0.0]
    counts: list[int] = []
    h = top_size
    for thickness in thicknesses_top_down:
        spacings = _growing_spacings(thickness, h, growth, max_size)
        if len(spacings) < min_elements_per_layer:
            spacings = np.full(min_elements_per_layer, thickness / min_elements_per_layer)
        counts.append(len(spacings))
        start = depth_nodes[-1]
        depth_nodes.extend((start + np.cumsum(spacings)).tolist())
        h = min(max(float(spacings[-1]) * growth, h), max_size)
    depth = np.asarray(depth_nodes)
    total = float(sum(thicknesses_top_down))
    depth[-1] = total
    z = total - depth[::-1]
    z[0] = 0.0
    return z, counts
