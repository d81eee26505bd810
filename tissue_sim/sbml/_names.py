"""Names on both sides: model-file names ↔ SBML identifiers (SId).

A model-file name (``^[A-Za-z][A-Za-z0-9_]*$``, not a function of the expression
language) is always a valid SBML SId, so the export keeps every name as it is, except in a
composition where two files use the same parameter or helper name: those become
``<model>__<name>`` (see :func:`unique_name`). An SBML SId may start with ``_``, may be a
Python keyword or the name of an expression function (``exp``, ``hill``, …); the import
renames those (:func:`model_file_name`) and lists every renaming in the imported file's
description.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Container
from typing import Final

from tissue_sim.biology._expressions import FUNCTIONS

__all__ = ["SBML_ID", "is_sbml_id", "model_file_name", "unique_name"]

#: An SBML SId (SBML Level 3 Version 2, section 3.1.7).
SBML_ID: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A name the model-file reader accepts.
_MODEL_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def is_sbml_id(text: str) -> bool:
    """Whether ``text`` is a valid SBML SId."""
    return bool(SBML_ID.match(text))


def _reserved(name: str) -> bool:
    return name in FUNCTIONS or keyword.iskeyword(name) or name in ("True", "False", "None")


def model_file_name(sbml_id: str, taken: Container[str]) -> str:
    """A model-file name for an SBML SId, not in ``taken``.

    The SId itself when it is a valid model-file name; otherwise leading underscores are
    dropped (``_S1`` → ``S1``), a leading digit gets ``id_`` before it, and a reserved word
    (an expression function such as ``exp``, a Python keyword such as ``lambda``) gets a
    trailing ``_``. A clash with ``taken`` appends ``_2``, ``_3``, ….

    Parameters
    ----------
    sbml_id
        The SBML identifier.
    taken
        Names already given.
    """
    base = sbml_id
    if not _MODEL_NAME.match(base):
        base = base.lstrip("_") or "sbml"
        if not base[0].isalpha():
            base = f"id_{base}"
    if _reserved(base):
        base = f"{base}_"
    return unique_name(base, taken)


def unique_name(base: str, taken: Container[str]) -> str:
    """``base``, or ``base_2``, ``base_3``, … : the first not in ``taken``."""
    if base not in taken:
        return base
    count = 2
    while f"{base}_{count}" in taken:
        count += 1
    return f"{base}_{count}"
