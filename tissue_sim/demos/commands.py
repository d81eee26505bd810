"""``tissue-sim demo [NAME]``: list the demonstrations, or run one."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

__all__ = ["demo_command"]


def demo_command(args: argparse.Namespace) -> int:
    """List the demonstrations (no name) or run one and print its narrative.

    Pictures go into ``--output`` (default ``results/demos/<name>``).

    Raises
    ------
    tissue_sim.errors.InputError
        Unknown demonstration name.
    """
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from tissue_sim.demos._common import wrap
    from tissue_sim.demos.registry import get_demo, list_demos

    if args.name is None:
        print("demonstrations (run one with: tissue-sim demo NAME):")
        for demo in list_demos():
            print(f"  {demo.name:<22} {demo.summary}")
        return 0
    demo = get_demo(args.name)
    output = Path(args.output) if args.output else Path("results") / "demos" / demo.name
    start = time.perf_counter()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"  … {message}", file=sys.stderr, flush=True)

    print(f"{demo.title}\n{'=' * len(demo.title)}")
    outcome = demo.run(output, progress)
    print(wrap(outcome.narrative))
    print("\nPictures:")
    for path in outcome.figures:
        print(f"  {path}")
    if not args.quiet:
        print(f"(done in {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0
