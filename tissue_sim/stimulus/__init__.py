"""Mechanical stimulus: strain history of every material point → named dose features.

Public names: :func:`compute_features` with :data:`FEATURE_NAMES`, :data:`FEATURE_UNITS`,
:data:`FEATURE_DESCRIPTIONS` and :data:`DEFAULT_EFFECTIVE_MEASURE`; :func:`require_feature`
to validate a feature name; :func:`layer_statistics` and :func:`weighted_percentiles` for
volume-weighted distributions per layer (:data:`STATISTICS` names them).
"""

from __future__ import annotations

from tissue_sim.geometry.layer_statistics import STATISTICS, layer_statistics, weighted_percentiles
from tissue_sim.stimulus.features import (
    DEFAULT_EFFECTIVE_MEASURE,
    FEATURE_DESCRIPTIONS,
    FEATURE_NAMES,
    FEATURE_UNITS,
    compute_features,
    require_feature,
)

__all__ = [
    "DEFAULT_EFFECTIVE_MEASURE",
    "FEATURE_DESCRIPTIONS",
    "FEATURE_NAMES",
    "FEATURE_UNITS",
    "STATISTICS",
    "compute_features",
    "layer_statistics",
    "require_feature",
    "weighted_percentiles",
]
