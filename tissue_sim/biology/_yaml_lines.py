"""Load YAML while keeping the line number of every mapping key and value.

PyYAML's node graph (:func:`yaml.compose`) records where each node starts. We build
plain Python values from it ourselves (scalars through the safe constructor) and keep,
for every mapping, the 1-based line of each key, so errors can point at a line.
Duplicate keys, which PyYAML silently accepts, are reported.
"""

from __future__ import annotations

from typing import Any

import yaml

from tissue_sim.errors import ModelFileError

__all__ = ["LineMap", "load_yaml_with_lines"]


class LineMap(dict[str, Any]):
    """A dict that also knows its own line (``line``) and the line of each key (``lines``).

    Parameters
    ----------
    line
        1-based line where the mapping starts.
    """

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """1-based line of ``key`` (the mapping's own line when the key is absent)."""
        return self.lines.get(key, self.line)


def load_yaml_with_lines(text: str, *, file: str) -> Any:
    """Parse YAML text into dicts (:class:`LineMap`), lists and scalars.

    Parameters
    ----------
    text
        The YAML document.
    file
        File name for error messages.

    Raises
    ------
    ModelFileError
        On YAML syntax errors, duplicate keys, non-string keys, aliases or several documents.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ModelFileError(
            f"invalid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ModelFileError(f"invalid YAML: {exc}", file=file) from None
    if node is None:
        return None
    constructor = yaml.SafeLoader("")
    return _build(node, constructor, file)


def _build(node: yaml.Node, constructor: yaml.SafeLoader, file: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LineMap(line=line)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ModelFileError("mapping keys must be plain names", file=file, line=line)
            key = constructor.construct_object(key_node)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                raise ModelFileError(f"invalid key {key!r}", file=file, line=key_line)
            key = str(key)
            if key in result:
                raise ModelFileError(
                    f"duplicate key {key!r} (first defined on line {result.lines[key]})",
                    file=file,
                    line=key_line,
                )
            result[key] = _build(value_node, constructor, file)
            result.lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, constructor, file) for item in node.value]
    return constructor.construct_object(node)
