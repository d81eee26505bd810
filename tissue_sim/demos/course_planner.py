"""Demo: a course planner — the same total time under the hands, spread three ways.

Kneading of a low back with a chronic overuse problem, 210 minutes in all over one week:
30 min every day, 70 min three times a week, or all 210 min in one session on the first
day. Each plan is compared with the same week without massage (the run's own control).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.demos._common import demo_scenario
from tissue_sim.demos.registry import Demo, DemoOutcome, Progress
from tissue_sim.io import RunResult

__all__ = ["PLANS", "run"]

FloatArray = NDArray[np.float64]

#: The plans: name → (label, overrides of ``configs/demos/course_planner.yaml``).
PLANS: dict[str, tuple[str, list[str]]] = {
    "daily": ("30 min every day", []),
    "three_a_week": (
        "70 min three times a week",
        [
            "schedule.session_duration=70 min",
            "schedule.treatment_days={weekdays: [0, 2, 4], weeks: 1}",
        ],
    ),
    "one_long": (
        "210 min in one session",
        ["schedule.session_duration=210 min", "schedule.treatment_days=[0]"],
    ),
}
#: Species of the shipped models this demonstration reads (a documented default:
#: ``models/cells/*.yaml``).
M1, TGFB1, COLLAGEN, IL6, SENSOR = "m1", "tgfb1_active", "collagen", "il6", "fak"
_DAY = 86400.0
_COLOURS = {"daily": "#009E73", "three_a_week": "#0072B2", "one_long": "#D55E00"}


def _change(result: RunResult, layer: str, species: str, column: int = 0) -> FloatArray:
    """Treated against control over time [%] (column 0: layer mean, 2: 90th percentile)."""
    assert result.biology is not None and result.biology.control is not None
    treated = result.biology.layers[layer][species][:, column]
    control = result.biology.control[layer][species][:, column]
    return np.asarray(100.0 * (treated - control) / control)


def _times(result: RunResult) -> FloatArray:
    """A run's output times [s] (each schedule has its own grid)."""
    assert result.biology is not None
    return np.asarray(result.biology.time)


def _average(time: FloatArray, values: FloatArray) -> float:
    """Time average over the course (trapezoid rule)."""
    return float(np.trapezoid(values, time) / (time[-1] - time[0]))


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.pipeline import run as run_scenario
    from tissue_sim.viz.figure_helpers import panel_grid, save_figure

    results: dict[str, RunResult] = {}
    for index, (plan, (label, overrides)) in enumerate(PLANS.items()):
        progress(f"plan {index + 1} of {len(PLANS)}: {label}")
        results[plan] = run_scenario(demo_scenario(demo.config, overrides))
    first = results["daily"]
    layers = list(first.mesh.layer_names)
    minutes = {}
    for plan, result in results.items():
        assert result.biology is not None
        sessions = result.biology.session_intervals
        minutes[plan] = float(np.sum(sessions[:, 1] - sessions[:, 0])) / 60.0
    assert first.biology is not None
    time = first.biology.time
    days = float(time[-1]) / _DAY
    end = {
        species: {
            plan: {layer: float(_change(r, layer, species)[-1]) for layer in layers}
            for plan, r in results.items()
        }
        for species in (M1, TGFB1, COLLAGEN)
    }
    average_m1 = {
        plan: {layer: _average(_times(r), _change(r, layer, M1)) for layer in layers}
        for plan, r in results.items()
    }
    il6_peak = {
        plan: {layer: float(np.max(_change(r, layer, IL6, 2))) for layer in layers}
        for plan, r in results.items()
    }
    sensor_peak = {}
    for plan, result in results.items():
        assert result.biology is not None and result.biology.control is not None
        sensor_peak[plan] = {
            layer: float(
                np.max(
                    result.biology.layers[layer][SENSOR][:, 2]
                    - result.biology.control[layer][SENSOR][:, 2]
                )
            )
            for layer in layers
        }
    focus = min(layers, key=lambda layer: end[M1]["daily"][layer])
    best = min(PLANS, key=lambda plan: average_m1[plan][focus])

    progress("drawing the three plans")
    figure, axes = panel_grid(
        4,
        title=(
            f"Three plans, the same {minutes['daily']:.0f} min of kneading, in the {focus} "
            "(start: chronic overuse; each against no massage)"
        ),
        columns=2,
        panel_size=(4.6, 3.2),
    )
    ax = axes[0]
    for row, (plan, result) in enumerate(results.items()):
        assert result.biology is not None
        for start, stop in result.biology.session_intervals:
            ax.broken_barh(
                [(start / _DAY, max((stop - start) / _DAY, 0.02))],
                (row - 0.35, 0.7),
                color=_COLOURS[plan],
            )
    ax.set_yticks(range(len(PLANS)), [PLANS[plan][0] for plan in PLANS], fontsize=8)
    ax.set_xlim(0.0, days)
    ax.set_xlabel("day")
    ax.set_title("The plans (bars: sessions)", fontsize=10)
    for ax, species, column, label in (
        (axes[1], M1, 0, "M1 macrophages vs no massage [%]"),
        (axes[2], IL6, 2, "IL-6 (most loaded tenth) vs no massage [%]"),
    ):
        for plan, result in results.items():
            assert result.biology is not None
            ax.plot(
                result.biology.time / _DAY,
                _change(result, focus, species, column),
                color=_COLOURS[plan],
                lw=1.6,
                label=PLANS[plan][0],
            )
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel("day")
        ax.set_title(label, fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[2].legend(fontsize=8)
    ax = axes[3]
    x = np.arange(len(PLANS))
    for offset, species, label, colour in (
        (-0.27, M1, "M1", "#CC79A7"),
        (0.0, TGFB1, "active TGF-β1", "#56B4E9"),
        (0.27, COLLAGEN, "collagen index", "#E69F00"),
    ):
        ax.bar(
            x + offset,
            [end[species][plan][focus] for plan in PLANS],
            0.27,
            color=colour,
            label=label,
        )
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xticks(x, ["daily", "3 × a week", "one session"], fontsize=9)
    ax.set_ylabel(f"day {days:g}, vs no massage [%]")
    ax.set_title("Where each plan ends: lower is better", fontsize=10)
    ax.legend(fontsize=8)
    figures = [save_figure(figure, output / "course_planner.png")]

    def describe(plan: str) -> str:
        return (
            f"{PLANS[plan][0]}: M1 {end[M1][plan][focus]:+.2g} % (on average over the week "
            f"{average_m1[plan][focus]:+.2g} %), active TGF-β1 {end[TGFB1][plan][focus]:+.2g} %, "
            f"collagen {end[COLLAGEN][plan][focus]:+.2g} %"
        )

    overuse = sensor_peak["one_long"][focus] > 0.05
    narrative = [
        f"A course planner: the same {minutes['daily']:.0f} minutes of kneading at 5 kPa "
        f"spread three ways over {days:g} days — "
        + "; ".join(PLANS[plan][0] for plan in PLANS)
        + " — for a low back with a chronic overuse problem. Each plan is compared with the "
        "same week without massage (the control) (course_planner.png).",
        f"In the {focus}, the layer that answers most, on day {days:g} against the control: "
        + "; ".join(describe(plan) for plan in PLANS)
        + ".",
        "In these models each session speeds the M1 → M2 switch and the drainage of "
        "TGF-β1 for as long as it lasts, and the tissue drifts back between sessions. "
        + (
            f"Daily sessions and three longer ones a week do about as well over the week "
            f"(M1 {average_m1['daily'][focus]:+.2g} % and "
            f"{average_m1['three_a_week'][focus]:+.2g} % on average); on day {days:g} the "
            "daily plan looks better only because its last session is nearer — when you "
            "measure matters as much as the plan. "
            if abs(average_m1["daily"][focus] - average_m1["three_a_week"][focus])
            < 0.25 * abs(average_m1["daily"][focus])
            else f"Over the week the daily plan gives M1 {average_m1['daily'][focus]:+.2g} % "
            f"and three sessions a week {average_m1['three_a_week'][focus]:+.2g} % on "
            "average. "
        )
        + (
            f"One long session helps for a day or two, and it crosses "
            f"the overuse line: after thousands of fast cycles ({minutes['one_long']:.0f} min at "
            f"0.5 Hz is {minutes['one_long'] * 30:.0f} strokes) the fibroblasts' injury sensor "
            f"switches on (up by {sensor_peak['one_long'][focus]:.2g} in the most loaded tenth), "
            f"IL-6 there rises by up to {il6_peak['one_long'][focus]:+.3g} %, and TGF-β1 and "
            "collagen end above the control — the repetitive-strain injury of the Standley lab "
            "(8 h of repetitive strain raised IL-6), in miniature."
            if overuse
            else "One long session does not cross the models' overuse line here."
        ),
        "What was measured: animal studies of massage-like loading used 15–30 min a day for "
        "4 days (Haas 2013, Waters-Banker 2014), 5 days a week (Bove 2016) or 3 times a week "
        "(Bove 2019, Barbe 2021) for weeks; none compared plans of the same total time, so "
        "this comparison is the models' prediction, not a measurement.",
        "Limits: the sizes of the effects and the overuse threshold (about 4 000 fast "
        "cycles) are assumptions of the models; the person is not modelled (see "
        "docs/teaching.md: what models cannot capture), strains come from linear "
        "elasticity, and one week is short for fibrosis, which changes over months.",
    ]
    numbers = {
        "focus_layer": focus,
        "minutes": minutes,
        "end_change_percent": end,
        "m1_average_change_percent": average_m1,
        "il6_p90_peak_change_percent": il6_peak,
        "sensor_p90_peak_rise": sensor_peak,
        "best_plan": best,
    }
    return DemoOutcome(narrative, figures, numbers)
