"""Parameter sweeps: YAML sweep files, designs, executors, resumable runs, summaries.

A sweep file names a base scenario, parameter axes by dotted scenario key, a design
(grid, zip, Latin hypercube, Sobol or Morris) and named outputs (:mod:`~tissue_sim.sweep.spec`,
:mod:`~tissue_sim.sweep.outputs`). :func:`plan_sweep` validates every design point before
anything runs; :func:`run_sweep` runs the points on a local process pool or a Dask
cluster, one folder per run keyed by the hash of its resolved scenario (resumable), and
writes the summary table, plots, Sobol indices or Morris statistics (:func:`summarise`).

>>> from tissue_sim.sweep import load_sweep, run_sweep   # doctest: +SKIP
>>> summary = run_sweep(load_sweep("configs/sweeps/pressure_adipose_grid.yaml"),  # doctest: +SKIP
...                     "results/pressure_adipose_grid", workers=2)
"""

from __future__ import annotations

from tissue_sim.sweep.designs import Design, DesignPoint, build_design
from tissue_sim.sweep.executors import (
    EXECUTOR_KINDS,
    DaskExecutor,
    LocalExecutor,
    default_workers,
    make_executor,
)
from tissue_sim.sweep.outputs import (
    OutputPath,
    check_output_path,
    extract_from_file,
    extract_from_result,
    parse_output_path,
)
from tissue_sim.sweep.runner import PlannedRun, SweepPlan, plan_sweep, run_sweep
from tissue_sim.sweep.sensitivity import (
    MorrisIndices,
    SobolIndices,
    morris_indices,
    saltelli_blocks,
    sobol_indices,
)
from tissue_sim.sweep.spec import (
    DESIGN_KINDS,
    Axis,
    DesignSpec,
    OutputSpec,
    SweepSpec,
    load_sweep,
    sweep_from_mapping,
)
from tissue_sim.sweep.summary import SweepSummary, summarise

__all__ = [
    "DESIGN_KINDS",
    "EXECUTOR_KINDS",
    "Axis",
    "DaskExecutor",
    "Design",
    "DesignPoint",
    "DesignSpec",
    "LocalExecutor",
    "MorrisIndices",
    "OutputPath",
    "OutputSpec",
    "PlannedRun",
    "SobolIndices",
    "SweepPlan",
    "SweepSpec",
    "SweepSummary",
    "build_design",
    "check_output_path",
    "default_workers",
    "extract_from_file",
    "extract_from_result",
    "load_sweep",
    "make_executor",
    "morris_indices",
    "parse_output_path",
    "plan_sweep",
    "run_sweep",
    "saltelli_blocks",
    "sobol_indices",
    "summarise",
    "sweep_from_mapping",
]
