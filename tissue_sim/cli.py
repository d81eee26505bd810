"""``tissue-sim``: the command line (thin: it parses arguments and calls the library).

Exit codes: 0 success, 1 the run failed (solver, numerics), 2 bad input (the message
names the file, the key and what was expected; no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tissue_sim.errors import InputError, RunError, one_line

__all__ = ["main"]

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2


@contextmanager
def _plain_warnings() -> Iterator[None]:
    """Show tissue_sim's own warnings (e.g. ``DiffusionResolutionWarning``) as one line,
    ``tissue-sim: warning: ...``, above any progress bar; other warnings as Python shows
    them."""
    shown = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if not category.__module__.startswith("tissue_sim"):
            shown(message, category, filename, lineno, file, line)
            return
        from tqdm import tqdm

        tqdm.write(f"tissue-sim: warning: {one_line(str(message), 380)}", file=sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown


def _progress_bar(quiet: bool) -> tuple[Callable[[str, float], None] | None, Callable[[], None]]:
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", file=sys.stderr, dynamic_ncols=True, leave=False)
    weights = {"mesh": 5, "mechanics": 45, "stimulus": 5, "biology": 35, "output": 4, "figures": 6}
    offsets: dict[str, float] = {}
    position = 0.0
    for stage, weight in weights.items():
        offsets[stage] = position
        position += weight

    def update(stage: str, fraction: float) -> None:
        target = offsets.get(stage, 0.0) + weights.get(stage, 0) * fraction
        bar.set_description(stage)
        if target > bar.n:
            bar.update(target - bar.n)

    def close() -> None:
        bar.close()

    return update, close


def _cmd_run(args: argparse.Namespace) -> int:
    from tissue_sim.config import load_config
    from tissue_sim.pipeline import run_to_directory

    scenario = load_config(args.config, args.set or [])
    out = Path(args.output) if args.output else Path("results") / scenario.name
    progress, close = _progress_bar(args.quiet)
    try:
        result, path = run_to_directory(
            scenario,
            out,
            figures=False if args.no_figures else None,
            report=False if args.no_report else None,
            progress=progress,
        )
    finally:
        close()
    if not args.quiet:
        _print_summary(result, path)
    return EXIT_OK


def _print_summary(result: object, path: Path) -> None:
    from tissue_sim.geometry.layer_statistics import stat
    from tissue_sim.io import RunResult

    assert isinstance(result, RunResult)
    mech = result.mechanics
    print(
        f"{result.name}: {mech.displacement.shape[0]} load frame(s), "
        f"{result.mesh.points.shape[0] * 3} unknowns, {result.mesh.linear_cells.shape[0]} cells"
    )
    print("peak max-principal strain per layer (volume-weighted 90th percentile, max):")
    for layer, stats in mech.layer_stats.items():
        table = stats["max_principal_strain"]
        p90, largest = stat(table, "p90").max(), stat(table, "max").max()
        print(f"  {layer:<10} p90 {p90:8.4f}   max {largest:8.4f}")
    from tissue_sim.mechanics.session import summary_lines

    for line in summary_lines(mech.solver):
        print(line)
    if result.biology is not None:
        _print_treatment_effect(result)
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"time: {timing}")
    print(f"wrote {path}")


def _print_treatment_effect(result: object) -> None:
    """What the massage did per layer: treated vs untreated at the end of the course, for
    the quantities the model files declare for reports (with their labels)."""
    from tissue_sim.io import RunResult
    from tissue_sim.viz.effect import effect_table

    assert isinstance(result, RunResult) and result.biology is not None
    for line in effect_table(result):
        print(line)
    stats = result.biology.statistics
    if "points" in stats:
        # with diffusion on the cells are one coupled system (result.h5 records D only then)
        coupled = any(key.endswith(".diffusivity") for key in result.biology.parameters)
        print(
            f"  biology: {stats['points']} cells, {stats['distinct_points']} distinct "
            f"({'coupled by diffusion' if coupled else 'integrated once each'}), "
            f"{stats['integrated_points'] - stats['distinct_points']} "
            "more for the untreated control"
        )


def _cmd_check(args: argparse.Namespace) -> int:
    from tissue_sim.config import load_config
    from tissue_sim.config.limits import estimate_size
    from tissue_sim.pipeline import prepare

    scenario = load_config(args.config, args.set or [])
    prepare(scenario)
    steps = ", ".join(step.technique.name for step in scenario.loading.steps)
    print(
        f"{args.config}: ok — tissue {scenario.tissue.preset or 'custom'} "
        f"({', '.join(scenario.tissue.layer_names)}), technique(s) {steps}, "
        f"{scenario.schedule.days} day(s), config hash {scenario.config_hash()[:12]}"
    )
    print(f"predicted size: {estimate_size(scenario).describe()}")
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from tissue_sim.biology import describe_model, list_models, list_presets, load_model

    if args.action in ("import", "export"):  # SBML: docs/sbml.md
        from tissue_sim.sbml.commands import models_sbml_command

        return models_sbml_command(args)
    if args.action == "show":
        if not args.name:
            raise InputError("give a model name: tissue-sim models show NAME")
        available = list_models()
        if args.name not in available:
            raise InputError(f"no cell model {args.name!r}; available: {', '.join(available)}")
        print(describe_model(args.name))
        return EXIT_OK
    print("cell models (models/cells):")
    for name in list_models():
        model = load_model([name])
        print(f"  {name:<34} {len(model.species)} species, inputs: {', '.join(model.inputs)}")
    print(f"initial-state presets: {', '.join(list_presets())}")
    from tissue_sim.config import list_tissue_presets

    print(f"tissue presets (models/tissues): {', '.join(list_tissue_presets())}")
    return EXIT_OK


def _delegate(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``module`` only when its command runs (keeps start-up fast)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), function)(args))

    return handler


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tissue-sim``."""
    parser = argparse.ArgumentParser(
        prog="tissue-sim",
        description="Simulate how massage loads layered soft tissue and how its cells respond.",
    )
    from tissue_sim import __version__

    parser.add_argument("--version", action="version", version=f"tissue-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write result.h5, figures and a report")
    run.add_argument("config", help="scenario YAML file")
    run.add_argument("-o", "--output", help="output folder (default results/<name>)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key")
    run.add_argument("--no-figures", action="store_true", help="skip the pictures")
    run.add_argument("--no-report", action="store_true", help="skip report.html")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    run.set_defaults(handler=_cmd_run)

    check = sub.add_parser("check", help="validate a scenario without running it")
    check.add_argument("config", help="scenario YAML file")
    check.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key")
    check.set_defaults(handler=_cmd_check)

    view = sub.add_parser("view", help="render one picture of a result")
    view.add_argument("result", help="result.h5 of a run")
    view.add_argument("--field", default=None, help="field to show (default: effective strain)")
    when = view.add_mutually_exclusive_group()
    when.add_argument("--frame", type=int, default=None, help="load frame (mechanics fields)")
    when.add_argument("--time", default=None, help="time of a biology field, e.g. '7 d'")
    view.add_argument("-o", "--output", default=None, help="PNG file to write")
    view.add_argument("--interactive", action="store_true", help="open a window (needs a display)")
    view.set_defaults(handler=_delegate("tissue_sim.viz.commands", "view_command"))

    report = sub.add_parser("report", help="write report.html for a result")
    report.add_argument("result", help="result.h5 of a run")
    report.add_argument("-o", "--output", default=None, help="folder (default: beside result)")
    report.set_defaults(handler=_delegate("tissue_sim.viz.commands", "report_command"))

    demo = sub.add_parser("demo", help="run a teaching demonstration (no NAME: list them)")
    demo.add_argument("name", nargs="?", default=None, help="demonstration name")
    demo.add_argument("-o", "--output", default=None, help="output folder")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(handler=_delegate("tissue_sim.demos.commands", "demo_command"))

    models = sub.add_parser(
        "models", help="list cell models, show one, import SBML/Antimony or export SBML"
    )
    models.add_argument(
        "action", nargs="?", choices=("list", "show", "import", "export"), default="list"
    )
    models.add_argument(
        "name",
        nargs="?",
        default=None,
        help="model name (show; export: NAME[,NAME...] or default) or SBML/Antimony file (import)",
    )
    models.add_argument("-o", "--output", default=None, help="file to write (import, export)")
    models.add_argument("--force", action="store_true", help="replace an existing output file")
    models.add_argument(
        "--input", action="append", metavar="SBML_ID=FEATURE", help="import: a stimulus input"
    )
    models.add_argument("--time-unit", default=None, help="import: the SBML model's time unit")
    models.set_defaults(handler=_cmd_models)

    sweep = sub.add_parser("sweep", help="run a parameter sweep (local workers or Dask)")
    sweep.add_argument("sweep", nargs="?", default=None, help="sweep YAML file")
    sweep.add_argument("-o", "--output", default=None, help="sweep folder")
    sweep.add_argument("--workers", type=int, default=None, help="worker processes")
    sweep.add_argument("--executor", choices=("local", "dask"), default="local")
    sweep.add_argument("--address", default=None, help="address of a running Dask scheduler")
    sweep.add_argument(
        "--summarise", metavar="DIR", default=None, help="rebuild the summary of a sweep folder"
    )
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=_delegate("tissue_sim.sweep.commands", "sweep_command"))

    calibrate = sub.add_parser(
        "calibrate", help="fit cell-model parameters to literature targets (least squares)"
    )
    calibrate.add_argument("targets", help="targets YAML (e.g. models/calibration/targets.yaml)")
    calibrate.add_argument("--params", required=True, help="parameters to fit, comma-separated")
    calibrate.add_argument("-o", "--output", default=None, help="override file (calibration.yaml)")
    calibrate.add_argument(
        "--targets", dest="only", default=None, help="targets to fit (default: those with fit)"
    )
    calibrate.add_argument("--max-evaluations", type=int, default=60, help="most model evaluations")
    calibrate.set_defaults(
        handler=_delegate("tissue_sim.calibration.commands", "calibrate_command")
    )

    verify = sub.add_parser("verify", help="check a result folder's integrity (exit 1 if not)")
    verify.add_argument("directory", help="result folder (or its result.h5)")
    verify.set_defaults(handler=_delegate("tissue_sim.io.verify", "verify_command"))

    explore = sub.add_parser(
        "explore", help="interactive page in the browser: strain section and treatment effect"
    )
    explore.add_argument("--port", type=int, default=8080, help="localhost port (default 8080)")
    explore.add_argument("--preset", default="lumbar", help="tissue preset shown first")
    explore.add_argument("--technique", default="static_compression", help="technique first")
    explore.add_argument("--no-browser", action="store_true", help="do not open a browser")
    explore.add_argument(
        "--mechanics",
        choices=("hyperelastic", "linear"),
        default="hyperelastic",
        help="finite strain (precomputed grid, default) or small strain (superposition)",
    )
    explore.add_argument(
        "--pressures", default="2.5,5,10,20,40", help="grid pressures in kPa (finite strain)"
    )
    explore.add_argument("--ratios", default="0,0.25,0.5", help="grid shear ratios (finite strain)")
    explore.add_argument("--cache-dir", default=None, help="folder of the cached grids")
    explore.add_argument("--no-cache", action="store_true", help="keep the grids in memory only")
    explore.set_defaults(handler=_delegate("tissue_sim.explore.commands", "explore_command"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tissue-sim``; returns the exit code."""
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _plain_warnings():
            return int(args.handler(args))
    except InputError as error:
        print(f"tissue-sim: error: {one_line(str(error), 380)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunError as error:
        print(f"tissue-sim: run failed: {one_line(str(error), 380)}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except MemoryError:
        print(
            "tissue-sim: run failed: out of memory; lower the size (mesh.size, frames, days) "
            "or the limits (docs/reliability.md)",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        print("tissue-sim: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug, not a user mistake: show where it happened
        traceback.print_exc()
        print(
            "tissue-sim: internal error (please report it with the traceback above)",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
