"""The remodelling law: collagen index and myofibroblasts → stiffness factor.

Sources: the collagen exponent n = 1.91 (Böhringer et al. 2024, collagen-network storage
modulus ∝ c^1.91, see tissue_sim.remodelling.law); the ratio of fibrotic to healthy
plantar-fascia moduli, 25–30 vs 10–14 MPa (FACTS §2, *Appl Sci* 2021;11:1517).
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.biology import load_model, simulate
from tissue_sim.config import DEFAULT_CELL_MODELS
from tissue_sim.remodelling import MAX_FACTOR, MIN_FACTOR, CollagenPowerLaw


def test_healthy_state_gives_exactly_one() -> None:
    law = CollagenPowerLaw()
    assert law.factor([1.0], [0.05], 1.0, 0.05).tolist() == [1.0]
    assert CollagenPowerLaw(myofibroblast_weight=2.0).factor([1.0], [0.05], 1.0, 0.05)[0] == 1.0


def test_factor_is_the_collagen_power() -> None:
    collagen = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    factor = CollagenPowerLaw(exponent=1.91).factor(collagen, np.full(5, 0.05), 1.0, 0.05)
    np.testing.assert_allclose(factor, collagen**1.91, rtol=1e-14)
    assert np.all(np.diff(factor) > 0)  # more collagen, stiffer


def test_myofibroblast_term_multiplies() -> None:
    law = CollagenPowerLaw(exponent=0.0, myofibroblast_weight=0.5)
    factor = law.factor([1.0, 1.0, 1.0], [0.05, 0.10, 0.0], 1.0, 0.05)
    np.testing.assert_allclose(factor, [1.0, 1.5, 0.5], rtol=1e-14)


def test_bounds_and_bad_parameters() -> None:
    law = CollagenPowerLaw(exponent=2.0)
    factor = law.factor([0.01, 100.0], [0.05, 0.05], 1.0, 0.05)
    assert factor.tolist() == [MIN_FACTOR, MAX_FACTOR]
    with pytest.raises(ValueError, match="exponent"):
        CollagenPowerLaw(exponent=-1.0)
    with pytest.raises(ValueError, match="reference"):
        law.factor([1.0], [0.05], 0.0, 0.05)


def test_the_models_fibrotic_state_stiffens_like_fibrotic_fascia() -> None:
    """FACTS §2: fibrotic (Ledderhose, diabetic) plantar fascia 25–30 MPa vs healthy
    10–14 MPa, a ratio of 25/14 = 1.79 to 30/10 = 3.0. The composed models' untreated
    chronic state settles in the self-sustaining fibrotic state (tgfb1_fibrosis, FACTS
    §10); the law gives it a stiffness within that ratio."""
    model = load_model(list(DEFAULT_CELL_MODELS))
    year = 365 * 86400.0
    untreated = {name: 0.0 for name in model.inputs}  # no session: inputs never on
    result = simulate(
        model, untreated, np.zeros((0, 2)), year, initial_state="chronic_overuse", weights=[1.0]
    )
    state = result.final_state[0]
    collagen = state[model.species_index("collagen")]
    myofibroblast = state[model.species_index("myofibroblast")]
    healthy = model.initial_state("healthy")
    assert 1.3 < collagen < 1.7  # the fibrotic state, not healthy (C = 1)
    factor = CollagenPowerLaw().factor(
        [collagen], [myofibroblast], 1.0, healthy[model.species_index("myofibroblast")]
    )[0]
    assert 25.0 / 14.0 <= factor <= 30.0 / 10.0, factor
