"""Solver paths side by side on the lumbar stack (issue 11): the basis of ``auto``'s choice.

For each size (30k, 100k, 300k DOFs; Q1 mixed, the single static load) and each method:
set-up (factorisation or hierarchy), one solve, a block of 50 right-hand sides (direct
paths: what a 50-frame stroke costs after the factorisation), peak RSS, factor fill.
One fresh worker process per case, one BLAS/MKL thread. SuperLU is run up to 100k (at
300k it took 313 s and 12 GB, benchmarks/README.md). ``TISSUE_SIM_BENCH_SCALE=small``:
30k only.

    .venv/bin/pytest benchmarks/test_bench_solvers.py --benchmark-only -p no:randomly -s
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from _support import GIB, SCALE, measure_in_worker, record

CASES = Path(__file__).with_name("_fem_cases.py")
SIZES = ("30k",) if SCALE == "small" else ("30k", "100k", "300k")
METHODS = ("pardiso", "cholmod", "superlu", "amg")
SECTION = "Solver paths, Q1 mixed lumbar stack, single load (issue 11)"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", SIZES)
def test_solver_path(benchmark: Any, size: str, method: str) -> None:
    """Set-up + one solve + a 50-column block solve with one method (fresh process)."""
    from tissue_sim.fem.solvers import available_methods

    if method not in available_methods():
        pytest.skip(f"{method} is not installed")
    if method == "superlu" and size == "300k":
        pytest.skip("SuperLU at 300k: 313 s and 12 GB (measured), not repeated")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    benchmark.group = SECTION
    load_before = os.getloadavg()[0]
    result = measure_in_worker(
        benchmark, CASES, "solver_comparison", {"size": size, "method": method}
    )
    facts = result.facts
    record(
        SECTION,
        f"{size} {method}",
        **{
            "DOFs": result.info["dofs"],
            "set-up [s]": facts["setup_seconds"],
            "1 solve [s]": facts["solve_seconds"],
            "50 solves [s]": facts["block_seconds"],
            "iterations": facts["iterations"],
            "factor non-zeros": facts["fill"] if facts["fill"] is not None else "",
            "peak RSS [GiB]": result.peak_rss / GIB,
            "load avg before/after": f"{load_before:.1f}/{os.getloadavg()[0]:.1f}",
        },
    )
