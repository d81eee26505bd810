"""Sweep files of the sweep tests: the base scenario, the fast settings, a sweep mapping.

A module of its own (not ``conftest``): the tests import these names, and ``from conftest
import`` finds whichever test folder's conftest pytest loaded last when several folders
run in one process (``pytest tests/sweep tests/viz``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The base scenario of the sweep tests: a thumb press (1 cm patch radius).
BASE = Path(__file__).resolve().parents[2] / "configs" / "static_compression.yaml"
#: Coarse mesh on a 4 × 4 cm block (784 cells instead of 2704 on the preset's block) and
#: one day of biology: about 1 s per run on one core. The sweep tests are about sweeping
#: (designs, caching, resuming, determinism), not about the mechanics of a wide block, so
#: they keep the linear mechanics the shipped configs left for finite strain (the
#: finite-strain paths' determinism is tests/reliability/test_determinism.py's).
FAST: dict[str, Any] = {
    "mesh.size": "coarse",
    "schedule.days": 1,
    "tissue.size": ["4 cm", "4 cm"],
    "mechanics.model": "linear",
}


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
