"""The perfusion model (models/cells/perfusion.yaml): steady state, capillary closure by
tissue pressure, reactive hyperaemia, oxygen and lactate, the oxygen balance.

Sources (docs/biology.md, "Perfusion"): Landis 1930 (capillary pressures 32 mmHg at the
arteriolar and 12 mmHg at the venous end of human skin capillary loops); Imms et al.
1988 (after 5 min of forearm occlusion the hyperaemic flow declines exponentially with a
half-life of 14–45 s; a plateau comes first after 10–15 min); Shakir et al. 1980
(hyperaemic volume grows with the duration of ischaemia, 0.5–8 min); Tee et al. (skin
hyperaemia after 1, 2 and 3 min of occlusion grows with the duration); limb studies in man
(the flow debt of an occlusion is almost invariably overpaid); NIRS vascular occlusion
tests (StO2 falls 6.4–12.5 %/min during arterial occlusion at rest [P]).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.biology import CellModel, load_model, simulate
from tissue_sim.config import DEFAULT_CELL_MODELS
from tissue_sim.pipeline import run
from tissue_sim.stimulus.course import MMHG, course_features

RESOLUTION = 1.0  # s, summary spacing


@pytest.fixture(scope="module")
def perfusion() -> CellModel:
    return load_model(["perfusion"])


def _occlusion(
    model: CellModel,
    closure: float,
    duration: float,
    *,
    before: float = 20.0,
    after: float = 900.0,
    resolution: float = RESOLUTION,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One point: rest, a hold closing ``closure`` of the bed for ``duration`` s, release."""
    end = before + duration + after
    times = np.arange(0.0, end, resolution)
    result = simulate(
        model,
        {"capillary_closure": np.array([closure])},
        np.array([[before, before + duration]]),
        end,
        initial_state="healthy",
        summary_times=times,
        rtol=1e-7,
    )
    courses = {name: result.summaries[name][:, 0, 0] for name in model.species_names}
    return result.time, courses


def _closure_at(pressure_mmhg: float) -> float:
    """The stimulus stage's capillary closure of a point held at a constant pressure."""
    stress = np.zeros((1, 1, 3, 3))
    stress[0, 0] = -pressure_mmhg * MMHG * np.eye(3)
    course = course_features(
        stress, np.zeros_like(stress), np.array([0.0]), cycle_period=60.0, session_duration=60.0
    )
    return float(course.cycle["capillary_closure"][0])


def _after_release(times: np.ndarray, flow: np.ndarray, release: float) -> tuple[float, float]:
    """Peak flow after the release and the excess flow volume ∫(Q − 1) dt [s]."""
    after = times >= release
    return float(flow[after].max()), float(np.trapezoid(flow[after] - 1.0, times[after]))


def test_rest_is_a_steady_state_alone_and_composed(perfusion: CellModel) -> None:
    """Healthy rest (no load) is an exact steady state: flow, oxygenation and lactate at 1,
    no vasodilator — of the model alone and composed with the default models."""
    for model in (perfusion, load_model([*DEFAULT_CELL_MODELS, "perfusion"])):
        y = model.initial_state("healthy")[None, :]
        inputs = {name: np.zeros(1) for name in model.inputs}
        assert np.abs(model.rhs(0.0, y, inputs)).max() < 1e-15
    healthy = perfusion.initial_state("healthy")
    index = perfusion.species_index
    assert healthy[index("blood_flow")] == healthy[index("oxygen")] == 1.0
    assert healthy[index("vasodilator")] == 0.0


def test_pressure_below_the_venous_end_pressure_keeps_capillaries_open(
    perfusion: CellModel,
) -> None:
    """Landis 1930: a tissue pressure below the venous-end capillary pressure (12 mmHg)
    closes nothing, above the arteriolar-end pressure (32 mmHg) everything; a 10-mmHg hold
    leaves flow at rest, a 40-mmHg hold stops it within seconds."""
    assert _closure_at(10.0) == 0.0
    assert _closure_at(40.0) == 1.0
    assert _closure_at(22.0) == pytest.approx(0.5, abs=1e-12)
    times, low = _occlusion(perfusion, _closure_at(10.0), 120.0, after=60.0)
    assert np.abs(low["blood_flow"] - 1.0).max() < 1e-9
    times, high = _occlusion(perfusion, _closure_at(40.0), 120.0, after=60.0)
    during = (times > 20.0 + 15.0) & (times < 140.0)
    assert high["blood_flow"][during].max() < 1e-3


def test_a_partial_closure_lowers_flow_partly_and_never_above_rest(perfusion: CellModel) -> None:
    """Landis 1930 pressures, the bed as a collapsible conduit: at 22 mmHg half the bed is
    closed; dilation compensates part of it, so flow stays between zero and rest during
    the hold, and overshoots only after the release."""
    times, course = _occlusion(perfusion, 0.5, 180.0)
    during = (times > 25.0) & (times <= 200.0)
    flow = course["blood_flow"]
    assert flow[during].min() > 0.3 and flow[during].max() <= 1.0 + 1e-9
    assert flow[times > 200.0].max() > 1.05


def test_reactive_hyperaemia_overshoots_and_grows_with_the_occlusion(
    perfusion: CellModel,
) -> None:
    """Shakir et al. 1980 (0.5–8 min) and Tee et al. (1, 2, 3 min): after the release flow
    rises above rest, and both the peak and the hyperaemic volume grow with the duration of
    the occlusion; flow returns to rest."""
    peaks, volumes = [], []
    for duration in (30.0, 120.0, 480.0):
        times, course = _occlusion(perfusion, 1.0, duration)
        peak, volume = _after_release(times, course["blood_flow"], 20.0 + duration)
        peaks.append(peak)
        volumes.append(volume)
        assert course["blood_flow"][-1] == pytest.approx(1.0, abs=1e-3)
    assert peaks[0] > 1.5
    assert np.all(np.diff(peaks) > 0.0) and np.all(np.diff(volumes) > 0.0)


def test_flow_declines_with_a_half_life_of_14_to_45_s_after_5_min(perfusion: CellModel) -> None:
    """Imms et al. 1988: after a 5-min occlusion the hyperaemic flow declines with a
    half-life between 14 and 45 s."""
    times, course = _occlusion(perfusion, 1.0, 300.0)
    flow = course["blood_flow"]
    after = times >= 320.0
    peak_index = int(np.argmax(flow[after]))
    t, q = times[after][peak_index:], flow[after][peak_index:]
    excess = q - 1.0
    half = t[np.argmax(excess < 0.5 * excess[0])] - t[0]
    assert 14.0 <= half <= 45.0
    assert q[0] > 3.0  # several-fold resting flow at the peak


def test_short_holds_repay_the_flow_debt(perfusion: CellModel) -> None:
    """Limb reactive-hyperaemia studies in man: the flow debt of an occlusion is almost
    invariably overpaid. For the 60–90-s holds of an ischaemic compression the excess flow
    after release exceeds the resting flow missed during the hold."""
    for duration in (60.0, 90.0):
        times, course = _occlusion(perfusion, 1.0, duration)
        debt = np.trapezoid(
            1.0 - course["blood_flow"][times <= 20.0 + duration], times[times <= 20.0 + duration]
        )
        _, volume = _after_release(times, course["blood_flow"], 20.0 + duration)
        assert volume > debt > 0.9 * duration


def test_oxygen_falls_at_the_nirs_rate_and_overshoots_after_release(
    perfusion: CellModel,
) -> None:
    """NIRS vascular occlusion tests: tissue saturation falls at 6.4–12.5 %/min (of a ~70 %
    baseline: 9–18 %/min relative) during an arterial occlusion at rest, recovers above
    baseline after the release (reperfusion overshoot), then returns to it."""
    times, course = _occlusion(perfusion, 1.0, 180.0)
    oxygen = course["oxygen"]
    minute = (times >= 50.0) & (times <= 110.0)
    slope = -np.polyfit(times[minute], oxygen[minute], 1)[0] * 60.0  # per minute
    assert 0.09 <= slope <= 0.18
    assert oxygen[times > 200.0].max() > 1.02
    assert oxygen[-1] == pytest.approx(1.0, abs=1e-3)


def test_lactate_accumulates_in_ischaemia_and_is_washed_out(perfusion: CellModel) -> None:
    """Lactate marks ischaemia (muscle microdialysis): it rises while the bed is closed,
    more for a longer hold, and the hyperaemia washes 90 % of the rise out within 15 min."""
    peaks = []
    for duration in (60.0, 300.0):
        _times, course = _occlusion(perfusion, 1.0, duration)
        lactate = course["lactate"]
        peaks.append(lactate.max())
        assert abs(lactate[-1] - 1.0) < 0.1 * (lactate.max() - 1.0)
    assert 1.05 < peaks[0] < peaks[1]


def test_oxygen_balance_delivered_minus_consumed_is_the_change(perfusion: CellModel) -> None:
    """Conservation: over a hold and its recovery, the oxygen delivered minus the oxygen
    consumed (the model's two fluxes, integrated over the stored course) equals the change
    of tissue oxygenation."""
    times, course = _occlusion(perfusion, 1.0, 120.0, after=300.0, resolution=0.1)
    values = {info.name: info.value for info in perfusion.parameters.values()}
    q, o = course["blood_flow"], course["oxygen"]
    a, km, k = values["o_arterial"], values["K_m_oxygen"], values["k_oxygen"]
    net = k * (q * (a - o) / (a - 1.0) - o * (1.0 + km) / (km + o))
    change = np.trapezoid(net, times)
    assert change == pytest.approx(o[-1] - o[0], abs=2e-4)
    assert np.trapezoid(k * q * (a - o) / (a - 1.0), times) > 0.5  # a real flux was checked


ROOT = Path(__file__).resolve().parents[2]
#: The shipped static compression with the teaching models composed, on a 4-cm block, one
#: day: a 90-s ischaemic hold with 2-s ramps and 86 s of rest in every 180-s cycle.
MEAN, P10, P90 = 0, 1, 2  # columns of the biology's per-layer summaries
ISCHAEMIC_COMPRESSION = (
    "mesh.size=coarse",
    'tissue.size=["4 cm", "4 cm"]',
    "biology.models=[fibroblast_mechanotransduction, tgfb1_fibrosis, macrophage_polarisation,"
    " perfusion, afferent_gating]",
    'loading.ramp_time="2 s"',
    'loading.release_time="2 s"',
    'loading.hold_time="90 s"',
    'loading.rest_time="86 s"',
    "loading.frames=4",
    'schedule.session_duration="3 min"',
    "schedule.days=1",
    'biology.session_resolution="2 s"',
)


def test_an_ischaemic_compression_end_to_end() -> None:
    """configs/static_compression.yaml (20 kPa ≈ 150 mmHg under a thumb, above the Landis
    arteriolar-end pressure) through mechanics → stimulus → biology with the teaching
    models: under the thumb flow stops during the hold and overshoots after the release
    (reactive hyperaemia) within the session, oxygen falls, lactate rises, the skin's
    slowly adapting afferents fire during the hold; the untreated control stays at rest;
    the report lists the new quantities."""
    result = run(load_config(ROOT / "configs" / "static_compression.yaml", ISCHAEMIC_COMPRESSION))
    biology = result.biology
    assert biology is not None
    assert {"blood_flow", "oxygen", "lactate", "pain_transmission"} <= set(biology.report_species)
    features = result.stimulus.features
    assert features["capillary_closure"].max() > 0.4  # cycle mean: about half the cycle closed
    start = biology.session_intervals[0][0]
    t = biology.time
    hold = (t >= start + 10.0) & (t <= start + 90.0)
    after = (t > start + 94.0) & (t <= start + 150.0)
    skin_p10 = biology.layers["skin"]["blood_flow"][:, P10]
    assert skin_p10[hold].max() < 0.05  # the most compressed tenth of the skin: no flow
    for layer in ("skin", "adipose"):
        mean = biology.layers[layer]["blood_flow"][:, MEAN]
        high = biology.layers[layer]["blood_flow"][:, P90]
        assert mean[hold].max() < 0.8  # the layer's flow falls under the thumb
        assert high[after].max() > 2.0  # hyperaemia after the release
        oxygen = biology.layers[layer]["oxygen"][:, P10]
        lactate = biology.layers[layer]["lactate"][:, P90]
        assert oxygen[hold].min() < 0.9 and lactate[hold].max() > 1.1
    sa = biology.layers["skin"]["sa_activity"][:, P90]
    assert sa[hold].min() > 0.1
    assert biology.control is not None
    control = biology.control["adipose"]["blood_flow"]
    assert np.abs(control - 1.0).max() < 1e-9
