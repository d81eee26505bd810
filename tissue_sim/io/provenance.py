"""Provenance of a run: package versions, machine, time, config hash."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
from typing import Any

__all__ = ["package_versions", "provenance"]

_PACKAGES = ("numpy", "scipy", "fenics-basix", "h5py", "pyamg", "pint", "pyyaml", "pyvista")


def package_versions() -> dict[str, str]:
    """Installed versions of tissue_sim and the libraries it computes with."""
    from tissue_sim import __version__

    versions = {"tissue_sim": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(config_hash: str, *, seed: int = 0) -> dict[str, Any]:
    """Everything needed to say where a result came from.

    Parameters
    ----------
    config_hash
        SHA-256 of the resolved scenario.
    seed
        Random seed of the run (the pipeline is deterministic; recorded for sweeps).
    """
    return {
        "config_hash": config_hash,
        "seed": seed,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "versions": package_versions(),
    }
