"""``tissue-sim sweep``: run a sweep file, or rebuild a sweep folder's summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tissue_sim.errors import InputError

__all__ = ["sweep_command"]


def sweep_command(args: argparse.Namespace) -> int:
    """Run ``tissue-sim sweep``.

    Parameters
    ----------
    args
        ``sweep`` (sweep YAML or ``None``), ``output`` (folder or ``None``: ``results/
        <sweep name>``), ``workers``, ``executor`` (``local``/``dask``), ``address``,
        ``summarise`` (a sweep folder whose summary to rebuild, or ``None``), ``quiet``.

    Returns
    -------
    int
        0 when every run finished, 1 when some failed (or, with ``--summarise``, have
        not run yet).

    Raises
    ------
    InputError
        For a bad sweep file or arguments (the CLI exits with 2).
    """
    from tissue_sim.sweep.runner import run_sweep
    from tissue_sim.sweep.spec import load_sweep
    from tissue_sim.sweep.summary import summarise

    quiet = bool(getattr(args, "quiet", False))
    if args.summarise:
        if args.sweep:
            raise InputError("give a sweep file or --summarise DIR, not both")
        summary = summarise(args.summarise)
        if not quiet:
            print(summary.describe(), file=sys.stderr)
        return 0 if summary.all_ok else 1
    if not args.sweep:
        raise InputError(
            "give a sweep file (tissue-sim sweep SWEEP.yaml -o DIR) or --summarise DIR"
        )
    spec = load_sweep(args.sweep)
    output = Path(args.output) if args.output else Path("results") / spec.name
    summary = run_sweep(
        spec,
        output,
        workers=args.workers,
        executor=args.executor,
        address=args.address,
        quiet=quiet,
    )
    return 0 if summary.all_ok else 1
