"""Exception types shared by every stage.

Two families matter to a user:

* :class:`InputError` — the user's input is wrong (a config key, a unit, a model
  file line). The CLI prints its one-line message and exits with code 2.
* :class:`RunError` — the input was valid but the computation failed (a solver did
  not converge, an element inverted). The CLI prints the message and exits with 1.
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = [
    "InputError",
    "LimitError",
    "ModelFileError",
    "RunError",
    "SolverError",
    "TissueSimError",
    "brief",
    "one_line",
]

_BRIEF = reprlib.Repr()
_BRIEF.maxlevel = 3
_BRIEF.maxstring = 60
_BRIEF.maxother = 60
_BRIEF.maxlong = 40
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxset = _BRIEF.maxfrozenset = 6
_BRIEF.maxdict = 4


def brief(value: Any) -> str:
    """A short ``repr`` of a user's value for an error message (never unbounded).

    Strings keep at most 60 characters, containers their first few items, integers
    their first and last digits, and recursive structures are cut: an alias bomb or a
    megabyte of text never reaches the terminal.

    >>> brief("x" * 1000)[:12], len(brief("x" * 1000)) < 80
    ("'xxxxxxxxxxx", True)
    >>> brief(10**100)
    '100000000000000000...0000000000000000000'
    """
    try:
        text = _BRIEF.repr(value)
    except Exception:  # a value whose repr fails: say what it is
        text = f"<{type(value).__name__}>"
    if len(text) > 120:  # nested containers: each part is short, the whole need not be
        text = text[:119] + "…"
    if isinstance(value, str) and len(value) > _BRIEF.maxstring:
        text += f" ({len(value)} characters)"
    return text


def one_line(text: str, limit: int = 400) -> str:
    """``text`` on one line (newlines → spaces), at most ``limit`` characters, printable.

    Lone surrogates and other text that the terminal cannot encode are escaped.
    """
    flat = " ".join(str(text).split())
    flat = flat.encode("utf-8", "backslashreplace").decode("utf-8")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class TissueSimError(Exception):
    """Base class of every error tissue_sim raises on purpose."""


class InputError(TissueSimError):
    """Bad user input: names the file, the key path and what was expected.

    Parameters
    ----------
    message
        What was wrong and what was expected, e.g. ``"expected a pressure, got '2 mm'"``.
    file
        The file the input came from (``None`` for programmatic input).
    key
        Dotted key path inside that file, e.g. ``"tissue.layers.fascia.thickness"``.
    line
        1-based line number inside the file, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.key:
            where.append(self.key if len(self.key) <= 150 else self.key[:149] + "…")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ModelFileError(InputError):
    """Error in a declarative model file (``models/cells`` or ``models/tissues``)."""


class LimitError(InputError):
    """A scenario or sweep whose predicted size is beyond a configured limit (exit 2)."""


class RunError(TissueSimError):
    """A valid scenario whose computation failed (CLI exit code 1)."""


class SolverError(RunError):
    """A linear or nonlinear solver failed to converge or met a singular system."""
