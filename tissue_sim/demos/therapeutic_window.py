"""Demo: the therapeutic window — too little does nothing, a sustained hold above the
injury threshold harms.

The same patch of the low back, from a chronic overuse state, four ways: kneading 15 min a
day at a light, a moderate and a firm pressure, and the firm pressure held still for 2 hours
once. Each course is compared with the same days without massage (the run's own control).
The cell models read the *dose* — how much each point is strained, how often, and for how
long without a break (FACTS §9: injury needs large strain held for minutes to hours; a
stroke loads a point for about a second per pass).
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
#: The arms: name → (label, overrides of ``configs/demos/therapeutic_window.yaml``).
ARMS: dict[str, tuple[str, list[str]]] = {
    "light": ("light kneading, 0.5 kPa, 15 min a day", ["loading.pressure=0.5 kPa"]),
    "moderate": ("kneading, 5 kPa, 15 min a day", []),
    "firm": ("firm kneading, 20 kPa, 15 min a day", ["loading.pressure=20 kPa"]),
    "hold": (
        "the firm pressure held still for 2 h, once",
        [
            "loading={technique: static_compression, pressure: 20 kPa, patch: "
            + _PATCH
            + ", hold_time: 2 h}",
            "schedule.session_duration=2 h",
            "schedule.treatment_days=[0]",
        ],
    ),
}
#: Species of the shipped models this demonstration reads (a documented default:
#: ``models/cells/*.yaml``): damaged cells, IL-6, M1 macrophages, active TGF-β1.
DAMAGE, IL6, M1, TGFB1 = "damage", "il6", "m1", "tgfb1_active"
#: The injury threshold of the shipped fibroblast model (50 % effective strain, FACTS §9)
#: and the feature that says how long a point stays above it without a break [s].
HELD = "longest_time_above_50pct"
_DAY = 86400.0
_COLOURS = {"light": "#E69F00", "moderate": "#009E73", "firm": "#0072B2", "hold": "#D55E00"}


def _change(result: RunResult, layer: str, species: str) -> FloatArray:
    """Layer mean, treated against control, over time [%]."""
    assert result.biology is not None and result.biology.control is not None
    treated = result.biology.layers[layer][species][:, 0]
    control = result.biology.control[layer][species][:, 0]
    return np.asarray(100.0 * (treated - control) / control)


def _added(result: RunResult, layer: str, species: str, column: int = 0) -> FloatArray:
    """Treated minus control over time (column 0: layer mean, 2: 90th percentile)."""
    assert result.biology is not None and result.biology.control is not None
    treated = result.biology.layers[layer][species][:, column]
    control = result.biology.control[layer][species][:, column]
    return np.asarray(treated - control)


def _feature_max(result: RunResult, layer: str, feature: str) -> float:
    """Largest value of a dose feature in a layer (over technique steps) [feature unit]."""
    assert result.stimulus is not None
    return float(np.max(np.atleast_2d(result.stimulus.layer_stats[layer][feature])[:, 1]))


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.pipeline import run as run_scenario
    from tissue_sim.viz.figure_helpers import panel_grid, save_figure

    results: dict[str, RunResult] = {}
    for index, (arm, (label, overrides)) in enumerate(ARMS.items()):
        progress(f"course {index + 1} of {len(ARMS)}: {label}")
        results[arm] = run_scenario(demo_scenario(demo.config, overrides))
    layers = list(results["hold"].mesh.layer_names)
    peak = {
        arm: {layer: _feature_max(result, layer, "effective_strain_peak") for layer in layers}
        for arm, result in results.items()
    }
    held = {
        arm: {layer: _feature_max(result, layer, HELD) for layer in layers}
        for arm, result in results.items()
    }
    # the layer that takes the most strain under the hold: where harm shows first
    focus = max(layers, key=lambda layer: peak["hold"][layer])
    m1_end = {
        arm: {layer: float(_change(r, layer, M1)[-1]) for layer in layers}
        for arm, r in results.items()
    }
    tgf_end = {
        arm: {layer: float(_change(r, layer, TGFB1)[-1]) for layer in layers}
        for arm, r in results.items()
    }
    il6_peak = {
        arm: {layer: float(np.max(_change(r, layer, IL6))) for layer in layers}
        for arm, r in results.items()
    }
    damage_added = {
        arm: {layer: float(np.max(_added(r, layer, DAMAGE))) for layer in layers}
        for arm, r in results.items()
    }
    damage_p90 = {arm: float(np.max(_added(r, focus, DAMAGE, 2))) for arm, r in results.items()}
    hold_biology = results["hold"].biology
    assert hold_biology is not None
    days = float(hold_biology.time[-1]) / _DAY

    progress("drawing the window")
    figure, axes = panel_grid(
        4,
        title=(
            f"The therapeutic window in the {focus} (start: chronic overuse; "
            f"{days:g} days, each arm against no massage)"
        ),
        columns=2,
        panel_size=(4.6, 3.2),
    )
    arms = list(ARMS)
    x = np.arange(len(arms))
    ax = axes[0]
    ax.bar(
        x - 0.2,
        [100 * peak[arm][focus] for arm in arms],
        0.4,
        color="0.55",
        label="peak strain [%]",
    )
    ax.set_ylabel(f"peak strain in the {focus} [%]")
    ax2 = ax.twinx()
    ax2.bar(
        x + 0.2,
        [held[arm][focus] / 60 for arm in arms],
        0.4,
        color=[_COLOURS[arm] for arm in arms],
        label="minutes above 50 % without a break",
    )
    ax2.set_ylabel("longest run above 50 % strain [min]")
    ax.axhline(50.0, color="k", lw=0.8, ls=":")
    ax.set_xticks(x, arms)
    ax.set_title("The dose: how hard (grey) and how long held (colour)", fontsize=10)
    for ax, species, label in (
        (axes[1], DAMAGE, "damaged cells added vs no massage [fraction]"),
        (axes[2], IL6, "IL-6 vs no massage [%]"),
    ):
        for arm, result in results.items():
            assert result.biology is not None
            curve = (
                _added(result, focus, species)
                if species == DAMAGE
                else _change(result, focus, species)
            )
            ax.plot(
                result.biology.time / _DAY, curve, color=_COLOURS[arm], lw=1.6, label=ARMS[arm][0]
            )
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel("day")
        ax.set_title(label, fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[2].legend(fontsize=7)
    ax = axes[3]
    for offset, (ends, label, colour) in zip(
        (-0.2, 0.2),
        ((m1_end, "M1 macrophages", "#CC79A7"), (tgf_end, "active TGF-β1", "#56B4E9")),
        strict=True,
    ):
        ax.bar(x + offset, [ends[arm][focus] for arm in arms], 0.4, color=colour, label=label)
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xticks(x, arms)
    ax.set_ylabel(f"day {days:g}, vs no massage [%]")
    ax.set_title("Where it ends: lower is better", fontsize=10)
    ax.legend(fontsize=8)
    figures = [save_figure(figure, output / "therapeutic_window.png")]

    def describe(arm: str) -> str:
        il6 = il6_peak[arm][focus]
        damage = damage_added[arm][focus]
        return (
            f"{ARMS[arm][0]} — peak strain {100 * peak[arm][focus]:.3g} %, held above 50 % "
            f"for {held[arm][focus] / 60:.3g} min at most; M1 {m1_end[arm][focus]:+.2g} %, "
            f"active TGF-β1 {tgf_end[arm][focus]:+.2g} %, "
            + (f"IL-6 up to {il6:+.2g} %" if il6 > 0.01 else "IL-6 never above the control")
            + ", "
            + (f"damaged cells {damage:+.2g}" if damage > 1e-3 else "no damage")
        )

    narrative = [
        "How much is enough, and when does it harm? The same hand-sized patch of a low back "
        "with a chronic overuse problem is treated four ways for "
        f"{days:g} days, and each course is compared with the same days without massage "
        "(the control): "
        + "; ".join(f"({n + 1}) {ARMS[arm][0]}" for n, arm in enumerate(arms))
        + " (therapeutic_window.png).",
        f"In the {focus}, the layer that strains most (numbers vs the control on day "
        f"{days:g}; damage as the added fraction of damaged cells, layer mean): "
        + "; ".join(describe(arm) for arm in arms)
        + ".",
        "Too little does almost nothing: light strokes barely strain the tissue and the "
        "models' drive (half-effective at 3 % cyclic strain) hardly moves. Moderate and firm "
        "kneading lower M1 and TGF-β1 more the harder they press, and no stroke injures, "
        "however firm: a stroke passes each point in about a second, and the models count "
        "a strain as injurious only when it is held above 50 % for more than about a minute. "
        f"The same firm pressure held still for 2 hours does: it damages cells (in the most "
        f"loaded tenth of the {focus} {damage_p90['hold']:+.2g} of the cells), raises IL-6 and "
        "recruits M1 macrophages — worse than no massage, although it also drains some "
        "TGF-β1.",
        "What was measured, and by whom: in rats, pressure above about 32 kPa for 15 min to "
        "1 h, or above 9 kPa for more than 2 h, killed muscle cells (Linder-Ganz et al. "
        "2006); 150 kPa held 2 h gave necrosis (Stekelenburg et al. 2006); a local "
        "deformation threshold decides (Loerakker et al. 2010); massage-like loading of "
        "10–11 N for 15–30 min a day was beneficial (Waters-Banker 2014, Haas 2013). People "
        "sit for hours with 46 % fat strain without injury (Linder-Ganz 2007), so strain "
        "alone is not harm — strain held is.",
        "Limits: the 50 % threshold, the minute and the damage rate are assumptions placed "
        "within those animal studies; strains come from linear elasticity, which "
        "over-estimates them far beyond its validity at 20 kPa (the soft fat strains tens "
        "of per cent; configs/injurious_static_hold.yaml runs a hold with finite-strain "
        "mechanics); and a clinical ischaemic compression is held 60–90 s, not 2 hours.",
    ]
    numbers = {
        "focus_layer": focus,
        "days": days,
        "peak_strain": peak,
        "longest_above_50pct_s": held,
        "m1_change_end_percent": m1_end,
        "tgfb1_active_change_end_percent": tgf_end,
        "il6_change_peak_percent": il6_peak,
        "damage_added_peak": damage_added,
        "damage_added_p90_focus": damage_p90,
    }
    return DemoOutcome(narrative, figures, numbers)
