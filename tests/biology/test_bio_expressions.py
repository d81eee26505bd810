"""The safe expression parser and the compiled numpy evaluators."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from tests.biology._stimuli import triangle_stimulus
from tissue_sim.biology._expressions import parse_expression
from tissue_sim.biology._program import Program
from tissue_sim.biology._system import CompiledSystem
from tissue_sim.errors import ModelFileError

MALICIOUS = [
    ("__import__('os')", "'__import__' is not allowed"),
    ("__import__('os').system('echo hacked')", "only plain function names"),
    ("x.__class__", "attribute access"),
    ("(lambda: 1)()", "only plain function names"),
    ("lambda x: x", "lambda"),
    ("[i for i in range(3)]", "comprehensions"),
    ("sum(i for i in x)", "not allowed"),
    ("x[0]", "subscripts"),
    ("hill(x, K=1, n=2)", "keyword arguments"),
    ("exp(*x)", "starred"),
    ("'text'", "not a number"),
    ("open('/etc/passwd')", "'open' is not allowed"),
    ("eval('1')", "'eval' is not allowed"),
    ("x if y else z", "conditional"),
    ("x < y", "comparisons"),
    ("x and y", "boolean"),
    ("(x := 3)", "assignment"),
    ("_secret + 1", "underscore"),
    ("x +", "invalid expression"),
    ("True", "not a number"),
    ("exp(x, y)", "takes 1 arguments"),
    ("hill", "used without a call"),
    ("x / 0", "division by the constant zero"),
    ("(" * 3000 + "x" + ")" * 3000, "longer than"),
]


@pytest.mark.parametrize(("text", "message"), MALICIOUS)
def test_malicious_or_invalid_expressions_raise_model_file_error(text: str, message: str) -> None:
    with pytest.raises(ModelFileError) as info:
        parse_expression(text, file="models/cells/bad.yaml", line=12)
    assert message in str(info.value)
    assert "models/cells/bad.yaml:12" in str(info.value)


def test_user_names_become_plain_symbols() -> None:
    expression = parse_expression("E + I + pi + S", file="f", line=1)
    assert {str(s) for s in expression.free_symbols} == {"E", "I", "pi", "S"}


def _evaluate(text: str, **values: np.ndarray) -> np.ndarray:
    expression = parse_expression(text, file="f", line=1)
    program = Program([expression], list(values), [])
    (result,) = program.evaluate(program.prepare({}), values)
    return np.broadcast_to(result, next(iter(values.values())).shape)


def test_functions_match_their_definitions() -> None:
    x = np.array([-0.5, 0.0, 0.3, 1.0, 4.0])
    y = np.array([1.0, 2.0, 0.5, 3.0, 0.25])
    assert np.allclose(
        _evaluate("hill(x, 0.5, 2)", x=x), np.maximum(x, 0) ** 2 / (0.25 + np.maximum(x, 0) ** 2)
    )
    assert np.allclose(
        _evaluate("hill_rep(x, 0.5, 3)", x=x), 0.125 / (0.125 + np.maximum(x, 0) ** 3)
    )
    assert np.allclose(
        _evaluate("exp(y) - log(y) + sqrt(y) + abs(x)", x=x, y=y),
        np.exp(y) - np.log(y) + np.sqrt(y) + np.abs(x),
    )
    assert np.allclose(
        _evaluate("min(x, y, 0.4) + max(x, y)", x=x, y=y),
        np.minimum(np.minimum(x, y), 0.4) + np.maximum(x, y),
    )
    assert np.allclose(
        _evaluate("-x ** 2 / (1 + y) ** -1.5 + 2 ** y", x=x, y=y), -(x**2) / (1 + y) ** -1.5 + 2**y
    )


def test_input_only_terms_are_prepared_once() -> None:
    expression = parse_expression("hill(u, 0.1, 4) * hill(v, 0.2, 2) * y - 3 * y", file="f", line=1)
    program = Program([expression], ["y"], ["u", "v"])
    u = np.array([0.05, 0.2])
    v = np.array([0.1, 0.4])
    prepared = program.prepare({"u": u, "v": v})
    y = np.array([2.0, 5.0])
    (result,) = program.evaluate(prepared, {"y": y})
    expected = u**4 / (1e-4 + u**4) * v**2 / (0.04 + v**2) * y - 3 * y
    assert np.allclose(result, expected)
    assert any(name.startswith("_pre") for name in prepared)


def test_analytic_jacobian_matches_finite_differences(composed_model) -> None:
    rng = np.random.default_rng(3)
    n_points = 6
    n_species = composed_model.n_species
    y = composed_model.initial_state("chronic_overuse") * (0.5 + rng.random((n_points, n_species)))
    y[:, composed_model.species_index("hold_exposure")] = rng.uniform(0.0, 3600.0, n_points)
    y[:, composed_model.species_index("repetitive_load")] = rng.uniform(0.0, 8000.0, n_points)
    y[:, composed_model.species_index("damage")] = rng.uniform(0.0, 0.3, n_points)
    inputs = triangle_stimulus(
        composed_model, rng.uniform(0.0, 0.8, n_points), rng.uniform(0.0, 0.6, n_points)
    )
    inputs["longest_time_above_50pct"] = rng.uniform(0.0, 600.0, n_points)
    inputs["time_above_50pct"] = rng.uniform(0.0, 1.0, n_points) / inputs["cycle_frequency"]
    jacobian = composed_model.jacobian(0.0, y, inputs)
    numeric = np.empty_like(jacobian)
    for j in range(y.shape[1]):
        step = 1e-6 * np.maximum(np.abs(y[:, j]), 1e-3)
        plus = y.copy()
        minus = y.copy()
        plus[:, j] += step
        minus[:, j] -= step
        numeric[:, :, j] = (
            composed_model.rhs(0.0, plus, inputs) - composed_model.rhs(0.0, minus, inputs)
        ) / (2 * step[:, None])
    scale = np.abs(jacobian).max(axis=(1, 2), keepdims=True)
    assert np.allclose(jacobian, numeric, rtol=1e-5, atol=1e-6 * scale.max())


def test_compiled_system_keeps_only_structural_nonzeros() -> None:
    x, y = sympy.symbols("x y", real=True)
    system = CompiledSystem([-2 * x + y, -y], ["x", "y"], [])
    entries = set(zip(system.jacobian_rows.tolist(), system.jacobian_cols.tolist(), strict=True))
    assert entries == {(0, 0), (0, 1), (1, 1)}
