"""Tissue stacks: presets in ``models/tissues/*.yaml`` and per-scenario overrides.

A preset file lists the layers from the skin down (bone is the fixed base, not a
layer). Every number is a *sourced value* ``{value: ..., source: "..."}`` citing
``FACTS.md`` or saying ``assumption: <reason>``::

    name: lumbar
    description: Low back over the erector spinae.
    size: ["12 cm", "12 cm"]          # lateral size of the block
    layers:
      skin:
        thickness: {value: "3 mm", source: "..."}
        youngs_modulus: {value: "23.9 kPa", source: "..."}
        poisson_ratio: {value: 0.494, source: "..."}
        hyperelastic: {law: neo_hookean, ...}      # optional, for mechanics.model = hyperelastic
        fibre_angle: {value: "0 deg", source: "..."}  # optional in-plane fibre direction
      adipose: ...

A scenario picks a preset and may override any layer value, or define its own layers. A
``hyperelastic`` block that names its ``law`` replaces the preset's block; one without
``law`` changes single values of it. The merged block is read into its law's parameters
(:mod:`tissue_sim.config.materials`) here, so a bad block fails in ``load_config``::

    tissue:
      preset: lumbar
      size: ["10 cm", "10 cm"]
      layers:
        adipose: {thickness: "20 mm"}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tissue_sim.config.materials import (
    FibreReinforcedLaw,
    HyperelasticLaw,
    fibre_bisector,
    read_hyperelastic_law,
)
from tissue_sim.config.reader import MappingReader
from tissue_sim.config.viscoelastic import PronyTerms, read_layer_prony
from tissue_sim.config.yaml_io import read_yaml
from tissue_sim.errors import InputError, brief
from tissue_sim.resources import models_directory, tissue_presets_directory

__all__ = ["LayerConfig", "TissueConfig", "list_tissue_presets", "models_directory", "read_tissue"]

#: A layer name: it names HDF5 groups and report sections, so plain letters, digits, _.
LAYER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

LAYER_KEYS = (
    "thickness",
    "youngs_modulus",
    "poisson_ratio",
    "hyperelastic",
    "fibre_angle",
    "viscoelastic",
)


def list_tissue_presets() -> list[str]:
    """Names of the tissue presets in ``models/tissues`` (see :mod:`tissue_sim.resources`)."""
    return sorted(p.stem for p in tissue_presets_directory().glob("*.yaml"))


@dataclass(frozen=True)
class LayerConfig:
    """One layer of the stack.

    Attributes
    ----------
    name
        Layer name (``skin``, ``adipose``, ``fascia``, ``muscle`` …).
    thickness
        Thickness [m], > 0.
    youngs_modulus
        Young's modulus of the small-strain model [Pa], > 0.
    poisson_ratio
        Poisson's ratio, −1 < ν < 0.5.
    hyperelastic
        The parameters of the layer's finite-strain law (read from its ``hyperelastic``
        block, see :mod:`tissue_sim.config.materials`), or None.
    fibre_angle
        In-plane angle of the fibre direction from the x axis [rad], or None. The one
        direction the stimulus stage measures fibre stretch along; for a fibre-reinforced
        law it is the mean direction (:func:`~tissue_sim.config.materials.fibre_bisector`)
        of the law's fibre families: taken from the law when the layer gives none, and
        checked against it when it does.
    viscoelastic
        The layer's Prony series (its ``viscoelastic`` block, see
        :mod:`tissue_sim.config.viscoelastic`), or None (elastic).
    """

    name: str
    thickness: float
    youngs_modulus: float
    poisson_ratio: float
    hyperelastic: HyperelasticLaw | None = None
    fibre_angle: float | None = None
    viscoelastic: PronyTerms | None = None


@dataclass(frozen=True)
class TissueConfig:
    """The layered block.

    Attributes
    ----------
    preset
        Name of the preset the stack came from (``None`` for a custom stack).
    size
        Lateral size (L_x, L_y) [m].
    layers
        Layers from the skin (top) down.
    sources
        Key path → citation of every sourced number used.
    description
        The preset's description.
    """

    preset: str | None
    size: tuple[float, float]
    layers: tuple[LayerConfig, ...]
    sources: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Layer names, top first."""
        return tuple(layer.name for layer in self.layers)

    @property
    def depth(self) -> float:
        """Total thickness of the stack [m]."""
        return float(sum(layer.thickness for layer in self.layers))

    def fibre_directions(self) -> NDArray[np.float64] | None:
        """The unit in-plane fibre direction of every layer, ``(layers, 3)`` [-].

        ``(cos θ, sin θ, 0)`` of each layer's :attr:`LayerConfig.fibre_angle` θ; a zero row
        for a layer without fibres; ``None`` when no layer has any.
        """
        angles = [layer.fibre_angle for layer in self.layers]
        if all(angle is None for angle in angles):
            return None
        theta = np.array([np.nan if a is None else a for a in angles])
        directions = np.column_stack([np.cos(theta), np.sin(theta), np.zeros_like(theta)])
        return np.where(np.isnan(theta)[:, None], 0.0, directions)


def _read_layer(
    name: str,
    preset_reader: MappingReader | None,
    override_reader: MappingReader,
) -> LayerConfig:
    """Read one layer; a key given in the scenario wins over the preset's."""

    def pick(key: str) -> MappingReader:
        if override_reader.has(key) or preset_reader is None:
            return override_reader
        return preset_reader

    thickness = pick("thickness").quantity("thickness", "length", positive=True)
    youngs = pick("youngs_modulus").quantity("youngs_modulus", "pressure", positive=True)
    nu = pick("poisson_ratio").number(
        "poisson_ratio", minimum=-0.999999, maximum=0.5, maximum_exclusive=True
    )
    angle_reader = pick("fibre_angle")
    fibre_angle = (
        angle_reader.quantity("fibre_angle", "angle") if angle_reader.has("fibre_angle") else None
    )
    block_data: dict[str, Any] | None = None
    for reader in (preset_reader, override_reader):
        if reader is None or not reader.has("hyperelastic"):
            continue
        block = reader.raw("hyperelastic")
        if not isinstance(block, Mapping):
            raise reader.error("hyperelastic", "expected a mapping describing the material law")
        if block_data is None or "law" in block:
            block_data = dict(block)  # a block naming its law is a whole definition
        else:
            block_data.update(block)  # otherwise it changes single values of the preset's
    hyperelastic = (
        _read_hyperelastic(block_data, preset_reader, override_reader)
        if block_data is not None
        else None
    )
    if isinstance(hyperelastic, FibreReinforcedLaw):
        fibre_angle = _fibre_angle(hyperelastic, fibre_angle, angle_reader)
    prony = read_layer_prony(pick("viscoelastic"))
    for reader in (override_reader, preset_reader):
        if reader is not None:
            for key in LAYER_KEYS:
                if reader.has(key):
                    reader.raw(key)
            reader.finish()
    return LayerConfig(
        name=name,
        thickness=thickness,
        youngs_modulus=youngs,
        poisson_ratio=nu,
        hyperelastic=hyperelastic,
        fibre_angle=fibre_angle,
        viscoelastic=prony,
    )


def _fibre_angle(
    law: FibreReinforcedLaw, fibre_angle: float | None, angle_reader: MappingReader
) -> float:
    """The layer's fibre direction: the law's mean fibre direction, one source of truth."""
    mean = fibre_bisector(law.fibre_angles)
    if fibre_angle is None:
        return mean
    difference = (fibre_angle - mean + 0.5 * math.pi) % math.pi - 0.5 * math.pi
    if abs(difference) > 1e-9:
        families = ", ".join(f"{math.degrees(a):g} deg" for a in law.fibre_angles)
        raise angle_reader.error(
            "fibre_angle",
            f"{math.degrees(fibre_angle):g} deg disagrees with the mean direction "
            f"{math.degrees(mean):g} deg of the hyperelastic fibres ({families}); "
            "change both, or drop fibre_angle to take the law's",
        )
    return fibre_angle


def _read_hyperelastic(
    block: Mapping[str, Any],
    preset_reader: MappingReader | None,
    override_reader: MappingReader,
) -> HyperelasticLaw:
    """Read a layer's (merged) hyperelastic block, naming the file each key came from.

    The block is read whatever ``mechanics.model`` is, so that a mistake in a preset
    is reported by the preset file and line of keys, not later by the scenario.
    """
    path = override_reader.key_path("hyperelastic")
    try:
        return read_hyperelastic_law(
            MappingReader(dict(block), file=override_reader.file, path=path)
        )
    except InputError as error:
        given = (
            override_reader.data.get("hyperelastic")
            if override_reader.has("hyperelastic")
            else None
        )
        inner = ""
        if error.key and error.key.startswith(path + "."):
            inner = re.split(r"[.\[]", error.key[len(path) + 1 :])[0]
        # an error of the whole block (a value out of its law's range) is the scenario's
        # when the scenario changed any of the block's values
        from_scenario = isinstance(given, Mapping) and (
            "law" in given or (inner in given if inner else bool(given))
        )
        if from_scenario or preset_reader is None:
            raise InputError(error.message, file=override_reader.file, key=error.key) from None
        preset_path = preset_reader.key_path("hyperelastic")
        key = preset_path + (error.key[len(path) :] if error.key else "")
        raise InputError(error.message, file=preset_reader.file, key=key) from None


def read_tissue(reader: MappingReader) -> TissueConfig:
    """Read a scenario's ``tissue:`` section, expanding its preset.

    Parameters
    ----------
    reader
        Reader of the ``tissue`` mapping.

    Raises
    ------
    InputError
        Unknown preset, unknown layer or key, non-positive thickness, ν ≥ 0.5, wrong units.
    """
    preset_name = (
        reader.string("preset", None) if reader.has("preset") else reader.raw("preset", None)
    )
    preset_data: Mapping[str, Any] = {}
    preset_file: str | None = None
    sources: dict[str, str] = {}
    description = ""
    if preset_name is not None:
        available = list_tissue_presets()
        if preset_name not in available:
            raise reader.error(
                "preset",
                f"no tissue preset {brief(preset_name)}; available: {', '.join(available)}",
            )
        path = tissue_presets_directory() / f"{preset_name}.yaml"
        preset_file = str(path)
        preset_data = read_yaml(path)
        preset_root = MappingReader(preset_data, file=preset_file)
        description = preset_root.string("description", "")
        preset_root.raw("name", None)
        preset_root.raw("layers")
        preset_root.raw("size", None)
        preset_root.raw("references", None)
        preset_root.finish()
    scenario_layers = reader.sub("layers")
    preset_layers = (
        MappingReader(preset_data.get("layers"), file=preset_file, path="layers")
        if preset_name is not None
        else None
    )
    if preset_layers is not None:
        names = preset_layers.key_names()
        for key in scenario_layers.data:
            if key not in names:
                raise scenario_layers.error(
                    key,
                    f"no layer {brief(key)} in preset {brief(preset_name)}; "
                    f"layers: {', '.join(names)}",
                )
    else:
        names = scenario_layers.key_names()
        if not names:
            raise reader.error("layers", "give a preset or at least one layer")
    layers = []
    for name in names:
        if not LAYER_NAME.match(name):
            owner = preset_layers if preset_layers is not None else scenario_layers
            raise owner.error(
                None,
                f"layer name {brief(name)}: expected a letter, then letters, digits or _ "
                "(at most 40)",
            )
        preset_layer = preset_layers.sub(name) if preset_layers is not None else None
        override = scenario_layers.sub(name)
        layers.append(_read_layer(name, preset_layer, override))
        if preset_layer is not None:
            sources.update(preset_layer.sources)
        sources.update(override.sources)
    scenario_layers.finish()
    if preset_layers is not None:
        preset_layers.finish()
    if reader.has("size"):
        size = reader.quantity_list("size", "length", length=2)
    elif preset_data.get("size") is not None:
        size = MappingReader(preset_data, file=preset_file).quantity_list(
            "size", "length", length=2
        )
    else:
        depth = sum(layer.thickness for layer in layers)
        size = (2.0 * depth, 2.0 * depth)
    if any(not (s > 0 and math.isfinite(s)) for s in size):
        raise reader.error("size", f"expected two positive lengths, got {size}")
    reader.finish()
    return TissueConfig(
        preset=preset_name,
        size=(float(size[0]), float(size[1])),
        layers=tuple(layers),
        sources=sources,
        description=description,
    )
