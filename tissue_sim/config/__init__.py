"""Scenario configuration: YAML → validated, frozen dataclasses in SI units."""

from __future__ import annotations

from tissue_sim.config.materials import (
    CompressionStiffeningLaw,
    FibreReinforcedLaw,
    HyperelasticLaw,
    NeoHookeanLaw,
    OgdenLaw,
    read_hyperelastic_law,
)
from tissue_sim.config.overrides import apply_overrides, parse_override
from tissue_sim.config.reader import MappingReader
from tissue_sim.config.scenario import (
    DEFAULT_CELL_MODELS,
    MESH_SIZES,
    BiologyConfig,
    MechanicsConfig,
    MeshConfig,
    OutputConfig,
    Scenario,
    StimulusConfig,
    load_config,
    scenario_from_mapping,
)
from tissue_sim.config.tissue import (
    LayerConfig,
    TissueConfig,
    list_tissue_presets,
    models_directory,
    read_tissue,
)
from tissue_sim.config.units import parse_quantity
from tissue_sim.config.yaml_io import read_yaml

__all__ = [
    "DEFAULT_CELL_MODELS",
    "MESH_SIZES",
    "BiologyConfig",
    "CompressionStiffeningLaw",
    "FibreReinforcedLaw",
    "HyperelasticLaw",
    "LayerConfig",
    "MappingReader",
    "MechanicsConfig",
    "MeshConfig",
    "NeoHookeanLaw",
    "OgdenLaw",
    "OutputConfig",
    "Scenario",
    "StimulusConfig",
    "TissueConfig",
    "apply_overrides",
    "list_tissue_presets",
    "load_config",
    "models_directory",
    "parse_override",
    "parse_quantity",
    "read_hyperelastic_law",
    "read_tissue",
    "read_yaml",
    "scenario_from_mapping",
]
