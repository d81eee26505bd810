"""Calibration targets as data and ``tissue-sim calibrate`` (issue 10 item 5).

* The shipped targets file reads, names only known species, and every target is
  reproduced within its factor (2 by default); calibrated targets within their tolerance.
* The least-squares fit recovers parameters from synthetic targets made by the model itself.
* The command writes an override file that a scenario's ``biology.parameters`` accepts, and
  a report; bad input exits 2 naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from tissue_sim.biology import load_model
from tissue_sim.calibration import (
    TargetSet,
    TargetValue,
    evaluate_targets,
    fit_parameters,
    format_report,
    read_targets,
    shipped_targets_file,
    within_factor,
)
from tissue_sim.calibration.table import magnitudes_table, out_of_scope_table
from tissue_sim.cli import main
from tissue_sim.config import scenario_from_mapping
from tissue_sim.errors import InputError

FIBROBLAST = "fibroblast_mechanotransduction"
TRUE = {f"{FIBROBLAST}.k_fak_release": 0.02, f"{FIBROBLAST}.k_fak_off": 2.4e-5}


@pytest.fixture(scope="module")
def shipped() -> tuple[TargetSet, dict[str, TargetValue]]:
    """The shipped targets and what the shipped models give for them."""
    targets = read_targets(shipped_targets_file())
    return targets, evaluate_targets(load_model(list(targets.models)), targets)


def test_shipped_targets_are_reproduced_within_their_factor(shipped) -> None:
    """Every numeric effect the models address (FACTS §4–§9): models/calibration/targets.yaml."""
    targets, values = shipped
    assert "meltzer_standley_2007_il6_rms_then_iomt" in targets.targets
    assert len(targets.out_of_scope) >= 8  # each with its reason
    assert all(item.reason and item.source for item in targets.out_of_scope)
    for name, value in values.items():
        assert value.within_factor, (name, value.model, value.target.target)
        if value.target.status in ("calibrated", "input"):
            assert abs(value.residual) <= 1.0, (name, value.residual)
        assert value.target.source and value.target.statement


@pytest.mark.parametrize(
    ("model", "target", "kind", "inside"),
    [
        (-0.3, -0.46, "change", True),
        (-0.2, -0.46, "change", False),
        (0.2, -0.46, "change", False),
        (140.0, 150.0, "half_life", True),
        (80.0, 150.0, "half_life", True),
        (70.0, 150.0, "half_life", False),
        (301.0, 150.0, "value", False),
    ],
)
def test_within_factor(model: float, target: float, kind: str, inside: bool) -> None:
    assert within_factor(model, target, 2.0, kind=kind) is inside


SYNTHETIC = """
models: [fibroblast_mechanotransduction]
waveforms:
  rms: {times: ["0 s", "0.3 s", "0.6 s"], strains: [0, 0.1, 0], period: "1.6 s"}
  iomt: {times: ["0 s", "2 s", "62 s", "66 s"], strains: [0, 0.06, 0.06, 0], period: "66 s"}
protocols:
  rms:
    end: "24 h"
    sessions: [{waveform: rms, duration: "8 h"}]
  rms_then_iomt:
    end: "24 h"
    sessions:
      - {waveform: rms, duration: "8 h"}
      - {waveform: iomt, duration: "66 s", start: "8 h"}
targets:
  il6_after_rms:
    statement: "IL-6 at 16 h after RMS"
    source: "synthetic (made by the model)"
    measure: {kind: value, quantity: il6, protocol: rms, time: "24 h"}
    target: IL6_24
    tolerance: 0.01
    status: calibrated
  il6_after_rms_8h:
    statement: "IL-6 at the end of RMS"
    source: "synthetic (made by the model)"
    measure: {kind: value, quantity: il6, protocol: rms, time: "9 h"}
    target: IL6_9
    tolerance: 0.01
    status: calibrated
  il6_change:
    statement: "IL-6 change after the indirect technique"
    source: "synthetic (made by the model)"
    measure: {kind: change, quantity: il6, protocol: rms_then_iomt, reference: rms, time: "24 h"}
    target: CHANGE
    tolerance: 0.005
    status: calibrated
"""


def _fill(**values: float) -> str:
    text = SYNTHETIC
    for name, value in values.items():
        text = text.replace(name.upper(), repr(float(value)))
    return text


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A targets file whose values are the model's own at the TRUE parameters."""
    folder = tmp_path_factory.mktemp("calibration")
    draft = folder / "draft.yaml"
    draft.write_text(_fill(il6_24=1.0, il6_9=1.0, change=-0.5), encoding="utf-8")
    targets = read_targets(draft)
    truth = evaluate_targets(load_model([FIBROBLAST], TRUE), targets)
    path = folder / "targets.yaml"
    path.write_text(
        _fill(
            il6_24=truth["il6_after_rms"].model,
            il6_9=truth["il6_after_rms_8h"].model,
            change=truth["il6_change"].model,
        ),
        encoding="utf-8",
    )
    return path


def test_fit_recovers_known_parameters_from_synthetic_targets(synthetic: Path) -> None:
    targets = read_targets(synthetic)
    result = fit_parameters(targets, ["k_fak_release", "k_fak_off"])
    assert result.success
    for key, value in zip(result.parameters, result.values, strict=True):
        assert value == pytest.approx(TRUE[key], rel=1e-3), key
    assert all(abs(v.residual) < 1e-3 for v in result.after.values())
    assert result.correlation.shape == (2, 2)
    assert np.allclose(np.diag(result.correlation), 1.0)
    assert abs(result.correlation[0, 1]) < 1.0
    report = format_report(result)
    assert "k_fak_release" in report and "correlations" in report and "residual" in report


def test_calibrate_command_writes_overrides_a_scenario_accepts(
    synthetic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fitted.yaml"
    code = main(
        ["calibrate", str(synthetic), "--params", f"{FIBROBLAST}.k_fak_release", "-o", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "k_fak_release" in printed and "bounds" in printed
    overrides = yaml.safe_load(out.read_text(encoding="utf-8"))
    fitted = overrides[FIBROBLAST]["k_fak_release"]
    assert fitted.endswith("1/s")
    # the k_fak_off of the synthetic truth differs from the default, so the fit of
    # k_fak_release alone compensates; it is still a valid scenario parameter override
    scenario = scenario_from_mapping(
        {"tissue": {"preset": "lumbar"}, "biology": {"parameters": overrides}}
    )
    assert f"{FIBROBLAST}.k_fak_release" in scenario.biology.parameters
    model = load_model([FIBROBLAST], dict(scenario.biology.parameters))
    assert model.parameters[f"{FIBROBLAST}.k_fak_release"].value == pytest.approx(
        float(fitted.split()[0])
    )
    assert (tmp_path / "fitted_report.txt").read_text(encoding="utf-8").startswith("least squares")


def test_calibrate_command_bad_input_exits_2_naming_file_and_key(
    synthetic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        synthetic.read_text(encoding="utf-8").replace("kind: change", "kind: fold"),
        encoding="utf-8",
    )
    assert main(["calibrate", str(broken), "--params", "k_fak_release"]) == 2
    message = capsys.readouterr().err
    assert str(broken) in message and "targets.il6_change.measure.kind" in message
    assert main(["calibrate", str(synthetic), "--params", "k_nope"]) == 2
    assert "--params" in capsys.readouterr().err
    assert main(["calibrate", str(tmp_path / "missing.yaml"), "--params", "k_fak_off"]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    unknown = tmp_path / "unknown.yaml"
    text = synthetic.read_text(encoding="utf-8")
    unknown.write_text(
        text.replace("quantity: il6, protocol: rms,", "quantity: il7, protocol: rms,", 1)
    )
    assert main(["calibrate", str(unknown), "--params", "k_fak_off"]) == 2
    err = capsys.readouterr().err
    assert "il7" in err and "targets.il6_after_rms.measure.quantity" in err


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("strains: [0, 0.1, 0]", "strains: [0, 0.1]"), "waveforms.rms"),
        (('duration: "8 h"}]', 'duration: "30 h"}]'), "protocols.rms.sessions[0]"),
        (("protocol: rms, time", "protocol: nope, time"), "targets.il6_after_rms.measure.protocol"),
        (("tolerance: 0.005", "tolerance: -1"), "targets.il6_change.tolerance"),
        (('time: "9 h"', 'time: "30 h"'), "targets.il6_after_rms_8h.measure.time"),
    ],
)
def test_bad_targets_files_name_the_key(
    synthetic: Path, tmp_path: Path, edit: tuple[str, str], key: str
) -> None:
    text = synthetic.read_text(encoding="utf-8")
    assert edit[0] in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_targets(broken)
    assert info.value.file == str(broken)
    assert (info.value.key or "").startswith(key), info.value


def test_docs_tables_are_the_targets_file_and_the_models_numbers(shipped) -> None:
    """docs/biology.md carries the magnitudes tables exactly as made from the targets file
    and the models (model column included), so a stale number fails."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "biology.md").read_text("utf-8")
    targets, values = shipped
    assert magnitudes_table(values) in text
    assert out_of_scope_table(targets.out_of_scope) in text
    meltzer = values["meltzer_standley_2007_il6_rms_then_iomt"]
    assert "| -46.0 % | -46.1 % | calibrated | yes |" in magnitudes_table({"m": meltzer})


def test_parameter_half_life_targets_read_the_parameter(tmp_path: Path) -> None:
    """A half-life taken from FACTS as it is: ln 2 / k, and a parameter that drifts by more
    than the factor fails; an unknown parameter names the file and the key."""
    text = (
        SYNTHETIC.split("targets:")[0]
        + """targets:
  tnfa:
    statement: "TNF-alpha half-life"
    source: "FACTS §8"
    measure: {kind: parameter_half_life, parameter: macrophage_polarisation.k_tnfa_clearance}
    target: "0.5 h"
    tolerance: "0.05 h"
    status: input
"""
    ).replace("models: [fibroblast_mechanotransduction]", "models: [macrophage_polarisation]")
    path = tmp_path / "half_life.yaml"
    path.write_text(text, encoding="utf-8")
    targets = read_targets(path)
    model = load_model(["macrophage_polarisation"])
    value = evaluate_targets(model, targets)["tnfa"]
    k = model.parameters["macrophage_polarisation.k_tnfa_clearance"].value
    assert value.model == pytest.approx(np.log(2.0) / k, rel=1e-12)
    assert value.within_factor and abs(value.residual) < 1e-6
    drifted = model.with_parameters({"macrophage_polarisation.k_tnfa_clearance": k / 2.5})
    assert not evaluate_targets(drifted, targets)["tnfa"].within_factor
    path.write_text(text.replace("k_tnfa_clearance", "k_tnfa_gone"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        evaluate_targets(model, read_targets(path))
    assert info.value.file == str(path)
    assert info.value.key == "targets.tnfa.measure.parameter"
