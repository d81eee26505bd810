"""The optional SBML libraries (the ``sbml`` extra), imported only when a command needs them."""

from __future__ import annotations

from typing import Any

from tissue_sim.errors import InputError

__all__ = ["antimony_module", "libsbml_module"]

_INSTALL = "install the sbml extra: pip install 'tissue-sim[sbml]'"


def libsbml_module() -> Any:
    """The ``libsbml`` module (python-libsbml).

    Raises
    ------
    InputError
        When python-libsbml is not installed (saying how to install it).
    """
    try:
        import libsbml
    except ImportError:
        raise InputError(f"SBML import and export need python-libsbml; {_INSTALL}") from None
    return libsbml


def antimony_module() -> Any:
    """The ``antimony`` module (reads Antimony model text).

    Raises
    ------
    InputError
        When antimony is not installed (saying how to install it).
    """
    try:
        import antimony
    except ImportError:
        raise InputError(f"reading Antimony models needs antimony; {_INSTALL}") from None
    return antimony
