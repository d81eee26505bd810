"""simulate(): identical points integrate once, and the untreated control beside the course.

* Deduplicated results equal the integration of every point to round-off (all points in
  one chunk, so both take the same steps): fields, final state, weighted means and the
  interpolated percentiles, including runs of tied values that straddle a percentile.
* The control is the same course without sessions (every input zero), one atom per
  distinct initial state, and equals an explicit zero-stimulus run of every point.
* Zero load: the treated course *is* the control (no treatment effect, exactly).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.biology._stimuli import triangle_stimulus
from tissue_sim.biology import CellModel
from tissue_sim.biology._distinct import distinct_rows, stand_ins
from tissue_sim.biology.simulate import simulate

HOUR = 3600.0
DAY = 24 * HOUR
SESSIONS = np.array([[2 * HOUR, 2.5 * HOUR], [DAY + 2 * HOUR, DAY + 2.5 * HOUR]])
TIMES = np.array([0.0, 2.2 * HOUR, 2.5 * HOUR, 7 * HOUR, DAY + 2.4 * HOUR, 2 * DAY])


def _duplicated_stimulus(model: CellModel, n_points: int, seed: int = 3):
    """Six distinct stimuli; most points carry the weakest one (as far from a hand)."""
    rng = np.random.default_rng(seed)
    distinct = triangle_stimulus(
        model,
        np.array([0.001, 0.02, 0.05, 0.08, 0.11, 0.14]),
        np.array([0.001, 0.02, 0.08, 0.2, 0.3, 0.45]),
    )
    which = np.where(rng.random(n_points) < 0.6, 0, rng.integers(1, 6, n_points))
    stimulus = {name: values[which] for name, values in distinct.items()}
    groups = rng.integers(0, 3, n_points)
    weights = rng.uniform(0.2, 3.0, n_points)
    weights[rng.random(n_points) < 0.05] = 0.0  # some points carry no volume
    return stimulus, groups, weights


def _run(model: CellModel, stimulus, groups, weights, **kwargs):
    return simulate(
        model,
        stimulus,
        SESSIONS,
        2 * DAY,
        initial_state="chronic_overuse",
        summary_times=TIMES,
        field_times=TIMES,
        groups=groups,
        weights=weights,
        rtol=1e-6,
        atol=1e-10,
        chunk_size=10_000,
        **kwargs,
    )


@pytest.fixture(scope="module")
def runs(composed_model: CellModel):
    stimulus, groups, weights = _duplicated_stimulus(composed_model, 240)
    return {
        "inputs": (stimulus, groups, weights),
        "distinct": _run(composed_model, stimulus, groups, weights, control=True),
        "every": _run(composed_model, stimulus, groups, weights, control=True, deduplicate=False),
        "no_control": _run(composed_model, stimulus, groups, weights),
    }


def test_identical_points_integrate_once(runs) -> None:
    distinct, every = runs["distinct"], runs["every"]
    assert distinct.n_points == every.n_points == 240
    assert distinct.n_distinct == 6 and every.n_distinct == 240
    # the control of the uniform initial state is one more atom
    assert distinct.n_integrated == 7 and every.n_integrated == 480


def test_deduplicated_results_equal_every_point_to_round_off(runs) -> None:
    distinct, every = runs["distinct"], runs["every"]
    assert np.allclose(distinct.fields, every.fields, rtol=1e-12, atol=1e-15)
    assert np.allclose(distinct.final_state, every.final_state, rtol=1e-12, atol=1e-15)
    assert distinct.group_labels.tolist() == every.group_labels.tolist() == [0, 1, 2]
    for name in distinct.species:
        assert np.allclose(
            distinct.summaries[name], every.summaries[name], rtol=1e-12, atol=1e-15
        ), name
        assert distinct.control_summaries is not None and every.control_summaries is not None
        assert np.allclose(
            distinct.control_summaries[name],
            every.control_summaries[name],
            rtol=1e-12,
            atol=1e-15,
        ), name


def _hazen(values: np.ndarray, weights: np.ndarray, quantile: float) -> float:
    """Interpolated weighted percentile (Hazen positions), ties kept in the given order: an
    estimator that, unlike the inverted CDF, sees how a run of tied values is cut up."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    return float(np.interp(quantile * weights.sum(), cumulative, values[order]))


def test_stand_ins_keep_even_a_tie_sensitive_percentile(runs) -> None:
    """Stand-ins (first, rest, last per atom and layer) give every point's percentile; one
    summed-weight point per atom and layer does not — so the stand-ins matter for any
    estimator, not only for the project's tie-invariant one (inverted CDF)."""
    stimulus, groups, weights = runs["inputs"]
    state = runs["every"].fields[-1]
    atom = distinct_rows(np.column_stack(list(stimulus.values()))).inverse
    first_point = np.array([np.flatnonzero(atom == a)[0] for a in range(atom.max() + 1)])
    exact = stand_ins(atom, groups, weights)
    naive_pairs, index = np.unique(atom * 3 + groups, return_inverse=True)
    naive_weight = np.bincount(index, weights=weights)
    naive_point = np.array([np.flatnonzero(index == k)[0] for k in range(naive_pairs.size)])
    differs = 0
    for group in range(3):
        members = (groups == group) & (weights > 0)
        stood = exact.group == group
        lumped = groups[naive_point] == group
        for species in range(state.shape[1]):
            for quantile in (0.1, 0.5, 0.9):
                reference = _hazen(state[members, species], weights[members], quantile)
                ours = _hazen(
                    state[first_point[exact.atom[stood]], species], exact.weight[stood], quantile
                )
                assert ours == pytest.approx(reference, rel=1e-12, abs=1e-15)
                naive = _hazen(state[naive_point[lumped], species], naive_weight[lumped], quantile)
                differs += naive != pytest.approx(reference, rel=1e-6)
    assert differs > 10


def test_treated_course_does_not_depend_on_the_control_flag(runs) -> None:
    with_control, without = runs["distinct"], runs["no_control"]
    assert without.control_summaries is None and without.control_fields is None
    assert np.array_equal(with_control.fields, without.fields)
    for name in with_control.species:
        assert np.array_equal(with_control.summaries[name], without.summaries[name])


def test_control_is_the_course_without_load(runs, composed_model) -> None:
    stimulus, groups, weights = runs["inputs"]
    zero = {name: np.zeros_like(values) for name, values in stimulus.items()}
    explicit = _run(composed_model, zero, groups, weights, deduplicate=False)
    distinct = runs["distinct"]
    assert distinct.control_fields is not None
    assert np.allclose(distinct.control_fields, explicit.fields, rtol=1e-12, atol=1e-15)
    for name in distinct.species:
        control = distinct.control_summaries[name]
        assert np.allclose(control, explicit.summaries[name], rtol=1e-12, atol=1e-15), name
        # a uniform initial state: the untreated layer is uniform (p10 = mean = p90)
        assert np.allclose(control[..., 1], control[..., 0], rtol=1e-12, atol=1e-15)
        assert np.allclose(control[..., 2], control[..., 0], rtol=1e-12, atol=1e-15)
    # the treatment moved the treated course away from it
    tgfb1 = distinct.summaries["tgfb1_latent"][-1, :, 0]
    assert not np.allclose(tgfb1, distinct.control_summaries["tgfb1_latent"][-1, :, 0], rtol=1e-4)


def test_zero_load_is_exactly_the_control(composed_model) -> None:
    stimulus, groups, weights = _duplicated_stimulus(composed_model, 60, seed=8)
    zero = {name: np.zeros_like(values) for name, values in stimulus.items()}
    result = _run(composed_model, zero, groups, weights, control=True)
    assert result.n_distinct == 1 and result.n_integrated == 1
    assert result.control_fields is not None
    assert np.array_equal(result.fields, result.control_fields)
    for name in result.species:
        assert np.array_equal(result.summaries[name], result.control_summaries[name])


def test_every_distinct_initial_state_gets_its_own_control(composed_model) -> None:
    stimulus, groups, weights = _duplicated_stimulus(composed_model, 50, seed=4)
    states = np.stack(
        [composed_model.initial_state(name) for name in ("healthy", "chronic_overuse")]
    )
    initial = states[np.arange(50) % 2]
    result = simulate(
        composed_model,
        stimulus,
        SESSIONS,
        2 * DAY,
        initial_state=initial,
        summary_times=TIMES,
        field_times=TIMES,
        groups=groups,
        weights=weights,
        control=True,
    )
    assert result.control_final_state is not None
    control = result.control_final_state
    for parity in (0, 1):
        rows = control[np.arange(50) % 2 == parity]
        assert np.all(rows == rows[0])
    assert not np.allclose(control[0], control[1])
    assert result.n_integrated == result.n_distinct + 2


def _far_field_stimulus(model: CellModel, n_points: int, loaded: int):
    """The stimulus stage's features of a block where only the first ``loaded`` points
    are strained (1-s triangle cycles); the rest has exactly zero strain, where the stage
    still reports a cycle frequency of 1 Hz and 900 cycles per session."""
    from tissue_sim.stimulus import compute_features

    times = np.linspace(0.0, 1.0, 9)
    peak = np.zeros(n_points)
    peak[:loaded] = np.linspace(0.01, 0.12, loaded)
    tensors = np.zeros((times.size, n_points, 3, 3))
    tensors[:, :, 0, 0] = (1.0 - np.abs(2.0 * times - 1.0))[:, None] * peak[None, :]
    features = compute_features(
        tensors,
        times,
        cycle_period=1.0,
        threshold=0.01,
        session_duration=900.0,
        level_features=list(model.inputs),
    )
    return {name: np.asarray(features.get(name, np.zeros(n_points))) for name in model.inputs}


def test_features_without_effect_at_zero_strain_are_canonical(composed_model) -> None:
    """Far from the hand the strain is 0 but the cycle frequency is not (issue 10 item 7:
    deduplication saved 0 % on real meshes): the rates no longer read it once the strain
    features are 0 (symbolic substitution), so those points share one integration with
    the untreated control, and the results equal integrating every point as given."""
    stimulus = _far_field_stimulus(composed_model, 60, 6)
    assert np.all(stimulus["cycle_frequency"] == 1.0)  # the cause: not 0 at zero strain
    zero = frozenset(n for n in composed_model.inputs if np.all(stimulus[n][6:] == 0.0))
    assert "cycle_frequency" not in zero
    assert "cycle_frequency" not in composed_model.system.inputs_read_when_zero(zero)
    assert "cycle_frequency" in composed_model.system.inputs_read_when_zero(frozenset())
    runs = {
        flag: _run(
            composed_model, stimulus, np.zeros(60, int), np.ones(60), deduplicate=flag, control=True
        )
        for flag in (True, False)
    }
    shared, apart = runs[True], runs[False]
    # six loaded points; the 54 unstrained ones are one atom, shared with the control
    assert shared.n_distinct == 7 and shared.n_integrated == 7
    assert apart.n_integrated == 120
    scale = np.maximum(np.abs(apart.fields).max(axis=(0, 1)), 1e-12)
    assert np.max(np.abs(shared.fields - apart.fields) / scale) < 1e-12
    assert shared.control_fields is not None and apart.control_fields is not None
    # without deduplication the control is a chunk of its own (its own steps): equal to
    # the integrator's tolerance (rtol 1e-6), not to round-off
    assert np.max(np.abs(shared.control_fields - apart.control_fields) / scale) < 1e-5
    # the unstrained points follow the control; the strained ones do not
    assert np.max(np.abs(shared.fields[-1, 6:] - shared.control_fields[-1, 6:])) == 0.0
    assert np.max(np.abs(shared.fields[-1, :6] - shared.control_fields[-1, :6]) / scale) > 1e-4


def test_canonical_features_keep_every_value_that_is_read() -> None:
    """Only values the rates do not read (given the point's zeros) become 0; a value that
    is small but not 0 is never touched, and neither is one the rates still read."""
    from tissue_sim.biology._distinct import canonical_features

    def read_when_zero(zero: frozenset[str]) -> frozenset[str]:
        # as rates a·b + c: with a or b at 0, the other is not read; c always is
        if "a" in zero or "b" in zero:
            return frozenset({"c"})
        return frozenset({"a", "b", "c"})

    features = {
        "a": np.array([0.0, 1e-300, 2.0, 0.0]),
        "b": np.array([5.0, 5.0, 0.0, 0.0]),
        "c": np.array([7.0, 7.0, 7.0, 0.0]),
    }
    result = canonical_features(read_when_zero, features)
    assert result["a"].tolist() == [0.0, 1e-300, 0.0, 0.0]
    assert result["b"].tolist() == [0.0, 5.0, 0.0, 0.0]
    assert result["c"].tolist() == [7.0, 7.0, 7.0, 0.0]
