"""Safe parser for rate expressions in model files.

A rate expression is parsed with :func:`ast.parse` (which only builds a syntax tree; it
runs nothing) and every node is checked against a whitelist: numbers, names, the binary
operators ``+ - * / **``, unary ``+``/``-``, parentheses and calls of the functions in
:data:`FUNCTIONS` with positional arguments. Any other node (attribute access, subscripts,
lambdas, comprehensions, keyword arguments, strings, comparisons, ...) raises a
:class:`~tissue_sim.errors.ModelFileError` that names the file and the line.

The checked tree is converted node by node into a sympy expression built from
:class:`sympy.Symbol` objects created by us: user text never reaches ``eval``, ``exec``,
``compile`` or :func:`sympy.sympify`.

Function semantics (``x⁺ = max(x, 0)``)::

    hill(x, K, n)     = x⁺ⁿ / (Kⁿ + x⁺ⁿ)      activation, 0 → 1
    hill_rep(x, K, n) = Kⁿ / (Kⁿ + x⁺ⁿ)       repression, 1 → 0
    exp, log, sqrt, abs, min(a, b, ...), max(a, b, ...)

Limits, checked on the syntax tree before any symbolic work (sympy computes integer
powers exactly, so ``10**10**10`` would never finish):

* at most :data:`MAX_EXPRESSION_NODES` nodes and :data:`MAX_EXPRESSION_DEPTH` levels of
  nesting (150 nested ``exp(`` are refused);
* a power or Hill exponent that is a constant is at most :data:`MAX_POWER` in size;
* every part of an expression that holds no name (a constant such as ``exp(1000)``,
  ``sqrt(-1)``, ``log(0)``, ``1/(1-1)``) must evaluate to a finite real number of at
  most 1e300 in size.

:func:`expression_size` gives the node count and the names referred to, so that the
model-file reader can bound the size of an expression once its helper expressions are
substituted (40 helpers each squaring the last would double 40 times).
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from collections.abc import Callable
from typing import Final

import sympy

from tissue_sim.errors import ModelFileError, brief

__all__ = [
    "FUNCTIONS",
    "MAX_EXPANDED_NODES",
    "MAX_EXPRESSION_DEPTH",
    "MAX_EXPRESSION_LENGTH",
    "MAX_EXPRESSION_NODES",
    "MAX_POWER",
    "expression_size",
    "parse_expression",
]

#: Longest accepted expression text (guards the parser's recursion depth).
MAX_EXPRESSION_LENGTH: Final[int] = 4000
#: Most syntax-tree nodes in one expression as written.
MAX_EXPRESSION_NODES: Final[int] = 1000
#: Deepest nesting of operations and calls in one expression.
MAX_EXPRESSION_DEPTH: Final[int] = 40
#: Largest constant exponent (of ``**`` or of a Hill function).
MAX_POWER: Final[int] = 64
#: Most nodes of an expression once its helper expressions are substituted.
MAX_EXPANDED_NODES: Final[int] = 20_000
#: Largest magnitude of a constant part of an expression.
_MAX_CONSTANT: Final[float] = 1e300


def _hill(x: sympy.Expr, k: sympy.Expr, n: sympy.Expr) -> sympy.Expr:
    x_pos = sympy.Max(x, 0)
    return x_pos**n / (k**n + x_pos**n)


def _hill_rep(x: sympy.Expr, k: sympy.Expr, n: sympy.Expr) -> sympy.Expr:
    x_pos = sympy.Max(x, 0)
    return k**n / (k**n + x_pos**n)


#: Allowed function name → (minimum args, maximum args or None, sympy builder).
FUNCTIONS: Final[dict[str, tuple[int, int | None, Callable[..., sympy.Expr]]]] = {
    "exp": (1, 1, sympy.exp),
    "log": (1, 1, sympy.log),
    "sqrt": (1, 1, sympy.sqrt),
    "abs": (1, 1, sympy.Abs),
    "min": (2, None, sympy.Min),
    "max": (2, None, sympy.Max),
    "hill": (3, 3, _hill),
    "hill_rep": (3, 3, _hill_rep),
}

_ALLOWED_TEXT = "allowed: numbers, names, + - * / **, parentheses and calls of " + ", ".join(
    sorted(FUNCTIONS)
)

_FORBIDDEN_NODES: Final[dict[type, str]] = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[i])",
    ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "starred arguments",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
}


def parse_expression(
    text: object, *, file: str | None = None, line: int | None = None, key: str | None = None
) -> sympy.Expr:
    """Parse one rate expression into a sympy expression.

    Parameters
    ----------
    text
        The expression as written in the model file, e.g. ``"k_on * hill(x, K, 2) - k_off * y"``.
        A bare number is accepted too.
    file, line, key
        Where the expression came from, for error messages.

    Returns
    -------
    sympy.Expr
        The expression; every name becomes a :class:`sympy.Symbol` of the same name.

    Raises
    ------
    ModelFileError
        If the text is not an expression or uses anything outside the whitelist.
    """

    def fail(message: str) -> ModelFileError:
        return ModelFileError(message, file=file, line=line, key=key)

    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise fail(f"expected an expression (a string or a number), got {type(text).__name__}")
    if isinstance(text, int | float):
        return sympy.Float(float(text))
    if not text.strip():
        raise fail("empty expression")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise fail(f"expression longer than {MAX_EXPRESSION_LENGTH} characters")
    tree = _parse(text, fail)
    _check_limits(tree.body, fail)
    return _convert(tree.body, fail)


def _parse(text: str, fail: Callable[[str], ModelFileError]) -> ast.Expression:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise fail(f"invalid expression {brief(text)}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise fail(f"invalid expression {brief(text)}: nested too deeply") from None


def expression_size(text: object) -> tuple[int, Counter[str]]:
    """Syntax-tree nodes of an expression and how often it names each name.

    Parameters
    ----------
    text
        An expression that :func:`parse_expression` accepted (or a number).

    Returns
    -------
    tuple
        The node count and a :class:`collections.Counter` of the names it uses.
    """
    if not isinstance(text, str):
        return 1, Counter()
    tree = ast.parse(text.strip(), mode="eval")
    names: Counter[str] = Counter()
    count = 0
    for node in ast.walk(tree.body):
        count += 1
        if isinstance(node, ast.Name):
            names[node.id] += 1
    return count, names


def _depth_and_count(node: ast.AST) -> tuple[int, int]:
    """Nesting depth and node count, iteratively (no recursion on deep trees)."""
    deepest = count = 0
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        deepest = max(deepest, depth)
        if count > MAX_EXPRESSION_NODES or deepest > MAX_EXPRESSION_DEPTH:
            break
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(item))
    return deepest, count


def _check_limits(node: ast.AST, fail: Callable[[str], ModelFileError]) -> None:
    """Size, depth, constant exponents and constant parts, before any symbolic work."""
    depth, count = _depth_and_count(node)
    if count > MAX_EXPRESSION_NODES:
        raise fail(f"expression has more than {MAX_EXPRESSION_NODES} operations and names")
    if depth > MAX_EXPRESSION_DEPTH:
        raise fail(f"expression is nested more than {MAX_EXPRESSION_DEPTH} levels deep")
    for item in ast.walk(node):
        exponent: ast.AST | None = None
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Pow):
            exponent = item.right
        elif (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name)
            and item.func.id in ("hill", "hill_rep")
            and len(item.args) == 3
        ):
            exponent = item.args[2]
        if exponent is not None and _is_constant(exponent):
            value = _constant_value(exponent, fail)
            if abs(value) > MAX_POWER:
                raise fail(f"constant exponent {value:g} is larger than {MAX_POWER} in size")
    _check_constants(node, fail)


def _is_constant(node: ast.AST) -> bool:
    """Whether ``node`` names no species, parameter or input (function names aside)."""
    functions = {id(item.func) for item in ast.walk(node) if isinstance(item, ast.Call)}
    return not any(
        isinstance(item, ast.Name) and id(item) not in functions for item in ast.walk(node)
    )


def _check_constants(node: ast.AST, fail: Callable[[str], ModelFileError]) -> None:
    """Every largest name-free part must evaluate to a finite number (floats, bounded)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if _is_constant(item):
            numeric = isinstance(item, ast.Constant) and isinstance(item.value, int | float)
            if not isinstance(item, ast.Constant) or (numeric and item.value is not True):
                _constant_value(item, fail)
            continue
        stack.extend(ast.iter_child_nodes(item))


_FLOAT_FUNCTIONS: Final[dict[str, Callable[..., float]]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "min": min,
    "max": max,
    "hill": lambda x, k, n: max(x, 0.0) ** n / (k**n + max(x, 0.0) ** n),
    "hill_rep": lambda x, k, n: k**n / (k**n + max(x, 0.0) ** n),
}


def _constant_value(node: ast.AST, fail: Callable[[str], ModelFileError]) -> float:
    """Evaluate a name-free part in floating point; refuse what is not finite."""

    def value(item: ast.AST) -> float:
        if isinstance(item, ast.Constant):
            if isinstance(item.value, bool) or not isinstance(item.value, int | float):
                raise ValueError("not a number")
            return float(item.value)
        if isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub | ast.UAdd):
            inner = value(item.operand)
            return -inner if isinstance(item.op, ast.USub) else inner
        if isinstance(item, ast.BinOp):
            left, right = value(item.left), value(item.right)
            if isinstance(item.op, ast.Add):
                return left + right
            if isinstance(item.op, ast.Sub):
                return left - right
            if isinstance(item.op, ast.Mult):
                return left * right
            if isinstance(item.op, ast.Div):
                return left / right
            if isinstance(item.op, ast.Pow):
                if abs(right) > MAX_POWER:
                    raise OverflowError("exponent too large")
                result = left**right
                if isinstance(result, complex):
                    raise ValueError("complex result")
                return float(result)
            raise ValueError("operator")
        if isinstance(item, ast.Call) and isinstance(item.func, ast.Name):
            function = _FLOAT_FUNCTIONS.get(item.func.id)
            if function is None or item.keywords:
                raise ValueError("function")
            return float(function(*(value(arg) for arg in item.args)))
        raise ValueError("node")

    try:
        result = value(node)
    except (OverflowError, ValueError, ZeroDivisionError, TypeError) as exc:
        if isinstance(exc, ValueError) and str(exc) in (
            "not a number",
            "operator",
            "function",
            "node",
        ):
            return 0.0  # not a plain numeric part: the converter reports what is wrong
        text = ast.unparse(node)
        raise fail(
            f"the constant part {brief(text)} is not a finite real number "
            f"({type(exc).__name__}: {brief(str(exc))})"
        ) from None
    except RecursionError:
        raise fail(f"expression is nested more than {MAX_EXPRESSION_DEPTH} levels deep") from None
    if not math.isfinite(result) or abs(result) > _MAX_CONSTANT:
        raise fail(f"the constant part {brief(ast.unparse(node))} is not a finite number")
    return result


def _convert(node: ast.AST, fail: Callable[[str], ModelFileError]) -> sympy.Expr:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"constant {value!r} is not a number; {_ALLOWED_TEXT}")
        return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise fail(f"name {node.id!r} may not start with an underscore")
        if node.id in FUNCTIONS:
            raise fail(f"function {node.id!r} used without a call")
        return sympy.Symbol(node.id, real=True)
    if isinstance(node, ast.UnaryOp):
        operand = _convert(node.operand, fail)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise fail(f"operator {type(node.op).__name__} is not allowed; {_ALLOWED_TEXT}")
    if isinstance(node, ast.BinOp):
        left = _convert(node.left, fail)
        right = _convert(node.right, fail)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right.is_zero:
                raise fail("division by the constant zero")
            return left / right
        if isinstance(node.op, ast.Pow):
            return left**right
        raise fail(f"operator {type(node.op).__name__} is not allowed; {_ALLOWED_TEXT}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise fail(f"only plain function names may be called; {_ALLOWED_TEXT}")
        name = node.func.id
        if name not in FUNCTIONS:
            raise fail(f"function {name!r} is not allowed; {_ALLOWED_TEXT}")
        if node.keywords:
            raise fail(f"keyword arguments are not allowed in a call of {name}()")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise fail(f"starred arguments are not allowed in a call of {name}()")
        low, high, builder = FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            expected = str(low) if high == low else f"{low} or more"
            raise fail(f"{name}() takes {expected} arguments, got {count}")
        args = [_convert(arg, fail) for arg in node.args]
        return builder(*args)
    what = _FORBIDDEN_NODES.get(type(node), f"{type(node).__name__} nodes")
    raise fail(f"not allowed in an expression: {what}; {_ALLOWED_TEXT}")
