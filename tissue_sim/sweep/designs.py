"""Design points of a sweep: grid, zip, Latin hypercube and Sobol (Saltelli) designs.

Sampled designs use :mod:`scipy.stats.qmc` with the sweep's seed, so a design is the same
on every machine. A Sobol design follows Saltelli's scheme: a scrambled Sobol sequence of
dimension 2k gives two base matrices A and B (N rows each); for every base sample j the
design holds A_j, B_j and, for each parameter i, AB_j^(i) (A_j with its i-th coordinate
taken from B_j) — N·(k + 2) points, ordered by base sample so that an interrupted sweep
still has complete groups.
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import qmc

from tissue_sim.sweep.spec import Axis, SweepSpec

__all__ = ["BLOCKS", "Design", "DesignPoint", "axis_grid_values", "build_design", "unit_samples"]

FloatArray = NDArray[np.float64]

#: Role of a point: ``grid``/``zip``/``sample`` for plain designs; ``A``, ``B``, ``AB``
#: for the matrices of a Sobol design.
BLOCKS = ("grid", "zip", "sample", "A", "B", "AB")


@dataclass(frozen=True)
class DesignPoint:
    """One point of a design.

    Attributes
    ----------
    index
        Position in the design (the summary's row order).
    values
        Per axis, the YAML value that sets it (e.g. ``"12.5 kPa"``).
    display
        Per axis, the value in the axis unit (float) or a category's text.
    block
        One of :data:`BLOCKS`.
    sample
        Base-sample index of a sampled design (``-1`` for grid and zip).
    axis
        For ``AB`` points, the axis taken from B (``-1`` otherwise).
    """

    index: int
    values: tuple[Any, ...]
    display: tuple[float | str, ...]
    block: str
    sample: int = -1
    axis: int = -1


@dataclass(frozen=True)
class Design:
    """The points of a sweep's design.

    Attributes
    ----------
    kind
        ``grid``, ``zip``, ``latin_hypercube`` or ``sobol``.
    points
        The points in design order.
    base_samples
        N of a sampled design (``None`` for grid and zip).
    """

    kind: str
    points: tuple[DesignPoint, ...]
    base_samples: int | None = None


def axis_grid_values(axis: Axis) -> list[tuple[Any, float | str]]:
    """The (YAML value, display value) pairs of an axis in a grid or zip design."""
    if axis.values is not None:
        return [(value, axis.display_value(value)) for value in axis.values]
    assert axis.low is not None and axis.high is not None and axis.steps is not None
    if axis.scale == "log":
        magnitudes = np.geomspace(axis.low, axis.high, axis.steps)
    else:
        magnitudes = np.linspace(axis.low, axis.high, axis.steps)
    pairs: list[tuple[Any, float | str]] = []
    for magnitude in magnitudes:
        value = axis.override_value(float(magnitude))
        shown = float(round(magnitude)) if axis.integer else float(magnitude)
        pairs.append((value, shown))
    return pairs


def _scale(axis: Axis, unit: FloatArray) -> FloatArray:
    """Map unit-interval samples onto the axis range (linear, log, or whole numbers)."""
    assert axis.low is not None and axis.high is not None
    if axis.integer:
        low, high = np.ceil(axis.low), np.floor(axis.high)
        return np.minimum(low + np.floor(unit * (high - low + 1.0)), high)
    if axis.scale == "log":
        log_low, log_high = np.log(axis.low), np.log(axis.high)
        return np.asarray(np.exp(log_low + unit * (log_high - log_low)))
    return axis.low + unit * (axis.high - axis.low)


def _rng_keyword(sampler: type) -> str:
    """scipy ≥ 1.15 takes ``rng=``; older versions ``seed=``."""
    return "rng" if "rng" in inspect.signature(sampler).parameters else "seed"


def unit_samples(kind: str, dimension: int, samples: int, seed: int) -> FloatArray:
    """Points in the unit hypercube: ``(samples, dimension)``.

    Parameters
    ----------
    kind
        ``latin_hypercube`` or ``sobol`` (scrambled Sobol sequence; ``samples`` must be a
        power of two).
    dimension
        Number of coordinates.
    samples
        Number of points.
    seed
        Seed of the scrambling / permutation.
    """
    if kind == "latin_hypercube":
        lhs = qmc.LatinHypercube(dimension, **{_rng_keyword(qmc.LatinHypercube): seed})
        return np.asarray(lhs.random(samples))
    if kind == "sobol":
        sobol = qmc.Sobol(dimension, scramble=True, **{_rng_keyword(qmc.Sobol): seed})
        return np.asarray(sobol.random_base2(int(np.log2(samples))))
    raise ValueError(f"not a sampled design: {kind!r}")


def _sampled_point(
    axes: tuple[Axis, ...], row: FloatArray, index: int, block: str, sample: int, axis: int = -1
) -> DesignPoint:
    values = []
    display: list[float | str] = []
    for position, item in enumerate(axes):
        magnitude = float(row[position])
        values.append(item.override_value(magnitude))
        display.append(float(round(magnitude)) if item.integer else magnitude)
    return DesignPoint(index, tuple(values), tuple(display), block, sample, axis)


def build_design(spec: SweepSpec) -> Design:
    """The design points of a sweep, in design order.

    Grid: every combination, the first axis varying slowest. Zip: the i-th value of every
    axis together. Latin hypercube: ``samples`` points. Sobol: ``samples``·(k + 2) points
    (see the module docstring).
    """
    axes = spec.axes
    kind = spec.design.kind
    if kind in ("grid", "zip"):
        per_axis = [axis_grid_values(axis) for axis in axes]
        combos = itertools.product(*per_axis) if kind == "grid" else zip(*per_axis, strict=True)
        points = tuple(
            DesignPoint(
                index,
                tuple(value for value, _ in combo),
                tuple(shown for _, shown in combo),
                kind,
            )
            for index, combo in enumerate(combos)
        )
        return Design(kind, points)
    samples = spec.design.samples
    assert samples is not None
    k = len(axes)
    if kind == "latin_hypercube":
        unit = unit_samples(kind, k, samples, spec.design.seed)
        scaled = np.column_stack([_scale(axis, unit[:, i]) for i, axis in enumerate(axes)])
        points = tuple(_sampled_point(axes, scaled[j], j, "sample", j) for j in range(samples))
        return Design(kind, points, samples)
    unit = unit_samples("sobol", 2 * k, samples, spec.design.seed)
    a_matrix = np.column_stack([_scale(axis, unit[:, i]) for i, axis in enumerate(axes)])
    b_matrix = np.column_stack([_scale(axis, unit[:, k + i]) for i, axis in enumerate(axes)])
    sobol_points: list[DesignPoint] = []
    for j in range(samples):
        sobol_points.append(_sampled_point(axes, a_matrix[j], len(sobol_points), "A", j))
        sobol_points.append(_sampled_point(axes, b_matrix[j], len(sobol_points), "B", j))
        for i in range(k):
            row = a_matrix[j].copy()
            row[i] = b_matrix[j, i]
            sobol_points.append(_sampled_point(axes, row, len(sobol_points), "AB", j, i))
    return Design(kind, tuple(sobol_points), samples)
