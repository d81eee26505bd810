"""The in-memory result of a run: plain arrays grouped by stage.

Built by :func:`tissue_sim.pipeline.run`, written by :func:`tissue_sim.io.write_result`
and read back by :func:`tissue_sim.io.read_result`. ``docs/results-format.md``
documents the matching HDF5 layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tissue_sim.geometry.layer_statistics import STATISTICS
from tissue_sim.loading import ContactPatch, LoadFrame, PatchLoad, TechniqueStep

if TYPE_CHECKING:
    from tissue_sim.remodelling.output import RemodellingOutput

__all__ = [
    "BIOLOGY_COLUMNS",
    "FALLBACK_REPORT_SPECIES",
    "STATISTICS_COLUMNS",
    "BiologyOutput",
    "LoadingOutput",
    "MechanicsOutput",
    "MeshOutput",
    "RunResult",
    "StimulusOutput",
]

FloatArray = NDArray[np.float64]

#: Columns of every ``layer_stats`` dataset: the layer statistics' own constant, not a copy
#: (read a column by name with :func:`tissue_sim.geometry.layer_statistics.stat`).
STATISTICS_COLUMNS = STATISTICS
#: Columns of every biology layer summary (treated, control and effect).
BIOLOGY_COLUMNS = ("mean", "p10", "p90")
#: Species shown first for a result written before model files declared their report
#: species (format versions 1 and 2: the shipped models' key species that it has, in this
#: order); a model without a ``report`` section is shown by its first species.
FALLBACK_REPORT_SPECIES = (
    "tgfb1_latent",
    "tgfb1_active",
    "myofibroblast",
    "collagen",
    "il6",
    "il1b",
    "m1",
    "m2",
)


@dataclass
class MeshOutput:
    """The mesh as written to ``/mesh``.

    Attributes
    ----------
    points
        Node coordinates ``(n, 3)`` [m].
    cells
        Node indices per cell in basix order ``(m, k)``.
    linear_cells
        Vertex-only connectivity ``(m, 4|8)`` (VTK/XDMF order for the linear cell).
    element
        ``P1``, ``P2``, ``Q1`` or ``Q2``.
    cell_layer
        Layer index per cell ``(m,)``.
    layer_names
        Layer names, top first.
    cell_volume
        Cell volumes ``(m,)`` [m³].
    interfaces
        Layer interface heights, bottom to top [m].
    """

    points: FloatArray
    cells: NDArray[np.int64]
    linear_cells: NDArray[np.int64]
    element: str
    cell_layer: NDArray[np.int32]
    layer_names: tuple[str, ...]
    cell_volume: FloatArray
    interfaces: tuple[float, ...]


@dataclass
class MechanicsOutput:
    """Mechanics of every load frame (frames of all techniques, concatenated).

    Attributes
    ----------
    frame_time
        Time of each frame within its technique's cycle ``(K,)`` [s].
    frame_step
        Index of the technique (session step) each frame belongs to ``(K,)``.
    step_names
        Technique name of each step.
    displacement
        ``(K, n, 3)`` [m].
    cell_strain, cell_stress
        ``(K, m, 3, 3)`` [-] and [Pa].
    cell_scalars
        Derived scalar fields ``name → (K, m)`` (principal, shear, octahedral and
        volumetric strains, von Mises stress, strain-energy density).
    applied_force, base_reaction
        ``(K, 3)`` [N].
    layer_stats
        ``layer → quantity → (K, 5)`` columns :data:`STATISTICS_COLUMNS`.
    units
        Unit of every cell scalar.
    solver
        Solver statistics (method, set-up time, iterations per solve).
    model
        ``linear`` or ``hyperelastic``.
    """

    frame_time: FloatArray
    frame_step: NDArray[np.int32]
    step_names: tuple[str, ...]
    displacement: FloatArray
    cell_strain: FloatArray
    cell_stress: FloatArray
    cell_scalars: dict[str, FloatArray]
    applied_force: FloatArray
    base_reaction: FloatArray
    layer_stats: dict[str, dict[str, FloatArray]]
    units: dict[str, str]
    solver: dict[str, Any] = field(default_factory=dict)
    model: str = "linear"


@dataclass
class LoadingOutput:
    """The skin loads of every mechanics frame, and each technique in words (``/loading``).

    Every patch load of every frame is one row ``l`` of the per-load arrays (a frame with
    the hand lifted has none); :meth:`frames` rebuilds the load frames exactly, so the
    traction anywhere on the skin is :func:`tissue_sim.loading.surface_traction` of them.

    Attributes
    ----------
    frame_time
        Time of each load frame within its technique's cycle ``(K,)`` [s] (the frames of
        ``result.mechanics``, in the same order).
    load_frame
        Frame of each patch load ``(L,)``.
    centre, semi_axes
        Patch centre and semi-axes ``(L, 2)`` [m].
    orientation
        Angle of the patch axis from x ``(L,)`` [rad].
    profile, shape
        Pressure profile and outline of each patch ``(L,)``.
    edge_width
        Relative width of the smooth profile's edge taper ``(L,)`` [-].
    pressure
        Mean normal pressure ``(L,)`` [Pa].
    shear
        Mean tangential traction ``(L, 2)`` [Pa].
    step_names
        Technique name of each session step ``(S,)``.
    step_descriptions
        Each technique in plain words (:meth:`tissue_sim.loading.Technique.describe`).
    step_durations
        Time each technique is applied per session ``(S,)`` [s].
    cycle_periods
        Duration of one cycle or stroke of each technique ``(S,)`` [s].
    """

    frame_time: FloatArray
    load_frame: NDArray[np.int64]
    centre: FloatArray
    semi_axes: FloatArray
    orientation: FloatArray
    profile: tuple[str, ...]
    shape: tuple[str, ...]
    edge_width: FloatArray
    pressure: FloatArray
    shear: FloatArray
    step_names: tuple[str, ...]
    step_descriptions: tuple[str, ...]
    step_durations: FloatArray
    cycle_periods: FloatArray

    @classmethod
    def from_steps(cls, steps: Sequence[TechniqueStep]) -> LoadingOutput:
        """The load frames of a session's steps, in the order the mechanics solves them."""
        built = [step.frames() for step in steps]
        frames = [frame for step_frames in built for frame in step_frames.frames]
        rows = [(k, load) for k, frame in enumerate(frames) for load in frame.loads]
        loads = [load for _, load in rows]
        return cls(
            frame_time=np.array([frame.time for frame in frames], dtype=float),
            load_frame=np.array([k for k, _ in rows], dtype=np.int64),
            centre=np.array([load.patch.centre for load in loads], dtype=float).reshape(-1, 2),
            semi_axes=np.array([load.patch.semi_axes for load in loads], dtype=float).reshape(
                -1, 2
            ),
            orientation=np.array([load.patch.orientation for load in loads], dtype=float),
            profile=tuple(load.patch.profile for load in loads),
            shape=tuple(load.patch.shape for load in loads),
            edge_width=np.array([load.patch.edge_width for load in loads], dtype=float),
            pressure=np.array([load.pressure for load in loads], dtype=float),
            shear=np.array([load.shear for load in loads], dtype=float).reshape(-1, 2),
            step_names=tuple(step.technique.name for step in steps),
            step_descriptions=tuple(step.technique.describe() for step in steps),
            step_durations=np.array([step.duration for step in steps], dtype=float),
            cycle_periods=np.array([frames.cycle_period for frames in built], dtype=float),
        )

    @property
    def n_frames(self) -> int:
        """Number of load frames ``K``."""
        return int(self.frame_time.size)

    def frames(self) -> tuple[LoadFrame, ...]:
        """The ``K`` load frames, exactly as the mechanics solved them."""
        per_frame: list[list[PatchLoad]] = [[] for _ in range(self.n_frames)]
        for row, frame in enumerate(self.load_frame):
            patch = ContactPatch(
                centre=(float(self.centre[row, 0]), float(self.centre[row, 1])),
                semi_axes=(float(self.semi_axes[row, 0]), float(self.semi_axes[row, 1])),
                orientation=float(self.orientation[row]),
                profile=self.profile[row],
                shape=self.shape[row],
                edge_width=float(self.edge_width[row]),
            )
            shear = (float(self.shear[row, 0]), float(self.shear[row, 1]))
            per_frame[int(frame)].append(PatchLoad(patch, float(self.pressure[row]), shear))
        return tuple(
            LoadFrame(float(time), tuple(loads))
            for time, loads in zip(self.frame_time, per_frame, strict=True)
        )

    def mean_pressure(self, frame: int) -> float:
        """Largest mean normal pressure of a frame's patches [Pa] (0 with the hand lifted)."""
        selected = self.pressure[self.load_frame == frame]
        return float(selected.max()) if selected.size else 0.0


@dataclass
class StimulusOutput:
    """Dose features per material point (cell) for each technique step.

    Attributes
    ----------
    features
        ``feature → (m,)`` for a single technique, or ``(S, m)`` with one row per step.
    units
        Unit of every feature.
    layer_stats
        ``layer → feature → (5,)`` or ``(S, 5)`` columns :data:`STATISTICS_COLUMNS`.
    effective_measure
        The effective strain measure the features are based on.
    """

    features: dict[str, FloatArray]
    units: dict[str, str]
    layer_stats: dict[str, dict[str, FloatArray]]
    effective_measure: str


@dataclass
class BiologyOutput:
    """Cell response over the treatment course, and the untreated control beside it.

    Attributes
    ----------
    time
        Output times of the layer summaries ``(T,)`` [s].
    species
        Species names; ``units`` gives their units.
    layers
        ``layer → species → (T, 3)``: volume-weighted mean, 10th and 90th percentile
        (columns :data:`BIOLOGY_COLUMNS`) of the treated course.
    field_times
        Times of the full fields ``(F,)`` [s].
    fields
        ``species → (F, m)`` per-cell values at ``field_times``.
    final_state
        ``(m, S)`` every species at every cell at the final time.
    units
        Unit per species.
    models
        Names of the composed models.
    initial_state
        Name of the initial-state preset.
    session_intervals
        ``(N, 2)`` session start and end times [s].
    parameters
        Parameter name → (value, unit, source).
    statistics
        Integrator statistics (and ``points``, ``distinct_points``,
        ``integrated_points``: what deduplication saved).
    control
        The untreated control: the same course from the same initial state without
        sessions, ``layer → species → (T, 3)`` exactly like ``layers`` (``None`` for a
        result written before controls existed).
    control_fields
        ``species → (F, m)``: the control per cell at ``field_times``.
    report_species
        Species the composed model asks reports to show first (may be empty: the
        viewer then chooses).
    species_labels
        Species (and derived quantity) → plain-language label declared by the model
        (may be empty).
    report_scales
        Name → what 1 is for a dimensionless quantity (``healthy latent pool``), as the
        model declares (``relative_to``).
    derived
        Derived quantity → the expression over species it is computed from (the model's
        ``report`` section); its unit is in ``units``.
    remodelling
        The mechanics updates of a course with ``biology.remodelling`` (``None``
        without; :mod:`tissue_sim.remodelling.output`).
    """

    time: FloatArray
    species: tuple[str, ...]
    layers: dict[str, dict[str, FloatArray]]
    field_times: FloatArray
    fields: dict[str, FloatArray]
    final_state: FloatArray
    units: dict[str, str]
    models: tuple[str, ...]
    initial_state: str
    session_intervals: FloatArray
    parameters: dict[str, tuple[float, str, str]] = field(default_factory=dict)
    statistics: dict[str, Any] = field(default_factory=dict)
    control: dict[str, dict[str, FloatArray]] | None = None
    control_fields: dict[str, FloatArray] = field(default_factory=dict)
    report_species: tuple[str, ...] = ()
    species_labels: dict[str, str] = field(default_factory=dict)
    report_scales: dict[str, str] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)
    remodelling: RemodellingOutput | None = None

    def shown_species(self, limit: int = 8) -> tuple[str, ...]:
        """The species a summary or report shows first.

        The composed model's ``report_species`` (species and derived quantities); without
        them, those of :data:`FALLBACK_REPORT_SPECIES` the model has (results written
        before models declared them); else its first ``limit`` species.
        """
        declared = [
            name for name in self.report_species if name in self.species or name in self.derived
        ]
        if declared:
            return tuple(declared)
        known = [name for name in FALLBACK_REPORT_SPECIES if name in self.species]
        return tuple(known) if known else self.species[:limit]

    @property
    def effect_difference(self) -> dict[str, dict[str, FloatArray]]:
        """Treatment effect as a difference: ``layer → species → (T, 3)``.

        Each column is the treated statistic minus the untreated one (the ``mean``
        column is the treated layer mean minus the untreated layer mean). Empty without
        a control.
        """
        return self._effect(np.subtract)

    @property
    def effect_ratio(self) -> dict[str, dict[str, FloatArray]]:
        """Treatment effect as a ratio: ``layer → species → (T, 3)``.

        Each column is the treated statistic divided by the untreated one (``mean``:
        treated layer mean ÷ untreated layer mean; 1 = no effect); NaN where the
        untreated value is 0. Empty without a control.
        """

        def divide(treated: FloatArray, untreated: FloatArray) -> FloatArray:
            out = np.full(np.broadcast_shapes(treated.shape, untreated.shape), np.nan)
            np.divide(treated, untreated, out=out, where=untreated != 0.0)
            return out

        return self._effect(divide)

    def _effect(self, operation: Any) -> dict[str, dict[str, FloatArray]]:
        if self.control is None:
            return {}
        return {
            layer: {
                name: np.asarray(operation(np.asarray(values), np.asarray(control[name])))
                for name, values in species.items()
                if name in control
            }
            for layer, species in self.layers.items()
            if (control := self.control.get(layer)) is not None
        }


@dataclass
class RunResult:
    """Everything a run produced.

    Attributes
    ----------
    name
        Scenario name.
    config
        The resolved scenario as YAML text (SI values, all defaults).
    config_source
        The scenario as the user wrote it (after ``--set``), YAML text.
    config_hash
        SHA-256 of the resolved scenario.
    mesh, mechanics, stimulus, biology
        The stages' outputs (``stimulus``/``biology`` may be ``None``).
    loading
        The skin loads of the mechanics frames and the techniques in words (``None`` for
        a result written before format version 3).
    provenance
        Versions, time, machine, seed.
    timings
        Wall time per stage [s].
    sources
        Key path → citation of the tissue parameters used.
    """

    name: str
    config: str
    config_source: str
    config_hash: str
    mesh: MeshOutput
    mechanics: MechanicsOutput
    stimulus: StimulusOutput | None = None
    biology: BiologyOutput | None = None
    loading: LoadingOutput | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
