"""Massage loads: contact patches, techniques → quasi-static load frames, session schedules.

Public names:

* patches and frames — :class:`ContactPatch`, :class:`PatchLoad`, :class:`LoadFrame`,
  :func:`profile_weight`, :func:`surface_traction`, :func:`frame_resultant`,
  :func:`patch_extent`;
* techniques — :class:`StaticCompression`, :class:`SustainedShear`, :class:`Kneading`,
  :class:`Effleurage`, :class:`CrossFibreFriction`, :class:`Roller` (``TECHNIQUES`` maps
  names to classes), :func:`technique_frames` → :class:`TechniqueFrames`,
  :func:`minimum_frames`, :func:`default_frames`, :func:`technique_footprint`,
  :func:`check_on_block`, :func:`smallest_load_feature`; a technique provides
  :class:`Technique` (families in :mod:`tissue_sim.loading.techniques`);
* sessions — :class:`TechniqueStep`, :class:`LoadingConfig`, :func:`step_intervals`;
* schedule — :class:`Schedule`, :func:`session_intervals`, :func:`course_duration`,
  :func:`weekly_treatment_days`;
* :class:`LoadingParameterError` — a bad parameter, tagged with its name.
"""

from __future__ import annotations

from tissue_sim.loading._validation import LoadingParameterError
from tissue_sim.loading.patch import (
    PATCH_SHAPES,
    PROFILES,
    ContactPatch,
    LoadFrame,
    PatchLoad,
    frame_resultant,
    patch_extent,
    profile_weight,
    surface_traction,
)
from tissue_sim.loading.schedule import (
    SECONDS_PER_DAY,
    Schedule,
    course_duration,
    session_intervals,
    weekly_treatment_days,
)
from tissue_sim.loading.session import LoadingConfig, TechniqueStep, step_intervals
from tissue_sim.loading.techniques import (
    MIN_CYCLIC_FRAMES,
    MIN_FRAMES_PER_CROSSING,
    MOVING_DEFAULT_FRAMES,
    TECHNIQUES,
    CrossFibreFriction,
    Effleurage,
    Kneading,
    Roller,
    StaticCompression,
    SustainedShear,
    Technique,
    TechniqueFrames,
    check_on_block,
    default_frames,
    minimum_frames,
    smallest_load_feature,
    technique_footprint,
    technique_frames,
)

__all__ = [
    "MIN_CYCLIC_FRAMES",
    "MIN_FRAMES_PER_CROSSING",
    "MOVING_DEFAULT_FRAMES",
    "PATCH_SHAPES",
    "PROFILES",
    "SECONDS_PER_DAY",
    "TECHNIQUES",
    "ContactPatch",
    "CrossFibreFriction",
    "Effleurage",
    "Kneading",
    "LoadFrame",
    "LoadingConfig",
    "LoadingParameterError",
    "PatchLoad",
    "Roller",
    "Schedule",
    "StaticCompression",
    "SustainedShear",
    "Technique",
    "TechniqueFrames",
    "TechniqueStep",
    "check_on_block",
    "course_duration",
    "default_frames",
    "frame_resultant",
    "minimum_frames",
    "patch_extent",
    "profile_weight",
    "session_intervals",
    "smallest_load_feature",
    "step_intervals",
    "surface_traction",
    "technique_footprint",
    "technique_frames",
    "weekly_treatment_days",
]
