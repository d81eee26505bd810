"""What the cell models give for each calibration target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import BiologyResult, CellModel
from tissue_sim.calibration.protocol import run_protocol
from tissue_sim.calibration.targets import Measure, Quantity, Target, TargetSet, check_names

__all__ = ["TargetValue", "evaluate_targets", "within_factor"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class TargetValue:
    """The model's value for one target.

    Attributes
    ----------
    target
        The target.
    model
        What the model gives (SI; times in seconds).
    residual
        ``(model - target) / tolerance``.
    within_factor
        Whether the model lies within the target's factor (:func:`within_factor`).
    """

    target: Target
    model: float
    residual: float
    within_factor: bool


def within_factor(model: float, target: float, factor: float, *, kind: str) -> bool:
    """Whether ``model`` lies within ``factor`` of ``target``.

    For a ``change`` (a fraction such as −0.46) the magnitudes are compared and the signs
    must agree; otherwise ``target / factor <= model <= target * factor`` (``target > 0``).
    """
    if kind == "change":
        if model == 0.0 or np.sign(model) != np.sign(target):
            return False
        model, target = abs(model), abs(target)
    if target <= 0.0 or model <= 0.0:
        return False
    return target / factor <= model <= target * factor


def evaluate_targets(
    model: CellModel,
    targets: TargetSet,
    names: Sequence[str] | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-10,
) -> dict[str, TargetValue]:
    """Run every protocol the targets need (once each) and compute their measures.

    Parameters
    ----------
    model
        The composed cell model (parameters as they are to be judged).
    targets
        The targets file's contents.
    names
        Targets to evaluate (default: all).
    rtol, atol
        Integrator tolerances.

    Returns
    -------
    dict
        Target name → :class:`TargetValue`, in file order.
    """
    rates = {key: info.value for key, info in model.parameters.items()}
    check_names(targets, set(model.species_names), rates)
    chosen = [targets.targets[name] for name in (names or list(targets.targets))]
    needed: dict[str, set[float]] = {}
    for target in chosen:
        if target.measure.parameter is not None:
            continue
        for protocol, times in _sample_times(target.measure).items():
            needed.setdefault(protocol, set()).update(times)
    results: dict[str, tuple[FloatArray, BiologyResult]] = {}
    for protocol, sampled in needed.items():
        grid = np.array(sorted(sampled))
        results[protocol] = (
            grid,
            run_protocol(
                model, targets.protocols[protocol], targets.waveforms, grid, rtol=rtol, atol=atol
            ),
        )
    healthy = dict(zip(model.species_names, model.initial_state(), strict=True))
    values = {}
    for target in chosen:
        parameter = target.measure.parameter
        if parameter is not None:
            value = float(np.log(2.0) / rates[parameter])
        else:
            value = _measure(target.measure, results, healthy)
        values[target.name] = TargetValue(
            target,
            value,
            (value - target.target) / target.tolerance,
            within_factor(value, target.target, target.factor, kind=target.measure.kind),
        )
    return values


def _sample_times(measure: Measure) -> dict[str, list[float]]:
    if measure.time is not None:
        times = {measure.protocol: [measure.time]}
        if measure.reference is not None:
            times.setdefault(measure.reference, []).append(measure.time)
        return times
    assert measure.window is not None and measure.resolution is not None
    start, end = measure.window
    count = int(np.floor((end - start) / measure.resolution + 1e-9))
    grid = start + measure.resolution * np.arange(count + 1)
    return {measure.protocol: [*grid.tolist(), end]}


def _series(quantity: Quantity, result: BiologyResult, healthy: Mapping[str, float]) -> FloatArray:
    def total(names: tuple[str, ...]) -> FloatArray:
        return np.sum([result.summaries[name][:, 0, 0] for name in names], axis=0)

    values = total(quantity.numerator)
    if quantity.denominator:
        values = values / total(quantity.denominator)
    return np.asarray(values, dtype=float)


def _at(grid: FloatArray, series: FloatArray, time: float) -> float:
    index = int(np.flatnonzero(np.isclose(grid, time, rtol=0.0, atol=1e-9))[0])
    return float(series[index])


def _measure(
    measure: Measure,
    results: Mapping[str, tuple[FloatArray, BiologyResult]],
    healthy: Mapping[str, float],
) -> float:
    grid, result = results[measure.protocol]
    series = _series(measure.quantity, result, healthy)
    if measure.kind == "value":
        assert measure.time is not None
        return _at(grid, series, measure.time)
    if measure.kind in ("ratio", "change"):
        assert measure.time is not None and measure.reference is not None
        reference_grid, reference = results[measure.reference]
        ratio = _at(grid, series, measure.time) / _at(
            reference_grid, _series(measure.quantity, reference, healthy), measure.time
        )
        return ratio - 1.0 if measure.kind == "change" else ratio
    assert measure.window is not None
    inside = (grid >= measure.window[0] - 1e-9) & (grid <= measure.window[1] + 1e-9)
    times, values = grid[inside], series[inside]
    if measure.kind == "peak_time":
        return float(times[int(np.argmax(values))] - measure.window[0])
    excess = values - values[-1]
    half = 0.5 * excess[0]
    below = np.flatnonzero(excess <= half)
    if excess[0] <= 0.0 or below.size == 0:
        return float("inf")
    k = int(below[0])
    if k == 0:
        return 0.0
    fraction = (excess[k - 1] - half) / (excess[k - 1] - excess[k])
    return float(times[k - 1] + fraction * (times[k] - times[k - 1]) - measure.window[0])
