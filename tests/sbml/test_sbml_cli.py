"""``tissue-sim models export`` and ``models import``: files written, exit codes, and one error
line per construct that cannot be mapped (exit 2, nothing written)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("libsbml", reason="python-libsbml is not installed ('.[sbml]')")
pytest.importorskip("antimony", reason="antimony is not installed ('.[sbml]')")

from tissue_sim.biology import load_model
from tissue_sim.cli import main

DATA = Path(__file__).parent / "data"


def test_export_then_import_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbml = tmp_path / "macrophage.xml"
    assert main(["models", "export", "macrophage_polarisation", "-o", str(sbml)]) == 0
    assert sbml.read_text(encoding="utf-8").startswith("<?xml")
    assert "effective_strain_amplitude" in capsys.readouterr().out
    assert main(["models", "export", "macrophage_polarisation", "-o", str(sbml)]) == 2
    assert "--force" in capsys.readouterr().err
    target = tmp_path / "macrophage_again.yaml"
    assert main(["models", "import", str(sbml), "-o", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().out
    model = load_model([str(target)])
    assert model.inputs == ("effective_strain_amplitude",)


def test_export_to_standard_output_and_the_default_composition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "export", "default", "-o", "-"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("<?xml") and 'id="tgfb1_fibrosis__' in text


def test_import_with_input_mapping_and_time_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "goldbeter.yaml"
    code = main(
        [
            "models",
            "import",
            str(DATA / "goldbeter1991_mitotic_oscillator.ant"),
            "-o",
            str(target),
            "--time-unit",
            "min",
            "--input",
            "vi=effective_strain_peak",
        ]
    )
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "rates are divided by 60 s" in out and "effective_strain_peak" in out
    assert load_model([str(target)]).inputs == ("effective_strain_peak",)


UNSUPPORTED = """
model unsupported
  species S = 1;
  J1: S -> ; k * S * sin(S);
  E1: at S < 0.1: S = 1;
  clock := time;
  k = 0.2;
end
"""


def test_unsupported_constructs_one_line_each_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "unsupported.ant"
    source.write_text(UNSUPPORTED, encoding="utf-8")
    assert main(["models", "import", str(source)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4, lines  # event, sin, time, and the summary line
    assert all(line.startswith(f"tissue-sim: error: {source}: ") for line in lines)
    assert "event E1" in lines[0] and "sin" in lines[1] and "csymbol time" in lines[2]
    assert "3 construct(s) cannot be mapped" in lines[3] and "nothing written" in lines[3]
    assert not (tmp_path / "unsupported.yaml").exists()


def test_missing_file_and_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "import", "no/such/file.xml"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["models", "export"]) == 2
    assert "give a model name" in capsys.readouterr().err
