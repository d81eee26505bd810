"""Runs shared by the viz tests: the baseline at a coarse size, and its result file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tissue_sim.config import Scenario, load_config
from tissue_sim.io import RunResult, write_result
from tissue_sim.pipeline import run

REPOSITORY = Path(__file__).resolve().parents[2]

#: The baseline scenario, small enough for tests (coarse mesh, 8 frames, 2 days).
BASELINE_OVERRIDES = (
    "mesh.size=coarse",
    "schedule.days=2",
    "biology.rtol=1e-4",
    "loading.frames=8",
)


@pytest.fixture(scope="session")
def baseline_scenario() -> Scenario:
    """``configs/baseline.yaml`` at a coarse size over 2 days, biology included."""
    return load_config(REPOSITORY / "configs" / "baseline.yaml", BASELINE_OVERRIDES)


@pytest.fixture(scope="session")
def baseline_result(baseline_scenario: Scenario) -> RunResult:
    """``configs/baseline.yaml`` at a coarse size over 2 days, biology included."""
    scenario = baseline_scenario
    return run(scenario)


@pytest.fixture(scope="session")
def baseline_file(baseline_result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline result written as ``result.h5``."""
    return write_result(baseline_result, tmp_path_factory.mktemp("baseline") / "result.h5")


@pytest.fixture(scope="session")
def baseline_figures(
    baseline_result: RunResult, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """The standard pictures of the baseline result."""
    from tissue_sim.viz import write_figures

    return write_figures(baseline_result, tmp_path_factory.mktemp("figures"))
