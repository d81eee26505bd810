"""A valid scenario whose computation fails exits 1 with one clear line, never
"internal error", and publishes nothing (docs/reliability.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.reliability._guard import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _scenario_with_rate(tmp_path: Path, rate: str) -> Path:
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models" / "cells", models)
    model_file = models / "tgfb1_fibrosis.yaml"
    data = yaml.safe_load(model_file.read_text(encoding="utf-8"))
    data["rates"]["collagen"] = rate
    model_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    scenario = yaml.safe_load((ROOT / "configs" / "static_compression.yaml").read_text())
    scenario["biology"] = {
        "models": [
            str(models / f"{name}.yaml") for name in sorted(p.stem for p in models.iterdir())
        ]
    }
    path = tmp_path / "nan_model.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("rate", ["log(collagen - 5)", "1e300 * collagen * collagen"])
def test_a_model_that_produces_nan_exits_1_with_one_line(tmp_path: Path, rate: str) -> None:
    scenario = _scenario_with_rate(tmp_path, rate)
    out = tmp_path / "out"
    argv = (
        "run",
        str(scenario),
        "-o",
        str(out),
        "-q",
        "--no-figures",
        "--no-report",
        "--set",
        "mesh.size=coarse",
        "--set",
        "tissue.size=[4 cm, 4 cm]",
        "--set",
        "schedule.days=1",
    )
    outcome = run_cli(argv, seconds=300)
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert outcome.code == 1, outcome.stderr
    assert len(lines) == 1 and lines[0].startswith("tissue-sim: run failed:"), lines
    assert "internal error" not in outcome.stderr and "Traceback" not in outcome.stderr
    assert not out.exists()
