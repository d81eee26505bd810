"""Units: the SI unit text of a model file ↔ SBML unit definitions.

Export: a model file's values are in SI base units (the reader converts them), so each
unit is a product of SI base units with factor 1: ``1/s`` → a unit definition
``per_second`` of one ``second`` with exponent −1; ``"1"`` → ``dimensionless``. A unit
with a base unit SBML has no kind for is left unset (the parameter keeps its value and its
annotation names the unit).

Import: an SBML unit (a base kind or a unit definition with multipliers, scales and
exponents) is converted with pint to SI. A unit whose SI factor is 1 (``per_second``,
``mole / metre³`` = ``mmol/L``) is written to the model file; any other one (``per_hour``,
``µM``) is not, because the model-file reader would convert the value while SBML
simulators use it as written: the value is kept as in the SBML file and the unit is
named in the parameter's note instead (see ``docs/sbml.md``, *Units and time*).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from tissue_sim.config.units import check_unit_text, unit_registry

__all__ = ["SBMLUnit", "divide_units", "read_unit", "write_unit"]

#: pint base unit → SBML unit kind.
_SBML_KIND: Final[dict[str, str]] = {
    "meter": "metre",
    "second": "second",
    "kilogram": "kilogram",
    "mole": "mole",
    "kelvin": "kelvin",
    "ampere": "ampere",
    "candela": "candela",
    "radian": "radian",
    "count": "item",
}
#: The amounts a species' substanceUnits may name (SBML L3V2 section 4.6.4).
_SUBSTANCES: Final = (("mole", 1.0), ("item", 1.0), ("kilogram", 1.0))
#: SBML unit kind → pint unit name (``None``: dimensionless).
_PINT_NAME: Final[dict[str, str | None]] = {
    "dimensionless": None,
    "item": None,
    "metre": "meter",
    "meter": "meter",
    "litre": "liter",
    "liter": "liter",
    **{
        kind: kind
        for kind in (
            *("ampere", "becquerel", "candela", "coulomb", "farad", "gram", "gray", "henry"),
            *("hertz", "joule", "katal", "kelvin", "kilogram", "lumen", "lux", "mole"),
            *("newton", "ohm", "pascal", "radian", "second", "siemens", "sievert"),
            *("steradian", "tesla", "volt", "watt", "weber"),
        )
    },
}


@dataclass(frozen=True)
class SBMLUnit:
    """An SBML unit read for the model file.

    Attributes
    ----------
    factor
        SI value of one SBML unit (``per_hour`` → 1/3600).
    si_text
        The SI unit text as the model-file reader writes it (``"1"`` when dimensionless).
    label
        How the SBML file names the unit (for notes).
    """

    factor: float
    si_text: str
    label: str

    @property
    def is_si(self) -> bool:
        """Whether the unit is its SI base form (factor 1 to 1e-12)."""
        return math.isclose(self.factor, 1.0, rel_tol=1e-12, abs_tol=0.0)


def _si_text(quantity: Any) -> str:
    if quantity.dimensionless:
        return "1"
    return f"{quantity.units:~}".replace(" ", "") or "1"


def write_unit(model: Any, unit_text: str, *, substance: bool = False) -> str | None:
    """The SBML ``units`` attribute for a model-file SI unit text (``None``: not expressible).

    Creates the unit definition in ``model`` when it is not there yet.

    Parameters
    ----------
    model
        The libsbml ``Model``.
    unit_text
        SI unit text, e.g. ``"1/s"`` or ``"1"``.
    substance
        For a species' ``substanceUnits``: SBML allows only amounts there (mole, item,
        kilogram, dimensionless), so any other unit gives ``None``.
    """
    if check_unit_text(unit_text or "1") is not None:
        return None
    quantity: Any = unit_registry().Quantity(1.0, unit_text if unit_text != "1" else "")
    quantity = quantity.to_base_units()
    if not math.isclose(float(quantity.magnitude), 1.0, rel_tol=1e-12):
        return None
    items = [(name, float(exponent)) for name, exponent in quantity.unit_items()]
    if not items:
        return "dimensionless"
    if any(name not in _SBML_KIND for name, _ in items):
        return None
    kinds = [(_SBML_KIND[name], exponent) for name, exponent in items]
    if substance and (len(kinds) > 1 or kinds[0] not in _SUBSTANCES):
        return None
    if len(kinds) == 1 and kinds[0][1] == 1.0:
        return kinds[0][0]
    identifier = "_".join(
        (kind if exponent > 0 else f"per_{kind}")
        + ("" if abs(exponent) == 1.0 else _exponent_text(abs(exponent)))
        for kind, exponent in sorted(kinds, key=lambda item: item[1] < 0)
    )
    identifier = f"u_{identifier}"
    if model.getUnitDefinition(identifier) is None:
        libsbml = _libsbml()
        definition = model.createUnitDefinition()
        definition.setId(identifier)
        for kind, exponent in kinds:
            unit = definition.createUnit()
            unit.setKind(libsbml.UnitKind_forName(kind))
            unit.setExponent(exponent)
            unit.setScale(0)
            unit.setMultiplier(1.0)
    return identifier


def _exponent_text(exponent: float) -> str:
    return str(int(exponent)) if exponent.is_integer() else str(exponent).replace(".", "_")


def _libsbml() -> Any:
    from tissue_sim.sbml._libs import libsbml_module

    return libsbml_module()


def read_unit(model: Any, units: str) -> SBMLUnit | None:
    """Convert an SBML ``units`` reference (a base kind or a unit definition id).

    Returns
    -------
    SBMLUnit or None
        ``None`` when the unit is not set, unknown or not convertible.
    """
    if not units:
        return None
    libsbml = _libsbml()
    registry = unit_registry()
    definition = model.getUnitDefinition(units)
    if definition is not None:
        parts = [
            (
                libsbml.UnitKind_toString(unit.getKind()),
                unit.getExponentAsDouble(),
                unit.getScale(),
                unit.getMultiplier(),
            )
            for unit in definition.getListOfUnits()
        ]
    elif libsbml.UnitKind_isValidUnitKindString(units, model.getLevel(), model.getVersion()):
        parts = [(units, 1.0, 0, 1.0)]
    else:
        return None
    quantity: Any = registry.Quantity(1.0, "")
    for kind, exponent, scale, multiplier in parts:
        if kind not in _PINT_NAME or not all(map(math.isfinite, (exponent, multiplier))):
            return None
        name = _PINT_NAME[kind]
        factor = multiplier * 10.0**scale
        one = registry.Quantity(factor, name) if name else registry.Quantity(factor, "")
        quantity = quantity * one**exponent
    quantity = quantity.to_base_units()
    magnitude = float(quantity.magnitude)
    if not math.isfinite(magnitude) or magnitude <= 0.0:
        return None
    return SBMLUnit(factor=magnitude, si_text=_si_text(quantity), label=units)


def divide_units(numerator: SBMLUnit, denominator: SBMLUnit) -> SBMLUnit:
    """The unit ``numerator / denominator`` (a concentration from substance and size)."""
    registry = unit_registry()
    top = registry.Quantity(numerator.factor, "" if numerator.si_text == "1" else numerator.si_text)
    bottom = registry.Quantity(
        denominator.factor, "" if denominator.si_text == "1" else denominator.si_text
    )
    quantity = (top / bottom).to_base_units()
    return SBMLUnit(
        factor=float(quantity.magnitude),
        si_text=_si_text(quantity),
        label=f"{numerator.label}/{denominator.label}",
    )
