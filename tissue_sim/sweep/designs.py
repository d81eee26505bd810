"""Design points of a sweep: grid, zip, Latin hypercube, Sobol (Saltelli) and Morris designs.

Sampled designs use :mod:`scipy.stats.qmc` with the sweep's seed, so a design is the same
on every machine. A Sobol design follows Saltelli's scheme: a scrambled Sobol sequence of
dimension 2k gives two base matrices A and B (N rows each); for every base sample j the
design holds A_j, B_j and, for each parameter i, AB_j^(i) (A_j with its i-th coordinate
taken from B_j) — N·(k + 2) points, ordered by base sample so that an interrupted sweep
still has complete groups. A Morris design (SALib's sampler, seeded) is r trajectories of
k + 1 points on a p-level grid of the unit hypercube, each point changing one coordinate
of the previous one by Δ = p / (2 (p − 1)); the unit coordinates are kept with every point
for the screening analysis (:mod:`tissue_sim.sweep.sensitivity`).
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import qmc

from tissue_sim.sweep.spec import MORRIS_LEVELS, Axis, SweepSpec

__all__ = [
    "BLOCKS",
    "Design",
    "DesignPoint",
    "axis_grid_values",
    "build_design",
    "morris_unit_samples",
    "unit_samples",
]

FloatArray = NDArray[np.float64]

#: Role of a point: ``grid``/``zip``/``sample`` for plain designs; ``A``, ``B``, ``AB``
#: for the matrices of a Sobol design; ``trajectory`` for the points of a Morris design.
BLOCKS = ("grid", "zip", "sample", "A", "B", "AB", "trajectory")


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
        Base-sample index of a sampled design, the trajectory of a Morris point (``-1``
        for grid and zip).
    axis
        For ``AB`` points, the axis taken from B; for Morris points, the axis changed from
        the previous point of the trajectory (``-1`` otherwise, and for a trajectory's
        first point).
    unit
        Morris points: the coordinates in the unit hypercube (``()`` otherwise).
    """

    index: int
    values: tuple[Any, ...]
    display: tuple[float | str, ...]
    block: str
    sample: int = -1
    axis: int = -1
    unit: tuple[float, ...] = ()


@dataclass(frozen=True)
class Design:
    """The points of a sweep's design.

    Attributes
    ----------
    kind
        ``grid``, ``zip``, ``latin_hypercube``, ``sobol`` or ``morris``.
    points
        The points in design order.
    base_samples
        N of a sampled design, r (trajectories) of a Morris design (``None`` for grid and
        zip).
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


def morris_unit_samples(
    axes: int, trajectories: int, levels: int = MORRIS_LEVELS, seed: int = 0
) -> FloatArray:
    """Points of a Morris design in the unit hypercube, trajectory after trajectory.

    Parameters
    ----------
    axes
        Number of parameters k (>= 1).
    trajectories
        Number of trajectories r (>= 2).
    levels
        Grid levels p per parameter (even, >= 2).
    seed
        Seed of the sampler (the design is reproducible).

    Returns
    -------
    ndarray
        ``(r (k + 1), k)`` in [0, 1]; rows ``t (k + 1) … t (k + 1) + k`` are trajectory t,
        each row changing one coordinate of the previous one by ±Δ, Δ = p / (2 (p − 1)).
    """
    from SALib.sample import morris as morris_sampling

    if axes < 1 or trajectories < 2:
        raise ValueError(
            f"a Morris design needs >= 1 axis and >= 2 trajectories, got {axes}, {trajectories}"
        )
    if levels < 2 or levels % 2:
        raise ValueError(f"a Morris design needs an even number of levels >= 2, got {levels}")
    problem = {"num_vars": axes, "names": [f"x{i}" for i in range(axes)], "bounds": [[0, 1]] * axes}
    return np.asarray(
        morris_sampling.sample(problem, trajectories, num_levels=levels, seed=seed), dtype=float
    )


def _sampled_point(
    axes: tuple[Axis, ...],
    row: FloatArray,
    index: int,
    block: str,
    sample: int,
    axis: int = -1,
    unit: tuple[float, ...] = (),
) -> DesignPoint:
    values = []
    display: list[float | str] = []
    for position, item in enumerate(axes):
        magnitude = float(row[position])
        values.append(item.override_value(magnitude))
        display.append(float(round(magnitude)) if item.integer else magnitude)
    return DesignPoint(index, tuple(values), tuple(display), block, sample, axis, unit)


def build_design(spec: SweepSpec) -> Design:
    """The design points of a sweep, in design order.

    Grid: every combination, the first axis varying slowest. Zip: the i-th value of every
    axis together. Latin hypercube: ``samples`` points. Sobol: ``samples``·(k + 2) points.
    Morris: ``trajectories``·(k + 1) points (see the module docstring).
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
    if kind == "morris":
        return _morris_design(spec)
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


def _morris_design(spec: SweepSpec) -> Design:
    axes = spec.axes
    k = len(axes)
    trajectories = spec.design.trajectories
    assert trajectories is not None
    unit = morris_unit_samples(k, trajectories, spec.design.levels, spec.design.seed)
    scaled = np.column_stack([_scale(axis, unit[:, i]) for i, axis in enumerate(axes)])
    steps = np.diff(unit.reshape(trajectories, k + 1, k), axis=1)  # one nonzero per step
    changed = np.argmax(np.abs(steps), axis=2)
    points = []
    for index in range(trajectories * (k + 1)):
        trajectory, position = divmod(index, k + 1)
        axis = int(changed[trajectory, position - 1]) if position else -1
        row = tuple(float(x) for x in unit[index])
        points.append(
            _sampled_point(axes, scaled[index], index, "trajectory", trajectory, axis, row)
        )
    return Design("morris", tuple(points), trajectories)
