"""Polyline stroke paths on the skin plane: length, positions and directions by arclength."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import LoadingParameterError

__all__ = ["path_lengths", "path_vertices", "positions_along_path", "segment_angles"]

FloatArray = NDArray[np.float64]


def path_vertices(path: Sequence[Sequence[float]]) -> FloatArray:
    """Vertices of a path as an ``(m, 2)`` array [m], validated.

    Raises
    ------
    LoadingParameterError
        If there are fewer than two points, a point is not (x, y), a coordinate is not
        finite, or two consecutive points coincide.
    """
    try:
        vertices = np.asarray(path, dtype=float)
    except (TypeError, ValueError):
        raise LoadingParameterError("path", "expected a list of (x, y) points") from None
    if vertices.ndim != 2 or vertices.shape[1] != 2:
        raise LoadingParameterError("path", "expected a list of (x, y) points")
    if vertices.shape[0] < 2:
        raise LoadingParameterError("path", "a stroke path needs at least two points")
    if not np.all(np.isfinite(vertices)):
        raise LoadingParameterError("path", "path coordinates must be finite")
    lengths = np.hypot(*np.diff(vertices, axis=0).T)
    if np.any(lengths <= 0.0):
        index = int(np.argmin(lengths))
        raise LoadingParameterError(
            "path", f"points {index} and {index + 1} coincide (zero-length segment)"
        )
    return vertices


def path_lengths(vertices: FloatArray) -> FloatArray:
    """Cumulative arclength at each vertex, shape ``(m,)`` [m] (starts at 0)."""
    return np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(vertices, axis=0).T))))


def segment_angles(vertices: FloatArray) -> FloatArray:
    """Direction of each segment from the global x axis, shape ``(m - 1,)`` [rad]."""
    steps = np.diff(vertices, axis=0)
    return np.arctan2(steps[:, 1], steps[:, 0])


def positions_along_path(
    vertices: FloatArray, arclength: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points and directions of motion at given arclengths along a polyline.

    Parameters
    ----------
    vertices
        Path vertices, shape ``(m, 2)`` [m].
    arclength
        Arclengths from the start, shape ``(k,)`` [m], within ``[0, total length]``.

    Returns
    -------
    points : ndarray
        Positions, shape ``(k, 2)`` [m].
    angles : ndarray
        Direction of motion, shape ``(k,)`` [rad]; at an interior vertex the direction of
        the segment that starts there, at the end the direction of the last segment.
    """
    cumulative = path_lengths(vertices)
    s = np.asarray(arclength, dtype=float)
    segment = np.clip(np.searchsorted(cumulative, s, side="right") - 1, 0, len(vertices) - 2)
    angles = segment_angles(vertices)[segment]
    points = np.column_stack(
        (np.interp(s, cumulative, vertices[:, 0]), np.interp(s, cumulative, vertices[:, 1]))
    )
    return points, angles
