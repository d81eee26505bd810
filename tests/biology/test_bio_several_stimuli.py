"""Several techniques in one session: each technique's stimulus is on during its own part."""

from __future__ import annotations

import numpy as np
import pytest

from tests.biology._stimuli import triangle_stimulus
from tissue_sim.biology import load_model, simulate
from tissue_sim.calibration import Waveform, waveform_features

MODEL = load_model(["fibroblast_mechanotransduction", "tgfb1_fibrosis"])


@pytest.fixture(scope="module")
def model():
    return MODEL


def _stimulus(strain: float, rate: float, points: int = 3) -> dict[str, np.ndarray]:
    return triangle_stimulus(MODEL, np.full(points, strain), np.full(points, rate))


def _hold(strain: float, points: int = 3) -> dict[str, np.ndarray]:
    """A static hold at ``strain`` for the whole session (it releases the mechanosensor)."""
    features = waveform_features(Waveform((0.0,), (strain,), 60.0), 900.0, MODEL.inputs)
    return {name: np.full(points, value) for name, value in features.items()}


def test_two_equal_halves_equal_one_session(model) -> None:
    day = 86400.0
    session = np.array([[9 * 3600.0, 9 * 3600.0 + 1800.0]])
    halves = [session - np.array([[0.0, 900.0]]), session + np.array([[900.0, 0.0]])]
    one = simulate(model, _stimulus(0.1, 0.3), session, day, summary_times=[day], rtol=1e-9)
    two = simulate(
        model,
        [_stimulus(0.1, 0.3), _stimulus(0.1, 0.3)],
        halves,
        day,
        summary_times=[day],
        rtol=1e-9,
    )
    assert np.allclose(one.final_state, two.final_state, rtol=1e-6, atol=1e-10)


def test_a_zero_second_technique_is_the_first_alone(model) -> None:
    day = 86400.0
    first = np.array([[9 * 3600.0, 9 * 3600.0 + 900.0]])
    second = np.array([[9 * 3600.0 + 900.0, 9 * 3600.0 + 1800.0]])
    alone = simulate(model, _hold(0.06), first, day, summary_times=[day], rtol=1e-9)
    paired = simulate(
        model,
        [_hold(0.06), _stimulus(0.0, 0.0)],
        [first, second],
        day,
        summary_times=[day],
        rtol=1e-9,
    )
    swapped = simulate(
        model,
        [_stimulus(0.0, 0.0), _hold(0.06)],
        [first, second],
        day,
        summary_times=[day],
        rtol=1e-9,
    )
    assert np.allclose(alone.final_state, paired.final_state, rtol=1e-6, atol=1e-10)
    fak = model.species_index("fak")
    assert not np.allclose(paired.final_state[:, fak], swapped.final_state[:, fak], rtol=1e-6)
