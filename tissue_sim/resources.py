"""Where the shipped data lives: cell models, tissue presets and the demonstrations' scenarios.

The repository keeps the data at the top level, as the design names it: ``models/cells``,
``models/tissues`` and ``configs/demos``. A built wheel carries copies of those folders
inside the package, as ``tissue_sim/_data/models`` and ``tissue_sim/_data/configs/demos``
(the build step in ``setup.py`` copies them), so an installed ``tissue_sim`` reads its own
data through :mod:`importlib.resources`. A source checkout (an editable install, or
``PYTHONPATH``) has no ``_data`` folder and reads the repository's folders: the same files
the wheel was built from.

One override, for a user's own model library: the environment variable
``TISSUE_SIM_MODELS`` names a folder laid out like ``models/`` (``cells/*.yaml``,
``tissues/*.yaml``); cell models and tissue presets are then read from it instead.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Final

__all__ = [
    "MODELS_ENVIRONMENT_VARIABLE",
    "cell_models_directory",
    "data_directory",
    "demo_configs_directory",
    "models_directory",
    "tissue_presets_directory",
]

#: Environment variable naming a folder that replaces the shipped ``models/``.
MODELS_ENVIRONMENT_VARIABLE: Final[str] = "TISSUE_SIM_MODELS"

#: Folder inside the installed package that holds the shipped data (absent in a checkout).
_PACKAGED: Final[str] = "_data"


def data_directory() -> Path:
    """The folder holding the shipped ``models/`` and ``configs/`` folders.

    Inside an installed wheel: ``tissue_sim/_data``; in a source checkout: the repository
    root (the top-level ``models/`` and ``configs/`` the wheel copies).

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    RuntimeError
        When the package is imported from an archive (a zip) instead of a folder: the data
        must be files on disk (pip always installs it so).
    """
    package = files("tissue_sim")
    if not isinstance(package, Path):
        raise RuntimeError(
            f"tissue_sim is imported from {package!s}, not a folder: install it with pip so "
            "its data files are on disk"
        )
    packaged = package / _PACKAGED
    if packaged.is_dir():
        return packaged
    return package.parent


def models_directory() -> Path:
    """The ``models/`` folder: ``$TISSUE_SIM_MODELS`` when set, else the shipped one.

    Returns
    -------
    pathlib.Path
        Folder with ``cells/`` (cell-model files) and ``tissues/`` (tissue presets).
    """
    override = os.environ.get(MODELS_ENVIRONMENT_VARIABLE)
    if override:
        return Path(override)
    return data_directory() / "models"


def cell_models_directory() -> Path:
    """Folder of the cell-model files (``models/cells``, see :func:`models_directory`)."""
    return models_directory() / "cells"


def tissue_presets_directory() -> Path:
    """Folder of the tissue presets (``models/tissues``, see :func:`models_directory`)."""
    return models_directory() / "tissues"


def demo_configs_directory() -> Path:
    """Folder of the demonstrations' scenario files (``configs/demos``; not overridable)."""
    return data_directory() / "configs" / "demos"
