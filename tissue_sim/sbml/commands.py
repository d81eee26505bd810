"""``tissue-sim models import`` and ``tissue-sim models export`` (thin: parse, call, print)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tissue_sim.errors import InputError
from tissue_sim.sbml._write import write_text_file
from tissue_sim.sbml.from_sbml import MAX_PROBLEMS, SBMLImportError, import_sbml, write_model_file
from tissue_sim.sbml.to_sbml import export_sbml

__all__ = ["export_command", "import_command", "models_sbml_command"]

_EXIT_OK, _EXIT_BAD_INPUT = 0, 2


def models_sbml_command(args: argparse.Namespace) -> int:
    """Run ``models import`` or ``models export`` (``args.action``)."""
    if args.action == "import":
        return import_command(args)
    return export_command(args)


def _inputs(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        identifier, equals, feature = pair.partition("=")
        if not equals or not identifier.strip() or not feature.strip():
            raise InputError(f"--input takes SBML_ID=FEATURE, got {pair!r}")
        mapping[identifier.strip()] = feature.strip()
    return mapping


def import_command(args: argparse.Namespace) -> int:
    """``tissue-sim models import FILE [-o NAME.yaml] [--input ID=FEATURE] [--time-unit U]``.

    Every construct that cannot be mapped is printed on its own line (exit code 2).
    """
    if not args.name:
        raise InputError("give an SBML or Antimony file: tissue-sim models import FILE.xml")
    path = Path(args.name)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    output = Path(args.output) if args.output else None
    try:
        imported = import_sbml(
            path,
            name=output.stem if output is not None else None,
            inputs=_inputs(args.input),
            time_unit=args.time_unit,
        )
    except SBMLImportError as error:
        for problem in error.problems[:MAX_PROBLEMS]:
            print(f"tissue-sim: error: {path}: {problem}", file=sys.stderr)
        if len(error.problems) > MAX_PROBLEMS:
            print(
                f"tissue-sim: error: {path}: … and {len(error.problems) - MAX_PROBLEMS} more",
                file=sys.stderr,
            )
        print(
            f"tissue-sim: error: {path}: {len(error.problems)} construct(s) cannot be mapped to "
            "a model file (docs/sbml.md); nothing written",
            file=sys.stderr,
        )
        return _EXIT_BAD_INPUT
    target = write_model_file(
        imported, output if output is not None else Path(f"{imported.name}.yaml"), force=args.force
    )
    print(f"wrote {target} (model {imported.name})")
    for note in imported.notes:
        print(f"  {note}")
    print(
        f"  use it in a scenario as biology: {{models: [{target}]}}, or put it in "
        "models/cells/ to use it by name (tissue-sim models show NAME)"
    )
    return _EXIT_OK


def export_command(args: argparse.Namespace) -> int:
    """``tissue-sim models export NAME[,NAME…] [-o FILE.xml]`` (``-o -``: standard output).

    ``default`` exports the composition scenarios use by default.
    """
    if not args.name:
        raise InputError("give a model name: tissue-sim models export NAME[,NAME...] [-o FILE.xml]")
    names = [item.strip() for item in str(args.name).split(",") if item.strip()]
    if names == ["default"]:
        from tissue_sim.biology import list_models
        from tissue_sim.config import DEFAULT_CELL_MODELS

        if "default" not in list_models():
            names = list(DEFAULT_CELL_MODELS)
    exported = export_sbml(names)
    if args.output == "-":
        sys.stdout.write(exported.sbml)
        return _EXIT_OK
    target = Path(args.output) if args.output else Path(f"{exported.model_id}.xml")
    write_text_file(target, exported.sbml, force=args.force)
    print(
        f"wrote {target}: SBML Level 3 Version 2, model {exported.model_id}, "
        f"{len(exported.species)} species (rate rules), stimulus inputs as parameters "
        f"({', '.join(exported.inputs) or 'none'}; 0 = outside sessions)"
    )
    return _EXIT_OK
