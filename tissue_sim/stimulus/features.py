r"""Mechanical dose features: the strain history of every material point over one cycle.

The history of a point is the strain tensor at the ``K`` frames of one cycle (or pass) of a
technique, at the frame times :math:`t_0 < \dots < t_{K-1}` within a cycle of period
:math:`T`. Between frames every scalar derived from it (the effective strain
:math:`\varepsilon_\mathrm{eff}`) is taken as **piecewise linear in time**, and the history
is **periodic**: a last piece runs from :math:`t_{K-1}` to :math:`t_0 + T` back to the
first value (``periodic=False`` drops it; the history then covers only
:math:`[t_0, t_{K-1}]`). A single frame means a constant history over the whole cycle. With
this reading every feature below is exact: extremes lie at frames, crossings of the
threshold are interpolated linearly between frames, and means are trapezoid integrals.

Features (``FEATURE_UNITS`` and ``FEATURE_DESCRIPTIONS`` carry the units and formulas):

``effective_strain_peak``
    :math:`\max_k \varepsilon_\mathrm{eff}(t_k)` [-].
``effective_strain_mean``
    :math:`\frac{1}{T}\int_0^T \varepsilon_\mathrm{eff}\,dt` [-].
``effective_strain_amplitude``
    :math:`\tfrac12(\max_k \varepsilon_\mathrm{eff} - \min_k \varepsilon_\mathrm{eff})` [-].
``min_principal_strain``
    :math:`\min_k \varepsilon_3(t_k)`, the most compressive principal strain [-].
``volumetric_strain_peak``
    :math:`\operatorname{tr}\varepsilon(t_{k^*})` with :math:`k^* = \arg\max_k
    |\operatorname{tr}\varepsilon(t_k)|`: the largest volume change, signed (negative =
    compaction) [-].
``strain_rate_peak``
    :math:`\max |\Delta\varepsilon_\mathrm{eff}/\Delta t|` over the linear pieces, including
    the wrap-around piece of a periodic history [1/s].
``cycle_frequency``
    :math:`1/T` [Hz].
``time_above_threshold``
    Time per cycle with :math:`\varepsilon_\mathrm{eff} > \varepsilon_\mathrm{thr}` [s].
``cycles_per_session``
    :math:`\lfloor D/T \rfloor`, whole cycles in the technique's time :math:`D` per session [-].
``session_time_under_load``
    ``time_above_threshold`` × ``cycles_per_session``: time per session the point spends
    above the threshold [s].
``fibre_stretch_peak``
    :math:`\max_k \lambda_a(t_k)` with :math:`\lambda_a = \sqrt{1 + 2\,a\cdot E a}` for a
    Green–Lagrange strain :math:`E`, or its small-strain form :math:`1 + a\cdot\varepsilon a`;
    :math:`a` is the unit fibre direction; 1 where a point has no fibre direction [-].
``strain_rate_mean``
    :math:`\frac{1}{T}\oint |d\varepsilon_\mathrm{eff}/dt|\,dt`, the total variation of the
    cycle over its period (how much strain the point goes through per second) [1/s].
``strain_time_integral``
    :math:`\int_0^T \max(\varepsilon_\mathrm{eff}, 0)\,dt` per cycle [s].
``session_strain_time_integral``
    ``strain_time_integral`` × ``cycles_per_session`` [s].
``longest_time_above_threshold``
    Longest continuous time with :math:`\varepsilon_\mathrm{eff} > \varepsilon_\mathrm{thr}`
    [s]: within a cycle for a passing load (a 1-s stroke gives about 1 s), the whole session
    (:math:`N T`) for a point that stays above the threshold all cycle long (a static hold).
    A run that crosses the end of a periodic cycle joins the one at its start. Capped at
    :math:`N T`.

**Level features** are computed on request (``level_features``) at a strain level the name
gives in per cent, ``p`` standing for the decimal point (``40pct`` = 0.40, ``2p5pct`` =
0.025): ``time_above_<L>`` (per cycle), ``session_time_above_<L>`` (× cycles per session),
``longest_time_above_<L>`` (as ``longest_time_above_threshold``) and ``strain_time_above_<L>``
(:math:`\int_0^T (\varepsilon_\mathrm{eff} - L)^+ dt`). They let a cell model tell a brief pass
from a sustained hold at the level its source names (FACTS §9).

"Per session" counts the whole cycles :math:`N = \lfloor D/T \rfloor` of the technique's
time :math:`D`, as ``cycles_per_session`` does.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.errors import InputError
from tissue_sim.mechanics.strain_measures import (
    EFFECTIVE_STRAIN_MEASURES,
    principal_strains,
    volumetric_strain,
)
from tissue_sim.stimulus._history import history_features, level_statistics
from tissue_sim.stimulus._levels import (
    LEVEL_FEATURE_KINDS,
    level_feature_description,
    parse_level_feature,
)
from tissue_sim.stimulus.course import COURSE_FEATURE_DESCRIPTIONS, COURSE_FEATURE_UNITS

__all__ = [
    "DEFAULT_EFFECTIVE_MEASURE",
    "FEATURE_DESCRIPTIONS",
    "FEATURE_NAMES",
    "FEATURE_UNITS",
    "compute_features",
    "feature_description",
    "feature_unit",
    "is_feature",
    "require_feature",
]

FloatArray = NDArray[np.float64]

#: Effective strain measure used unless a scenario chooses another.
DEFAULT_EFFECTIVE_MEASURE: Final[str] = "max_principal_strain"

#: Names of the features :func:`compute_features` returns, in a stable order.
FEATURE_NAMES: Final[tuple[str, ...]] = (
    "effective_strain_peak",
    "effective_strain_mean",
    "effective_strain_amplitude",
    "min_principal_strain",
    "volumetric_strain_peak",
    "strain_rate_peak",
    "cycle_frequency",
    "time_above_threshold",
    "cycles_per_session",
    "session_time_under_load",
    "fibre_stretch_peak",
    "strain_rate_mean",
    "strain_time_integral",
    "session_strain_time_integral",
    "longest_time_above_threshold",
)

#: Feature name → unit (``"1"`` for dimensionless).
FEATURE_UNITS: Final[dict[str, str]] = {
    "effective_strain_peak": "1",
    "effective_strain_mean": "1",
    "effective_strain_amplitude": "1",
    "min_principal_strain": "1",
    "volumetric_strain_peak": "1",
    "strain_rate_peak": "1/s",
    "cycle_frequency": "Hz",
    "time_above_threshold": "s",
    "cycles_per_session": "1",
    "session_time_under_load": "s",
    "fibre_stretch_peak": "1",
    "strain_rate_mean": "1/s",
    "strain_time_integral": "s",
    "session_strain_time_integral": "s",
    "longest_time_above_threshold": "s",
}

#: Feature name → formula, in words and symbols.
FEATURE_DESCRIPTIONS: Final[dict[str, str]] = {
    "effective_strain_peak": "max_k eps_eff(t_k): peak of the effective strain over the cycle",
    "effective_strain_mean": (
        "(1/T) * integral of eps_eff over the cycle, eps_eff piecewise linear between frames"
    ),
    "effective_strain_amplitude": "(max_k eps_eff - min_k eps_eff) / 2: cyclic amplitude",
    "min_principal_strain": "min_k eps_3(t_k): most compressive principal strain of the cycle",
    "volumetric_strain_peak": (
        "tr(eps) at the frame where |tr(eps)| is largest (signed; negative = compaction)"
    ),
    "strain_rate_peak": (
        "max over linear pieces of |d eps_eff / dt| = |eps_eff(t_k+1) - eps_eff(t_k)| / "
        "(t_k+1 - t_k), including the wrap-around piece of a periodic cycle"
    ),
    "cycle_frequency": "1 / T: cycles (strokes) per second",
    "time_above_threshold": (
        "time per cycle with eps_eff > threshold, crossings interpolated linearly between frames"
    ),
    "cycles_per_session": "floor(D / T): whole cycles in the technique's time D per session",
    "session_time_under_load": (
        "time_above_threshold * cycles_per_session: time per session above the threshold"
    ),
    "fibre_stretch_peak": (
        "max_k sqrt(1 + 2 a.E.a) (Green-Lagrange E) or max_k (1 + a.eps.a) (small strain), "
        "a the unit fibre direction; 1 where there is no fibre direction"
    ),
    "strain_rate_mean": (
        "(1/T) * sum over linear pieces of |eps_eff(t_k+1) - eps_eff(t_k)|: total variation "
        "of the cycle per second"
    ),
    "strain_time_integral": "integral over a cycle of max(eps_eff, 0) dt (strain x time)",
    "session_strain_time_integral": "strain_time_integral * cycles_per_session",
    "longest_time_above_threshold": (
        "longest continuous time with eps_eff > threshold; a point above it all cycle long "
        "stays above for the whole session (cycles_per_session * T); capped at that"
    ),
}

#: Strain tensors processed at once (frames × points) to bound memory.
_TENSORS_PER_CHUNK: Final[int] = 1 << 20


def compute_features(
    strain_history: ArrayLike,
    frame_times: ArrayLike,
    *,
    cycle_period: float,
    threshold: float,
    session_duration: float,
    effective_measure: str = DEFAULT_EFFECTIVE_MEASURE,
    fibre_directions: ArrayLike | None = None,
    green_lagrange: bool = False,
    periodic: bool = True,
    chunk_size: int | None = None,
    level_features: Sequence[str] = (),
) -> dict[str, FloatArray]:
    """Mechanical dose features of every material point from its strain history over a cycle.

    Parameters
    ----------
    strain_history
        Strain tensors, shape ``(K, P, 3, 3)`` [-] (symmetric; small strain, or
        Green–Lagrange with ``green_lagrange=True``). May be any array-like supporting
        slicing along the point axis (e.g. an h5py dataset); read in chunks of points.
    frame_times
        Time of each frame within the cycle, strictly increasing, shape ``(K,)`` [s], with
        ``frame_times[-1] - frame_times[0] <= cycle_period``.
    cycle_period
        Period of the cycle (or stroke) [s], > 0.
    threshold
        Effective-strain threshold for ``time_above_threshold`` [-].
    session_duration
        Time the technique is applied in one session [s], >= 0.
    effective_measure
        Key of :data:`~tissue_sim.mechanics.strain_measures.EFFECTIVE_STRAIN_MEASURES`:
        ``"max_principal_strain"``, ``"max_shear_strain"`` or ``"octahedral_shear_strain"``.
    fibre_directions
        Fibre direction per point, shape ``(P, 3)`` [-] (normalised here); a zero row means
        no fibre. ``None``: no fibres anywhere.
    green_lagrange
        Whether the tensors are Green–Lagrange strains (exact fibre stretch
        :math:`\\sqrt{1 + 2 a\\cdot E a}`) rather than small strains
        (:math:`1 + a\\cdot\\varepsilon a`).
    periodic
        Treat the history as periodic (close it from the last frame back to the first one
        period later). ``False``: the history covers only the frames' time span.
    chunk_size
        Points processed at once; default keeps about 10⁶ tensors per chunk.
    level_features
        Names of level features to compute as well (``longest_time_above_40pct`` …, see
        the module docstring); names of :data:`FEATURE_NAMES` are ignored here.

    Returns
    -------
    dict of str to ndarray
        Every name of :data:`FEATURE_NAMES`, then the requested level features, → values,
        shape ``(P,)``; units from :func:`feature_unit`, formulas from
        :func:`feature_description` and the module docstring.

    Raises
    ------
    ValueError
        On inconsistent shapes, non-increasing frame times, a span longer than the period,
        a non-positive period, an unknown effective measure or an unknown feature name.
    """
    history: Any = (
        strain_history if hasattr(strain_history, "shape") else np.asarray(strain_history)
    )
    shape = tuple(history.shape)
    if len(shape) != 4 or shape[2:] != (3, 3):
        raise ValueError(f"strain_history must have shape (K, P, 3, 3), got {shape}")
    n_frames, n_points = shape[0], shape[1]
    times = np.asarray(frame_times, dtype=float)
    _check_times(times, n_frames, cycle_period)
    if effective_measure not in EFFECTIVE_STRAIN_MEASURES:
        raise ValueError(
            f"unknown effective strain measure {effective_measure!r}; expected one of "
            f"{', '.join(EFFECTIVE_STRAIN_MEASURES)}"
        )
    if not math.isfinite(threshold):
        raise ValueError("threshold must be finite")
    if not math.isfinite(session_duration) or session_duration < 0.0:
        raise ValueError("session_duration must be finite and >= 0")
    directions = _unit_directions(fibre_directions, n_points)
    measure = EFFECTIVE_STRAIN_MEASURES[effective_measure]
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    step = chunk_size if chunk_size is not None else max(1, _TENSORS_PER_CHUNK // n_frames)
    levels = _requested_levels(level_features)
    level_values = np.array([threshold, *(level for _, level in levels.values())])
    cycles = math.floor(session_duration / cycle_period * (1.0 + 1e-12))
    session_time = cycles * cycle_period

    result = {name: np.empty(n_points) for name in (*FEATURE_NAMES, *levels)}
    for begin in range(0, n_points, step):
        chunk = slice(begin, min(begin + step, n_points))
        strain = np.asarray(history[:, chunk], dtype=float)
        effective = measure(strain)
        features = history_features(
            effective, times, cycle_period=cycle_period, threshold=threshold, periodic=periodic
        )
        result["effective_strain_peak"][chunk] = features.peak
        result["effective_strain_mean"][chunk] = features.mean
        result["effective_strain_amplitude"][chunk] = features.amplitude
        result["strain_rate_peak"][chunk] = features.rate_peak
        result["time_above_threshold"][chunk] = features.time_above
        result["strain_rate_mean"][chunk] = features.rate_mean
        result["strain_time_integral"][chunk] = features.positive_integral
        at_levels = level_statistics(
            effective, times, level_values, cycle_period=cycle_period, periodic=periodic
        )
        longest = np.minimum(at_levels.longest_run, session_time)
        result["longest_time_above_threshold"][chunk] = longest[0]
        for row, (name, (kind, _)) in enumerate(levels.items(), start=1):
            result[name][chunk] = {
                "time_above": at_levels.time_above[row],
                "session_time_above": at_levels.time_above[row] * cycles,
                "longest_time_above": longest[row],
                "strain_time_above": at_levels.excess_integral[row],
            }[kind]
        result["min_principal_strain"][chunk] = principal_strains(strain)[..., 2].min(axis=0)
        volumetric = volumetric_strain(strain)
        largest = np.argmax(np.abs(volumetric), axis=0)
        result["volumetric_strain_peak"][chunk] = np.take_along_axis(
            volumetric, largest[None, :], axis=0
        )[0]
        result["fibre_stretch_peak"][chunk] = _fibre_stretch_peak(
            strain, None if directions is None else directions[chunk], green_lagrange
        )

    result["cycle_frequency"][:] = 1.0 / cycle_period
    result["cycles_per_session"][:] = cycles
    result["session_time_under_load"] = result["time_above_threshold"] * cycles
    result["session_strain_time_integral"] = result["strain_time_integral"] * cycles
    return result


def is_feature(name: str) -> bool:
    """Whether ``name`` is a feature of :data:`FEATURE_NAMES` or a level feature."""
    return (
        name in FEATURE_NAMES
        or name in COURSE_FEATURE_UNITS
        or parse_level_feature(name) is not None
    )


def feature_unit(name: str) -> str:
    """Unit of a feature (``"1"`` for dimensionless).

    Raises
    ------
    ValueError
        If ``name`` is not a feature (:func:`is_feature`).
    """
    if name in FEATURE_UNITS:
        return FEATURE_UNITS[name]
    if name in COURSE_FEATURE_UNITS:  # time-course features (tissue_sim.stimulus.course)
        return COURSE_FEATURE_UNITS[name]
    parsed = parse_level_feature(name)
    if parsed is None:
        raise ValueError(f"unknown stimulus feature {name!r}")
    return LEVEL_FEATURE_KINDS[parsed[0]][0]


def feature_description(name: str) -> str:
    """Formula of a feature, in words and symbols.

    Raises
    ------
    ValueError
        If ``name`` is not a feature (:func:`is_feature`).
    """
    if name in FEATURE_DESCRIPTIONS:
        return FEATURE_DESCRIPTIONS[name]
    if name in COURSE_FEATURE_DESCRIPTIONS:
        return COURSE_FEATURE_DESCRIPTIONS[name]
    return level_feature_description(name)


def _requested_levels(names: Sequence[str]) -> dict[str, tuple[str, float]]:
    levels: dict[str, tuple[str, float]] = {}
    for name in names:
        if name in FEATURE_NAMES or name in COURSE_FEATURE_UNITS:
            continue  # time-course features come from tissue_sim.stimulus.course
        parsed = parse_level_feature(name)
        if parsed is None:
            raise ValueError(f"unknown stimulus feature {name!r}")
        levels[name] = parsed
    return levels


def require_feature(name: str, *, file: str | None = None, key: str | None = None) -> str:
    """Check that ``name`` is a feature of :data:`FEATURE_NAMES` or a level feature.

    Parameters
    ----------
    name
        Feature name, e.g. from a biology model file.
    file, key
        Where the name came from, for the error message.

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    InputError
        Naming the key, listing the features, and suggesting the closest name.
    """
    if is_feature(name):
        return name
    close = difflib.get_close_matches(str(name), FEATURE_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(
        f"unknown stimulus feature {name!r}{hint}; expected one of {', '.join(FEATURE_NAMES)}"
        ", or a level feature such as longest_time_above_40pct (kinds: "
        f"{', '.join(LEVEL_FEATURE_KINDS)}; level in per cent, p for the decimal point)",
        file=file,
        key=key,
    )


def _check_times(times: FloatArray, n_frames: int, cycle_period: float) -> None:
    if times.shape != (n_frames,):
        raise ValueError(f"frame_times must have shape ({n_frames},), got {times.shape}")
    if n_frames < 1:
        raise ValueError("at least one frame is needed")
    if not math.isfinite(cycle_period) or cycle_period <= 0.0:
        raise ValueError(f"cycle_period must be finite and > 0, got {cycle_period!r}")
    if not np.all(np.isfinite(times)):
        raise ValueError("frame_times must be finite")
    if np.any(np.diff(times) <= 0.0):
        raise ValueError("frame_times must be strictly increasing")
    span = float(times[-1] - times[0])
    if span > cycle_period * (1.0 + 1e-12):
        raise ValueError(
            f"the frames span {span:g} s, longer than the cycle period {cycle_period:g} s"
        )


def _unit_directions(directions: ArrayLike | None, n_points: int) -> FloatArray | None:
    if directions is None:
        return None
    vectors = np.asarray(directions, dtype=float)
    if vectors.shape != (n_points, 3):
        raise ValueError(f"fibre_directions must have shape ({n_points}, 3), got {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1)
    safe = np.where(norms > 0.0, norms, 1.0)
    return vectors / safe[:, None]


def _fibre_stretch_peak(
    strain: FloatArray, directions: FloatArray | None, green_lagrange: bool
) -> FloatArray:
    if directions is None:
        return np.ones(strain.shape[1])
    normal_strain = np.einsum("kpij,pi,pj->kp", strain, directions, directions)
    if green_lagrange:
        stretch = np.sqrt(np.clip(1.0 + 2.0 * normal_strain, 0.0, None))
    else:
        stretch = 1.0 + normal_strain
    peak = stretch.max(axis=0)
    has_fibre = np.any(directions != 0.0, axis=1)
    return np.where(has_fibre, peak, 1.0)
