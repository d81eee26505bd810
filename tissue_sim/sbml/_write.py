"""Write a text file of the SBML commands whole or not at all."""

from __future__ import annotations

from pathlib import Path

from tissue_sim.errors import InputError
from tissue_sim.io import write_text_atomic

__all__ = ["write_text_file"]


def write_text_file(target: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``target`` whole or not at all (:func:`~tissue_sim.io.write_text_atomic`).

    Parameters
    ----------
    target
        The file to write.
    text
        Its content (UTF-8).
    force
        Replace an existing file.

    Raises
    ------
    InputError
        The file exists and ``force`` is false, or its folder does not exist.
    """
    if target.exists() and not force:
        raise InputError("the file exists; pass --force to replace it", file=str(target))
    if not target.parent.is_dir():
        raise InputError("the folder does not exist", file=str(target.parent))
    write_text_atomic(target, text)
