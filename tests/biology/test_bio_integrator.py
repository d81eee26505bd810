"""The batched ESDIRK integrator, sparse LU, sessions and summaries of simulate()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import block_diag

from tests.biology._stimuli import triangle_stimulus
from tissue_sim.biology import CellModel, load_model
from tissue_sim.biology._integrator import ESDIRK_A, ESDIRK_B, ESDIRK_B_HAT, ESDIRK_C
from tissue_sim.biology._sparse_lu import SparseLU
from tissue_sim.biology.simulate import session_segments, simulate
from tissue_sim.calibration import Waveform, waveform_features
from tissue_sim.errors import InputError, SolverError

HOUR = 3600.0
DAY = 24 * HOUR


def test_esdirk_tableau_order_conditions_and_l_stability() -> None:
    a, b, b_hat, c = ESDIRK_A, ESDIRK_B, ESDIRK_B_HAT, ESDIRK_C
    assert b.sum() == pytest.approx(1.0, abs=1e-12)
    assert b @ c == pytest.approx(1 / 2, abs=1e-12)
    assert b @ c**2 == pytest.approx(1 / 3, abs=1e-12)
    assert b @ a @ c == pytest.approx(1 / 6, abs=1e-12)
    assert b_hat.sum() == pytest.approx(1.0, abs=1e-12)
    assert b_hat @ c == pytest.approx(1 / 2, abs=1e-12)
    assert b_hat @ c**2 != pytest.approx(1 / 3, abs=1e-6)  # embedded method is order 2
    z = -1e8
    stability = 1 + z * b @ np.linalg.solve(np.eye(4) - z * a, np.ones(4))
    assert abs(stability) < 1e-6  # L-stable: R(z) → 0 as z → −∞


def test_sparse_lu_matches_dense_solves_with_fill_in() -> None:
    rng = np.random.default_rng(7)
    n, n_points = 9, 50
    entries = {(i, j) for i in range(n) for j in range(n) if rng.random() < 0.3}
    lu = SparseLU(n, entries)
    dense = np.zeros((n_points, n, n))
    values = np.zeros((lu.nnz, n_points))
    for position, (i, j) in enumerate(lu.entries):
        if (i, j) in entries or i == j:
            value = rng.normal(size=n_points) + (6.0 if i == j else 0.0)
            values[position] = value
            dense[:, i, j] = value
    inverse_pivots, ok = lu.factor(values)
    assert ok
    rhs = rng.normal(size=(n, n_points))
    solution = lu.solve(values, inverse_pivots, rhs.copy())
    expected = np.linalg.solve(dense, rhs.T[..., None])[..., 0].T
    assert np.allclose(solution, expected, rtol=1e-12, atol=1e-12)


def test_session_segments_cut_the_time_line() -> None:
    segments = session_segments([[10.0, 20.0], [30.0, 40.0]], 50.0)
    assert [(s.start, s.end, s.stimulus_on) for s in segments] == [
        (0.0, 10.0, False),
        (10.0, 20.0, True),
        (20.0, 30.0, False),
        (30.0, 40.0, True),
        (40.0, 50.0, False),
    ]
    with pytest.raises(InputError, match="overlap"):
        session_segments([[10.0, 20.0], [15.0, 40.0]], 50.0)
    with pytest.raises(InputError, match="within"):
        session_segments([[10.0, 60.0]], 50.0)


def test_steps_land_exactly_on_session_starts_and_ends(tmp_path: Path) -> None:
    """da/dt = u integrates to u × (time in sessions) only if no step straddles a jump."""
    path = tmp_path / "counter.yaml"
    path.write_text(
        "name: counter\ntitle: t\ndescription: d\ninputs: [effective_strain_peak]\n"
        "species:\n  a: {unit: '1', initial: 0.0, description: a}\n"
        "rates:\n  a: effective_strain_peak\n",
        encoding="utf-8",
    )
    model = load_model([str(path)])
    sessions = np.array([[1000.0, 1000.0 + np.pi * 100], [5000.0, 5777.7], [9000.0, 9001.0]])
    result = simulate(
        model,
        {"effective_strain_peak": np.array([1.0, 2.0])},
        sessions,
        1e4,
        summary_times=[1e4],
        rtol=1e-3,
        atol=1e-6,
    )
    on_time = float(np.sum(sessions[:, 1] - sessions[:, 0]))
    assert result.final_state[:, 0] == pytest.approx([on_time, 2 * on_time], rel=1e-12)


def _reference(
    model: CellModel,
    stimulus: dict[str, np.ndarray],
    y0: np.ndarray,
    segments: list[tuple[float, float, bool]],
    times: np.ndarray,
) -> np.ndarray:
    """solve_ivp Radau, rtol 1e-10, on the stacked system; states at ``times``, (K, P, S)."""
    n_points, n_species = y0.shape
    result = np.empty((times.size, n_points, n_species))
    state = y0.reshape(-1).copy()
    for start, end, on in segments:
        inputs = {k: (v if on else np.zeros_like(v)) for k, v in stimulus.items()}

        def rhs(_t: float, y: np.ndarray, inputs: dict = inputs) -> np.ndarray:
            return model.rhs(0.0, y.reshape(n_points, n_species), inputs).reshape(-1)

        def jac(_t: float, y: np.ndarray, inputs: dict = inputs) -> np.ndarray:
            return block_diag(*model.jacobian(0.0, y.reshape(n_points, n_species), inputs))

        inside = times[(times > start) & (times <= end)]
        solution = solve_ivp(
            rhs,
            (start, end),
            state,
            method="Radau",
            jac=jac,
            rtol=1e-10,
            atol=1e-14,
            t_eval=np.union1d(inside, [end]),
        )
        assert solution.success
        for index, time in enumerate(solution.t):
            result[times == time] = solution.y[:, index].reshape(n_points, n_species)
        state = solution.y[:, -1]
    result[times == 0.0] = y0
    return result


def test_integrator_matches_scipy_radau_on_a_small_batch(composed_model) -> None:
    """Composed models, 2 days with two 30-min sessions: relative error < 1e-4 everywhere."""
    stimulus = triangle_stimulus(
        composed_model, np.array([0.02, 0.3, 0.11]), np.array([0.01, 0.6, 0.35])
    )
    # the third point is also held above the injury and sustained-stretch levels (a hold
    # that lasts the session): every pathway of the composed model is exercised
    held = waveform_features(Waveform((0.0,), (0.6,), 60.0), 1800.0, composed_model.inputs)
    for name in ("longest_time_above_3pct", "time_above_3pct", "longest_time_above_50pct",
                 "time_above_50pct", "cycle_frequency"):  # fmt: skip
        stimulus[name][2] = held[name]
    sessions = np.array([[9 * HOUR, 9.5 * HOUR], [DAY + 9 * HOUR, DAY + 9.5 * HOUR]])
    t_end = 2 * DAY
    times = np.array([0.0, 9.25 * HOUR, 9.5 * HOUR, 13.37 * HOUR, DAY + 9.1 * HOUR, t_end])
    y0 = composed_model.initial_state("acute_exercise_damage")
    result = simulate(
        composed_model,
        stimulus,
        sessions,
        t_end,
        initial_state=y0,
        summary_times=times,
        field_times=times,
        rtol=1e-6,
        atol=1e-10,
    )
    segments = [(s.start, s.end, s.stimulus_on) for s in session_segments(sessions, t_end)]
    reference = _reference(composed_model, stimulus, np.tile(y0, (3, 1)), segments, times)
    scale = np.abs(reference).max(axis=(0, 1))
    relative = np.abs(result.fields - reference).max(axis=(0, 1)) / scale
    assert np.all(relative < 1e-4), dict(zip(composed_model.species_names, relative, strict=True))
    assert np.array_equal(result.final_state, result.fields[-1])


def test_summaries_are_weighted_means_and_percentiles_per_group(composed_model) -> None:
    rng = np.random.default_rng(11)
    n_points = 40
    stimulus = triangle_stimulus(
        composed_model, rng.uniform(0.0, 0.1, n_points), rng.uniform(0.0, 0.3, n_points)
    )
    groups = rng.integers(0, 3, n_points)
    weights = rng.uniform(0.1, 2.0, n_points)
    times = np.array([0.0, 0.3 * HOUR, 2 * HOUR, 6 * HOUR])
    result = simulate(
        composed_model,
        stimulus,
        [[0.0, HOUR]],
        6 * HOUR,
        summary_times=times,
        field_times=times,
        groups=groups,
        weights=weights,
        initial_state="chronic_overuse",
        chunk_size=16,
    )
    assert result.group_labels.tolist() == [0, 1, 2]
    for name in ("fak", "tgfb1_latent", "m1"):
        column = composed_model.species_index(name)
        summary = result.summaries[name]
        assert summary.shape == (4, 3, 3)
        for g in range(3):
            members = groups == g
            values = result.fields[:, members, column]
            w = weights[members]
            assert summary[:, g, 0] == pytest.approx(values @ w / w.sum(), rel=1e-12)
            for k in range(times.size):
                # the package's one estimator (geometry/layer_statistics.py): the inverted
                # weighted CDF, always one of the values
                expected = np.percentile(values[k], [10, 90], weights=w, method="inverted_cdf")
                assert summary[k, g, 1:] == pytest.approx(expected, rel=1e-12)
    uniform = simulate(
        composed_model, stimulus, [[0.0, HOUR]], 6 * HOUR, summary_times=times, field_times=times
    )
    inverted = np.percentile(
        uniform.fields,
        [10, 90],
        axis=1,
        weights=np.ones_like(uniform.fields),
        method="inverted_cdf",
    )
    assert np.allclose(
        np.moveaxis(
            np.stack([uniform.summaries[n][:, 0, 1:] for n in composed_model.species_names]), 0, 1
        ),
        np.moveaxis(inverted, 0, -1),
    )


def test_chunking_does_not_change_results(composed_model) -> None:
    rng = np.random.default_rng(5)
    n_points = 30
    stimulus = triangle_stimulus(
        composed_model, rng.uniform(0.0, 0.1, n_points), rng.uniform(0.0, 0.3, n_points)
    )
    kwargs = {
        "summary_times": [0.0, 6 * HOUR],
        "rtol": 1e-6,
        "atol": 1e-10,
        "initial_state": "acute_exercise_damage",
    }
    whole = simulate(
        composed_model, stimulus, [[HOUR, 2 * HOUR]], 6 * HOUR, chunk_size=1000, **kwargs
    )
    pieces = simulate(
        composed_model, stimulus, [[HOUR, 2 * HOUR]], 6 * HOUR, chunk_size=7, **kwargs
    )
    assert pieces.stats.n_chunks == 5 and whole.stats.n_chunks == 1
    assert np.allclose(pieces.final_state, whole.final_state, rtol=1e-5, atol=1e-9)


def test_simulate_rejects_bad_input(composed_model) -> None:
    stimulus: dict[str, object] = {name: 0.0 for name in composed_model.inputs}
    stimulus["effective_strain_peak"] = [0.1, 0.2]
    with pytest.raises(InputError, match="needed by the cell model"):
        simulate(composed_model, {"effective_strain_peak": [0.1]}, [], DAY)
    with pytest.raises(InputError, match="point count"):
        simulate(composed_model, stimulus, [], DAY, groups=np.zeros(3, dtype=int))
    with pytest.raises(InputError, match="strictly increasing"):
        simulate(composed_model, stimulus, [], DAY, summary_times=[5.0, 1.0])
    with pytest.raises(InputError, match="initial state must have shape"):
        simulate(composed_model, stimulus, [], DAY, initial_state=np.ones(4))


NON_FINITE_MODEL = """\
name: {name}
title: ill-posed test model
description: a rate that is not finite somewhere the course goes
inputs: [effective_strain_peak]
species:
  signal: {{unit: "1", initial: 1.0, description: signal}}
  follower: {{unit: "1", initial: 1.0, description: follows the signal}}
parameters:
  k: {{half_life: 2 h, source: "assumption: test model"}}
rates:
  follower: "k * (signal - follower)"
  signal: "{rate}"
"""


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize(
    ("rate", "value"),
    [
        # inf outside the sessions (the strain is zero there): at the first evaluation
        ("k * (1 - signal) + k * 0.01 / effective_strain_peak", "inf"),
        # finite at the start; NaN once the decaying signal passes 0.5 (a trial state)
        ("-k * signal + k * 1e-3 * sqrt(signal - 0.5)", "nan"),
    ],
)
def test_a_non_finite_rate_names_the_species_and_the_model(
    tmp_path: Path, engine: str, rate: str, value: str
) -> None:
    """A NaN or infinite rate ends the run with a SolverError (CLI exit 1 with the message)
    naming the species, its model file and the line of its rate, not a ZeroDivisionError
    or a collapsing step size (found by the bad-input corpus, docs/reliability.md)."""
    if engine == "compiled":
        pytest.importorskip("numba")
    name = "ill_posed"
    path = tmp_path / f"{name}.yaml"
    path.write_text(NON_FINITE_MODEL.format(name=name, rate=rate), encoding="utf-8")
    model = load_model([str(path)])
    strain = np.linspace(0.0, 0.2, 40)
    with pytest.raises(SolverError) as raised:
        simulate(
            model,
            {n: strain for n in model.inputs},
            np.array([[HOUR, 2 * HOUR]]),
            3 * DAY,
            engine=engine,
        )
    message = str(raised.value)
    assert "species 'signal'" in message
    assert f"cell model '{name}' ({path}:12, rates.signal)" in message
    assert f"is {value}" in message
