"""Demo: the macrophage switch (M1 → M2) over a course of massage sessions.

The day after damaging exercise, many macrophages are of the inflammatory M1 type.
Daily kneading is compared with the same days without massage: the models let
mechanical loading speed the M1 → M2 repolarisation (the direction reported by
Waters-Banker et al. 2014) and the clearance of macrophages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import SUMMARY_STATISTICS
from tissue_sim.demos._common import demo_scenario, untreated_course
from tissue_sim.demos.registry import Demo, DemoOutcome, Progress
from tissue_sim.geometry.layer_statistics import stat

__all__ = ["run"]

FloatArray = NDArray[np.float64]

_DAY = 86400.0

#: A change smaller than this [%] is reported as no effect (the integrator's tolerance on
#: a course of days; a layer that barely strains shows only that).
NO_EFFECT_PERCENT = 0.01

#: The quantities of the shipped macrophage model this demonstration is about (a documented
#: default: ``models/cells/macrophage_polarisation.yaml``): M1 and M2 macrophages and the M2
#: share the model file declares (``report: m2_fraction``, evaluated from its expression).
M1, M2, SHARE = "m1", "m2", "m2_fraction"
#: The panels of ``macrophage_switch.png``: the macrophages, their share and messengers.
PANELS = (M1, M2, SHARE, "tnfa", "il10", "il6")


def _mean(series: FloatArray) -> FloatArray:
    """The layer-mean column of a biology summary ``(T, 3)`` over time [species unit]."""
    return stat(series, "mean", SUMMARY_STATISTICS)


def _at(time: FloatArray, values: FloatArray, when: float) -> float:
    """Value at time ``when`` [s] (linear interpolation)."""
    return float(np.interp(when, time, values))


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.biology.model import evaluate_expression
    from tissue_sim.pipeline import run as run_scenario
    from tissue_sim.viz._quantities import layer_mean
    from tissue_sim.viz._style import layer_colours
    from tissue_sim.viz.biology_figures import plot_layer_series, plot_time_courses

    scenario = demo_scenario(demo.config)
    progress("the course with daily kneading")
    result = run_scenario(scenario)
    biology = result.biology
    assert biology is not None
    progress("the same days without massage")
    control = untreated_course(scenario, biology.time)
    control[SHARE] = evaluate_expression(biology.derived[SHARE], control)

    time = biology.time
    layers = result.mesh.layer_names
    share = {layer: layer_mean(biology, layer, SHARE) for layer in layers}
    m1_change = {
        layer: 100.0 * (_mean(biology.layers[layer][M1]) - control[M1]) / control[M1]
        for layer in layers
    }
    share_gain = {layer: 100.0 * (share[layer] - control[SHARE]) for layer in layers}

    progress("drawing the time courses")
    species = [name for name in PANELS if name in control]
    figures = [
        plot_time_courses(
            result,
            output / "macrophage_switch.png",
            species=species,
            columns=3,
            reference=control,
            reference_label="no massage",
            title=(
                "Macrophages and their messengers after damaging exercise, per layer: daily "
                "kneading (coloured) and no massage (dashed)\ngrey = sessions"
            ),
        ),
        plot_layer_series(
            output / "massage_effect.png",
            time,
            [
                ("M1 macrophages: massage vs none", "difference [%]", m1_change),
                (
                    "M2 share M2/(M1+M2): massage vs none",
                    "difference [percentage points]",
                    share_gain,
                ),
            ],
            colours=layer_colours(layers),
            session_intervals=biology.session_intervals,
            title="What the massage adds, per layer (0 = same as without massage)",
            columns=2,
        ),
    ]

    measure = result.stimulus.effective_measure if result.stimulus else "max_principal_strain"
    strain = {
        layer: float(np.max(stat(result.mechanics.layer_stats[layer][measure], "p90")))
        for layer in layers
    }
    one_day = _DAY
    m1_day = {layer: _at(time, m1_change[layer], one_day) for layer in layers}
    gain_day = {layer: _at(time, share_gain[layer], one_day) for layer in layers}
    largest = min(layers, key=lambda layer: m1_day[layer])
    smallest = min(layers, key=lambda layer: abs(m1_day[layer]))
    sessions = biology.session_intervals
    minutes = float(np.mean(sessions[:, 1] - sessions[:, 0])) / 60 if sessions.size else 0.0
    first_session = float(sessions[0, 0]) / 3600 if sessions.size else 0.0
    start = float(control[SHARE][0])
    day_share = _at(time, control[SHARE], one_day)
    end_share = float(control[SHARE][-1])
    days = float(time[-1]) / _DAY
    peak_time = float(time[int(np.argmin(control[SHARE]))])
    lowest_share = float(np.min(control[SHARE]))
    quiet = [layer for layer in layers if abs(m1_day[layer]) < NO_EFFECT_PERCENT]
    moved = [layer for layer in layers if layer not in quiet]
    if lowest_share < start - 0.01:
        natural = (
            f"Without massage, the damage first recruits more monocytes that turn into M1: "
            f"the M2 share falls from {start:.0%} to {lowest_share:.0%} "
            f"{peak_time / 3600:.2g} h in, then inflammation resolves on its own and the "
            f"share recovers to {end_share:.0%} after {days:g} days (macrophage_switch.png, "
            "dashed lines)."
        )
    else:
        natural = (
            f"Without massage, inflammation resolves on its own: the M2 share grows to "
            f"{day_share:.0%} after one day and {end_share:.0%} after {days:g} days "
            "(macrophage_switch.png, dashed lines)."
        )
    narrative = [
        f"After damaging exercise the damaged cells call in inflammatory (M1) macrophages "
        f"({start:.0%} of the polarised macrophages are of the repair (M2) type at the "
        f"start). Kneading for {minutes:.3g} min a day (the first session "
        f"{first_session:.3g} h in) is compared with the same {days:g} days without massage "
        "(the control).",
        natural + " Massage speeds the switch: after one day there are fewer M1 macrophages than "
        "without massage ("
        + ", ".join(f"{layer} {m1_day[layer]:+.2g} %" for layer in moved)
        + ") and the M2 share is higher by "
        + ", ".join(f"{layer} {gain_day[layer]:+.2g}" for layer in moved)
        + " percentage points (massage_effect.png)."
        + (
            " No measurable change in the "
            + ", ".join(quiet)
            + f" (within {NO_EFFECT_PERCENT:g} %): it barely strains"
            + (
                "; the fascia answers through the loose layer it slides on (fascia_loose)."
                if "fascia" in quiet and "fascia_loose" in moved
                else "."
            )
            if quiet
            else ""
        ),
        f"The effect is largest in the {largest} and smallest in the {smallest}. In these "
        "models loading speeds the M1 → M2 switch and the clearance of macrophages through "
        "a mechanical drive that is half-effective at 3 % cyclic strain, so layers that are "
        "strained more switch sooner (90 % of each layer below: "
        + ", ".join(f"{layer} {100 * strain[layer]:.2g} %" for layer in layers)
        + "). As the switch proceeds TNF-α falls and IL-10 rises: M1 cells make TNF-α, "
        "M2 cells make IL-10.",
        "What was measured: Waters-Banker et al. 2014 gave rats cyclic compressive loading "
        "30 min a day for 4 days and found load-dependent changes in macrophage markers "
        "(CD68, CD163) and immune genes; the direction used here (massage favours the "
        "repair type) is their reading and Seo et al. 2021's (compression cleared "
        "inflammatory cells from injured mouse muscle).",
        "Limits: the size of the effect is an assumption of the model (the count changes "
        "were not retrieved from the rat study), a human study after sprint exercise found "
        "no significant effect of massage on blood cytokines (White et al. 2020), strains "
        "come from linear elasticity, and quantities are relative to healthy tissue.",
    ]
    numbers = {
        "m1_change_day_one_percent": m1_day,
        "m2_share_gain_day_one_points": gain_day,
        "m2_share_without_massage": {"start": start, "day_one": day_share, "end": end_share},
        "m2_share_end": {layer: float(share[layer][-1]) for layer in layers},
        "strain_p90": strain,
    }
    return DemoOutcome(narrative, figures, numbers)
