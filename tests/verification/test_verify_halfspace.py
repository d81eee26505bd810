"""Point and patch loads on a deep block against half-space solutions.

Both cases run ``configs/verification/boussinesq.yaml`` (one homogeneous layer,
E = 50 kPa, nu = 0.45, a circle of radius a = 10 mm, block 40a wide and 20a deep on a
rigid base, Q1 mixed elements).

Finite-depth correction: the block rests on a rigid base at depth h = 20a. We compare
with the half-space displacement of the surface centre *relative to the point of the
axis at depth h*, w(0,0) − w(0,h): the base stops the column below it from moving, and
what remains is the compression of the layer above it. (The rigid base also restrains
lateral displacement; at h = 20a that effect is below the tolerance.)
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from tissue_sim import load_config
from tissue_sim.pipeline import run

CONFIG = "configs/verification/boussinesq.yaml"
P, A, E, NU, H = 10e3, 0.01, 50e3, 0.45, 0.2
G = E / (2 * (1 + NU))


def love_axis_settlement(z: float) -> float:
    """Love (1929): vertical displacement on the axis of a uniformly loaded circle [m]."""
    r = np.hypot(A, z)
    return 2 * P * (1 - NU**2) * (r - z) / E + P * (1 + NU) * z * (1 - z / r) / E


def cerruti_axis_displacement(z: float, q: float) -> float:
    """Tangential displacement on the axis under a uniform tangential traction q on the circle.

    Cerruti's point-force solution (Johnson, Contact Mechanics, eq. 2.18) integrated over
    the disc; at z = 0 it is (2 − nu) q a / (2 G).
    """

    def integrand(r: float) -> float:
        rho = np.hypot(r, z)
        return (
            0.5 / rho
            + 0.25 * r * r / rho**3
            + (1 - 2 * NU) * (0.5 / (rho + z) - 0.25 * r * r / (rho * (rho + z) ** 2))
        ) * r

    return q / G * quad(integrand, 0.0, A, limit=200)[0]


def _centre(result) -> int:
    return int(np.argmin(np.linalg.norm(result.mesh.points - [0.0, 0.0, H], axis=1)))


@pytest.fixture(scope="module")
def pressure_result():
    return run(load_config(CONFIG))


@pytest.fixture(scope="module")
def shear_result():
    overrides = ["loading.pressure=0 kPa", "loading.shear=10 kPa", "loading.shear_direction=0 deg"]
    return run(load_config(CONFIG, overrides))


def test_cerruti_formula_matches_its_closed_form_at_the_surface() -> None:
    assert cerruti_axis_displacement(1e-14, 1.0) == pytest.approx((2 - NU) * A / (2 * G), rel=1e-9)


def test_boussinesq_centre_settlement_within_3_percent(pressure_result) -> None:
    expected = love_axis_settlement(0.0) - love_axis_settlement(H)
    settlement = -pressure_result.mechanics.displacement[0, _centre(pressure_result), 2]
    assert settlement == pytest.approx(expected, rel=0.03)


def test_cerruti_centre_displacement_within_5_percent(shear_result) -> None:
    q = 10e3
    expected = cerruti_axis_displacement(1e-14, q) - cerruti_axis_displacement(H, q)
    displacement = shear_result.mechanics.displacement[0, _centre(shear_result), 0]
    assert displacement == pytest.approx(expected, rel=0.05)


def test_base_reaction_balances_the_applied_pressure(pressure_result) -> None:
    mech = pressure_result.mechanics
    applied = mech.applied_force[0]
    assert applied[2] == pytest.approx(-P * np.pi * A**2, rel=1e-3)
    # roller sides carry no vertical force: the base takes all of it
    assert mech.base_reaction[0, 2] == pytest.approx(-applied[2], rel=1e-8)
    assert np.abs(mech.base_reaction[0, :2]).max() < 1e-8 * abs(applied[2])
