"""Bit-exact fingerprints of the load frames of scenario files (for the pinned-frames test).

``python tests/loading/_frames_fingerprint.py FILE...`` prints, as JSON, per scenario file
and technique step, the SHA-256 of every part of what the loading stage hands on: the
technique's parameters, the frames (times, patches, pressures, shears), the cycle period
and loaded time, the superposition basis and load curves, the footprint, the minimum and
default frame counts, the smallest load feature the skin quadrature resolves, and the
skin traction of every frame on a grid. Floats enter as their exact bits
(``float.hex``, array bytes), so two fingerprints agree only when the numbers are identical.

Only public names that exist before and after the techniques' split are used, so the same
script fingerprints an older checkout (``PYTHONPATH=<checkout> python …``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tissue_sim.config import load_config
from tissue_sim.loading import (
    default_frames,
    minimum_frames,
    surface_traction,
    technique_footprint,
)

REPOSITORY = Path(__file__).resolve().parents[2]

#: Skin points where every frame's traction is sampled: 41 × 41 over ±6 cm.
_GRID = np.linspace(-0.06, 0.06, 41)
SKIN_POINTS = np.column_stack(
    [np.repeat(_GRID, _GRID.size), np.tile(_GRID, _GRID.size), np.zeros(_GRID.size**2)]
)


def _is_scenario(path: Path) -> bool:
    """A scenario file, not a calibration-targets file (``waveforms`` and ``protocols``:
    ``tissue_sim/calibration/targets.py``), which a demo may ship beside its scenarios."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return not (isinstance(data, dict) and "protocols" in data and "waveforms" in data)


def shipped_scenarios() -> list[Path]:
    """Every scenario file the repository ships (configs/, its demos and verification)."""
    folders = ("configs", "configs/demos", "configs/verification")
    return [
        path
        for folder in folders
        for path in sorted((REPOSITORY / folder).glob("*.yaml"))
        if _is_scenario(path)
    ]


def canonical(value: Any) -> Any:
    """A JSON-able form in which floats are exact (hex) and dataclasses are field lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__] + [
            [item.name, canonical(getattr(value, item.name))]
            for item in dataclasses.fields(value)
            if item.init
        ]
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        return ["ndarray", str(array.dtype), list(array.shape), array.tobytes().hex()]
    if isinstance(value, bool | None | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value).hex()
    if isinstance(value, tuple | list):
        return [canonical(item) for item in value]
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def _digest(value: Any) -> str:
    text = json.dumps(canonical(value), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _smallest_load_feature(steps: Any) -> float:
    try:
        from tissue_sim.loading import smallest_load_feature
    except ImportError:  # before the split the pipeline computed it
        from tissue_sim import pipeline

        return float(pipeline._smallest_load_feature(steps))
    return float(smallest_load_feature([step.technique for step in steps]))


def fingerprint(path: Path) -> dict[str, dict[str, str]]:
    """``{"step <i> <technique>": {part: sha256}}`` plus ``"session"`` for one file."""
    scenario = load_config(path)
    steps = scenario.loading.steps
    result: dict[str, dict[str, str]] = {
        "session": {"smallest_load_feature": _digest(_smallest_load_feature(steps))}
    }
    for index, step in enumerate(steps):
        technique = step.technique
        frames = step.frames()
        traction = np.stack([surface_traction(frame, SKIN_POINTS) for frame in frames.frames])
        result[f"step {index} {technique.name}"] = {
            "technique": _digest(technique),
            "step": _digest([step.n_frames, step.start, step.duration, step.cycles_per_session]),
            "frames": _digest(list(frames.frames)),
            "frame_times": _digest(frames.frame_times),
            "cycle": _digest([frames.cycle_period, frames.loaded_time_per_cycle]),
            "basis": _digest([frames.basis, frames.basis_factors]),
            "single_pattern": _digest([frames.reference_frame, frames.load_factors]),
            "loaded": _digest(frames.loaded),
            "footprint": _digest(technique_footprint(technique)),
            "frame_counts": _digest([minimum_frames(technique), default_frames(technique)]),
            "traction": _digest(traction),
        }
    return result


def synthetic_fingerprint() -> dict[str, dict[str, str]]:
    """Fingerprints of techniques built in code, over the branches no shipped file takes.

    Frames at several counts (including too few: the error text is fingerprinted), the
    footprint and the on-block check on a large and a small block.
    """
    import math

    from tissue_sim import loading as ld

    patch = ld.ContactPatch(centre=(0.01, -0.005), semi_axes=(0.012, 0.008), orientation=0.4)
    cases: dict[str, tuple[Any, tuple[int | None, ...]]] = {
        "static": (ld.StaticCompression(), (None, 1, 2, 5)),
        "static_ramps": (
            ld.StaticCompression(ramp_time=1.5, release_time=2.5, shear=(300.0, -200.0)),
            (None, 2, 3, 4, 9, 10),
        ),
        "static_rest": (
            ld.StaticCompression(patch=patch, ramp_time=1.0, release_time=1.0, rest_time=7.0),
            (None, 3, 4, 6, 11),
        ),
        "shear": (ld.SustainedShear(), (None, 3, 5, 12)),
        "kneading": (ld.Kneading(), (None, 3, 4, 8, 13)),
        "kneading_floor": (
            ld.Kneading(patch=patch, min_pressure=2.0e3, shear=(500.0, 100.0), frequency=0.8),
            (None, 6),
        ),
        "friction": (ld.CrossFibreFriction(), (None, 3, 4, 9)),
        "friction_angle": (ld.CrossFibreFriction(fibre_direction=0.3), (None, 12)),
        "effleurage": (ld.Effleurage(), (None, 2, 5, 30)),
        "effleurage_polyline": (
            ld.Effleurage(
                path=((-0.03, -0.01), (0.0, 0.015), (0.025, 0.0)), stroke_rate=0.4, speed=0.1
            ),
            (None, 40),
        ),
        "roller": (ld.Roller(), (None, 2, 25)),
        "roller_turned": (
            ld.Roller(patch=ld.ContactPatch((0.0, 0.0), (0.01, 0.003), orientation=math.pi / 3)),
            (None, 17),
        ),
    }
    result: dict[str, dict[str, str]] = {}
    for name, (technique, counts) in cases.items():
        parts: dict[str, str] = {
            "technique": _digest(technique),
            "footprint": _digest(technique_footprint(technique)),
            "frame_counts": _digest([minimum_frames(technique), default_frames(technique)]),
        }
        for size in ((0.12, 0.12), (0.05, 0.03), (0.02, 0.2)):
            try:
                ld.check_on_block(technique, size)
                outcome = "on the block"
            except ld.LoadingParameterError as error:
                outcome = f"{error.parameter}: {error}"
            parts[f"on_block {size}"] = _digest(outcome)
        for count in counts:
            try:
                frames = ld.technique_frames(technique, count)
            except ld.LoadingParameterError as error:
                parts[f"frames {count}"] = _digest(f"{error.parameter}: {error}")
                continue
            traction = np.stack([surface_traction(f, SKIN_POINTS) for f in frames.frames])
            parts[f"frames {count}"] = _digest(
                [
                    list(frames.frames),
                    frames.frame_times,
                    frames.cycle_period,
                    frames.loaded_time_per_cycle,
                    frames.basis,
                    frames.basis_factors,
                    frames.loaded,
                    traction,
                ]
            )
        result[name] = parts
    return result


def main(arguments: list[str]) -> None:
    if arguments == ["--synthetic"]:
        print(json.dumps(synthetic_fingerprint(), indent=1, sort_keys=True))
        return
    paths = [Path(argument) for argument in arguments] or shipped_scenarios()
    fingerprints = {
        path.resolve().relative_to(REPOSITORY).as_posix(): fingerprint(path) for path in paths
    }
    print(json.dumps(fingerprints, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
