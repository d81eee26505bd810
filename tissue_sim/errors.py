"""Exception types shared by every stage.

Two families matter to a user:

* :class:`InputError` — the user's input is wrong (a config key, a unit, a model
  file line). The CLI prints its one-line message and exits with code 2.
* :class:`RunError` — the input was valid but the computation failed (a solver did
  not converge, an element inverted). The CLI prints the message and exits with 1.
"""

from __future__ import annotations

__all__ = ["InputError", "ModelFileError", "RunError", "SolverError", "TissueSimError"]


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
            where.append(self.key)
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def with_context(self, *, file: str | None = None, key_prefix: str | None = None) -> InputError:
        """Return a copy with a file name and/or a key prefix added (keeps the subclass)."""
        key = self.key
        if key_prefix:
            key = f"{key_prefix}.{key}" if key else key_prefix
        return type(self)(self.message, file=self.file or file, key=key, line=self.line)


class ModelFileError(InputError):
    """Error in a declarative model file (``models/cells`` or ``models/tissues``)."""


class RunError(TissueSimError):
    """A valid scenario whose computation failed (CLI exit code 1)."""


class SolverError(RunError):
    """A linear or nonlinear solver failed to converge or met a singular system."""
