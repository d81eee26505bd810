"""Reading YAML files safely, with errors that name the file and line.

Every YAML file tissue_sim reads (scenarios, sweeps, tissue presets, and, through
:func:`check_yaml_text`, cell-model files) passes the same guards before any value is
built, so that no input can crash, hang or exhaust memory while it is read:

* the file must be a regular file of at most :data:`MAX_FILE_BYTES` (``/dev/zero``, a
  FIFO or a folder are refused without reading them);
* UTF-8 text (a UTF-8 byte-order mark is allowed), without NUL bytes;
* at most :data:`MAX_DEPTH` levels of nesting, counted through aliases;
* at most :data:`MAX_VALUES` values after aliases are expanded (a "billion laughs"
  alias bomb is refused before anything walks it), no recursive aliases;
* no duplicate keys in a mapping (YAML parsers keep the last one silently, so that
  ``pressure: 5 kPa`` followed by ``pressure: 500 kPa`` would run at 500 kPa);
* plain values only: text, numbers, booleans, null, lists and mappings with text keys of
  at most :data:`MAX_KEY_LENGTH` characters. Dates, sets, binary and other tags are
  refused (write them in quotes if they are text).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Final

import yaml

from tissue_sim.errors import InputError, brief

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_KEY_LENGTH",
    "MAX_VALUES",
    "check_yaml_text",
    "parse_yaml_text",
    "read_text_file",
    "read_yaml",
]

#: Largest YAML file read [bytes] (the shipped files are a few kB).
MAX_FILE_BYTES: Final[int] = 1 << 20
#: Deepest nesting of lists and mappings (the shipped files need 6).
MAX_DEPTH: Final[int] = 50
#: Most values (scalars, lists, mappings) after expanding aliases.
MAX_VALUES: Final[int] = 20_000
#: Longest mapping key [characters].
MAX_KEY_LENGTH: Final[int] = 200

_PLAIN_TAGS: Final = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:merge",
}
_TAG_NAMES: Final = {
    "tag:yaml.org,2002:timestamp": "a date or time",
    "tag:yaml.org,2002:set": "a set",
    "tag:yaml.org,2002:binary": "binary data",
    "tag:yaml.org,2002:omap": "an ordered map",
    "tag:yaml.org,2002:pairs": "a list of pairs",
}


def read_text_file(path: str | Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file of at most :data:`MAX_FILE_BYTES`, refusing special files.

    Raises
    ------
    InputError
        If the file is missing, not a regular file, too large, not UTF-8 or holds NUL bytes.
    """
    path = Path(path)
    file = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", file=file) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"expected a {what}, got a folder", file=file)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"expected a regular {what}, got a device, pipe or socket", file=file)
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            f"{what} is {info.st_size / 2**20:.1f} MiB; "
            f"at most {MAX_FILE_BYTES >> 20} MiB are read",
            file=file,
        )
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", file=file) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{what} is larger than {MAX_FILE_BYTES >> 20} MiB", file=file)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise InputError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded{hint}; "
            "save the file as UTF-8",
            file=file,
            line=line,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("the file contains a NUL byte; expected YAML text", file=file, line=line)
    return text


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses nesting deeper than :data:`MAX_DEPTH`."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", mark.line + 1)
            if self._nodes > MAX_VALUES:
                mark = self.peek_event().start_mark
                raise _Refused(f"more than {MAX_VALUES} values", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    def __init__(self, message: str, line: int | None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.key = key


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _check_node(node: yaml.Node) -> None:
    """Depth, expanded size, recursion, duplicate keys and tags of a composed document."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def visit(item: yaml.Node, depth: int, path: str) -> int:
        key = id(item)
        if key in sizes:
            return sizes[key]
        where = path or None
        if key in active:
            raise _Refused("a recursive alias (an anchor used inside itself)", _line(item), where)
        if depth > MAX_DEPTH:
            raise _Refused(
                f"nested deeper than {MAX_DEPTH} levels (through aliases)", _line(item), where
            )
        if item.tag not in _PLAIN_TAGS:
            what = _TAG_NAMES.get(item.tag, f"the tag {brief(item.tag)}")
            raise _Refused(
                f"{what} is not accepted here; write text in quotes, numbers as numbers",
                _line(item),
                where,
            )
        total = 1
        active.add(key)
        if isinstance(item, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in item.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _Refused("mapping keys must be plain text", _line(key_node), where)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    total += visit(value_node, depth + 1, path)
                    continue
                if key_node.tag not in _PLAIN_TAGS:
                    raise _Refused(
                        f"key {brief(key_node.value)} is not plain text", _line(key_node), where
                    )
                if len(key_node.value) > MAX_KEY_LENGTH:
                    raise _Refused(
                        f"a key of {len(key_node.value)} characters (at most {MAX_KEY_LENGTH})",
                        _line(key_node),
                        where,
                    )
                name = key_node.value
                child = f"{path}.{name}" if path else str(name)
                if name in seen:
                    raise _Refused(
                        f"duplicate key {brief(name)} (first given on line {seen[name]}); "
                        "give every key once",
                        _line(key_node),
                        child,
                    )
                seen[name] = _line(key_node)
                total += visit(value_node, depth + 1, child)
        elif isinstance(item, yaml.SequenceNode):
            for index, child_node in enumerate(item.value):
                total += visit(child_node, depth + 1, f"{path}[{index}]")
        active.discard(key)
        if total > MAX_VALUES:
            raise _Refused(
                f"more than {MAX_VALUES} values once aliases are expanded (an alias bomb?)",
                _line(item),
                where,
            )
        sizes[key] = total
        return total

    visit(node, 1, "")


def check_yaml_text(text: str, *, file: str, error: type[InputError] = InputError) -> None:
    """Refuse YAML text that breaks any guard of this module (see the module docstring).

    Parameters
    ----------
    text
        The YAML document.
    file
        File name for the error message.
    error
        The :class:`InputError` subclass raised (model files use ``ModelFileError``).
    """
    parse_yaml_text(text, file=file, error=error, build=False)


def parse_yaml_text(
    text: str, *, file: str, error: type[InputError] = InputError, build: bool = True
) -> Any:
    """Check and parse one YAML document (plain Python values; ``None`` when empty)."""
    depth, line = _bracket_depth(text)
    if depth > 4 * MAX_DEPTH:
        raise error(f"malformed YAML: nested deeper than {MAX_DEPTH} levels", file=file, line=line)
    try:
        loader = _GuardedLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_node(node)
            if not build:
                return None
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except _Refused as exc:
        raise error(
            f"malformed YAML: {exc.message}", file=file, line=exc.line, key=exc.key
        ) from None
    except yaml.reader.ReaderError as exc:
        where = text[: exc.position].count("\n") + 1
        raise error(
            f"malformed YAML: character #x{exc.character:04x} is not allowed in YAML text",
            file=file,
            line=where,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        mark_line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and "found" in problem:
            problem = f"{context}, {problem}"
        raise error(f"malformed YAML: {problem}", file=file, line=mark_line) from None
    except RecursionError:
        raise error(f"malformed YAML: nested deeper than {MAX_DEPTH} levels", file=file) from None


def _bracket_depth(text: str) -> tuple[int, int]:
    """Deepest nesting of ``[`` and ``{`` in the raw text (quotes ignored) and its line.

    YAML's scanner slows down quadratically on long runs of open brackets, so deep flow
    nesting is refused from the raw text before the parser sees it.
    """
    if text.count("[") + text.count("{") <= 4 * MAX_DEPTH:
        return 0, 0
    depth = deepest = 0
    line = deepest_line = 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            line += 1
    return deepest, deepest_line


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping, through every guard of this module.

    Raises
    ------
    InputError
        If the file is missing, not a regular file, too large, not UTF-8, malformed YAML
        (with the line number), breaks a guard, or its top level is not a mapping.
    """
    file = str(path)
    text = read_text_file(path)
    data = parse_yaml_text(text, file=file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            f"expected a mapping of keys at the top level, got {_kind(data)}", file=file, line=1
        )
    return data


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
