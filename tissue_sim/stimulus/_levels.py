"""Names of the dose features measured at a strain level: ``<kind>_above_<level>``.

A model asks for the time spent above a strain level of its choosing by naming it, e.g.
``longest_time_above_40pct`` (the longest continuous time above 40 % effective strain) or
``time_above_2p5pct`` (time per cycle above 2.5 %). The level is written in per cent with
``p`` as the decimal point.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "LEVEL_FEATURE_KINDS",
    "LEVEL_FEATURE_PATTERN",
    "level_feature_description",
    "level_feature_name",
    "parse_level_feature",
]

#: Kind → (unit, description with ``{level}`` for the level in per cent).
LEVEL_FEATURE_KINDS: Final[dict[str, tuple[str, str]]] = {
    "time_above": (
        "s",
        "time per cycle with eps_eff > {level} %, crossings interpolated linearly",
    ),
    "session_time_above": (
        "s",
        "time per session with eps_eff > {level} %: time_above x cycles_per_session",
    ),
    "longest_time_above": (
        "s",
        "longest continuous time with eps_eff > {level} % (runs across the end of a periodic "
        "cycle join the next cycle's; a point above it all cycle long stays above for the "
        "whole session, cycles_per_session x T), capped at cycles_per_session x T",
    ),
    "strain_time_above": (
        "s",
        "integral over a cycle of (eps_eff - {level} %)+ dt: strain-time dose above the level",
    ),
}

#: ``<kind>_above_<digits>[p<digits>]pct``.
LEVEL_FEATURE_PATTERN: Final = re.compile(
    r"^(?P<kind>time|session_time|longest_time|strain_time)_above_"
    r"(?P<whole>\d{1,3})(?:p(?P<fraction>\d{1,3}))?pct$"
)


def parse_level_feature(name: str) -> tuple[str, float] | None:
    """Kind and level of a level feature name, or ``None`` if ``name`` is not one.

    Parameters
    ----------
    name
        A feature name such as ``longest_time_above_40pct``.

    Returns
    -------
    tuple or None
        ``(kind, level)`` with ``kind`` a key of :data:`LEVEL_FEATURE_KINDS` and
        ``level`` the strain level as a fraction [-] (``40pct`` → 0.4).
    """
    match = LEVEL_FEATURE_PATTERN.match(name)
    if match is None:
        return None
    text = match["whole"] + ("." + match["fraction"] if match["fraction"] else "")
    return f"{match['kind']}_above", float(text) / 100.0


def level_feature_name(kind: str, level: float) -> str:
    """Feature name of ``kind`` (e.g. ``"time_above"``) at ``level`` (a fraction) [-]."""
    if kind not in LEVEL_FEATURE_KINDS:
        raise ValueError(f"unknown level feature kind {kind!r}")
    percent = f"{100.0 * level:.3f}".rstrip("0").rstrip(".")
    return f"{kind}_{percent.replace('.', 'p')}pct"


def level_feature_description(name: str) -> str:
    """Formula of a level feature, in words and symbols."""
    parsed = parse_level_feature(name)
    if parsed is None:
        raise ValueError(f"{name!r} is not a level feature")
    kind, level = parsed
    return LEVEL_FEATURE_KINDS[kind][1].format(level=f"{100.0 * level:g}")
