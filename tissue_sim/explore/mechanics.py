r"""The fast mechanics behind the explorer: strain at any pressure and shear ratio.

Every technique's frame ``k`` loads the skin with the traction
:math:`t_k(X) = p\,\hat t^{\,n}_k(X) + \mu\,p\,\hat t^{\,s}_k(X)`: a normal pattern
:math:`\hat t^{\,n}_k` per unit pressure and a tangential one :math:`\hat t^{\,s}_k` per unit
shear, both fixed by the technique (patch, profile, position along the path), with the
pressure :math:`p` [Pa] and the shear ratio :math:`\mu` [-] the page's controls.

* **Small strain** (:class:`LinearPatterns`): the strain is linear in the loads, so the
  ``2K`` unit patterns are solved once with one factorisation and every
  :math:`(p, \mu)` follows exactly by superposition,
  :math:`\varepsilon_k(p, \mu) = p\,\varepsilon^{n}_k + \mu\,p\,\varepsilon^{s}_k`.
* **Finite strain** (:class:`FiniteStrainGrid`): Newton's method over a ladder of
  pressures :math:`p_1 < \dots < p_N` for each shear ratio :math:`\mu_j` of a grid (every
  frame from the previous converged one, follower loads, the tangent solver reused), then
  monotone cubic (PCHIP) interpolation in :math:`p` through the exact zero-load state
  and linear interpolation in :math:`\mu`. The grid's nodes are exact solutions; between
  nodes the error is measured by ``tests/explore/test_explore_mechanics.py``. When every
  frame is one pattern scaled by a load curve (holds, kneading), only that pattern's
  ladder is solved and frame ``k`` is read off it at ``factor_k p``.

Both solve on the mesh, materials and boundary conditions a run of the same scenario
uses (:func:`tissue_sim.pipeline.build_mesh`, :func:`tissue_sim.pipeline.prepare`,
:func:`tissue_sim.mechanics.base_condition`, :func:`tissue_sim.mechanics.solve_frames`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator

from tissue_sim.config import Scenario
from tissue_sim.errors import SolverError
from tissue_sim.fem.surface import FacetQuadrature
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.loading import LoadFrame, smallest_load_feature, surface_traction
from tissue_sim.mechanics import (
    FrameLoads,
    LinearSettings,
    NewtonSettings,
    SolidBody,
    base_condition,
    skin_quadrature,
    solve_frames,
)
from tissue_sim.mechanics.materials import Material
from tissue_sim.mechanics.session import layer_materials
from tissue_sim.pipeline import prepare

__all__ = [
    "FiniteStrainGrid",
    "LinearPatterns",
    "TechniquePatterns",
    "build_strain_model",
    "proportional_frames",
    "technique_patterns",
]

FloatArray = NDArray[np.float64]
#: progress(fraction done in [0, 1])
Progress = Callable[[float], None]


@dataclass
class TechniquePatterns:
    """The unit load patterns of one technique's frames on one mesh.

    Attributes
    ----------
    mesh
        The mesh (of the scenario the patterns were built from).
    quadrature
        Skin quadrature of the tractions.
    normal, tangential
        ``(K, F, Q, 3)``: traction per unit pressure and per unit shear [Pa/Pa].
    loaded
        ``(K,)``: frames that carry a load (a moving hand's lift and return are unloaded).
    frame_times
        ``(K,)`` time of each frame within the cycle [s].
    cycle_period
        Duration of one cycle [s].
    """

    mesh: Mesh
    quadrature: FacetQuadrature
    normal: FloatArray
    tangential: FloatArray
    loaded: NDArray[np.bool_]
    frame_times: FloatArray
    cycle_period: float

    @property
    def num_frames(self) -> int:
        """Frames per cycle ``K``."""
        return int(self.normal.shape[0])


def technique_patterns(scenario: Scenario, mesh: Mesh, shear_ratio: float) -> TechniquePatterns:
    """Split the scenario's technique frames into unit normal and tangential patterns.

    Parameters
    ----------
    scenario
        A one-technique scenario built at a known pressure and ``shear_ratio``.
    mesh
        Its mesh.
    shear_ratio
        The shear ratio the scenario was built with [-] (> 0, so that the tangential
        pattern can be read off).
    """
    if shear_ratio <= 0.0:
        raise ValueError("the patterns are read from a scenario with a positive shear ratio")
    step = scenario.loading.steps[0]
    frames = step.frames()
    technique = step.technique
    pressure = float(technique.pressure)
    quadrature = skin_quadrature(mesh, smallest_load_feature(scenario.loading.techniques))
    points = quadrature.points.reshape(-1, 3)
    tractions = np.stack(
        [
            surface_traction(frame, points).reshape(quadrature.points.shape)
            if isinstance(frame, LoadFrame) and frame.loads
            else np.zeros(quadrature.points.shape)
            for frame in frames.frames
        ]
    )
    normal = np.zeros_like(tractions)
    normal[..., 2] = tractions[..., 2] / pressure
    tangential = np.zeros_like(tractions)
    tangential[..., :2] = tractions[..., :2] / (shear_ratio * pressure)
    loaded = np.any(tractions != 0.0, axis=(1, 2, 3))
    return TechniquePatterns(
        mesh=mesh,
        quadrature=quadrature,
        normal=normal,
        tangential=tangential,
        loaded=loaded,
        frame_times=np.asarray(frames.frame_times, dtype=float),
        cycle_period=float(frames.cycle_period),
    )


def _materials(scenario: Scenario) -> list[Material]:
    if scenario.mechanics.model == "hyperelastic":
        prepared = prepare(scenario)
        assert prepared.hyperelastic_materials is not None
        return prepared.hyperelastic_materials
    return layer_materials(scenario.tissue.layers, "linear", file=scenario.source_file)


@dataclass
class LinearPatterns:
    """Small-strain cell strains of the unit patterns: any load by superposition (exact).

    Attributes
    ----------
    normal, tangential
        ``(K, m, 3, 3)`` cell strain per unit pressure and per unit shear [1/Pa].
    setup_seconds
        Wall time of the assembly, factorisation and pattern solves [s].
    """

    normal: FloatArray
    tangential: FloatArray
    setup_seconds: float
    model: str = "linear"

    @property
    def pressure_limit(self) -> float:
        """Largest pressure offered [Pa] (any is exact; small strain is not, past ~5 %)."""
        return float("inf")

    def strain(self, pressure: float, shear_ratio: float) -> FloatArray:
        """Cell strain of every frame ``(K, m, 3, 3)`` [-] at ``pressure`` [Pa], ratio [-]."""
        return pressure * self.normal + shear_ratio * pressure * self.tangential

    def describe(self) -> str:
        """One sentence for the page: how the strain is obtained."""
        return (
            "strain by superposition of unit pressure and shear patterns (small-strain "
            "linear elasticity, one factorisation, exact at every pressure); biology "
            "integrated live"
        )


@dataclass
class FiniteStrainGrid:
    """Finite-strain cell strains on a grid of pressures and shear ratios.

    Attributes
    ----------
    pressures
        ``(N + 1,)`` grid pressures [Pa], the first 0 (the reference state, exact).
    ratios
        ``(M,)`` grid shear ratios [-], increasing.
    strains
        ``(M, N + 1, K, m, 3, 3)`` Green–Lagrange cell strain at every node [-].
    reached
        Largest pressure Newton reached for every ratio [Pa] (nodes above it are not
        offered: :attr:`pressure_limit`).
    setup_seconds
        Wall time of all the solves [s].
    newton_iterations
        Newton iterations over the whole grid.
    failures
        What Newton could not reach (the grid stops below it).
    frame_factors
        ``(K,)`` for a technique whose frames are one load pattern scaled by a curve
        (holds, kneading): frame ``k`` is the static equilibrium at ``factor_k ×`` the
        load, so ``strains`` holds the ladder of the full pattern only (``K = 1`` there)
        and frame ``k`` is read off it at pressure ``factor_k p`` (exact at the nodes:
        quasi-static hyperelasticity has no load history). ``None``: one ladder per frame.
    """

    pressures: FloatArray
    ratios: FloatArray
    strains: FloatArray
    reached: FloatArray
    setup_seconds: float
    newton_iterations: int = 0
    failures: list[str] = field(default_factory=list)
    model: str = "hyperelastic"
    frame_factors: FloatArray | None = None

    @property
    def pressure_limit(self) -> float:
        """Largest pressure with a solution at every ratio [Pa]."""
        return float(np.min(self.reached))

    def strain(self, pressure: float, shear_ratio: float) -> FloatArray:
        """Interpolated cell strain of every frame ``(K, m, 3, 3)`` [-].

        PCHIP in pressure through the grid nodes (0 at the reference state), linear in
        the shear ratio; both clipped to the grid.
        """
        limit = self.pressure_limit
        levels = int(np.searchsorted(self.pressures, limit, side="right"))
        p = float(np.clip(pressure, 0.0, limit))
        ratios = self.ratios
        mu = float(np.clip(shear_ratio, ratios[0], ratios[-1]))
        upper = int(np.clip(np.searchsorted(ratios, mu), 1, max(ratios.size - 1, 1)))
        lower = upper - 1 if ratios.size > 1 else 0
        upper = min(upper, ratios.size - 1)

        factors = self.frame_factors
        wanted = np.array([p]) if factors is None else p * np.asarray(factors)

        def at_ratio(j: int) -> FloatArray:
            nodes = self.pressures[:levels]
            values = self.strains[j, :levels]
            if factors is not None:
                values = values[:, 0]  # the ladder of the one pattern
            if levels == 1:
                out = np.zeros((wanted.size, *values.shape[1:]))
            elif levels == 2:
                t = wanted / nodes[1]
                out = np.multiply.outer(1.0 - t, values[0]) + np.multiply.outer(t, values[1])
            else:
                out = np.asarray(PchipInterpolator(nodes, values, axis=0)(wanted))
            return out[0] if factors is None else out

        if upper == lower:
            return at_ratio(lower)
        weight = (mu - ratios[lower]) / (ratios[upper] - ratios[lower])
        return (1.0 - weight) * at_ratio(lower) + weight * at_ratio(upper)

    def describe(self) -> str:
        """One sentence for the page: how the strain is obtained."""
        kpa = ", ".join(f"{p / 1000:g}" for p in self.pressures[1:] if p <= self.pressure_limit)
        ratios = ", ".join(f"{r:g}" for r in self.ratios)
        frames = (
            "; every frame of the load curve read off the one ladder"
            if self.frame_factors is not None and self.frame_factors.size > 1
            else ""
        )
        return (
            f"strain from a precomputed finite-strain grid at {kpa} kPa × shear ratios "
            f"{ratios} (Newton, follower loads; PCHIP in pressure, linear in shear "
            f"ratio{frames}); biology integrated live"
        )


def proportional_frames(patterns: TechniquePatterns) -> tuple[int, FloatArray] | None:
    """Whether every frame is one load pattern times a factor (holds, kneading).

    Returns
    -------
    (reference, factors) or None
        The frame with the largest load and every frame's factor ``(K,)`` [-] (0 for an
        unloaded frame), or ``None`` when the frames differ in shape (a moving patch,
        cross-fibre friction's oscillating shear on a constant pressure).
    """
    loaded = np.flatnonzero(patterns.loaded)
    if loaded.size == 0:
        return None
    frames = patterns.num_frames
    both = np.concatenate(
        [patterns.normal.reshape(frames, -1), patterns.tangential.reshape(frames, -1)], axis=1
    )
    size = np.abs(both).max(axis=1)
    reference = int(np.argmax(size))
    factors = size / size[reference]
    scale = float(size[reference])
    if not np.allclose(both, np.outer(factors, both[reference]), rtol=0.0, atol=1e-9 * scale):
        return None
    return reference, factors


def _grid_frames(
    patterns: TechniquePatterns, pressures: Sequence[float] | FloatArray, ratio: float
) -> tuple[FrameLoads, list[tuple[int, int]]]:
    """The ladder of one shear ratio: every loaded frame at every pressure (serpentine)."""
    loaded = np.flatnonzero(patterns.loaded)
    k_total = patterns.num_frames
    order: list[tuple[int, int]] = []
    for level in range(len(pressures)):
        frames = loaded if level % 2 == 0 else loaded[::-1]
        order.extend((level, int(k)) for k in frames)
    factors = np.zeros((len(order), 2 * k_total))
    for row, (level, k) in enumerate(order):
        factors[row, 2 * k] = pressures[level]
        factors[row, 2 * k + 1] = ratio * pressures[level]
    tractions = np.empty((2 * k_total, *patterns.normal.shape[1:]))
    tractions[0::2] = patterns.normal
    tractions[1::2] = patterns.tangential
    loads = FrameLoads(factors, quadrature=patterns.quadrature, tractions=tractions, follower=True)
    return loads, order


def build_strain_model(
    scenario: Scenario,
    patterns: TechniquePatterns,
    *,
    pressures: Sequence[float] = (2.5e3, 5e3, 10e3, 20e3, 40e3),
    ratios: Sequence[float] = (0.0, 0.25, 0.5),
    progress: Progress | None = None,
) -> LinearPatterns | FiniteStrainGrid:
    """Solve the technique's patterns (small strain) or its grid (finite strain).

    Parameters
    ----------
    scenario
        The scenario (its ``mechanics`` section chooses the model and the solver).
    patterns
        Its technique's unit patterns (:func:`technique_patterns`).
    pressures
        Grid pressures of the finite-strain ladder [Pa], increasing and positive.
    ratios
        Grid shear ratios [-], increasing and non-negative.
    progress
        Called with the fraction of the solves done.

    Returns
    -------
    LinearPatterns or FiniteStrainGrid

    Raises
    ------
    tissue_sim.errors.SolverError
        If not even the lowest grid pressure can be reached.
    """
    start = time.perf_counter()
    mesh = patterns.mesh
    config = scenario.mechanics
    body = SolidBody(mesh, _materials(scenario), formulation=config.formulation)
    condition = base_condition(mesh, config.sides)
    m, k_total = mesh.num_cells, patterns.num_frames
    if body.is_linear:
        loads = FrameLoads.from_tractions(
            patterns.quadrature, [*patterns.normal, *patterns.tangential], follower=False
        )
        settings = LinearSettings(method=config.solver, rtol=config.rtol)
        solution, _ = solve_frames(body, loads, condition, linear=settings)
        strain = solution.cell_strain
        if progress is not None:
            progress(1.0)
        return LinearPatterns(
            strain[:k_total], strain[k_total:], setup_seconds=time.perf_counter() - start
        )
    levels = np.asarray(sorted(float(p) for p in pressures))
    if levels.size == 0 or levels[0] <= 0.0:
        raise ValueError("grid pressures must be positive")
    ratio_levels = np.asarray(sorted(float(r) for r in ratios))
    proportional = proportional_frames(patterns)
    frame_factors = None
    if proportional is not None:
        reference, frame_factors = proportional
        keep = slice(reference, reference + 1)
        patterns = replace(
            patterns,
            normal=patterns.normal[keep],
            tangential=patterns.tangential[keep],
            loaded=np.ones(1, dtype=bool),
            frame_times=patterns.frame_times[keep],
        )
        k_total = 1
    newton = NewtonSettings(
        rtol=1e-6, linear_solver=config.solver, linear_rtol=min(config.rtol, 0.01)
    )
    strains = np.zeros((ratio_levels.size, levels.size + 1, k_total, m, 3, 3))
    reached = np.zeros(ratio_levels.size)
    failures: list[str] = []
    iterations = 0
    solver = None
    for j, ratio in enumerate(ratio_levels):
        count = levels.size
        while count > 0:
            loads, order = _grid_frames(patterns, levels[:count], float(ratio))
            try:
                solution, solver = solve_frames(
                    body, loads, condition, newton=newton, solver=solver
                )
            except SolverError as error:
                failures.append(
                    f"ratio {ratio:g}: {levels[count - 1] / 1000:g} kPa not reached ({error})"
                )
                count -= 1
                continue
            for row, (level, k) in enumerate(order):
                strains[j, level + 1, k] = solution.cell_strain[row]
            if solution.newton is not None:
                iterations += int(sum(solution.newton.iterations_per_frame))
            break
        if count == 0:
            raise SolverError(
                f"finite-strain grid: {levels[0] / 1000:g} kPa not reached at shear ratio "
                f"{ratio:g}; {failures[-1] if failures else ''}"
            )
        reached[j] = levels[count - 1]
        if progress is not None:
            progress((j + 1) / ratio_levels.size)
    return FiniteStrainGrid(
        pressures=np.concatenate([[0.0], levels]),
        ratios=ratio_levels,
        strains=strains,
        reached=reached,
        setup_seconds=time.perf_counter() - start,
        newton_iterations=iterations,
        failures=failures,
        frame_factors=frame_factors,
    )
