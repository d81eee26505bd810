"""Shared helpers of the sweep tests: writing small sweep files next to a tmp folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

#: The base scenario of the sweep tests: a thumb press (1 cm patch radius).
BASE = Path(__file__).resolve().parents[2] / "configs" / "static_compression.yaml"
#: Coarse mesh on a 4 × 4 cm block (784 cells instead of 2704 on the preset's block) and
#: one day of biology: about 1 s per run on one core. The sweep tests are about sweeping
#: (designs, caching, resuming, determinism), not about the mechanics of a wide block.
FAST: dict[str, Any] = {"mesh.size": "coarse", "schedule.days": 1, "tissue.size": ["4 cm", "4 cm"]}


def sweep_mapping(**sections: Any) -> dict[str, Any]:
    """A sweep mapping on :data:`BASE` with the fast settings; ``sections`` override keys."""
    data: dict[str, Any] = {
        "name": "test_sweep",
        "base": str(BASE),
        "set": dict(FAST),
        "parameters": {"loading.pressure": {"values": ["10 kPa", "20 kPa"]}},
        "design": "grid",
        "outputs": {"tgfb1": "biology.layers.fascia.tgfb1_active.final.mean"},
    }
    data.update(sections)
    return data


@pytest.fixture
def write_sweep(tmp_path: Path) -> Callable[..., Path]:
    """Write a sweep file (``sweep_mapping`` with overrides) and return its path."""

    def write(name: str = "sweep.yaml", **sections: Any) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(sweep_mapping(**sections), sort_keys=False))
        return path

    return write
