"""The explorer's fast model: controls → strain section and treatment effect.

:class:`ExploreModel` keeps one mechanics entry per (preset, technique, adipose
thickness) — the mesh, the technique's unit load patterns and the strain model
(:mod:`tissue_sim.explore.mechanics`), built on first use and cached in memory and on
disk — and answers :meth:`ExploreModel.answer` for any controls: interpolated strain
history → the run's dose features (:func:`tissue_sim.stimulus.compute_features`) → the
live biology of the dose classes with its untreated control
(:mod:`tissue_sim.explore.course`).

This is a thin orchestration of the public stage functions (the pipeline's ``run``
solves one scenario from scratch; the explorer needs the mechanics of many loads on one
mesh and the biology of many courses on one set of doses).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import CellModel, model_inputs
from tissue_sim.config import MappingReader, Scenario, read_tissue, scenario_from_mapping
from tissue_sim.explore.controls import (
    REFERENCE_PRESSURE,
    Controls,
    mechanics_key,
    scenario_mapping,
)
from tissue_sim.explore.course import DoseClasses, dose_classes, integrate_course
from tissue_sim.explore.mechanics import (
    FiniteStrainGrid,
    LinearPatterns,
    TechniquePatterns,
    build_strain_model,
    technique_patterns,
)
from tissue_sim.geometry.mesh import Mesh, cell_volumes_linear
from tissue_sim.io import BiologyOutput
from tissue_sim.pipeline import build_mesh, prepare
from tissue_sim.stimulus import FEATURE_UNITS, compute_features

__all__ = ["Answer", "ExploreModel", "ExploreSettings", "MechanicsEntry"]

FloatArray = NDArray[np.float64]
#: progress(message, fraction in [0, 1])
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ExploreSettings:
    """How the explorer computes.

    Attributes
    ----------
    mechanics_model
        ``"hyperelastic"`` (finite strain, a precomputed grid) or ``"linear"``
        (superposition, exact).
    pressures
        Grid pressures of the finite-strain ladder [Pa].
    ratios
        Grid shear ratios [-].
    classes
        Dose classes per layer of the live biology.
    cache_dir
        Folder of the cached grids (``None``: memory only).
    """

    mechanics_model: str = "hyperelastic"
    pressures: tuple[float, ...] = (2.5e3, 5e3, 10e3, 20e3, 40e3)
    ratios: tuple[float, ...] = (0.0, 0.25, 0.5)
    classes: int = 12
    cache_dir: Path | None = None


@dataclass
class MechanicsEntry:
    """The mechanics of one (preset, technique, adipose thickness).

    Attributes
    ----------
    mesh
        The mesh.
    patterns
        The technique's unit load patterns.
    strain_model
        Strain at any load (superposition or grid).
    cell_volume
        ``(m,)`` [m³].
    adipose_thickness
        The adipose thickness of this mesh [m].
    seconds
        Wall time to build it [s] (0 when read from the cache).
    from_cache
        Whether the strain model was read from the disk cache.
    """

    mesh: Mesh
    patterns: TechniquePatterns
    strain_model: LinearPatterns | FiniteStrainGrid
    cell_volume: FloatArray
    adipose_thickness: float
    seconds: float
    from_cache: bool = False


@dataclass
class Answer:
    """What the page shows for one set of controls.

    Attributes
    ----------
    controls
        The controls (the pressure clipped to what the mechanics reached).
    scenario
        The scenario of the controls.
    entry
        The mechanics entry used.
    features
        Dose features of every cell ``name → (m,)``.
    dose
        ``(m,)`` the peak effective strain over one cycle [-] (what the section shows).
    biology
        Treated course and untreated control per layer (dose classes).
    timings
        Wall time per step of the answer [s].
    notes
        Plain sentences the page must show (a clipped pressure, a grid limit).
    """

    controls: Controls
    scenario: Scenario
    entry: MechanicsEntry
    features: dict[str, FloatArray]
    dose: FloatArray
    biology: BiologyOutput
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def method(self) -> str:
        """How the numbers were obtained (one sentence)."""
        return self.entry.strain_model.describe()


def preset_adipose_thickness(preset: str) -> float:
    """The adipose thickness of a tissue preset [m]."""
    tissue = read_tissue(
        MappingReader({"preset": preset}, file="<tissue-sim explore>", path="tissue")
    )
    for layer in tissue.layers:
        if layer.name == "adipose":
            return float(layer.thickness)
    raise ValueError(f"preset {preset!r} has no adipose layer")


def _fibre_directions(scenario: Scenario, mesh: Mesh) -> FloatArray | None:
    """Fibre direction per cell from the layers' fibre angles (as a run sets them)."""
    angles = [layer.fibre_angle for layer in scenario.tissue.layers]
    if all(angle is None for angle in angles):
        return None
    per_layer = np.zeros((len(angles), 3))
    for index, angle in enumerate(angles):
        if angle is not None:
            per_layer[index] = (np.cos(angle), np.sin(angle), 0.0)
    return per_layer[mesh.cell_layer]


class ExploreModel:
    """Controls → answers, with the mechanics cached per (preset, technique, thickness).

    Parameters
    ----------
    settings
        How to compute.
    """

    def __init__(self, settings: ExploreSettings | None = None) -> None:
        self.settings = settings or ExploreSettings()
        self._entries: dict[tuple[str, str, float], MechanicsEntry] = {}
        self._cell_model: CellModel | None = None
        self._lock = threading.Lock()
        self._thickness: dict[str, float] = {}

    # -- scenarios ----------------------------------------------------------------------
    def adipose_thickness(self, preset: str) -> float:
        """The preset's adipose thickness [m] (cached)."""
        if preset not in self._thickness:
            self._thickness[preset] = preset_adipose_thickness(preset)
        return self._thickness[preset]

    def scenario(
        self, controls: Controls, *, pressure: float | None = None, ratio: float | None = None
    ) -> Scenario:
        """The validated scenario of the controls (optionally at another load)."""
        mapping = scenario_mapping(
            controls,
            adipose_thickness=self.adipose_thickness(controls.preset),
            mechanics_model=self.settings.mechanics_model,
            pressure=pressure,
            shear_ratio=ratio,
        )
        return scenario_from_mapping(mapping, file="<tissue-sim explore>")

    def cell_model(self, scenario: Scenario) -> CellModel:
        """The composed cell model (loaded once)."""
        if self._cell_model is None:
            prepared = prepare(scenario)
            if prepared.cell_model is None:
                raise ValueError("the explorer needs the biology on")
            self._cell_model = prepared.cell_model
        return self._cell_model

    # -- mechanics ----------------------------------------------------------------------
    def _cache_path(self, scenario: Scenario) -> Path | None:
        if self.settings.cache_dir is None:
            return None
        from tissue_sim import __version__

        resolved = scenario.resolved()
        key = {
            "tissue": resolved.get("tissue"),
            "mesh": resolved.get("mesh"),
            "mechanics": resolved.get("mechanics"),
            "loading": resolved.get("loading"),
            "pressures": list(self.settings.pressures),
            "ratios": list(self.settings.ratios),
            "version": __version__,
            "format": _CACHE_FORMAT,
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[
            :20
        ]
        return Path(self.settings.cache_dir) / f"grid-{digest}.npz"

    def mechanics(self, controls: Controls, progress: Progress | None = None) -> MechanicsEntry:
        """The mechanics entry of the controls' preset, technique and thickness.

        Built on first use (the finite-strain grid takes tens of seconds to minutes),
        then kept in memory and, with ``cache_dir``, on disk.
        """
        key = mechanics_key(controls)
        with self._lock:
            if key in self._entries:
                return self._entries[key]
            start = time.perf_counter()
            # patterns are read at the reference pressure and shear ratio 1
            reference = self.scenario(controls, pressure=REFERENCE_PRESSURE, ratio=1.0)
            mesh = build_mesh(reference)
            patterns = technique_patterns(reference, mesh, 1.0)
            path = self._cache_path(reference)
            strain_model = _read_cache(path) if path is not None else None
            from_cache = strain_model is not None
            if strain_model is None:
                strain_model = build_strain_model(
                    reference,
                    patterns,
                    pressures=self.settings.pressures,
                    ratios=self.settings.ratios,
                    progress=None
                    if progress is None
                    else (lambda done: progress("mechanics", done)),
                )
                if path is not None:
                    _write_cache(path, strain_model)
            entry = MechanicsEntry(
                mesh=mesh,
                patterns=patterns,
                strain_model=strain_model,
                cell_volume=cell_volumes_linear(mesh),
                adipose_thickness=self.adipose_thickness(controls.preset)
                * controls.thickness_factor,
                seconds=time.perf_counter() - start,
                from_cache=from_cache,
            )
            self._entries[key] = entry
            return entry

    # -- answers ------------------------------------------------------------------------
    def answer(self, controls: Controls, progress: Progress | None = None) -> Answer:
        """Strain, dose and the treatment effect for ``controls``.

        Parameters
        ----------
        controls
            The page's controls.
        progress
            Called with (stage, fraction) while a mechanics grid is built.
        """
        timings: dict[str, float] = {}
        notes: list[str] = []
        mark = time.perf_counter()
        entry = self.mechanics(controls, progress)
        timings["mechanics"] = time.perf_counter() - mark
        limit = entry.strain_model.pressure_limit
        if controls.pressure > limit:
            notes.append(
                f"the finite-strain solve reached {limit / 1000:g} kPa on this stack, not "
                f"{controls.pressure / 1000:g} kPa: shown at {limit / 1000:g} kPa"
            )
            controls = controls.with_changes(pressure=limit)
        if isinstance(entry.strain_model, FiniteStrainGrid):
            top = float(entry.strain_model.ratios[-1])
            if controls.shear_ratio > top:
                notes.append(f"shear ratio above the grid's {top:g}: shown at {top:g}")
                controls = controls.with_changes(shear_ratio=top)
        mark = time.perf_counter()
        scenario = self.scenario(controls)
        timings["scenario"] = time.perf_counter() - mark
        mark = time.perf_counter()
        strain = entry.strain_model.strain(controls.pressure, controls.shear_ratio)
        timings["interpolation"] = time.perf_counter() - mark
        mark = time.perf_counter()
        model = self.cell_model(scenario)
        levels = model_inputs(list(scenario.biology.models))
        step = scenario.loading.steps[0]
        features = compute_features(
            strain,
            entry.patterns.frame_times,
            cycle_period=entry.patterns.cycle_period,
            threshold=scenario.stimulus.threshold,
            session_duration=step.duration,
            effective_measure=scenario.stimulus.effective_measure,
            fibre_directions=_fibre_directions(scenario, entry.mesh),
            green_lagrange=scenario.mechanics.model == "hyperelastic",
            level_features=[name for name in levels if name not in FEATURE_UNITS],
        )
        dose = np.asarray(features["effective_strain_peak"])
        timings["stimulus"] = time.perf_counter() - mark
        mark = time.perf_counter()
        classes: DoseClasses = dose_classes(
            dose, entry.mesh.cell_layer, entry.cell_volume, self.settings.classes
        )
        biology = integrate_course(scenario, model, features, classes, entry.mesh.layer_names)
        timings["biology"] = time.perf_counter() - mark
        return Answer(controls, scenario, entry, features, dose, biology, timings, notes)


#: Version of the cache files' layout (part of their key).
_CACHE_FORMAT = 2


def _write_cache(path: Path, model: LinearPatterns | FiniteStrainGrid) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    if isinstance(model, LinearPatterns):
        np.savez(
            temporary,
            kind="linear",
            normal=model.normal,
            tangential=model.tangential,
            setup_seconds=model.setup_seconds,
        )
    else:
        np.savez(
            temporary,
            kind="hyperelastic",
            pressures=model.pressures,
            ratios=model.ratios,
            strains=model.strains,
            reached=model.reached,
            setup_seconds=model.setup_seconds,
            newton_iterations=model.newton_iterations,
            failures=np.asarray(model.failures, dtype=str),
            frame_factors=np.zeros(0) if model.frame_factors is None else model.frame_factors,
        )
    temporary.replace(path)


def _read_cache(path: Path) -> LinearPatterns | FiniteStrainGrid | None:
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            if str(data["kind"]) == "linear":
                return LinearPatterns(
                    data["normal"], data["tangential"], float(data["setup_seconds"])
                )
            factors = np.asarray(data["frame_factors"])
            return FiniteStrainGrid(
                pressures=data["pressures"],
                ratios=data["ratios"],
                strains=data["strains"],
                reached=data["reached"],
                setup_seconds=float(data["setup_seconds"]),
                newton_iterations=int(data["newton_iterations"]),
                failures=[str(item) for item in data["failures"]],
                frame_factors=factors if factors.size else None,
            )
    except (OSError, KeyError, ValueError):
        return None  # a damaged or older cache file is recomputed
