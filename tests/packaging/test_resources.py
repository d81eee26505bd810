"""The data locator: one place finds the shipped models and demo scenarios, one override.

The installed-wheel side (``tissue_sim/_data`` inside site-packages) is exercised by
``tests/packaging/wheel_check.sh`` (``make wheel-check``); these tests cover the source
checkout and the ``TISSUE_SIM_MODELS`` override.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import yaml

from tissue_sim import resources
from tissue_sim.biology import list_models, load_model
from tissue_sim.config import list_tissue_presets, load_config
from tissue_sim.demos import DEMOS
from tissue_sim.demos._common import demos_directory

REPOSITORY = Path(__file__).resolve().parents[2]


def _setup_data_folders() -> tuple[str, ...]:
    """``DATA_FOLDERS`` of setup.py (read, not imported: importing it would build)."""
    tree = ast.parse((REPOSITORY / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "DATA_FOLDERS" for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("setup.py defines no DATA_FOLDERS")


def test_a_checkout_reads_the_repository_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(resources.MODELS_ENVIRONMENT_VARIABLE, raising=False)
    assert not (REPOSITORY / "tissue_sim" / "_data").exists()
    assert resources.data_directory() == REPOSITORY
    assert resources.cell_models_directory() == REPOSITORY / "models" / "cells"
    assert resources.tissue_presets_directory() == REPOSITORY / "models" / "tissues"
    assert resources.demo_configs_directory() == REPOSITORY / "configs" / "demos"
    assert demos_directory() == resources.demo_configs_directory()


def test_the_wheel_ships_every_folder_the_locator_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(resources.MODELS_ENVIRONMENT_VARIABLE, raising=False)
    served = {
        resources.cell_models_directory(),
        resources.tissue_presets_directory(),
        resources.demo_configs_directory(),
    }
    shipped = {REPOSITORY / folder for folder in _setup_data_folders()}
    assert served == shipped
    for folder in served:
        assert sorted(folder.glob("*.yaml")), f"{folder} has no data files"


def test_every_demo_scenario_is_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(resources.MODELS_ENVIRONMENT_VARIABLE, raising=False)
    for demo in DEMOS.values():
        assert (resources.demo_configs_directory() / demo.config).is_file()


def test_one_override_moves_cell_models_and_tissue_presets_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = REPOSITORY / "models"
    (tmp_path / "cells").mkdir()
    (tmp_path / "tissues").mkdir()
    shutil.copy(shipped / "cells" / "tgfb1_fibrosis.yaml", tmp_path / "cells")
    shutil.copy(shipped / "tissues" / "forearm.yaml", tmp_path / "tissues" / "my_arm.yaml")
    monkeypatch.setenv(resources.MODELS_ENVIRONMENT_VARIABLE, str(tmp_path))

    assert resources.models_directory() == tmp_path
    assert list_models() == ["tgfb1_fibrosis"]
    assert list_tissue_presets() == ["my_arm"]
    assert load_model("tgfb1_fibrosis").species[0].model == "tgfb1_fibrosis"
    with pytest.raises(Exception, match="unknown cell model 'macrophage_polarisation'"):
        load_model("macrophage_polarisation")
    scenario = load_config(
        REPOSITORY / "configs" / "static_compression.yaml",
        ["tissue.preset=my_arm", "biology.models=[tgfb1_fibrosis]"],
    )
    # the layer stack is the copied file's, in its order (read here, not restated)
    copied = yaml.safe_load((tmp_path / "tissues" / "my_arm.yaml").read_text(encoding="utf-8"))
    assert scenario.tissue.layer_names == tuple(copied["layers"])
    assert scenario.tissue.preset == "my_arm"
    # the demos' scenarios are part of the package, not of the model library
    assert resources.demo_configs_directory() == REPOSITORY / "configs" / "demos"
