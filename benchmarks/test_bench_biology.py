"""Benchmark: cell models at every material point over a 14-day treatment course.

Composed models (fibroblast + TGF-β1 + macrophages, 13 species), one 30-min session a
day, hourly per-layer summaries. Our batched ESDIRK solver runs on every point; scipy's
``solve_ivp(method="BDF")`` with a block-diagonal ``jac_sparsity`` runs the same system on
growing batches until one run would exceed the time budget, and its cost per point is
extrapolated linearly to the full size.

Sizes: ``TISSUE_SIM_BENCH_SCALE=small`` (smoke run: 2 000 points, 2 days, 10-s baseline
budget) or the default full size (100 000 points, 14 days, 300-s baseline budget;
``TISSUE_SIM_BENCH_BASELINE_BUDGET`` overrides the budget in seconds). Targets (issue 4):
≥ 20× faster per point than the baseline, ≤ 60 s and ≤ 4 GB for 100 000 points.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psutil
import pytest
import scipy.sparse
from scipy.integrate import solve_ivp

from tissue_sim.biology import CellModel, list_models, load_model
from tissue_sim.biology.simulate import session_segments, simulate

HOUR = 3600.0
DAY = 24 * HOUR
SMALL = os.environ.get("TISSUE_SIM_BENCH_SCALE", "").lower() == "small"
N_POINTS = 2_000 if SMALL else 100_000
N_DAYS = 2 if SMALL else 14
BUDGET = float(os.environ.get("TISSUE_SIM_BENCH_BASELINE_BUDGET", 10.0 if SMALL else 300.0))
RTOL = 1e-4
ATOL = 1e-8


def synthetic_stimulus(n_points: int, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Stimulus features decaying with depth below a massage contact, and layer labels."""
    rng = np.random.default_rng(seed)
    depth = rng.random(n_points)
    attenuation = np.exp(-3.0 * depth)
    stimulus = {
        "effective_strain_peak": 0.12 * attenuation,
        "effective_strain_mean": 0.06 * attenuation,
        "strain_rate_peak": 0.3 * attenuation + 0.01,
    }
    return stimulus, np.minimum((depth * 4).astype(np.intp), 3)


def daily_sessions(n_days: int) -> np.ndarray:
    """One 30-minute session a day at 09:00 [s]."""
    return np.array([[day * DAY + 9 * HOUR, day * DAY + 9.5 * HOUR] for day in range(n_days)])


@contextmanager
def peak_memory() -> Iterator[dict[str, float]]:
    """Sample the resident set size every 20 ms; yields a dict filled with MB figures."""
    process = psutil.Process()
    baseline = process.memory_info().rss
    figures = {"baseline_mb": baseline / 2**20, "peak_mb": baseline / 2**20}
    stop = threading.Event()

    def sample() -> None:
        peak = baseline
        while not stop.wait(0.02):
            peak = max(peak, process.memory_info().rss)
        figures["peak_mb"] = max(peak, process.memory_info().rss) / 2**20

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield figures
    finally:
        stop.set()
        sampler.join()
        figures["increase_mb"] = figures["peak_mb"] - figures["baseline_mb"]


def scipy_bdf(model: CellModel, stimulus: dict[str, np.ndarray], n_days: int) -> float:
    """Wall time [s] of solve_ivp BDF with block-diagonal jac_sparsity on all points."""
    n_points = next(iter(stimulus.values())).size
    n_species = model.n_species
    pattern = np.zeros((n_species, n_species))
    pattern[model.system.jacobian_rows, model.system.jacobian_cols] = 1.0
    pattern += np.eye(n_species)
    sparsity = scipy.sparse.block_diag([pattern] * n_points, format="csr")
    state = np.tile(model.initial_state("chronic_overuse"), n_points)
    zeros = {name: np.zeros(n_points) for name in stimulus}
    start = time.perf_counter()
    for segment in session_segments(daily_sessions(n_days), n_days * DAY):
        inputs = stimulus if segment.stimulus_on else zeros

        def rhs(_t: float, y: np.ndarray, inputs: dict[str, np.ndarray] = inputs) -> np.ndarray:
            return model.rhs(0.0, y.reshape(n_points, n_species), inputs).reshape(-1)

        solution = solve_ivp(
            rhs,
            (segment.start, segment.end),
            state,
            method="BDF",
            jac_sparsity=sparsity,
            rtol=RTOL,
            atol=ATOL,
        )
        assert solution.success, solution.message
        state = solution.y[:, -1]
    return time.perf_counter() - start


def run_ours(model: CellModel, n_points: int, n_days: int) -> Any:
    stimulus, layers = synthetic_stimulus(n_points)
    return simulate(
        model,
        stimulus,
        daily_sessions(n_days),
        n_days * DAY,
        initial_state="chronic_overuse",
        groups=layers,
        weights=np.ones(n_points),
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.fixture(scope="module")
def model() -> CellModel:
    return load_model(list_models())


def test_bench_biology_batched_esdirk(benchmark: Callable[..., Any], model: CellModel) -> None:
    """Our solver: all points, all days, hourly per-layer summaries."""
    figures: dict[str, float] = {}

    def run() -> Any:
        with peak_memory() as memory:
            result = run_ours(model, N_POINTS, N_DAYS)
        figures.update(memory)
        return result

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    wall = benchmark.stats.stats.max
    benchmark.extra_info.update(
        {
            "points": N_POINTS,
            "days": N_DAYS,
            "species": model.n_species,
            "wall_s": wall,
            "per_point_ms": 1e3 * wall / N_POINTS,
            "peak_rss_mb": figures["peak_mb"],
            "rss_increase_mb": figures["increase_mb"],
            **result.stats.as_dict(),
        }
    )
    print(
        f"\nours: {N_POINTS} points × {N_DAYS} days: {wall:.1f} s, "
        f"{1e3 * wall / N_POINTS:.3f} ms/point, peak RSS {figures['peak_mb']:.0f} MB "
        f"(+{figures['increase_mb']:.0f} MB), {result.stats.as_dict()}"
    )
    assert np.all(np.isfinite(result.final_state))
    assert result.summaries["il6"].shape == (result.time.size, 4, 3)


def test_bench_biology_scipy_bdf_baseline(benchmark: Callable[..., Any], model: CellModel) -> None:
    """solve_ivp BDF + block-diagonal jac_sparsity at the largest batch within the budget."""
    timings: list[tuple[int, float]] = []

    def grow() -> None:
        batch = 8
        while True:
            stimulus, _ = synthetic_stimulus(batch, seed=1)
            elapsed = scipy_bdf(model, stimulus, N_DAYS)
            timings.append((batch, elapsed))
            if elapsed * 4 * 1.5 > BUDGET or batch * 4 > N_POINTS:
                return
            batch *= 4

    benchmark.pedantic(grow, rounds=1, iterations=1)
    batch, elapsed = timings[-1]
    per_point = elapsed / batch
    benchmark.extra_info.update(
        {
            "batches": [b for b, _ in timings],
            "times_s": [t for _, t in timings],
            "largest_batch": batch,
            "per_point_ms": 1e3 * per_point,
            "extrapolated_full_s": per_point * N_POINTS,
            "days": N_DAYS,
        }
    )
    print(
        f"\nscipy BDF: batches {timings}; {1e3 * per_point:.2f} ms/point, "
        f"extrapolated to {N_POINTS} points: {per_point * N_POINTS:.0f} s"
    )
    assert elapsed > 0.0
