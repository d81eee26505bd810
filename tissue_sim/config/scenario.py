"""A scenario: the validated, frozen, SI-unit description of one run.

``load_config(path, overrides)`` reads a scenario YAML, applies dotted ``--set``
overrides, expands the tissue preset, checks everything and returns a
:class:`Scenario`. Errors are :class:`~tissue_sim.errors.InputError` naming the file,
the key path and what was expected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tissue_sim.config.limits import MAX_COUNTS, Limits, check_limits, read_limits
from tissue_sim.config.loading import read_loading_and_schedule
from tissue_sim.config.overrides import apply_overrides
from tissue_sim.config.reader import MappingReader
from tissue_sim.config.remodelling import RemodellingConfig, read_remodelling
from tissue_sim.config.tissue import TissueConfig, read_tissue
from tissue_sim.config.viscoelastic import ViscoelasticConfig, read_viscoelastic
from tissue_sim.config.yaml_io import read_yaml
from tissue_sim.errors import InputError, brief
from tissue_sim.fem.solvers import METHODS as SOLVER_METHODS
from tissue_sim.loading import LoadingConfig, Schedule

__all__ = [
    "DEFAULT_CELL_MODELS",
    "MESH_SIZES",
    "BiologyConfig",
    "MechanicsConfig",
    "MeshConfig",
    "OutputConfig",
    "Scenario",
    "StimulusConfig",
    "hash_resolved",
    "load_config",
    "scenario_from_mapping",
]

#: A scenario name: it names the output folder ``results/<name>``, so it is one plain
#: path component (letters, digits, ``_ . -``; not starting with a dot).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
#: A cell-model name in ``models/cells`` (otherwise the path of a ``.yaml`` file).
_MODEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")

#: Effective strain measures a scenario may pick (``stimulus.effective_measure``): the keys
#: of :data:`tissue_sim.mechanics.strain_measures.EFFECTIVE_STRAIN_MEASURES` (a test checks
#: they agree; config does not import mechanics).
EFFECTIVE_MEASURES = ("max_principal_strain", "max_shear_strain", "octahedral_shear_strain")

#: Named mesh sizes → element size under the contact patch [m].
MESH_SIZES: dict[str, float] = {"coarse": 6e-3, "medium": 3e-3, "fine": 1.5e-3}


@dataclass(frozen=True)
class MeshConfig:
    """Mesh settings.

    Attributes
    ----------
    element
        ``Q1`` (default), ``Q2``, ``P1`` or ``P2``.
    size
        Lateral element size under the loaded area [m] (``coarse`` 6 mm, ``medium``
        3 mm, ``fine`` 1.5 mm).
    size_name
        The named size if one was given.
    growth
        Ratio between neighbouring element sizes away from the load.
    max_size
        Largest element size [m].
    min_layer_elements
        Elements through every layer, at least.
    margin
        Refined margin around the loaded footprint [m].
    """

    element: str = "Q1"
    size: float = MESH_SIZES["medium"]
    size_name: str | None = "medium"
    growth: float = 1.3
    max_size: float | None = None
    min_layer_elements: int = 2
    margin: float = 5e-3


@dataclass(frozen=True)
class MechanicsConfig:
    """Mechanics settings.

    Attributes
    ----------
    model
        ``linear`` (small strain) or ``hyperelastic`` (finite strain).
    formulation
        ``mixed`` (locking-free, default) or ``displacement``.
    sides
        Lateral boundary: ``roller`` (normal displacement zero) or ``free``.
    solver
        ``auto``, ``direct``, ``pardiso``, ``cholmod``, ``superlu``, ``amg``, ``petsc``
        or ``mumps`` (see :mod:`tissue_sim.fem.solvers`).
    rtol
        Relative residual tolerance of iterative solves.
    max_iterations
        Largest number of CG iterations per solve.
    solver_options
        Options of the solver: PETSc options (``petsc``/``mumps``, names without the
        dash, e.g. ``pc_gamg_threshold: 0.02``) or pyamg keywords (``amg``).
    viscoelastic
        Prony-series layers integrated in real time (``enabled: False`` by default; see
        :mod:`tissue_sim.config.viscoelastic`).
    """

    model: str = "linear"
    formulation: str = "mixed"
    sides: str = "roller"
    solver: str = "auto"
    rtol: float = 1e-8
    max_iterations: int = 2000
    solver_options: dict[str, Any] = field(default_factory=dict)
    viscoelastic: ViscoelasticConfig = field(default_factory=ViscoelasticConfig)


@dataclass(frozen=True)
class StimulusConfig:
    """How strain histories become dose features.

    Attributes
    ----------
    effective_measure
        ``max_principal_strain``, ``max_shear_strain`` or ``octahedral_shear_strain``.
    threshold
        Effective-strain threshold of ``time_above_threshold`` [-].
    """

    effective_measure: str = "max_principal_strain"
    threshold: float = 0.01


#: The cell models a scenario composes unless it names others.
DEFAULT_CELL_MODELS = (
    "fibroblast_mechanotransduction",
    "tgfb1_fibrosis",
    "macrophage_polarisation",
)


@dataclass(frozen=True)
class BiologyConfig:
    """Cell-response settings (validated against the model files by the pipeline).

    Attributes
    ----------
    enabled
        Run the biology stage.
    models
        Model files from ``models/cells`` composed into one system.
    initial_state
        Initial-state preset (``healthy``, ``acute_exercise_damage``, ``chronic_overuse``).
    parameters
        Parameter overrides ``"model.name" → value`` (number in SI or string with unit).
    output_times
        Times of the full fields [s]; ``None``: the end of every day.
    summary_interval
        Spacing of the per-layer time courses outside sessions [s].
    session_resolution
        Spacing of the per-layer time courses inside sessions [s].
    rtol
        Relative tolerance of the integrator.
    remodelling
        Fibrosis → stiffness feedback between sessions (``None``: off; see
        :mod:`tissue_sim.config.remodelling`).
    diffusion
        Let the species whose model file gives a ``diffusion`` entry spread between the
        cells (default ``False``: every cell is an isolated system; opt-in because on the
        default scenario it multiplies the biology stage's CPU 6.5-8.3x while moving the
        per-layer treated/untreated ratios by up to ~0.01, e.g. loose fascia TNF-α 0.908 →
        0.918, on meshes that do not resolve it: refined vertically the effect is about
        twice that; docs/biology.md, "Default and cost" and "Resolution").
    """

    enabled: bool = True
    models: tuple[str, ...] = DEFAULT_CELL_MODELS
    initial_state: str = "healthy"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    output_times: tuple[float, ...] | None = None
    summary_interval: float = 3600.0
    session_resolution: float = 60.0
    rtol: float = 1e-5
    remodelling: RemodellingConfig | None = None
    diffusion: bool = False


@dataclass(frozen=True)
class OutputConfig:
    """What a run writes beside ``result.h5``.

    Attributes
    ----------
    figures
        Write pictures into ``figures/``.
    report
        Write ``report.html``.
    """

    figures: bool = True
    report: bool = True


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (all quantities SI).

    Attributes
    ----------
    name, description
        Identification.
    tissue, mesh, mechanics, loading, schedule, stimulus, biology, output
        The sections.
    source_file
        The YAML file it was read from (``None`` when built from a mapping).
    raw
        The scenario mapping after overrides (what the user wrote).
    overrides
        The ``--set`` strings applied.
    limits
        The size limits the scenario was checked against (``limits:``; they do not
        change the results, so they are not part of :meth:`resolved`).
    """

    name: str
    description: str
    tissue: TissueConfig
    mesh: MeshConfig
    mechanics: MechanicsConfig
    loading: LoadingConfig
    schedule: Schedule
    stimulus: StimulusConfig = field(default_factory=StimulusConfig)
    biology: BiologyConfig = field(default_factory=BiologyConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    source_file: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)

    def resolved(self) -> dict[str, Any]:
        """Every setting after defaults, presets and overrides, as plain data (SI units)."""
        out: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name in ("raw", "source_file", "overrides", "limits"):
                continue
            out[item.name] = _plain(getattr(self, item.name))
        return out

    def resolved_yaml(self) -> str:
        """:meth:`resolved` as YAML text (what a result stores as its ``config``)."""
        return yaml.safe_dump(self.resolved(), sort_keys=False)

    def source_yaml(self) -> str:
        """The scenario file's mapping as read (before overrides), as YAML text."""
        return yaml.safe_dump(dict(self.raw), sort_keys=False)

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`resolved` (identifies a run's inputs)."""
        return hash_resolved(self.resolved())


def hash_resolved(resolved: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a resolved scenario (:meth:`Scenario.config_hash`).

    ``tissue-sim verify`` recomputes it from the ``config`` a result stores.
    """
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__}
        for item in dataclasses.fields(value):
            out[item.name] = _plain(getattr(value, item.name))
        return out
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _read_mesh(reader: MappingReader) -> MeshConfig:
    element = reader.choice("element", ("Q1", "Q2", "P1", "P2"), "Q1")
    size_value = reader.raw("size", "medium")
    if isinstance(size_value, str) and size_value in MESH_SIZES:
        size, size_name = MESH_SIZES[size_value], size_value
    elif isinstance(size_value, str) and size_value.isidentifier():
        raise reader.error(
            "size",
            f"expected coarse, medium, fine or a length such as '2 mm', got {brief(size_value)}",
        )
    else:
        size = reader.quantity("size", "length", positive=True)
        size_name = None
    growth = reader.number("growth", 1.3, minimum=1.0, maximum=3.0)
    max_size = (
        reader.quantity("max_size", "length", None, positive=True)
        if reader.has("max_size")
        else None
    )
    min_layer = reader.integer(
        "min_layer_elements", 2, minimum=1, maximum=MAX_COUNTS["min_layer_elements"]
    )
    margin = reader.quantity("margin", "length", "5 mm", non_negative=True)
    reader.finish()
    return MeshConfig(element, size, size_name, growth, max_size, min_layer, margin)


def _read_mechanics(reader: MappingReader) -> MechanicsConfig:
    config = MechanicsConfig(
        model=reader.choice("model", ("linear", "hyperelastic"), "linear"),
        formulation=reader.choice("formulation", ("mixed", "displacement"), "mixed"),
        sides=reader.choice("sides", ("roller", "free"), "roller"),
        solver=reader.choice("solver", SOLVER_METHODS, "auto"),
        rtol=reader.number("rtol", 1e-8, positive=True, maximum=1e-2),
        max_iterations=reader.integer(
            "max_iterations", 2000, minimum=1, maximum=MAX_COUNTS["max_iterations"]
        ),
        solver_options=_read_solver_options(reader),
        viscoelastic=read_viscoelastic(reader),
    )
    reader.finish()
    return config


def _read_solver_options(reader: MappingReader) -> dict[str, Any]:
    options = reader.raw("solver_options", {}) or {}
    if not isinstance(options, Mapping):
        raise reader.error("solver_options", f"expected a mapping, got {options!r}")
    for key, value in options.items():
        if not isinstance(value, str | int | float | bool):
            raise reader.error(
                "solver_options", f"option {key!r}: expected a number, string or boolean"
            )
    return {str(key): value for key, value in options.items()}


def _read_stimulus(reader: MappingReader) -> StimulusConfig:
    config = StimulusConfig(
        effective_measure=reader.choice(
            "effective_measure", EFFECTIVE_MEASURES, "max_principal_strain"
        ),
        threshold=reader.number("threshold", 0.01, non_negative=True),
    )
    reader.finish()
    return config


def _read_biology(reader: MappingReader) -> BiologyConfig:
    enabled = reader.boolean("enabled", True)
    models_value = reader.raw("models", list(DEFAULT_CELL_MODELS))
    if isinstance(models_value, str):
        models_value = [models_value]
    if not isinstance(models_value, list) or not all(isinstance(m, str) for m in models_value):
        raise reader.error("models", f"expected a list of model names, got {brief(models_value)}")
    if not models_value:
        raise reader.error("models", "expected at least one cell model")
    for index, item in enumerate(models_value):
        _check_model_reference(reader, f"models[{index}]", item)
    initial_state = reader.string("initial_state", "healthy")
    parameters: dict[str, Any] = {}
    overrides = reader.sub("parameters")
    for model_name in overrides.key_names():
        block = overrides.sub(model_name)
        for name in block.key_names():
            value = block.raw(name)
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise block.error(name, f"expected a number or a quantity, got {brief(value)}")
            if isinstance(value, float) and not math.isfinite(value):
                raise block.error(name, f"expected a finite number, got {brief(value)}")
            parameters[f"{model_name}.{name}"] = value
        block.finish()
    overrides.finish()
    output_value = reader.raw("output_times", "daily")
    output_times: tuple[float, ...] | None
    if output_value == "daily":
        output_times = None
    else:
        output_times = reader.quantity_list("output_times", "time")
        if any(t < 0 for t in output_times):
            raise reader.error("output_times", "expected non-negative times")
    config = BiologyConfig(
        enabled=enabled,
        models=tuple(models_value),
        initial_state=initial_state,
        parameters=parameters,
        output_times=output_times,
        summary_interval=reader.quantity("summary_interval", "time", "1 h", positive=True),
        session_resolution=reader.quantity("session_resolution", "time", "1 min", positive=True),
        rtol=reader.number("rtol", 1e-5, positive=True, maximum=1e-2),
        remodelling=read_remodelling(reader.sub("remodelling"))
        if reader.has("remodelling")
        else None,
        diffusion=reader.boolean("diffusion", False),
    )
    reader.finish()
    return config


def _check_model_reference(reader: MappingReader, key: str, item: str) -> None:
    """A model is a name from ``models/cells`` or the path of a regular ``.yaml`` file.

    Nothing else is opened, so that ``biology.models: [/etc/passwd]`` neither reads nor
    prints another file.
    """
    if _MODEL_NAME.match(item):
        return
    expected = "a cell-model name (such as tgfb1_fibrosis) or the path of a .yaml model file"
    if not item.endswith((".yaml", ".yml")):
        raise reader.error(key, f"expected {expected}, got {brief(item)}")
    path = Path(item)
    if not path.is_file():
        raise reader.error(key, f"model file not found (or not a regular file): {brief(item)}")


def _read_name(reader: MappingReader, file: str | None) -> str:
    default = Path(file).stem if file else "scenario"
    if not reader.has("name") and not NAME_PATTERN.match(default):
        default = "scenario"
    name = reader.string("name", default)
    if not NAME_PATTERN.match(name):
        raise reader.error(
            "name",
            "expected a name of letters, digits, _ . - (at most 100, not starting with a "
            f"dot: it names the output folder), got {brief(name)}",
        )
    return name


def _read_output(reader: MappingReader) -> OutputConfig:
    config = OutputConfig(
        figures=reader.boolean("figures", True), report=reader.boolean("report", True)
    )
    reader.finish()
    return config


def scenario_from_mapping(
    data: Mapping[str, Any],
    *,
    file: str | None = None,
    overrides: Sequence[str] = (),
) -> Scenario:
    """Validate a scenario mapping (as read from YAML) into a :class:`Scenario`.

    Parameters
    ----------
    data
        The scenario mapping.
    file
        File name for error messages.
    overrides
        ``key=value`` strings applied before validation.
    """
    merged, override_keys = apply_overrides(data, overrides)
    try:
        return _build(merged, file, tuple(overrides))
    except InputError as error:
        key = error.key or ""
        for override_key in override_keys:
            related = key == override_key or key.startswith(
                (override_key + ".", override_key + "[")
            )
            if related or (key and override_key.startswith(key + ".")):
                where = f"{file} (--set {override_key})" if file else f"--set {override_key}"
                raise type(error)(error.message, file=where, key=error.key) from None
        raise


def _build(data: Mapping[str, Any], file: str | None, overrides: tuple[str, ...]) -> Scenario:
    root = MappingReader(data, file=file)
    name = _read_name(root, file)
    description = root.string("description", "")
    tissue = read_tissue(root.sub("tissue"))
    mesh = _read_mesh(root.sub("mesh"))
    mechanics = _read_mechanics(root.sub("mechanics"))
    # read_loading checks that every patch and path stays on the block's skin
    loading, schedule = read_loading_and_schedule(root, block_size=tissue.size)
    stimulus = _read_stimulus(root.sub("stimulus"))
    biology = _read_biology(root.sub("biology"))
    output = _read_output(root.sub("output"))
    limits = read_limits(root.sub("limits"))
    root.finish()
    scenario = Scenario(
        name=name,
        description=description,
        tissue=tissue,
        mesh=mesh,
        mechanics=mechanics,
        loading=loading,
        schedule=schedule,
        stimulus=stimulus,
        biology=biology,
        output=output,
        source_file=file,
        raw=dict(data),
        overrides=overrides,
        limits=limits,
    )
    check_limits(scenario, limits, file=file)
    return scenario


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path
        The scenario file.
    overrides
        Dotted ``key=value`` overrides, e.g. ``['loading.pressure="20 kPa"']``.

    Returns
    -------
    Scenario
        The validated scenario, all quantities in SI units.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected.
    """
    data = read_yaml(path)
    return scenario_from_mapping(data, file=str(path), overrides=overrides)
