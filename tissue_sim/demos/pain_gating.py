"""Demo: pain gating during a stroke — a teaching model of a hypothesis.

The day after damaging exercise the muscle is sore: inflammatory mediators (IL-6, IL-1β,
TNF-α) sensitise its nociceptors. A hand glides over the skin (effleurage) for 5 minutes,
and, for comparison, presses still for the same time; each beside the untreated control.
The teaching model ``models/cells/afferent_gating.yaml`` lets the skin's rapidly adapting
afferents (answering skin movement) and slowly adapting ones (answering steady
deformation) damp the transmission of the nociceptive drive, as the gate-control theory of
Melzack & Wall (1965) proposes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.demos._common import demo_scenario
from tissue_sim.demos.registry import Demo, DemoOutcome, Progress
from tissue_sim.io import RunResult

__all__ = ["ARMS", "run"]

FloatArray = NDArray[np.float64]

_PATCH = "{shape: ellipse, semi_axes: [2 cm, 1.5 cm], profile: smooth}"
#: The arms: name → (label, overrides of ``configs/demos/pain_gating.yaml``).
ARMS: dict[str, tuple[str, list[str]]] = {
    "stroke": ("gliding strokes (effleurage)", []),
    "hold": (
        "the same hand pressing still",
        [
            "loading={technique: static_compression, pressure: 4 kPa, patch: "
            + _PATCH
            + ", hold_time: 5 min}"
        ],
    ),
}
#: Species of the shipped teaching model this demonstration reads (a documented default).
T, N, RA, SA = "pain_transmission", "nociceptive_drive", "ra_activity", "sa_activity"
#: Per-cell outputs: from 30 s before the session to 2 min after it, every STEP seconds.
STEP, BEFORE, AFTER = 5.0, 30.0, 120.0
#: The layer whose soreness the demonstration follows (the muscle after exercise).
LAYER = "muscle"
_COLOURS = {"stroke": "#009E73", "hold": "#0072B2", "control": "0.4"}


def _run(demo: Demo, overrides: list[str]) -> RunResult:
    """One arm, with the per-cell fields every ``STEP`` seconds around the session."""
    from tissue_sim.pipeline import run as run_scenario

    plain = demo_scenario(demo.config)
    start = float(plain.schedule.start_time)
    end = start + float(plain.schedule.session_duration)
    grid = np.arange(start - BEFORE, end + AFTER + 0.5 * STEP, STEP)
    times = ", ".join(f"{t:g} s" for t in grid)
    return run_scenario(demo_scenario(demo.config, [*overrides, f"biology.output_times=[{times}]"]))


def _cell_under_hand(result: RunResult, layer: str, time: float) -> int:
    """The cell of ``layer`` whose transmission is lowest at ``time`` [s] (under the hand)."""
    assert result.biology is not None
    index = result.mesh.layer_names.index(layer)
    cells = np.flatnonzero(result.mesh.cell_layer == index)
    row = int(np.argmin(np.abs(result.biology.field_times - time)))
    return int(cells[np.argmin(result.biology.fields[T][row, cells])])


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.viz.figure_helpers import panel_grid, save_figure

    scenario = demo_scenario(demo.config)
    start = float(scenario.schedule.start_time)
    duration = float(scenario.schedule.session_duration)
    middle = start + 0.5 * duration
    results: dict[str, RunResult] = {}
    for index, (arm, (label, overrides)) in enumerate(ARMS.items()):
        progress(f"arm {index + 1} of {len(ARMS)}: {label}")
        results[arm] = _run(demo, overrides)

    curves: dict[str, dict[str, FloatArray]] = {}
    seconds = np.zeros(1)
    for arm, result in results.items():
        assert result.biology is not None and result.biology.control_fields is not None
        cell = _cell_under_hand(result, LAYER, middle)
        seconds = np.asarray(result.biology.field_times) - start
        curves[arm] = {
            name: np.asarray(result.biology.fields[name][:, cell]) for name in (T, N, RA, SA)
        }
        if arm == "stroke":
            curves["control"] = {
                name: np.asarray(result.biology.control_fields[name][:, cell]) for name in (T, N)
            }
    during = (seconds > 0.2 * duration) & (seconds < 0.8 * duration)
    after_10 = int(np.argmin(np.abs(seconds - (duration + 10.0))))
    after_30 = int(np.argmin(np.abs(seconds - (duration + 30.0))))
    numbers: dict[str, dict[str, float]] = {}
    for arm in (*ARMS, "control"):
        c = curves[arm]
        numbers[arm] = {
            "transmission_during": float(np.mean(c[T][during])),
            "drive_during": float(np.mean(c[N][during])),
            "gate_closure_during": float(np.mean(1.0 - c[T][during] / c[N][during])),
            "transmission_10s_after": float(c[T][after_10]),
            "transmission_30s_after": float(c[T][after_30]),
        }
        if arm in ARMS:
            numbers[arm]["ra_during"] = float(np.mean(c[RA][during]))
            numbers[arm]["sa_during"] = float(np.mean(c[SA][during]))

    progress("drawing the gate")
    figure, axes = panel_grid(
        3,
        title=(
            f"The gate during a stroke, in the sore {LAYER} under the hand (a teaching model of "
            "a hypothesis)\nthe day after damaging exercise; grey: the 5-min session"
        ),
        columns=3,
        panel_size=(4.0, 3.0),
    )
    for ax, name, label in (
        (axes[0], RA, "rapidly adapting skin afferents"),
        (axes[1], SA, "slowly adapting skin afferents"),
    ):
        ax.axvspan(0.0, duration, color="0.9", zorder=0)
        for arm in ARMS:
            ax.plot(seconds, curves[arm][name], color=_COLOURS[arm], lw=1.6, label=ARMS[arm][0])
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("time from the start of the session [s]")
        ax.set_title(f"{label} [firing, 0–1]", fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    ax = axes[2]
    ax.axvspan(0.0, duration, color="0.9", zorder=0)
    for arm in (*ARMS, "control"):
        label = ARMS[arm][0] if arm in ARMS else "no massage (control)"
        ax.plot(
            seconds,
            curves[arm][T],
            color=_COLOURS[arm],
            lw=1.6,
            label=label,
            ls="--" if arm == "control" else "-",
        )
    ax.axhline(1.0, color="0.3", lw=0.8, ls=":")
    ax.set_xlabel("time from the start of the session [s]")
    ax.set_title("nociceptive transmission [× healthy rest]", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    figures = [save_figure(figure, output / "pain_gating.png")]

    stroke, hold, control = numbers["stroke"], numbers["hold"], numbers["control"]
    narrative = [
        "THIS IS A TEACHING MODEL OF A HYPOTHESIS, not a model of pain. The gate-control "
        "theory (Melzack & Wall 1965) proposes that input from large, fast skin "
        "mechanoreceptor fibres damps, in the spinal cord, the transmission of input from "
        "small nociceptive fibres — why rubbing a sore spot may help; the seed of this "
        "project cites it for massage (Bishop et al. 2015, Vigotsky & Bruhns 2015). The day "
        "after damaging exercise a hand glides over a sore low back for 5 minutes "
        "(effleurage), and, for comparison, presses still for the same time "
        "(pain_gating.png).",
        f"Compared with what? Without massage, the mediators of the damaged {LAYER} "
        f"(IL-6, IL-1β, TNF-α) sensitise its nociceptors: the nociceptive drive is "
        f"{control['drive_during']:.3g} × its healthy level and so is the transmission "
        f"({control['transmission_during']:.3g}). During the strokes the skin's rapidly "
        f"adapting afferents fire at {stroke['ra_during']:.2g} (slowly adapting "
        f"{stroke['sa_during']:.2g}) and the gate lowers the transmission to "
        f"{stroke['transmission_during']:.3g} ({100 * stroke['gate_closure_during']:.0f} % "
        f"closed); the still hand moves no skin after its first seconds (rapidly adapting "
        f"{hold['ra_during']:.2g}, slowly adapting {hold['sa_during']:.2g}) and closes it "
        f"less: {hold['transmission_during']:.3g} ({100 * hold['gate_closure_during']:.0f} % "
        "closed).",
        f"The gate opens again as soon as the hand lifts: 10 s after the strokes the "
        f"transmission is back at {stroke['transmission_10s_after']:.3g} (the control: "
        f"{control['transmission_10s_after']:.3g}). The nociceptive drive itself is the same "
        f"with and without massage ({stroke['drive_during']:.3g} vs "
        f"{control['drive_during']:.3g}): in this model touch damps the signal while it "
        "lasts, it does not heal the tissue; any lasting relief would have to come from "
        "the slow changes of the other demonstrations or from what no model here contains.",
        "What was measured: the model's numbers are assumptions chosen to show the idea. "
        "The theory is 'not correct in detail' (Mendell 2014), and pain is not a tissue "
        "quantity: expectation, mood, context, conditioning and the person (Bialosky et "
        "al. 2017) shape it, none of which a model of tissue can hold (docs/teaching.md).",
        "Limits: no spinal cord or brain beyond one gate index, no descending modulation, "
        "no after-effect or central sensitisation; the skin afferents read the strain of "
        "the skin above each point from linear elasticity; a stroke's skin movement is "
        "averaged over its cycle.",
    ]
    return DemoOutcome(narrative, figures, {"layer": LAYER, **numbers})
