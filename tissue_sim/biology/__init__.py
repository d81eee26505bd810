"""Cell-response models and their batched stiff integrator."""

from __future__ import annotations

from tissue_sim.biology.model import (
    KNOWN_STIMULUS_FEATURES,
    MODELS_DIRECTORY,
    CellModel,
    ParameterInfo,
    Species,
    describe_model,
    list_models,
    list_presets,
    load_model,
)

__all__ = [
    "KNOWN_STIMULUS_FEATURES",
    "MODELS_DIRECTORY",
    "CellModel",
    "ParameterInfo",
    "Species",
    "describe_model",
    "list_models",
    "list_presets",
    "load_model",
]
