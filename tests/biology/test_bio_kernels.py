"""The compiled (numba) engine: equal to the numpy engine to round-off, code generated only
from our own names and numbers, one kernel per model structure, a checked cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.biology._stimuli import triangle_stimulus
from tissue_sim.biology import _kernels as kernels_module
from tissue_sim.biology import load_model
from tissue_sim.biology._codegen import check_source
from tissue_sim.biology._integrator import ChunkIntegrator
from tissue_sim.biology._kernels import LANES, kernel_source, kernels_for
from tissue_sim.biology._sparse_lu import SparseLU
from tissue_sim.biology.simulate import session_segments, simulate
from tissue_sim.errors import InputError

pytest.importorskip("numba")

HOUR = 3600.0
DAY = 24 * HOUR


def _lu(model) -> SparseLU:
    return SparseLU(
        model.n_species,
        zip(model.system.jacobian_rows.tolist(), model.system.jacobian_cols.tolist(), strict=True),
    )


def _course(model, n_points: int, seed: int):
    rng = np.random.default_rng(seed)
    return triangle_stimulus(
        model, rng.uniform(0.0, 0.15, n_points), rng.uniform(0.0, 0.5, n_points)
    )


def test_compiled_engine_equals_numpy_to_round_off(composed_model) -> None:
    """Same steps, same Newton iterations, same numbers: two days with two sessions of two
    techniques each, over a chunk that is not a whole number of blocks (padding)."""
    n_points = 2 * LANES + 29
    first, second = _course(composed_model, n_points, 1), _course(composed_model, n_points, 2)
    sessions = [
        np.array([[9 * HOUR, 9.25 * HOUR], [DAY + 9 * HOUR, DAY + 9.25 * HOUR]]),
        np.array([[9.25 * HOUR, 9.5 * HOUR], [DAY + 9.25 * HOUR, DAY + 9.5 * HOUR]]),
    ]
    times = np.array([0.0, 9.1 * HOUR, 9.3 * HOUR, 14.2 * HOUR, DAY + 9.4 * HOUR, 2 * DAY])
    results = {
        engine: simulate(
            composed_model,
            [first, second],
            sessions,
            2 * DAY,
            initial_state="chronic_overuse",
            summary_times=times,
            field_times=times,
            rtol=1e-5,
            atol=1e-9,
            engine=engine,
            control=True,
        )
        for engine in ("numpy", "compiled")
    }
    numpy, compiled = results["numpy"], results["compiled"]
    assert compiled.stats.as_dict() == numpy.stats.as_dict()
    scale = np.maximum(np.abs(numpy.fields).max(axis=(0, 1)), 1e-12)
    assert np.max(np.abs(compiled.fields - numpy.fields) / scale) < 1e-12
    assert compiled.control_fields is not None and numpy.control_fields is not None
    assert np.max(np.abs(compiled.control_fields - numpy.control_fields) / scale) < 1e-12
    # the sessions changed the state (the comparison is not of two unchanged copies)
    assert np.max(np.abs(numpy.fields[-1] - numpy.control_fields[-1]) / scale) > 1e-3


def test_auto_engine_and_bad_engine_names(composed_model, monkeypatch) -> None:
    stimulus = _course(composed_model, 3, 0)
    with pytest.raises(InputError, match="engine must be one of"):
        simulate(composed_model, stimulus, [[0.0, HOUR]], 2 * HOUR, engine="fortran")
    monkeypatch.setenv("TISSUE_SIM_BIOLOGY_ENGINE", "gpu")
    with pytest.raises(InputError, match="TISSUE_SIM_BIOLOGY_ENGINE"):
        simulate(composed_model, stimulus, [[0.0, HOUR]], 2 * HOUR)


def test_switch_to_numpy_mid_course_continues_the_same_integration(composed_model) -> None:
    """A near-zero sparse pivot hands the chunk to the numpy engine (which has the dense
    fallback); the hand-over itself must not change the integration."""
    n_points = LANES + 5
    stimulus = _course(composed_model, n_points, 3)
    y0 = np.ascontiguousarray(
        np.tile(composed_model.initial_state("chronic_overuse"), (n_points, 1)).T
    )
    segments = session_segments([[2 * HOUR, 2.5 * HOUR]], DAY)
    lu = _lu(composed_model)
    atol = np.full(composed_model.n_species, 1e-9)

    def integrator(kernels):
        return ChunkIntegrator(
            composed_model.system,
            lu,
            y0,
            segments,
            stimulus,
            rtol=1e-5,
            atol=atol,
            max_step=np.inf,
            kernels=kernels,
        )

    reference = integrator(None)
    switched = integrator(kernels_for(composed_model.system, lu))
    middle = 2.2 * HOUR
    assert np.allclose(switched.advance_to(middle), reference.advance_to(middle), rtol=1e-12)
    switched._switch_to_numpy()
    switched._factor(switched.h)
    assert switched._kernels is None and switched.y.shape == (composed_model.n_species, n_points)
    final = switched.advance_to(DAY)
    expected = reference.advance_to(DAY)
    scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), 1e-12)
    assert np.max(np.abs(final - expected) / scale) < 1e-10


def test_generated_source_holds_no_model_text(tmp_path: Path) -> None:
    """Species, inputs and parameters are named in the model file; none of those names (nor
    the parameter values) reaches the generated code, which is made of our names only."""
    path = tmp_path / "names.yaml"
    path.write_text(
        "name: names\ntitle: t\ndescription: d\ninputs: [effective_strain_peak]\n"
        "species:\n"
        "  system_call: {unit: '1', initial: 0.3, description: a}\n"
        "  open_file: {unit: '1', initial: 0.1, description: b}\n"
        "parameters:\n"
        "  eval_rate: {value: 0.123456789, unit: 1/s, source: 'assumption: test'}\n"
        "  import_level: {value: 0.05, source: 'assumption: test'}\n"
        "rates:\n"
        "  system_call: 'eval_rate * (hill(effective_strain_peak, import_level, 2)"
        " - system_call)'\n"
        "  open_file: 'eval_rate * (max(system_call, 0.2) - open_file) * exp(-open_file)'\n",
        encoding="utf-8",
    )
    model = load_model([str(path)])
    source, _ = kernel_source(model.system, _lu(model))
    for text in ("system_call", "open_file", "eval_rate", "import_level", "effective_strain"):
        assert text not in source
    assert "0.123456789" not in source and "0.05" not in source
    with pytest.raises(ValueError, match="unexpected name"):
        check_source("y0 = __import__(x)")
    with pytest.raises(ValueError, match="strings or comments"):
        check_source("y0 = 'rm -rf'")


def test_parameter_values_share_one_kernel(tgfb1_model) -> None:
    """The constants are data: another value of a rate constant reuses the kernel text."""
    changed = tgfb1_model.with_parameters({"tgfb1_fibrosis.k_myo_apoptosis": "0.2 1/day"})
    first, _ = kernel_source(tgfb1_model.system, _lu(tgfb1_model))
    second, _ = kernel_source(changed.system, _lu(changed))
    assert first == second
    a = kernels_for(tgfb1_model.system, _lu(tgfb1_model))
    b = kernels_for(changed.system, _lu(changed))
    assert a.module is b.module and not np.array_equal(a.rhs_constants, b.rhs_constants)


def test_cached_kernel_file_is_checked_before_import(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TISSUE_SIM_KERNEL_CACHE", str(tmp_path))
    source = "X = 1\n"
    key = hashlib.sha256(source.encode()).hexdigest()
    module = kernels_module._import(source, key)
    assert module.X == 1
    (path,) = tmp_path.glob("tissue_sim_kernels_*.py")
    path.write_text("X = 2\n", encoding="utf-8")  # tampered or stale
    assert kernels_module._import(source, key).X == 1
    assert path.read_text(encoding="utf-8") == source


def test_compiled_summaries_equal_the_numpy_summariser() -> None:
    """Same estimator (inverted weighted CDF) and order of additions: identical percentiles,
    also across output times (the kept permutation), with ties, zero weights and values
    that move too much for the insertion sort; means equal to round-off."""
    from tissue_sim.biology._compiled import CompiledSummarizer
    from tissue_sim.biology._summaries import GroupSummarizer

    rng = np.random.default_rng(4)
    n_atoms, n, n_species = 700, 3000, 5
    atoms = rng.integers(0, n_atoms, n)
    groups = rng.integers(0, 4, n)
    weights = rng.uniform(0.0, 2.0, n) * (rng.random(n) > 0.05)  # some zero weights
    reference = GroupSummarizer(groups, weights, n_species)
    compiled = CompiledSummarizer(atoms, groups, weights, n_species)
    states = rng.normal(size=(n_atoms, n_species))
    states[::7, 2] = 0.25  # ties
    for step in range(6):
        if step == 3:
            states = rng.normal(size=(n_atoms, n_species))  # everything moves
        else:
            states = states + 1e-3 * rng.normal(size=states.shape)  # nearly sorted
        result = compiled.summarize(states.T)  # species-major (S, A)
        expected = reference.summarize(states[atoms])
        assert result is not None
        assert np.array_equal(result[..., 1:], expected[..., 1:])
        assert np.allclose(result[..., 0], expected[..., 0], rtol=1e-13, atol=1e-15)
    states[atoms[5], 1] = np.nan
    assert compiled.summarize(states.T) is None


LINEAR_MODEL = """\
name: linear_signal
title: linear test model
description: a signal that strain raises and that relaxes; its Jacobian is constant
inputs: [effective_strain_peak]
species:
  signal: {unit: "1", initial: 1.0, description: signal}
  follower: {unit: "1", initial: 1.0, description: follows the signal}
parameters:
  k: {half_life: 2 h, source: "assumption: test model"}
  k_f: {half_life: 6 h, source: "assumption: test model"}
  g: {value: 0.5, source: "assumption: test model"}
  K: {value: 0.05, source: "assumption: test model"}
rates:
  signal: "k * (1 + g * hill(effective_strain_peak, K, 2) - signal)"
  follower: "k_f * (signal - follower)"
"""


def test_compiled_engine_runs_a_model_whose_jacobian_reads_no_input(tmp_path: Path) -> None:
    """A linear model: no prepared Jacobian value depends on the points, so the packed
    Jacobian block is empty ``(0, P)``; blocking it must not fail (it did: a reshape of
    size 0, tests/viz/test_viz_own_model.py), and the result equals numpy's."""
    path = tmp_path / "linear_signal.yaml"
    path.write_text(LINEAR_MODEL, encoding="utf-8")
    model = load_model([str(path)])
    n_points = LANES + 7
    strain = np.linspace(0.0, 0.2, n_points)
    stimulus = {name: strain for name in model.inputs}
    sessions = np.array([[HOUR, 2 * HOUR]])
    results = {
        engine: simulate(
            model, stimulus, sessions, DAY, field_times=np.array([2 * HOUR, DAY]), engine=engine
        )
        for engine in ("numpy", "compiled")
    }
    numpy, compiled = results["numpy"], results["compiled"]
    assert np.max(np.abs(compiled.fields - numpy.fields)) < 1e-12
    # the session moved the strained points' signal (2 h half-life, +0.5·hill)
    assert numpy.fields[0, -1, 0] - numpy.fields[0, 0, 0] > 0.05
