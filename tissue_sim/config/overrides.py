"""Dotted ``key=value`` overrides, as given with ``--set`` on the command line.

``loading.pressure="20 kPa"`` sets ``config["loading"]["pressure"] = "20 kPa"``;
``loading.techniques[1].frames=12`` indexes into lists. Values are parsed as YAML
scalars (``12`` → int, ``true`` → bool, ``"20 kPa"`` → str).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tissue_sim.config.yaml_io import parse_yaml_text
from tissue_sim.errors import InputError, brief

__all__ = ["apply_overrides", "parse_override"]

_PART = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)(?P<indices>(\[\d+\])*)$")


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """Split ``"a.b[2].c=value"`` into the path ``["a", "b", 2, "c"]`` and the YAML value."""
    if "=" not in text:
        raise InputError(f"expected KEY=VALUE, got {brief(text)}", file="--set")
    key, _, value_text = text.partition("=")
    key = key.strip()
    if value_text.startswith("="):
        raise InputError(
            f"expected KEY=VALUE with a single '=', got {brief(text)}", file="--set", key=key
        )
    path: list[str | int] = []
    for part in key.split("."):
        match = _PART.match(part)
        if not match:
            raise InputError(f"malformed key path {brief(key)}", file="--set", key=key)
        path.append(match.group("name"))
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group("indices")))
    try:
        value = parse_yaml_text(value_text, file="--set") if value_text.strip() else None
    except InputError as error:
        raise InputError(
            f"value is not valid YAML ({error.message})", file="--set", key=key
        ) from None
    return path, value


def _format(path: Sequence[str | int]) -> str:
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else item)
    return out


def apply_overrides(
    config: Mapping[str, Any], overrides: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """Return a deep copy of ``config`` with the overrides applied, and the overridden keys.

    Missing intermediate mappings are created; an index past the end of a list or into a
    non-list is an :class:`InputError`. Whether the key exists in the schema is checked
    later, by the scenario reader (an unknown key then names ``--set``).
    """
    result: dict[str, Any] = copy.deepcopy(dict(config))
    keys = []
    for text in overrides:
        path, value = parse_override(text)
        dotted = _format(path)
        keys.append(dotted)
        node: Any = result
        for depth, item in enumerate(path[:-1]):
            nxt = path[depth + 1]
            if isinstance(item, int):
                if not isinstance(node, list) or item >= len(node):
                    raise InputError("list index out of range", file="--set", key=dotted)
                if not isinstance(node[item], dict | list):
                    node[item] = {} if isinstance(nxt, str) else []
                node = node[item]
            else:
                if not isinstance(node, dict):
                    raise InputError(
                        f"cannot set a key inside {_format(path[:depth])!r}: not a mapping",
                        file="--set",
                        key=dotted,
                    )
                if not isinstance(node.get(item), dict | list):
                    node[item] = {} if isinstance(nxt, str) else []
                node = node[item]
        last = path[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise InputError("list index out of range", file="--set", key=dotted)
            node[last] = value
        else:
            if not isinstance(node, dict):
                raise InputError("cannot set a key inside a non-mapping", file="--set", key=dotted)
            node[last] = value
    return result, keys
