"""What a worker process does for one design point (local pool and Dask alike).

The executors start workers with one BLAS/OpenMP thread each (see
:mod:`tissue_sim.sweep.executors`); the pipeline is deterministic, so a run gives the
same numbers in any worker.
"""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RunOutcome", "RunTask", "run_task"]


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to run one scenario (picklable, no open files).

    Attributes
    ----------
    base_data
        The base scenario mapping as read from YAML.
    base_file
        Its path (for error messages and files named relative to it).
    overrides
        ``key=value`` overrides of this point (fixed ones first, then the axes).
    config_hash
        The run key the planner computed; the worker checks it rebuilds the same run.
    run_dir
        Absolute path of ``DIR/runs/<hash>``.
    """

    base_data: Mapping[str, Any]
    base_file: str
    overrides: tuple[str, ...]
    config_hash: str
    run_dir: str


@dataclass(frozen=True)
class RunOutcome:
    """What came of one run.

    Attributes
    ----------
    config_hash
        The run's key.
    ok
        Whether ``result.h5`` was written.
    wall_time
        Wall time of the attempt [s].
    error
        The error message of a failed run.
    """

    config_hash: str
    ok: bool
    wall_time: float
    error: str = ""


def run_task(task: RunTask) -> RunOutcome:
    """Run one design point into its folder; record a failure instead of raising it.

    A :class:`~tissue_sim.errors.TissueSimError` (solver failure, a parameter the
    pipeline rejects) is recorded with its message; any other exception also with its
    traceback. ``KeyboardInterrupt`` and ``SystemExit`` propagate.
    """
    from tissue_sim.config import scenario_from_mapping
    from tissue_sim.errors import RunError, TissueSimError
    from tissue_sim.io.provenance import run_key
    from tissue_sim.pipeline import run_to_directory
    from tissue_sim.sweep.store import (
        record_failure,
        record_success,
        remove_stale_temporaries,
    )

    start = time.perf_counter()
    try:
        scenario = scenario_from_mapping(
            task.base_data, file=task.base_file, overrides=task.overrides
        )
        key = run_key(scenario)
        if key != task.config_hash:
            raise RunError(
                "the worker built a different run than the planner (run key "
                f"{key[:12]} != {task.config_hash[:12]}): were model files edited during "
                "the sweep, or do the workers run another tissue_sim version?"
            )
        remove_stale_temporaries(task.run_dir)
        run_to_directory(scenario, task.run_dir, figures=False, report=False)
    except Exception as error:
        wall_time = time.perf_counter() - start
        message = f"{type(error).__name__}: {error}".replace("\n", " ")
        details = "" if isinstance(error, TissueSimError) else traceback.format_exc()
        record_failure(task.run_dir, message, details, wall_time)
        return RunOutcome(task.config_hash, False, wall_time, message)
    wall_time = time.perf_counter() - start
    record_success(task.run_dir, wall_time, socket.gethostname())
    return RunOutcome(task.config_hash, True, wall_time)
