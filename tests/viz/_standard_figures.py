"""The standard pictures of a run with biology and its control, in the order they are written."""

from __future__ import annotations

#: File stems of :func:`tissue_sim.viz.write_figures` for a run with an untreated control.
STANDARD_FIGURES = (
    "treatment_effect",
    "effect_over_time",
    "strain_cut",
    "block_3d",
    "strain_distributions",
    "time_courses",
    "final_maps",
)
