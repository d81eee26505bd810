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
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Final

import sympy

from tissue_sim.errors import ModelFileError

__all__ = ["FUNCTIONS", "MAX_EXPRESSION_LENGTH", "parse_expression"]

#: Longest accepted expression text (guards the parser's recursion depth).
MAX_EXPRESSION_LENGTH: Final[int] = 4000


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
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise fail(f"invalid expression {text!r}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise fail(f"invalid expression {text!r}") from None
    try:
        return _convert(tree.body, fail)
    except RecursionError:
        raise fail(f"expression {text!r} is nested too deeply") from None


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
