"""Quantities with units: parse ``"2 mm"``, ``"15 kPa"``, ``"10 min"`` into SI floats.

All quantities inside tissue_sim are SI (m, Pa, s, Hz, N, m/s, rad). Parsing uses
`pint <https://pint.readthedocs.io>`_; expressions are parsed by pint's own
tokenizer, never by ``eval``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Final

import pint

from tissue_sim.errors import InputError

__all__ = ["DIMENSIONS", "SI_UNITS", "format_quantity", "parse_quantity", "unit_registry"]

#: Physical dimension name → pint dimensionality string.
DIMENSIONS: Final[dict[str, str]] = {
    "length": "[length]",
    "pressure": "[mass] / [length] / [time] ** 2",
    "time": "[time]",
    "frequency": "1 / [time]",
    "velocity": "[length] / [time]",
    "force": "[mass] * [length] / [time] ** 2",
    "angle": "",
    "dimensionless": "",
    "strain_rate": "1 / [time]",
    "area": "[length] ** 2",
}

#: Physical dimension name → the SI unit values are converted to.
SI_UNITS: Final[dict[str, str]] = {
    "length": "m",
    "pressure": "Pa",
    "time": "s",
    "frequency": "Hz",
    "velocity": "m/s",
    "force": "N",
    "angle": "rad",
    "dimensionless": "1",
    "strain_rate": "1/s",
    "area": "m**2",
}


@lru_cache(maxsize=1)
def unit_registry() -> pint.UnitRegistry:
    """Return the shared pint registry (created once per process)."""
    registry: pint.UnitRegistry = pint.UnitRegistry()
    registry.define("strokes_per_minute = 1 / minute = spm")
    return registry


def parse_quantity(
    value: Any,
    dimension: str,
    *,
    file: str | None = None,
    key: str | None = None,
    allow_bare: bool | None = None,
) -> float:
    """Parse a quantity and return its magnitude in SI units.

    Parameters
    ----------
    value
        A string with a unit (``"2 mm"``, ``"15 kPa"``, ``"0.5 Hz"``, ``"30 deg"``) or a
        bare number. A bare number is taken as SI and accepted only where that is
        unambiguous: dimensionless quantities, or when ``allow_bare`` is true.
    dimension
        One of :data:`DIMENSIONS` (``"length"``, ``"pressure"``, ...).
    file, key
        Where the value came from, for the error message.
    allow_bare
        Accept a bare number as SI. Defaults to true only for ``dimensionless``.

    Returns
    -------
    float
        The magnitude in the SI unit of :data:`SI_UNITS` ``[dimension]``.

    Raises
    ------
    InputError
        If the value is not a finite quantity of the requested dimension.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    expected = f"a {dimension.replace('_', ' ')} such as '{_example(dimension)}'"
    if allow_bare is None:
        allow_bare = dimension == "dimensionless"
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected {expected}, got {value!r}", file=file, key=key)
    if isinstance(value, int | float):
        magnitude = float(value)
        if not allow_bare and magnitude != 0.0:
            raise InputError(
                f"expected {expected}; a bare number is ambiguous here, add a unit",
                file=file,
                key=key,
            )
        if not math.isfinite(magnitude):
            raise InputError(f"expected a finite {dimension}, got {value!r}", file=file, key=key)
        return magnitude
    if not isinstance(value, str):
        raise InputError(f"expected {expected}, got {value!r}", file=file, key=key)
    registry: pint.UnitRegistry = unit_registry()
    text = value.strip().replace("%", " percent")
    try:
        quantity: Any = registry.Quantity(text)
    except Exception as exc:  # pint raises several unrelated types on bad text
        raise InputError(
            f"expected {expected}, could not read {value!r} ({type(exc).__name__})",
            file=file,
            key=key,
        ) from None
    if not isinstance(quantity, registry.Quantity):
        quantity = registry.Quantity(float(quantity), "")
    if quantity.dimensionless and dimension not in ("dimensionless", "angle") and not allow_bare:
        raise InputError(f"expected {expected}; {value!r} has no unit", file=file, key=key)
    target = registry.Quantity(1.0, SI_UNITS[dimension])
    if quantity.dimensionality != target.dimensionality:
        raise InputError(
            f"expected {expected}, got {value!r} which is a {_describe(quantity)}",
            file=file,
            key=key,
        )
    magnitude = float(quantity.to(SI_UNITS[dimension]).magnitude)
    if not math.isfinite(magnitude):
        raise InputError(f"expected a finite {dimension}, got {value!r}", file=file, key=key)
    return magnitude


def format_quantity(value: float, unit: str, *, precision: int = 4) -> str:
    """Format an SI magnitude in a chosen display unit, e.g. ``(0.002, "mm") -> "2 mm"``.

    Parameters
    ----------
    value
        Magnitude in SI units.
    unit
        The unit to display, e.g. ``"mm"`` or ``"kPa"``.
    precision
        Significant digits.
    """
    registry = unit_registry()
    base = registry.Quantity(1.0, unit).to_base_units()
    converted = value / float(base.magnitude)
    return f"{converted:.{precision}g} {unit}"


def _describe(quantity: pint.Quantity) -> str:
    dims = quantity.dimensionality
    for name, si in SI_UNITS.items():
        if name in ("angle", "strain_rate", "frequency"):
            continue
        if unit_registry().Quantity(1.0, si).dimensionality == dims:
            return name
    if unit_registry().Quantity(1.0, "Hz").dimensionality == dims:
        return "frequency"
    return f"quantity of dimension {dims}"


def _example(dimension: str) -> str:
    return {
        "length": "2 mm",
        "pressure": "15 kPa",
        "time": "10 min",
        "frequency": "0.5 Hz",
        "velocity": "2 cm/s",
        "force": "10 N",
        "angle": "30 deg",
        "dimensionless": "0.45",
        "strain_rate": "0.1 1/s",
        "area": "1 cm**2",
    }[dimension]
