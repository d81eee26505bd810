r"""Cyclic techniques: a load oscillating on a fixed patch.

:class:`Kneading`
    Cyclic kneading / petrissage: pressure (and optional shear) oscillating at ``frequency``.
:class:`CrossFibreFriction`
    Small-amplitude oscillating shear across the fibre direction under a constant pressure.

Frames are evenly spaced over one cycle, :math:`t_k = kT/K`; a multiple of 4 frames hits
both peaks of the oscillation. The traction is a fixed spatial pattern (or two) times scalar
load curves, so the frames carry a superposition basis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import (
    LoadingParameterError,
    require_non_negative,
    require_positive,
)
from tissue_sim.loading.patch import ContactPatch, LoadFrame, PatchLoad
from tissue_sim.loading.techniques._scaled import scaled_frames
from tissue_sim.loading.techniques._shared import (
    FINGERTIP,
    HAND,
    FixedPatch,
    describe_load,
)
from tissue_sim.loading.techniques.base import TechniqueFrames

__all__ = [
    "CYCLIC_DEFAULT_FRAMES",
    "FAMILY",
    "MIN_CYCLIC_FRAMES",
    "CrossFibreFriction",
    "Kneading",
]

FloatArray = NDArray[np.float64]

#: Fewest frames per cycle of an oscillating technique (kneading, cross-fibre friction).
MIN_CYCLIC_FRAMES: Final[int] = 4
#: Default number of frames of an oscillating technique (a multiple of 4 hits both peaks).
CYCLIC_DEFAULT_FRAMES: Final[int] = 8


class _Oscillation(FixedPatch):
    """Behaviour shared by the cyclic techniques (fields come from the dataclasses)."""

    cycle_parameter: ClassVar[str] = "frequency"
    cycle_word: ClassVar[str] = "cycle"
    moving: ClassVar[bool] = False

    patch: ContactPatch
    frequency: float

    @property
    def cycle_period(self) -> float:
        """One cycle, :math:`1/f` [s]."""
        return 1.0 / self.frequency

    def minimum_frames(self) -> int:
        """:data:`MIN_CYCLIC_FRAMES`."""
        return MIN_CYCLIC_FRAMES

    def default_frames(self) -> int:
        """:data:`CYCLIC_DEFAULT_FRAMES`."""
        return CYCLIC_DEFAULT_FRAMES

    def frame_count_problem(self, count: int) -> str | None:
        """Fewer than :data:`MIN_CYCLIC_FRAMES` frames, or ``None``."""
        needed = self.minimum_frames()
        if count >= needed:
            return None
        return f"an oscillating load needs at least {needed} frames per cycle, got {count}"

    def frame_times(self, count: int) -> FloatArray:
        """``count`` evenly spaced times over one cycle [s]."""
        return np.asarray(np.arange(count) * (self.cycle_period / count), dtype=np.float64)


@dataclass(frozen=True)
class Kneading(_Oscillation):
    r"""Cyclic kneading / petrissage: pressure and shear oscillating on a fixed patch.

    Load curve over one cycle of period :math:`T = 1/f`:
    :math:`\lambda(t) = \beta + (1-\beta)\,\tfrac12(1 - \cos 2\pi t/T)` with
    :math:`\beta` = ``min_pressure / pressure``; pressure and shear are both
    :math:`\lambda(t)` times their peak values (the grip pushes and drags together).

    Parameters
    ----------
    patch
        Contact patch. Default: hand, ellipse 2 cm × 1.5 cm, smooth (assumption).
    pressure
        Peak mean pressure [Pa]. Default 10 kPa (assumption; intramuscular pressure waves of
        50 mmHg ≈ 6.7 kPa under local cyclic compression, Saitou 2018, FACTS §3).
    min_pressure
        Lowest mean pressure of the cycle [Pa], 0 ≤ ``min_pressure`` ≤ ``pressure``.
        Default 0 (full unloading each cycle; assumption).
    shear
        Peak mean shear traction :math:`(t_x, t_y)` [Pa]. Default none.
    frequency
        Cycle frequency [Hz]. Default 0.5 Hz (massage-like loading, Haas 2013; 0.25–1 Hz in
        the animal studies, FACTS §3).
    """

    name: ClassVar[str] = "kneading"

    patch: ContactPatch = HAND
    pressure: float = 10.0e3
    min_pressure: float = 0.0
    shear: tuple[float, float] = (0.0, 0.0)
    frequency: float = 0.5

    def __post_init__(self) -> None:
        PatchLoad(self.patch, self.pressure, self.shear)
        require_non_negative("min_pressure", self.min_pressure)
        if self.min_pressure > self.pressure:
            raise LoadingParameterError(
                "min_pressure",
                f"must not exceed pressure ({self.min_pressure:g} Pa > {self.pressure:g} Pa)",
            )
        require_positive("frequency", self.frequency)

    def describe(self) -> str:
        """Peak pressure, shear, patch, the lowest pressure and the frequency in words."""
        words = describe_load(
            self.name, self.pressure, float(np.hypot(*self.shear)), self.patch
        ).replace(" mean pressure", " mean pressure at the peak of the cycle", 1)
        if self.min_pressure:
            words += f", {self.min_pressure / 1e3:.3g} kPa at its lowest,"
        return f"{words} at {self.frequency:.3g} Hz"

    def build_frames(self, count: int) -> TechniqueFrames:
        """One spatial pattern (the peak load) times the raised-cosine curve."""
        period = self.cycle_period
        times = self.frame_times(count)
        floor = self.min_pressure / self.pressure if self.pressure > 0.0 else 0.0
        factors = floor + (1.0 - floor) * 0.5 * (1.0 - np.cos(2.0 * math.pi * times / period))
        reference = LoadFrame(0.0, (PatchLoad(self.patch, self.pressure, self.shear),))
        return scaled_frames(self, reference, times, factors, period)


@dataclass(frozen=True)
class CrossFibreFriction(_Oscillation):
    r"""Cross-fibre (deep transverse) friction: oscillating shear across the fibres.

    The fingertip does not slide on the skin; it moves the skin over the deeper layers.
    Frames: constant pressure, shear :math:`S \sin(2\pi f t)` along the direction
    ``fibre_direction + 90°``.

    Parameters
    ----------
    patch
        Contact patch. Default: fingertip, circle of radius 5 mm, smooth (assumption).
    pressure
        Mean normal pressure [Pa]. Default 227 kPa (derived from 2.317 kg/cm², mean deep
        friction massage pressure of 40 physiotherapists, Chaves 2020, FACTS §3).
    shear_amplitude
        Amplitude :math:`S` of the mean shear traction [Pa]. Default 0.3 × 227 kPa
        (assumption: friction-coupled with a coefficient of 0.3).
    fibre_direction
        Direction of the fibres in the skin plane, from the x axis [rad]; the shear
        oscillates across it. Default 0 (fibres along x).
    frequency
        Oscillation frequency [Hz]. Default 65 strokes/min ≈ 1.08 Hz (textbook friction rate
        60–70 strokes/min, FACTS §3 [weak]; the issue asks for 1–2 Hz).
    """

    name: ClassVar[str] = "cross_fibre_friction"
    #: Friction coefficient coupling the default shear amplitude to the pressure (assumption).
    default_friction: ClassVar[float] = 0.3

    patch: ContactPatch = FINGERTIP
    pressure: float = 227.0e3
    shear_amplitude: float = 0.3 * 227.0e3
    fibre_direction: float = 0.0
    frequency: float = 65.0 / 60.0

    def __post_init__(self) -> None:
        PatchLoad(self.patch, self.pressure)
        require_non_negative("shear_amplitude", self.shear_amplitude)
        if not math.isfinite(self.fibre_direction):
            raise LoadingParameterError("fibre_direction", "expected a finite angle")
        require_positive("frequency", self.frequency)

    def describe(self) -> str:
        """Pressure, shear amplitude across the fibres, patch and frequency in words."""
        words = describe_load(self.name, self.pressure, 0.0, self.patch)
        fibres = math.degrees(self.fibre_direction)
        return (
            f"{words}, the skin moved across the fibres ({fibres:.3g}° from x) with "
            f"{self.shear_amplitude / 1e3:.3g} kPa of shear at {self.frequency:.3g} Hz"
        )

    @property
    def shear_direction(self) -> tuple[float, float]:
        """Unit vector of the oscillation, across the fibres [-]."""
        angle = self.fibre_direction + math.pi / 2.0
        return (math.cos(angle), math.sin(angle))

    def build_frames(self, count: int) -> TechniqueFrames:
        """Two patterns: the constant pressure and the shear, times ``(1, sin 2πt/T)``."""
        period = self.cycle_period
        times = self.frame_times(count)
        oscillation = np.sin(2.0 * math.pi * times / period)
        dx, dy = self.shear_direction
        amplitude = self.shear_amplitude
        frames = tuple(
            LoadFrame(
                float(t),
                (
                    PatchLoad(
                        self.patch,
                        self.pressure,
                        (amplitude * float(s) * dx, amplitude * float(s) * dy),
                    ),
                ),
            )
            for t, s in zip(times, oscillation, strict=True)
        )
        basis = (
            LoadFrame(0.0, (PatchLoad(self.patch, self.pressure),)),
            LoadFrame(0.0, (PatchLoad(self.patch, 0.0, (amplitude * dx, amplitude * dy)),)),
        )
        factors = np.column_stack((np.ones(count), oscillation))
        return TechniqueFrames(
            technique=self,
            frames=frames,
            cycle_period=period,
            loaded_time_per_cycle=period,
            basis=basis,
            basis_factors=factors,
        )


#: The cyclic techniques, in the order ``TECHNIQUES`` lists them.
FAMILY: Final = (Kneading, CrossFibreFriction)
