"""Straight-line source for compiled kernels, generated from validated expression trees.

The input is what :class:`~tissue_sim.biology._program.Program` already holds: sympy trees
that *we* built from whitelisted model-file syntax (then differentiated, reduced by common
subexpression elimination and split into input-only and state-dependent parts). Nothing of
the model file's text reaches the generated source:

* every name is one we make up — ``y3`` (state 3), ``q2`` (prepared value 2), ``t7``
  (subexpression 7), ``w1`` (temporary), ``m5`` / ``r4`` (LU entries, solve vector);
* every number that comes from a parameter value is a slot ``c[k]`` of a constants vector
  passed at run time, so models that differ only in parameter values share one compiled
  kernel (only integer exponents such as a Hill coefficient 2, which select the
  multiplication sequence, are written as literals);
* every function is one of a fixed set (``np.exp``, ``np.log``, ``np.sqrt``, ``abs``);
  ``Max``, ``Min``, ``sign`` and ``Heaviside`` become conditional expressions with numpy's
  semantics (NaN in, NaN out), so the loops stay free of calls and vectorise.

:func:`check_source` re-verifies this on the finished text (every identifier is from the
fixed vocabulary; no string literal, attribute or keyword outside it), so a bug here cannot
turn model text into code.

Evaluation order mirrors :func:`tissue_sim.biology._program._compile` exactly (the same
left-to-right sums and products, the same repeated squaring), so the compiled path computes
the same floating-point operations as the numpy path; only the elementary functions
(``exp``, ``log``, ``pow``) may differ in the last bit between the two libraries.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

__all__ = ["GeneratedProgram", "check_source", "lu_factor_lines", "lu_solve_lines", "program"]

_GENERATED_NAME = re.compile(r"^([yqtwmrfdYQJLIOZBVSFWH]|pivot|bad|nhg|hg|c|p)\d*$")
#: Identifiers and keywords (besides generated names) that generated code may use.
VOCABULARY = frozenset({"np", "exp", "log", "sqrt", "abs", "if", "else", "not"})


@dataclass(frozen=True)
class GeneratedProgram:
    """One program as the body of a point function.

    Attributes
    ----------
    lines
        Assignments (unindented), in evaluation order.
    outputs
        One expression per output.
    prepared
        Names of the prepared values ``q0, q1, …``, in order.
    constants
        Values of ``c`` (parameter-derived numbers, in slot order).
    states
        The states the code reads (``y{i}``).
    """

    lines: tuple[str, ...]
    outputs: tuple[str, ...]
    prepared: tuple[str, ...]
    constants: tuple[float, ...]
    states: tuple[int, ...]


class _Emitter:
    """Emit Python expressions for sympy trees, in the evaluation order of ``_compile``."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.constants: list[float] = []
        self.lines: list[str] = []
        self._temporaries = 0

    def constant(self, value: float) -> str:
        self.constants.append(float(value))
        return f"c[{len(self.constants) - 1}]"

    def temporary(self, text: str) -> str:
        if _GENERATED_NAME.match(text):
            return text
        name = f"w{self._temporaries}"
        self._temporaries += 1
        self.lines.append(f"{name} = {text}")
        return name

    def number(self, expression: sympy.Expr) -> float:
        value = complex(expression)
        if value.imag != 0.0 or not np.isfinite(value.real):
            raise ValueError(f"expression evaluates to a non-real or infinite number: {expression}")
        return float(value.real)

    def emit(self, expression: sympy.Expr) -> str:
        if expression.is_number:
            return self.constant(self.number(expression))
        if isinstance(expression, sympy.Symbol):
            return self.names[str(expression)]
        if isinstance(expression, sympy.Add):
            return self._add(expression)
        if isinstance(expression, sympy.Mul):
            return self._mul(expression)
        if isinstance(expression, sympy.Pow):
            return self._pow(expression.base, expression.exp)
        if isinstance(expression, sympy.exp):
            return f"np.exp({self.emit(expression.args[0])})"
        if isinstance(expression, sympy.log):
            return f"np.log({self.emit(expression.args[0])})"
        if isinstance(expression, sympy.Abs):
            return f"abs({self.emit(expression.args[0])})"
        if isinstance(expression, sympy.sign):
            a = self.temporary(self.emit(expression.args[0]))
            return f"(1.0 if {a} > 0.0 else (-1.0 if {a} < 0.0 else {a}))"
        if isinstance(expression, sympy.Heaviside):
            at_zero = float(expression.args[1]) if len(expression.args) > 1 else 0.5
            a = self.temporary(self.emit(expression.args[0]))
            value = self.constant(at_zero)
            at = f"({value} if {a} == 0.0 else {a})"
            return f"(1.0 if {a} > 0.0 else (0.0 if {a} < 0.0 else {at}))"
        if isinstance(expression, sympy.Max | sympy.Min):
            # numpy's maximum/minimum: a NaN in either argument gives NaN
            test = "<" if isinstance(expression, sympy.Max) else ">"
            result = self.temporary(self.emit(expression.args[0]))
            for arg in expression.args[1:]:
                other = self.temporary(self.emit(arg))
                result = self.temporary(
                    f"(({result} if not ({result} {test} {other}) else {other}) "
                    f"if {other} == {other} else {other})"
                )
            return result
        raise ValueError(f"cannot compile sympy node {type(expression).__name__}: {expression}")

    def _add(self, expression: sympy.Add) -> str:
        constant = 0.0
        positive: list[str] = []
        negative: list[str] = []
        for term in expression.args:
            if term.is_number:
                constant += float(term)
                continue
            coefficient, rest = term.as_coeff_Mul()
            coefficient = float(coefficient)
            if coefficient == 1.0:
                positive.append(self.emit(rest))
            elif coefficient == -1.0:
                negative.append(self.emit(rest))
            elif coefficient < 0.0:
                negative.append(self.emit(-term))
            else:
                positive.append(self.emit(term))
        if positive:
            result = positive[0]
            for part in positive[1:]:
                result = f"({result} + {part})"
            for part in negative:
                result = f"({result} - {part})"
            return f"({result} + {self.constant(constant)})" if constant != 0.0 else result
        result = f"({self.constant(constant)} - {negative[0]})"
        for part in negative[1:]:
            result = f"({result} - {part})"
        return result

    def _mul(self, expression: sympy.Mul) -> str:
        coefficient = 1.0
        numerator: list[str] = []
        denominator: list[str] = []
        for factor in expression.args:
            if factor.is_number:
                coefficient *= float(factor)
            elif isinstance(factor, sympy.Pow) and factor.exp.is_number and float(factor.exp) < 0.0:
                denominator.append(self._pow(factor.base, -factor.exp))
            else:
                numerator.append(self.emit(factor))

        def product(parts: list[str]) -> str:
            result = parts[0]
            for part in parts[1:]:
                result = f"({result} * {part})"
            return result

        if numerator:
            result = product(numerator)
            if coefficient != 1.0:
                result = f"({self.constant(coefficient)} * {result})"
        else:
            result = self.constant(coefficient)
        if denominator:
            result = f"({result} / {product(denominator)})"
        return result

    def _pow(self, base: sympy.Expr, exponent: sympy.Expr) -> str:
        inner = self.emit(base)
        if exponent.is_number:
            power = float(exponent)
            if power == 1.0:
                return inner
            if power == 0.5:
                return f"np.sqrt({inner})"
            if power == -0.5:
                return f"(1.0 / np.sqrt({inner}))"
            if power.is_integer() and 0.0 < abs(power) <= 16.0:
                value = self.temporary(inner)
                result = _repeated_squaring(value, int(abs(power)), self.temporary)
                return f"(1.0 / {result})" if power < 0.0 else result
            return f"({inner} ** {self.constant(power)})"
        return f"({inner} ** {self.emit(exponent)})"


def _repeated_squaring(value: str, count: int, temporary: object) -> str:
    """``value ** count`` as ``_int_power`` of :mod:`._program` computes it."""
    assert callable(temporary)
    result: str | None = None
    square = value
    while count:
        if count & 1:
            result = square if result is None else f"({result} * {square})"
        count >>= 1
        if count:
            square = temporary(f"({square} * {square})")
    assert result is not None
    return result


def program(
    state_assignments: Sequence[tuple[str, sympy.Expr]],
    outputs: Sequence[sympy.Expr],
    state_names: Sequence[str],
    prepared_names: Sequence[str],
) -> GeneratedProgram:
    """Straight-line code for one :class:`~._program.Program`, for the body of a loop.

    The code reads the locals ``y{i}`` (state ``i``) and ``q{k}`` (prepared value ``k``)
    and the constants vector ``c``; it assigns the subexpressions ``t{n}`` and temporaries
    ``w{n}``, and :attr:`GeneratedProgram.outputs` are expressions over them.

    Parameters
    ----------
    state_assignments, outputs
        ``Program.state_assignments`` and ``Program.output_expressions``.
    state_names
        State symbol names, in state order.
    prepared_names
        Every name the program's ``prepare`` provides.
    """
    names: dict[str, str] = {name: f"y{index}" for index, name in enumerate(state_names)}
    free: set[str] = set()
    for _, expression in state_assignments:
        free |= {str(s) for s in expression.free_symbols}
    for expression in outputs:
        free |= {str(s) for s in expression.free_symbols}
    prepared = tuple(name for name in prepared_names if name in free)
    names.update({name: f"q{index}" for index, name in enumerate(prepared)})
    emitter = _Emitter(names)
    for index, (name, expression) in enumerate(state_assignments):
        text = emitter.emit(expression)
        emitter.names[name] = f"t{index}"
        emitter.lines.append(f"t{index} = {text}")
    results = []
    for expression in outputs:
        text = emitter.emit(expression)
        results.append(text)
    used = tuple(i for i, name in enumerate(state_names) if name in free)
    return GeneratedProgram(
        tuple(emitter.lines), tuple(results), prepared, tuple(emitter.constants), used
    )


def lu_factor_lines(
    entries: Sequence[tuple[int, int]],
    diagonal: Sequence[int],
    eliminations: Sequence[tuple[int, Sequence[int], Sequence[tuple[int, int, int]]]],
    jacobian_position: Sequence[int],
    jacobian: Callable[[int], str],
    lu: Callable[[int], str],
    inverse: Callable[[int], str],
) -> list[str]:
    """Loop body that forms ``I − hγJ`` of one point in the LU layout and factorises it as
    :meth:`~._sparse_lu.SparseLU.factor` does.

    Reads the Jacobian entries (``jacobian(e)`` is the text of entry ``e``) and ``nhg``
    (−hγ); writes the LU entries (``lu(k)``) and reciprocal pivots (``inverse(k)``); adds 1
    to ``bad`` for every pivot that is not safely non-zero (``|pivot| < 1e-12`` or NaN).

    Parameters
    ----------
    entries
        LU entries ``(row, col)`` (pattern and fill-in), in storage order.
    diagonal
        Storage position of each diagonal entry.
    eliminations
        ``SparseLU.eliminations``.
    jacobian_position
        Storage position of every Jacobian entry (in the Jacobian's entry order).
    jacobian, lu, inverse
        Text of the element access for an index.
    """
    source = {position: entry for entry, position in enumerate(jacobian_position)}
    diagonal_positions = set(diagonal)
    lines = []
    for position in range(len(entries)):
        value = f"({jacobian(source[position])} * nhg)" if position in source else "0.0"
        if position in diagonal_positions:
            value = f"({value} + 1.0)"
        lines.append(f"m{position} = {value}")
    for k, lower, updates in eliminations:
        lines.append(f"pivot = m{diagonal[k]}")
        lines.append("bad += 0 if abs(pivot) >= 1e-12 else 1")
        lines.append("pivot = 1.0 if abs(pivot) < 1e-300 else pivot")
        lines.append(f"r{k} = 1.0 / pivot")
        lines.append(f"{inverse(k)} = r{k}")
        for position in lower:
            lines.append(f"m{position} = m{position} * r{k}")
        for target, left, right in updates:
            lines.append(f"m{target} = m{target} - (m{left} * m{right})")
    lines += [f"{lu(position)} = m{position}" for position in range(len(entries))]
    return lines


def lu_solve_lines(
    forward: Sequence[tuple[int, Sequence[tuple[int, int]]]],
    backward: Sequence[tuple[int, Sequence[tuple[int, int]]]],
    lu: Callable[[int], str],
    inverse: Callable[[int], str],
) -> list[str]:
    """Loop body that solves ``A x = r`` of one point in place on the locals ``r{i}``, the
    operations of :meth:`~._sparse_lu.SparseLU.solve` in its order (``lu(k)``,
    ``inverse(k)``: text of the LU entry and reciprocal pivot accesses)."""
    lines = []
    for k, pairs in forward:
        for row, position in pairs:
            lines.append(f"r{row} = r{row} - ({lu(position)} * r{k})")
    for k, pairs in backward:
        for col, position in pairs:
            lines.append(f"r{k} = r{k} - ({lu(position)} * r{col})")
        lines.append(f"r{k} = r{k} * {inverse(k)}")
    return lines


def check_source(source: str, allowed: frozenset[str] = VOCABULARY) -> None:
    """Raise ``ValueError`` unless every token of generated ``source`` is ours.

    Allowed: generated names (``y3``, ``q0``, ``t12``, …), the fixed vocabulary, numbers,
    operators and the keywords ``def``/``return``/``if``/``not``/``and``/``or``. Strings,
    comments and any other name are refused.
    """
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type == tokenize.NAME:
            word = token.string
            if word in allowed or (_GENERATED_NAME.match(word) and not keyword.iskeyword(word)):
                continue
            raise ValueError(f"generated kernel source has an unexpected name {word!r}")
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            raise ValueError("generated kernel source must not hold strings or comments")
