"""The explorer's controls and the scenario they describe.

:class:`Controls` holds what a person can change on the page (tissue preset, technique,
pressure, shear ratio, adipose thickness, the course and the species shown);
:func:`scenario_mapping` turns them into an ordinary scenario mapping (the YAML a user
would write), read by :func:`tissue_sim.config.scenario_from_mapping`, so the explorer
runs the same validated inputs as ``tissue-sim run``.

The loads of the explorer are the shipped techniques with their own defaults (patch,
timing, path: ``docs/techniques.md`` gives every default and its source); only the
pressure and the shear ratio are the page's. The block is smaller and the mesh coarser
than the presets' defaults (see :data:`BLOCK_SIZE`, :data:`MESH_SIZE`) so that the
mechanics can be precomputed in tens of seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

from tissue_sim.loading import TECHNIQUES, default_frames, minimum_frames, technique_frames

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_INITIAL_STATE",
    "MESH_GROWTH",
    "MESH_SIZE",
    "PRESETS",
    "REFERENCE_PRESSURE",
    "THICKNESS_FACTORS",
    "Controls",
    "explore_frames",
    "mechanics_key",
    "scenario_mapping",
    "treatment_days",
]

#: Tissue presets offered (``models/tissues``).
PRESETS: Final = ("lumbar", "thigh_lateral", "forearm")
#: Lateral size of the explorer's block [m] (assumption: the shipped techniques' default
#: patches and 4-cm stroke path stay 1 cm from the sides; the presets use 12 cm).
BLOCK_SIZE: Final = 0.10
#: Lateral element size under the loaded area [m] (coarser than ``mesh.size: coarse``).
MESH_SIZE: Final = 0.006
#: Element growth away from the load and with depth [-].
MESH_GROWTH: Final = 1.5
#: Adipose thickness levels offered, as factors of the preset's thickness [-]: each level
#: is its own mesh and mechanics grid (no interpolation across thickness).
THICKNESS_FACTORS: Final = (0.5, 1.0, 2.0)
#: Initial state of every course (the shipped models' presets, ``tissue-sim models``).
DEFAULT_INITIAL_STATE: Final = "chronic_overuse"
#: Reference pressure of the load patterns [Pa] (the patterns are scaled, see
#: :mod:`tissue_sim.explore.mechanics`).
REFERENCE_PRESSURE: Final = 1.0e3

#: Treatment weekdays for n sessions a week (spread over the week; day 0 is a Monday).
_WEEKDAYS: Final = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


@dataclass(frozen=True)
class Controls:
    """What the page controls.

    Attributes
    ----------
    preset
        Tissue preset (one of :data:`PRESETS`).
    technique
        Technique name (a key of :data:`tissue_sim.loading.TECHNIQUES`).
    pressure
        Mean normal pressure under the patch at full load [Pa].
    shear_ratio
        Shear traction ÷ pressure [-] (a friction coefficient for the gliding and
        friction techniques, the grip's drag for the fixed ones); its direction is the
        technique's own (along the motion, or across the fibres for cross-fibre friction).
    thickness_factor
        Adipose thickness as a factor of the preset's (one of :data:`THICKNESS_FACTORS`).
    days
        Length of the course [days].
    sessions_per_week
        Treatment days per week, 1–7 (spread over the week).
    session_minutes
        Duration of one session [min].
    species
        Species shown in the effect plot (``None``: the composed model's first report
        species, see :meth:`tissue_sim.io.BiologyOutput.shown_species`).
    """

    preset: str = "lumbar"
    technique: str = "static_compression"
    pressure: float = 10.0e3
    shear_ratio: float = 0.0
    thickness_factor: float = 1.0
    days: int = 14
    sessions_per_week: int = 3
    session_minutes: float = 10.0
    species: str | None = None

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {PRESETS}, got {self.preset!r}")
        if self.technique not in TECHNIQUES:
            raise ValueError(f"technique must be one of {tuple(TECHNIQUES)}")
        if self.thickness_factor not in THICKNESS_FACTORS:
            raise ValueError(f"thickness_factor must be one of {THICKNESS_FACTORS}")
        if not 1 <= self.sessions_per_week <= 7:
            raise ValueError("sessions_per_week must lie in 1..7")
        if self.days < 1 or self.session_minutes <= 0.0 or self.pressure < 0.0:
            raise ValueError("days >= 1, session_minutes > 0 and pressure >= 0 are required")
        if self.shear_ratio < 0.0:
            raise ValueError("shear_ratio must be >= 0")

    def with_changes(self, **changes: Any) -> Controls:
        """A copy with some controls changed (validated)."""
        return replace(self, **changes)


def explore_frames(technique: str) -> int:
    """Frames per cycle the explorer gives a technique [-].

    A technique whose frames are one load pattern times a curve (holds, kneading) keeps its
    default frames: its grid is one pressure ladder whatever their number. The others
    (cross-fibre friction, the moving strokes) are solved frame by frame at every grid
    node, so they get the fewest frames their load needs (``minimum_frames``: a moving
    patch advances at most a third of its length between frames).
    """
    instance = TECHNIQUES[technique]()
    frames = technique_frames(instance)
    if frames.basis is not None and len(frames.basis) == 1:
        return default_frames(instance)
    return minimum_frames(instance)


def mechanics_key(controls: Controls) -> tuple[str, str, float]:
    """The controls that need a new mesh and mechanics solve: preset, technique, thickness."""
    return (controls.preset, controls.technique, controls.thickness_factor)


def treatment_days(days: int, sessions_per_week: int) -> list[int]:
    """Day indices with a session: ``sessions_per_week`` weekdays of every week [-]."""
    weekdays = _WEEKDAYS[sessions_per_week]
    return [day for day in range(days) if day % 7 in weekdays]


def scenario_mapping(
    controls: Controls,
    *,
    adipose_thickness: float,
    mechanics_model: str = "hyperelastic",
    pressure: float | None = None,
    shear_ratio: float | None = None,
) -> dict[str, Any]:
    """The scenario of the controls as a mapping (what a user would write in YAML).

    Parameters
    ----------
    controls
        The page's controls.
    adipose_thickness
        Preset adipose thickness [m] (scaled by ``controls.thickness_factor``).
    mechanics_model
        ``"hyperelastic"`` (finite strain) or ``"linear"``.
    pressure, shear_ratio
        Load of the scenario [Pa] and [-] (default: the controls'; the mechanics grid
        builds its patterns at :data:`REFERENCE_PRESSURE` and ratio 1).

    Returns
    -------
    dict
        A scenario for :func:`tissue_sim.config.scenario_from_mapping`.
    """
    load = controls.pressure if pressure is None else pressure
    ratio = controls.shear_ratio if shear_ratio is None else shear_ratio
    thickness = adipose_thickness * controls.thickness_factor
    loading: dict[str, Any] = {
        "technique": controls.technique,
        "pressure": f"{load:.12g} Pa",
        "friction": float(ratio),
        "frames": explore_frames(controls.technique),
    }
    days = treatment_days(controls.days, controls.sessions_per_week)
    schedule: dict[str, Any] = {
        "session_duration": f"{controls.session_minutes:.12g} min",
        "sessions_per_day": 1,
        "days": int(controls.days),
        "treatment_days": days if days else [0],
    }
    return {
        "name": f"explore_{controls.preset}_{controls.technique}",
        "description": "tissue-sim explore: the scenario behind the page's controls",
        "tissue": {
            "preset": controls.preset,
            "size": [f"{BLOCK_SIZE * 100:g} cm", f"{BLOCK_SIZE * 100:g} cm"],
            "layers": {"adipose": {"thickness": f"{thickness * 1000:.6g} mm"}},
        },
        "mesh": {"element": "Q1", "size": f"{MESH_SIZE * 1000:g} mm", "growth": MESH_GROWTH},
        "mechanics": {"model": mechanics_model},
        "loading": loading,
        "schedule": schedule,
        "biology": {"initial_state": DEFAULT_INITIAL_STATE},
    }
