"""Shared test settings: off-screen rendering and the CI size switch."""

from __future__ import annotations

import os

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")

#: True on CI: slow cases run at a reduced size.
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
