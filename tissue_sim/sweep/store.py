"""The sweep folder on disk: the planned design, one folder per run, run states.

Layout of a sweep folder ``DIR``::

    DIR/design.json             the planned sweep (axes, outputs, points, run hashes)
    DIR/runs/<hash>/result.h5   a finished run (written to a temporary name, then renamed)
    DIR/runs/<hash>/status.json wall time and status of the last attempt
    DIR/runs/<hash>/error.txt   the error of a failed run
    DIR/summary.csv, summary.h5, sensitivity.csv, plots/

``<hash>`` is the SHA-256 of the run's resolved scenario, so a run is found again by
any sweep that needs the same scenario. A run is *complete* when ``result.h5`` exists:
it is never written under that name until it is whole, so a crash or SIGKILL at any
moment leaves either a complete result or none. Every other file is written the same
way (temporary name, then rename).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tissue_sim.errors import InputError, brief
from tissue_sim.io import write_text_atomic

__all__ = [
    "MANIFEST_NAME",
    "RESULT_NAME",
    "RunState",
    "is_complete",
    "read_manifest",
    "read_state",
    "record_failure",
    "record_success",
    "remove_stale_temporaries",
    "run_directory",
    "write_manifest",
    "write_text_atomic",
]

MANIFEST_NAME = "design.json"
RESULT_NAME = "result.h5"
_STATUS_NAME = "status.json"
_ERROR_NAME = "error.txt"
_MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class RunState:
    """What is on disk for one run.

    Attributes
    ----------
    status
        ``ok`` (``result.h5`` exists), ``failed`` (``error.txt`` exists) or ``pending``.
    error
        The error message of a failed run (``""`` otherwise).
    wall_time
        Wall time of the run [s] (NaN if unknown).
    """

    status: str
    error: str = ""
    wall_time: float = float("nan")


def run_directory(directory: str | Path, config_hash: str) -> Path:
    """``DIR/runs/<hash>``."""
    return Path(directory) / "runs" / config_hash


def is_complete(run_dir: str | Path) -> bool:
    """Whether the run's ``result.h5`` exists (it only ever appears whole)."""
    return (Path(run_dir) / RESULT_NAME).is_file()


def remove_stale_temporaries(run_dir: str | Path) -> None:
    """Delete temporary files left by an interrupted attempt at this run."""
    folder = Path(run_dir)
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)


def record_success(run_dir: str | Path, wall_time: float, host: str = "") -> None:
    """Write ``status.json`` of a finished run and drop the error of an earlier attempt."""
    folder = Path(run_dir)
    status = {"status": "ok", "wall_time": wall_time, "host": host, "pid": os.getpid()}
    write_text_atomic(folder / _STATUS_NAME, json.dumps(status, indent=1))
    (folder / _ERROR_NAME).unlink(missing_ok=True)


def record_failure(
    run_dir: str | Path, message: str, details: str = "", wall_time: float = float("nan")
) -> None:
    """Write ``error.txt`` (the message, then any details such as a traceback) and
    ``status.json`` of a failed run."""
    folder = Path(run_dir)
    text = message.rstrip() + "\n" + (f"\n{details.rstrip()}\n" if details else "")
    write_text_atomic(folder / _ERROR_NAME, text)
    status = {"status": "failed", "error": message, "wall_time": wall_time, "pid": os.getpid()}
    write_text_atomic(folder / _STATUS_NAME, json.dumps(status, indent=1, default=str))


def _result_wall_time(result_file: Path) -> float:
    """Sum of the stage timings stored in a result (when ``status.json`` is missing)."""
    import h5py

    with h5py.File(result_file, "r") as f:
        timings = json.loads(f.attrs.get("timings", "{}"))
    return float(sum(timings.values())) if timings else float("nan")


def read_state(run_dir: str | Path) -> RunState:
    """The state of one run from its folder."""
    folder = Path(run_dir)
    status: dict[str, Any] = {}
    status_file = folder / _STATUS_NAME
    if status_file.is_file():
        try:
            status = json.loads(status_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            status = {}
    wall_time = float(status.get("wall_time", float("nan")) or float("nan"))
    if is_complete(folder):
        if status.get("status") != "ok":  # killed between the result and its status
            wall_time = _result_wall_time(folder / RESULT_NAME)
        return RunState("ok", "", wall_time)
    error_file = folder / _ERROR_NAME
    if error_file.is_file():
        message = str(status.get("error", "")) if status.get("status") == "failed" else ""
        if not message:
            lines = error_file.read_text(encoding="utf-8").strip().splitlines()
            message = lines[0] if lines else "failed (no message)"
        return RunState("failed", message, wall_time)
    return RunState("pending")


def write_manifest(directory: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``DIR/design.json`` (the planned sweep) atomically."""
    data = {"format": _MANIFEST_FORMAT, **manifest}
    return write_text_atomic(Path(directory) / MANIFEST_NAME, json.dumps(data, indent=1))


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Read ``DIR/design.json``.

    Raises
    ------
    InputError
        If the folder holds no sweep (no ``design.json``) or the file is damaged.
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise InputError(
            f"not a sweep folder: no {MANIFEST_NAME} (run a sweep into it first)",
            file=str(directory),
        )
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"cannot read the sweep design ({type(exc).__name__}: {brief(str(exc))})",
            file=str(path),
        ) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object (the planned sweep)", file=str(path))
    if data.get("format") != _MANIFEST_FORMAT:
        raise InputError(
            f"unsupported sweep design format {brief(data.get('format'))}", file=str(path)
        )
    _check_manifest(data, str(path))
    return data


_HASH = re.compile(r"^[0-9a-f]{64}$")
_FIELDS: dict[str, tuple[type | tuple[type, ...], ...]] = {
    "point": (int, list, list, str, int, int, str, list),
}
_POINT_KEYS = ("index", "values", "display", "block", "sample", "axis", "hash", "overrides")


def _check_manifest(data: dict[str, Any], file: str) -> None:
    """The structure ``summarise`` relies on; a damaged file is an InputError, not a crash."""

    def need(condition: bool, key: str, expected: str) -> None:
        if not condition:
            raise InputError(
                f"damaged sweep design: expected {expected}; run the sweep again to rewrite it",
                file=file,
                key=key,
            )

    need(isinstance(data.get("name"), str), "name", "a name")
    design = data.get("design")
    need(isinstance(design, dict) and isinstance(design.get("type"), str), "design", "a design")
    for section, keys in (
        ("axes", ("path", "kind", "unit", "label")),
        ("outputs", ("name", "path", "unit")),
    ):
        items = data.get(section)
        need(isinstance(items, list), section, "a list")
        assert isinstance(items, list)
        for index, item in enumerate(items):
            need(
                isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys),
                f"{section}[{index}]",
                "an object with " + ", ".join(keys),
            )
    points = data.get("points")
    need(isinstance(points, list), "points", "a list of design points")
    assert isinstance(points, list)
    for index, point in enumerate(points):
        key = f"points[{index}]"
        need(isinstance(point, dict), key, "an object")
        for name, kind in zip(_POINT_KEYS, _FIELDS["point"], strict=True):
            value = point.get(name)
            need(
                isinstance(value, kind) and not isinstance(value, bool),
                f"{key}.{name}",
                f"a {kind.__name__ if isinstance(kind, type) else kind}",
            )
        need(_HASH.match(point["hash"]) is not None, f"{key}.hash", "a SHA-256 run key")
        need(
            len(point["values"]) == len(point["display"]) == len(data["axes"]),
            f"{key}.values",
            "one value per axis",
        )
