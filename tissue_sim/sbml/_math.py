"""Rate expressions ↔ SBML math (libsbml ``ASTNode`` trees), both ways without ``eval``.

Export: the expression text of a model file is first accepted by the project's safe
parser (:func:`tissue_sim.biology._expressions.parse_expression`); its Python syntax tree
(:func:`ast.parse` builds a tree, it runs nothing) is then rebuilt node by node as an
``ASTNode``: numbers, names, ``+ - * / **``, unary minus and calls of the whitelisted
functions (``exp`` → ``exp``, ``log`` → ``ln``, ``sqrt`` → ``root`` of degree 2, ``abs``,
``min``, ``max``; ``hill`` and ``hill_rep`` become calls of SBML function definitions
whose bodies are :data:`FUNCTION_DEFINITIONS`).

Import: the ``ASTNode`` tree that libsbml read from MathML is walked and printed as model-file
expression text, using only what the whitelist allows; the importer then passes every text
through ``parse_expression`` again, so imported math meets the same whitelist and limits as
a hand-written model file. Function definitions are recognised as ``hill``/``hill_rep``
when their body is that function, and inlined otherwise. What has no model-file form
(``piecewise``, comparisons, ``time``, ``delay``, ``rateOf``, trigonometric functions,
``floor``, …) raises :class:`Unsupported` naming the construct.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import sympy

from tissue_sim.biology._expressions import FUNCTIONS, parse_expression
from tissue_sim.errors import brief
from tissue_sim.sbml._libs import libsbml_module

__all__ = [
    "FUNCTION_DEFINITIONS",
    "MathReader",
    "Unsupported",
    "expression_to_math",
    "function_definition_math",
]

#: SBML function definitions for the expression functions that MathML lacks: name →
#: (arguments, body in the model-file expression language). ``tests/sbml`` checks that each
#: body equals the project's definition of the function.
FUNCTION_DEFINITIONS: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "hill": (("x", "K", "n"), "max(x, 0) ** n / (K ** n + max(x, 0) ** n)"),
    "hill_rep": (("x", "K", "n"), "K ** n / (K ** n + max(x, 0) ** n)"),
}

#: Avogadro's number of the SBML ``avogadro`` csymbol [1/mol] (SBML L3V2, 2019 SI value).
AVOGADRO: Final[float] = 6.02214076e23
_ALLOWED: Final = (
    "model files allow + - * / ^, exp, ln, log, root, sqrt, abs, min, max and function "
    "definitions built from these"
)
_LARGEST_INTEGER: Final = 2**31 - 1
# printing precedence: higher binds tighter
_ADD, _MUL, _UNARY, _POW, _ATOM = 1, 2, 3, 4, 5


class Unsupported(Exception):
    """A construct with no model-file form (the message names it)."""


# -- export: expression text → ASTNode ------------------------------------------------------
def expression_to_math(
    text: str, names: Mapping[str, str], used_functions: set[str] | None = None
) -> Any:
    """The libsbml ``ASTNode`` of one model-file expression.

    Parameters
    ----------
    text
        Expression text that :func:`parse_expression` accepts (or a number as text).
    names
        Model-file name → SBML id of every name the expression may use.
    used_functions
        Collects the names of SBML function definitions the math calls (``hill``, …).

    Raises
    ------
    Unsupported
        For a name not in ``names`` or a construct the converter does not know (a new
        function of the expression language that has no SBML form yet).
    """
    parse_expression(text)  # the project's whitelist and limits, before anything else
    libsbml = libsbml_module()
    tree = ast.parse(str(text).strip(), mode="eval")
    functions = used_functions if used_functions is not None else set()
    return _to_math(tree.body, names, functions, libsbml)


def function_definition_math(name: str) -> Any:
    """The ``lambda`` ``ASTNode`` of one entry of :data:`FUNCTION_DEFINITIONS`."""
    libsbml = libsbml_module()
    arguments, body = FUNCTION_DEFINITIONS[name]
    node = libsbml.ASTNode(libsbml.AST_LAMBDA)
    for argument in arguments:
        variable = libsbml.ASTNode(libsbml.AST_NAME)
        variable.setName(argument)
        node.addChild(variable)
    node.addChild(expression_to_math(body, {a: a for a in arguments}))
    return node


def _node(libsbml: Any, kind: int, *children: Any) -> Any:
    node = libsbml.ASTNode(kind)
    for child in children:
        node.addChild(child)
    return node


def _to_math(item: ast.AST, names: Mapping[str, str], functions: set[str], libsbml: Any) -> Any:
    def convert(child: ast.AST) -> Any:
        return _to_math(child, names, functions, libsbml)

    if isinstance(item, ast.Constant) and isinstance(item.value, int | float):
        value = item.value
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and abs(value) <= _LARGEST_INTEGER
        ):
            node = libsbml.ASTNode(libsbml.AST_INTEGER)
            node.setValue(int(value))
        else:
            node = libsbml.ASTNode(libsbml.AST_REAL)
            node.setValue(float(value))
        return node
    if isinstance(item, ast.Name):
        if item.id not in names:
            raise Unsupported(f"name {item.id!r} has no SBML id")
        node = libsbml.ASTNode(libsbml.AST_NAME)
        node.setName(names[item.id])
        return node
    if isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub):
        return _node(libsbml, libsbml.AST_MINUS, convert(item.operand))
    if isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.UAdd):
        return convert(item.operand)
    if isinstance(item, ast.BinOp):
        kinds: dict[type, int] = {
            ast.Add: libsbml.AST_PLUS,
            ast.Sub: libsbml.AST_MINUS,
            ast.Mult: libsbml.AST_TIMES,
            ast.Div: libsbml.AST_DIVIDE,
            ast.Pow: libsbml.AST_POWER,
        }
        if type(item.op) in kinds:
            return _node(libsbml, kinds[type(item.op)], convert(item.left), convert(item.right))
    if isinstance(item, ast.Call) and isinstance(item.func, ast.Name):
        name = item.func.id
        args = [convert(arg) for arg in item.args]
        builtins: dict[str, int] = {
            "exp": libsbml.AST_FUNCTION_EXP,
            "log": libsbml.AST_FUNCTION_LN,
            "abs": libsbml.AST_FUNCTION_ABS,
            "min": libsbml.AST_FUNCTION_MIN,
            "max": libsbml.AST_FUNCTION_MAX,
        }
        if name in builtins:
            return _node(libsbml, builtins[name], *args)
        if name == "sqrt":
            degree = libsbml.ASTNode(libsbml.AST_INTEGER)
            degree.setValue(2)
            return _node(libsbml, libsbml.AST_FUNCTION_ROOT, degree, *args)
        if name in FUNCTION_DEFINITIONS:
            functions.add(name)
            node = _node(libsbml, libsbml.AST_FUNCTION, *args)
            node.setName(name)
            return node
        raise Unsupported(
            f"function {name}() of the expression language has no SBML form in tissue_sim.sbml"
        )
    raise Unsupported(f"cannot write {brief(ast.unparse(item))} as SBML math")


# -- import: ASTNode → expression text ------------------------------------------------------
@dataclass
class MathReader:
    """Prints SBML math as model-file expression text.

    Attributes
    ----------
    names
        SBML id → model-file name of every symbol that math may refer to.
    functions
        SBML function definitions: id → (argument names, body ``ASTNode``).
    used
        SBML ids referred to so far (filled while reading).
    """

    names: Mapping[str, str]
    functions: Mapping[str, tuple[tuple[str, ...], Any]]
    used: set[str] = field(default_factory=set)
    _recognised: dict[str, str | None] = field(default_factory=dict)

    def text(self, node: Any, local: Mapping[str, str] | None = None) -> str:
        """Expression text of ``node``.

        Parameters
        ----------
        node
            A libsbml ``ASTNode``.
        local
            Names that shadow :attr:`names` (a reaction's local parameters).

        Raises
        ------
        Unsupported
            Naming the first construct that has no model-file form.
        """
        if node is None:
            raise Unsupported("no math given")
        return self._print(node, dict(local or {}), depth=0)[0]

    # The printer returns (text, precedence) so that parentheses are written only where
    # they are needed.
    def _print(self, node: Any, local: dict[str, str], depth: int) -> tuple[str, int]:
        libsbml = libsbml_module()
        if depth > 200:
            raise Unsupported("math nested more than 200 levels deep")
        kind = node.getType()
        children = [node.getChild(i) for i in range(node.getNumChildren())]

        def sub(child: Any) -> tuple[str, int]:
            return self._print(child, local, depth + 1)

        def wrap(part: tuple[str, int], when: Callable[[int], bool]) -> str:
            return f"({part[0]})" if when(part[1]) else part[0]

        if kind == libsbml.AST_INTEGER:
            return _number(float(node.getInteger()), integer=True)
        if kind in (libsbml.AST_REAL, libsbml.AST_REAL_E):
            return _number(node.getReal())
        if kind == libsbml.AST_RATIONAL:
            return (f"{node.getNumerator()} / {node.getDenominator()}", _MUL)
        if kind == libsbml.AST_NAME:
            name = node.getName()
            if name in local:
                return (local[name], _ATOM)
            if name not in self.names:
                raise Unsupported(f"refers to {name!r}, which the model does not define")
            self.used.add(name)
            return (self.names[name], _ATOM)
        if kind == libsbml.AST_NAME_TIME:
            raise Unsupported(
                "the simulation time (csymbol time) is not supported: model-file rates depend "
                "only on species, parameters and stimulus inputs (the session schedule "
                "switches the inputs on and off)"
            )
        if kind == libsbml.AST_NAME_AVOGADRO:
            return _number(AVOGADRO)
        if kind == libsbml.AST_CONSTANT_PI:
            return _number(math.pi)
        if kind == libsbml.AST_CONSTANT_E:
            return ("exp(1)", _ATOM)
        if kind == libsbml.AST_PLUS:
            if not children:
                return ("0", _ATOM)
            parts = [sub(child) for child in children]
            if len(parts) == 1:
                return parts[0]
            rest = [wrap(p, lambda p: p <= _ADD or p == _UNARY) for p in parts[1:]]
            return (" + ".join([wrap(parts[0], lambda p: p == _UNARY), *rest]), _ADD)
        if kind == libsbml.AST_MINUS:
            if len(children) == 1:
                operand = sub(children[0])
                return ("-" + wrap(operand, lambda p: p < _POW), _UNARY)
            if len(children) == 2:
                left, right = sub(children[0]), sub(children[1])
                return (f"{left[0]} - {wrap(right, lambda p: p <= _ADD or p == _UNARY)}", _ADD)
        if kind == libsbml.AST_TIMES:
            if not children:
                return ("1", _ATOM)
            parts = [sub(child) for child in children]
            if len(parts) == 1:
                return parts[0]
            first = wrap(parts[0], lambda p: p < _MUL or p == _UNARY)
            rest = [wrap(p, lambda p: p <= _MUL or p == _UNARY) for p in parts[1:]]
            return (" * ".join([first, *rest]), _MUL)
        if kind == libsbml.AST_DIVIDE and len(children) == 2:
            left, right = sub(children[0]), sub(children[1])
            return (
                f"{wrap(left, lambda p: p < _MUL or p == _UNARY)} / "
                f"{wrap(right, lambda p: p <= _MUL or p == _UNARY)}",
                _MUL,
            )
        if kind in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER) and len(children) == 2:
            base, exponent = sub(children[0]), sub(children[1])
            return (
                f"{wrap(base, lambda p: p <= _POW)} ** {wrap(exponent, lambda p: p < _ATOM)}",
                _POW,
            )
        simple = {
            libsbml.AST_FUNCTION_EXP: "exp",
            libsbml.AST_FUNCTION_LN: "log",
            libsbml.AST_FUNCTION_ABS: "abs",
        }
        if kind in simple and len(children) == 1:
            return (f"{simple[kind]}({sub(children[0])[0]})", _ATOM)
        if kind in (libsbml.AST_FUNCTION_MAX, libsbml.AST_FUNCTION_MIN) and children:
            if len(children) == 1:
                return sub(children[0])
            arguments = ", ".join(sub(child)[0] for child in children)
            function = "max" if kind == libsbml.AST_FUNCTION_MAX else "min"
            return (f"{function}({arguments})", _ATOM)
        if kind == libsbml.AST_FUNCTION_LOG and children:
            argument = sub(children[-1])[0]
            log_base = sub(children[0])[0] if len(children) == 2 else "10"
            return (f"log({argument}) / log({log_base})", _MUL)
        if kind == libsbml.AST_FUNCTION_ROOT and children:
            radicand = sub(children[-1])
            degree = sub(children[0]) if len(children) == 2 else ("2", _ATOM)
            if degree[0] in ("2", "2.0"):
                return (f"sqrt({radicand[0]})", _ATOM)
            inverse = f"(1 / {wrap(degree, lambda p: p < _ATOM)})"
            return (f"{wrap(radicand, lambda p: p <= _POW)} ** {inverse}", _POW)
        if kind == libsbml.AST_FUNCTION:
            return self._call(node.getName(), [sub(child)[0] for child in children], depth)
        raise Unsupported(_describe(node, libsbml))

    def _call(self, name: str, args: list[str], depth: int) -> tuple[str, int]:
        if name not in self.functions:
            raise Unsupported(f"calls {name}(), which is not a function definition of the model")
        arguments, body = self.functions[name]
        if len(args) != len(arguments):
            raise Unsupported(
                f"calls {name}() with {len(args)} arguments; its definition takes {len(arguments)}"
            )
        recognised = self._recognise(name)
        if recognised is not None:
            return (f"{recognised}({', '.join(args)})", _ATOM)
        try:
            inner = MathReader({}, self.functions)
            text = inner._print(
                body, {a: f"({v})" for a, v in zip(arguments, args, strict=True)}, depth + 1
            )[0]
        except Unsupported as problem:
            raise Unsupported(f"function definition {name} cannot be inlined: {problem}") from None
        return (f"({text})", _ATOM)

    def _recognise(self, name: str) -> str | None:
        """``hill``/``hill_rep`` when the function definition's body is that function."""
        if name in self._recognised:
            return self._recognised[name]
        found: str | None = None
        arguments, body = self.functions[name]
        if len(arguments) == 3:
            symbols = [f"a{index}_" for index in range(3)]
            try:
                reader = MathReader({}, self.functions)
                text = reader._print(body, dict(zip(arguments, symbols, strict=True)), 0)[0]
                parsed = parse_expression(text)
            except Exception:  # not recognisable: it is inlined (and checked) instead
                parsed = None
            if parsed is not None:
                x, k, n = (sympy.Symbol(s, real=True) for s in symbols)
                for candidate in FUNCTION_DEFINITIONS:
                    if parsed == FUNCTIONS[candidate][2](x, k, n):
                        found = candidate
                        break
        self._recognised[name] = found
        return found


def _number(value: float, *, integer: bool = False) -> tuple[str, int]:
    if not math.isfinite(value):
        raise Unsupported(f"the number {value!r} is not finite")
    text = str(int(value)) if integer else repr(float(value))
    return (text, _UNARY if text.startswith("-") else _ATOM)


def _describe(node: Any, libsbml: Any) -> str:
    kind = node.getType()
    formula = brief(libsbml.formulaToL3String(node) or "?")
    if kind == libsbml.AST_FUNCTION_PIECEWISE:
        return (
            f"piecewise (a conditional) is not supported: model files have no conditionals "
            f"(where it only clips a value, write it with min/max): {formula}"
        )
    if kind == libsbml.AST_FUNCTION_DELAY:
        return (
            "delay() is not supported: model files are ordinary differential equations: " + formula
        )
    if kind == libsbml.AST_FUNCTION_RATE_OF:
        return f"rateOf() is not supported: {formula}"
    if kind in (libsbml.AST_CONSTANT_TRUE, libsbml.AST_CONSTANT_FALSE):
        return f"the constant {formula} is not supported"
    if node.isRelational() or node.isLogical() or node.isBoolean():
        return f"comparisons and logical operators are not supported ({_ALLOWED}): {formula}"
    if node.isFunction() or node.isOperator():
        return f"{node.getName() or formula} is not supported ({_ALLOWED}): {formula}"
    return f"this construct is not supported ({_ALLOWED}): {formula}"
