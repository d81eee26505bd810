"""Demo: how pressure and shear travel through skin, adipose, fascia and muscle.

One session of two techniques on the lumbar stack: a hand pressing straight down (static
compression), then pressing and pushing sideways (sustained shear). Mechanics only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tissue_sim.demos._common import demo_scenario
from tissue_sim.demos.registry import Demo, DemoOutcome, Progress
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io import RunResult

__all__ = ["run"]

_STRETCH = "max_principal_strain"
_SHEAR = "max_shear_strain"


def _layer_p90(result: RunResult, measure: str, frame: int) -> dict[str, float]:
    """Volume-weighted 90th percentile per layer at one frame [-]."""
    return {
        layer: float(stat(stats[measure][frame], "p90"))
        for layer, stats in result.mechanics.layer_stats.items()
    }


def _moduli(result: RunResult) -> dict[str, float]:
    from tissue_sim.viz.summary import resolved_config

    layers = (resolved_config(result).get("tissue", {}) or {}).get("layers", []) or []
    return {layer["name"]: float(layer["youngs_modulus"]) for layer in layers}


def _stiffness(pascal: float) -> str:
    return f"{pascal / 1e6:.3g} MPa" if pascal >= 1e6 else f"{pascal / 1e3:.3g} kPa"


def run(demo: Demo, output: Path, progress: Progress) -> DemoOutcome:
    """Run the demonstration (see the module docstring); pictures go into ``output``."""
    from tissue_sim.pipeline import run as run_scenario
    from tissue_sim.viz import mechanics_figures
    from tissue_sim.viz._loads import skin_loads
    from tissue_sim.viz.fields import peak_frame, resolve_field
    from tissue_sim.viz.scenes import render_block

    scenario = demo_scenario(demo.config)
    progress("solving the mechanics of both techniques")
    result = run_scenario(scenario)
    mech = result.mechanics
    press = peak_frame(result, _STRETCH, step=0)
    shear = peak_frame(result, _SHEAR, step=1)
    loads = skin_loads(result)
    pressure = loads.mean_pressure(press) or 0.0
    force = float(abs(mech.applied_force[press, 2]))
    shear_force = float(np.hypot(*mech.applied_force[shear, :2]))
    grip = loads.mean_pressure(shear) or 0.0
    press_label = f"pressing straight down ({pressure / 1e3:.3g} kPa)"
    shear_label = f"pushing the skin sideways ({grip / 1e3:.3g} kPa grip, {shear_force:.2g} N)"

    progress("drawing the pictures")
    figures = [
        mechanics_figures.plot_strain_cuts(
            result,
            output / f"cuts_{word.lower()}.png",
            [press, shear],
            measure=measure,
            titles=[f"{word} — {press_label}", f"{word} — {shear_label}"],
            loads=loads,
        )
        for word, measure in (("Stretch", _STRETCH), ("Shear", _SHEAR))
    ]
    figures.append(
        mechanics_figures.plot_depth_profiles(
            result, output / "depth_profiles.png", [press, shear], [press_label, shear_label]
        )
    )
    block = render_block(
        result, resolve_field(result, _SHEAR, frame=shear), output / "block_3d.png", loads=loads
    )
    assert block is not None
    figures.append(block)

    stretch_press = _layer_p90(result, _STRETCH, press)
    shear_press = _layer_p90(result, _SHEAR, press)
    shear_push = _layer_p90(result, _SHEAR, shear)
    moduli = _moduli(result)
    layers = list(result.mesh.layer_names)
    softest = min(layers, key=lambda name: moduli.get(name, np.inf))
    stiffest = max(layers, key=lambda name: moduli.get(name, 0.0))
    most = max(layers, key=lambda name: stretch_press[name])
    least = min(layers, key=lambda name: stretch_press[name])
    kilograms = force / 9.81
    stack = ", ".join(f"{name} {_stiffness(moduli[name])}" for name in layers if name in moduli)
    per_layer = ", ".join(f"{name} {100 * stretch_press[name]:.2g} %" for name in layers)
    compared = ", ".join(
        f"{name} {100 * shear_push[name]:.2g} % vs {100 * shear_press[name]:.2g} %"
        for name in layers
    )
    weaker = all(shear_push[name] < shear_press[name] for name in layers)
    stronger = all(shear_push[name] > shear_press[name] for name in layers)
    verdict = "less than" if weaker else "more than" if stronger else "differently from"
    narrative = [
        f"A hand presses on the low back with {pressure / 1e3:.3g} kPa, a force of "
        f"{force:.2g} N (the weight of about {kilograms:.2g} kg) spread over a palm-sized "
        f"patch. The tissue is a stack of layers with very different stiffness (Young's "
        f"modulus): {stack}.",
        f"Pressing straight down, the soft layers take the deformation: the {most} "
        f"stretches most, the {least} least. In 90 % of each layer the stretch stays below: "
        f"{per_layer}. The stiff skin spreads the hand's load over a wider area, the soft "
        f"{softest} under it is squeezed and bulges sideways, and the {stiffest}, a thin and "
        "very stiff sheet, is carried down with the layers around it and barely stretches "
        "(cuts_stretch.png)."
        + (
            f" Just under it, the thin loose layer the fascia slides on (fascia_loose, "
            f"{_stiffness(moduli['fascia_loose'])}) is strained like the soft tissue "
            f"around it ({100 * stretch_press['fascia_loose']:.2g} %, "
            f"{stretch_press['fascia_loose'] / max(stretch_press['fascia'], 1e-12):.0f} times "
            "the dense fascia): this is where the fascia's own cells feel a hand."
            if "fascia_loose" in stretch_press and "fascia" in stretch_press
            else ""
        ),
        f"Pushing the skin sideways with a light touch ({grip / 1e3:.3g} kPa of pressure, "
        f"{shear_force:.2g} N sideways) shears the tissue {verdict} pressing: shear strain "
        f"(90th percentile) pushing vs pressing: {compared}. The stiff skin takes up the "
        "sideways pull like a sheet and spreads it (cuts_shear.png; block_3d.png shows the "
        "block cut open under the pushing hand); depth_profiles.png shows, straight under "
        "the hand, how each kind of load fades with depth.",
        "Compared with what? Without a hand every strain is zero: each number here is "
        "what the load adds to the resting tissue. What was measured: Chaudhry et al. "
        "2014 modelled skin, fat and fascia as one layered block on muscle and bone and "
        "showed that the force at the skin reaches every layer; the layer stiffnesses "
        "come from measurements on people and animals (docs/materials.md).",
        "Limits: small-strain linear elasticity, layers glued together (the fascia's "
        "sliding is a soft layer, not contact), a fixed base (bone) and sides that cannot "
        "move outwards; real tissue stiffens as it is compressed, so the largest strains "
        "here are upper estimates.",
    ]
    numbers = {
        "pressure": pressure,
        "force": force,
        "grip_pressure": grip,
        "shear_force": shear_force,
        "frames": {"pressing": press, "pushing": shear},
        "stretch_p90_pressing": stretch_press,
        "shear_p90_pressing": shear_press,
        "shear_p90_pushing": shear_push,
    }
    return DemoOutcome(narrative, figures, numbers)
