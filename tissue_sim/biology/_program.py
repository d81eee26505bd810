"""Evaluate sympy expressions on numpy arrays without ``eval`` (a closure per node).

:class:`Program` takes sympy expressions that *we* built (from whitelisted syntax trees,
then differentiated by sympy), eliminates common subexpressions with :func:`sympy.cse`,
and turns every node into a small numpy closure. Nothing is passed to ``eval``, ``exec``
or :func:`sympy.lambdify`; an unknown node type is a hard error.

Subexpressions that depend only on the stimulus inputs (not on the state) are split off
into a *prepared* part, evaluated once per input change (once per session segment) by
:meth:`Program.prepare`.

The program keeps its expressions (:attr:`Program.state_assignments`,
:attr:`Program.output_expressions`) so that :mod:`._codegen` can turn the same validated
trees, in the same evaluation order, into straight-line compiled code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sympy

__all__ = ["Program"]

FloatArray = npt.NDArray[np.float64]
Value = FloatArray | float
Env = dict[str, Value]
Evaluator = Callable[[Env], Value]


@dataclass(frozen=True)
class _Assignment:
    name: str
    evaluate: Evaluator
    expression: sympy.Expr


class Program:
    """A list of expressions compiled into vectorised numpy evaluators.

    Parameters
    ----------
    expressions
        sympy expressions whose free symbols are among ``state_names`` and ``input_names``.
    state_names
        Names of the state symbols (the species).
    input_names
        Names of the input symbols (stimulus features), constant between input changes.
    """

    def __init__(
        self,
        expressions: Sequence[sympy.Expr],
        state_names: Sequence[str],
        input_names: Sequence[str],
    ) -> None:
        allowed = set(state_names) | set(input_names)
        for expression in expressions:
            unknown = {str(s) for s in expression.free_symbols} - allowed
            if unknown:
                raise ValueError(f"unresolved symbols {sorted(unknown)} in {expression}")
        symbols = sympy.numbered_symbols("_cse", real=True)
        replacements, reduced = sympy.cse(list(expressions), symbols=symbols)
        self._prepared: list[_Assignment] = []
        self._assignments: list[_Assignment] = []
        hoister = _Hoister(set(input_names), self._prepared)
        for symbol, expression in replacements:
            if hoister.is_prepared(expression):
                hoister.prepared_names.add(str(symbol))
                self._prepared.append(_Assignment(str(symbol), _compile(expression), expression))
            else:
                hoisted = hoister.hoist(expression)
                self._assignments.append(_Assignment(str(symbol), _compile(hoisted), hoisted))
        outputs = [hoister.hoist(expression) for expression in reduced]
        self._outputs: list[Evaluator] = [_compile(expression) for expression in outputs]
        #: The state-dependent assignments ``(name, expression)`` in evaluation order; their
        #: free symbols are states, prepared names and earlier assignments.
        self.state_assignments: tuple[tuple[str, sympy.Expr], ...] = tuple(
            (a.name, a.expression) for a in self._assignments
        )
        #: One expression per output (free symbols as for :attr:`state_assignments`).
        self.output_expressions: tuple[sympy.Expr, ...] = tuple(outputs)
        #: Names that :meth:`prepare` provides (inputs and input-only subexpressions).
        self.prepared_names: tuple[str, ...] = tuple(input_names) + tuple(
            a.name for a in self._prepared
        )
        self.state_names = tuple(state_names)
        self.constant_outputs: tuple[float | None, ...] = tuple(
            float(expression) if expression.is_number else None for expression in reduced
        )
        self.input_names = tuple(input_names)

    def __len__(self) -> int:
        return len(self._outputs)

    def prepare(self, inputs: Mapping[str, Value]) -> Env:
        """Evaluate the input-only subexpressions.

        Parameters
        ----------
        inputs
            Value of every input name (arrays of shape ``(P,)`` or floats).

        Returns
        -------
        dict
            An environment to pass to :meth:`evaluate`.
        """
        env: Env = {name: inputs[name] for name in self.input_names}
        for assignment in self._prepared:
            env[assignment.name] = assignment.evaluate(env)
        return env

    def evaluate(self, prepared: Env, state: Mapping[str, Value]) -> list[Value]:
        """Evaluate every expression for one state.

        Parameters
        ----------
        prepared
            The environment from :meth:`prepare`.
        state
            Value of every state name.

        Returns
        -------
        list
            One array (or float, where the expression is constant) per expression.
        """
        env: Env = dict(prepared)
        env.update(state)
        for assignment in self._assignments:
            env[assignment.name] = assignment.evaluate(env)
        return [output(env) for output in self._outputs]


class _Hoister:
    """Move subexpressions that depend on inputs only into the prepared part."""

    def __init__(self, prepared_names: set[str], prepared: list[_Assignment]) -> None:
        self.prepared_names = prepared_names
        self.prepared = prepared
        self.symbols = sympy.numbered_symbols("_pre", real=True)

    def is_prepared(self, expression: sympy.Expr) -> bool:
        return {str(s) for s in expression.free_symbols} <= self.prepared_names

    def _new(self, expression: sympy.Expr) -> sympy.Symbol:
        symbol = next(self.symbols)
        self.prepared.append(_Assignment(str(symbol), _compile(expression), expression))
        self.prepared_names.add(str(symbol))
        return symbol

    def hoist(self, expression: sympy.Expr) -> sympy.Expr:
        if expression.is_number or isinstance(expression, sympy.Symbol):
            return expression
        if self.is_prepared(expression):
            return self._new(expression)
        if isinstance(expression, sympy.Add | sympy.Mul):
            fixed = [arg for arg in expression.args if not arg.is_number and self.is_prepared(arg)]
            others = [self.hoist(arg) for arg in expression.args if arg not in fixed]
            if len(fixed) > 1 or (fixed and not isinstance(fixed[0], sympy.Symbol)):
                others.append(self._new(expression.func(*fixed)))
            else:
                others.extend(fixed)
            return expression.func(*others, evaluate=False)
        return expression.func(*(self.hoist(arg) for arg in expression.args))


def _compile(expression: sympy.Expr) -> Evaluator:
    """Turn one sympy expression into a closure over an environment of arrays."""
    if expression.is_number:
        value = complex(expression)
        if value.imag != 0.0 or not np.isfinite(value.real):
            raise ValueError(f"expression evaluates to a non-real or infinite number: {expression}")
        constant = float(value.real)
        return lambda env: constant
    if isinstance(expression, sympy.Symbol):
        name = str(expression)
        return lambda env: env[name]
    if isinstance(expression, sympy.Add):
        return _compile_add(expression)
    if isinstance(expression, sympy.Mul):
        return _compile_mul(expression)
    if isinstance(expression, sympy.Pow):
        return _compile_pow(expression.base, expression.exp)
    if isinstance(expression, sympy.exp):
        inner = _compile(expression.args[0])
        return lambda env: np.exp(inner(env))
    if isinstance(expression, sympy.log):
        inner = _compile(expression.args[0])
        return lambda env: np.log(inner(env))
    if isinstance(expression, sympy.Abs):
        inner = _compile(expression.args[0])
        return lambda env: np.abs(inner(env))
    if isinstance(expression, sympy.sign):
        inner = _compile(expression.args[0])
        return lambda env: np.sign(inner(env))
    if isinstance(expression, sympy.Heaviside):
        inner = _compile(expression.args[0])
        at_zero = float(expression.args[1]) if len(expression.args) > 1 else 0.5
        return lambda env: np.heaviside(inner(env), at_zero)
    if isinstance(expression, sympy.Max | sympy.Min):
        parts = [_compile(arg) for arg in expression.args]
        reduce = np.maximum if isinstance(expression, sympy.Max) else np.minimum

        def extremum(env: Env) -> Value:
            result = parts[0](env)
            for part in parts[1:]:
                result = reduce(result, part(env))
            return result

        return extremum
    raise ValueError(f"cannot evaluate sympy node {type(expression).__name__}: {expression}")


def _split_coefficient(term: sympy.Expr) -> tuple[float, sympy.Expr]:
    coefficient, rest = term.as_coeff_Mul()
    return float(coefficient), rest


def _compile_add(expression: sympy.Add) -> Evaluator:
    constant = 0.0
    positive: list[Evaluator] = []
    negative: list[Evaluator] = []
    for term in expression.args:
        if term.is_number:
            constant += float(term)
            continue
        coefficient, rest = _split_coefficient(term)
        if coefficient == 1.0:
            positive.append(_compile(rest))
        elif coefficient == -1.0:
            negative.append(_compile(rest))
        elif coefficient < 0.0:
            negative.append(_compile(-term))
        else:
            positive.append(_compile(term))

    def add(env: Env) -> Value:
        if positive:
            result = positive[0](env)
            for part in positive[1:]:
                result = result + part(env)
            for part in negative:
                result = result - part(env)
            return result + constant if constant != 0.0 else result
        result = constant - negative[0](env)
        for part in negative[1:]:
            result = result - part(env)
        return result

    return add


def _compile_mul(expression: sympy.Mul) -> Evaluator:
    coefficient = 1.0
    numerator: list[Evaluator] = []
    denominator: list[Evaluator] = []
    for factor in expression.args:
        if factor.is_number:
            coefficient *= float(factor)
        elif isinstance(factor, sympy.Pow) and factor.exp.is_number and float(factor.exp) < 0.0:
            denominator.append(_compile_pow(factor.base, -factor.exp))
        else:
            numerator.append(_compile(factor))

    def product(parts: list[Evaluator], env: Env) -> Value:
        result = parts[0](env)
        for part in parts[1:]:
            result = result * part(env)
        return result

    def mul(env: Env) -> Value:
        if numerator:
            result = product(numerator, env)
            if coefficient != 1.0:
                result = coefficient * result
        else:
            result = coefficient
        if denominator:
            result = result / product(denominator, env)
        return result

    return mul


def _compile_pow(base: sympy.Expr, exponent: sympy.Expr) -> Evaluator:
    inner = _compile(base)
    if exponent.is_number:
        power = float(exponent)
        if power == 1.0:
            return inner
        if power == 0.5:
            return lambda env: np.sqrt(inner(env))
        if power == -0.5:
            return lambda env: 1.0 / np.sqrt(inner(env))
        if power.is_integer() and 0.0 < abs(power) <= 16.0:
            count = int(abs(power))
            invert = power < 0.0

            def integer_power(env: Env) -> Value:
                value = inner(env)
                result = _int_power(value, count)
                return 1.0 / result if invert else result

            return integer_power
        return lambda env: np.power(inner(env), power)
    outer = _compile(exponent)
    return lambda env: np.power(inner(env), outer(env))


def _int_power(value: Value, count: int) -> Value:
    """``value ** count`` by repeated squaring (exact for integers, faster than np.power)."""
    result: Value | None = None
    square = value
    while count:
        if count & 1:
            result = square if result is None else result * square
        count >>= 1
        if count:
            square = square * square
    assert result is not None
    return result
