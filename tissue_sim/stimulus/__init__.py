"""Mechanical stimulus: strain history of every material point → named dose features.

Public names: :func:`compute_features` with :data:`FEATURE_NAMES`, :data:`FEATURE_UNITS`,
:data:`FEATURE_DESCRIPTIONS` and :data:`DEFAULT_EFFECTIVE_MEASURE`; level features named
``<kind>_above_<level>`` (:func:`parse_level_feature`, :func:`level_feature_name`,
:data:`LEVEL_FEATURE_KINDS`); :func:`is_feature`, :func:`feature_unit`,
:func:`feature_description` and :func:`require_feature` to check and describe a feature
name; :func:`layer_statistics` and :func:`weighted_percentiles` for
volume-weighted distributions per layer (:data:`STATISTICS` names them).
"""

from __future__ import annotations

from tissue_sim.geometry.layer_statistics import STATISTICS, layer_statistics, weighted_percentiles
from tissue_sim.stimulus._levels import (
    LEVEL_FEATURE_KINDS,
    level_feature_name,
    parse_level_feature,
)
from tissue_sim.stimulus.features import (
    DEFAULT_EFFECTIVE_MEASURE,
    FEATURE_DESCRIPTIONS,
    FEATURE_NAMES,
    FEATURE_UNITS,
    compute_features,
    feature_description,
    feature_unit,
    is_feature,
    require_feature,
)

__all__ = [
    "DEFAULT_EFFECTIVE_MEASURE",
    "FEATURE_DESCRIPTIONS",
    "FEATURE_NAMES",
    "FEATURE_UNITS",
    "LEVEL_FEATURE_KINDS",
    "STATISTICS",
    "compute_features",
    "feature_description",
    "feature_unit",
    "is_feature",
    "layer_statistics",
    "level_feature_name",
    "parse_level_feature",
    "require_feature",
    "weighted_percentiles",
]
