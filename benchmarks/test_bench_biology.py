"""Benchmark: the cell models at every material point over a 14-day course, treated and
untreated control, beside scipy's ``solve_ivp`` BDF.

The case is what ``tissue-sim run`` does in its biology stage: the default composition of
the shipped models (fibroblast + TGF-β1 + macrophages, ``DEFAULT_CELL_MODELS``), one
30-minute session a day at 09:00, hourly per-layer summaries over four layers, the
treated course and its untreated control (``simulate(control=True)``), identical points
integrated once.

The points: a block of which a fraction feels the hand (``TISSUE_SIM_BENCH_LOADED``,
default 0.2; every loaded point has its own dose, from triangle strain cycles whose peak
decays with depth, turned into the model's dose features by the stimulus stage) and the
rest does not. Assumption: far from the hand the strain is exactly zero, so are the
features, and the unloaded points share one integration with the control.
``TISSUE_SIM_BENCH_LOADED=1`` makes every point distinct (the worst case; with today's
ungated features a real mesh is close to it).

The peer: ``scipy.integrate.solve_ivp(method="BDF")`` on the same system, segment by
segment (sessions on/off), with the analytic Jacobian passed as ``jac=`` a block-diagonal
``bsr_matrix`` (``jac_sparsity`` needs a dense index array and fails at 1e5 points; see
``/work/shared/ENVIRONMENT.md``), on a batch of distinct loaded points
(``TISSUE_SIM_BENCH_SCIPY_POINTS``, default 10 000). Both are compared per *distinct*
point: the time divided by the points each one actually integrated.

Every case runs in a fresh process with ``OPENBLAS_NUM_THREADS=1``; the load average is
recorded with each. Sizes: ``TISSUE_SIM_BENCH_SCALE=small`` (smoke run: 4 000 points,
2 days, scipy on 400) or the default (100 000 points, 14 days). Targets (issue 10):
≥ 30× faster than scipy per distinct point, ≤ 20 s in all at 100 000 points.

Run one case by hand: ``python benchmarks/test_bench_biology.py ours|scipy [points] [days]``
prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HOUR = 3600.0
DAY = 24 * HOUR
SMALL = os.environ.get("TISSUE_SIM_BENCH_SCALE", "").lower() == "small"
N_POINTS = 4_000 if SMALL else 100_000
N_DAYS = 2 if SMALL else 14
LOADED = float(os.environ.get("TISSUE_SIM_BENCH_LOADED", "0.2"))
SCIPY_POINTS = int(os.environ.get("TISSUE_SIM_BENCH_SCIPY_POINTS", 400 if SMALL else 10_000))
RTOL = 1e-4
ATOL = 1e-8
INITIAL = "chronic_overuse"


def block_stimulus(
    n_points: int,
    loaded: float,
    inputs: tuple[str, ...],
    seed: int = 0,
    positions: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Dose features of a block: a fraction ``loaded`` under the hand, the rest untouched.

    Every loaded point goes through 1-s triangle strain cycles (0 → peak → 0, 15-min
    sessions) whose peak decays with depth (up to 12 %, each point its own); its features
    are those the stimulus stage computes from that history, for every name in ``inputs``
    (the cell model's inputs). Unloaded points have zero strain, so zero features. Returns
    the features and the layer of every point (four layers by depth). ``positions``
    (``(n, 3)`` in the unit cube): the depth is ``z`` and the loaded points are those with
    ``x < loaded`` (a contiguous patch, for diffusion; each with its own peak, ±10 %);
    default random.
    """
    from tissue_sim.stimulus import compute_features

    rng = np.random.default_rng(seed)
    depth = rng.random(n_points) if positions is None else positions[:, 2]
    under = rng.random(n_points) if positions is None else positions[:, 0]
    peak = 0.12 * np.exp(-3.0 * depth) * (under < loaded)
    if positions is not None:  # each loaded cell its own dose, as on a real mesh
        peak *= 1.0 + 0.1 * rng.random(n_points)
    times = np.linspace(0.0, 1.0, 9)
    shape = 1.0 - np.abs(2.0 * times - 1.0)  # 0 → 1 → 0 over one cycle
    tensors = np.zeros((times.size, n_points, 3, 3))
    tensors[:, :, 0, 0] = shape[:, None] * peak[None, :]
    features = compute_features(
        tensors,
        times,
        cycle_period=1.0,
        threshold=0.01,
        session_duration=900.0,
        level_features=list(inputs),
    )
    # the time-course features of the pipeline (not from a strain history): assumption,
    # the skin follows the point's cycle (mean strain, triangle rate) and the capillaries
    # close in proportion to the peak (fully at 12 %); all zero where the strain is zero
    course = {
        "skin_strain": 0.5 * peak,
        "skin_strain_rate": 2.0 * peak,
        "capillary_closure": peak / 0.12,
    }
    stimulus = {
        name: np.asarray(features[name] if name in features else course[name], dtype=float)
        for name in inputs
    }
    return stimulus, np.minimum((depth * 4).astype(np.intp), 3)


def daily_sessions(n_days: int) -> np.ndarray:
    """One 30-minute session a day at 09:00 [s]."""
    return np.array([[day * DAY + 9 * HOUR, day * DAY + 9.5 * HOUR] for day in range(n_days)])


def _load_average() -> float:
    return float(os.getloadavg()[0])


def _model() -> Any:
    """The composition ``tissue-sim run`` integrates by default (``DEFAULT_CELL_MODELS``;
    the teaching models perfusion and afferent_gating are not in it)."""
    from tissue_sim.biology import load_model
    from tissue_sim.config import DEFAULT_CELL_MODELS

    return load_model(list(DEFAULT_CELL_MODELS))


def case_ours(n_points: int, n_days: int) -> dict[str, Any]:
    """Treated + untreated control at every point: wall time and what was integrated."""
    import psutil

    from tissue_sim.biology.simulate import simulate

    model = _model()
    stimulus, layers = block_stimulus(n_points, LOADED, model.inputs)
    load = _load_average()
    cpu = time.process_time()
    start = time.perf_counter()
    result = simulate(
        model,
        stimulus,
        daily_sessions(n_days),
        n_days * DAY,
        initial_state=INITIAL,
        groups=layers,
        weights=np.ones(n_points),
        rtol=RTOL,
        atol=ATOL,
        control=True,
    )
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    assert result.control_summaries is not None
    assert np.all(np.isfinite(result.final_state))
    return {
        "case": "ours",
        "points": n_points,
        "days": n_days,
        "loaded_fraction": LOADED,
        "distinct": result.n_distinct,
        "integrated": result.n_integrated,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_distinct_ms": 1e3 * wall / result.n_integrated,
        "cpu_per_distinct_ms": 1e3 * cpu / result.n_integrated,
        "peak_rss_mb": psutil.Process().memory_info().rss / 2**20,
        "load_before": load,
        "load_after": _load_average(),
        **result.stats.as_dict(),
    }


def grid_cells(n_points: int, cell: float = 5e-4) -> tuple[Any, np.ndarray]:
    """A cube of ``k³ ≈ n_points`` hexahedra of edge ``cell`` [m]: its finite-volume graph
    (:func:`tissue_sim.biology._diffusion.cell_graph`) and the cell centres in the unit cube."""
    from tissue_sim.biology._diffusion import cell_graph

    k = max(2, round(n_points ** (1.0 / 3.0)))
    axis = np.arange(k + 1) * cell
    nodes = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    i, j, m = (c.reshape(-1) for c in np.meshgrid(*(np.arange(k),) * 3, indexing="ij"))

    def node(di: int, dj: int, dm: int) -> np.ndarray:
        return ((i + di) * (k + 1) + (j + dj)) * (k + 1) + (m + dm)

    # basix hexahedron order: (0,0,0) (1,0,0) (0,1,0) (1,1,0) (0,0,1) (1,0,1) (0,1,1) (1,1,1)
    corners = [node(di, dj, dm) for dm in (0, 1) for dj in (0, 1) for di in (0, 1)]
    cells = np.column_stack(corners)
    graph = cell_graph(nodes, cells, np.full(cells.shape[0], cell**3))
    return graph, (np.column_stack([i, j, m]) + 0.5) / k


def case_grid(n_points: int, n_days: int, diffusion: bool) -> dict[str, Any]:
    """Treated + control on a cube of cells whose loaded part is a contiguous slab, with
    the shipped diffusivities (``cells=``) or without (every cell isolated)."""
    from tissue_sim.biology.simulate import simulate

    model = _model()
    graph, positions = grid_cells(n_points)
    stimulus, layers = block_stimulus(graph.n_points, LOADED, model.inputs, positions=positions)
    load = _load_average()
    cpu = time.process_time()
    start = time.perf_counter()
    result = simulate(
        model,
        stimulus,
        daily_sessions(n_days),
        n_days * DAY,
        initial_state=INITIAL,
        groups=layers,
        weights=graph.volumes,
        rtol=RTOL,
        atol=ATOL,
        control=True,
        cells=graph if diffusion else None,
    )
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    assert np.all(np.isfinite(result.final_state))
    return {
        "case": "grid_diffusion" if diffusion else "grid",
        "points": graph.n_points,
        "days": n_days,
        "integrated": result.n_integrated,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_before": load,
        "load_after": _load_average(),
        **result.stats.as_dict(),
    }


def case_scipy(n_points: int, n_days: int) -> dict[str, Any]:
    """solve_ivp BDF with a block-diagonal bsr_matrix Jacobian on distinct loaded points."""
    import scipy.sparse
    from scipy.integrate import solve_ivp

    from tissue_sim.biology.simulate import session_segments

    model = _model()
    stimulus, _ = block_stimulus(n_points, 1.0, model.inputs, seed=1)  # all loaded, distinct
    n_species = model.n_species
    blocks = np.arange(n_points)
    pointers = np.arange(n_points + 1)
    zeros = {name: np.zeros(n_points) for name in stimulus}
    state = np.tile(model.initial_state(INITIAL), n_points)
    counts = {"nfev": 0, "njev": 0, "nlu": 0}
    load = _load_average()
    cpu = time.process_time()
    start = time.perf_counter()
    for segment in session_segments(daily_sessions(n_days), n_days * DAY):
        inputs = stimulus if segment.stimulus_on else zeros

        def rhs(_t: float, y: np.ndarray, inputs: dict[str, np.ndarray] = inputs) -> np.ndarray:
            return model.rhs(0.0, y.reshape(n_points, n_species), inputs).reshape(-1)

        def jac(_t: float, y: np.ndarray, inputs: dict[str, np.ndarray] = inputs) -> Any:
            dense = model.jacobian(0.0, y.reshape(n_points, n_species), inputs)
            return scipy.sparse.bsr_matrix(
                (dense, blocks, pointers), shape=(n_points * n_species,) * 2
            )

        solution = solve_ivp(
            rhs, (segment.start, segment.end), state, method="BDF", jac=jac, rtol=RTOL, atol=ATOL
        )
        assert solution.success, solution.message
        state = solution.y[:, -1]
        for key in counts:
            counts[key] += int(getattr(solution, key))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return {
        "case": "scipy_bdf_bsr_jac",
        "points": n_points,
        "days": n_days,
        "distinct": n_points,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_distinct_ms": 1e3 * wall / n_points,
        "cpu_per_distinct_ms": 1e3 * cpu / n_points,
        "load_before": load,
        "load_after": _load_average(),
        **counts,
    }


def run_case(case: str, n_points: int, n_days: int) -> dict[str, Any]:
    """Run one case in a fresh Python process (``OPENBLAS_NUM_THREADS=1``)."""
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), case, str(n_points), str(n_days)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark case {case} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_bench_biology_treated_and_control_beside_scipy_bdf(benchmark: Any) -> None:
    """Ours (treated + control, deduplicated) and scipy BDF, each in a fresh process."""
    rows: dict[str, dict[str, Any]] = {}

    def both() -> None:
        rows["ours"] = run_case("ours", N_POINTS, N_DAYS)
        rows["scipy"] = run_case("scipy", SCIPY_POINTS, N_DAYS)

    benchmark.pedantic(both, rounds=1, iterations=1)
    ours, peer = rows["ours"], rows["scipy"]
    ratio = peer["per_distinct_ms"] / ours["per_distinct_ms"]
    cpu_ratio = peer["cpu_per_distinct_ms"] / ours["cpu_per_distinct_ms"]
    benchmark.extra_info.update(
        {"ours": ours, "scipy": peer, "ratio_per_distinct": ratio, "cpu_ratio": cpu_ratio}
    )
    print(
        f"\nours: {ours['points']} points ({ours['distinct']} distinct, "
        f"{ours['integrated']} integrated with the control) × {ours['days']} days: "
        f"{ours['wall_s']:.1f} s, {ours['per_distinct_ms']:.3f} ms per distinct point, "
        f"load {ours['load_before']:.1f}→{ours['load_after']:.1f}"
        f"\nscipy BDF (bsr jac): {peer['points']} distinct points: {peer['wall_s']:.1f} s, "
        f"{peer['per_distinct_ms']:.3f} ms per point, load "
        f"{peer['load_before']:.1f}→{peer['load_after']:.1f}"
        f"\ncpu time: ours {ours['cpu_s']:.1f} s, scipy {peer['cpu_s']:.1f} s; per distinct "
        f"point {cpu_ratio:.1f}×"
        f"\nratio per distinct point: {ratio:.1f}× (target ≥ 30×); ours in all "
        f"{ours['wall_s']:.1f} s (target ≤ 20 s at 100 000 points)"
    )
    assert ours["distinct"] <= ours["points"] and ratio > 0.0


#: Size of the diffusion case (cells of a cube, 0.5-mm edge): smaller than the main case,
#: since with diffusion every cell integrates and the splitting restarts the solver
DIFFUSION_POINTS = 4_000 if SMALL else 20_000


def test_bench_biology_with_and_without_diffusion(benchmark: Any) -> None:
    """The same cube with the shipped diffusivities and without, each in a fresh process:
    what reaction–diffusion costs the biology stage (docs/biology.md "Default and cost")."""
    rows: dict[str, dict[str, Any]] = {}

    def both() -> None:
        rows["off"] = run_case("grid", DIFFUSION_POINTS, N_DAYS)
        rows["on"] = run_case("grid_diffusion", DIFFUSION_POINTS, N_DAYS)

    benchmark.pedantic(both, rounds=1, iterations=1)
    off, on = rows["off"], rows["on"]
    benchmark.extra_info.update({"off": off, "on": on, "cpu_ratio": on["cpu_s"] / off["cpu_s"]})
    print(
        f"\n{on['points']} cells × {on['days']} days, loaded slab {LOADED:.0%}: without "
        f"diffusion {off['cpu_s']:.1f} s CPU ({off['integrated']} integrated), with "
        f"{on['cpu_s']:.1f} s CPU ({on['integrated']} integrated): "
        f"{on['cpu_s'] / off['cpu_s']:.1f}×; load {off['load_before']:.1f}→{on['load_after']:.1f}"
    )
    assert on["integrated"] >= off["integrated"]


if __name__ == "__main__":
    name = sys.argv[1]
    points = int(sys.argv[2]) if len(sys.argv) > 2 else N_POINTS
    days = int(sys.argv[3]) if len(sys.argv) > 3 else N_DAYS
    cases = {
        "ours": case_ours,
        "scipy": case_scipy,
        "grid": lambda n, d: case_grid(n, d, False),
        "grid_diffusion": lambda n, d: case_grid(n, d, True),
    }
    print(json.dumps(cases[name](points, days)))
