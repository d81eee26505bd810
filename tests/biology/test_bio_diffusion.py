"""Reaction–diffusion of the soluble species (issue 15 item 2): the cell-centred
diffusion operator, its Strang splitting with the batched stiff reaction solver, and the
``diffusion`` key of the model files.

* A Gaussian spreads as the analytic solution of ``∂c/∂t = D ∇²c`` (with a first-order
  decay ``e^{−kt}``), second order in the cell size and the splitting step.
* The two-point-flux ``K`` is symmetric with zero row sums, so the scheme itself conserves
  ``1ᵀMc`` (no correction afterwards) up to the linear solves' tolerance: ``Σ V·(a + b)``
  of a pair that only exchanges is conserved to 1e-12 over a course with sessions, and the
  same check catches a deliberately leaky ``K`` (a sink on 20 cells).
* A point source next to a zero-flux wall spreads as its method-of-images solution,
  second order in the cell size.
* ``D = 0`` (or no species that diffuses) is today's course, bit for bit.
* D values: FACTS §8 (5.2e-8 cm²/s for TNF, 3e-8 for IL-10).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from scipy.special import erf

from tissue_sim.biology import load_model
from tissue_sim.biology._diffusion import Diffusion, cell_graph
from tissue_sim.biology.simulate import simulate
from tissue_sim.errors import InputError, ModelFileError, SolverError

HOUR = 3600.0
DAY = 24 * HOUR
#: D of TNF in agent-based model code, FACTS §8 [cm²/s] → m²/s
D_TNF = 5.2e-8 * 1e-4

MODEL = """\
name: {name}
title: diffusion test model
description: a soluble signal a exchanging with a bound pool b (or decaying)
inputs: [effective_strain_peak]
species:
  a:
    unit: "1"
    initial: 0.0
    description: soluble signal
    diffusion: {{value: {d}, unit: {unit}, source: "FACTS §8: D(TNF) = 5.2e-8 cm^2/s"}}
  b: {{unit: "1", initial: 0.0, description: bound pool}}
parameters:
  k: {{half_life: {half_life}, source: "assumption: test model"}}
rates:
  a: "{rate_a}"
  b: "{rate_b}"
"""


def _model(tmp_path: Path, name: str = "spreading", **values: str):
    text = MODEL.format(
        name=name,
        **{
            "d": "5.2e-8",
            "unit": "cm^2/s",
            "half_life": "10 day",
            "rate_a": "-k * a * (1 + effective_strain_peak)",
            "rate_b": "k * (a - b)",
        }
        | values,
    )
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_model([str(path)]), path


def _bar(n_cells: int, length: float, width: float = 1e-3):
    """A row of ``n_cells`` hexahedra along x (one cell across), centred on x = 0."""
    x = np.linspace(-length / 2, length / 2, n_cells + 1)
    grid = np.array([[xi, y, z] for z in (0.0, width) for y in (0.0, width) for xi in x])
    n = n_cells + 1

    def node(i: int, j: int, k: int) -> np.ndarray:
        return i + n * j + 2 * n * k

    i = np.arange(n_cells)
    # basix hexahedron order: (0,0,0) (1,0,0) (0,1,0) (1,1,0) (0,0,1) (1,0,1) (0,1,1) (1,1,1)
    cells = np.column_stack(
        [node(i + di, dj, dk) for dk in (0, 1) for dj in (0, 1) for di in (0, 1)]
    )
    volumes = np.diff(x) * width * width
    return cell_graph(grid, cells, volumes), x


def _gaussian_cell_means(edges: np.ndarray, variance: float) -> np.ndarray:
    """Cell averages of a unit-mass Gaussian of ``variance`` [m²] over ``edges``."""
    cdf = 0.5 * (1.0 + erf(edges / math.sqrt(2.0 * variance)))
    return np.diff(cdf) / np.diff(edges)


#: relative mass error allowed over a course: the solves' tolerance (1e-14 per solve, in
#: the sum of the residual) over hundreds of solves (measured 2.2e-13 over 768)
MASS_TOLERANCE = 1e-12


def _block(n: int, h: float):
    """A cube of ``n³`` hexahedra of side ``h`` [m] (basix vertex order)."""
    axis = np.arange(n + 1) * h
    zz, yy, xx = np.meshgrid(axis, axis, axis, indexing="ij")
    grid = np.column_stack([xx.ravel(), yy.ravel(), zz.ravel()])
    m = n + 1
    index = np.arange(n)
    i, j, kk = (g.ravel() for g in np.meshgrid(index, index, index, indexing="ij"))
    cells = np.column_stack(
        [
            (i + di) + m * (j + dj) + m * m * (kk + dk)
            for dk in (0, 1)
            for dj in (0, 1)
            for di in (0, 1)
        ]
    )
    return cell_graph(grid, cells, np.full(n**3, h**3))


def _check_mass(diffusion: Diffusion, y0: np.ndarray, dt: float, steps: int) -> float:
    """Step ``y0`` and check ``1ᵀMc`` of every species after every step against the start
    (``MASS_TOLERANCE``, relative); return the largest relative change."""
    state = y0.copy()
    mass0 = diffusion.mass(state)
    worst = 0.0
    for _ in range(steps):
        diffusion.step(state, dt)
        change = float(np.max(np.abs(diffusion.mass(state) - mass0) / mass0))
        worst = max(worst, change)
        assert change <= MASS_TOLERANCE, f"mass changed by {change:.3g} (relative)"
    return worst


def test_the_two_point_flux_laplacian_is_symmetric_with_zero_row_sums() -> None:
    """``K = Kᵀ`` and ``K 1 = 0`` (so ``1ᵀ K = 0``: no net flux, the walls carry none), with
    ``A_f/d_f = h`` on every interior face of a cube of ``h``-cubes (``3 n²(n−1)`` faces)."""
    n, h = 5, 3e-4
    graph = _block(n, h)
    k = graph.laplacian()
    assert abs(k - k.T).max() == 0.0
    assert np.max(np.abs(k @ np.ones(n**3))) <= 1e-15 * k.diagonal().max()
    assert graph.pairs.shape == (3 * n * n * (n - 1), 2)
    assert np.allclose(graph.coupling, h, rtol=1e-12)
    assert np.all(k.diagonal() > 0.0)


def test_the_scheme_conserves_the_mass_and_the_check_catches_a_leak() -> None:
    """Crank–Nicolson steps of the real ``K`` (no correction after the solves) keep
    ``Σ V c`` of two species (D of TNF and IL-10, FACTS §8) to ``MASS_TOLERANCE`` over 4 days
    of 15-min half steps on 0.2-mm cells, while the field changes by O(1); adding a sink
    ``σ V_i`` on 20 cells to ``K`` (a leak through the walls of those cells) makes the same
    check fail."""
    graph = _block(6, 2e-4)
    rng = np.random.default_rng(7)
    y0 = np.zeros((graph.n_points, 2))
    y0[rng.choice(graph.n_points, 10, replace=False), :] = 1.0
    diffusion = Diffusion(graph, [D_TNF, 3e-12], names=["tnfa", "il10"])
    _check_mass(diffusion, y0, 450.0, 4 * 96 * 2)
    state = y0.copy()
    diffusion.step(state, DAY)
    assert np.max(np.abs(state - y0)) > 0.5  # it did diffuse
    leaky = Diffusion(graph, [D_TNF, 3e-12])
    sink = np.zeros(graph.n_points)
    sink[rng.choice(graph.n_points, 20, replace=False)] = 1e-3 * graph.volumes[0] / D_TNF
    leaky.laplacian = leaky.laplacian + scipy.sparse.diags(sink)
    with pytest.raises(AssertionError, match="mass changed"):
        _check_mass(leaky, y0, 450.0, 4 * 96 * 2)


def test_a_solve_that_does_not_converge_raises_naming_species_and_time() -> None:
    graph = _block(4, 2e-4)
    diffusion = Diffusion(graph, [D_TNF], names=["tnfa"], max_iterations=1)
    state = np.zeros((graph.n_points, 1))
    state[::3, 0] = 1.0
    with pytest.raises(SolverError, match=r"tnfa .*t = 7200 s"):
        diffusion.step(state, DAY, time=2 * HOUR)


def test_a_point_source_at_a_zero_flux_wall_matches_the_images_second_order() -> None:
    """A mass ``m`` released at ``x₀`` = 0.5 mm from the zero-flux wall ``x = 0`` of a 1-cm bar
    spreads as ``c = m/A [G(x − x₀) + G(x + x₀)]`` with ``G`` the Gaussian of variance
    ``2Dt`` (the image source at ``−x₀`` cancels the flux through the wall), here after one
    day with the D of TNF (FACTS §8; ``√(2Dt)`` = 0.95 mm). The source starts in the two
    cells next to ``x₀`` (a box of width ``2h``, variance ``h²/3``); halving ``h`` divides the
    error in the cell means by ~4."""
    x0, length, width, t_end = 5e-4, 1e-2, 1e-3, DAY
    sigma = math.sqrt(2 * D_TNF * t_end)
    errors = []
    for n_cells in (20, 40, 80):
        h = length / n_cells
        graph, edges = _bar(n_cells, length, width)
        edges = edges + length / 2  # the wall at x = 0
        y0 = np.zeros((n_cells, 1))
        source = round(x0 / h)
        y0[source - 1 : source + 1, 0] = 1.0 / (2 * h * width * width)  # unit mass
        diffusion = Diffusion(graph, [D_TNF])
        state = y0.copy()
        for _ in range(96):
            diffusion.step(state, t_end / 96)
        cdf = 0.5 * (1.0 + erf((edges - x0) / (math.sqrt(2.0) * sigma)))
        cdf += 0.5 * (1.0 + erf((edges + x0) / (math.sqrt(2.0) * sigma)))
        exact = np.diff(cdf) / np.diff(edges) / (width * width)
        errors.append(np.max(np.abs(state[:, 0] - exact)) / exact.max())
        # the wall reflects: the cell at the wall holds more than the free Gaussian gives
        assert state[0, 0] > 0.9 * exact[0]
    assert errors[-1] < 5e-3
    for coarse, fine in itertools.pairwise(errors):
        assert 0.15 < fine / coarse < 0.35  # second order in h: ratio 1/4


def test_model_file_diffusion_key_converts_and_checks_the_unit(tmp_path: Path) -> None:
    model, _ = _model(tmp_path)
    files = {s.name: s for s in model._files[0].species.values()}
    assert files["a"].diffusivity == pytest.approx(D_TNF, rel=1e-12)  # cm²/s → m²/s
    assert "FACTS §8" in files["a"].diffusion_source
    assert files["b"].diffusivity == 0.0
    with pytest.raises(ModelFileError, match="area per time"):
        _model(tmp_path, name="wrong_unit", unit="cm/s")
    # YAML 1.1 reads 3e-8 (no decimal point) as text; the model file takes it as the number
    plain, _ = _model(tmp_path, name="exponent_only", d="3e-8")
    assert plain._files[0].species["a"].diffusivity == pytest.approx(3e-12, rel=1e-12)
    with pytest.raises(ModelFileError, match="must be a number"):
        _model(tmp_path, name="not_a_number", d="3e-8x")


def test_a_gaussian_spreads_as_the_analytic_solution_second_order(tmp_path: Path) -> None:
    """``c(x, t) = M/√(2πσ²) e^{−x²/2σ²} e^{−kt}``, ``σ² = σ₀² + 2Dt``: the cell means after
    2 days of a 1-mm Gaussian (D of TNF, FACTS §8; a 10-day decay, which commutes with the
    diffusion) on a 2-cm bar with zero-flux ends (6σ away). Halving the cell size and the
    splitting step divides the error by ~4."""
    model, _ = _model(tmp_path)
    k = math.log(2.0) / (10 * DAY)
    t_end = 2 * DAY
    sigma0_sq = (1e-3) ** 2
    errors = []
    for n_cells, step in ((40, 4 * HOUR), (80, 2 * HOUR), (160, HOUR)):
        graph, edges = _bar(n_cells, 0.02)
        y0 = np.zeros((n_cells, 2))
        y0[:, 0] = _gaussian_cell_means(edges, sigma0_sq)
        result = simulate(
            model,
            {"effective_strain_peak": np.zeros(n_cells)},
            np.empty((0, 2)),
            t_end,
            initial_state=y0,
            field_times=np.array([t_end]),
            rtol=1e-9,
            atol=1e-12,
            cells=graph,
            diffusion_step=step,
        )
        exact = _gaussian_cell_means(edges, sigma0_sq + 2 * D_TNF * t_end) * math.exp(-k * t_end)
        errors.append(np.max(np.abs(result.fields[-1, :, 0] - exact)) / exact.max())
        # the spread is real: the peak fell to σ₀/σ of its value (0.61 after 2 days)
        assert result.fields[-1, :, 0].max() < 0.7 * y0[:, 0].max()
    assert errors[-1] < 2e-3
    for coarse, fine in itertools.pairwise(errors):
        assert 0.15 < fine / coarse < 0.35  # second order: ratio 1/4


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_zero_flux_walls_conserve_the_mass_over_sessions(tmp_path: Path, engine: str) -> None:
    """a diffuses and exchanges with b (which stays put); the sessions speed the exchange.
    ``Σ V (a + b)`` is conserved to round-off on a 3-D block of hexahedra, while a spreads
    (most of the mass ends in the cells that started empty: without diffusion they would
    hold none; the old check, a's peak below 0.5, told them apart by 3e-8 only); with
    both engines (the compiled one restarts from the diffused state in its blocked layout;
    chunks of 100 points: several chunks and a padded block)."""
    if engine == "compiled":
        pytest.importorskip("numba")
    model, _ = _model(
        tmp_path,
        name="exchange",
        half_life="2 h",
        rate_a="k * (b - a) * (1 + effective_strain_peak)",
        rate_b="k * (a - b) * (1 + effective_strain_peak)",
    )
    n = 6
    h = 2e-4  # 0.2 mm cells: D·t over a day spreads a across several cells
    graph = _block(n, h)
    rng = np.random.default_rng(2)
    y0 = np.zeros((n**3, 2))
    seeded = rng.choice(n**3, 10, replace=False)
    y0[seeded, 0] = 1.0
    strain = rng.uniform(0.0, 0.1, n**3)
    sessions = np.array([[2 * HOUR, 3 * HOUR], [10 * HOUR, 11 * HOUR]])
    result = simulate(
        model,
        {"effective_strain_peak": strain},
        sessions,
        DAY,
        initial_state=y0,
        field_times=np.array([2.5 * HOUR, 12 * HOUR, DAY]),
        rtol=1e-8,
        atol=1e-12,
        cells=graph,
        engine=engine,
        chunk_size=100,
    )
    mass0 = graph.volumes @ y0.sum(axis=1)
    for fields in result.fields:
        mass = graph.volumes @ fields.sum(axis=1)
        assert abs(mass - mass0) <= MASS_TOLERANCE * mass0
    # a spread out of its ten cells: the cells that started empty (which hold nothing
    # without diffusion, a and b being made nowhere) hold most of the mass by the end
    # (measured 0.95), and the bound pool b there came from the diffused a (0.47)
    empty = np.ones(n**3, dtype=bool)
    empty[seeded] = False
    final = result.fields[-1]
    assert graph.volumes[empty] @ final[empty].sum(axis=1) > 0.5 * mass0
    assert graph.volumes[empty] @ final[empty, 1] > 0.2 * mass0


def test_zero_diffusivity_is_todays_course_bit_for_bit(tmp_path: Path) -> None:
    """With D = 0 (given, or no species that diffuses) the run is the course without
    diffusion: the same numbers, not merely close."""
    model, _ = _model(tmp_path, name="still", rate_a="k * (b - a) * (1 + effective_strain_peak)")
    graph, _ = _bar(30, 0.01)
    rng = np.random.default_rng(5)
    y0 = rng.uniform(0.0, 1.0, (30, 2))
    stimulus = {"effective_strain_peak": rng.uniform(0.0, 0.1, 30)}
    sessions = np.array([[HOUR, 2 * HOUR]])
    kwargs = dict(initial_state=y0, field_times=np.array([1.5 * HOUR, DAY]), control=True)
    today = simulate(model, stimulus, sessions, DAY, **kwargs)
    still = simulate(model, stimulus, sessions, DAY, cells=graph, diffusivity={"a": 0.0}, **kwargs)
    assert np.array_equal(today.fields, still.fields)
    assert today.control_fields is not None and still.control_fields is not None
    assert np.array_equal(today.control_fields, still.control_fields)
    moving = simulate(model, stimulus, sessions, DAY, cells=graph, **kwargs)  # D from the file
    assert np.max(np.abs(moving.fields - today.fields)) > 1e-6


def test_diffusion_input_errors(tmp_path: Path) -> None:
    model, _ = _model(tmp_path)
    graph, _ = _bar(5, 0.01)
    stimulus = {"effective_strain_peak": np.zeros(5)}
    with pytest.raises(InputError, match="unknown species"):
        simulate(model, stimulus, np.empty((0, 2)), DAY, cells=graph, diffusivity={"z": 1e-12})
    with pytest.raises(InputError, match="cells describe 5 points"):
        simulate(model, {"effective_strain_peak": np.zeros(4)}, np.empty((0, 2)), DAY, cells=graph)
    with pytest.raises(InputError, match="non-negative"):
        Diffusion(graph, [-1.0, 0.0])


def test_the_shipped_diffusivities_and_their_sources() -> None:
    """FACTS §8: D(TNF) = 5.2e-8, D(IL-10) = 3e-8 cm²/s; IL-6, IL-1β and active TGF-β1 are
    assumptions scaled from TNF-α (52-kDa trimer) by Stokes–Einstein, D ∝ M^(-1/3)."""
    from tissue_sim.biology.simulate import species_diffusion
    from tissue_sim.config import DEFAULT_CELL_MODELS

    model = load_model(list(DEFAULT_CELL_MODELS))
    shipped = {name: (d, source) for _, name, d, source in species_diffusion(model)}
    # the latent pool (matrix-bound), cells and matrix do not diffuse
    assert set(shipped) == {"il6", "il1b", "tnfa", "il10", "tgfb1_active"}
    assert shipped["tnfa"][0] == pytest.approx(D_TNF, rel=1e-12)
    assert shipped["il10"][0] == pytest.approx(3e-12, rel=1e-12)
    for name, mass_kda in {"il6": 21.0, "il1b": 17.5, "tgfb1_active": 25.0}.items():
        d, source = shipped[name]
        assert source.startswith("assumption:") and "FACTS §8" in source
        assert d == pytest.approx(D_TNF * (52.0 / mass_kda) ** (1.0 / 3.0), rel=0.01)
    assert all("FACTS §8" in source for _, source in shipped.values())


def test_long_steps_keep_the_concentrations_non_negative() -> None:
    """One day in one call on 0.2-mm cells (D of TNF, FACTS §8: D·Δt·rate = 67 with the rate
    6/h², past Crank–Nicolson's D·Δt·rate ≤ 2): the step is cut into 34 sub-steps, so a point
    release stays non-negative everywhere (one Crank–Nicolson step of a day overshoots
    below zero next to the release), and the mass is kept."""
    graph = _block(6, 2e-4)
    diffusion = Diffusion(graph, [D_TNF])
    assert diffusion.substeps(D_TNF, DAY) == 34
    state = np.zeros((graph.n_points, 1))
    state[graph.n_points // 2, 0] = 1.0
    mass0 = diffusion.mass(state)
    diffusion.step(state, DAY)
    assert state.min() >= 0.0
    assert np.allclose(diffusion.mass(state), mass0, rtol=MASS_TOLERANCE, atol=0.0)
    # the same day as one Crank–Nicolson step (what the sub-steps avoid) goes negative
    single = np.zeros_like(state)
    single[graph.n_points // 2, 0] = 1.0
    a = 0.5 * D_TNF * DAY
    right = graph.volumes[:, None] * single - a * (diffusion.laplacian @ single)
    assert right.min() < 0.0
