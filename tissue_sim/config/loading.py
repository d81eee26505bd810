"""Read a scenario's ``loading:`` and ``schedule:`` sections into loading dataclasses.

Schema (``docs/techniques.md`` has the full reference, every default and its source)::

    loading:                              # one technique given directly ...
      technique: effleurage               # static_compression (default) | sustained_shear |
                                          # kneading | effleurage | cross_fibre_friction | roller
      pressure: "10 kPa"                  # or force: "6 N" (pressure = force / patch area)
      patch: {shape: ellipse, semi_axes: ["2 cm", "1.5 cm"], profile: smooth,
              edge_width: 0.2, orientation: "0 deg", centre: ["0 cm", "0 cm"]}
                                          # or radius: "1 cm" instead of semi_axes
      friction: 0.2                       # or shear: "2 kPa" (+ shear_direction for fixed patches)
      speed: "5 cm/s"
      path: [["-2 cm", "0 cm"], ["2 cm", "0 cm"]]
      stroke_rate: "45 spm"
      frames: 24
      duration: "15 min"                  # time within each session (default: all of it)

    loading:                              # ... or several, one after another in a session
      techniques:
        - {technique: sustained_shear, duration: "5 min"}
        - {technique: effleurage, pressure: "8 kPa"}
        - kneading                        # a bare name: every default

    schedule:
      session_duration: "15 min"
      sessions_per_day: 1
      session_interval: "4 h"             # between session starts, when sessions_per_day > 1
      days: 14
      start_time: "9 h"                   # or "09:00"
      treatment_days: [0, 2, 4, 7, 9, 11, 14, 16, 18]   # or {weekdays: [0, 2, 4], weeks: 3}

Every error is an :class:`~tissue_sim.errors.InputError` naming the file and the key path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from tissue_sim.config.limits import MAX_COUNTS
from tissue_sim.config.reader import MAX_LIST_LENGTH, MappingReader
from tissue_sim.config.units import parse_quantity
from tissue_sim.errors import brief
from tissue_sim.loading import (
    PATCH_SHAPES,
    PROFILES,
    TECHNIQUES,
    ContactPatch,
    CrossFibreFriction,
    Effleurage,
    Kneading,
    LoadingConfig,
    LoadingParameterError,
    Roller,
    Schedule,
    StaticCompression,
    SustainedShear,
    Technique,
    TechniqueStep,
    check_on_block,
    default_frames,
    weekly_treatment_days,
)

__all__ = [
    "DEFAULT_TECHNIQUE",
    "LoadingConfig",
    "read_loading",
    "read_loading_and_schedule",
    "read_schedule",
]

#: Technique used when ``loading.technique`` is not given.
DEFAULT_TECHNIQUE = StaticCompression.name

# Keys a technique accepts that are read only when present: marked as known so that the
# "unknown key" message lists them.
_COMMON_OPTIONAL = ("frames", "duration", "force", "pressure", "shear", "friction")
_OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {
    "StaticCompression": (*_COMMON_OPTIONAL, "shear_direction"),
    "SustainedShear": (*_COMMON_OPTIONAL, "shear_direction"),
    "Kneading": (*_COMMON_OPTIONAL, "shear_direction"),
    "CrossFibreFriction": _COMMON_OPTIONAL,
    "Effleurage": (*_COMMON_OPTIONAL, "path", "stroke_rate"),
    "Roller": (*_COMMON_OPTIONAL, "path", "stroke_rate"),
}
_PATCH_OPTIONAL = ("radius", "semi_axes")

_CLOCK_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def read_loading(
    reader: MappingReader, *, block_size: tuple[float, float], session_duration: float
) -> LoadingConfig:
    """Read the ``loading:`` section.

    Parameters
    ----------
    reader
        Reader of the ``loading`` mapping (e.g. ``root.sub("loading")``).
    block_size
        Lateral size :math:`(L_x, L_y)` of the tissue block [m]; the loaded area must stay
        on its skin.
    session_duration
        Duration of one session [s] (from :func:`read_schedule`); the techniques must fit.

    Returns
    -------
    LoadingConfig
        The techniques of a session with their frames, start offsets and durations.

    Raises
    ------
    InputError
        Naming the key: unknown key or technique, wrong unit, frequency ≤ 0, a patch larger
        than the block, a path leaving the skin, too few frames for a moving patch, a
        stroke or hold that cannot finish within the session, ...
    """
    if reader.has("techniques"):
        others = [str(key) for key in reader.data if key != "techniques"]
        if others:
            raise reader.error(
                others[0],
                "with a 'techniques' list, give every technique's parameters inside the list",
            )
        items = reader.sequence("techniques")
        if not items:
            raise reader.error("techniques", "expected at least one technique")
        entries = [
            _read_entry(
                MappingReader(
                    {"technique": item} if isinstance(item, str) else item,
                    file=reader.file,
                    path=f"{reader.key_path('techniques')}[{index}]",
                ),
                block_size,
            )
            for index, item in enumerate(items)
        ]
    else:
        entries = [_read_entry(reader, block_size)]
    reader.finish()
    durations = _durations(entries, session_duration)
    steps = []
    start = 0.0
    for entry, duration in zip(entries, durations, strict=True):
        with _located(entry.reader, entry.aliases):
            steps.append(TechniqueStep(entry.technique, entry.frames, start, duration))
        start += duration
    try:
        return LoadingConfig(tuple(steps), session_duration)
    except LoadingParameterError as exc:
        raise reader.error(exc.parameter, exc.message) from None


def read_schedule(reader: MappingReader) -> Schedule:
    """Read the ``schedule:`` section.

    Parameters
    ----------
    reader
        Reader of the ``schedule`` mapping (empty: every default).

    Returns
    -------
    Schedule
        The course schedule.

    Raises
    ------
    InputError
        Naming the key: unknown key, wrong unit, a session longer than a day, overlapping
        sessions, sessions past midnight, bad treatment days.
    """
    defaults = Schedule()
    session_duration = reader.quantity(
        "session_duration", "time", default=defaults.session_duration, positive=True
    )
    sessions_per_day = reader.integer(
        "sessions_per_day",
        defaults.sessions_per_day,
        minimum=1,
        maximum=MAX_COUNTS["sessions_per_day"],
    )
    session_interval = reader.quantity(
        "session_interval", "time", default=defaults.session_interval, positive=True
    )
    start_time = _read_clock_time(reader, "start_time", defaults.start_time)
    treatment_days = _read_treatment_days(reader) if reader.has("treatment_days") else None
    default_days = defaults.days if treatment_days is None else treatment_days[-1] + 1
    days = reader.integer("days", default_days, minimum=1, maximum=MAX_COUNTS["days"])
    reader.finish()
    try:
        return Schedule(
            session_duration=session_duration,
            sessions_per_day=sessions_per_day,
            days=days,
            start_time=start_time,
            session_interval=session_interval,
            treatment_days=treatment_days,
        )
    except LoadingParameterError as exc:
        raise reader.error(exc.parameter, exc.message) from None


def read_loading_and_schedule(
    root: MappingReader, *, block_size: tuple[float, float]
) -> tuple[LoadingConfig, Schedule]:
    """Read ``schedule:`` then ``loading:`` of a scenario's root mapping.

    Parameters
    ----------
    root
        Reader of the scenario's root mapping.
    block_size
        Lateral size :math:`(L_x, L_y)` of the tissue block [m].

    Returns
    -------
    tuple
        ``(loading, schedule)``.
    """
    schedule = read_schedule(root.sub("schedule"))
    loading = read_loading(
        root.sub("loading"), block_size=block_size, session_duration=schedule.session_duration
    )
    return loading, schedule


# --------------------------------------------------------------------------------------
# One technique
# --------------------------------------------------------------------------------------
@dataclass
class _Entry:
    """A technique read from one mapping, with what is needed to locate errors."""

    reader: MappingReader
    technique: Technique
    frames: int
    duration: float | None
    aliases: dict[str, str] = field(default_factory=dict)


@contextmanager
def _located(reader: MappingReader, aliases: Mapping[str, str]) -> Iterator[None]:
    """Turn a :class:`LoadingParameterError` into an InputError at the matching YAML key."""
    try:
        yield
    except LoadingParameterError as exc:
        key = aliases.get(exc.parameter, exc.parameter)
        raise reader.error(key, exc.message) from None


def _read_entry(reader: MappingReader, block_size: tuple[float, float]) -> _Entry:
    name = reader.choice("technique", list(TECHNIQUES), default=DEFAULT_TECHNIQUE)
    aliases: dict[str, str] = {}
    with _located(reader, aliases):
        technique = _read_technique(reader, name, aliases)
    frames = (
        reader.integer("frames", None, minimum=1, maximum=MAX_COUNTS["frames"])
        if reader.has("frames")
        else None
    )
    duration = (
        reader.quantity("duration", "time", positive=True) if reader.has("duration") else None
    )
    _mark_optional(reader, _OPTIONAL_KEYS[type(technique).__name__])
    reader.finish()
    with _located(reader, aliases):
        check_on_block(technique, block_size)
    count = default_frames(technique) if frames is None else frames
    return _Entry(reader, technique, count, duration, aliases)


def _read_technique(reader: MappingReader, name: str, aliases: dict[str, str]) -> Technique:
    cls = TECHNIQUES[name]
    defaults = cls()
    patch = _read_patch(reader, defaults.patch, name, moving=cls.moving, aliases=aliases)
    default_force = getattr(cls, "default_force", None)
    default_pressure = defaults.pressure if default_force is None else default_force / patch.area
    pressure = _read_pressure(reader, patch, default_pressure, aliases)
    if isinstance(defaults, StaticCompression | SustainedShear):
        shear = _read_shear_vector(reader, pressure, defaults.shear, aliases)
        return type(defaults)(
            patch=patch,
            pressure=pressure,
            shear=shear,
            hold_time=reader.quantity("hold_time", "time", default=defaults.hold_time),
            ramp_time=reader.quantity("ramp_time", "time", default=defaults.ramp_time),
            release_time=reader.quantity("release_time", "time", default=defaults.release_time),
            rest_time=reader.quantity("rest_time", "time", default=defaults.rest_time),
        )
    if isinstance(defaults, Kneading):
        return Kneading(
            patch=patch,
            pressure=pressure,
            min_pressure=reader.quantity(
                "min_pressure", "pressure", default=defaults.min_pressure, non_negative=True
            ),
            shear=_read_shear_vector(reader, pressure, defaults.shear, aliases),
            frequency=reader.quantity(
                "frequency", "frequency", default=defaults.frequency, positive=True
            ),
        )
    if isinstance(defaults, CrossFibreFriction):
        amplitude = _read_shear_magnitude(
            reader, pressure, defaults.default_friction * pressure, aliases
        )
        aliases["shear_amplitude"] = aliases.pop("shear", "shear")
        return CrossFibreFriction(
            patch=patch,
            pressure=pressure,
            shear_amplitude=amplitude,
            fibre_direction=reader.quantity(
                "fibre_direction", "angle", default=defaults.fibre_direction
            ),
            frequency=reader.quantity(
                "frequency", "frequency", default=defaults.frequency, positive=True
            ),
        )
    assert isinstance(defaults, Effleurage | Roller)
    stroke_shear = _read_shear_magnitude(
        reader, pressure, defaults.default_friction * pressure, aliases
    )
    stroke_rate: float | None = defaults.stroke_rate
    if reader.has("stroke_rate"):
        if reader.raw("stroke_rate") is None:
            stroke_rate = None
        else:
            stroke_rate = reader.quantity("stroke_rate", "frequency", positive=True)
    path = _read_path(reader) if reader.has("path") else defaults.path
    return type(defaults)(
        patch=patch,
        pressure=pressure,
        shear=stroke_shear,
        speed=reader.quantity("speed", "velocity", default=defaults.speed, positive=True),
        path=path,
        stroke_rate=stroke_rate,
    )


def _read_patch(
    reader: MappingReader,
    default: ContactPatch,
    technique: str,
    *,
    moving: bool,
    aliases: dict[str, str],
) -> ContactPatch:
    sub = reader.sub("patch")
    shape = sub.choice("shape", PATCH_SHAPES, default=default.shape)
    if sub.has("radius") and sub.has("semi_axes"):
        raise sub.error("radius", "give radius or semi_axes, not both")
    if sub.has("radius"):
        if shape != "ellipse":
            raise sub.error("radius", "a radius describes a circle; give semi_axes for a rectangle")
        radius = sub.quantity("radius", "length", positive=True)
        semi_axes = (radius, radius)
        aliases["patch.semi_axes"] = "patch.radius"
    elif sub.has("semi_axes"):
        semi_axes_list = sub.quantity_list("semi_axes", "length", length=2)
        if min(semi_axes_list) <= 0.0:
            raise sub.error("semi_axes", f"expected positive lengths, got {sub.raw('semi_axes')}")
        semi_axes = (semi_axes_list[0], semi_axes_list[1])
    else:
        semi_axes = default.semi_axes
    if moving and sub.has("centre"):
        raise sub.error(
            "centre", f"not used by {technique}: the path sets where the patch is; give 'path'"
        )
    centre = (
        _pair(sub.quantity_list("centre", "length", length=2))
        if sub.has("centre")
        else default.centre
    )
    patch = ContactPatch(
        centre=centre,
        semi_axes=semi_axes,
        orientation=sub.quantity("orientation", "angle", default=default.orientation),
        profile=sub.choice("profile", PROFILES, default=default.profile),
        shape=shape,
        edge_width=sub.number("edge_width", default=default.edge_width, positive=True, maximum=1.0),
    )
    sub.finish()
    return patch


def _read_pressure(
    reader: MappingReader, patch: ContactPatch, default: float, aliases: dict[str, str]
) -> float:
    if reader.has("force") and reader.has("pressure"):
        raise reader.error("force", "give pressure or force, not both")
    if reader.has("force"):
        aliases["pressure"] = "force"
        return reader.quantity("force", "force", non_negative=True) / patch.area
    return reader.quantity("pressure", "pressure", default=default, non_negative=True)


def _read_shear_magnitude(
    reader: MappingReader, pressure: float, default: float, aliases: dict[str, str]
) -> float:
    if reader.has("shear") and reader.has("friction"):
        raise reader.error("friction", "give shear or friction, not both")
    if reader.has("friction"):
        aliases["shear"] = "friction"
        return reader.number("friction", non_negative=True) * pressure
    return reader.quantity("shear", "pressure", default=default, non_negative=True)


def _read_shear_vector(
    reader: MappingReader,
    pressure: float,
    default: tuple[float, float],
    aliases: dict[str, str],
) -> tuple[float, float]:
    if not (reader.has("shear") or reader.has("friction")):
        if reader.has("shear_direction"):
            raise reader.error("shear_direction", "give shear or friction with a shear direction")
        return default
    magnitude = _read_shear_magnitude(reader, pressure, 0.0, aliases)
    direction = reader.quantity("shear_direction", "angle", default=0.0)
    return (magnitude * math.cos(direction), magnitude * math.sin(direction))


def _read_path(reader: MappingReader) -> tuple[tuple[float, float], ...]:
    items = reader.sequence("path")
    if len(items) > MAX_LIST_LENGTH:
        raise reader.error("path", f"expected at most {MAX_LIST_LENGTH} points, got {len(items)}")
    points = []
    for index, item in enumerate(items):
        key = f"path[{index}]"
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise reader.error(
                key, f"expected a point [x, y] such as ['1 cm', '0 cm'], got {brief(item)}"
            )
        points.append(
            _pair(
                tuple(
                    parse_quantity(
                        value,
                        "length",
                        file=reader.file,
                        key=f"{reader.key_path(key)}[{axis}]",
                    )
                    for axis, value in enumerate(item)
                )
            )
        )
    return tuple(points)


def _durations(entries: Sequence[_Entry], session_duration: float) -> list[float]:
    """Durations of the entries: given ones, and the rest of the session shared equally."""
    total = 0.0
    for entry in entries:
        if entry.duration is not None:
            total += entry.duration
            if total > session_duration * (1.0 + 1e-12):
                raise entry.reader.error(
                    "duration",
                    f"the techniques' durations add up to {total / 60.0:.4g} min, more than "
                    f"the {session_duration / 60.0:.4g} min session",
                )
    open_entries = [entry for entry in entries if entry.duration is None]
    remaining = session_duration - total
    if open_entries and remaining <= 1e-9 * session_duration:
        raise open_entries[0].reader.error(
            "duration",
            "no time is left in the session for this technique: the other techniques' "
            "durations fill it",
        )
    share = remaining / len(open_entries) if open_entries else 0.0
    return [share if entry.duration is None else entry.duration for entry in entries]


# --------------------------------------------------------------------------------------
# Schedule helpers
# --------------------------------------------------------------------------------------
def _read_clock_time(reader: MappingReader, key: str, default: float) -> float:
    value = reader.raw(key, default)
    if isinstance(value, str):
        match = _CLOCK_TIME.match(value)
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            if hours > 23 or minutes > 59:
                raise reader.error(
                    key, f"expected a time of day such as '09:00', got {brief(value)}"
                )
            return 3600.0 * hours + 60.0 * minutes
    if isinstance(value, float) and value is default:
        return value
    return parse_quantity(value, "time", file=reader.file, key=reader.key_path(key))


def _read_treatment_days(reader: MappingReader) -> tuple[int, ...]:
    value = reader.raw("treatment_days")
    if isinstance(value, Mapping):
        sub = reader.sub("treatment_days")
        weekdays = sub.sequence("weekdays")
        if not weekdays:
            raise sub.error("weekdays", "expected at least one day of the week 0..6")
        for index, day in enumerate(weekdays):
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise sub.error(
                    f"weekdays[{index}]", f"expected a day of the week 0..6, got {brief(day)}"
                )
        weeks = sub.integer("weeks", minimum=1, maximum=MAX_COUNTS["weeks"])
        sub.finish()
        return weekly_treatment_days(weekdays, weeks)
    days = reader.sequence("treatment_days")
    for index, day in enumerate(days):
        if (
            isinstance(day, bool)
            or not isinstance(day, int)
            or not 0 <= day <= MAX_COUNTS["treatment_day"]
        ):
            raise reader.error(
                f"treatment_days[{index}]",
                f"expected a day number 0..{MAX_COUNTS['treatment_day']}, got {brief(day)}",
            )
    if not days:
        raise reader.error("treatment_days", "expected at least one day")
    return tuple(days)


def _mark_optional(reader: MappingReader, keys: Sequence[str]) -> None:
    """Mark optional keys as known (absent ones too) for the unknown-key message."""
    for key in keys:
        reader.raw(key, None)


def _pair(values: Sequence[float]) -> tuple[float, float]:
    return (float(values[0]), float(values[1]))
