"""The magnitudes table of ``docs/biology.md``, made from a targets file and the models."""

from __future__ import annotations

from collections.abc import Mapping

from tissue_sim.calibration.evaluate import TargetValue
from tissue_sim.calibration.targets import MEASURE_KINDS, OutOfScope, Target

__all__ = ["format_magnitude", "magnitudes_table", "out_of_scope_table"]

_TIME_UNITS = (("day", 86400.0, 2 * 86400.0), ("h", 3600.0, 2 * 3600.0), ("min", 60.0, 120.0))


def format_magnitude(value: float, target: Target) -> str:
    """A target's or a model's value as the table prints it.

    Parameters
    ----------
    value
        SI value (a fraction for ``change``, seconds for times).
    target
        The target (its measure kind and literature value choose the format; a time is
        printed in the unit of the literature value, chosen by its size).

    Returns
    -------
    str
        ``"-46.1 %"`` for a change, ``"2.4 min"`` for a time, 3 significant digits else.
    """
    kind = target.measure.kind
    if kind == "change":
        return f"{100.0 * value:.1f} %"
    if MEASURE_KINDS[kind]:
        name, scale = "s", 1.0
        for unit, factor, least in _TIME_UNITS:
            if target.target >= least:
                name, scale = unit, factor
                break
        digits = 3 if value / scale >= 10 else 2
        return f"{value / scale:.{digits}g} {name}"
    return f"{value:.3g}"


def magnitudes_table(values: Mapping[str, TargetValue]) -> str:
    """The Markdown table: effect, source, target, model, status, within the factor."""
    lines = [
        "| effect | source | target | model | status | within factor 2 |",
        "|---|---|---|---|---|---|",
    ]
    for name, value in values.items():
        target = value.target
        inside = "yes" if value.within_factor else "**no**"
        if target.factor != 2.0:
            inside += f" (factor {target.factor:g})"
        lines.append(
            f"| {target.statement} (`{name}`) | {target.source} | "
            f"{format_magnitude(target.target, target)} | "
            f"{format_magnitude(value.model, target)} | {target.status} | {inside} |"
        )
    return "\n".join(lines) + "\n"


def out_of_scope_table(items: tuple[OutOfScope, ...]) -> str:
    """The Markdown table of the numbers the models do not take as targets, and why."""
    lines = [
        "| effect with a number | source | why it is not a factor-2 target |",
        "|---|---|---|",
    ]
    lines += [f"| {item.effect} | {item.source} | {item.reason} |" for item in items]
    return "\n".join(lines) + "\n"
