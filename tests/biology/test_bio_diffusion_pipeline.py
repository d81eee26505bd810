"""Reaction–diffusion end to end (issue 15 item 2): mechanics → stimulus → biology on the
shipped ``configs/static_compression.yaml`` (the config that opts in with
``biology.diffusion: true``), against the same run with ``biology.diffusion: false``.

* The excess IL-6 of the pressed tissue (treated − untreated) spreads: the growth of its
  second spatial moment about its centre, per axis, is ``2 D τ`` to the order of magnitude
  (a quasi-steady source with first-order clearance ``1/τ``: ``kc − D∇²c = ks`` gives
  ``M₂(c) = M₂(s) + 2 D/k · M₀`` per axis), with D(IL-6) = 7.0e-8 cm²/s (the model file's
  assumption from D(TNF) = 5.2e-8 cm²/s, FACTS §8) and its T½β 0.38 h (FACTS §8).
* The diffusion moves the species without making or losing any (zero-flux walls): the total
  excess is unchanged while the cells' values move by much more.
* Treated ≤ untreated still holds in every layer (Bove 2016, Barbe 2021, Waters-Banker
  2014, FACTS §5–§6).
* ``biology.diffusion: false`` equals the run whose model files have no ``diffusion``
  entries, bit for bit; the diffusivities are recorded with their sources only when on.

Coarse mesh, one day; linear mechanics on CI (the claims are about the biology), and the
config's own finite-strain mechanics too off CI (``slow``; it passes the same checks).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.config import DEFAULT_CELL_MODELS
from tissue_sim.io import RunResult
from tissue_sim.pipeline import run

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "static_compression.yaml"
SHORT = ["mesh.size=coarse", "schedule.days=1"]
#: D(IL-6) [m²/s] of the model file and its clearance time 1/k = T½/ln 2 [s] (FACTS §8)
D_IL6 = 7.0e-8 * 1e-4
TAU_IL6 = 0.38 * 3600.0 / math.log(2.0)
SPECIES = ("il6", "il1b", "tnfa", "tgfb1_latent", "tgfb1_active", "myofibroblast", "m1")


def _run(*overrides: str, mechanics: tuple[str, ...]) -> RunResult:
    return run(load_config(CONFIG, [*SHORT, *mechanics, *overrides]))


@pytest.fixture(scope="module", params=["ci", pytest.param("finite", marks=pytest.mark.slow)])
def runs(request: pytest.FixtureRequest) -> dict[str, Any]:
    mechanics = ("mechanics.model=linear",) if request.param == "ci" else ()
    return {
        "on": _run(mechanics=mechanics),
        "off": _run("biology.diffusion=false", mechanics=mechanics),
        "mechanics": mechanics,
    }


def _excess(result: RunResult, species: str) -> np.ndarray:
    """Treated − untreated per cell at the end of day 1."""
    assert result.biology is not None
    return result.biology.fields[species][-1] - result.biology.control_fields[species][-1]


def _moments(result: RunResult, field: np.ndarray) -> tuple[float, np.ndarray]:
    """``M₀ = Σ V e`` and the per-axis second moment about the centre ``Σ V e (x − x̄)² / M₀``."""
    volume = result.mesh.cell_volume
    centre = result.mesh.points[result.mesh.linear_cells].mean(axis=1)
    mass = float(volume @ field)
    mean = (volume * field) @ centre / mass
    return mass, (volume * field) @ (centre - mean) ** 2 / mass


def test_the_shipped_config_opts_in_and_records_the_diffusivities(runs) -> None:
    """FACTS §8: D(TNF) = 5.2e-8, D(IL-10) = 3e-8 cm²/s, stored with their sources."""
    assert load_config(CONFIG).biology.diffusion is True
    assert load_config(ROOT / "configs" / "baseline.yaml").biology.diffusion is False
    on, off = runs["on"].biology, runs["off"].biology
    assert on is not None and off is not None
    tnf = on.parameters["macrophage_polarisation.tnfa.diffusivity"]
    assert tnf[0] == pytest.approx(5.2e-12, rel=1e-12) and tnf[1] == "m^2/s"
    assert "FACTS §8" in tnf[2]
    il10 = on.parameters["macrophage_polarisation.il10.diffusivity"]
    assert il10[0] == pytest.approx(3.0e-12, rel=1e-12)
    assert "assumption" in on.parameters["fibroblast_mechanotransduction.il6.diffusivity"][2]
    assert not any(key.endswith(".diffusivity") for key in off.parameters)
    assert on.statistics["distinct_points"] == on.statistics["points"]  # coupled cells


def test_the_excess_il6_spreads_by_2_d_tau_per_axis(runs) -> None:
    on, off = (_excess(runs[k], "il6") for k in ("on", "off"))
    assert np.max(np.abs(off)) > 1e-2  # the press changes IL-6
    assert np.max(np.abs(on - off)) > 1e-3  # and diffusion moves it
    _, spread_on = _moments(runs["on"], on)
    _, spread_off = _moments(runs["off"], off)
    growth = (spread_on - spread_off) / (2.0 * D_IL6 * TAU_IL6)
    assert np.all(growth > 0.2) and np.all(growth < 5.0), growth


def test_diffusion_moves_the_cytokines_without_making_any(runs) -> None:
    volume = runs["on"].mesh.cell_volume
    for name in ("il6", "il1b"):
        on, off = (_excess(runs[k], name) for k in ("on", "off"))
        moved = float(volume @ np.abs(on - off))
        assert moved > 1e-3 * float(volume @ np.abs(off))
        # the total excess changes only through the nonlinear coupling (TNF-α, M1)
        assert abs(float(volume @ on) - float(volume @ off)) < 2e-2 * moved, name


def test_treated_is_never_worse_than_untreated_with_diffusion(runs) -> None:
    """Bove 2016, Barbe 2021, Waters-Banker 2014 (FACTS §5–§6)."""
    biology = runs["on"].biology
    assert biology is not None and biology.control is not None
    for layer, species in biology.layers.items():
        for name in SPECIES:
            ratio = species[name][:, 0] / biology.control[layer][name][:, 0]
            assert np.all(ratio <= 1.0 + 2e-4), (layer, name, float(ratio.max()))


def test_diffusion_false_is_the_course_without_diffusion_bit_for_bit(runs, tmp_path: Path) -> None:
    """The model files without their ``diffusion`` entries give the same numbers as
    ``biology.diffusion: false``, not merely close."""
    paths = []
    for name in DEFAULT_CELL_MODELS:
        text = (ROOT / "models" / "cells" / f"{name}.yaml").read_text(encoding="utf-8")
        stripped = re.sub(r"\n    diffusion:\n(      .*\n)+", "\n", text)
        assert ("diffusion:" in text) == (stripped != text)
        path = tmp_path / f"{name}.yaml"
        path.write_text(stripped, encoding="utf-8")
        paths.append(str(path))
    plain = _run(
        "biology.diffusion=true",
        f"biology.models=[{', '.join(paths)}]",
        mechanics=runs["mechanics"],
    )
    off, plain_biology = runs["off"].biology, plain.biology
    assert off is not None and plain_biology is not None
    for name, values in off.fields.items():
        assert np.array_equal(values, plain_biology.fields[name]), name
        assert np.array_equal(off.control_fields[name], plain_biology.control_fields[name])
    for layer, species in off.layers.items():
        for name, values in species.items():
            assert np.array_equal(values, plain_biology.layers[layer][name]), (layer, name)


def test_check_refuses_tetrahedra_and_warns_on_unresolved_cells() -> None:
    """``tissue-sim check`` (``prepare``): with ``biology.diffusion: true`` a P1/P2 mesh is an
    InputError naming the key (the two-point flux is not consistent on tetrahedra); the
    shipped meshes (cells 1.5-6 mm) are ~30-100x √(D·Δt_split) = 52 µm (IL-10, the
    smallest D, FACTS §8; 900-s split) and warn; cells of 0.1 mm do not; without diffusion
    neither."""
    import warnings

    from tissue_sim.biology.simulate import DIFFUSION_STEP, check_diffusion_mesh
    from tissue_sim.errors import InputError
    from tissue_sim.pipeline import prepare

    for element in ("P1", "P2"):
        with pytest.raises(InputError, match="needs hexahedra") as error:
            prepare(load_config(CONFIG, [*SHORT, f"mesh.element={element}"]))
        assert error.value.key == "biology.diffusion"
        assert error.value.file is not None and error.value.file.endswith(CONFIG.name)
    with pytest.warns(UserWarning, match=r"115x .*il10.*52 um.*not resolved"):
        prepare(load_config(CONFIG, SHORT))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare(load_config(CONFIG, [*SHORT, "biology.diffusion=false", "mesh.element=P1"]))
        d = {"il10": 3e-12, "tnfa": 5.2e-12}
        assert check_diffusion_mesh("Q1", 1e-4, d, DIFFUSION_STEP) is None
        assert check_diffusion_mesh("P1", 1e-2, {}, DIFFUSION_STEP) is None
