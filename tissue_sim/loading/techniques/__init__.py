r"""Massage techniques as physical parameter sets that build their own quasi-static load frames.

Each technique is a frozen dataclass whose fields are physical parameters in SI units, with
defaults taken from ``FACTS.md`` §3–§4 where the literature gives a number and marked as an
assumption where it does not (``docs/techniques.md`` lists every default with its source).
:func:`technique_frames` turns a technique into :class:`TechniqueFrames`: ``K`` load frames
over one cycle (or one pass of a moving stroke), the time of each frame, the cycle period,
and, where the traction field is a fixed spatial pattern times scalar load curves, the
patterns and curves for linear superposition.

The strain history that the frames produce is read by the stimulus stage as a *periodic,
piecewise-linear* function of time through the frames (see
:func:`tissue_sim.stimulus.compute_features`); the frames are placed so that this reading is
exact for the load curve (breakpoints of ramp–hold–release curves are frames; a moving patch
gets explicit unloaded frames for lifting off and returning to the start of its path).

Families (one module each; a technique provides :class:`Technique`):

* :mod:`~tissue_sim.loading.techniques.hold` — :class:`StaticCompression`,
  :class:`SustainedShear`;
* :mod:`~tissue_sim.loading.techniques.cyclic` — :class:`Kneading`,
  :class:`CrossFibreFriction`;
* :mod:`~tissue_sim.loading.techniques.moving` — :class:`Effleurage`, :class:`Roller`.

:data:`TECHNIQUES` is built from the families' ``FAMILY`` tuples, so a new technique in a
family module is registered there; ``docs/techniques.md`` ("Adding a technique") walks
through it.
"""

from __future__ import annotations

from typing import Final

from tissue_sim.loading.techniques import cyclic, hold, moving
from tissue_sim.loading.techniques.base import (
    Technique,
    TechniqueFrames,
    check_on_block,
    default_frames,
    minimum_frames,
    smallest_load_feature,
    technique_footprint,
    technique_frames,
)
from tissue_sim.loading.techniques.cyclic import (
    CYCLIC_DEFAULT_FRAMES,
    MIN_CYCLIC_FRAMES,
    CrossFibreFriction,
    Kneading,
)
from tissue_sim.loading.techniques.hold import StaticCompression, SustainedShear
from tissue_sim.loading.techniques.moving import (
    MIN_FRAMES_PER_CROSSING,
    MOVING_DEFAULT_FRAMES,
    Effleurage,
    Roller,
)

__all__ = [
    "CYCLIC_DEFAULT_FRAMES",
    "MIN_CYCLIC_FRAMES",
    "MIN_FRAMES_PER_CROSSING",
    "MOVING_DEFAULT_FRAMES",
    "TECHNIQUES",
    "CrossFibreFriction",
    "Effleurage",
    "Kneading",
    "Roller",
    "StaticCompression",
    "SustainedShear",
    "Technique",
    "TechniqueFrames",
    "check_on_block",
    "default_frames",
    "minimum_frames",
    "smallest_load_feature",
    "technique_footprint",
    "technique_frames",
]

#: Technique name (the ``loading.technique`` key) → class, family by family.
TECHNIQUES: Final[dict[str, type[Technique]]] = {
    cls.name: cls for family in (hold, cyclic, moving) for cls in family.FAMILY
}
