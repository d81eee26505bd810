"""Worker-side cases of the solver peer benchmark (issue 11): tissue_sim, DOLFINx, scikit-fem.

Run by ``_support.measure_in_worker`` as ``python _peer_cases.py CASE PARAMS_JSON``; the
DOLFINx case runs under the Python 3.12 interpreter of ``.venv-petsc`` (``make
install-peers``), the others under ``.venv``. All three solve the *same* problem: the
project's own lumbar mesh (``effleurage_300k.yaml`` at the size's ``mesh.size``, Q1),
per-layer materials, fixed base and roller sides, and the single static load of the
technique benchmark (the stroke's patch held at the centre: 10 kPa, friction 0.2), all
exported by tissue_sim to one ``.npz`` file (:func:`export_problem`) that the peers read.

Formulation matched: DOLFINx's displacement-only Q1 locks on this stack, so every code
assembles the B-bar form tissue_sim's ``mixed`` Q1 formulation is —
``∫ 2μ ε_dev(u):ε_dev(v)`` with 2×2×2 Gauss points plus ``∫ κ div u div v`` at one point
per cell (the cell mean of ``div u`` on these box cells, i.e. Q1/P0 mean dilatation).
Each case writes its displacement (tissue_sim's dof order) to ``solution_path``; the
parent compares them.

Timed phase of every case: stiffness assembly (sparsity pattern included), boundary
conditions, solver set-up and one solve (rtol 1e-8 on the unpreconditioned residual for
CG). Untimed: reading the export, building the mesh, compiling forms (DOLFINx JIT).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from _support import Prepared, worker_main

RTOL = 1e-8


# --------------------------------------------------------------------------------------
# export (tissue_sim, Python 3.11)
# --------------------------------------------------------------------------------------
def export_problem(size: str, path: Path) -> dict[str, Any]:
    """Write the mesh, materials, constraints and load of one size to ``path`` (``.npz``).

    numpy's format, not HDF5: the h5py wheel and the HDF5 library bundled with
    ``dolfinx-solver-real`` cannot live in one process (importing h5py after
    ``dolfinx_solver`` fails with "Not a datatype"), which made every DOLFINx row fail.
    """
    from _fem_cases import _linear_problem, single_load_vector

    from tissue_sim.mechanics.frames import base_condition

    mesh, problem = _linear_problem(size, "Q1", "mixed")
    condition = base_condition(mesh, "roller")
    load = single_load_vector(mesh, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(
        temporary,
        points=mesh.points,
        cells=mesh.cells.astype(np.int64),
        shear_modulus=np.asarray(problem.shear_modulus, dtype=float),
        bulk_modulus=np.asarray(problem.bulk_modulus, dtype=float),
        fixed=condition.fixed,
        load=load,
    )
    temporary.rename(path)
    return {"dofs": 3 * mesh.num_points, "cells": mesh.num_cells}


def _read(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as file:
        return {name: np.asarray(file[name]) for name in file.files}


# --------------------------------------------------------------------------------------
# tissue_sim
# --------------------------------------------------------------------------------------
def tissue_sim_solve(params: Mapping[str, Any]) -> Prepared:
    """tissue_sim: assembly + constraints + ``make_solver(method)`` + one solve.

    params: ``size``, ``method`` (``auto``, ``pardiso``, ``amg``, ``petsc``, …),
    ``problem_path``, ``solution_path``; optional ``options``.
    """
    from _fem_cases import _linear_problem

    from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
    from tissue_sim.fem.solvers import make_solver

    data = _read(params["problem_path"])
    mesh, problem = _linear_problem(params["size"], "Q1", "mixed")
    same = (
        np.array_equal(mesh.points, data["points"])
        and np.array_equal(mesh.cells, data["cells"])
        and np.allclose(problem.shear_modulus, data["shear_modulus"], rtol=1e-14)
        and np.allclose(problem.bulk_modulus, data["bulk_modulus"], rtol=1e-14)
    )
    if not same:
        raise RuntimeError(
            f"{params['problem_path']} is stale (the tissue preset or mesh changed since "
            "it was exported): delete it and run again"
        )
    condition = DirichletCondition(data["fixed"], np.zeros(data["fixed"].size))
    load = data["load"]
    result: dict[str, Any] = {}

    def run() -> dict[str, Any]:
        start = time.perf_counter()
        matrix, rhs = apply_dirichlet(problem.stiffness(), load, condition)
        assembly = time.perf_counter() - start
        solver = make_solver(
            matrix,
            method=params["method"],
            rtol=RTOL,
            points=mesh.points,
            options=params.get("options"),
        )
        del matrix  # the solver holds its own copy (as DOLFINx holds one matrix)
        result["u"] = solver.solve(rhs)
        statistics = solver.statistics
        return {
            "method": solver.method,
            "assembly_seconds": assembly,
            "setup_seconds": statistics.setup_seconds,
            "solve_seconds": statistics.solve_seconds,
            "iterations": statistics.iterations[0],
            "relative_residual": statistics.relative_residuals[0],
        }

    def check() -> dict[str, Any]:
        np.save(params["solution_path"], result["u"])
        return {}

    return Prepared(run, check, info={"dofs": int(load.size)})


# --------------------------------------------------------------------------------------
# DOLFINx (Python 3.12, .venv-petsc)
# --------------------------------------------------------------------------------------
def dolfinx_solve(params: Mapping[str, Any]) -> Prepared:
    """DOLFINx 0.11 B-bar form, PETSc CG + GAMG (or MUMPS), on the exported problem.

    params: ``problem_path``, ``solution_path``, ``solver`` (``gamg`` or ``mumps``).
    GAMG: ``-pc_gamg_threshold 0.02``, Chebyshev/Jacobi smoothers, rigid-body near-null
    space, rtol 1e-8 on the unpreconditioned residual.
    """
    import dolfinx_solver  # noqa: F401  (sets MPI up before dolfinx)

    # isort: split
    import basix.ufl
    import dolfinx
    import dolfinx.fem.petsc
    import ufl
    from mpi4py import MPI
    from petsc4py import PETSc

    data = _read(params["problem_path"])
    points, cells = data["points"], data["cells"]
    element = basix.ufl.element("Lagrange", "hexahedron", 1, shape=(3,))
    domain = ufl.Mesh(element)
    mesh = dolfinx.mesh.create_mesh(MPI.COMM_SELF, cells, domain, points)
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    # tissue_sim node of each DOLFINx block dof (cell-wise geometry ↔ function dofs)
    geometry_dofs = mesh.geometry.dofmap
    function_dofs = space.dofmap.list
    node_of_dof = np.empty(space.dofmap.index_map.size_local, dtype=np.int64)
    original = np.asarray(mesh.geometry.input_global_indices, dtype=np.int64)
    node_of_dof[function_dofs.reshape(-1)] = original[geometry_dofs.reshape(-1)]
    unrolled = (3 * node_of_dof[:, None] + np.arange(3)).reshape(-1)  # ours, per their dof
    cell_original = np.asarray(mesh.topology.original_cell_index, dtype=np.int64)
    constants = dolfinx.fem.functionspace(mesh, ("DG", 0))
    shear = dolfinx.fem.Function(constants)
    bulk = dolfinx.fem.Function(constants)
    shear.x.array[:] = data["shear_modulus"][cell_original]
    bulk.x.array[:] = data["bulk_modulus"][cell_original]
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)

    def deviatoric(w: Any) -> Any:
        strain = ufl.sym(ufl.grad(w))
        return strain - ufl.tr(strain) / 3 * ufl.Identity(3)

    full = ufl.dx(metadata={"quadrature_degree": 2})
    one_point = ufl.dx(metadata={"quadrature_degree": 1})
    form = dolfinx.fem.form(
        2 * shear * ufl.inner(deviatoric(u), deviatoric(v)) * full
        + bulk * ufl.div(u) * ufl.div(v) * one_point
    )
    fixed = np.flatnonzero(data["fixed"][unrolled]).astype(np.int32)
    load = np.ascontiguousarray(data["load"][unrolled])
    coordinates = points[node_of_dof]
    result: dict[str, Any] = {}

    def run() -> dict[str, Any]:
        start = time.perf_counter()
        matrix = dolfinx.fem.petsc.assemble_matrix(form)
        matrix.assemble()
        diagonal = matrix.getDiagonal().array
        scale = float(np.mean(np.abs(np.delete(diagonal, fixed))))
        matrix.zeroRowsColumns(fixed, diag=scale)
        rhs = matrix.createVecLeft()
        rhs.array[:] = load
        rhs.array[fixed] = 0.0
        assembly = time.perf_counter() - start
        start = time.perf_counter()
        ksp = PETSc.KSP().create(MPI.COMM_SELF)
        ksp.setOperators(matrix)
        options = PETSc.Options()
        if params.get("solver", "gamg") == "mumps":
            settings = {
                "ksp_type": "preonly",
                "pc_type": "cholesky",
                "pc_factor_mat_solver_type": "mumps",
            }
        else:
            centred = coordinates - coordinates.mean(axis=0)
            x, y, z = centred.T
            modes = np.zeros((coordinates.shape[0], 3, 6))
            modes[:, 0, 0] = modes[:, 1, 1] = modes[:, 2, 2] = 1.0
            modes[:, 0, 3], modes[:, 1, 3] = -y, x
            modes[:, 1, 4], modes[:, 2, 4] = -z, y
            modes[:, 0, 5], modes[:, 2, 5] = z, -x
            basis, _ = np.linalg.qr(modes.reshape(-1, 6))
            vectors = []
            for column in basis.T:
                vector = matrix.createVecRight()
                vector.array[:] = column
                vectors.append(vector)
            matrix.setNearNullSpace(PETSc.NullSpace().create(vectors=vectors))
            settings = {
                "ksp_type": "cg",
                "ksp_norm_type": "unpreconditioned",
                "ksp_rtol": RTOL,
                "ksp_atol": 0.0,
                "ksp_max_it": 5000,
                "pc_type": "gamg",
                "pc_gamg_type": "agg",
                "pc_gamg_threshold": 0.02,
                "mg_levels_ksp_type": "chebyshev",
                "mg_levels_pc_type": "jacobi",
            }
        for key, value in settings.items():
            options[f"peer_{key}"] = value
        ksp.setOptionsPrefix("peer_")
        ksp.setFromOptions()
        ksp.setUp()
        setup = time.perf_counter() - start
        start = time.perf_counter()
        solution = matrix.createVecRight()
        ksp.solve(rhs, solution)
        solve = time.perf_counter() - start
        residual = matrix.createVecLeft()
        matrix.mult(solution, residual)
        residual.axpy(-1.0, rhs)
        ours = np.empty(load.size)
        ours[unrolled] = solution.array
        result["u"] = ours
        return {
            "method": f"dolfinx_{params.get('solver', 'gamg')}",
            "assembly_seconds": assembly,
            "setup_seconds": setup,
            "solve_seconds": solve,
            "iterations": int(ksp.getIterationNumber()),
            "converged_reason": int(ksp.getConvergedReason()),
            "relative_residual": float(residual.norm() / rhs.norm()),
        }

    def check() -> dict[str, Any]:
        np.save(params["solution_path"], result["u"])
        return {"dolfinx_version": dolfinx.__version__}

    return Prepared(run, check, info={"dofs": int(load.size)})


# --------------------------------------------------------------------------------------
# scikit-fem (Python 3.11, .venv)
# --------------------------------------------------------------------------------------
def scikit_fem_solve(params: Mapping[str, Any]) -> Prepared:
    """scikit-fem 12: the same B-bar form on ``MeshHex``, solved as scikit-fem documents.

    Deviatoric part with ``intorder=3`` (2×2×2 Gauss points), volumetric part with a
    one-point rule; constraints by ``condense``; CG (rtol 1e-8) preconditioned
    by pyamg smoothed aggregation with the rigid-body modes and the settings known to work
    for elasticity (ENVIRONMENT.md; scikit-fem 12 no longer ships ``build_pc_amg``).
    """
    import pyamg
    import skfem
    from skfem.helpers import ddot, div, sym_grad

    data = _read(params["problem_path"])
    points, cells = data["points"], data["cells"]
    # basix hex order (x fastest) → scikit-fem's MeshHex1 vertex order
    order = [0, 4, 2, 1, 6, 5, 3, 7]
    mesh = skfem.MeshHex(np.ascontiguousarray(points.T), np.ascontiguousarray(cells[:, order].T))
    element = skfem.ElementVector(skfem.ElementHex1())
    shear_cells, bulk_cells = data["shear_modulus"], data["bulk_modulus"]
    fixed, load = data["fixed"], data["load"]
    result: dict[str, Any] = {}

    @skfem.BilinearForm
    def deviatoric(u: Any, v: Any, w: Any) -> Any:
        def dev(tensor: Any) -> Any:
            trace = (tensor[0, 0] + tensor[1, 1] + tensor[2, 2]) / 3
            return tensor - trace * np.eye(3)[:, :, None, None]

        return 2 * w["mu"] * ddot(dev(sym_grad(u)), dev(sym_grad(v)))

    @skfem.BilinearForm
    def volumetric(u: Any, v: Any, w: Any) -> Any:
        return w["kappa"] * div(u) * div(v)

    def run() -> dict[str, Any]:
        start = time.perf_counter()
        full = skfem.Basis(mesh, element, intorder=3)
        # one point at the centre of the reference cube [0, 1]³ (intorder=1 gives 8)
        one = skfem.Basis(mesh, element, quadrature=(np.full((3, 1), 0.5), np.ones(1)))
        to_skfem = full.nodal_dofs.T.reshape(-1)  # our dof 3 a + c → scikit-fem dof
        mu = np.repeat(shear_cells[:, None], full.X.shape[1], axis=1)
        kappa = bulk_cells[:, None]
        matrix = skfem.asm(deviatoric, full, mu=mu) + skfem.asm(volumetric, one, kappa=kappa)
        rhs = np.zeros(load.size)
        rhs[to_skfem] = load
        fixed_skfem = to_skfem[np.flatnonzero(fixed)]
        condensed = skfem.condense(matrix, rhs, D=fixed_skfem)
        assembly = time.perf_counter() - start
        start = time.perf_counter()
        centred = points - points.mean(axis=0)
        x, y, z = centred.T
        modes = np.zeros((points.shape[0], 3, 6))
        modes[:, 0, 0] = modes[:, 1, 1] = modes[:, 2, 2] = 1.0
        modes[:, 0, 3], modes[:, 1, 3] = -y, x
        modes[:, 1, 4], modes[:, 2, 4] = -z, y
        modes[:, 0, 5], modes[:, 2, 5] = z, -x
        modes_skfem = np.empty((load.size, 6))
        modes_skfem[to_skfem] = modes.reshape(-1, 6)
        hierarchy = pyamg.smoothed_aggregation_solver(
            condensed[0],
            B=modes_skfem[condensed[3]],
            symmetry="symmetric",
            max_coarse=100,
            coarse_solver="splu",
        )
        preconditioner = hierarchy.aspreconditioner(cycle="V")
        setup = time.perf_counter() - start
        start = time.perf_counter()
        iterations = 0

        def count(_: Any) -> None:
            nonlocal iterations
            iterations += 1

        import scipy.sparse.linalg as spla

        reduced, info = spla.cg(
            condensed[0],
            condensed[1],
            rtol=RTOL,
            atol=0.0,
            M=preconditioner,
            maxiter=5000,
            callback=count,
        )
        solve = time.perf_counter() - start
        u = np.zeros(load.size)
        u[condensed[3]] = reduced
        residual = np.linalg.norm(condensed[1] - condensed[0] @ reduced) / np.linalg.norm(
            condensed[1]
        )
        result["u"] = u[to_skfem]
        return {
            "method": "scikit-fem + pyamg",
            "assembly_seconds": assembly,
            "setup_seconds": setup,
            "solve_seconds": solve,
            "iterations": iterations,
            "converged_reason": int(info),
            "relative_residual": float(residual),
        }

    def check() -> dict[str, Any]:
        np.save(params["solution_path"], result["u"])
        return {}

    return Prepared(run, check, info={"dofs": int(load.size)})


CASES = {
    "tissue_sim_solve": tissue_sim_solve,
    "dolfinx_solve": dolfinx_solve,
    "scikit_fem_solve": scikit_fem_solve,
}

if __name__ == "__main__":
    if sys.argv[1] == "export":
        print(export_problem(sys.argv[2], Path(sys.argv[3])))
    else:
        worker_main(CASES)
