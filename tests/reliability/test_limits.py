"""Size limits: the prediction is exact for the mesh, the shipped configs pass, and a
scenario beyond a limit is refused naming the key that drives it (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tissue_sim.config import load_config
from tissue_sim.config.limits import DEFAULT_LIMITS, estimate_size
from tissue_sim.errors import LimitError
from tissue_sim.pipeline import build_mesh

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "configs").glob("*.yaml")) + sorted(
    (ROOT / "configs/demos").glob("*.yaml")
)


@pytest.mark.parametrize(
    ("config", "overrides"),
    [
        ("baseline.yaml", ["mesh.size=coarse"]),
        ("kneading.yaml", ["mesh.element=Q2", "mesh.size=coarse"]),
        ("roller.yaml", ["mesh.element=P1", "mesh.size=coarse"]),
        ("deep_friction.yaml", ["mesh.element=P2", "mesh.size=coarse"]),
        ("static_compression.yaml", ["mesh.size=4 mm", "mesh.growth=1.5"]),
    ],
)
def test_predicted_cells_and_nodes_equal_the_mesh(config: str, overrides: list[str]) -> None:
    scenario = load_config(ROOT / "configs" / config, overrides)
    estimate = estimate_size(scenario)
    mesh = build_mesh(scenario)
    assert estimate.cells == mesh.cells.shape[0]
    assert estimate.points == mesh.points.shape[0]


@pytest.mark.parametrize("config", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_config_is_within_the_default_limits(config: Path) -> None:
    estimate = estimate_size(load_config(config))
    assert estimate.cells <= DEFAULT_LIMITS.cells
    assert estimate.memory <= DEFAULT_LIMITS.memory


def test_a_limit_names_the_key_and_can_be_raised() -> None:
    config = ROOT / "configs" / "static_compression.yaml"
    with pytest.raises(LimitError) as caught:
        load_config(config, ["limits.cells=1000"])
    assert caught.value.key == "mesh.size" and "limits.cells" in caught.value.message
    with pytest.raises(LimitError) as caught:
        load_config(config, ["biology.summary_interval=1 ms"])
    assert caught.value.key == "biology.summary_interval"
    raised = load_config(
        config, ["biology.summary_interval=0.5 s", "limits.summary_samples=10000000"]
    )
    assert estimate_size(raised).summary_samples > DEFAULT_LIMITS.summary_samples
    assert (
        raised.config_hash()
        == load_config(
            config, ["biology.summary_interval=0.5 s", "limits.summary_samples=20000000"]
        ).config_hash()
    )  # limits do not change the run
