"""Verification of the hyperelastic solver against exact and reference answers.

* homogeneous uniaxial tension/compression under a dead-load traction: the FE solution
  equals the material-point solution (whose stresses match the closed forms, see
  test_hyper_materials) to round-off;
* the small-load limit equals the linear mixed solution;
* no volumetric locking at ν ≈ 0.499, where the displacement formulation locks;
* mesh convergence of a 30 %-compression indentation;
* quadratic convergence of Newton's method;
* tension-only fibres: compressing a fascia block along its fibres gives the matrix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import root

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import make_solver
from tissue_sim.fem.surface import facet_quadrature, traction_load_vector
from tissue_sim.geometry.mesh import Mesh, structured_block_mesh
from tissue_sim.mechanics import FrameLoads, FrameSolution, NewtonSettings, SolidBody, solve_frames
from tissue_sim.mechanics.hyperelastic import (
    FibreReinforced,
    HyperelasticMaterial,
    NeoHookean,
    Ogden,
)

SKIN = NeoHookean(8.0e3, 666.67e3)  # FACTS §2, pressure-injury FE set (C10 = 4 kPa)
ADIPOSE = NeoHookean(0.8e3, 66.67e3)  # FACTS §2, same set (C10 = 0.4 kPa)
MUSCLE = Ogden((15.6e3,), (21.4,), 1.3e6)  # FACTS §2, Bosboom et al. 2001 (κ assumed)
FASCIA = FibreReinforced(2.0e3, 4.0e5, 5.0e4, 4.0, (math.radians(39.0), -math.radians(39.0)))


def _solve(
    body: SolidBody,
    loads: np.ndarray,
    condition: DirichletCondition,
    settings: NewtonSettings | None = None,
) -> FrameSolution:
    """Newton on dead nodal loads ``(K, n, 3)``."""
    solution, _ = solve_frames(body, FrameLoads.from_vectors(loads), condition, newton=settings)
    return solution


def _top_load(body: SolidBody, traction) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Dead nodal forces of a traction callable on the top surface ``(n, 3)`` [N]."""
    top = facet_quadrature(body.mesh, body.mesh.facets["top"])
    loads = FrameLoads.from_tractions(top, [traction], follower=False)
    return loads.dead_patterns(body.mesh.num_points)[0]


def _cube(element: str, n: int = 2, size: float = 10e-3) -> Mesh:
    axis = np.linspace(0.0, size, n + 1)
    return structured_block_mesh(
        axis, axis, axis, np.zeros(n, dtype=np.int32), ("tissue",), element=element
    )


def _symmetry_condition(mesh: Mesh) -> DirichletCondition:
    return DirichletCondition.homogeneous(
        mesh.num_points,
        [
            (mesh.nodes_on_face("x_min"), (0,)),
            (mesh.nodes_on_face("y_min"), (1,)),
            (mesh.nodes_on_face("bottom"), (2,)),
        ],
    )


def _homogeneous_stretches(material: HyperelasticMaterial, axis: int, nominal: float) -> np.ndarray:
    """diag(F) with P[axis, axis] = nominal and the two other normal stresses zero."""

    def equations(stretches: np.ndarray) -> np.ndarray:
        stress = material.first_piola_kirchhoff(np.diag(stretches))
        target = np.zeros(3)
        target[axis] = nominal
        return (np.diag(stress) - target) / material.shear_modulus

    solution = root(equations, np.ones(3), tol=1e-15)
    assert np.abs(equations(solution.x)).max() < 1e-13, solution.message
    return np.asarray(solution.x)


@pytest.mark.parametrize(
    ("material", "axis", "nominal"),
    [
        (SKIN, 2, 6.0e3),
        (SKIN, 2, -3.0e3),
        (MUSCLE, 2, 8.0e3),
        (MUSCLE, 2, -6.0e3),
        (FASCIA, 0, 8.0e3),
        (FASCIA, 2, -5.0e3),
    ],
    ids=[
        "neo_tension",
        "neo_compression",
        "ogden_tension",
        "ogden_compression",
        "hgo_along_x",
        "hgo_normal_compression",
    ],
)
def test_homogeneous_uniaxial_dead_load(
    material: HyperelasticMaterial, axis: int, nominal: float
) -> None:
    """A nominal traction on one face of a cube with symmetry conditions on the opposite."""
    mesh = _cube("Q1")
    problem = SolidBody(mesh, [material])
    face = {0: "x_max", 1: "y_max", 2: "top"}[axis]
    quadrature = facet_quadrature(mesh, mesh.facets[face], degree=2)
    traction = np.zeros(3)
    traction[axis] = nominal
    load = traction_load_vector(mesh, quadrature, lambda x: np.tile(traction, (x.shape[0], 1)))
    solution = _solve(problem, load[None], _symmetry_condition(mesh), NewtonSettings(rtol=1e-12))
    stretches = _homogeneous_stretches(material, axis, nominal)
    expected = mesh.points * (stretches - 1.0)
    error = np.abs(solution.displacement[0] - expected).max()
    assert error < 1e-9 * np.abs(expected).max()
    assert abs(stretches[axis] - 1.0) > 0.04  # a large deformation, not a linear one
    fields = problem.cell_fields(solution.displacement[0])
    cauchy = material.cauchy_stress(np.diag(stretches))
    np.testing.assert_allclose(fields.cauchy_stress[0], cauchy, atol=1e-8 * abs(nominal))


def _layered(element: str, n: int) -> Mesh:
    z = np.linspace(0.0, 12e-3, 3 * n + 1)
    layers = np.repeat(np.array([2, 1, 0], dtype=np.int32), n)
    axis = np.linspace(0.0, 20e-3, 2 * n + 1)
    return structured_block_mesh(
        axis, axis, z, layers, ("skin", "adipose", "muscle"), element=element
    )


def _patch_traction(scale: float):  # type: ignore[no-untyped-def]
    """A Gaussian normal pressure with some shear, centred on the top surface [Pa]."""

    def traction(x: np.ndarray) -> np.ndarray:
        bump = np.exp(-((x[:, 0] - 10e-3) ** 2 + (x[:, 1] - 10e-3) ** 2) / (5e-3) ** 2)
        return np.column_stack([0.3 * scale * bump, np.zeros_like(bump), -scale * bump])

    return traction


@pytest.mark.parametrize(("element", "n"), [("Q1", 2), ("Q2", 1), ("P1", 2), ("P2", 1)])
def test_small_load_limit_equals_linear_mixed_solution(element: str, n: int) -> None:
    mesh = _layered(element, n)
    problem = SolidBody(mesh, [SKIN, ADIPOSE, MUSCLE])
    condition = DirichletCondition.homogeneous(
        mesh.num_points, [(mesh.nodes_on_face("bottom"), (0, 1, 2))]
    )
    load = _top_load(problem, _patch_traction(0.5))  # 0.5 Pa: strains ~ 1e-4
    linear = problem.linearised()
    matrix, rhs = apply_dirichlet(linear.stiffness(), load.reshape(-1), condition)
    expected = make_solver(matrix, method="direct").solve(rhs).reshape(-1, 3)
    solution = _solve(problem, load[None], condition)
    difference = np.linalg.norm(solution.displacement[0] - expected) / np.linalg.norm(expected)
    assert difference < 1e-3
    # and it is a genuinely nonlinear solver: at 10⁴× the load (5 kPa) the answers part
    large = _solve(problem, 1e4 * load[None], condition).displacement[0]
    assert np.linalg.norm(large - 1e4 * expected) > 0.05 * np.linalg.norm(1e4 * expected)


def _pressed_layer(element: str, n: int, formulation: str) -> float:
    """Plane-strain slab (ν ≈ 0.499) under a smooth strip pressure: corner settlement [m]."""
    material = NeoHookean(1.0e3, 5.0e5)
    cells = n if element in ("Q1", "P1") else n // 2
    thickness = 10e-3 / (2 * n)
    mesh = structured_block_mesh(
        np.linspace(0.0, 10e-3, 2 * cells + 1),
        np.array([0.0, thickness]),
        np.linspace(0.0, 5e-3, cells + 1),
        np.zeros(cells, dtype=np.int32),
        ("adipose",),
        element=element,
    )
    problem = SolidBody(mesh, [material], formulation=formulation)
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[mesh.nodes_on_face("x_min"), 0] = True
    fixed[:, 1] = True

    def pressure(x: np.ndarray) -> np.ndarray:
        profile = np.where(x[:, 0] < 4e-3, np.cos(0.5 * np.pi * x[:, 0] / 4e-3) ** 2, 0.0)
        return np.column_stack([0.0 * profile, 0.0 * profile, -0.6e3 * profile])

    load = _top_load(problem, pressure)
    solution = _solve(
        problem, load[None], DirichletCondition(fixed.reshape(-1), 0.0 * load.reshape(-1))
    )
    top = mesh.nodes_on_face("top")
    corner = top[np.argmin(mesh.points[top, 0])]
    return float(solution.displacement[0][corner, 2])


def test_mixed_formulation_does_not_lock() -> None:
    reference = _pressed_layer("Q1", 16, "mixed")
    assert reference < -0.3e-3  # a settlement of 7 % of the layer under 0.6 μ
    assert _pressed_layer("Q1", 8, "mixed") == pytest.approx(reference, rel=0.01)
    assert _pressed_layer("Q2", 8, "mixed") == pytest.approx(reference, rel=0.02)
    assert abs(_pressed_layer("Q1", 8, "displacement")) < 0.6 * abs(reference)  # locks


def _indentation(element: str, n: int) -> tuple[float, float]:
    """Plane-strain cylindrical indentation to 30 % compression of a 5 mm adipose layer.

    Adipose (neo-Hookean) on muscle (Ogden); a smooth frictionless indenter profile
    ``w(x) = d cos²(πx/2R)`` prescribed on the top (R = 6 mm, d = 1.5 mm), symmetry at
    x = 0. Returns the indentation force and stored energy per unit depth [N/m, J/m].
    """
    cells = n if element == "Q1" else n // 2
    depth = 10e-3 / (2 * n)
    z = np.concatenate([np.linspace(0.0, 5e-3, cells + 1), np.linspace(5e-3, 10e-3, cells + 1)[1:]])
    mesh = structured_block_mesh(
        np.linspace(0.0, 20e-3, 4 * cells + 1),
        np.array([0.0, depth]),
        z,
        np.array([1] * cells + [0] * cells, dtype=np.int32),
        ("adipose", "muscle"),
        element=element,
    )
    problem = SolidBody(mesh, [ADIPOSE, MUSCLE])
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    values = np.zeros((mesh.num_points, 3))
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[mesh.nodes_on_face("x_min"), 0] = True
    fixed[:, 1] = True
    top = mesh.nodes_on_face("top")
    fixed[top, 2] = True
    x = mesh.points[top, 0]
    values[top, 2] = -0.3 * 5e-3 * np.where(x < 6e-3, np.cos(0.5 * np.pi * x / 6e-3) ** 2, 0.0)
    solution = _solve(
        problem,
        np.zeros((1, mesh.num_points, 3)),
        DirichletCondition(fixed.reshape(-1), values.reshape(-1)),
    )
    force = -solution.reactions[0][top, 2].sum() / depth
    energy = problem.stored_energy(solution.displacement[0]) / depth
    return force, energy


def test_mesh_convergence_of_a_large_indentation() -> None:
    forces, energies = zip(*(_indentation("Q1", n) for n in (2, 4, 8)), strict=True)
    force_rate = math.log2(abs(forces[0] - forces[1]) / abs(forces[1] - forces[2]))
    energy_rate = math.log2(abs(energies[0] - energies[1]) / abs(energies[1] - energies[2]))
    assert force_rate > 1.5  # O(h²) expected for Q1/P0
    assert energy_rate > 1.2
    # Richardson extrapolation of Q1 (order 2) agrees with a Q2 solution
    extrapolated = forces[2] + (forces[2] - forces[1]) / 3.0
    reference, _ = _indentation("Q2", 4)
    assert extrapolated == pytest.approx(reference, rel=5e-3)
    assert forces[2] == pytest.approx(reference, rel=0.02)


def test_newton_converges_quadratically() -> None:
    """Smooth laws (the tension-only fibre switch makes a problem only piecewise smooth)."""
    axis = np.linspace(0.0, 10e-3, 5)
    mesh = structured_block_mesh(
        axis,
        axis,
        np.linspace(0.0, 6e-3, 5),
        np.array([2, 2, 1, 0], dtype=np.int32),
        ("skin", "adipose", "muscle"),
        element="Q1",
    )
    problem = SolidBody(mesh, [SKIN, NeoHookean(2.0e3, 2.0e5), MUSCLE])
    condition = DirichletCondition.homogeneous(
        mesh.num_points, [(mesh.nodes_on_face("bottom"), (0, 1, 2))]
    )

    def traction(x: np.ndarray) -> np.ndarray:
        bump = np.exp(-((x[:, 0] - 5e-3) ** 2 + (x[:, 1] - 5e-3) ** 2) / (3e-3) ** 2)
        return np.column_stack([1.5e3 * np.ones_like(bump), 0 * bump, -3e3 * bump])

    solution = _solve(
        problem,
        _top_load(problem, traction)[None],
        condition,
        NewtonSettings(rtol=1e-11, linear_solver="direct", reuse_factorisation=False),
    )
    assert solution.newton is not None
    increment = solution.newton.frames[0].increments[-1]
    assert solution.newton.frames[0].cutbacks == 0
    relative = np.array(increment.residual_norms) / increment.reference_force
    assert increment.step_lengths[0] < 1.0  # the start is damped by the line search ...
    assert relative[-1] <= 1e-11
    # ... the end is Newton's quadratic phase: from 1e-3 to 1e-11 in at most 3 steps,
    last_large = int(np.flatnonzero(relative > 1e-3)[-1])
    assert relative.size - 1 - last_large <= 3
    tail = relative[last_large + 1 :]
    tail = tail[tail > 1e-13]  # (above round-off)
    assert tail.size >= 2
    assert np.all(tail[1:] <= 100.0 * tail[:-1] ** 2)  # r_{k+1} ≤ C r_k²
    r0, r1, r2 = relative[relative > 1e-13][-3:]
    assert math.log(r2 / r1) / math.log(r1 / r0) > 1.8  # estimated order
    fields = problem.cell_fields(solution.displacement[0])
    assert np.abs(fields.green_lagrange).max() > 0.1  # finite strain


def test_compressing_along_the_fibres_gives_the_matrix_response() -> None:
    """Uniaxial compression along x of a block with fibres along x: fibres stay slack."""
    fibre = FibreReinforced(2.0e3, 4.0e5, 5.0e4, 4.0, (0.0,))
    matrix = NeoHookean(2.0e3, 4.0e5)
    results = []
    for material in (fibre, matrix):
        for sign in (-1.0, 1.0):
            mesh = _cube("Q1")
            problem = SolidBody(mesh, [material])
            quadrature = facet_quadrature(mesh, mesh.facets["x_max"], degree=2)
            load = traction_load_vector(
                mesh, quadrature, lambda x, s=sign: np.tile([s * 1.0e3, 0.0, 0.0], (x.shape[0], 1))
            )
            solution = _solve(problem, load[None], _symmetry_condition(mesh))
            results.append(solution.displacement[0])
    compressed_fibre, stretched_fibre, compressed_matrix, stretched_matrix = results
    scale = np.abs(compressed_matrix).max()
    # both converged to 1e-12 of the load: the same state
    assert np.abs(compressed_fibre - compressed_matrix).max() < 1e-8 * scale
    # exactly: at the compressed state the fibres add no force at all
    mesh = _cube("Q1")
    fibre_force = SolidBody(mesh, [fibre]).internal_force(compressed_matrix)
    matrix_force = SolidBody(mesh, [matrix]).internal_force(compressed_matrix)
    assert np.abs(fibre_force - matrix_force).max() < 1e-12 * np.abs(matrix_force).max()
    assert np.abs(stretched_fibre).max() < 0.5 * np.abs(stretched_matrix).max()


def _indentation_problem(
    fraction: float, n: int = 4
) -> tuple[SolidBody, DirichletCondition, np.ndarray]:
    """The plane-strain indentation of ``_indentation`` at ``fraction`` of its 1.5 mm depth."""
    cells = n
    depth = 10e-3 / (2 * n)
    z = np.concatenate([np.linspace(0.0, 5e-3, cells + 1), np.linspace(5e-3, 10e-3, cells + 1)[1:]])
    mesh = structured_block_mesh(
        np.linspace(0.0, 20e-3, 4 * cells + 1),
        np.array([0.0, depth]),
        z,
        np.array([1] * cells + [0] * cells, dtype=np.int32),
        ("adipose", "muscle"),
    )
    body = SolidBody(mesh, [ADIPOSE, MUSCLE])
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    values = np.zeros((mesh.num_points, 3))
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[mesh.nodes_on_face("x_min"), 0] = True
    fixed[:, 1] = True
    top = mesh.nodes_on_face("top")
    fixed[top, 2] = True
    x = mesh.points[top, 0]
    profile = np.where(x < 6e-3, np.cos(0.5 * np.pi * x / 6e-3) ** 2, 0.0)
    values[top, 2] = -fraction * 0.3 * 5e-3 * profile
    return body, DirichletCondition(fixed.reshape(-1), values.reshape(-1)), top


def test_a_small_indentation_is_the_linear_indentation() -> None:
    """The finite-strain indentation at 1e-4 of its depth (0.15 µm) equals the linear
    mixed solution of the same prescribed indentation (displacements and punch force),
    and at the full depth (30 % compression) the two part."""
    small, condition, top = _indentation_problem(1e-4)
    zero = np.zeros((1, small.mesh.num_points, 3))
    finite = _solve(small, zero, condition, NewtonSettings(rtol=1e-10))
    linear, _ = solve_frames(small.linearised(), FrameLoads.from_vectors(zero), condition)
    scale = np.abs(linear.displacement).max()
    assert np.abs(finite.displacement - linear.displacement).max() < 1e-3 * scale
    force_finite = -finite.reactions[0][top, 2].sum()
    force_linear = -linear.reactions[0][top, 2].sum()
    assert force_finite == pytest.approx(force_linear, rel=1e-3)
    large, condition, top = _indentation_problem(1.0)
    zero = np.zeros((1, large.mesh.num_points, 3))
    finite = _solve(large, zero, condition)
    linear, _ = solve_frames(large.linearised(), FrameLoads.from_vectors(zero), condition)
    force_finite = -finite.reactions[0][top, 2].sum()
    force_linear = -linear.reactions[0][top, 2].sum()
    assert abs(force_finite - force_linear) > 0.05 * abs(force_linear)


def _homogeneous_compression(
    material: HyperelasticMaterial, pressure: float, *, follower: bool
) -> np.ndarray:
    """diag(F) of a free-standing block under a top pressure: σ_zz = −p (follower, per
    deformed area) or P_zz = −p (dead, per reference area), lateral stresses zero."""

    def equations(stretches: np.ndarray) -> np.ndarray:
        f = np.diag(stretches)
        if follower:
            stress = np.diag(material.cauchy_stress(f)) + np.array([0.0, 0.0, pressure])
        else:
            stress = np.diag(material.first_piola_kirchhoff(f)) + np.array([0.0, 0.0, pressure])
        return stress / material.shear_modulus

    solution = root(equations, np.array([1.05, 1.05, 0.9]), tol=1e-15)
    assert np.abs(equations(solution.x)).max() < 1e-12, solution.message
    return np.asarray(solution.x)


@pytest.mark.parametrize("follower", [True, False], ids=["follower", "dead"])
def test_a_pressed_block_follows_the_closed_form(follower: bool) -> None:
    """A cube on rollers (symmetry planes) pressed on top: homogeneous compression. A
    follower pressure p acts on the deformed (laterally grown) top, so σ_zz = −p; a dead
    one has P_zz = −p. Both closed forms are met to round-off, and they differ."""
    material = NeoHookean(2.0e3, 2.0e5)
    pressure = 1.5e3  # 0.75 μ: 30 % compression
    mesh = _cube("Q1")
    body = SolidBody(mesh, [material])
    top = facet_quadrature(mesh, mesh.facets["top"], degree=2)
    loads = FrameLoads.from_tractions(
        top, [lambda x: np.tile([0.0, 0.0, -pressure], (x.shape[0], 1))], follower=follower
    )
    solution, _ = solve_frames(
        body, loads, _symmetry_condition(mesh), newton=NewtonSettings(rtol=1e-12)
    )
    stretches = _homogeneous_compression(material, pressure, follower=follower)
    other = _homogeneous_compression(material, pressure, follower=not follower)
    assert abs(stretches[2] - other[2]) > 0.01  # the closed forms are told apart
    expected = mesh.points * (stretches - 1.0)
    assert np.abs(solution.displacement[0] - expected).max() < 1e-9 * np.abs(expected).max()
    fields = body.cell_fields(solution.displacement[0])
    sigma_zz = fields.cauchy_stress[:, 2, 2]
    if follower:
        np.testing.assert_allclose(sigma_zz, -pressure, rtol=1e-8)
        # the applied force is the pressure times the deformed top area
        area = (10e-3 * stretches[0]) * (10e-3 * stretches[1])
        assert solution.applied_force[0, 2] == pytest.approx(-pressure * area, rel=1e-9)
    else:
        assert solution.applied_force[0, 2] == pytest.approx(-pressure * 1e-4, rel=1e-9)


@pytest.mark.parametrize("element", ["Q1", "P2"])
def test_the_follower_load_tangent_matches_finite_differences(element: str) -> None:
    """∂f_ext/∂u of a follower pressure with friction shear on a deformed skin."""
    from tissue_sim.mechanics import SkinTraction, follower_load

    mesh = _layered(element, 1)
    top = facet_quadrature(mesh, mesh.facets["top"], degree=4, subdivisions=2)
    values = _patch_traction(3.0e3)(top.points.reshape(-1, 3)).reshape(top.points.shape)
    traction = SkinTraction(top, values)
    rng = np.random.default_rng(7)
    u = 3e-4 * rng.standard_normal((mesh.num_points, 3))
    load = follower_load(traction, mesh.points, u)
    assert load.blocks is not None
    n = 3 * mesh.num_points
    rows = (3 * load.rows[:, None, None] + np.arange(3)[None, :, None]) + 0 * np.arange(3)
    columns = (3 * load.columns[:, None, None] + 0 * np.arange(3)[None, :, None]) + np.arange(3)
    matrix = np.zeros((n, n))
    np.add.at(matrix, (rows.reshape(-1), columns.reshape(-1)), load.blocks.reshape(-1))
    direction = rng.standard_normal(u.shape)
    h = 1e-8
    plus = follower_load(traction, mesh.points, u + h * direction, tangent=False).force
    minus = follower_load(traction, mesh.points, u - h * direction, tangent=False).force
    difference = ((plus - minus) / (2 * h)).reshape(-1)
    product = matrix @ direction.reshape(-1)
    assert np.linalg.norm(difference - product) < 1e-6 * np.linalg.norm(product)
    # not symmetric: a follower load has no potential
    assert np.abs(matrix - matrix.T).max() > 1e-3 * np.abs(matrix).max()
    # in the reference configuration it is the dead load
    reference = follower_load(traction, mesh.points, np.zeros_like(u), tangent=False).force
    dead = traction.dead_load_vector(mesh.num_points)
    np.testing.assert_allclose(reference, dead, atol=1e-14 * np.abs(dead).max())


def test_a_rigidly_rotated_block_carries_its_follower_pressure_along() -> None:
    """Rotate a uniformly pressed, unconstrained block rigidly: the follower traction
    rotates with the skin (f(Qx) = Q f(x)), the dead one does not."""
    from tissue_sim.mechanics import SkinTraction, follower_load

    mesh = _cube("Q1")
    top = facet_quadrature(mesh, mesh.facets["top"], degree=2)
    values = np.tile([300.0, 0.0, -1.0e3], (*top.weights.shape, 1))
    traction = SkinTraction(top, values)
    angle = math.radians(30.0)
    rotation = np.array(
        [
            [math.cos(angle), 0.0, math.sin(angle)],
            [0.0, 1.0, 0.0],
            [-math.sin(angle), 0.0, math.cos(angle)],
        ]
    )
    u = mesh.points @ (rotation - np.eye(3)).T
    rotated = follower_load(traction, mesh.points, u, tangent=False).force
    reference = traction.dead_load_vector(mesh.num_points)
    np.testing.assert_allclose(
        rotated, reference @ rotation.T, atol=1e-12 * np.abs(reference).max()
    )


def test_a_collapsed_skin_facet_gives_a_non_finite_follower_load_not_an_exception() -> None:
    """Newton's method rejects a state whose residual is not finite (and cuts the increment
    back); the compiled follower kernel must report a collapsed facet that way (IEEE
    division, as the array formulation did) instead of raising ZeroDivisionError."""
    from tissue_sim.mechanics import SkinTraction, follower_load

    mesh = _cube("Q1")
    top = facet_quadrature(mesh, mesh.facets["top"], degree=2)
    traction = SkinTraction(top, np.tile([300.0, 0.0, -1.0e3], (*top.weights.shape, 1)))
    collapsed = -mesh.points  # every node at the origin: zero deformed area
    load = follower_load(traction, mesh.points, collapsed)
    assert not np.all(np.isfinite(load.force))
    finite = follower_load(traction, mesh.points, np.zeros_like(mesh.points))
    assert np.all(np.isfinite(finite.force))
