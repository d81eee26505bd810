"""Pictures and reports of a run: pyvista scenes, matplotlib plots, one HTML page.

Public names:

* :func:`write_figures` — the standard pictures of a run (``DIR/figures/*.png``);
* :func:`write_report` / :func:`render_report` — the self-contained HTML report;
* :func:`key_numbers` / :class:`LayerNumbers`, :func:`describe_scenario` — the numbers
  and words the report shows;
* :func:`resolve_field` / :class:`CellField`, :func:`available_fields` — per-cell fields by
  name in display units (what ``tissue-sim view --field`` accepts);
* :func:`render_block` — one pyvista picture of a field on the block cut open at the load;
* mechanics figures (:mod:`~tissue_sim.viz.mechanics_figures`) — :func:`plot_strain_cut`,
  :func:`plot_strain_cuts`, :func:`plot_depth_profiles`, :func:`plot_strain_distributions`;
* biology figures (:mod:`~tissue_sim.viz.biology_figures`) — :func:`plot_time_courses`,
  :func:`plot_final_maps`, :func:`plot_layer_series`, :func:`plot_layer_curves`;
* shared figure helpers (:mod:`~tissue_sim.viz.figure_helpers`, used by the sweep plots
  too) — :func:`save_figure`, :func:`panel_grid`, :func:`grid_figure`.

The names are imported on first use, so that ``tissue_sim.viz.figure_helpers`` (matplotlib
only) does not import pyvista. pyvista renders off screen (set
``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow`` on a machine without a display); every
plotter is closed after its picture.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tissue_sim.viz.biology_figures import (
        plot_final_maps,
        plot_layer_curves,
        plot_layer_series,
        plot_time_courses,
    )
    from tissue_sim.viz.fields import CellField, available_fields, resolve_field
    from tissue_sim.viz.figure_helpers import grid_figure, panel_grid, save_figure
    from tissue_sim.viz.figures import FIGURE_CAPTIONS, write_figures
    from tissue_sim.viz.mechanics_figures import (
        plot_depth_profiles,
        plot_strain_cut,
        plot_strain_cuts,
        plot_strain_distributions,
    )
    from tissue_sim.viz.report import render_report, write_report
    from tissue_sim.viz.scenes import render_block
    from tissue_sim.viz.summary import LayerNumbers, describe_scenario, key_numbers

#: Public name → module that defines it.
_WHERE = {
    "FIGURE_CAPTIONS": "figures",
    "CellField": "fields",
    "LayerNumbers": "summary",
    "available_fields": "fields",
    "describe_scenario": "summary",
    "grid_figure": "figure_helpers",
    "key_numbers": "summary",
    "panel_grid": "figure_helpers",
    "plot_depth_profiles": "mechanics_figures",
    "plot_final_maps": "biology_figures",
    "plot_layer_curves": "biology_figures",
    "plot_layer_series": "biology_figures",
    "plot_strain_cut": "mechanics_figures",
    "plot_strain_cuts": "mechanics_figures",
    "plot_strain_distributions": "mechanics_figures",
    "plot_time_courses": "biology_figures",
    "render_block": "scenes",
    "render_report": "report",
    "resolve_field": "fields",
    "save_figure": "figure_helpers",
    "write_figures": "figures",
    "write_report": "report",
}

__all__ = [
    "FIGURE_CAPTIONS",
    "CellField",
    "LayerNumbers",
    "available_fields",
    "describe_scenario",
    "grid_figure",
    "key_numbers",
    "panel_grid",
    "plot_depth_profiles",
    "plot_final_maps",
    "plot_layer_curves",
    "plot_layer_series",
    "plot_strain_cut",
    "plot_strain_cuts",
    "plot_strain_distributions",
    "plot_time_courses",
    "render_block",
    "render_report",
    "resolve_field",
    "save_figure",
    "write_figures",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tissue_sim.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tissue_sim.viz.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
