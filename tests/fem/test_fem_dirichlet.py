"""Dirichlet conditions on 3×3 BSR matrices: the constrained copy, reused entry positions."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet


def _matrix(seed: int, blocks: int) -> sp.bsr_matrix:
    """A random symmetric 3×3-block matrix with a random block pattern (diagonal kept)."""
    rng = np.random.default_rng(seed)
    pattern = sp.random(blocks, blocks, density=0.3, random_state=seed) + sp.eye(blocks)
    pattern = (pattern + pattern.T).tocsr()
    dense = np.kron(pattern.toarray() != 0, np.ones((3, 3))) * rng.normal(size=(3 * blocks,) * 2)
    dense = dense + dense.T + np.diag(np.full(3 * blocks, 10.0))
    return sp.bsr_matrix(dense, blocksize=(3, 3))


def _expected(
    matrix: sp.bsr_matrix, rhs: np.ndarray, fixed: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    dense = matrix.toarray()
    scale = np.mean(np.abs(np.diag(dense)[~fixed]))
    lifted = rhs - dense @ np.where(fixed, values, 0.0)
    dense[fixed, :] = 0.0
    dense[:, fixed] = 0.0
    dense[fixed, fixed] = scale
    lifted[fixed] = scale * values[fixed]
    return dense, lifted


def test_constrained_copies_match_the_dense_construction_across_patterns_and_masks() -> None:
    """Alternating two patterns and two masks (the entry positions of the last pattern
    and mask are kept between calls): every result equals the dense construction and
    the input matrix is left unchanged."""
    rng = np.random.default_rng(3)
    matrices = [_matrix(1, 7), _matrix(2, 7)]
    assert not np.array_equal(matrices[0].indices, matrices[1].indices)
    masks = [rng.random(21) < 0.3, rng.random(21) < 0.5]
    for matrix, fixed in [(m, f) for f in masks for m in matrices] * 2:
        values = np.where(fixed, rng.normal(size=21), 0.0)
        rhs = rng.normal(size=21)
        before = matrix.data.copy()
        constrained, lifted = apply_dirichlet(matrix, rhs, DirichletCondition(fixed, values))
        dense, expected_rhs = _expected(matrix, rhs, fixed, values)
        np.testing.assert_allclose(constrained.toarray(), dense, rtol=0, atol=1e-12)
        np.testing.assert_allclose(lifted, expected_rhs, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(matrix.data, before)
