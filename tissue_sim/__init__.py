"""tissue_sim: how massage and manual therapy load layered soft tissue, and how its cells answer.

Public entry points:

* :func:`load_config` — read a scenario YAML (with ``--set``-style overrides) into a
  validated, frozen :class:`~tissue_sim.config.Scenario`.
* :func:`run` — run a scenario through the pipeline and return its result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_config", "run"]

if TYPE_CHECKING:
    from tissue_sim.config import load_config
    from tissue_sim.pipeline import run


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import tissue_sim` stays cheap for the CLI and workers.
    if name == "load_config":
        from tissue_sim.config import load_config

        return load_config
    if name == "run":
        from tissue_sim.pipeline import run

        return run
    raise AttributeError(f"module 'tissue_sim' has no attribute {name!r}")
