"""Build step: copy the shipped data into the package of a built wheel.

The repository keeps the cell models, tissue presets and demonstration scenarios at the top
level (``models/``, ``configs/demos/``); a wheel carries copies of them as
``tissue_sim/_data/...``, where :mod:`tissue_sim.resources` finds them. An editable install
copies nothing: it reads the repository's folders. Everything else about the package is in
``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: Folders (relative to the repository) copied into ``tissue_sim/_data`` with their layout.
DATA_FOLDERS = ("models/cells", "models/tissues", "configs/demos")


def _data_files() -> list[Path]:
    root = Path(__file__).resolve().parent
    found = []
    for folder in DATA_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found.append(path.relative_to(root))
    return found


class BuildPyWithData(build_py):
    """``build_py`` that also copies :data:`DATA_FOLDERS` into ``tissue_sim/_data``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for relative in _data_files():
            target = Path(self.build_lib) / "tissue_sim" / "_data" / relative
            self.mkpath(str(target.parent))
            self.copy_file(str(relative), str(target), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if getattr(self, "editable_mode", False):
            return outputs
        base = Path(self.build_lib) / "tissue_sim" / "_data"
        return outputs + [str(base / relative) for relative in _data_files()]


setup(cmdclass={"build_py": BuildPyWithData})
