"""Sweep runs are keyed by the scenario, the model files' content and the version.

A sweep run folder is found again by its run key (tissue_sim/io/provenance.py): the
resolved scenario, the SHA-256 of every cell-model file and tissue preset it uses and
the tissue_sim version. Editing a model file (in a copy of ``models/`` named by the
documented ``TISSUE_SIM_MODELS`` override) must make the sweep compute the run again,
never reuse the stale result.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from _sweep_files import sweep_mapping

import tissue_sim
from tissue_sim.io import read_result
from tissue_sim.sweep import load_sweep, plan_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of models/ in use through TISSUE_SIM_MODELS."""
    folder = tmp_path / "models"
    shutil.copytree(ROOT / "models", folder)
    monkeypatch.setenv("TISSUE_SIM_MODELS", str(folder))
    return folder


@pytest.fixture
def one_point(tmp_path: Path) -> Path:
    data = sweep_mapping(parameters={"loading.pressure": ["10 kPa"]})
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _key(sweep: Path) -> str:
    return plan_sweep(load_sweep(sweep)).runs[0].config_hash


def test_editing_a_model_file_recomputes_the_run(
    models: Path, one_point: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    first = run_sweep(load_sweep(one_point), out, workers=1, quiet=True, plots=False)
    assert first.all_ok, first.describe()
    old_key = first.hashes[0]
    old = read_result(out / "runs" / old_key / "result.h5")

    cell_file = models / "cells" / "tgfb1_fibrosis.yaml"
    text = cell_file.read_text(encoding="utf-8")
    edited = text.replace(
        "  active_healthy:\n    value: 0.005", "  active_healthy:\n    value: 0.01"
    )
    assert edited != text
    cell_file.write_text(edited, "utf-8")

    second = run_sweep(load_sweep(one_point), out, workers=1, quiet=True, plots=False)
    assert second.all_ok, second.describe()
    new_key = second.hashes[0]
    assert new_key != old_key, "an edited model file must not reuse the cached run"
    new = read_result(out / "runs" / new_key / "result.h5")
    assert new.config_hash == old.config_hash  # the same scenario ...
    assert (
        new.provenance["inputs"]["cells/tgfb1_fibrosis.yaml"]
        != (old.provenance["inputs"]["cells/tgfb1_fibrosis.yaml"])
    )  # ... computed again with the edited model
    assert new.biology is not None and old.biology is not None
    assert (
        new.biology.layers["fascia"]["tgfb1_active"][-1, 0]
        != old.biology.layers["fascia"]["tgfb1_active"][-1, 0]
    )


def test_the_key_covers_the_tissue_preset_and_the_version(
    models: Path, one_point: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _key(one_point)
    assert _key(one_point) == before  # stable
    preset = models / "tissues" / "lumbar.yaml"
    preset.write_text(preset.read_text(encoding="utf-8") + "\n# edited\n", "utf-8")
    after_preset = _key(one_point)
    assert after_preset != before
    monkeypatch.setattr(tissue_sim, "__version__", tissue_sim.__version__ + ".post1")
    assert _key(one_point) != after_preset
