"""``tissue-sim view`` and ``tissue-sim report``: pictures, defaults and exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from _standard_figures import STANDARD_FIGURES
from PIL import Image

from tissue_sim.cli import main


@pytest.fixture
def result_copy(baseline_file: Path, tmp_path: Path) -> Path:
    """The baseline ``result.h5`` alone in a fresh folder."""
    target = tmp_path / "run" / "result.h5"
    target.parent.mkdir()
    shutil.copy(baseline_file, target)
    return target


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as picture:
        return picture.size


def test_view_writes_the_strain_picture_beside_the_result(
    result_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", str(result_copy)]) == 0
    written = list(result_copy.parent.glob("view_max_principal_strain_frame*.png"))
    assert len(written) == 1
    assert _size(written[0]) == (1400, 900)
    assert str(written[0]) in capsys.readouterr().out


def test_view_a_biology_field_at_a_time(result_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "m2.png"
    assert (
        main(
            ["view", str(result_copy), "--field", "m2_fraction", "--time", "1 d", "-o", str(output)]
        )
        == 0
    )
    with Image.open(output) as picture:
        pixels = np.asarray(picture.convert("RGB"), dtype=float)
    assert pixels.std() > 20.0  # a rendered scene, not an empty window


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--field", "nothing"], "no field 'nothing'"),
        (["--frame", "500"], "no frame 500"),
        (["--field", "il6", "--time", "30 d"], "no biology field at 30 d"),
        (["--field", "il6", "--time", "soon"], "--time"),
        (["-o", "picture.jpg"], "PNG"),
    ],
)
def test_view_mistakes_exit_with_code_2(
    result_copy: Path, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", str(result_copy), *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_view_and_report_of_a_missing_file_exit_with_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.h5"
    assert main(["view", str(missing)]) == 2
    assert main(["report", str(missing)]) == 2
    assert "file not found" in capsys.readouterr().err
    not_a_result = tmp_path / "notes.h5"
    not_a_result.write_text("not HDF5")
    assert main(["view", str(not_a_result)]) == 2


def test_interactive_view_without_a_display_is_an_input_error(
    result_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["view", str(result_copy), "--interactive"]) == 2
    assert "needs a display" in capsys.readouterr().err


def test_report_command_writes_page_and_pictures(
    result_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    assert main(["report", str(result_copy), "-o", str(folder)]) == 0
    page = (folder / "report.html").read_text(encoding="utf-8")
    pictures = sorted(path.name for path in (folder / "figures").glob("*.png"))
    assert pictures == sorted(f"{name}.png" for name in STANDARD_FIGURES)
    assert page.count('<img src="data:image/png;base64,') == len(pictures)
    assert "7 pictures embedded" in capsys.readouterr().out
