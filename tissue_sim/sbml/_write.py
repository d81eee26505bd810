"""Write a text file of the SBML commands whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tissue_sim.errors import InputError

__all__ = ["write_text_file"]


def write_text_file(target: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``target`` through a temporary file in its folder, then rename.

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
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
