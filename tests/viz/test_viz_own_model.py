"""A user's own cell model (from ``$TISSUE_SIM_MODELS``) appears in the summary and report.

What is shown, in which order and under which names comes from the model file's ``report``
section; nothing in the report or the summary knows the shipped models' species. And no
shipped species name is written into the code outside ``biology/`` (and the few documented
defaults listed here).
"""

from __future__ import annotations

import ast
import html
import shutil
from pathlib import Path

import pytest

from tissue_sim.biology._model_file import read_model_file
from tissue_sim.cli import main

REPOSITORY = Path(__file__).resolve().parents[2]

OWN_MODEL = """\
name: wound_signal
title: A user's own model (not shipped)
description: |
  A scar signal S that cyclic strain raises and that relaxes back to its healthy level,
  and a helper cell fraction H that follows it.
    dS/dt = k · (1 + g · hill(ε_peak, K, 2) − S)
    dH/dt = k_h · (S − H)
inputs: [effective_strain_peak]
species:
  scar_signal: {unit: "1", initial: 1.0, description: scar signal relative to healthy}
  helper_cells: {unit: "1", initial: 1.0, description: helper cells relative to healthy}
parameters:
  k: {half_life: 2 h, source: "assumption: test model"}
  k_h: {half_life: 6 h, source: "assumption: test model"}
  g: {value: 0.5, source: "assumption: test model"}
  K: {value: 0.05, source: "assumption: test model"}
rates:
  scar_signal: "k * (1 + g * hill(effective_strain_peak, K, 2) - scar_signal)"
  helper_cells: "k_h * (scar_signal - helper_cells)"
report:
  helper_cells: {label: helper cells of the user, relative_to: healthy helper cells}
  scar_signal: {label: scar signal of the user}
  signal_per_helper: {label: signal per helper cell, expression: "scar_signal / helper_cells"}
"""

#: Files outside ``biology/`` allowed to name shipped species in code, and why (documented
#: defaults): the species shown for results written before model files declared them, and
#: the demonstrations, each about one shipped model (named in a documented constant).
ALLOWED = {
    "io/result.py": "FALLBACK_REPORT_SPECIES: results of format 1 and 2",
    "demos/dose_response.py": "ACTIVE, LATENT, SENSOR: the TGF-β1 demonstration",
    "demos/macrophage_switch.py": "M1, M2, SHARE, PANELS: the macrophage demonstration",
    "demos/therapeutic_window.py": "the species the therapeutic-window demonstration reads",
    "demos/fibroblast_cytokines.py": "IL6, IL1B, SENSOR: the Meltzer & Standley demonstration",
    "demos/course_planner.py": "the species the course-planner demonstration reads",
    "demos/ischaemic_compression.py": "FLOW, OXYGEN, LACTATE: the perfusion demonstration",
    "demos/pain_gating.py": "T, N, RA, SA: the afferent-gating demonstration",
    "config/remodelling.py": "the default species of biology.remodelling (configurable)",
    "remodelling/_course.py": "the key names biology.remodelling.collagen / .myofibroblast",
}


@pytest.fixture
def own_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(REPOSITORY / "models" / "tissues", folder / "tissues")
    (folder / "cells").mkdir()
    (folder / "cells" / "wound_signal.yaml").write_text(OWN_MODEL, encoding="utf-8")
    monkeypatch.setenv("TISSUE_SIM_MODELS", str(folder))
    return folder


def test_own_model_appears_in_the_summary_and_the_report(
    own_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code = main(
        [
            "run",
            str(REPOSITORY / "configs" / "static_compression.yaml"),
            "-o",
            str(out),
            "--no-figures",
            "--set",
            "mesh.size=12 mm",
            "--set",
            "schedule.days=1",
            "--set",
            "biology.models=[wound_signal]",
        ]
    )
    assert code == 0
    summary = capsys.readouterr().out
    labels = ("helper cells of the user", "scar signal of the user", "signal per helper cell")
    rows = [line for line in summary.splitlines() if line.strip().startswith(labels)]
    assert [row.split("  ")[1] for row in rows] == list(labels)  # declared order
    assert all("×" in row for row in rows)  # treated ÷ untreated per layer
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    effect = page[page.index("What the massage did") : page.index("The scenario in plain words")]
    for label in labels:
        assert f"<td>{label}</td>" in effect
    assert "signal per helper cell = scar_signal / helper_cells" in page


def _shipped_names() -> set[str]:
    names: set[str] = set()
    for path in (REPOSITORY / "models" / "cells").glob("*.yaml"):
        model = read_model_file(path)
        names |= set(model.species) | {entry.name for entry in model.report}
    return names


def _code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants that are not docstrings, with their lines."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def shipped_species_in_code(package: Path) -> dict[str, list[str]]:
    """``file → ["line: text", …]`` of code strings outside ``biology/`` that are a shipped
    model's species or report quantity (docstrings and comments are prose, not code)."""
    names = _shipped_names()
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("biology/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hits = [f"{line}: {text!r}" for line, text in _code_strings(tree) if text in names]
        if hits:
            found[relative] = hits
    return found


def test_no_shipped_species_name_in_code_outside_biology() -> None:
    found = shipped_species_in_code(REPOSITORY / "tissue_sim")
    unexpected = {file: hits for file, hits in found.items() if file not in ALLOWED}
    assert not unexpected, f"shipped species names in code: {unexpected}"
    # the allowance is not a blanket: each allowed file names them in one constant block
    for file, hits in found.items():
        lines = {int(hit.split(":")[0]) for hit in hits}
        assert max(lines) - min(lines) <= 12, f"{file}: spread over lines {sorted(lines)}"


def test_the_species_check_finds_names(tmp_path: Path) -> None:
    """The check is not blind: a string naming a shipped species in code is found."""
    package = tmp_path / "tissue_sim"
    (package / "viz").mkdir(parents=True)
    (package / "viz" / "bad.py").write_text(
        '"""Docstrings may say il6."""\nKEY = ("il6", "x")\n', encoding="utf-8"
    )
    assert shipped_species_in_code(package) == {"viz/bad.py": ["2: 'il6'"]}


def _model_file(tmp_path: Path, report: str, name: str = "wound_signal") -> Path:
    text = OWN_MODEL.split("report:\n")[0].replace("name: wound_signal", f"name: {name}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text + report, encoding="utf-8")
    return path


def test_report_section_is_read_in_order_with_labels_scales_and_derived(tmp_path: Path) -> None:
    from tissue_sim.biology import load_model

    own_report = "report:" + OWN_MODEL.split("report:")[1]
    model = load_model([str(_model_file(tmp_path, own_report))])
    assert model.report_species == ("helper_cells", "scar_signal", "signal_per_helper")
    assert model.species_labels["scar_signal"] == "scar signal of the user"
    assert model.report_scales == {"helper_cells": "healthy helper cells"}
    assert model.report_derived == {"signal_per_helper": ("scar_signal / helper_cells", "1")}


def test_a_derived_quantity_needs_every_species_it_reads(tmp_path: Path) -> None:
    """A derived quantity reading an external species is left out when no model owns it."""
    from tissue_sim.biology import load_model

    report = (
        "external:\n  other: {unit: '1', healthy: 1.0, description: another model's}\n"
        "report:\n  scar_signal: {}\n"
        "  scar_per_other: {expression: 'scar_signal / other', show: true}\n"
        "  helper_cells: {label: helpers, show: false}\n"
    )
    model = load_model([str(_model_file(tmp_path, report))])
    assert model.report_species == ("scar_signal",)
    assert model.report_derived == {}
    assert model.species_labels == {"scar_signal": "scar_signal", "helper_cells": "helpers"}


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("report:\n  nothing_here: {label: x}\n", "is not a species of this model"),
        ("report:\n  scar_signal: {colour: red}\n", "unknown key 'colour'"),
        ("report:\n  scar_signal: {unit: mM}\n", "a species has its own unit"),
        ("report:\n  scar_signal: {show: maybe}\n", "show must be true or false"),
        ("report:\n  ratio: {expression: 'scar_signal / k'}\n", "'k' is not a species"),
        ("report:\n  ratio: {expression: '__import__(1)'}\n", "report.ratio.expression"),
        ("report:\n  k: {expression: 'scar_signal'}\n", "is also a parameter"),
        ("report:\n  scar_signal: {label: 3}\n", "'label' must be text"),
        ("report: [scar_signal]\n", "'report' must be a mapping"),
    ],
)
def test_report_section_mistakes_name_the_file_and_line(
    tmp_path: Path, report: str, message: str
) -> None:
    from tissue_sim.errors import ModelFileError

    path = _model_file(tmp_path, report)
    with pytest.raises(ModelFileError, match=message) as caught:
        read_model_file(path)
    assert caught.value.file == str(path) and caught.value.line
