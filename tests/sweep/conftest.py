"""Fixtures of the sweep tests: writing small sweep files next to a tmp folder.

The names the tests import (``BASE``, ``FAST``, ``sweep_mapping``) live in ``_sweep_files.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from _sweep_files import sweep_mapping


@pytest.fixture
def write_sweep(tmp_path: Path) -> Callable[..., Path]:
    """Write a sweep file (``sweep_mapping`` with overrides) and return its path."""

    def write(name: str = "sweep.yaml", **sections: Any) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(sweep_mapping(**sections), sort_keys=False))
        return path

    return write
