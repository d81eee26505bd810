"""Image regression of the figures: each picture against a stored small PNG, with a tolerance.

The pictures are drawn from the small synthetic run of :mod:`synthetic` (closed-form fields,
a user-named cell model), so they change only when the plotting code does — not when the
mechanics or the cell models change. Each picture is shrunk to :data:`WIDTH` pixels wide
(box filter: area averages, which absorbs sub-pixel differences of anti-aliased text and
lines) and compared with ``reference_figures/<name>.png`` pixel by pixel in RGB:

* the RMS difference must stay at most :data:`RMS_TOLERANCE` (of 255), and
* at most :data:`CHANGED_TOLERANCE` of the pixels may differ by more than
  :data:`CHANGED_LEVEL` in any channel.

On this machine a picture drawn again differs from its reference by RMS 0 exactly
(matplotlib with its bundled fonts and VTK's EGL software rendering are deterministic).
Measured real changes: only the wording of the panel titles, RMS 3.4; the loaded area
estimated instead of read (a result without load frames), RMS 6.5; another strain measure
on the same cut, RMS 9.2 (0.7 % changed pixels); the stroke's last frame instead of its
first, RMS 52; a panel fewer changes the picture's size. The tolerance sits below all of
them and leaves room for a different rendering library build.

The references were drawn with matplotlib 3.11.2, VTK 9.7.2 (pyvista 0.49.2, EGL) and
Pillow 13.0.0; another major version of these may draw differently enough to need new
references (the failure message names the versions in use).

**Regenerate** the references after an intended change of a figure with
``make update-figures`` (``TISSUE_SIM_UPDATE_FIGURES=1 pytest tests/viz/test_viz_regression.py``),
look at the new PNGs in ``tests/viz/reference_figures/`` and commit them. On a mismatch the
test writes the picture it drew and a difference image next to each other in its temporary
folder and names them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _standard_figures import STANDARD_FIGURES
from PIL import Image
from synthetic import synthetic_result

from tissue_sim.io import RunResult

REFERENCE = Path(__file__).resolve().parent / "reference_figures"
#: Width of the stored references and of the compared pictures [pixels].
WIDTH = 320
#: Largest RMS difference per channel allowed [of 255].
RMS_TOLERANCE = 2.0
#: Largest share of pixels allowed to differ by more than CHANGED_LEVEL.
CHANGED_TOLERANCE = 0.002
#: A pixel is changed when a channel differs by more than this [of 255].
CHANGED_LEVEL = 64
#: Set to 1 to rewrite the references instead of comparing (``make update-figures``).
UPDATE = os.environ.get("TISSUE_SIM_UPDATE_FIGURES", "") == "1"


def shrunk(path: Path) -> Image.Image:
    """The picture at :data:`WIDTH` pixels wide, RGB, area-averaged."""
    with Image.open(path) as picture:
        rgb = picture.convert("RGB")
    height = max(1, round(rgb.height * WIDTH / rgb.width))
    return rgb.resize((WIDTH, height), Image.Resampling.BOX)


@dataclass
class Difference:
    """How far a picture is from its reference."""

    rms: float
    changed: float
    same_size: bool

    @property
    def within_tolerance(self) -> bool:
        return self.same_size and self.rms <= RMS_TOLERANCE and self.changed <= CHANGED_TOLERANCE


def difference(picture: Image.Image, reference: Image.Image) -> Difference:
    """RMS difference [of 255] and share of changed pixels of two shrunk pictures."""
    if picture.size != reference.size:
        return Difference(float("inf"), 1.0, False)
    delta = np.abs(np.asarray(picture, dtype=float) - np.asarray(reference, dtype=float))
    rms = float(np.sqrt(np.mean(delta**2)))
    changed = float(np.mean(delta.max(axis=2) > CHANGED_LEVEL))
    return Difference(rms, changed, True)


def check_against_reference(path: Path, name: str, scratch: Path) -> None:
    """Compare one picture with its reference (or store it when updating)."""
    picture = shrunk(path)
    reference_path = REFERENCE / f"{name}.png"
    if UPDATE:
        REFERENCE.mkdir(parents=True, exist_ok=True)
        picture.save(reference_path, optimize=True)
        return
    if not reference_path.is_file():
        pytest.fail(f"no reference picture {reference_path}: run `make update-figures`")
    with Image.open(reference_path) as stored:
        reference = stored.convert("RGB")
    found = difference(picture, reference)
    if found.within_tolerance:
        return
    drawn = scratch / f"{name}_drawn.png"
    picture.save(drawn)
    if found.same_size:
        delta = np.abs(np.asarray(picture, dtype=int) - np.asarray(reference, dtype=int))
        Image.fromarray((255 - np.clip(4 * delta, 0, 255)).astype(np.uint8)).save(
            scratch / f"{name}_difference.png"
        )
        detail = f"RMS {found.rms:.2f} (≤ {RMS_TOLERANCE}), {found.changed:.2%} changed pixels"
    else:
        detail = f"size {picture.size} instead of {reference.size}"
    import matplotlib
    import vtk

    pytest.fail(
        f"{name}.png differs from {reference_path.name}: {detail}; drawn: {drawn}. If the "
        "change is intended, run `make update-figures` and commit the new reference "
        f"(drawn here with matplotlib {matplotlib.__version__}, VTK {vtk.VTK_VERSION})."
    )


@pytest.fixture(scope="module")
def synthetic() -> RunResult:
    return synthetic_result()


@pytest.fixture(scope="module")
def run_figures(synthetic: RunResult, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from tissue_sim.viz import write_figures

    return write_figures(synthetic, tmp_path_factory.mktemp("synthetic_figures"))


def test_the_synthetic_run_gets_every_standard_figure(run_figures: list[Path]) -> None:
    assert [path.stem for path in run_figures] == list(STANDARD_FIGURES)


@pytest.mark.parametrize("name", STANDARD_FIGURES)
def test_run_figure_matches_its_reference(
    run_figures: list[Path], name: str, tmp_path: Path
) -> None:
    path = next(path for path in run_figures if path.stem == name)
    check_against_reference(path, name, tmp_path)


@dataclass
class _Summary:
    """A two-parameter grid sweep (closed form) for the sweep plots."""

    name: str = "synthetic_sweep"
    design: str = "grid"
    axes: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"path": "loading.pressure", "kind": "float", "label": "pressure [kPa]"},
            {"path": "tissue.thickness", "kind": "float", "label": "thickness [mm]"},
        ]
    )
    parameters: list[list[Any]] = field(
        default_factory=lambda: [[p, t] for p in (5.0, 10.0, 20.0) for t in (10.0, 20.0)]
    )
    sensitivity: dict[str, Any] = field(default_factory=dict)
    morris: dict[str, Any] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"name": "fascia strain p90", "unit": "1"},
            {"name": "cytokine X", "unit": "× healthy"},
        ]
    )

    @property
    def values(self) -> np.ndarray:
        table = np.array(self.parameters, dtype=float)
        strain = 0.01 * table[:, 0] / table[:, 1]
        values = np.column_stack([strain, 1.0 - 2.0 * strain])
        values[-1, 1] = np.nan  # a run that did not finish: grey in the heat map
        return values

    @property
    def output_labels(self) -> list[str]:
        return [
            f"{o['name']} [{o['unit']}]" if o["unit"] != "1" else o["name"] for o in self.outputs
        ]


@pytest.fixture(scope="module")
def sweep_figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    from tissue_sim.sweep.plots import plot_summary

    yield plot_summary(_Summary(), tmp_path_factory.mktemp("sweep_plots"))


@pytest.mark.parametrize(
    ("name", "file"),
    [("sweep_dose_response", "dose_response_loading.pressure"), ("sweep_heatmap", "heatmap")],
)
def test_sweep_plot_matches_its_reference(
    sweep_figures: list[Path], name: str, file: str, tmp_path: Path
) -> None:
    path = next(path for path in sweep_figures if path.stem == file)
    check_against_reference(path, name, tmp_path)


@pytest.mark.skipif(UPDATE, reason="the references are being rewritten")
def test_a_changed_figure_is_caught(synthetic: RunResult, tmp_path: Path) -> None:
    """The tolerance lets nothing real through: another measure on the same cut, or a panel
    fewer, is far outside it."""
    from tissue_sim.viz.biology_figures import plot_time_courses
    from tissue_sim.viz.mechanics_figures import plot_strain_cut

    with Image.open(REFERENCE / "strain_cut.png") as stored:
        cut_reference = stored.convert("RGB")
    shear = plot_strain_cut(synthetic, tmp_path / "shear.png", measure="max_shear_strain")
    found = difference(shrunk(shear), cut_reference)
    assert found.same_size and not found.within_tolerance
    assert found.rms > 2 * RMS_TOLERANCE
    with Image.open(REFERENCE / "time_courses.png") as stored:
        courses_reference = stored.convert("RGB")
    fewer = plot_time_courses(synthetic, tmp_path / "fewer.png", species=["cytokine_x", "cell_b"])
    assert not difference(shrunk(fewer), courses_reference).within_tolerance


def test_references_are_small() -> None:
    files = sorted(REFERENCE.glob("*.png"))
    assert {path.stem for path in files} == {
        *STANDARD_FIGURES,
        "sweep_dose_response",
        "sweep_heatmap",
    }
    for path in files:
        assert path.stat().st_size < 50_000, f"{path.name}: {path.stat().st_size} bytes"
