"""Example 1: the baseline effleurage course, per-layer strain and the treatment effect.

Runs ``configs/baseline.yaml`` at a coarse size (settings below, so that the printed
numbers do not move when the file's defaults do) and prints, per layer from the skin
down, the peak over the stroke's frames of the volume-weighted 90th percentile and the
maximum of the maximum principal strain, then the treatment effect at the end of the
course: the layer mean of active TGF-β1 and of collagen, treated against the untreated
control, as a relative change ``100 (treated ÷ control − 1)`` [%] (0 = no effect)::

    python docs/examples/ex01_baseline_layers.py

``tests/test_examples.py`` runs this script and compares every printed number with a
pinned value (the tolerances there say why they are what they are).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tissue_sim
from tissue_sim.biology import SUMMARY_STATISTICS
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io.result import RunResult

REPOSITORY = Path(__file__).resolve().parents[2]
CONFIG = REPOSITORY / "configs" / "baseline.yaml"
#: Explicit settings: a coarse Q1 mesh, small-strain mixed mechanics on roller sides,
#: 8 frames per stroke, 3 days.
SETTINGS = (
    "mesh.size=coarse",
    "mesh.element=Q1",
    "mechanics.model=linear",
    "mechanics.formulation=mixed",
    "mechanics.sides=roller",
    "loading.frames=8",
    "schedule.days=3",
)
#: Species whose treatment effect is printed.
SPECIES = ("tgfb1_active", "collagen")


def run() -> RunResult:
    """Run the baseline course at the example's settings (about 10 s)."""
    return tissue_sim.run(tissue_sim.load_config(CONFIG, overrides=list(SETTINGS)))


def report(result: RunResult) -> None:
    """Print the per-layer strain and the treatment effect, one ``key = value`` a line."""
    for layer, quantities in result.mechanics.layer_stats.items():
        strain = quantities["max_principal_strain"]  # (frames, statistics)
        print(f"{layer}.strain_p90_peak = {np.max(stat(strain, 'p90')):.9e}")
        print(f"{layer}.strain_max_peak = {np.max(stat(strain, 'max')):.9e}")
    ratio = result.biology.effect_ratio
    for layer, species in ratio.items():
        for name in SPECIES:
            final_mean = stat(species[name], "mean", SUMMARY_STATISTICS)[-1]
            print(f"{layer}.{name}.effect_percent = {100.0 * (final_mean - 1.0):.6e}")


def main() -> RunResult:
    result = run()
    report(result)
    return result


if __name__ == "__main__":
    main()
