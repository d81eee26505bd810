r"""Fit cell-model parameters to calibration targets by least squares.

The residual of target :math:`i` is :math:`r_i = (y_i(\theta) - t_i)/\sigma_i` (model value,
target, tolerance). Positive parameters are fitted in :math:`\log\theta` within bounds
(default a factor 10 either side of the current value), with
:func:`scipy.optimize.least_squares` (trust-region reflective, finite-difference Jacobian).
At the optimum the Jacobian :math:`J = \partial r/\partial \log\theta` gives the
approximate covariance :math:`(J^T J)^{-1}` of the log-parameters and from it their
correlations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy.optimize import least_squares

from tissue_sim.biology import CellModel, load_model
from tissue_sim.calibration.evaluate import TargetValue, evaluate_targets
from tissue_sim.calibration.targets import TargetSet
from tissue_sim.config.units import unit_registry
from tissue_sim.errors import InputError, brief

__all__ = ["FitResult", "fit_parameters", "format_report", "resolve_parameters", "write_overrides"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FitResult:
    """Outcome of :func:`fit_parameters`.

    Attributes
    ----------
    parameters
        Fitted ``model.parameter`` names.
    units
        Their SI units.
    initial, values
        Values before and after the fit (SI).
    lower, upper
        Bounds (SI).
    correlation
        Correlation matrix of the log-parameters from the Jacobian at the optimum
        (NaN where the Jacobian is singular).
    before, after
        Target values before and after the fit.
    cost
        Half the sum of squared residuals after the fit.
    success, message, evaluations
        What :func:`scipy.optimize.least_squares` reports.
    """

    parameters: tuple[str, ...]
    units: tuple[str, ...]
    initial: FloatArray
    values: FloatArray
    lower: FloatArray
    upper: FloatArray
    correlation: FloatArray
    before: dict[str, TargetValue]
    after: dict[str, TargetValue]
    cost: float
    success: bool
    message: str
    evaluations: int


def resolve_parameters(
    model: CellModel, names: Sequence[str], *, file: str | None = None
) -> list[str]:
    """Full ``model.parameter`` keys of ``names`` (a bare name must be unique).

    Raises
    ------
    InputError
        For unknown or ambiguous names (key ``--params``).
    """
    keys = []
    for name in names:
        if name in model.parameters:
            keys.append(name)
            continue
        matches = [key for key in model.parameters if key.split(".", 1)[1] == name]
        if len(matches) != 1:
            what = "ambiguous" if matches else "unknown"
            hint = f": {', '.join(matches)}" if matches else "; write model.parameter"
            raise InputError(
                f"{what} cell-model parameter {brief(name)}{hint}", file=file, key="--params"
            )
        keys.append(matches[0])
    if len(set(keys)) != len(keys):
        raise InputError("a parameter is named twice", file=file, key="--params")
    return keys


def _bounds(
    model: CellModel, keys: Sequence[str], targets: TargetSet
) -> tuple[FloatArray, FloatArray]:
    registry = unit_registry()
    lower, upper = [], []
    for key in keys:
        info = model.parameters[key]
        if not (info.value > 0.0 and math.isfinite(info.value)):
            raise InputError(
                f"parameter {key} is {info.value:g}; only positive parameters are fitted "
                "(in log space)",
                key="--params",
            )
        pair = targets.bounds.get(key)
        if pair is None:
            lower.append(info.value / 10.0)
            upper.append(info.value * 10.0)
            continue
        values = []
        for index, item in enumerate(pair):
            where = f"bounds.{key}[{index}]"
            if isinstance(item, str):
                try:
                    quantity: Any = registry.Quantity(item).to_base_units()
                    unit = registry.Quantity(1.0, info.unit if info.unit != "1" else "")
                    if quantity.dimensionality != unit.to_base_units().dimensionality:
                        raise ValueError
                    values.append(float(quantity.magnitude))
                except Exception:
                    raise InputError(
                        f"expected a value in {info.unit}, got {brief(item)}",
                        file=targets.file,
                        key=where,
                    ) from None
            else:
                values.append(float(item))
        if not (0.0 < values[0] < values[1]) or not (values[0] <= info.value <= values[1]):
            raise InputError(
                f"expected 0 < low < high around the current value {info.value:g} {info.unit}",
                file=targets.file,
                key=f"bounds.{key}",
            )
        lower.append(values[0])
        upper.append(values[1])
    return np.array(lower), np.array(upper)


def fit_parameters(
    targets: TargetSet,
    parameters: Sequence[str],
    *,
    base_overrides: Mapping[str, Any] | None = None,
    names: Sequence[str] | None = None,
    max_evaluations: int = 60,
) -> FitResult:
    """Fit ``parameters`` to the targets marked ``fit`` (or to ``names``).

    Parameters
    ----------
    targets
        The targets file's contents.
    parameters
        ``model.parameter`` keys (or unique bare names) to fit.
    base_overrides
        Parameter overrides applied before fitting.
    names
        Targets to fit (default: those with ``fit: true``).
    max_evaluations
        Most residual evaluations (each runs the protocols once).

    Raises
    ------
    InputError
        On unknown parameters, bad bounds, or no targets to fit.
    """
    base = load_model(list(targets.models), dict(base_overrides or {}))
    keys = resolve_parameters(base, parameters, file=None)
    fitted = list(names) if names is not None else [n for n, t in targets.targets.items() if t.fit]
    if not fitted:
        raise InputError(
            "no targets to fit (mark some with fit: true)", file=targets.file, key="targets"
        )
    if len(fitted) < len(keys):
        raise InputError(
            f"{len(keys)} parameters but only {len(fitted)} targets to fit",
            file=targets.file,
            key="targets",
        )
    lower, upper = _bounds(base, keys, targets)
    initial = np.array([base.parameters[key].value for key in keys])

    def model_at(log_values: FloatArray) -> CellModel:
        values = np.clip(np.exp(log_values), lower, upper)
        return base.with_parameters({key: float(v) for key, v in zip(keys, values, strict=True)})

    def residuals(log_values: FloatArray) -> FloatArray:
        values = evaluate_targets(model_at(log_values), targets, fitted)
        return np.array([values[name].residual for name in fitted])

    before = evaluate_targets(base, targets)
    outcome = least_squares(
        residuals,
        np.log(initial),
        bounds=(np.log(lower), np.log(upper)),
        method="trf",
        x_scale=1.0,
        diff_step=1e-3,
        max_nfev=max_evaluations,
    )
    values = np.clip(np.exp(outcome.x), lower, upper)
    after = evaluate_targets(model_at(outcome.x), targets)
    return FitResult(
        parameters=tuple(keys),
        units=tuple(base.parameters[key].unit for key in keys),
        initial=initial,
        values=values,
        lower=lower,
        upper=upper,
        correlation=_correlation(np.asarray(outcome.jac, dtype=float)),
        before=before,
        after=after,
        cost=float(outcome.cost),
        success=bool(outcome.success),
        message=str(outcome.message),
        evaluations=int(outcome.nfev),
    )


def _correlation(jacobian: FloatArray) -> FloatArray:
    n = jacobian.shape[1]
    try:
        covariance = np.linalg.inv(jacobian.T @ jacobian)
    except np.linalg.LinAlgError:
        return np.full((n, n), np.nan)
    scale = np.sqrt(np.abs(np.diag(covariance)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return covariance / np.outer(scale, scale)


def write_overrides(result: FitResult, path: str | Path) -> Path:
    """Write the fitted values as a ``biology.parameters`` mapping (YAML).

    The file holds ``{model: {parameter: "value unit"}}``: paste it under
    ``biology.parameters`` of a scenario (or pass its entries with ``--set``).
    """
    nested: dict[str, dict[str, str | float]] = {}
    for key, value, unit in zip(result.parameters, result.values, result.units, strict=True):
        model, name = key.split(".", 1)
        nested.setdefault(model, {})[name] = (
            float(f"{value:.6g}") if unit == "1" else f"{value:.6g} {unit}"
        )
    target = Path(path)
    header = (
        "# Cell-model parameters fitted by `tissue-sim calibrate` (least squares).\n"
        "# Paste under `biology.parameters:` of a scenario.\n"
    )
    target.write_text(
        header + yaml.safe_dump(nested, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return target


def format_report(result: FitResult) -> str:
    """A short plain-text fit report: residuals per target, parameters, correlations."""
    lines = [
        f"least squares: {'converged' if result.success else 'stopped'} after "
        f"{result.evaluations} evaluations ({result.message}); cost {result.cost:.4g}",
        "",
        "targets (residual = (model - target) / tolerance; * = used in the fit):",
    ]
    for name, after in result.after.items():
        before = result.before[name]
        mark = "*" if after.target.fit else " "
        outside = "" if after.within_factor else f"  (outside factor {after.target.factor:g})"
        lines.append(
            f" {mark} {name}: target {after.target.target:.4g}, model {before.model:.4g} -> "
            f"{after.model:.4g}, residual {before.residual:+.3g} -> {after.residual:+.3g}{outside}"
        )
    lines += ["", "parameters (SI; bounds):"]
    for index, key in enumerate(result.parameters):
        lines.append(
            f"  {key} = {result.values[index]:.6g} {result.units[index]} (was "
            f"{result.initial[index]:.6g}; bounds {result.lower[index]:.3g} .. "
            f"{result.upper[index]:.3g})"
        )
    if len(result.parameters) > 1:
        lines += ["", "correlations of the log-parameters (from the Jacobian):"]
        width = max(len(key) for key in result.parameters)
        for index, key in enumerate(result.parameters):
            row = " ".join(f"{value:+.2f}" for value in result.correlation[index])
            lines.append(f"  {key:<{width}} {row}")
    return "\n".join(lines) + "\n"
