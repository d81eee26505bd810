"""Demo: fibroblast cytokines after repetitive strain and after a sustained stretch.

The four arms of the in-vitro experiment of Meltzer & Standley 2007 (human fibroblasts on
a flexible membrane, FACTS §4) run on the cell models, one well-mixed piece of tissue each:
no strain (the control), 8 h of repetitive motion strain (RMS), a 60-s sustained stretch
(an indirect osteopathic technique, IOMT, or myofascial release) alone, and RMS followed by
the stretch. The strain waveforms go through the same stimulus stage as a finite-element
run (:mod:`tissue_sim.calibration.protocol`); IL-6 and IL-1β are read out over 24 h.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.demos._common import demos_directory
from tissue_sim.demos.registry import Demo, DemoOutcome, Progress

__all__ = ["ARMS", "READOUT_HOURS", "run"]

FloatArray = NDArray[np.float64]

#: The experiment's arms: protocol name in the scenario file → label.
ARMS = {
    "control": "no strain (control)",
    "rms": "repetitive strain, 8 h",
    "iomt": "sustained stretch, 60 s",
    "rms_then_iomt": "repetitive strain, then the stretch",
}
#: The cytokines of the shipped fibroblast model this demonstration is about (a documented
#: default: ``models/cells/fibroblast_mechanotransduction.yaml``), and its mechanosensor.
IL6, IL1B, SENSOR = "il6", "il1b", "fak"
CYTOKINES = (IL6, IL1B)
#: When the experiment read the media [h] (Meltzer & Standley 2007: immediately and 24 h).
READOUT_HOURS = 24.0

_HOUR = 3600.0
_COLOURS = {
    "control": "0.35",
    "rms": "#D55E00",
    "iomt": "#009E73",
    "rms_then_iomt": "#0072B2",
}


def _change(values: dict[str, float], arm: str, reference: str) -> float:
    """Relative change of ``arm`` over ``reference`` [%]."""
    return 100.0 * (values[arm] - values[reference]) / values[reference]


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.biology import load_model
    from tissue_sim.calibration import read_targets, run_protocol
    from tissue_sim.viz.figure_helpers import panel_grid, save_figure

    targets = read_targets(demos_directory() / demo.config)
    model = load_model(list(targets.models))
    end = READOUT_HOURS * _HOUR
    times = np.linspace(0.0, end, 193)
    series: dict[str, dict[str, FloatArray]] = {}
    for arm in ARMS:
        progress(f"arm: {ARMS[arm]}")
        result = run_protocol(model, targets.protocols[arm], targets.waveforms, times)
        series[arm] = {
            name: np.asarray(result.summaries[name][:, 0, 0]) for name in (*CYTOKINES, SENSOR)
        }
    at_end = {
        name: {arm: float(series[arm][name][-1]) for arm in ARMS} for name in (*CYTOKINES, SENSOR)
    }
    versus_control = {
        name: {arm: _change(at_end[name], arm, "control") for arm in ARMS if arm != "control"}
        for name in CYTOKINES
    }
    stretch_after_rms = {name: _change(at_end[name], "rms_then_iomt", "rms") for name in CYTOKINES}
    target = targets.targets["rms_then_iomt_lowers_il6"]

    progress("drawing the four arms")
    figure, axes = panel_grid(
        4,
        title=(
            "Fibroblasts in a dish (Meltzer & Standley 2007), on the cell models: "
            "four arms, read out over 24 h"
        ),
        columns=2,
        panel_size=(4.6, 3.2),
    )
    waveforms = targets.waveforms
    ax = axes[0]
    for arm in ("rms", "iomt"):
        wave = waveforms[arm]
        t = np.asarray((*wave.times, wave.period))
        e = np.asarray((*wave.strains, wave.strains[0]))
        if arm == "rms":  # three bouts, to show the repetition
            t = np.concatenate([t + k * wave.period for k in range(3)])
            e = np.tile(e, 3)
        ax.plot(t, 100 * e, color=_COLOURS[arm], lw=1.8, label=ARMS[arm])
    ax.set_xlabel("time [s]")
    ax.set_ylabel("strain of the membrane [%]")
    ax.set_title("What the cells feel: one bout of each", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    for ax, name, label in (
        (axes[1], IL6, "IL-6 [× healthy]"),
        (axes[2], IL1B, "IL-1β [× healthy]"),
        (axes[3], SENSOR, "injury sensor (FAK-like) activity [fraction]"),
    ):
        for arm in ARMS:
            ax.plot(
                times / _HOUR,
                series[arm][name],
                color=_COLOURS[arm],
                lw=1.6,
                ls="--" if arm == "control" else "-",
                label=ARMS[arm],
            )
        ax.axvspan(0.0, 8.0, color="0.9", zorder=0)
        ax.set_xlabel("time [h] (grey: the 8 h of repetitive strain)")
        ax.set_ylabel(label)
        ax.set_title(label.split(" [")[0], fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[1].legend(fontsize=7)
    figures = [save_figure(figure, output / "fibroblast_cytokines.png")]

    il6, il1b = versus_control[IL6], versus_control[IL1B]
    il6_after, il1b_after = stretch_after_rms[IL6], stretch_after_rms[IL1B]
    narrative = [
        "Fibroblasts grown on a flexible membrane are strained in four ways, as in the "
        "experiment of Meltzer & Standley 2007 (human fibroblasts; J Am Osteopath Assoc "
        "107:527): not at all (the control); 8 hours of repetitive motion strain (a "
        "1.6-s bout to 10 % strain again and again, a model of overuse); a single 60-s "
        "sustained stretch to 6 % (a model of an indirect osteopathic technique or "
        "myofascial release); and the repetitive strain followed by the stretch. The "
        "media are read 24 h after the start (fibroblast_cytokines.png).",
        f"Compared with the control at {READOUT_HOURS:g} h: repetitive strain raises IL-6 "
        f"by {il6['rms']:+.3g} % and IL-1β by {il1b['rms']:+.3g} % (the cells' injury "
        "sensor is switched on by thousands of fast cycles and relaxes over about half a "
        f"day); the stretch alone changes them by {il6['iomt']:+.2g} % and "
        f"{il1b['iomt']:+.2g} % (no rise); repetitive strain followed by the stretch "
        f"leaves IL-6 {il6['rms_then_iomt']:+.3g} % above the control, "
        f"{il6_after:+.3g} % against repetitive strain alone (IL-1β "
        f"{il1b_after:+.3g} %): a sustained stretch releases the "
        "sensor's tension within about a minute.",
        "What was measured: at 24 h, repetitive strain raised IL-1α, IL-1β, IL-2, IL-3, "
        "IL-6, IL-16 and IL-1ra; the stretch alone raised none of them; the stretch after "
        f"repetitive strain lowered IL-6 by 46 % against repetitive strain alone. The "
        f"model gives {il6_after:+.3g} % (target {100 * target.target:+.3g} "
        "%) — but this is the number its release "
        "rate was calibrated to (models/calibration/targets.yaml), so it is a fit, not a "
        "prediction. The directions of the other two arms are what the model was built to "
        "show.",
        "Limits: cells in a dish, not tissue: the membrane's strain is imposed, there are "
        "no macrophages' own inputs or blood supply, and how large the repetitive-strain "
        "rises were is not in the abstract (the model's sizes are assumptions). Only IL-6 "
        "and IL-1β are modelled (not IL-1α, IL-2, IL-3, IL-16, IL-1ra), and proliferation "
        "(−15 % after repetitive strain, +51 % after the stretch) is outside the models.",
    ]
    numbers = {
        "at_readout": at_end,
        "change_vs_control_percent": versus_control,
        "stretch_after_rms_vs_rms_percent": stretch_after_rms,
        "target": target.target,
    }
    return DemoOutcome(narrative, figures, numbers)
