"""Remodelling between sessions: the fibrosis state stiffens (or softens) the tissue.

* :mod:`.law` — the stiffness law :math:`s(C, \\mu)` of the collagen index and the
  myofibroblast fraction, with its sources;
* :mod:`.stiffness` — per-cell factors → stiffness classes and scaled materials;
* :mod:`.output` — what a remodelled course records (``/biology/remodelling``);
* :class:`RemodellingCourse` — the course with mechanics re-solves at the update times,
  a drop-in for :func:`tissue_sim.biology.simulate` that the pipeline uses when a
  scenario has ``biology.remodelling``;
* :func:`check_remodelling` — its species and layer names, checked by ``tissue-sim check``.

See ``docs/remodelling.md``.
"""

from __future__ import annotations

from tissue_sim.remodelling._course import RemodellingCourse, check_remodelling, update_times
from tissue_sim.remodelling.law import MAX_FACTOR, MIN_FACTOR, CollagenPowerLaw
from tissue_sim.remodelling.output import (
    RemodellingOutput,
    read_remodelling_group,
    write_remodelling_group,
)
from tissue_sim.remodelling.stiffness import (
    ScaledMaterial,
    StiffnessClasses,
    scaled_material,
    stiffness_classes,
)

__all__ = [
    "MAX_FACTOR",
    "MIN_FACTOR",
    "CollagenPowerLaw",
    "RemodellingCourse",
    "RemodellingOutput",
    "ScaledMaterial",
    "StiffnessClasses",
    "check_remodelling",
    "read_remodelling_group",
    "scaled_material",
    "stiffness_classes",
    "update_times",
    "write_remodelling_group",
]
