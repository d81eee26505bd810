"""The hyperelastic FE problem: consistent tangent, patch test, output fields, inversion."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.fem.reference import reference_element
from tissue_sim.fem.surface import facet_quadrature
from tissue_sim.geometry.mesh import InvertedElementError, Mesh, structured_block_mesh
from tissue_sim.mechanics import FrameLoads, NewtonSettings, SolidBody, solve_frames
from tissue_sim.mechanics.hyperelastic import FibreReinforced, NeoHookean, Ogden

LAYERS = ("skin", "fascia", "muscle")
MATERIALS = [
    NeoHookean(8.0e3, 4.0e5),
    FibreReinforced(2.0e3, 2.0e5, 1.0e4, 3.0, (math.radians(39.0), -math.radians(39.0))),
    Ogden((5.0e3,), (8.0,), 3.0e5),
]
ELEMENTS = ["Q1", "Q2", "P1", "P2"]


def layered_mesh(element: str, n: int = 2) -> Mesh:
    """A 2 × 2 × 3 mm block, one grid slab per layer unit: muscle, fascia, skin (top)."""
    z = np.linspace(0.0, 3e-3, 3 * n + 1)
    layer_by_z = np.repeat(np.array([2, 1, 0], dtype=np.int32), n)
    axis = np.linspace(0.0, 2e-3, n + 1)
    return structured_block_mesh(axis, axis, z, layer_by_z, LAYERS, element=element)


def distorted(mesh: Mesh, amount: float, seed: int = 0) -> Mesh:
    """Move interior vertices randomly; higher-order nodes follow the (linear) cell map."""
    rng = np.random.default_rng(seed)
    lower, upper = mesh.points.min(axis=0), mesh.points.max(axis=0)
    vertices = mesh.points[: mesh.num_vertices].copy()
    interior = np.all((vertices > lower + 1e-12) & (vertices < upper - 1e-12), axis=1)
    spacing = (upper - lower).min() / 6.0
    vertices[interior] += amount * spacing * rng.uniform(-1.0, 1.0, (interior.sum(), 3))
    element = reference_element(mesh.element)
    coordinate_values, _ = element.tabulate_coordinate(np.asarray(element.element.points))
    points = np.empty_like(mesh.points)
    cell_points = np.einsum("nv,evi->eni", coordinate_values, vertices[mesh.linear_cells()])
    points[mesh.cells.reshape(-1)] = cell_points.reshape(-1, 3)
    return dataclasses.replace(mesh, points=points)


@pytest.mark.parametrize("element", ELEMENTS)
@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
def test_tangent_matches_finite_differences(element: str, formulation: str) -> None:
    mesh = distorted(layered_mesh(element), 0.2)
    problem = SolidBody(mesh, MATERIALS, formulation=formulation)
    rng = np.random.default_rng(1)
    u = 5e-5 * rng.standard_normal((mesh.num_points, 3))
    evaluation = problem.evaluate(u, tangent=True, energy=True)
    assert evaluation.tangent is not None and evaluation.energy is not None
    matrix = evaluation.tangent.toarray()
    direction = rng.standard_normal(u.shape)
    h = 1e-9
    difference = (
        problem.internal_force(u + h * direction) - problem.internal_force(u - h * direction)
    ) / (2 * h)
    product = matrix @ direction.reshape(-1)
    assert np.linalg.norm(difference.reshape(-1) - product) < 1e-6 * np.linalg.norm(product)
    # the internal force is the gradient of the stored energy
    slope = (
        problem.stored_energy(u + h * direction) - problem.stored_energy(u - h * direction)
    ) / (2 * h)
    expected = float(evaluation.internal_force.reshape(-1) @ direction.reshape(-1))
    assert slope == pytest.approx(expected, rel=1e-6)
    assert np.abs(matrix - matrix.T).max() <= 1e-12 * np.abs(matrix).max()


def test_reference_state_is_stress_free() -> None:
    problem = SolidBody(layered_mesh("Q1"), MATERIALS)
    evaluation = problem.evaluate(np.zeros((problem.mesh.num_points, 3)), energy=True)
    # (round-off only: 1 N/m² on this 4 mm² surface would be 4e-6 N)
    assert np.abs(evaluation.internal_force).max() < 1e-15
    assert evaluation.energy == pytest.approx(0.0, abs=1e-20)


HOMOGENEOUS = np.array([[1.15, 0.10, 0.02], [-0.04, 0.92, 0.08], [0.03, -0.05, 0.97]])


@pytest.mark.parametrize("element", ELEMENTS)
@pytest.mark.parametrize("law", [0, 1, 2], ids=["neo_hookean", "hgo", "ogden"])
def test_patch_test_reproduces_a_homogeneous_large_deformation(element: str, law: int) -> None:
    """Boundary nodes follow x = F X on a distorted mesh: the interior must follow exactly.

    One law in all three layers (with different laws, traction continuity across the
    interfaces rules out a homogeneous state).
    """
    mesh = distorted(layered_mesh(element, n=2), 0.25, seed=4)
    material = MATERIALS[law]
    problem = SolidBody(mesh, [material] * 3)
    exact = mesh.points @ (HOMOGENEOUS - np.eye(3)).T
    boundary = np.unique(
        np.concatenate([mesh.nodes_on_face(name) for name in ("sides", "top", "bottom")])
    )
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    fixed[boundary] = True
    condition = DirichletCondition(fixed.reshape(-1), np.where(fixed, exact, 0.0).reshape(-1))
    solution, _ = solve_frames(
        problem,
        FrameLoads.from_vectors(np.zeros((1, mesh.num_points, 3))),
        condition,
        newton=NewtonSettings(rtol=1e-12),
    )
    interior = np.setdiff1d(np.arange(mesh.num_points), boundary)
    assert interior.size > 0
    error = np.abs(solution.displacement[0][interior] - exact[interior]).max()
    assert error < 1e-10 * np.abs(exact).max()
    fields = problem.cell_fields(solution.displacement[0])
    expected_stress = material.cauchy_stress(HOMOGENEOUS)
    np.testing.assert_allclose(
        fields.cauchy_stress,
        np.broadcast_to(expected_stress, (mesh.num_cells, 3, 3)),
        atol=1e-8 * np.abs(expected_stress).max(),
    )
    np.testing.assert_allclose(
        fields.energy_density, material.strain_energy(HOMOGENEOUS), rtol=1e-8
    )


def test_cell_fields_of_a_homogeneous_state() -> None:
    mesh = layered_mesh("Q2", n=1)
    problem = SolidBody(mesh, MATERIALS)
    u = mesh.points @ (HOMOGENEOUS - np.eye(3)).T
    fields = problem.cell_fields(u)
    c = HOMOGENEOUS.T @ HOMOGENEOUS
    green = 0.5 * (c - np.eye(3))
    stretches = np.sqrt(np.linalg.eigvalsh(c))[::-1]
    np.testing.assert_allclose(fields.green_lagrange, np.broadcast_to(green, (3, 3, 3)), atol=1e-14)
    np.testing.assert_allclose(fields.strain, fields.green_lagrange)
    np.testing.assert_allclose(fields.principal_stretches, np.tile(stretches, (3, 1)), atol=1e-13)
    np.testing.assert_allclose(fields.hencky_principal, np.log(fields.principal_stretches))
    np.testing.assert_allclose(fields.volume_ratio, np.linalg.det(HOMOGENEOUS), rtol=1e-13)
    fascia = mesh.cell_layer == 1
    directions = MATERIALS[1].fibre_directions
    np.testing.assert_allclose(
        fields.fibre_stretch[fascia][0], np.linalg.norm(directions @ HOMOGENEOUS.T, axis=1)
    )
    np.testing.assert_array_equal(fields.fibre_stretch[~fascia], 1.0)
    sigma = fields.cauchy_stress[0]
    assert fields.pressure[0] == pytest.approx(-np.trace(sigma) / 3.0)
    np.testing.assert_allclose(fields.stress, fields.cauchy_stress)
    frames = problem.cell_fields(np.stack([np.zeros_like(u), u]))
    assert frames.green_lagrange.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(frames.green_lagrange[0], 0.0, atol=1e-16)
    np.testing.assert_allclose(frames.cauchy_stress[1], fields.cauchy_stress)
    assert problem.cell_fibre_directions().shape == (3, 2, 3)


@pytest.mark.parametrize("element", ["Q1", "P1"])
def test_inversion_names_the_layer(element: str) -> None:
    mesh = layered_mesh(element)
    problem = SolidBody(mesh, MATERIALS)
    u = np.zeros((mesh.num_points, 3))
    top = mesh.nodes_on_face("top")
    u[top, 2] = -2.0e-3  # the top slab (skin, 0.5 mm thick) pushed through itself
    with pytest.raises(InvertedElementError, match=r"in layer 'skin' .*first: cell \d+"):
        problem.evaluate(u)


def test_constructor_and_load_checks() -> None:
    mesh = layered_mesh("Q1")
    with pytest.raises(ValueError, match="one material per layer"):
        SolidBody(mesh, MATERIALS[:2])
    with pytest.raises(ValueError, match="formulation"):
        SolidBody(mesh, MATERIALS, formulation="fbar")
    with pytest.raises(ValueError, match="mix small-strain"):
        SolidBody(mesh, [MATERIALS[0], MATERIALS[1], MATERIALS[2].small_strain_material()])
    problem = SolidBody(mesh, MATERIALS, cache_geometry=False)
    with pytest.raises(ValueError, match="nodal displacements"):
        problem.evaluate(np.zeros((3, 3)))
    # a uniform pressure on the top gives its total force
    top = facet_quadrature(mesh, mesh.facets["top"])
    loads = FrameLoads.from_tractions(
        top, [lambda x: np.tile([0.0, 0.0, -1.0e3], (x.shape[0], 1))], follower=False
    )
    forces = loads.dead_patterns(mesh.num_points)[0]
    assert forces[:, 2].sum() == pytest.approx(-1.0e3 * 4e-6)
    assert problem.cell_volumes().sum() == pytest.approx(12e-9)
    assert len(problem.small_strain_materials()) == 3


@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
def test_kept_element_matrices_leave_the_residual_exact(formulation: str) -> None:
    """With ``tangent_tolerance``, cells whose F moved less than it keep their element
    matrices: tolerance 0 reproduces the tangent exactly, a small tolerance changes it by
    about that much, and the internal forces are always exact."""
    mesh = distorted(layered_mesh("Q1"), 0.2)
    rng = np.random.default_rng(1)
    first = 5e-5 * rng.standard_normal((mesh.num_points, 3))
    second = first + 1e-6 * rng.standard_normal((mesh.num_points, 3))
    second[: mesh.num_points // 2] = first[: mesh.num_points // 2]
    exact = SolidBody(mesh, MATERIALS, formulation=formulation)
    reference = exact.evaluate(second)
    assert reference.tangent is not None
    size = np.abs(reference.tangent.toarray()).max()
    for tolerance, bound in ((0.0, 1e-14), (1e-3, 1e-3)):
        body = SolidBody(mesh, MATERIALS, formulation=formulation, tangent_tolerance=tolerance)
        body.evaluate(first)
        kept = body.evaluate(second)
        assert kept.tangent is not None
        error = np.abs((kept.tangent - reference.tangent).toarray()).max() / size
        assert error <= bound
        np.testing.assert_array_equal(kept.internal_force, reference.internal_force)
    assert error > 0.0  # some cells really kept stale matrices
    with pytest.raises(ValueError, match="tangent_tolerance"):
        SolidBody(mesh, MATERIALS, tangent_tolerance=-1.0)


@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
def test_kept_element_matrices_follow_fibres_going_taut(formulation: str) -> None:
    """Tension-only fibres: the tangent jumps by ``4 k₁ H⊗H`` as a family goes taut, for
    any small stretch. From the reference state (fibres just slack) a 1e-5 in-plane
    stretch moves F far less than the tolerance, yet every fibre cell must be
    re-evaluated: the kept tangent equals the fresh one (it was ~50 % off when only
    the size of ΔF decided)."""
    mesh = layered_mesh("Q1")
    stretch = np.diag([1.0e-5, 1.0e-5, -2.0e-5])
    u = mesh.points @ stretch.T
    reference = SolidBody(mesh, MATERIALS, formulation=formulation).evaluate(u)
    body = SolidBody(mesh, MATERIALS, formulation=formulation, tangent_tolerance=1e-3)
    body.evaluate(np.zeros_like(u))
    kept = body.evaluate(u)
    assert reference.tangent is not None and kept.tangent is not None
    size = np.abs(reference.tangent.toarray()).max()
    error = np.abs((kept.tangent - reference.tangent).toarray()).max() / size
    assert error <= 1e-4
    material = MATERIALS[1]
    assert isinstance(material, FibreReinforced)
    taut = material.tangent_regime(np.eye(3) + stretch)
    assert int(taut) == 0b11 and int(material.tangent_regime(np.eye(3))) == 0


def test_cell_fields_of_the_last_evaluated_state_reuse_its_stresses() -> None:
    mesh = layered_mesh("Q1")
    problem = SolidBody(mesh, MATERIALS)
    u = mesh.points @ (HOMOGENEOUS - np.eye(3)).T
    fresh = problem.cell_fields(u)
    problem.evaluate(u, tangent=False)
    cached = problem.cell_fields(u)
    for name in ("strain", "stress", "energy_density", "volume_ratio", "fibre_stretch"):
        np.testing.assert_array_equal(getattr(cached, name), getattr(fresh, name))
