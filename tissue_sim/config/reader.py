"""Typed, validating access to one mapping of a YAML file.

Every config section is read through a :class:`MappingReader`, so that every error
names the file, the dotted key path and what was expected, and unknown keys are
reported instead of silently ignored.

Example
-------
>>> reader = MappingReader({"pressure": "20 kPa", "radius": "1 cm"}, file="s.yaml", path="loading")
>>> reader.quantity("pressure", "pressure")
20000.0
>>> reader.quantity("radius", "length", positive=True)
0.01
>>> reader.finish()  # raises InputError if a key was not read
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from tissue_sim.config.units import parse_quantity
from tissue_sim.errors import InputError, brief

__all__ = ["MAX_LIST_LENGTH", "MISSING", "MappingReader"]

#: Longest list of quantities read (output times, path points, ...).
MAX_LIST_LENGTH = 10_000

T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Sentinel for "no default: the key is required".
MISSING: Any = _Missing()


class MappingReader:
    """Read keys of one YAML mapping with units, ranges and choices.

    Parameters
    ----------
    data
        The mapping (``None`` is read as empty).
    file
        File name for error messages.
    path
        Dotted key path of this mapping inside the file (``""`` at the root).
    """

    def __init__(self, data: Any, *, file: str | None = None, path: str = "") -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise InputError(
                f"expected a mapping of keys, got {type(data).__name__}",
                file=file,
                key=path or None,
            )
        self.data: Mapping[str, Any] = data
        self.file = file
        self.path = path
        self._read: set[str] = set()
        #: Dotted key path → citation, for sourced values read so far.
        self.sources: dict[str, str] = {}

    # -- plumbing ---------------------------------------------------------------------
    def key_path(self, key: str) -> str:
        """Dotted path of ``key`` inside the file."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, message: str) -> InputError:
        """An :class:`InputError` located at ``key`` of this mapping."""
        return InputError(
            message, file=self.file, key=self.key_path(key) if key else (self.path or None)
        )

    def has(self, key: str) -> bool:
        """Whether the mapping holds ``key`` (does not mark it read)."""
        return key in self.data

    def raw(self, key: str, default: Any = MISSING) -> Any:
        """The raw value of ``key`` (marks it read); ``default`` when absent.

        A *sourced value* ``{value: ..., source: "..."}`` (used in model files so that
        every number carries its citation) is unwrapped to its ``value``; the source is
        kept in :attr:`sources` under the key's dotted path.
        """
        self._read.add(key)
        if key in self.data:
            value = self.data[key]
            if isinstance(value, Mapping) and "value" in value:
                extra = set(value) - {"value", "source", "note"}
                if extra:
                    raise self.error(
                        key,
                        "a sourced value takes keys value, source, note; "
                        f"got {brief(sorted(map(str, extra)))}",
                    )
                if "source" in value:
                    self.sources[self.key_path(key)] = str(value["source"])
                return value["value"]
            return value
        if default is MISSING:
            raise self.error(key, "required key is missing")
        return default

    def sub(self, key: str, *, required: bool = False) -> MappingReader:
        """A reader for the nested mapping at ``key`` (empty when absent)."""
        value = self.raw(key, MISSING if required else None)
        child = MappingReader(value, file=self.file, path=self.key_path(key))
        child.sources = self.sources  # one shared record of citations per file
        return child

    def key_names(self) -> list[str]:
        """The keys present in the mapping, in file order."""
        return [str(k) for k in self.data]

    def finish(self) -> None:
        """Raise an :class:`InputError` naming the first key that was never read."""
        unknown = [str(k) for k in self.data if k not in self._read]
        if unknown:
            known = sorted(self._read)
            hint = f"; known keys here: {', '.join(known)}" if known else ""
            raise self.error(unknown[0], f"unknown key{hint}")

    # -- typed getters ----------------------------------------------------------------
    def quantity(
        self,
        key: str,
        dimension: str,
        default: Any = MISSING,
        *,
        positive: bool = False,
        non_negative: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        maximum_exclusive: bool = False,
        allow_bare: bool | None = None,
    ) -> float:
        """Read a quantity with units and return its SI magnitude.

        ``default`` may be a string with a unit or an SI float.
        """
        value = self.raw(key, default)
        if isinstance(value, float) and value is default:
            magnitude = value
        else:
            magnitude = parse_quantity(
                value, dimension, file=self.file, key=self.key_path(key), allow_bare=allow_bare
            )
        self._check_range(
            key,
            magnitude,
            value,
            positive=positive,
            non_negative=non_negative,
            minimum=minimum,
            maximum=maximum,
            maximum_exclusive=maximum_exclusive,
        )
        return magnitude

    def number(
        self,
        key: str,
        default: Any = MISSING,
        *,
        positive: bool = False,
        non_negative: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        maximum_exclusive: bool = False,
    ) -> float:
        """Read a plain (dimensionless) number."""
        return self.quantity(
            key,
            "dimensionless",
            default,
            positive=positive,
            non_negative=non_negative,
            minimum=minimum,
            maximum=maximum,
            maximum_exclusive=maximum_exclusive,
        )

    def integer(
        self,
        key: str,
        default: Any = MISSING,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        """Read an integer (a float with an integral value is accepted).

        ``maximum`` bounds values whose size drives memory or time (frames, days, ...).
        """
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a whole number, got {brief(value)}")
        if isinstance(value, float) and not value.is_integer():
            raise self.error(key, f"expected a whole number, got {brief(value)}")
        result = int(value)
        if minimum is not None and result < minimum:
            raise self.error(key, f"expected a whole number >= {minimum}, got {brief(result)}")
        if maximum is not None and result > maximum:
            raise self.error(key, f"expected a whole number <= {maximum}, got {brief(result)}")
        return result

    def boolean(self, key: str, default: Any = MISSING) -> bool:
        """Read ``true``/``false``."""
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {brief(value)}")
        return value

    def string(self, key: str, default: Any = MISSING) -> str:
        """Read a string."""
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {brief(value)}")
        return value

    def choice(self, key: str, options: Iterable[str], default: Any = MISSING) -> str:
        """Read a string that must be one of ``options``."""
        allowed = list(options)
        value = self.raw(key, default)
        if not isinstance(value, str) or value not in allowed:
            raise self.error(key, f"expected one of {', '.join(allowed)}, got {brief(value)}")
        return value

    def sequence(self, key: str, default: Any = MISSING) -> list[Any]:
        """Read a YAML list."""
        value = self.raw(key, default)
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.error(key, f"expected a list, got {brief(value)}")
        return list(value)

    def quantity_list(
        self,
        key: str,
        dimension: str,
        default: Any = MISSING,
        *,
        length: int | None = None,
        allow_bare: bool | None = None,
    ) -> tuple[float, ...]:
        """Read a list of quantities, e.g. a point ``["1 cm", "0 cm"]``."""
        values = self.sequence(key, default)
        if len(values) > MAX_LIST_LENGTH:
            raise self.error(key, f"expected at most {MAX_LIST_LENGTH} values, got {len(values)}")
        if length is not None and len(values) != length:
            raise self.error(key, f"expected a list of {length} values, got {len(values)}")
        return tuple(
            parse_quantity(
                item,
                dimension,
                file=self.file,
                key=f"{self.key_path(key)}[{index}]",
                allow_bare=allow_bare,
            )
            for index, item in enumerate(values)
        )

    # -- helpers ----------------------------------------------------------------------
    def _check_range(
        self,
        key: str,
        magnitude: float,
        original: Any,
        *,
        positive: bool,
        non_negative: bool,
        minimum: float | None,
        maximum: float | None,
        maximum_exclusive: bool,
    ) -> None:
        if not math.isfinite(magnitude):
            raise self.error(key, f"expected a finite value, got {brief(original)}")
        if positive and magnitude <= 0.0:
            raise self.error(key, f"expected a positive value, got {brief(original)}")
        if non_negative and magnitude < 0.0:
            raise self.error(key, f"expected a non-negative value, got {brief(original)}")
        if minimum is not None and magnitude < minimum:
            raise self.error(key, f"expected a value >= {minimum:g}, got {brief(original)}")
        if maximum is not None:
            if maximum_exclusive and magnitude >= maximum:
                raise self.error(key, f"expected a value < {maximum:g}, got {brief(original)}")
            if not maximum_exclusive and magnitude > maximum:
                raise self.error(key, f"expected a value <= {maximum:g}, got {brief(original)}")
