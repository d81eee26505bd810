"""Shared fixtures of the reliability tests: small real runs made by the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability._runs import cli_run


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run folder of :data:`FAST` (read-only: copy it before changing it)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    done = cli_run(out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def run_copy(finished_run: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`finished_run`."""
    target = tmp_path / "run"
    shutil.copytree(finished_run, target)
    return target
