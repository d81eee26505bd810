"""Reading YAML files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tissue_sim.errors import InputError

__all__ = ["read_yaml"]


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping.

    Raises
    ------
    InputError
        If the file is missing, unreadable, malformed YAML (with the line number), or its
        top level is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"malformed YAML: {problem}", file=str(path), line=line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            f"expected a mapping of keys at the top level, got {type(data).__name__}",
            file=str(path),
        )
    return data
