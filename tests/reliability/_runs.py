"""Small real runs made by the command line (shared by the reliability tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: A fast scenario (mechanics only, coarse mesh: a few seconds on one core).
FAST = str(ROOT / "configs" / "demos" / "pressure_and_shear.yaml")


def cli_run(
    out: Path, *extra: str, env: dict[str, str] | None = None, config: str = FAST
) -> subprocess.CompletedProcess[str]:
    """``tissue-sim run CONFIG -o OUT`` in a real subprocess."""
    environment = dict(os.environ)
    environment["OPENBLAS_NUM_THREADS"] = "1"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tissue_sim.cli", "run", config, "-o", str(out), "-q", *extra],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
        env=environment,
    )
