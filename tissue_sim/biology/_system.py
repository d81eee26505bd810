"""A composed ODE system compiled to vectorised right-hand side and sparse Jacobian.

The state is handled *species-major* inside the library: ``y`` has shape ``(S, P)`` so that
each species is one contiguous vector over the material points. The Jacobian is kept
sparse: only the entries ``∂f_i/∂y_j`` that are not identically zero (found symbolically
with sympy) are evaluated, as an array of shape ``(nnz, P)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import sympy

from tissue_sim.biology._program import Env, Program, Value

__all__ = ["CompiledSystem"]

FloatArray = npt.NDArray[np.float64]


class CompiledSystem:
    """Right-hand side and analytic Jacobian of ``dy/dt = f(y, u)``.

    Parameters
    ----------
    rates
        One sympy expression per species (free symbols: species and input names).
    species_names
        Species names, in state order.
    input_names
        Input (stimulus feature) names.
    """

    def __init__(
        self,
        rates: Sequence[sympy.Expr],
        species_names: Sequence[str],
        input_names: Sequence[str],
    ) -> None:
        self.species_names = tuple(species_names)
        self.input_names = tuple(input_names)
        self.rates = tuple(rates)
        self._read_when_zero: dict[frozenset[str], frozenset[str]] = {}
        symbols = [sympy.Symbol(name, real=True) for name in self.species_names]
        rows: list[int] = []
        cols: list[int] = []
        derivatives: list[sympy.Expr] = []
        for i, rate in enumerate(rates):
            free = rate.free_symbols
            for j, symbol in enumerate(symbols):
                if symbol not in free:
                    continue
                derivative = sympy.diff(rate, symbol)
                if derivative != 0:
                    rows.append(i)
                    cols.append(j)
                    derivatives.append(derivative)
        self.jacobian_rows = np.array(rows, dtype=np.intp)
        self.jacobian_cols = np.array(cols, dtype=np.intp)
        self.rhs_program = Program(rates, self.species_names, self.input_names)
        self.jacobian_program = Program(derivatives, self.species_names, self.input_names)

    def inputs_read_when_zero(self, zero: frozenset[str]) -> frozenset[str]:
        """The inputs some rate still depends on once the inputs ``zero`` are set to 0.

        Found symbolically: ``0`` is substituted for every name in ``zero`` and the free
        symbols of the simplified rates are collected. An input outside the result has no
        effect at a point where the inputs ``zero`` are 0 (e.g. the cycle frequency where
        the strain and the time above a threshold are 0: every term it enters is
        multiplied by one of them), so its value there may be replaced by 0 without
        changing a rate (cached per set; ~20 ms per set on the composed shipped models).
        """
        known = self._read_when_zero.get(zero)
        if known is None:
            substitution = {sympy.Symbol(name, real=True): 0 for name in zero}
            free: set[str] = set()
            for rate in self.rates:
                # xreplace rebuilds the tree, whose constructors evaluate 0·x → 0 and
                # 0ⁿ → 0 (exact algebra; 35× faster than subs). Anything left unevaluated
                # keeps its symbols: the input then counts as read (never wrongly merged).
                reduced = rate.xreplace(substitution) if substitution else rate
                free |= {symbol.name for symbol in reduced.free_symbols}
            known = frozenset(name for name in self.input_names if name in free)
            self._read_when_zero[zero] = known
        return known

    @property
    def n_species(self) -> int:
        """Number of species ``S``."""
        return len(self.species_names)

    @property
    def n_jacobian_entries(self) -> int:
        """Number of structurally non-zero Jacobian entries."""
        return len(self.jacobian_rows)

    def prepare(self, inputs: Mapping[str, Value]) -> tuple[Env, Env]:
        """Evaluate the input-only parts of the right-hand side and the Jacobian."""
        return self.rhs_program.prepare(inputs), self.jacobian_program.prepare(inputs)

    def _state(self, y: FloatArray) -> dict[str, Value]:
        return {name: y[index] for index, name in enumerate(self.species_names)}

    def rhs_into(self, prepared: Env, y: FloatArray, out: FloatArray) -> FloatArray:
        """Write ``f(y)`` (shape ``(S, P)``) into ``out`` and return it."""
        for index, value in enumerate(self.rhs_program.evaluate(prepared, self._state(y))):
            out[index] = value
        return out

    def jacobian_into(self, prepared: Env, y: FloatArray, out: FloatArray) -> FloatArray:
        """Write the non-zero Jacobian entries (shape ``(nnz, P)``) into ``out``."""
        for index, value in enumerate(self.jacobian_program.evaluate(prepared, self._state(y))):
            out[index] = value
        return out
