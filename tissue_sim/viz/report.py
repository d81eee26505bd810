"""One self-contained HTML page per run: the treatment effect first, then the scenario, what
each layer felt, pictures, sources and provenance.

Every number the page shows is either against the run's untreated control (the same
course without sessions) or comes from a named source (a tissue or model parameter, the
finite-element solution).

The pictures are embedded as base64 ``data:`` URIs, so the page can be mailed or moved on
its own. The file is written atomically (a temporary name, renamed when complete).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tissue_sim.io import RunResult, atomic_path
from tissue_sim.viz._quantities import quantity_label
from tissue_sim.viz._style import measure_label
from tissue_sim.viz.effect import (
    SpeciesEffect,
    effect_sentences,
    has_control,
    treatment_effects,
)
from tissue_sim.viz.fields import effective_measure
from tissue_sim.viz.figures import caption_for
from tissue_sim.viz.summary import LayerNumbers, describe_scenario, key_numbers, resolved_config

__all__ = ["render_report", "write_report"]

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto;
       max-width: 1150px; padding: 1.5em 2em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em;
     margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.93em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.4em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.93em; color: #444; margin-top: 0.3em; }
.note { color: #555; font-size: 0.92em; } pre { background: #f7f7f7; padding: 0.8em;
        overflow-x: auto; font-size: 0.85em; }
"""


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: float | None, digits: int = 3, scale: float = 1.0, signed: bool = False) -> str:
    if value is None:
        return "–"
    shown = value * scale
    return f"{shown:+.{digits}g}" if signed else f"{shown:.{digits}g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{_escape(cell)}</th>" for cell in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_escape(cell)}</td>'
            if index in numeric
            else f"<td>{_escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


#: Pictures shown in the treatment-effect section (by file-name stem), in this order.
_EFFECT_FIGURES = ("treatment_effect", "effect_over_time")


def _ratio(value: float | None) -> str:
    """``×0.934``: three decimals near 1 (where effects are usually small), else 3 digits."""
    if value is None:
        return "n/a"
    return f"×{value:.3f}" if 0.01 <= abs(value) < 100.0 else f"×{value:.3g}"


def _effect_section(result: RunResult, figures: Sequence[Path]) -> str:
    """What the massage did: treated against untreated, per layer, at the end and over time."""
    heading = "<h2>What the massage did: treated against untreated</h2>"
    biology = result.biology
    if biology is None:
        return heading + "<p class='note'>This run has no cell model (biology is off).</p>"
    if not has_control(result):
        return heading + (
            "<p class='note'>This result has no untreated control (it was written by a "
            "tissue_sim older than result format 2), so no treatment effect can be shown. "
            "Run the scenario again to get one.</p>"
        )
    effects = treatment_effects(result)
    start = biology.initial_state.replace("_", " ")
    day = effects[0].day if effects else float(biology.time[-1] / 86400.0)
    intro = (
        f"Every run is computed twice from the same '{start}' starting state: with the "
        "massage sessions (<b>treated</b>) and without them (<b>untreated</b>: the same "
        "tissue over the same days, no sessions). Every number in this section is the "
        "treated value against the untreated one — the answer to “what did the massage "
        "do?”. A ratio below 1 means the massage lowered the quantity."
    )
    layers = [layer for layer in result.mesh.layer_names if layer in biology.layers]
    by_key = {(item.layer, item.species): item for item in effects}
    names = list(dict.fromkeys(item.species for item in effects))
    rows = []
    for name in names:
        row = [quantity_label(biology, name)]
        for layer in layers:
            item = by_key.get((layer, name))
            row.append("–" if item is None else f"{_ratio(item.ratio)} ({item.difference:+.3g})")
        rows.append(row)
    matrix = _table(
        ["species", *layers],
        rows,
        set(range(1, len(layers) + 1)),
    )
    caption = (
        "<p class='note'>Each cell: treated ÷ untreated (treated − untreated) of the "
        f"volume-weighted layer mean at the end of the course, day {day:g}. Cell quantities "
        "are normalised to healthy tissue (healthy = 1); the difference is in those units.</p>"
    )
    sentences = "".join(f"<li>{_escape(text)}</li>" for text in effect_sentences(effects))
    details = _effect_details(effects, day)
    pictures = "".join(
        _figure(path) for stem in _EFFECT_FIGURES for path in figures if Path(path).stem == stem
    )
    return (
        heading
        + f"<p>{intro}</p>"
        + matrix
        + caption
        + f"<ul>{sentences}</ul>"
        + details
        + pictures
    )


def _effect_details(effects: list[SpeciesEffect], day: float) -> str:
    header = [
        "layer",
        "species",
        f"treated, day {day:g}",
        f"untreated, day {day:g}",
        "treated − untreated",
        "treated ÷ untreated",
        "largest effect over the course (ratio, day)",
    ]
    rows = []
    for item in effects:
        largest = "n/a"
        if item.largest_ratio is not None and item.largest_day is not None:
            largest = f"{_ratio(item.largest_ratio)} (day {item.largest_day:.2f})"
        rows.append(
            [
                item.layer,
                item.label,
                f"{item.treated:.4g}",
                f"{item.untreated:.4g}",
                f"{item.difference:+.3g}",
                _ratio(item.ratio),
                largest,
            ]
        )
    table = _table(header, rows, {2, 3, 4, 5, 6})
    return (
        "<details><summary>Every layer and species: treated, untreated, difference, ratio, "
        f"and the largest effect over the course</summary>{table}</details>"
    )


def _key_numbers_section(result: RunResult, numbers: list[LayerNumbers]) -> str:
    measure = effective_measure(result)
    header = [
        "layer",
        "thickness [mm]",
        f"peak strain, 90th percentile [%] ({measure_label(measure)})",
        "peak strain, maximum [%]",
    ]
    rows = [
        [
            item.layer,
            _number(item.thickness, 3, 1e3),
            _number(item.strain_p90, 3, 100.0),
            _number(item.strain_max, 3, 100.0),
        ]
        for item in numbers
    ]
    table = _table(header, rows, set(range(1, len(header))))
    strongest = max(numbers, key=lambda item: item.strain_p90)
    notes = [
        f"The {strongest.layer} is strained most: 90 % of its volume stays below "
        f"{strongest.strain_p90 * 100:.3g} % at the moment of largest strain, and its most "
        f"strained point reaches {strongest.strain_max * 100:.3g} %.",
        "Thicknesses come from the tissue preset (sources below); strains from the "
        f"finite-element solution ({result.mechanics.model} mechanics; small-strain "
        "engineering values for linear runs, Green–Lagrange for finite strain).",
        *_mechanics_notes(result),
    ]
    paragraphs = "".join(f"<p class='note'>{_escape(note)}</p>" for note in notes)
    return f"<h2>What each layer felt</h2>{table}{paragraphs}"


def _mechanics_notes(result: RunResult) -> list[str]:
    """The small-strain warning of a linear run outside its range, Newton's iterations,
    viscoelastic frames, and the stiffness changes of a remodelled course."""
    from tissue_sim.mechanics.session import summary_lines
    from tissue_sim.mechanics.viscoelastic import viscoelastic_lines
    from tissue_sim.viz.remodelling_figures import remodelling_lines

    solver = dict(result.mechanics.solver)
    return [*summary_lines(solver), *viscoelastic_lines(solver), *remodelling_lines(result)]


def _figure(path: Path) -> str:
    path = Path(path)
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = caption_for(path)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_escape(caption)}">'
        f"<figcaption><b>{_escape(path.name)}</b> — {_escape(caption)}</figcaption></figure>"
    )


def _figures_section(figures: Sequence[Path]) -> str:
    shown = [_figure(path) for path in figures if Path(path).stem not in _EFFECT_FIGURES]
    parts = ["<h2>Pictures</h2>", *[part for part in shown if part]]
    if len(parts) == 1:
        parts.append("<p class='note'>No pictures were written for this run.</p>")
    return "".join(parts)


def _tissue_parameter_rows(result: RunResult, config: dict[str, Any]) -> list[list[str]]:
    layers = {
        layer.get("name"): layer
        for layer in (config.get("tissue", {}) or {}).get("layers", []) or []
        if isinstance(layer, dict)
    }
    units = {"thickness": "m", "youngs_modulus": "Pa", "poisson_ratio": "1", "fibre_angle": "rad"}
    rows = []
    for key, source in sorted(result.sources.items()):
        parts = key.split(".")
        value = ""
        unit = ""
        if len(parts) == 3 and parts[0] == "layers" and parts[1] in layers:
            raw = layers[parts[1]].get(parts[2])
            value = "" if raw is None else f"{float(raw):.4g}"
            unit = units.get(parts[2], "")
        rows.append([key, value, unit, source])
    return rows


def _parameters_section(result: RunResult, config: dict[str, Any]) -> str:
    parts = ["<h2>Parameters and their sources</h2>", "<h3>Tissue</h3>"]
    tissue_rows = _tissue_parameter_rows(result, config)
    if tissue_rows:
        parts.append(_table(["key", "value (SI)", "unit", "source"], tissue_rows, {1}))
    else:
        parts.append("<p class='note'>No tissue sources were recorded.</p>")
    if result.biology is not None:
        parts.append("<h3>Cell models</h3>")
        rows = [
            [name, f"{value:.4g}", unit, source]
            for name, (value, unit, source) in sorted(result.biology.parameters.items())
        ]
        parts.append(_table(["model.parameter", "value (SI)", "unit", "source"], rows, {1}))
        biology = result.biology
        species = ", ".join(
            f"{quantity_label(biology, name)} ({name})"
            if quantity_label(biology, name) != name
            else name
            for name in biology.species
        )
        parts.append(f"<p class='note'>Species: {_escape(species)}.</p>")
        if biology.derived:
            derived = "; ".join(
                f"{quantity_label(biology, name)} = {text}"
                for name, text in biology.derived.items()
            )
            parts.append(
                "<p class='note'>Derived quantities (declared by the model files, computed "
                f"from the layer means and per cell): {_escape(derived)}.</p>"
            )
    return "".join(parts)


def _provenance_section(result: RunResult) -> str:
    provenance = dict(result.provenance)
    versions = provenance.pop("versions", {}) or {}
    rows = [["config hash (SHA-256)", result.config_hash]]
    rows += [[str(key), str(value)] for key, value in provenance.items() if key != "config_hash"]
    rows += [[f"version of {name}", str(version)] for name, version in sorted(versions.items())]
    rows += [
        [f"wall time: {stage}", f"{seconds:.2f} s"] for stage, seconds in result.timings.items()
    ]
    solver = result.mechanics.solver
    if solver:
        rows.append(
            [
                "mechanics solver",
                ", ".join(f"{k} = {v}" for k, v in solver.items() if k != "newton"),
            ]
        )
    config_text = _escape(result.config)
    source_text = _escape(result.config_source)
    return (
        "<h2>Provenance</h2>"
        + _table(["item", "value"], rows, set())
        + "<details><summary>The scenario as written (after --set overrides)</summary>"
        + f"<pre>{source_text}</pre></details>"
        + "<details><summary>The resolved scenario (SI units, every default)</summary>"
        + f"<pre>{config_text}</pre></details>"
    )


def render_report(result: RunResult, *, figures: Sequence[Path] = ()) -> str:
    """The report page as an HTML string (see :func:`write_report`)."""
    config = resolved_config(result)
    title = f"tissue_sim report: {result.name}"
    description = str(config.get("description") or "").strip()
    scenario = "".join(f"<li>{_escape(sentence)}</li>" for sentence in describe_scenario(result))
    numbers = key_numbers(result)
    body = [
        f"<h1>{_escape(title)}</h1>",
        f"<p>{_escape(description)}</p>" if description else "",
        _effect_section(result, figures),
        "<h2>The scenario in plain words</h2>",
        f"<ul>{scenario}</ul>",
        _key_numbers_section(result, numbers),
        _figures_section(figures),
        _parameters_section(result, config),
        _provenance_section(result),
        "<p class='note'>Written by tissue_sim. The models are simplified: normalised cell "
        "quantities, no transport between points; see the parameter sources above for "
        "which values are measured and which are assumptions.</p>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def write_report(result: RunResult, path: Path, *, figures: list[Path]) -> Path:
    """Write the run's report as one self-contained HTML page.

    The page leads with what the massage did: per layer and species, the treated course
    against the untreated control (the same course without sessions) at the end — ratio
    and difference — with the largest effects in words and the treated/untreated time
    courses and effect-over-time pictures. Then the scenario in plain words (tissue,
    layers and thicknesses, technique(s), pressure, schedule), what each layer felt
    (peak strain), the other pictures (embedded), the parameters with their sources, and
    the provenance (config hash, versions, timings, the scenario itself).

    Parameters
    ----------
    result
        The run.
    path
        HTML file to write (atomically; folders are created).
    figures
        PNG files to embed, in order (missing files are skipped).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    text = render_report(result, figures=figures)
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path
