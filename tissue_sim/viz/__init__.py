"""Pictures and reports of a run: pyvista scenes, matplotlib plots, one HTML page.

Public names:

* :func:`write_figures` — the standard pictures of a run (``DIR/figures/*.png``);
* :func:`write_report` / :func:`render_report` — the self-contained HTML report;
* :func:`key_numbers` / :class:`LayerNumbers`, :func:`describe_scenario` — the numbers
  and words the report shows;
* :func:`resolve_field` / :class:`CellField`, :func:`available_fields` — per-cell fields by
  name in display units (what ``tissue-sim view --field`` accepts);
* :func:`render_block` — one pyvista picture of a field on the block cut open at the load;
* plots — :func:`plot_strain_cut`, :func:`plot_strain_distributions`,
  :func:`plot_time_courses`, :func:`plot_final_maps`, :func:`plot_strain_cuts`,
  :func:`plot_depth_profiles`, :func:`plot_layer_curves`, :func:`plot_layer_series`.

pyvista renders off screen (set ``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow`` on a
machine without a display); every plotter is closed after its picture.
"""

from __future__ import annotations

from tissue_sim.viz.fields import CellField, available_fields, resolve_field
from tissue_sim.viz.figures import FIGURE_CAPTIONS, write_figures
from tissue_sim.viz.plots import (
    plot_depth_profiles,
    plot_final_maps,
    plot_layer_curves,
    plot_layer_series,
    plot_strain_cut,
    plot_strain_cuts,
    plot_strain_distributions,
    plot_time_courses,
)
from tissue_sim.viz.report import render_report, write_report
from tissue_sim.viz.scenes import render_block
from tissue_sim.viz.summary import LayerNumbers, describe_scenario, key_numbers

__all__ = [
    "FIGURE_CAPTIONS",
    "CellField",
    "LayerNumbers",
    "available_fields",
    "describe_scenario",
    "key_numbers",
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
    "write_figures",
    "write_report",
]
