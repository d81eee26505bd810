"""The demonstrations: names, one-line summaries, and how to run them.

Each demonstration is a short, fixed study on a coarse mesh that runs in seconds,
prints a narrative in plain words and writes its pictures. Its scenario is an ordinary
YAML file in ``configs/demos/`` (a copyable example).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tissue_sim.errors import InputError

__all__ = ["DEMOS", "Demo", "DemoOutcome", "Progress", "get_demo", "list_demos", "run_demo"]

#: progress(message): called as a demonstration advances (e.g. "run 2 of 5: 3 kPa")
Progress = Callable[[str], None]


@dataclass
class DemoOutcome:
    """What a demonstration produced.

    Attributes
    ----------
    narrative
        Paragraphs in plain words: what was simulated, what the pictures show, what the
        numbers say, and the limits of the model.
    figures
        The pictures written.
    numbers
        The key numbers the narrative quotes (for tests and for further use).
    """

    narrative: list[str]
    figures: list[Path]
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Demo:
    """One demonstration.

    Attributes
    ----------
    name
        Name on the command line.
    title
        Headline.
    summary
        One line for ``tissue-sim demo`` (the listing).
    config
        Scenario file in ``configs/demos/`` (``protocols/``: calibration-targets files of the
        in-vitro demonstrations, read by ``tissue-sim calibrate``).
    runner
        ``module:function`` that runs it: ``function(demo, output, progress) -> DemoOutcome``.
    """

    name: str
    title: str
    summary: str
    config: str
    runner: str

    def run(self, output: Path, progress: Progress | None = None) -> DemoOutcome:
        """Run the demonstration, writing its pictures into ``output``."""
        module, function = self.runner.split(":")
        run: Callable[[Demo, Path, Progress], DemoOutcome] = getattr(
            importlib.import_module(module), function
        )
        output = Path(output)
        output.mkdir(parents=True, exist_ok=True)
        return run(self, output, progress or (lambda message: None))


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        Demo(
            "pressure_and_shear",
            "How pressure and shear travel through skin, fat, fascia and muscle",
            "a hand presses, then presses and pushes sideways: where does each layer strain?",
            "pressure_and_shear.yaml",
            "tissue_sim.demos.pressure_and_shear:run",
        ),
        Demo(
            "pain_gating",
            "Pain gating during a stroke (a teaching model of a hypothesis)",
            "strokes over a sore back excite skin afferents that damp nociceptive transmission",
            "pain_gating.yaml",
            "tissue_sim.demos.pain_gating:run",
        ),
        Demo(
            "ischaemic_compression",
            "Ischaemic compression: blood flow under a thumb and after it lifts",
            "a 90-s thumb hold closes the capillaries; on release flow overshoots (hyperaemia)",
            "ischaemic_compression.yaml",
            "tissue_sim.demos.ischaemic_compression:run",
        ),
        Demo(
            "tgfb1_dose_response",
            "The dose-response of TGF-β1 to massage pressure",
            "five kneading pressures, five days: how TGF-β1 in each layer answers the dose",
            "tgfb1_dose_response.yaml",
            "tissue_sim.demos.dose_response:run",
        ),
        Demo(
            "fibroblast_cytokines",
            "Fibroblast cytokines after repetitive strain and after a sustained stretch",
            "cells in a dish (Meltzer & Standley 2007): overuse raises IL-6, a 60-s stretch "
            "after it lowers it",
            "protocols/fibroblast_cytokines.yaml",
            "tissue_sim.demos.fibroblast_cytokines:run",
        ),
        Demo(
            "macrophage_switch",
            "The macrophage switch (M1 → M2) over a course of sessions",
            "after damaging exercise, daily massage speeds the switch to repair macrophages",
            "macrophage_switch.yaml",
            "tissue_sim.demos.macrophage_switch:run",
        ),
        Demo(
            "therapeutic_window",
            "The therapeutic window: too little does nothing, a long hold harms",
            "light, moderate and firm kneading, and the firm pressure held 2 h: which helps?",
            "therapeutic_window.yaml",
            "tissue_sim.demos.therapeutic_window:run",
        ),
        Demo(
            "course_planner",
            "A course planner: daily, three times a week, or one long session?",
            "the same 210 min of kneading spread three ways over a week",
            "course_planner.yaml",
            "tissue_sim.demos.course_planner:run",
        ),
    )
}


def list_demos() -> list[Demo]:
    """All demonstrations, in teaching order."""
    return list(DEMOS.values())


def get_demo(name: str) -> Demo:
    """The demonstration called ``name``.

    Raises
    ------
    InputError
        No such demonstration (the message lists the names).
    """
    if name not in DEMOS:
        raise InputError(f"no demonstration {name!r}; available: {', '.join(DEMOS)}")
    return DEMOS[name]


def run_demo(name: str, output: Path, progress: Progress | None = None) -> DemoOutcome:
    """Run the demonstration ``name``, writing its pictures into ``output``."""
    return get_demo(name).run(output, progress)
