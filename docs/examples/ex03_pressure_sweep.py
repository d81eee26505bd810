"""Example 3: a small sweep — thumb pressure against the strain reaching each layer.

The thumb hold of ``configs/static_compression.yaml`` at 10, 20 and 40 kPa (coarse mesh,
small-strain mechanics, one load frame, mechanics only: ``biology.enabled=false``) run
through :func:`tissue_sim.sweep.run_sweep` exactly as ``tissue-sim sweep`` runs a sweep
file, into a temporary folder (or the folder given). Prints each run's peak
90th-percentile effective strain of the adipose layer and of the fascia (the stimulus
stage's ``effective_strain_peak``) and each value divided by the 20-kPa one.
Small-strain elasticity is linear, so those ratios are the pressure ratios 0.5 and 2 (to
the solver's tolerance)::

    python docs/examples/ex03_pressure_sweep.py [FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from tissue_sim.sweep import SweepSummary, run_sweep, sweep_from_mapping

REPOSITORY = Path(__file__).resolve().parents[2]
PRESSURES = ("10 kPa", "20 kPa", "40 kPa")
LAYERS = ("adipose", "fascia")
SWEEP = {
    "name": "example_pressure",
    "base": str(REPOSITORY / "configs" / "static_compression.yaml"),
    "set": {
        "mesh.size": "coarse",
        "mesh.element": "Q1",
        "mechanics.model": "linear",
        "mechanics.formulation": "mixed",
        "mechanics.sides": "roller",
        "loading.frames": 1,
        "biology.enabled": False,
    },
    "parameters": {"loading.pressure": {"values": list(PRESSURES)}},
    "design": "grid",
    "outputs": {
        f"{layer}_strain_p90": f"stimulus.layer_stats.{layer}.effective_strain_peak.p90"
        for layer in LAYERS
    },
}


def run(folder: str | Path) -> SweepSummary:
    """Run the three-point sweep into ``folder`` (resumes: a finished run is kept)."""
    return run_sweep(sweep_from_mapping(SWEEP), folder, workers=1, quiet=True, plots=False)


def report(summary: SweepSummary) -> None:
    """Print every run's outputs and their ratio to the 20-kPa run, ``key = value`` a line."""
    names = [output["name"] for output in summary.outputs]
    pressures = [float(point[0]) for point in summary.parameters]  # in the axis unit, kPa
    reference = pressures.index(20.0)
    for column, name in enumerate(names):
        values = np.asarray(summary.values[:, column], dtype=float)
        for pressure, value in zip(pressures, values, strict=True):
            print(f"{name}[{pressure:g} kPa] = {value:.9e}")
            print(f"{name}[{pressure:g} kPa]/[20 kPa] = {value / values[reference]:.9f}")


def main(folder: str | Path | None = None) -> SweepSummary:
    if folder is not None:
        summary = run(folder)
        report(summary)
        return summary
    with tempfile.TemporaryDirectory() as temporary:
        summary = run(temporary)
        report(summary)
        return summary


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
