"""Techniques own their behaviour: the shared functions only ask the technique.

A technique written here, in the test, runs through frames, footprint, the on-block check,
the skin-quadrature detail and a session step without any other file knowing it; and no
module outside the config reader dispatches on technique classes.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from tissue_sim.loading import (
    TECHNIQUES,
    ContactPatch,
    LoadFrame,
    LoadingParameterError,
    PatchLoad,
    StaticCompression,
    Technique,
    TechniqueFrames,
    TechniqueStep,
    check_on_block,
    default_frames,
    minimum_frames,
    patch_extent,
    smallest_load_feature,
    technique_footprint,
    technique_frames,
)
from tissue_sim.loading.techniques import cyclic, hold, moving

PACKAGE = Path(__file__).resolve().parents[2] / "tissue_sim"
FINGERTIP = ContactPatch((0.01, 0.0), (0.004, 0.004), profile="uniform")


@dataclass(frozen=True)
class Tapping:
    """Tapotement: a fingertip striking the skin ``taps`` times per cycle (test technique).

    The load is a train of equal square pulses, one frame on and one off per tap.
    """

    name: ClassVar[str] = "tapping"
    cycle_parameter: ClassVar[str] = "rate"
    cycle_word: ClassVar[str] = "train of taps"
    moving: ClassVar[bool] = False

    patch: ContactPatch = FINGERTIP
    pressure: float = 15.0e3
    rate: float = 4.0
    taps: int = 3

    @property
    def cycle_period(self) -> float:
        return self.taps / self.rate

    def minimum_frames(self) -> int:
        return 2 * self.taps

    def default_frames(self) -> int:
        return 2 * self.taps

    def frame_count_problem(self, count: int) -> str | None:
        return None if count == 2 * self.taps else f"tapping uses {2 * self.taps} frames"

    def build_frames(self, count: int) -> TechniqueFrames:
        times = np.arange(count) * (self.cycle_period / count)
        factors = np.tile([1.0, 0.0], self.taps)
        reference = LoadFrame(0.0, (PatchLoad(self.patch, self.pressure),))
        frames = tuple(
            LoadFrame(float(t), (PatchLoad(self.patch, self.pressure * f),) if f else ())
            for t, f in zip(times, factors, strict=True)
        )
        return TechniqueFrames(
            self, frames, self.cycle_period, 0.5 * self.cycle_period, (reference,), factors[:, None]
        )

    def patch_boxes(self) -> np.ndarray:
        half_x, half_y = patch_extent(self.patch)
        x, y = self.patch.centre
        return np.array([[x - half_x, x + half_x, y - half_y, y + half_y]])

    def off_block_error(
        self, outside: np.ndarray, half_size: tuple[float, float]
    ) -> LoadingParameterError:
        return LoadingParameterError("patch.centre", "the fingertip is off the skin")

    def smallest_load_feature(self) -> float:
        return 0.25 * min(self.patch.semi_axes)


def test_a_technique_defined_elsewhere_runs_through_every_shared_function() -> None:
    tapping: Technique = Tapping()
    frames = technique_frames(tapping)
    assert frames.n_frames == 6 == default_frames(tapping) == minimum_frames(tapping)
    np.testing.assert_array_equal(frames.loaded, [True, False] * 3)
    assert frames.cycle_period == pytest.approx(0.75)
    with pytest.raises(LoadingParameterError, match="tapping uses 6 frames") as error:
        technique_frames(tapping, 5)
    assert error.value.parameter == "frames"
    assert technique_footprint(tapping) == pytest.approx((0.006, 0.014, -0.004, 0.004))
    check_on_block(tapping, (0.04, 0.04))
    with pytest.raises(LoadingParameterError, match="off the skin"):
        check_on_block(tapping, (0.02, 0.02))
    assert smallest_load_feature([tapping, StaticCompression()]) == pytest.approx(0.001)
    assert smallest_load_feature([StaticCompression()]) == pytest.approx(0.002)  # 20 % of 1 cm
    step = TechniqueStep(tapping, 6, start=0.0, duration=10.0)
    assert step.cycles_per_session == 13
    with pytest.raises(LoadingParameterError, match="one train of taps takes") as error:
        TechniqueStep(tapping, 6, start=0.0, duration=0.5)
    assert error.value.parameter == "rate"


def test_the_registry_is_the_families_in_order_and_names_are_unique() -> None:
    families = [*hold.FAMILY, *cyclic.FAMILY, *moving.FAMILY]
    assert list(TECHNIQUES.values()) == families
    assert list(TECHNIQUES) == [cls.name for cls in families]
    assert set(TECHNIQUES) == {
        "static_compression",
        "sustained_shear",
        "kneading",
        "cross_fibre_friction",
        "effleurage",
        "roller",
    }


@pytest.mark.parametrize("cls", list(TECHNIQUES.values()), ids=lambda cls: cls.name)
def test_every_shipped_technique_answers_the_protocol(cls: type[Technique]) -> None:
    technique = cls()
    assert technique.cycle_word and technique.cycle_parameter in {
        field
        for field in type(technique).__dataclass_fields__  # type: ignore[attr-defined]
    }
    assert technique.minimum_frames() <= technique.default_frames()
    assert technique.frame_count_problem(technique.default_frames()) is None
    assert technique.frame_count_problem(technique.minimum_frames() - 1) is not None
    boxes = technique.patch_boxes()
    assert boxes.ndim == 2 and boxes.shape[1] == 4
    assert np.all(boxes[:, 1] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 2])
    feature = technique.smallest_load_feature()
    assert 0.0 < feature <= min(technique.patch.semi_axes)
    assert math.isfinite(technique.cycle_period) and technique.cycle_period > 0.0


def _technique_class_names() -> set[str]:
    names = {cls.__name__ for cls in TECHNIQUES.values()}
    return names | {"_Hold", "_Oscillation", "_MovingStroke", "Technique"}


def _dispatch_sites(package: Path) -> list[str]:
    technique_names = _technique_class_names()
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() == "config/loading.py":
            continue  # one reader per technique: the documented exception
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "isinstance"
                and len(node.args) == 2
            ):
                used = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if used & technique_names or any(name.endswith("Technique") for name in used):
                    offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    return offenders


def test_no_module_but_the_config_reader_dispatches_on_technique_classes() -> None:
    offenders = _dispatch_sites(PACKAGE)
    assert not offenders, f"isinstance dispatch on techniques in {offenders}"
