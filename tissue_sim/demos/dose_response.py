"""Demo: the dose-response of TGF-β1 to massage pressure.

The same kneading course is run at several pressures, from a chronic overuse state; each
layer's TGF-β1 at the end is compared with the same days without massage. Two mechanisms
of the cell models meet: a therapeutic drive that grows with strain and speeds the
clearance of latent TGF-β1 (Bove et al. 2016, direction), and an injury sensor that
switches on only for large and fast strains (the Standley lab's repetitive-strain model)
and raises TGF-β1 production.
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
PRESSURES_KPA = (1.5, 3.0, 6.0, 12.0, 24.0)

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


def _describe_layer(layer: str, pressures: FloatArray, curve: _LayerCurve, basal: float) -> str:
    change = curve.active_change
    lowest = int(np.argmin(change))
    first, last = change[0], change[-1]
    start = f"at {pressures[0]:g} kPa"
    end = f"at {pressures[-1]:g} kPa"
    sensor_on = curve.sensor_mean[-1] > 1.1 * basal
    if change[lowest] >= 0.0:
        text = (
            f"In the {layer}, massage raises active TGF-β1 at every pressure "
            f"({first:+.2g} % {start}, {last:+.2g} % {end})"
        )
    elif lowest == change.size - 1:
        text = (
            f"In the {layer}, active TGF-β1 falls further the harder the press: "
            f"{first:+.2g} % {start}, {last:+.2g} % {end}"
        )
    elif lowest == 0:
        text = (
            f"In the {layer}, the lightest press lowers active TGF-β1 most ({first:+.2g} % "
            f"{start}); harder presses lower it less or raise it: {last:+.2g} % {end}"
        )
    else:
        text = (
            f"In the {layer}, the curve turns: TGF-β1 is lowest at {pressures[lowest]:g} kPa "
            f"({change[lowest]:+.2g} %), and at higher pressure it rises again to "
            f"{last:+.2g} % {end}"
        )
    strain = f"90 % of the {layer} below {100 * curve.strain_p90[-1]:.2g} % strain"
    if sensor_on:
        return (
            f"{text}. At {pressures[-1]:g} kPa its strains ({strain}) are large and fast enough to "
            f"switch on the injury sensor (average activity {curve.sensor_mean[-1]:.2g} over "
            f"the course, {basal:.2g} without massage)."
        )
    return f"{text}. Even {end} the injury sensor stays quiet ({strain})."


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
        "Two mechanisms of the cell models compete. Moderate strain speeds the clearance of "
        "latent TGF-β1 (the direction reported by Bove et al. 2016); very large, fast strains "
        "switch on an injury sensor of the fibroblasts (as in the repetitive-strain "
        "experiments of the Standley lab), which makes more TGF-β1. Which one wins depends "
        "on how much each layer is strained, and soft layers strain far more than stiff "
        "ones at the same pressure.",
        *[_describe_layer(layer, pressures, curves[layer], basal) for layer in layers],
        "Limits: the sizes of both effects are assumptions of the models (only their "
        "directions come from the literature), strains come from linear elasticity, and "
        "quantities are relative to healthy tissue.",
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
