"""Provenance of a run: package versions, machine, time, config hash, run key.

The *config hash* identifies the resolved scenario
(:meth:`tissue_sim.config.Scenario.config_hash`). The *run key* (:func:`run_key`)
identifies everything a run's numbers depend on: that hash, the SHA-256 of the content
of every cell-model file and tissue preset the scenario uses (:func:`input_digests`)
and the tissue_sim version. Sweeps key their runs by it, so an edited model file or a
new version never reuses a stale result.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import json
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tissue_sim.config import Scenario

__all__ = [
    "input_digests",
    "input_files",
    "package_versions",
    "provenance",
    "run_key",
    "run_key_of",
]

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


def provenance(
    config_hash: str, *, seed: int = 0, inputs: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Everything needed to say where a result came from.

    Parameters
    ----------
    config_hash
        SHA-256 of the resolved scenario.
    seed
        Random seed of the run (the pipeline is deterministic; recorded for sweeps).
    inputs
        :func:`input_digests` of the scenario; with them the record holds the run key.
    """
    record: dict[str, Any] = {
        "config_hash": config_hash,
        "seed": seed,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "versions": package_versions(),
    }
    if inputs is not None:
        record["inputs"] = dict(inputs)
        record["run_key"] = run_key_of(config_hash, inputs, record["versions"]["tissue_sim"])
    return record


def input_files(scenario: Scenario) -> dict[str, Path]:
    """The model files a scenario's run reads: label → path.

    Labels are ``cells/<model>.yaml`` and ``tissues/<preset>.yaml`` (independent of where
    the project lies); the paths are the files the loaders actually open (the
    ``TISSUE_SIM_MODELS`` folder, the shipped one, or an explicit ``.yaml`` path).
    """
    from tissue_sim.biology.model import _resolve_path  # the loader's own resolution
    from tissue_sim.resources import tissue_presets_directory

    files: dict[str, Path] = {}
    if scenario.tissue.preset is not None:
        path = tissue_presets_directory() / f"{scenario.tissue.preset}.yaml"
        files[f"tissues/{scenario.tissue.preset}.yaml"] = path
    if scenario.biology.enabled:
        for item in scenario.biology.models:
            path = _resolve_path(item)
            files[f"cells/{path.stem}.yaml"] = path
    return files


def input_digests(scenario: Scenario) -> dict[str, str]:
    """SHA-256 of the content of every model file and tissue preset the scenario uses."""
    return {
        label: hashlib.sha256(path.read_bytes()).hexdigest()
        for label, path in sorted(input_files(scenario).items())
    }


def run_key_of(config_hash: str, inputs: Mapping[str, str], version: str) -> str:
    """The run key from its parts (see :func:`run_key`)."""
    text = json.dumps(
        {"config_hash": config_hash, "inputs": dict(sorted(inputs.items())), "tissue_sim": version},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def run_key(scenario: Scenario) -> str:
    """SHA-256 identifying a run: resolved scenario + model files' content + version.

    Parameters
    ----------
    scenario
        The scenario.

    Returns
    -------
    str
        64 hexadecimal digits; the folder name of the run in a sweep.
    """
    from tissue_sim import __version__

    return run_key_of(scenario.config_hash(), input_digests(scenario), __version__)
