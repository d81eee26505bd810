"""The explorer's live biology: dose classes, and their effect against every cell's.

The layer summaries of the explorer come from representative cells of dose classes
(``tissue_sim/explore/course.py``); here they are compared with the integration of every
cell of the same mesh and doses — the treatment effect per layer (treated ÷ untreated
layer mean) must agree to a few per cent of its size — and the classes must partition
every layer's volume.
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.explore import Controls, ExploreModel, ExploreSettings
from tissue_sim.explore.controls import treatment_days
from tissue_sim.explore.course import DoseClasses, dose_classes, integrate_course


def test_dose_classes_partition_every_layer() -> None:
    generator = np.random.default_rng(4)
    cells = 600
    layer = generator.integers(0, 3, cells).astype(np.int32)
    dose = generator.gamma(0.5, 0.02, cells)
    dose[:5] = 0.3  # a hot spot of five cells
    layer[:5] = 1
    volume = generator.uniform(0.5, 2.0, cells)
    classes = dose_classes(dose, layer, volume, classes=8)
    for label in range(3):
        members = classes.layer == label
        assert classes.weight[members].sum() == pytest.approx(volume[layer == label].sum())
        assert np.all(layer[classes.cells[members]] == label)
        represented = dose[classes.cells[members]]
        assert np.all(np.diff(represented) >= 0.0)  # classes in dose order
        assert 8 <= members.sum() <= 15
    # the hot spot is a class of its own, not averaged into the top volume class
    assert np.isclose(dose[classes.cells].max(), 0.3)


def test_treatment_days_spread_over_the_week() -> None:
    assert treatment_days(14, 3) == [0, 2, 4, 7, 9, 11]
    assert treatment_days(3, 7) == [0, 1, 2]
    assert treatment_days(10, 1) == [0, 7]


@pytest.fixture(scope="module")
def answer_and_model():
    model = ExploreModel(ExploreSettings(mechanics_model="linear"))
    controls = Controls(pressure=10e3, shear_ratio=0.2, days=7, sessions_per_week=3)
    return model.answer(controls), model


def test_dose_class_effect_matches_every_cell(answer_and_model) -> None:
    answer, model = answer_and_model
    mesh = answer.entry.mesh
    every_cell = DoseClasses(
        np.arange(mesh.num_cells), mesh.cell_layer.astype(np.int32), answer.entry.cell_volume
    )
    full = integrate_course(
        answer.scenario,
        model.cell_model(answer.scenario),
        answer.features,
        every_cell,
        mesh.layer_names,
    )
    sampled, reference = answer.biology.effect_ratio, full.effect_ratio
    strongest = 0.0
    for layer in reference:
        for name in answer.biology.shown_species():
            effect = reference[layer][name][:, 0] - 1.0
            error = sampled[layer][name][:, 0] - 1.0 - effect
            size = float(np.abs(effect).max())
            strongest = max(strongest, size)
            assert np.abs(error).max() <= 0.05 * size + 1e-3, (layer, name, size)
    assert strongest > 0.1  # the course has a real effect to compare


def test_control_is_the_same_course_without_sessions(answer_and_model) -> None:
    answer, _ = answer_and_model
    bio = answer.biology
    assert bio.control is not None
    assert len(bio.session_intervals) == 3  # Mon, Wed, Fri of one week
    # the control starts from the same state as the treated course ...
    for layer in bio.layers:
        for name in bio.species:
            np.testing.assert_allclose(bio.layers[layer][name][0], bio.control[layer][name][0])
    # ... and, with one initial state everywhere, is the same in every layer
    layers = list(bio.control)
    for name in bio.species:
        for layer in layers[1:]:
            np.testing.assert_allclose(bio.control[layer][name], bio.control[layers[0]][name])
