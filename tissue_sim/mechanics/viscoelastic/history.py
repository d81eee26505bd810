r"""Small-strain viscoelastic layers: a load history integrated in real time.

:func:`solve_viscoelastic` takes the frames of a load history with their real times and
solves one linear problem per frame (:mod:`.prony`): the layered body with the effective
shear modulus :math:`\mu_0(g_\infty + \sum_i g_i\gamma_i(\Delta t))` of each layer and the
history stress :math:`\sigma_h = 2\mu_0\sum_i g_i(d_i h_i^n - \gamma_i e^n)` as a known
load,

.. math::

    K(\Delta t)\,u^{n+1} = f^{n+1} - \int_\Omega B^T\sigma_h\,dV .

The first frame starts from the unloaded, relaxed state (a step to the first load is
the instantaneous, :math:`\Delta t = 0`, response). Frames with the same
:math:`\Delta t` share one stiffness and one factorisation.

Done and not done:

* small strain, mixed (locking-free) body as in :class:`~tissue_sim.mechanics.body.SolidBody`,
  bulk response elastic, deviatoric Prony series per layer;
* the time step :math:`\Delta t` is taken to 12 significant digits, so the equal
  sub-steps of a span share one factorisation (their differences of the times differ
  in the last bits);
* the history variables live at the body's quadrature points (the deviatoric strain
  there is the one the body's deviatoric stiffness integrates), so each step is the exact
  time integration of the semi-discrete problem for strains linear in time over a step;
* finite strain (a QLV Prony series on the isochoric part of the hyperelastic laws) is
  :mod:`.finite` and :mod:`.finite_history`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import LinearSolver, make_solver
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.mechanics.body import SolidBody
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.viscoelastic.prony import PronySeries, step_coefficients
from tissue_sim.mechanics.viscoelastic.technique import LoadHistory

__all__ = ["ViscoelasticFrames", "solve_viscoelastic"]

FloatArray = NDArray[np.float64]

_IDENTITY = np.eye(3)


@dataclass
class ViscoelasticFrames:
    """The fields of every frame of a viscoelastic load history.

    Attributes
    ----------
    times
        Frame times ``(K,)`` [s].
    displacement
        ``(K, n, 3)`` [m].
    cell_strain
        Cell-averaged small strain ``(K, m, 3, 3)`` [-].
    cell_stress
        Cell Cauchy stress ``(K, m, 3, 3)`` [Pa]: the deviatoric stress of the Prony
        series plus the elastic volumetric stress.
    factorisations
        Number of distinct time steps (one stiffness and solver set-up each).
    internal_force, external_force
        Nodal internal forces ``∫ B^T σ dV`` and applied loads ``(K, n, 3)`` [N] (their
        difference at the prescribed dofs is the reaction).
    """

    times: FloatArray
    displacement: FloatArray
    cell_strain: FloatArray
    cell_stress: FloatArray
    factorisations: int
    internal_force: FloatArray
    external_force: FloatArray


def _deviator(strain: FloatArray) -> FloatArray:
    trace = np.trace(strain, axis1=-2, axis2=-1)
    return np.asarray(strain - (trace / 3.0)[..., None, None] * _IDENTITY)


class _Series:
    """Per-cell Prony parameters, padded to the largest number of terms."""

    def __init__(self, mesh: Mesh, prony: Sequence[PronySeries]) -> None:
        terms = max([p.terms for p in prony] + [1])
        fractions = np.zeros((len(prony), terms))
        times = np.ones((len(prony), terms))
        for layer, series in enumerate(prony):
            fractions[layer, : series.terms] = series.fractions
            times[layer, : series.terms] = series.times
        self.layer_fractions = fractions
        self.layer_times = times
        self.long_term = 1.0 - fractions.sum(axis=1)
        self.fractions = fractions[mesh.cell_layer]  # (m, T)
        self.times = times[mesh.cell_layer]

    def coefficients(self, dt: float) -> tuple[FloatArray, FloatArray]:
        """Per cell and term: d and γ ``(m, T)``."""
        decay, gamma = step_coefficients(self.times.reshape(-1), dt)
        return decay.reshape(self.times.shape), gamma.reshape(self.times.shape)

    def layer_effective(self, dt: float) -> FloatArray:
        """Per layer: g∞ + Σ g_i γ_i(Δt) ``(L,)``."""
        _, gamma = step_coefficients(self.layer_times.reshape(-1), dt)
        gamma = gamma.reshape(self.layer_times.shape)
        return np.asarray(self.long_term + (self.layer_fractions * gamma).sum(axis=1))


def solve_viscoelastic(
    mesh: Mesh,
    materials: Sequence[LinearElasticMaterial],
    prony: Sequence[PronySeries],
    loads: ArrayLike | LoadHistory,
    times: ArrayLike | None,
    condition: DirichletCondition | Sequence[DirichletCondition],
    *,
    solver: str = "direct",
    formulation: str = "mixed",
    stored: ArrayLike | None = None,
) -> ViscoelasticFrames:
    """Solve a load history with viscoelastic (Prony) layers, frame by frame in time.

    Parameters
    ----------
    mesh
        The mesh.
    materials
        One linear-elastic material per layer: its shear modulus is the instantaneous
        :math:`\\mu_0` (or the relaxed :math:`\\mu_\\infty` where the series says
        ``moduli="relaxed"``, :mod:`.prony`), its bulk modulus the (elastic) bulk one.
    prony
        One Prony series per layer (no terms: elastic).
    loads
        Nodal load vector of every frame ``(K, n, 3)`` [N] (dead loads), or a
        :class:`~.technique.LoadHistory` (patterns and their factors over time).
    times
        Frame times ``(K,)`` [s], non-decreasing (``None``: the history's times).
    condition
        Prescribed displacements: one for all frames or one per frame.
    solver
        Linear solver method (:func:`~tissue_sim.fem.solvers.make_solver`).
    formulation
        ``"mixed"`` or ``"displacement"`` (as the solid body).
    stored
        Indices of the frames whose fields are returned (default: all); every frame is
        integrated.

    Returns
    -------
    ViscoelasticFrames
    """
    if isinstance(loads, LoadHistory):
        history_loads: LoadHistory | None = loads
        t = np.asarray(loads.times if times is None else times, dtype=float).reshape(-1)
        frame_loads = np.empty((0, mesh.num_points, 3))
        if loads.factors.shape[0] != t.size or loads.patterns.shape[1] != mesh.num_points:
            raise ValueError("the load history does not match the times or the mesh")
    else:
        history_loads = None
        if times is None:
            raise ValueError("give the frame times")
        frame_loads = np.asarray(loads, dtype=float)
        t = np.asarray(times, dtype=float).reshape(-1)
        if frame_loads.shape != (t.size, mesh.num_points, 3):
            raise ValueError(f"loads must have shape ({t.size}, {mesh.num_points}, 3)")
    keep = np.arange(t.size) if stored is None else np.asarray(stored, dtype=np.int64)
    slot = np.full(t.size, -1, dtype=np.int64)
    slot[keep] = np.arange(keep.size)
    if np.any(np.diff(t) < 0.0) or not np.all(np.isfinite(t)):
        raise ValueError("frame times must be finite and non-decreasing")
    if len(materials) != len(mesh.layer_names) or len(prony) != len(mesh.layer_names):
        raise ValueError("give one material and one Prony series per layer")
    conditions = (
        [condition] * t.size if isinstance(condition, DirichletCondition) else list(condition)
    )
    if len(conditions) != t.size:
        raise ValueError("give one Dirichlet condition for every frame, or one for all")
    series = _Series(mesh, prony)
    preset = np.array([m.shear_modulus for m in materials])
    bulk = np.array([m.bulk_modulus for m in materials])
    # μ0 = preset (moduli: instantaneous) or preset / g∞ (moduli: relaxed)
    instantaneous = preset * np.array([p.instantaneous_scale for p in prony])
    mu0 = instantaneous[mesh.cell_layer][:, None, None, None]  # (m, 1, 1, 1)
    long_term = series.long_term[mesh.cell_layer][:, None, None, None]
    systems: dict[float, tuple[SolidBody, LinearSolver]] = {}
    points: _Points | None = None
    n_cells = mesh.num_cells
    displacement = np.zeros((keep.size, mesh.num_points, 3))
    strains = np.zeros((keep.size, n_cells, 3, 3))
    stresses = np.zeros((keep.size, n_cells, 3, 3))
    internal = np.zeros((keep.size, mesh.num_points, 3))
    applied = np.zeros((keep.size, mesh.num_points, 3))
    history = previous = np.zeros(0)
    for k in range(t.size):
        # to 12 significant digits: sub-steps of one span differ in their last bits
        # (kneading: 7 distinct floats for one 0.25-s step) and would each factorise
        dt = 0.0 if k == 0 else float(f"{t[k] - t[k - 1]:.12g}")
        decay, gamma = series.coefficients(dt)
        if dt not in systems:
            effective = instantaneous * series.layer_effective(dt)
            body = SolidBody(
                mesh,
                [
                    LinearElasticMaterial.from_moduli(m, b)
                    for m, b in zip(effective, bulk, strict=True)
                ],
                formulation=formulation,
            )
            stiffness = body.stiffness()
            constrained, _ = apply_dirichlet(
                stiffness, np.zeros(3 * mesh.num_points), conditions[k]
            )
            systems[dt] = (body, make_solver(constrained, method=solver, points=mesh.points))
        body, linear = systems[dt]
        if points is None:
            points = _Points(body)
            history = np.zeros((n_cells, points.count, series.fractions.shape[1], 3, 3))
            previous = np.zeros((n_cells, points.count, 3, 3))  # deviatoric strain, last frame
        d = decay[:, None, :, None, None]
        g = gamma[:, None, :, None, None]
        carried = d * history - g * previous[:, :, None]
        hist_stress = 2.0 * mu0 * np.einsum("mt,mqtij->mqij", series.fractions, carried)
        external = (
            frame_loads[k]
            if history_loads is None
            else np.einsum("b,bni->ni", history_loads.factors[k], history_loads.patterns)
        )
        carried_force = points.internal_force(hist_stress)
        rhs = external - carried_force
        _, constrained_rhs = apply_dirichlet(body.stiffness(), rhs.reshape(-1), conditions[k])
        u = linear.solve(constrained_rhs[:, None])[:, 0].reshape(-1, 3)
        deviator = _deviator(points.strain(u))
        history = d * history + g * (deviator - previous)[:, :, None]
        previous = deviator
        if slot[k] >= 0:
            fields = body.cell_fields(u)
            point_stress = (
                2.0
                * mu0
                * (long_term * deviator + np.einsum("mt,mqtij->mqij", series.fractions, history))
            )
            pressure = np.trace(fields.stress, axis1=-2, axis2=-1) / 3.0
            displacement[slot[k]] = u
            elastic_force = (body.stiffness() @ u.reshape(-1)).reshape(-1, 3)
            internal[slot[k]] = elastic_force + carried_force
            applied[slot[k]] = external
            strains[slot[k]] = fields.strain
            stresses[slot[k]] = points.average(point_stress) + pressure[:, None, None] * _IDENTITY
    return ViscoelasticFrames(
        t[keep], displacement, strains, stresses, len(systems), internal, applied
    )


class _Points:
    """The body's quadrature points: strains, averages and internal forces there."""

    def __init__(self, body: SolidBody) -> None:
        self.mesh = body.mesh
        self.chunks = [(c.start, c.stop, c.geometry) for c in body.assembler.chunks()]
        self.count = int(self.chunks[0][2].weights.shape[1])
        volume = np.zeros(self.mesh.num_cells)
        for start, stop, geometry in self.chunks:
            volume[start:stop] = geometry.weights.sum(axis=1)
        self.volume = volume

    def strain(self, displacement: FloatArray) -> FloatArray:
        """Small strain at every point ``(m, Q, 3, 3)`` of nodal displacements ``(n, 3)``."""
        out = np.empty((self.mesh.num_cells, self.count, 3, 3))
        for start, stop, geometry in self.chunks:
            nodal = displacement[self.mesh.cells[start:stop]]  # (E, N, 3)
            gradient = np.einsum("eqaj,eai->eqij", geometry.gradients, nodal)
            out[start:stop] = 0.5 * (gradient + np.swapaxes(gradient, -1, -2))
        return out

    def average(self, values: FloatArray) -> FloatArray:
        """Volume average per cell of point tensors ``(m, Q, 3, 3)``."""
        out = np.empty((self.mesh.num_cells, 3, 3))
        for start, stop, geometry in self.chunks:
            out[start:stop] = np.einsum("eq,eqij->eij", geometry.weights, values[start:stop])
        return np.asarray(out / self.volume[:, None, None])

    def internal_force(self, stress: FloatArray) -> FloatArray:
        """Nodal forces ``∫ B^T σ dV`` of point stresses ``(m, Q, 3, 3)`` [N]."""
        force = np.zeros((self.mesh.num_points, 3))
        for start, stop, geometry in self.chunks:
            element = np.einsum(
                "eq,eqaj,eqij->eai", geometry.weights, geometry.gradients, stress[start:stop]
            )
            nodes = self.mesh.cells[start:stop].reshape(-1)
            for component in range(3):
                force[:, component] += np.bincount(
                    nodes, weights=element[..., component].reshape(-1), minlength=force.shape[0]
                )
        return force
