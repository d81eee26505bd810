"""Model files: loading, composition, presets, overrides and clear errors with lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from tissue_sim.biology import (
    KNOWN_STIMULUS_FEATURES,
    STANDARD_SPECIES,
    describe_model,
    list_models,
    list_presets,
    load_model,
)
from tissue_sim.errors import InputError, ModelFileError
from tissue_sim.stimulus import is_feature

GOOD = """\
name: {name}
title: test model
description: decay with a mechanical drive
inputs: [effective_strain_peak]
species:
  a: {{unit: "1", initial: 1.0, description: species a}}
parameters:
  k: {{value: 2.0, unit: 1/h, source: "assumption: test"}}
  K: {{value: 0.05, source: "assumption: test"}}
expressions:
  drive: "hill(effective_strain_peak, K, 2)"
rates:
  a: "k * (1 + drive - a)"
presets:
  raised: {{a: 3.0}}
"""


def write(tmp_path: Path, text: str, name: str = "toy") -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def test_shipped_models_presets_and_species_names() -> None:
    shipped = ["fibroblast_mechanotransduction", "macrophage_polarisation", "tgfb1_fibrosis"]
    assert set(shipped) <= set(list_models())  # and the models others add (TEACHM: two)
    assert list_presets() == ["healthy", "acute_exercise_damage", "chronic_overuse"]
    model = load_model(list_models())
    # the names issue 4 fixes for scenarios, sweeps and reports
    issue_names = "il6 il1b il10 tnfa tgfb1_latent tgfb1_active myofibroblast collagen m0 m1 m2"
    assert set(STANDARD_SPECIES) == {*issue_names.split(), "fak"}
    assert set(STANDARD_SPECIES) <= set(model.species_names)
    assert all(name in KNOWN_STIMULUS_FEATURES or is_feature(name) for name in model.inputs)
    assert {"longest_time_above_50pct", "time_above_3pct"} <= set(model.inputs)
    for info in model.parameters.values():
        assert (
            info.source.startswith("assumption: ")
            or "FACTS" in info.source
            or "et al" in info.source
        )


def test_presets_raise_the_named_species(composed_model) -> None:
    healthy = composed_model.initial_state("healthy")
    acute = composed_model.initial_state("acute_exercise_damage")
    chronic = composed_model.initial_state("chronic_overuse")
    index = composed_model.species_index
    for name in ("il6", "il1b"):
        assert acute[index(name)] > 2 * healthy[index(name)]
    assert acute[index("damage")] > healthy[index("damage")] == 0.0
    for name in ("m1", "tnfa"):  # rise within a day as the damage recruits macrophages
        assert acute[index(name)] > healthy[index(name)]
    for name in ("tgfb1_latent", "tgfb1_active", "myofibroblast", "collagen"):
        assert chronic[index(name)] > 1.5 * healthy[index(name)]
    with pytest.raises(InputError, match="unknown initial-state preset 'sick'"):
        composed_model.initial_state("sick")


def test_toy_model_converts_units_and_evaluates(tmp_path: Path) -> None:
    model = load_model([write(tmp_path, GOOD.format(name="toy"))])
    info = model.parameters["toy.k"]
    assert info.value == pytest.approx(2.0 / 3600.0)
    assert info.unit == "1/s"
    y = np.array([[1.0], [2.0]])
    rates = model.rhs(0.0, y, {"effective_strain_peak": np.array([0.05, 0.0])})
    assert rates[:, 0] == pytest.approx([2.0 / 3600 * 0.5, 2.0 / 3600 * (1 - 2.0)])
    assert model.initial_state("raised")[0] == 3.0


def test_parameter_overrides_by_dotted_name(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.format(name="toy"))
    model = load_model([path], parameter_overrides={"toy.k": "4 1/h"})
    assert model.parameters["toy.k"].value == pytest.approx(4.0 / 3600)
    again = model.with_parameters({"toy.K": 0.1})
    assert again.parameters["toy.K"].value == 0.1
    assert again.parameters["toy.k"].value == pytest.approx(4.0 / 3600)
    with pytest.raises(InputError, match=r"unknown cell-model parameter 'toy\.q'"):
        load_model([path], parameter_overrides={"toy.q": 1.0})
    with pytest.raises(InputError, match="expected a value in 1/s"):
        load_model([path], parameter_overrides={"toy.k": "3 mm"})


def test_half_life_parameters_become_rates(tgfb1_model) -> None:
    decay = tgfb1_model.parameters["tgfb1_fibrosis.k_active_decay"]
    assert decay.value == pytest.approx(np.log(2) / 150.0)
    assert "Wakefield" in decay.source


def test_describe_lists_species_parameters_sources_and_equations() -> None:
    text = describe_model("tgfb1_fibrosis")
    for fragment in (
        "tgfb1_active [1]",
        "k_active_decay",
        "Wakefield",
        "dcollagen/dt",
        "effective_strain_amplitude",
        "chronic_overuse",
        "External species",
    ):
        assert fragment in text


def _error(tmp_path: Path, text: str, *others: str) -> ModelFileError:
    path = write(tmp_path, text)
    with pytest.raises(ModelFileError) as info:
        load_model([path, *others])
    return info.value


def test_undefined_name_is_reported_with_file_and_line(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.format(name="toy").replace("k * (1 + drive - a)", "k * b"))
    assert error.line == 13 and error.file is not None and error.file.endswith("toy.yaml")
    assert "name 'b' is not defined" in str(error)


def test_unknown_input_is_reported(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        GOOD.format(name="toy").replace("[effective_strain_peak]", "[effective_strain_peak, pain]"),
    )
    assert error.line == 4 and "input 'pain' is not provided" in str(error)


def test_species_without_rate_is_reported(tmp_path: Path) -> None:
    text = GOOD.format(name="toy").replace(
        "species:\n", 'species:\n  z: {unit: "1", initial: 0.0, description: no rate}\n'
    )
    error = _error(tmp_path, text)
    assert error.line == 6 and "species 'z' has no rate" in str(error)


def test_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    text = GOOD.format(name="toy").replace('  a: "k *', '  a: "1"\n  a: "k *')
    error = _error(tmp_path, text)
    assert error.line == 14 and "duplicate key 'a'" in str(error)


def test_parameter_named_like_a_species_is_a_duplicate_definition(tmp_path: Path) -> None:
    text = GOOD.format(name="toy").replace("  K: {value", "  a: {value")
    error = _error(tmp_path, text)
    assert "duplicate definition" in str(error) and error.line == 6


def test_species_defined_in_two_models_is_reported(tmp_path: Path) -> None:
    text = (
        GOOD.format(name="toy")
        .replace("  a: {unit", "  il6: {unit")
        .replace('a: "k * (1 + drive - a)"', 'il6: "-k * il6"')
        .replace("raised: {a: 3.0}", "raised: {il6: 3.0}")
    )
    path = write(tmp_path, text)
    with pytest.raises(ModelFileError) as info:
        load_model(["fibroblast_mechanotransduction", path])
    assert "species 'il6' is already defined" in str(info.value) and info.value.line == 6


def test_rate_for_unknown_species_and_bad_source_are_reported(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.format(name="toy").replace("presets:", '  extra: "1"\npresets:'))
    assert "rate for 'extra'" in str(error) and error.line == 14
    error = _error(
        tmp_path, GOOD.format(name="toy").replace('"assumption: test"}\n  K', '"assumption"}\n  K')
    )
    assert "assumption: <reason>" in str(error) and error.line == 8


def test_malicious_rate_in_a_file_is_reported_with_its_line(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        GOOD.format(name="toy").replace("k * (1 + drive - a)", "__import__('os').system('true')"),
    )
    assert error.line == 13 and "only plain function names" in str(error)


def test_external_species_must_agree_with_its_owner(tmp_path: Path) -> None:
    text = (
        GOOD.format(name="toy")
        .replace(
            "parameters:",
            'external:\n  m1: {unit: "1", healthy: 0.3, description: M1}\nparameters:',
        )
        .replace("k * (1 + drive - a)", "k * (1 + drive - a) * m1")
    )
    alone = load_model([write(tmp_path, text)])
    assert alone.rhs(0.0, [[1.0]], {"effective_strain_peak": 0.0})[0, 0] == 0.0
    error = _error(tmp_path, text, "macrophage_polarisation")
    assert "healthy value 0.3" in str(error) and error.line == 8


def test_model_name_must_match_file_name_and_unknown_models(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.format(name="other"))
    assert "must equal the file name" in str(error) and error.line == 1
    with pytest.raises(InputError, match="unknown cell model 'nope'"):
        load_model(["nope"])


def test_missing_stimulus_feature_is_an_input_error(composed_model) -> None:
    partial = {name: 0.0 for name in composed_model.inputs if name != "strain_rate_peak"}
    with pytest.raises(InputError, match="strain_rate_peak"):
        composed_model.rhs(0.0, composed_model.initial_state()[None, :], partial)


def test_docs_parameter_tables_are_the_model_files() -> None:
    """docs/biology.md's "Parameters of <model>" tables list every parameter of the model
    file with its given value, source and note as the file has them (no stale rows)."""
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "biology.md").read_text("utf-8")
    documented = re.findall(r"^#### Parameters of `(\w+)`$", text, flags=re.M)
    assert {"fibroblast_mechanotransduction", "macrophage_polarisation", "tgfb1_fibrosis"} <= set(
        documented
    )
    for name in documented:
        section = text.split(f"#### Parameters of `{name}`", 1)[1].split("\n#", 1)[0]
        rows = {}
        for line in section.splitlines():
            if line.startswith("| `"):
                cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
                rows[cells[0].strip("`")] = cells
        model = load_model([name])
        assert set(rows) == {info.name for info in model.parameters.values()}, name
        for info in model.parameters.values():
            assert rows[info.name][2:5] == [info.given, info.source, info.note], info.name
