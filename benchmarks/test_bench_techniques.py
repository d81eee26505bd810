"""Benchmark of a whole massage technique's mechanics (issue 3, "Performance (benchmarks/)").

A 50-frame effleurage stroke (``effleurage_300k.yaml``: lumbar stack, ~300k DOFs, Q1
mixed formulation) beside one single-load solve on the same mesh in the same run: the
stroke's patch, pressure and friction-coupled shear held still at the centre. Both go
through ``solve_linear_frames`` from a fresh process, so each time includes assembly,
load vectors, the solver set-up (once: with ``auto`` the direct factorisation at these
sizes), the solves and the per-frame cell fields.

Issue target (reported in the end-of-run summary, never asserted): the stroke costs
≤ 3× the single solve; peak memory reported. ``TISSUE_SIM_BENCH_SCALE=small`` runs
~30k DOFs and a 4-frame stroke (the fewest that resolve it);
``TISSUE_SIM_BENCH_FRAMES`` sets the frame count (a shorter stroke is extrapolated to 50
frames in the summary, clearly labelled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _fem_cases import EFFLEURAGE_FRAMES, ISSUE_FRAMES, MAIN_SIZE
from _support import GIB, derived, measure_in_worker, record

CASES = Path(__file__).with_name("_fem_cases.py")
TECHNIQUE = f"Technique mechanics, Q1 mixed, {MAIN_SIZE} DOFs (issue 3)"

#: Benchmark name → (technique, frames requested).
VARIANTS = {
    "single_load": ("single_load", 1),
    f"effleurage_{EFFLEURAGE_FRAMES}_frames": ("effleurage", EFFLEURAGE_FRAMES),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_technique_mechanics(benchmark: Any, variant: str) -> None:
    """Mechanics of one technique with one set-up solver (issue 3: stroke ≤ 3× single).

    ``single_load``: one static frame. ``effleurage_N_frames``: the moving patch, N
    loaded frames (plus the unloaded lift-off frames, which need no solve).
    """
    technique, frames = VARIANTS[variant]
    benchmark.group = TECHNIQUE
    params = {"size": MAIN_SIZE, "technique": technique, "frames": frames, "method": "auto"}
    result = measure_in_worker(benchmark, CASES, "technique_mechanics", params)
    facts = result.facts
    record(
        TECHNIQUE,
        variant,
        **{
            "DOFs": result.info["dofs"],
            "frames": facts["frames"],
            "solver": facts.get("method", ""),
            "solves": facts["solves"],
            "time [s]": result.seconds,
            "assembly [s]": facts["assembly_seconds"],
            "loads [s]": facts["loads_seconds"],
            "solver set-up [s]": facts["setup_seconds"],
            "solves [s]": facts["solve_seconds"],
            "fields [s]": facts["fields_seconds"],
            "iterations (total)": facts["iterations_total"],
            "peak RSS [GiB]": result.process_peak_rss / GIB,
        },
    )


TECHNIQUE_DIRECT = "Technique mechanics, Q1 mixed, 30k DOFs, direct solver (issue 3)"

#: Benchmark name → (technique, frames): 30k DOFs, where ``auto`` picks the direct solver.
DIRECT_VARIANTS = {
    "single_load": ("single_load", 1),
    f"effleurage_{ISSUE_FRAMES}_frames": ("effleurage", ISSUE_FRAMES),
}


@pytest.mark.parametrize("variant", list(DIRECT_VARIANTS))
def test_technique_mechanics_direct(benchmark: Any, variant: str) -> None:
    """The same comparison with the factorise-once direct solver (the default at 30k).

    One nested-dissection Cholesky-like factorisation serves every frame, so each frame
    after the first costs a pair of triangular solves.
    """
    technique, frames = DIRECT_VARIANTS[variant]
    benchmark.group = TECHNIQUE_DIRECT
    params = {"size": "30k", "technique": technique, "frames": frames, "method": "direct"}
    result = measure_in_worker(benchmark, CASES, "technique_mechanics", params)
    facts = result.facts
    record(
        TECHNIQUE_DIRECT,
        variant,
        **{
            "DOFs": result.info["dofs"],
            "frames": facts["frames"],
            "solves": facts["solves"],
            "time [s]": result.seconds,
            "assembly [s]": facts["assembly_seconds"],
            "factorisation [s]": facts["setup_seconds"],
            "solves [s]": facts["solve_seconds"],
            "fields [s]": facts["fields_seconds"],
            "peak RSS [GiB]": result.process_peak_rss / GIB,
        },
    )


@derived
def _direct_stroke_ratio(rows: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    table = rows.get(TECHNIQUE_DIRECT, {})
    stroke = next((row for name, row in table.items() if name.startswith("effleurage")), None)
    single = table.get("single_load")
    if stroke is None or single is None:
        return []
    ratio = stroke["time [s]"] / single["time [s]"]
    verdict = "met" if ratio <= 3 else "MISSED"
    return [
        f"- direct solver, 30k: effleurage ({stroke['solves']} loaded frames) / single load: "
        f"{ratio:.2f}× (target ≤ 3×: {verdict}); peak RSS {stroke['peak RSS [GiB]']:.2f} GiB "
        f"vs {single['peak RSS [GiB]']:.2f} GiB"
    ]


@derived
def _stroke_ratio(rows: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    table = rows.get(TECHNIQUE, {})
    stroke = next((row for name, row in table.items() if name.startswith("effleurage")), None)
    single = table.get("single_load")
    if stroke is None or single is None:
        return []
    ratio = stroke["time [s]"] / single["time [s]"]
    lines = [
        f"- effleurage ({stroke['solves']} loaded frames) / single load: {ratio:.2f}× "
        f"(target ≤ 3× for {ISSUE_FRAMES} frames: "
        f"{('met' if ratio <= 3 else 'MISSED') if stroke['solves'] >= ISSUE_FRAMES else 'n/a'})"
        f"; solver ({stroke['solver']}) set-up + solves "
        f"{(stroke['solver set-up [s]'] + stroke['solves [s]']):.1f} s vs "
        f"{(single['solver set-up [s]'] + single['solves [s]']):.1f} s; peak RSS "
        f"{stroke['peak RSS [GiB]']:.2f} GiB vs {single['peak RSS [GiB]']:.2f} GiB"
    ]
    solves = stroke["solves"]
    if 0 < solves < ISSUE_FRAMES:
        # per loaded frame: one solve + its load vector and cell fields; the rest is fixed
        per_frame = (stroke["solves [s]"] + stroke["loads [s]"] + stroke["fields [s]"]) / solves
        fixed = stroke["time [s]"] - per_frame * solves
        estimate = fixed + per_frame * ISSUE_FRAMES
        verdict = "met" if estimate <= 3 * single["time [s]"] else "MISSED"
        lines.append(
            f"- extrapolated to {ISSUE_FRAMES} loaded frames ({per_frame:.1f} s per frame "
            f"+ {fixed:.1f} s fixed): {estimate:.0f} s = {estimate / single['time [s]']:.1f}× "
            f"the single load (target ≤ 3×: {verdict})"
        )
    return lines
