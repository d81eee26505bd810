"""The standard picture set of a run, written by ``tissue-sim run`` into ``DIR/figures/``."""

from __future__ import annotations

import re
from pathlib import Path

from tissue_sim.io import RunResult
from tissue_sim.viz._loads import skin_loads
from tissue_sim.viz.biology_figures import plot_final_maps, plot_time_courses
from tissue_sim.viz.effect import has_control
from tissue_sim.viz.effect_figures import plot_effect_over_time, plot_treated_vs_untreated
from tissue_sim.viz.fields import effective_measure, peak_frame, resolve_field
from tissue_sim.viz.mechanics_figures import plot_strain_cut, plot_strain_distributions

__all__ = ["FIGURE_CAPTIONS", "caption_for", "write_figures"]

#: Plain-language caption of each standard picture, by file-name stem (prefix).
FIGURE_CAPTIONS = {
    "treatment_effect": (
        "What the massage did, layer by layer: the treated course (solid lines, layer means) "
        "against the untreated control (dashed) — the same tissue from the same starting "
        "state over the same days, without the massage sessions (shaded grey)."
    ),
    "effect_over_time": (
        "The treatment effect over the course: each layer's mean, treated ÷ untreated − 1, in "
        "percent. Zero is the untreated course; below zero the massage lowered the quantity, "
        "above zero it raised it."
    ),
    "strain_cut": (
        "How the tissue deforms under the hand: the effective strain on a vertical cut through "
        "the centre of the load, at the moment of largest strain. Red arrows show the hand's "
        "pressure along the cut; dashed lines are the layer boundaries, moved with the tissue."
    ),
    "block_3d": (
        "The block of tissue cut open under the hand, coloured by the effective strain at the "
        "moment of largest strain. Red: where the hand touches the skin at that moment; "
        "orange: the whole area it covers during one stroke or cycle."
    ),
    "strain_distributions": (
        "How much of each layer is strained, and how strongly: the largest stretch and shear "
        "each piece of tissue feels during a cycle, weighted by volume over the whole layer "
        "(log scale)."
    ),
    "time_courses": (
        "What the cells do over the course: layer averages (lines) and the spread within "
        "each layer (bands, 10th–90th percentile) of the quantities the cell models show "
        "first; massage sessions are shaded grey."
    ),
    "final_maps": (
        "Where the massage acted, cell by cell, at the end of the course on the same vertical "
        "cut: treated ÷ untreated − 1 (in percent) for the quantities it changed most."
    ),
    "remodelling": (
        "How the tissue's stiffness changed between sessions: each layer's mean stiffness "
        "factor (from its collagen and myofibroblasts) that the mechanics was re-solved with, "
        "held from one update to the next, and the peak strain the hand then caused."
    ),
}


def caption_for(path: Path) -> str:
    """The caption of a standard picture (by file name), or a caption from its name."""
    stem = Path(path).stem
    for prefix, caption in FIGURE_CAPTIONS.items():
        if stem.startswith(prefix):
            return caption
    return stem.replace("_", " ").capitalize() + "."


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def write_figures(result: RunResult, directory: Path) -> list[Path]:
    """Write the standard pictures of a run as PNG files.

    * ``treatment_effect.png`` — treated (solid) against untreated (dashed) layer means of
      the shown quantities over the course (when the run has biology with a control);
    * ``effect_over_time.png`` — treated ÷ untreated − 1 per layer over the course [%];
    * ``strain_cut.png`` — effective strain on a vertical cut through the load centre at
      the frame of largest strain, deformed shape, layer interfaces, the hand's pressure
      (one ``strain_cut_<k>_<technique>.png`` per technique when a session has several);
    * ``block_3d.png`` — the block cut open, coloured by effective strain, with the
      contact patch and the area swept over the stroke;
    * ``strain_distributions.png`` — per-layer, volume-weighted distributions of the peak
      stretch and shear over the cycle;
    * ``time_courses.png`` — per-layer time courses of the quantities the model files
      declare for reports, sessions shaded (when the run has biology);
    * ``final_maps.png`` — treated ÷ untreated − 1 per cell on the cut at the final time
      for the species the massage changed most (when the run stores biology fields);
    * ``remodelling.png`` — per-layer stiffness factor and dose strain at the remodelling
      updates (when the run has ``biology.remodelling``).

    Parameters
    ----------
    result
        The run.
    directory
        Folder to write into (created if needed), e.g. ``DIR/figures``.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    from tissue_sim.viz.scenes import render_block

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    loads = skin_loads(result)
    measure = effective_measure(result)
    written: list[Path] = []
    if has_control(result) and result.biology is not None and result.biology.time.size > 1:
        written.append(plot_treated_vs_untreated(result, directory / "treatment_effect.png"))
        written.append(plot_effect_over_time(result, directory / "effect_over_time.png"))
    steps = result.mechanics.step_names
    if len(steps) == 1:
        written.append(plot_strain_cut(result, directory / "strain_cut.png", loads=loads))
    else:
        for index, name in enumerate(steps):
            frame = peak_frame(result, measure, step=index)
            path = directory / f"strain_cut_{index + 1}_{_slug(name)}.png"
            written.append(plot_strain_cut(result, path, frame=frame, loads=loads))
    block = render_block(result, resolve_field(result, measure), directory / "block_3d.png")
    assert block is not None
    written.append(block)
    written.append(plot_strain_distributions(result, directory / "strain_distributions.png"))
    if result.biology is not None and result.biology.time.size > 1:
        written.append(plot_time_courses(result, directory / "time_courses.png"))
        if result.biology.field_times.size:
            written.append(plot_final_maps(result, directory / "final_maps.png", loads=loads))
    if result.biology is not None and result.biology.remodelling is not None:
        from tissue_sim.viz.remodelling_figures import plot_remodelling

        written.append(plot_remodelling(result, directory / "remodelling.png"))
    return written
