"""The remodelling of a run (``/biology/remodelling``): each layer's stiffness over the course.

* :func:`plot_remodelling` — per layer, the volume-weighted mean stiffness factor the
  mechanics was solved with (held from one update to the next) and the mean peak
  effective strain of each update's dose, sessions shaded;
* :func:`remodelling_lines` — one plain sentence for the report.

The factors come from the fibrosis state through the law of
:mod:`tissue_sim.remodelling.law` (docs/remodelling.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.io import RunResult
from tissue_sim.viz._style import layer_colours
from tissue_sim.viz.biology_figures import plot_layer_series
from tissue_sim.viz.figure_helpers import DAY

__all__ = ["plot_remodelling", "remodelling_lines"]

FloatArray = NDArray[np.float64]


def _reference(settings: dict[str, object]) -> str:
    """What factor 1 means (``biology.remodelling.reference``)."""
    return "the initial state" if settings.get("reference") == "initial" else "healthy tissue"


def _held(times: FloatArray, values: FloatArray, end: float) -> tuple[FloatArray, FloatArray]:
    """A value held from each update time to the next (and the last to ``end``) as a
    polyline: times ``t0, t1, t1, t2, …, end`` and values ``v0, v0, v1, v1, …``."""
    edges = np.append(times, max(end, float(times[-1])))
    return np.repeat(edges, 2)[1:-1], np.repeat(values, 2)


def plot_remodelling(result: RunResult, path: Path) -> Path:
    """Per-layer stiffness factor and dose strain at the remodelling updates.

    Parameters
    ----------
    result
        A run with ``biology.remodelling`` (``result.biology.remodelling`` not ``None``).
    path
        PNG to write.

    Returns
    -------
    Path
        ``path``.
    """
    biology = result.biology
    if biology is None or biology.remodelling is None:
        raise ValueError("this result has no remodelling (biology.remodelling)")
    output = biology.remodelling
    end = float(biology.time[-1]) if biology.time.size else float(output.time[-1])
    factor: dict[str, FloatArray] = {}
    strain: dict[str, FloatArray] = {}
    time = output.time
    for layer in result.mesh.layer_names:
        if layer in output.layer_factor:
            time, factor[layer] = _held(output.time, output.layer_factor[layer], end)
            strain[layer] = _held(output.time, output.layer_strain[layer], end)[1]
    every = float(output.settings.get("every", 0.0)) / DAY
    return plot_layer_series(
        path,
        time,
        [
            ("Stiffness factor", f"factor [-] (1 = {_reference(output.settings)})", factor),
            ("Peak effective strain of the dose", "strain [-]", strain),
        ],
        colours=layer_colours(result.mesh.layer_names),
        session_intervals=biology.session_intervals,
        title="Remodelling: each layer's stiffness (layer mean) and the strain it then felt\n"
        f"re-solved every {every:g} days; held between updates; grey = sessions",
        columns=2,
        zero_line=False,
    )


def remodelling_lines(result: RunResult) -> list[str]:
    """One sentence on the remodelling of a run (none without ``biology.remodelling``)."""
    biology = result.biology
    if biology is None or biology.remodelling is None:
        return []
    output = biology.remodelling
    if not output.layer_factor:
        return []
    changes = ", ".join(
        f"{layer} {values[0]:.3f} → {values[-1]:.3f}"
        for layer, values in output.layer_factor.items()
    )
    solves = int(np.count_nonzero(output.resolved))
    return [
        f"Remodelling: the fibrosis state changed each layer's stiffness over the course "
        f"(stiffness factor, 1 = {_reference(output.settings)}; layer mean, first → last "
        f"update: {changes}); "
        f"the mechanics was re-solved {solves} times."
    ]
