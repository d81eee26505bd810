"""Make docs/figures/deep_friction_linear_vs_hyperelastic.png (the README figure).

Runs configs/deep_friction.yaml with finite-strain hyperelasticity and with small-strain
linear elasticity, draws the strain on the vertical cut through the fingertip at the frame
of largest strain for each, and puts the two side by side.

    .venv/bin/python docs/figures/make_deep_friction_comparison.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.image import imread

from tissue_sim import load_config
from tissue_sim.pipeline import run
from tissue_sim.viz.mechanics_figures import plot_strain_cut

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parents[1] / "configs" / "deep_friction.yaml"


def main() -> Path:
    panels = []
    with tempfile.TemporaryDirectory() as folder:
        for model in ("linear", "hyperelastic"):
            result = run(load_config(CONFIG, [f"mechanics.model={model}", "biology.enabled=false"]))
            panels.append((model, plot_strain_cut(result, Path(folder) / f"{model}.png")))
        figure, axes = plt.subplots(1, 2, figsize=(16, 6.2))
        for axis, (model, path) in zip(axes, panels, strict=True):
            axis.imshow(imread(path))
            axis.set_axis_off()
            label = (
                "small-strain linear elasticity"
                if model == "linear"
                else ("finite-strain hyperelasticity (Green–Lagrange strain)")
            )
            axis.set_title(label, fontsize=13)
        figure.suptitle("Deep friction, 227 kPa fingertip over a 2-mm fat layer", fontsize=14)
        figure.tight_layout()
        target = HERE / "deep_friction_linear_vs_hyperelastic.png"
        figure.savefig(target, dpi=110)
        plt.close(figure)
    return target


if __name__ == "__main__":
    print(main())
