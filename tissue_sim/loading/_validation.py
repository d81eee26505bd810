"""Parameter errors of the loading package, tagged with the parameter they concern."""

from __future__ import annotations

import math

__all__ = ["LoadingParameterError", "require_finite", "require_non_negative", "require_positive"]


class LoadingParameterError(ValueError):
    """A loading parameter has an invalid value.

    The config layer turns it into an :class:`~tissue_sim.errors.InputError` naming the
    YAML key ``<section>.<parameter>``.

    Parameters
    ----------
    parameter
        Dotted name of the offending parameter relative to the technique, e.g.
        ``"frequency"``, ``"patch.semi_axes"`` or ``"path"``.
    message
        What is wrong and what was expected.
    """

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


def require_finite(parameter: str, value: float) -> None:
    """Raise :class:`LoadingParameterError` unless ``value`` is finite."""
    if not math.isfinite(value):
        raise LoadingParameterError(parameter, f"expected a finite value, got {value!r}")


def require_positive(parameter: str, value: float) -> None:
    """Raise :class:`LoadingParameterError` unless ``value`` is finite and > 0."""
    require_finite(parameter, value)
    if value <= 0.0:
        raise LoadingParameterError(parameter, f"expected a positive value, got {value:g}")


def require_non_negative(parameter: str, value: float) -> None:
    """Raise :class:`LoadingParameterError` unless ``value`` is finite and >= 0."""
    require_finite(parameter, value)
    if value < 0.0:
        raise LoadingParameterError(parameter, f"expected a non-negative value, got {value:g}")
