"""The finite-strain path through the whole pipeline (mechanics.model: hyperelastic)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.errors import InputError
from tissue_sim.pipeline import prepare, run, run_to_directory


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    scenario = load_config(
        "configs/deep_friction.yaml", ["mesh.size=coarse", "schedule.days=1", "loading.frames=4"]
    )
    out = tmp_path_factory.mktemp("deep")
    return run_to_directory(scenario, out, figures=False, report=False)


def test_finite_strain_outputs_are_written(deep) -> None:
    result, path = deep
    mech = result.mechanics
    assert mech.model == "hyperelastic"
    for name in ("max_hencky_strain", "max_principal_stretch", "fibre_stretch", "volume_ratio"):
        assert name in mech.cell_scalars
        assert np.all(np.isfinite(mech.cell_scalars[name]))
    # nearly incompressible layers: the volume ratio stays close to one
    volume_ratio = mech.cell_scalars["volume_ratio"]
    assert np.all(volume_ratio > 0.8) and np.all(volume_ratio < 1.2)
    # Green-Lagrange strain and principal stretches agree: E1 = (λ1² − 1)/2
    stretch = mech.cell_scalars["max_principal_stretch"]
    assert np.allclose(
        mech.cell_scalars["max_principal_strain"], 0.5 * (stretch**2 - 1.0), rtol=1e-8, atol=1e-10
    )
    assert all(frame["newton_iterations"] >= 1 for frame in mech.solver["newton"])
    with h5py.File(path) as f:
        assert f["mechanics"].attrs["model"] == "hyperelastic"
        assert f["mechanics/cell/max_hencky_strain"].attrs["units"] == "1"
    # equilibrium: the base and the roller sides balance the fingertip's vertical load
    assert mech.base_reaction[:, 2] == pytest.approx(-mech.applied_force[:, 2], rel=1e-6)


def test_finite_strain_is_softer_than_linear_under_deep_pressure(deep) -> None:
    result, _ = deep
    linear = run(
        load_config(
            "configs/deep_friction.yaml",
            [
                "mesh.size=coarse",
                "schedule.days=1",
                "loading.frames=4",
                "mechanics.model=linear",
                "biology.enabled=false",
            ],
        )
    )
    depth_hyper = -result.mechanics.displacement[..., 2].min()
    depth_linear = -linear.mechanics.displacement[..., 2].min()
    assert depth_hyper < 0.7 * depth_linear


def test_a_layer_without_a_hyperelastic_law_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(
        "tissue:\n  size: ['4 cm', '4 cm']\n  layers:\n"
        "    gel: {thickness: '1 cm', youngs_modulus: '10 kPa', poisson_ratio: 0.45}\n"
        "mechanics: {model: hyperelastic}\n"
        "loading: {technique: static_compression,\n"
        "          patch: {radius: '5 mm', centre: ['0 cm', '0 cm']}}\n"
    )
    with pytest.raises(InputError, match=r"tissue\.layers\.gel\.hyperelastic"):
        prepare(load_config(path))


def test_a_linear_run_outside_small_strain_says_so_with_the_number() -> None:
    """5 kPa on a 4 x 4 cm lumbar block: linear elasticity strains the fat far beyond 5 %
    (session.py, "Validity of small strain"); the summary carries the warning with the
    layer and the number, the CLI/report lines repeat it; finite strain has none and
    reports Newton's iterations per frame instead."""
    from tissue_sim.mechanics.session import SMALL_STRAIN_LIMIT, summary_lines

    base = [
        "mesh.size=coarse",
        "tissue.size=[4 cm, 4 cm]",
        "loading.pressure=5 kPa",
        "biology.enabled=false",
    ]
    linear = run(load_config("configs/static_compression.yaml", [*base, "mechanics.model=linear"]))
    solver = linear.mechanics.solver
    scalars = linear.mechanics.cell_scalars
    peak = max(
        np.abs(scalars["max_principal_strain"]).max(),
        np.abs(scalars["min_principal_strain"]).max(),
    )
    assert solver["peak_strain"] == pytest.approx(peak)
    assert solver["peak_strain"] > SMALL_STRAIN_LIMIT and solver["outside_small_strain"]
    warning = solver["small_strain_warning"]
    assert warning.startswith(f"linear elasticity: {solver['peak_strain_layer']} max principal")
    assert f"{solver['peak_strain']:.0%}" in warning and "mechanics.model: hyperelastic" in warning
    assert summary_lines(solver) == [f"warning: {warning}"]

    finite = run(
        load_config("configs/static_compression.yaml", [*base, "mechanics.model=hyperelastic"])
    )
    solver = finite.mechanics.solver
    assert not solver["outside_small_strain"] and solver["small_strain_warning"] == ""
    (line,) = summary_lines(solver)
    per_frame = " ".join(str(int(n)) for n in solver["newton_iterations_per_frame"])
    assert line.startswith(f"finite strain: Newton iterations per frame {per_frame} ")
