"""``tissue-sim calibrate TARGETS.yaml --params a,b,c [-o OUT]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tissue_sim.calibration.fit import fit_parameters, format_report, write_overrides
from tissue_sim.calibration.targets import read_targets
from tissue_sim.errors import InputError

__all__ = ["calibrate_command"]


def calibrate_command(args: argparse.Namespace) -> int:
    """Fit ``--params`` to the targets of a file; write the overrides and a report.

    Writes ``OUT`` (default ``calibration.yaml``: a ``biology.parameters`` mapping) and
    ``OUT``'s name with ``_report.txt``, and prints the report. Returns 0.

    Raises
    ------
    InputError
        For a missing or bad targets file (naming the file and key), unknown parameters
        (key ``--params``) or unknown target names (key ``--targets``).
    """
    path = Path(args.targets)
    if not path.is_file():
        raise InputError("targets file not found", file=str(path))
    targets = read_targets(path)
    names = [name.strip() for name in (args.params or "").split(",") if name.strip()]
    if not names:
        raise InputError(
            "give the parameters to fit, e.g. --params model.k_a,model.k_b", key="--params"
        )
    chosen = None
    if args.only:
        chosen = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in targets.targets]
        if unknown:
            raise InputError(
                f"no target {unknown[0]!r} in the file; targets: {', '.join(targets.targets)}",
                file=str(path),
                key="--targets",
            )
    result = fit_parameters(targets, names, names=chosen, max_evaluations=args.max_evaluations)
    output = Path(args.output or "calibration.yaml")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_overrides(result, output)
    report = format_report(result)
    report_path = output.with_name(output.stem + "_report.txt")
    report_path.write_text(report, encoding="utf-8")
    print(report, end="")
    print(f"wrote {output} (paste under biology.parameters) and {report_path}")
    return 0
