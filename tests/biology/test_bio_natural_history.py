"""Natural history over 28 days without treatment (issue 10 item 4; FACTS §6, §10).

* ``healthy`` stays healthy (a steady state, and a stable one).
* ``acute_exercise_damage`` resolves over days: damage is cleared, M1 peaks within a day or
  two and gives way to M2 within 2–4 days (Blomgran et al. 2016: M1 → M2 within days).
* ``chronic_overuse`` resolves slowly and only partly: the inflammation (TNF-α, IL-6, M1)
  settles within a week or two and collagen falls over weeks, while the fibrosis (raised
  myofibroblasts and TGF-β1) persists (Barbe et al. 2021, Front Physiol: rest lowered
  muscle TNF-α and collagen I, nerve fibrosis persisted; a self-sustaining fibrotic state,
  Adler et al. 2020, FACTS §10).
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.biology import BiologyResult, CellModel, simulate

DAY = 86400.0
TIMES = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 7.0, 14.0, 21.0, 28.0]) * DAY


@pytest.fixture(scope="module")
def courses(composed_model: CellModel) -> dict[str, BiologyResult]:
    model = composed_model
    quiet = {name: 0.0 for name in model.inputs}
    return {
        preset: simulate(
            model,
            quiet,
            [],
            28 * DAY,
            initial_state=preset,
            summary_times=TIMES,
            rtol=1e-7,
            atol=1e-11,
        )
        for preset in ("healthy", "acute_exercise_damage", "chronic_overuse")
    }


def _course(result: BiologyResult, name: str) -> np.ndarray:
    return result.summaries[name][:, 0, 0]


def _at(day: float) -> int:
    return int(np.flatnonzero(np.isclose(TIMES, day * DAY))[0])


def test_healthy_stays_healthy_for_28_days(courses, composed_model: CellModel) -> None:
    healthy = composed_model.initial_state()
    for index, name in enumerate(composed_model.species_names):
        assert np.allclose(_course(courses["healthy"], name), healthy[index], rtol=1e-9,
                           atol=1e-12), name  # fmt: skip


def test_acute_exercise_damage_resolves_over_days(courses, composed_model: CellModel) -> None:
    """Damage cleared, M1 → M2 within 2–4 days (FACTS §6), cytokines back within a week."""
    acute = courses["acute_exercise_damage"]
    healthy = dict(zip(composed_model.species_names, composed_model.initial_state(), strict=True))
    damage = _course(acute, "damage")
    assert damage[_at(4)] < 0.1 * damage[0]
    m1, m2 = _course(acute, "m1"), _course(acute, "m2")
    assert int(np.argmax(m1)) in (_at(0.5), _at(1.0), _at(1.5))  # M1 peaks within 2 days
    assert m1[_at(4)] < 1.5 * healthy["m1"]  # ... and has given way by day 4
    assert m2[_at(2)] > m2[0] and m2[_at(3)] > 1.3 * healthy["m2"]  # M2 takes over
    for name in ("il6", "il1b", "tnfa"):
        assert abs(_course(acute, name)[_at(7)] - healthy[name]) < 0.1 * healthy[name], name
    # no tipping into fibrosis: myofibroblasts stay well below the fibrotic threshold (2.9x)
    myo = _course(acute, "myofibroblast") / healthy["myofibroblast"]
    assert myo.max() < 1.6 and myo[-1] < myo[_at(7)]


def test_chronic_overuse_resolves_slowly_and_only_partly(
    courses, composed_model: CellModel
) -> None:
    """Barbe et al. 2021 (FACTS §10): rest lowers TNF-α and collagen, fibrosis persists."""
    chronic = courses["chronic_overuse"]
    healthy = dict(zip(composed_model.species_names, composed_model.initial_state(), strict=True))
    tnfa = _course(chronic, "tnfa")
    assert tnfa[_at(14)] < tnfa[0] and abs(tnfa[_at(14)] - 1.0) < 0.05
    assert _course(chronic, "il6")[_at(14)] < 1.05 and _course(chronic, "m1")[_at(14)] < 0.11
    collagen = _course(chronic, "collagen")
    assert np.all(np.diff(collagen) < 0)  # falls over weeks ...
    assert collagen[_at(7)] > 1.7 and 1.3 < collagen[-1] < collagen[0] - 0.1  # ... partly
    myo = _course(chronic, "myofibroblast") / healthy["myofibroblast"]
    assert myo[-1] > 5.0  # the fibrotic state persists
    latent = _course(chronic, "tgfb1_latent")
    assert latent[-1] > 1.8 * healthy["tgfb1_latent"]
