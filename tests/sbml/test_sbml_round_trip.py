"""Export → import preserves the equations: the compiled right-hand sides and Jacobians agree
at random states and inputs, the substituted rates are the same sympy expressions, and the
model file keeps its species, parameters (values, given form, sources), inputs, externals
and presets (docs/sbml.md, round trip)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy

pytest.importorskip("libsbml", reason="python-libsbml is not installed ('.[sbml]')")

from tests.sbml._helpers import exported_model, max_relative_difference, random_states
from tissue_sim.biology import CellModel, list_models, load_model
from tissue_sim.biology._model_file import ModelFile, read_model_file
from tissue_sim.sbml import import_sbml, model_file_paths, write_model_file

SHIPPED = list_models()
#: each model alone, all composed, and a pair whose externals are held constant (both read
#: ``damage``, whose owner is absent: one shared SBML parameter)
CASES = [
    *[(name,) for name in SHIPPED],
    tuple(SHIPPED),
    ("tgfb1_fibrosis", "macrophage_polarisation"),
]


def _round_trip(names: tuple[str, ...], folder: Path) -> Path:
    source = folder / "exported.xml"
    source.write_text(exported_model(names).sbml, encoding="utf-8")
    imported = import_sbml(source, name="round_trip")
    return write_model_file(imported, folder / "round_trip.yaml")


@pytest.fixture(scope="module", params=CASES, ids=["+".join(case) for case in CASES])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    names = request.param
    path = _round_trip(names, tmp_path_factory.mktemp("round_trip"))
    return names, load_model(list(names)), load_model([str(path)]), path


def test_round_trip_keeps_species_and_inputs(pair) -> None:  # type: ignore[no-untyped-def]
    _, original, imported, _ = pair
    assert imported.species_names == original.species_names
    assert imported.inputs == original.inputs
    assert [s.unit for s in imported.species] == [s.unit for s in original.species]
    assert np.array_equal(imported.initial_state(), original.initial_state())
    assert imported.presets == original.presets
    for preset in original.presets:
        assert np.array_equal(imported.initial_state(preset), original.initial_state(preset))


def test_round_trip_right_hand_sides_agree_at_random_states(pair) -> None:  # type: ignore[no-untyped-def]
    """200 random states and inputs: rates and Jacobians agree to 1e-12 relative (the
    annotations carry every value in full, so they agree to the last bit in practice)."""
    _, original, imported, _ = pair
    rng = np.random.default_rng(2024)
    states, inputs = random_states(original, rng)
    rates = original.rhs(0.0, states, inputs)
    assert np.any(rates != 0.0)
    assert max_relative_difference(imported.rhs(0.0, states, inputs), rates, 1e-300) <= 1e-12
    jacobian = original.jacobian(0.0, states, inputs)
    other = imported.jacobian(0.0, states, inputs)
    assert np.all(np.abs(other - jacobian) <= 1e-12 * np.maximum(np.abs(jacobian), 1e-300))


def test_round_trip_rates_are_the_same_expressions(pair) -> None:  # type: ignore[no-untyped-def]
    """Symbolically: each compiled rate (parameters substituted) is the same sympy expression."""
    _, original, imported, _ = pair
    for name, first, second in zip(
        original.species_names, original.rates, imported.rates, strict=True
    ):
        assert first == second or sympy.simplify(first - second) == 0, name


def _file_of(names: tuple[str, ...]) -> ModelFile | None:
    if len(names) != 1:
        return None
    (path,) = model_file_paths(list(names))
    return read_model_file(path)


def test_round_trip_keeps_the_model_file(pair) -> None:  # type: ignore[no-untyped-def]
    """Parameters (SI value, the form the file gave, source, note), externals, inputs,
    helper expressions, presets, title and description come back as written."""
    names, _, _, path = pair
    original = _file_of(names)
    back = read_model_file(path)
    if original is None:  # a composition imports as one file: its parameters are namespaced
        composed: CellModel = load_model(list(names))
        assert len(back.parameters) == len(composed.parameters)
        return
    assert back.title == original.title
    assert back.description.rstrip() == original.description.rstrip()
    assert back.inputs == original.inputs
    assert back.presets == original.presets
    assert list(back.expressions) == list(original.expressions)
    assert set(back.external) == set(original.external)
    for name, external in original.external.items():
        assert (back.external[name].healthy, back.external[name].unit) == (
            external.healthy,
            external.unit,
        )
    assert list(back.parameters) == list(original.parameters)
    for name, info in original.parameters.items():
        other = back.parameters[name]
        assert (other.value, other.unit, other.source, other.note) == (
            info.value,
            info.unit,
            info.source,
            info.note,
        ), name
        assert other.given == info.given or other.value == info.value, name
    for name, species in original.species.items():
        assert (back.species[name].initial, back.species[name].description) == (
            species.initial,
            species.description,
        )


def test_export_import_export_is_stable(tmp_path: Path) -> None:
    """Importing the export of an imported model gives the same model file text."""
    names = (SHIPPED[0],)
    first = _round_trip(names, tmp_path)
    again = tmp_path / "again"
    again.mkdir()
    source = again / "exported.xml"
    from tissue_sim.sbml import export_sbml

    source.write_text(export_sbml([str(first)]).sbml, encoding="utf-8")
    second = write_model_file(import_sbml(source, name="round_trip"), again / "round_trip.yaml")
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
