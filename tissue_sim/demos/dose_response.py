"""Demo: the dose-response of TGF-β1 to massage pressure.

The same kneading course is run at several pressures, from a chronic overuse state; each
layer's TGF-β1 at the end is compared with the same days without massage. The cell models'
therapeutic drive grows with each layer's cyclic strain and speeds the clearance of latent
TGF-β1 (Bove et al. 2016, direction); the fibroblasts' injury sensor (the Standley lab's
repetitive-strain model) needs thousands of injurious cycles or long holds and stays quiet
under kneading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import SUMMARY_STATISTICS
from tissue_sim.demos._common import demo_scenario, untreated_course
from tissue_sim.demos.registry import Demo, DemoOutcome, Progress
from tissue_sim.geometry.layer_statistics import stat

__all__ = ["PRESSURES_KPA", "run"]

#: Kneading pressures of the demonstration [kPa].
PRESSURES_KPA = (2.0, 5.0, 10.0, 20.0)

#: The species of the shipped models this demonstration is about (a documented default:
#: ``models/cells/tgfb1_fibrosis.yaml`` and ``fibroblast_mechanotransduction.yaml``): the
#: active and latent TGF-β1 pools and the injury sensor.
ACTIVE, LATENT, SENSOR = "tgfb1_active", "tgfb1_latent", "fak"

FloatArray = NDArray[np.float64]


@dataclass
class _LayerCurve:
    strain_p90: FloatArray
    active_change: FloatArray
    latent_change: FloatArray
    sensor_mean: FloatArray


def _mean(series: FloatArray) -> FloatArray:
    """The layer-mean column of a biology summary ``(T, 3)`` over time [species unit]."""
    return stat(series, "mean", SUMMARY_STATISTICS)


def _course_average(time: FloatArray, values: FloatArray) -> float:
    """Time average over the course (trapezoid rule)."""
    return float(np.trapezoid(values, time) / (time[-1] - time[0]))


def _percent(treated: float, untreated: float) -> float:
    return 100.0 * (treated - untreated) / untreated


#: A change smaller than this [%] is reported as no effect (the integrator's tolerance on
#: a course of days is ~1e-4 relative; a layer that barely strains shows only that).
NO_EFFECT_PERCENT = 0.01


def _describe_layer(layer: str, pressures: FloatArray, curve: _LayerCurve, basal: float) -> str:
    change = curve.active_change
    strain = f"90 % of the {layer} below {100 * curve.strain_p90[-1]:.2g} % strain"
    sensor_on = curve.sensor_mean[-1] > 1.1 * basal
    if np.max(np.abs(change)) < NO_EFFECT_PERCENT:
        text = (
            f"In the {layer}, massage leaves TGF-β1 unchanged (within "
            f"{NO_EFFECT_PERCENT:g} % of no massage at every pressure): even at "
            f"{pressures[-1]:g} kPa {strain}, far too little for its cells"
        )
        if layer == "fascia":
            text += (
                ". The fascia answers through the loose layer it slides on (fascia_loose), "
                "which strains like the soft tissue around it"
            )
        return text + "."
    lowest = int(np.argmin(change))
    first, last = change[0], change[-1]
    start = f"at {pressures[0]:g} kPa"
    end = f"at {pressures[-1]:g} kPa"
    if change[lowest] >= 0.0:
        text = (
            f"In the {layer}, massage raises active TGF-β1 at every pressure "
            f"({first:+.2g} % {start}, {last:+.2g} % {end})"
        )
    elif lowest == change.size - 1 or change[-1] - change[lowest] < NO_EFFECT_PERCENT:
        steps = np.diff(change)
        returns = (
            f", with diminishing returns: going from {pressures[0]:g} to {pressures[1]:g} kPa "
            f"lowers it by {-steps[0]:.2g} points, from {pressures[-2]:g} to "
            f"{pressures[-1]:g} kPa by {-steps[-1]:.2g} (the drive saturates once the "
            "layer's cyclic strain is well past a few per cent)"
            if steps.size > 1 and -steps[-1] < -steps[0]
            else ""
        )
        text = (
            f"In the {layer}, active TGF-β1 falls further the harder the press: "
            f"{first:+.2g} % {start}, {last:+.2g} % {end}{returns}"
        )
    else:
        text = (
            f"In the {layer}, the curve turns: TGF-β1 is lowest at {pressures[lowest]:g} kPa "
            f"({change[lowest]:+.2g} %), and at higher pressure it rises again to "
            f"{last:+.2g} % {end}"
        )
    if sensor_on:
        return (
            f"{text}. At {pressures[-1]:g} kPa its strains ({strain}) are large and fast enough to "
            f"switch on the injury sensor (average activity {curve.sensor_mean[-1]:.2g} over "
            f"the course, {basal:.2g} without massage)."
        )
    return f"{text} ({strain})."


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.pipeline import run as run_scenario
    from tissue_sim.viz._style import layer_colours
    from tissue_sim.viz.biology_figures import plot_layer_curves

    pressures = np.asarray(PRESSURES_KPA, dtype=float)
    active: dict[str, list[float]] = {}
    latent: dict[str, list[float]] = {}
    sensor: dict[str, list[float]] = {}
    strain: dict[str, list[float]] = {}
    control: dict[str, FloatArray] | None = None
    layers: tuple[str, ...] = ()
    time_grid = np.zeros(1)
    for index, pressure in enumerate(pressures):
        progress(f"course {index + 1} of {pressures.size}: kneading at {pressure:g} kPa")
        scenario = demo_scenario(demo.config, [f"loading.pressure={pressure:g} kPa"])
        result = run_scenario(scenario)
        biology = result.biology
        assert biology is not None
        if control is None:
            progress("the same course without massage")
            control = untreated_course(scenario, biology.time)
            layers = result.mesh.layer_names
            time_grid = biology.time
        measure = result.stimulus.effective_measure if result.stimulus else "max_principal_strain"
        for layer in layers:
            series = biology.layers[layer]
            active.setdefault(layer, []).append(
                _percent(_mean(series[ACTIVE])[-1], control[ACTIVE][-1])
            )
            latent.setdefault(layer, []).append(
                _percent(_mean(series[LATENT])[-1], control[LATENT][-1])
            )
            average = _course_average(biology.time, _mean(series[SENSOR]))
            sensor.setdefault(layer, []).append(average)
            stats = result.mechanics.layer_stats[layer][measure]
            strain.setdefault(layer, []).append(float(np.max(stat(stats, "p90"))))
    assert control is not None
    curves = {
        layer: _LayerCurve(
            np.array(strain[layer]),
            np.array(active[layer]),
            np.array(latent[layer]),
            np.array(sensor[layer]),
        )
        for layer in layers
    }
    basal = _course_average(time_grid, control[SENSOR])
    days = float(time_grid[-1]) / 86400.0

    progress("drawing the dose-response curves")
    colours = layer_colours(layers)
    figure = plot_layer_curves(
        output / "dose_response.png",
        pressures,
        [
            (
                "strain, 90th percentile of the layer [%]",
                [(layer, 100 * curves[layer].strain_p90) for layer in layers],
            ),
            (
                "active TGF-β1 vs no massage [%]",
                [(layer, curves[layer].active_change) for layer in layers],
            ),
            (
                "latent TGF-β1 vs no massage [%]",
                [(layer, curves[layer].latent_change) for layer in layers],
            ),
            (
                "injury-sensor activity, course average [fraction]",
                [(layer, curves[layer].sensor_mean) for layer in layers],
            ),
        ],
        xlabel="kneading pressure [kPa] (log scale)",
        colours=colours,
        title=(
            f"TGF-β1 after {days:g} days of daily kneading, per layer, against pressure "
            "(start: chronic overuse)"
        ),
        columns=2,
        xlog=True,
        ylog=[True, False, False, False],
        zero_line=True,
        references=[None, None, None, basal],
        reference_label="no massage",
        panel_titles=[
            "What each layer feels",
            "Active TGF-β1 at the end",
            "Latent TGF-β1 at the end",
            "Injury sensor (large, fast strains)",
        ],
    )
    narrative = [
        f"The same course - kneading once a day for {days:g} days, starting from a chronic "
        "overuse state with raised TGF-β1 - is simulated at "
        + ", ".join(f"{p:g}" for p in pressures)
        + " kPa, and each layer's TGF-β1 at the end is compared with the same days without "
        "massage (negative = massage lowered it).",
        "The cell models let the cyclic strain of each kneading stroke speed the clearance "
        "of latent TGF-β1 (drainage; the direction reported by Bove et al. 2016 in rats, "
        "where modelled manual therapy lowered TGF-β1 and collagen), half-effective at 3 % "
        "cyclic strain. Soft layers strain far more than stiff ones at the same pressure, so "
        "the dose each layer receives differs by a factor of a hundred.",
        *[_describe_layer(layer, pressures, curves[layer], basal) for layer in layers],
        (
            "The fibroblasts' injury sensor stays at its level without massage in every "
            f"layer (course average {max(max(curves[layer].sensor_mean) for layer in layers):.3g}"
            f" at most, {basal:.3g} without massage): it needs thousands of injurious "
            "cycles (the 8-h repetitive strain of the Standley lab) or a deformation above "
            "50 % held for minutes (therapeutic_window shows that), and a stroke passes "
            "each point in about a second."
            if not any(curves[layer].sensor_mean[-1] > 1.1 * basal for layer in layers)
            else "Where the injury sensor switches on, large fast strains work against the "
            "drainage and TGF-β1 production rises."
        ),
        f"Compared with what? Every number is the treated course against the same {days:g} "
        "days without massage (the control), from the same chronic state: left alone, the "
        "chronic state's TGF-β1 stays about twice healthy (the fibrotic state sustains "
        "itself), so a fall here is the massage's doing.",
        "Limits: the size of the effect (the drainage gain) is an assumption of the model; "
        "only its direction comes from the literature (a rat overuse model, Bove 2016, "
        "which reports 'significantly decreased' without a number). Strains come from "
        "linear elasticity, which over-estimates the largest ones (the adipose beyond "
        "about 20 %), and quantities are relative to healthy tissue. Four days is short: "
        "the rats were treated for 12 weeks.",
    ]
    numbers = {
        "pressures_kpa": pressures.tolist(),
        "active_change_percent": {layer: curves[layer].active_change.tolist() for layer in layers},
        "latent_change_percent": {layer: curves[layer].latent_change.tolist() for layer in layers},
        "strain_p90": {layer: curves[layer].strain_p90.tolist() for layer in layers},
        "sensor_mean": {layer: curves[layer].sensor_mean.tolist() for layer in layers},
        "sensor_without_massage": basal,
    }
    return DemoOutcome(narrative, [figure], numbers)
