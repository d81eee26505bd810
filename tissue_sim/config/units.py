"""Quantities with units: parse ``"2 mm"``, ``"15 kPa"``, ``"10 min"`` into SI floats.

All quantities inside tissue_sim are SI (m, Pa, s, Hz, N, m/s, rad). Parsing uses
`pint <https://pint.readthedocs.io>`_; expressions are parsed by pint's own
tokenizer, never by ``eval``.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Final

import pint

from tissue_sim.errors import InputError, brief

__all__ = [
    "DIMENSIONS",
    "MAX_QUANTITY_LENGTH",
    "SI_UNITS",
    "check_unit_text",
    "parse_quantity",
    "unit_registry",
]

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


#: Longest quantity text parsed [characters] (``"15 kPa"`` needs 6).
MAX_QUANTITY_LENGTH: Final[int] = 100

#: A quantity starts with its number: ``"kPa"`` alone is not read as 1 kPa.
_LEADING_NUMBER = re.compile(r"^[-+]?(\d|\.\d)")
#: Characters a quantity may hold: digits, letters, units' symbols and operators.
_QUANTITY_TEXT = re.compile(r"^[\w.+\-*/^() µ°%Ω·]+$")
#: Powers: every ``**``/``^`` takes a literal exponent of at most two digits, unchained
#: (pint computes ``10**10**10`` as an exact integer, which never finishes).
_POWER = re.compile(r"\*\*|\^")
_SMALL_EXPONENT = re.compile(r"(?:\*\*|\^)\s*[-+]?\d{1,2}(?:\.\d*)?(?![\d.])\s*(?!\*\*|\^)")


@lru_cache(maxsize=1)
def unit_registry() -> pint.UnitRegistry:
    """Return the shared pint registry (created once per process)."""
    registry: pint.UnitRegistry = pint.UnitRegistry()
    registry.define("strokes_per_minute = 1 / minute = spm")
    return registry


@lru_cache(maxsize=8192)
def _parse_text(text: str) -> Any:
    """Pint's reading of a checked quantity text (cached: sweeps repeat the same texts)."""
    registry = unit_registry()
    quantity: Any = registry.Quantity(text)
    if not isinstance(quantity, registry.Quantity):
        quantity = registry.Quantity(float(quantity), "")
    float(quantity.magnitude)
    return quantity


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
        raise InputError(f"expected {expected}, got {brief(value)}", file=file, key=key)
    if isinstance(value, int | float):
        magnitude = float(value)
        if not allow_bare and magnitude != 0.0:
            raise InputError(
                f"expected {expected}; a bare number is ambiguous here, add a unit",
                file=file,
                key=key,
            )
        if not math.isfinite(magnitude):
            raise InputError(
                f"expected a finite {dimension}, got {brief(value)}", file=file, key=key
            )
        return magnitude
    if not isinstance(value, str):
        raise InputError(f"expected {expected}, got {brief(value)}", file=file, key=key)
    registry: pint.UnitRegistry = unit_registry()
    text = value.strip()
    if len(text) > MAX_QUANTITY_LENGTH:
        raise InputError(
            f"expected {expected}, got {len(text)} characters of text", file=file, key=key
        )
    if len(_POWER.findall(text)) != len(_SMALL_EXPONENT.findall(text)):
        raise InputError(
            f"expected {expected}; powers in a quantity take a small number as exponent "
            f"(such as 'cm**2'), got {brief(value)}",
            file=file,
            key=key,
        )
    if not _LEADING_NUMBER.match(text) or not _QUANTITY_TEXT.match(text):
        what = "a unit without its number" if text and text[0].isalpha() else brief(value)
        raise InputError(
            f"expected {expected} (a number, then its unit), got {what}"
            + (f" {brief(value)}" if what != brief(value) else ""),
            file=file,
            key=key,
        )
    text = text.replace("%", " percent")
    try:
        quantity: Any = _parse_text(text)
    except Exception as exc:  # pint raises several unrelated types on bad text
        raise InputError(
            f"expected {expected}, could not read {brief(value)} ({type(exc).__name__})",
            file=file,
            key=key,
        ) from None
    if quantity.dimensionless and dimension not in ("dimensionless", "angle") and not allow_bare:
        raise InputError(f"expected {expected}; {brief(value)} has no unit", file=file, key=key)
    target = registry.Quantity(1.0, SI_UNITS[dimension])
    if quantity.dimensionality != target.dimensionality:
        raise InputError(
            f"expected {expected}, got {brief(value)} which is a {_describe(quantity)}",
            file=file,
            key=key,
        )
    try:
        magnitude = float(quantity.to(SI_UNITS[dimension]).magnitude)
    except (OverflowError, ArithmeticError, pint.PintError):
        magnitude = math.inf
    if not math.isfinite(magnitude):
        raise InputError(f"expected a finite {dimension}, got {brief(value)}", file=file, key=key)
    return magnitude


def check_unit_text(text: str, *, leading_number: bool = False) -> str | None:
    """What is wrong with a quantity or unit text before pint may parse it (``None``: fine).

    Pint evaluates the arithmetic in a unit text exactly (``10**10**10`` never finishes),
    so every text given to pint is first checked here: at most
    :data:`MAX_QUANTITY_LENGTH` characters of numbers, unit names and ``* / ** ( )``, and
    powers with small literal exponents only.

    Parameters
    ----------
    text
        The text, e.g. ``"1/h"`` or (with ``leading_number``) ``"2.5 min"``.
    leading_number
        Require the text to start with its number (a quantity, not a unit).
    """
    if len(text) > MAX_QUANTITY_LENGTH:
        return f"{len(text)} characters of text (at most {MAX_QUANTITY_LENGTH})"
    if not _QUANTITY_TEXT.match(text):
        return f"{brief(text)} holds characters that are not part of a unit"
    if len(_POWER.findall(text)) != len(_SMALL_EXPONENT.findall(text)):
        return f"powers take a small number as exponent (such as 'cm**2'), got {brief(text)}"
    if leading_number and not _LEADING_NUMBER.match(text):
        return f"a number, then its unit, got {brief(text)}"
    return None


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
