"""``tissue-sim view`` and ``tissue-sim report``: thin wrappers over :mod:`tissue_sim.viz`."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from tissue_sim.errors import InputError

__all__ = ["report_command", "view_command"]


def _default_view_path(result_path: Path, name: str, frame: int | None, when: str) -> Path:
    if frame is not None:
        tag = f"frame{frame}"
    else:
        tag = re.sub(r"[^a-z0-9.]+", "", when.split(" of ")[0].lower()) or "final"
    return result_path.parent / f"view_{name}_{tag}.png"


def view_command(args: argparse.Namespace) -> int:
    """Render one picture of a result (``tissue-sim view RESULT [--field] [--frame|--time]``).

    Writes a PNG (default ``view_<field>_<frame|day>.png`` beside the result) or, with
    ``--interactive``, opens a window.

    Raises
    ------
    InputError
        Missing or unreadable result file, unknown field, frame or time, or
        ``--interactive`` without a display.
    """
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from tissue_sim.io import read_result
    from tissue_sim.viz.fields import resolve_field
    from tissue_sim.viz.scenes import display_available, render_block

    if args.interactive and not display_available():
        raise InputError(
            "--interactive needs a display (DISPLAY or WAYLAND_DISPLAY is not set); "
            "leave it out to write a PNG instead"
        )
    result_path = Path(args.result)
    result = read_result(result_path)
    field = resolve_field(result, args.field, args.frame, args.time)
    output = (
        Path(args.output)
        if args.output
        else _default_view_path(result_path, field.name, field.frame, field.when)
    )
    if not args.interactive and output.suffix.lower() != ".png":
        raise InputError(f"the picture is written as PNG: give a .png file, not {output.name!r}")
    written = render_block(result, field, output, interactive=args.interactive)
    if written is not None:
        print(f"{field.label} — {field.when}: wrote {written}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    """Write ``report.html`` (and its pictures in ``figures/``) for a result.

    The folder is ``--output`` or the result's own folder; the pictures are drawn again
    from the result so that the page always matches it.

    Raises
    ------
    InputError
        Missing or unreadable result file.
    """
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from tissue_sim.io import read_result
    from tissue_sim.viz.figures import write_figures
    from tissue_sim.viz.report import write_report

    result_path = Path(args.result)
    result = read_result(result_path)
    folder = Path(args.output) if args.output else result_path.parent
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; --output names a folder")
    figures = write_figures(result, folder / "figures")
    page = write_report(result, folder / "report.html", figures=figures)
    print(f"wrote {page} ({len(figures)} pictures embedded)")
    return 0
