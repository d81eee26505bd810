"""Manufactured solutions for linear elasticity on the unit cube (sympy-derived, test-only)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.norms import error_norms
from tissue_sim.fem.solvers import make_solver
from tissue_sim.geometry.mesh import structured_block_mesh
from tissue_sim.mechanics.linear import LinearElasticProblem
from tissue_sim.mechanics.materials import LinearElasticMaterial

X = sp.symbols("x y z")


def divergence_free_field() -> sp.Matrix:
    """u = curl A / 2: smooth, non-polynomial and divergence-free, so the pressure stays
    bounded as nu -> 0.5 and any growth of the error with nu is locking."""
    x, y, z = X
    a = sp.Matrix([sp.sin(sp.pi * y) * z**2, sp.cos(sp.pi * z) * x**2, sp.sin(sp.pi * x) * y**2])
    curl = sp.Matrix(
        [
            sp.diff(a[2], y) - sp.diff(a[1], z),
            sp.diff(a[0], z) - sp.diff(a[2], x),
            sp.diff(a[1], x) - sp.diff(a[0], y),
        ]
    )
    return curl / 2


def _vectorise(expr: sp.Matrix, shape: tuple[int, ...]) -> Callable[[np.ndarray], np.ndarray]:
    function = sp.lambdify(X, expr, "numpy")

    def evaluate(points: np.ndarray) -> np.ndarray:
        raw = function(points[:, 0], points[:, 1], points[:, 2])
        flat = [
            np.broadcast_to(
                np.asarray(raw[i][j] if len(shape) == 2 else raw[i][0], dtype=float),
                points.shape[:1],
            )
            for i in range(shape[0])
            for j in range(shape[1] if len(shape) == 2 else 1)
        ]
        return np.stack(flat, axis=-1).reshape((points.shape[0], *shape))

    return evaluate


def manufactured(u: sp.Matrix, youngs: float, nu: float):
    """(u, grad u, body force b = -div sigma(u)) as numpy functions of points (M, 3)."""
    mu = youngs / (2 * (1 + nu))
    lam = youngs * nu / ((1 + nu) * (1 - 2 * nu))
    grad = u.jacobian(X)
    eps = (grad + grad.T) / 2
    sigma = 2 * mu * eps + lam * eps.trace() * sp.eye(3)
    body = -sp.Matrix([sum(sp.diff(sigma[i, j], X[j]) for j in range(3)) for i in range(3)])
    return _vectorise(u, (3,)), _vectorise(grad, (3, 3)), _vectorise(body, (3,))


def solve_on_cube(element: str, n: int, nu: float, formulation: str, u: sp.Matrix):
    """Solve the manufactured problem on an n×n×n cube mesh; return (L2, H1) errors."""
    exact, gradient, body = manufactured(u, 1.0, nu)
    axis = np.linspace(0.0, 1.0, n + 1)
    mesh = structured_block_mesh(
        axis, axis, axis, np.zeros(n, dtype=np.int32), ("cube",), element=element
    )
    problem = LinearElasticProblem(mesh, [LinearElasticMaterial(1.0, nu)], formulation=formulation)
    load = problem.body_force_vector(body).reshape(-1)
    boundary = np.unique(
        np.concatenate([mesh.nodes_on_face(f) for f in ("top", "bottom", "sides")])
    )
    fixed = np.zeros(3 * mesh.num_points, dtype=bool)
    for component in range(3):
        fixed[3 * boundary + component] = True
    condition = DirichletCondition(fixed, exact(mesh.points).reshape(-1))
    matrix, rhs = apply_dirichlet(problem.stiffness(), load, condition)
    solution = make_solver(matrix, method="direct").solve(rhs).reshape(-1, 3)
    return error_norms(problem.assembler, solution, exact, gradient)
