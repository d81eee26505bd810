"""Cell-response models and their batched stiff integrator.

Model files in ``models/cells`` declare species, parameters (with units and sources),
stimulus inputs and rate expressions; :func:`load_model` composes them into a
:class:`CellModel` with a vectorised right-hand side and an analytic sparse Jacobian, and
:func:`simulate` integrates it at every material point over a treatment course.
See ``docs/biology.md``.
"""

from __future__ import annotations

from tissue_sim.biology.model import (
    KNOWN_STIMULUS_FEATURES,
    STANDARD_SPECIES,
    CellModel,
    ParameterInfo,
    Species,
    describe_model,
    list_models,
    list_presets,
    load_model,
    model_inputs,
)
from tissue_sim.biology.simulate import (
    SUMMARY_STATISTICS,
    BiologyResult,
    session_segments,
    simulate,
)

__all__ = [
    "KNOWN_STIMULUS_FEATURES",
    "STANDARD_SPECIES",
    "SUMMARY_STATISTICS",
    "BiologyResult",
    "CellModel",
    "ParameterInfo",
    "Species",
    "describe_model",
    "list_models",
    "list_presets",
    "load_model",
    "model_inputs",
    "session_segments",
    "simulate",
]
