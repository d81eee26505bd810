"""The afferent-gating model (models/cells/afferent_gating.yaml) — a teaching model of the
gate-control hypothesis: steady state, rapidly vs slowly adapting afferents, the gate,
the nociceptive drive of the mediators other models compute, composition by species name.

Sources (docs/biology.md, "Afferent gating"): Melzack & Wall 1965 (large-fibre input
inhibits the transmission of small-fibre nociceptive input in the dorsal horn; Mendell 2014:
"not correct in detail"); the seed document (Bishop et al. 2015, Vigotsky & Bruhns 2015:
input from large sensory neurons may stop the spinal cord amplifying nociceptive signals);
rapidly adapting afferents answer skin movement, slowly adapting ones static indentation
and stretch (cutaneous mechanoreceptor classes).
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.biology import CellModel, load_model, simulate
from tissue_sim.config import DEFAULT_CELL_MODELS
from tissue_sim.resources import cell_models_directory
from tissue_sim.stimulus.course import course_features


@pytest.fixture(scope="module")
def gating() -> CellModel:
    return load_model(["afferent_gating"])


def _run(
    model: CellModel,
    stimuli: list[dict[str, np.ndarray]],
    intervals: list[np.ndarray],
    end: float,
    *,
    initial_state: str | np.ndarray = "healthy",
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    times = np.arange(0.0, end, 0.25)
    result = simulate(
        model,
        stimuli if len(stimuli) > 1 else stimuli[0],
        intervals if len(intervals) > 1 else intervals[0],
        end,
        initial_state=initial_state,
        summary_times=times,
        rtol=1e-7,
    )
    return result.time, {name: result.summaries[name][:, 0, 0] for name in model.species_names}


def test_the_file_says_it_is_a_teaching_model_of_a_hypothesis(gating: CellModel) -> None:
    """Melzack & Wall 1965 as a hypothesis: the file and its report label say so."""
    text = (cell_models_directory() / "afferent_gating.yaml").read_text(encoding="utf-8")
    assert "TEACHING MODEL OF A HYPOTHESIS" in text and "Melzack & Wall (1965)" in text
    assert "hypothesis" in gating.species_labels["pain_transmission"]


def test_rest_is_a_steady_state_alone_and_composed(gating: CellModel) -> None:
    """No deformation and healthy mediators: afferents silent, drive and transmission at
    1 — of the model alone and composed with every other shipped model."""
    composed = load_model([*DEFAULT_CELL_MODELS, "perfusion", "afferent_gating"])
    for model in (gating, composed):
        y = model.initial_state("healthy")[None, :]
        inputs = {name: np.zeros(1) for name in model.inputs}
        assert np.abs(model.rhs(0.0, y, inputs)).max() < 1e-15


def test_rapidly_adapting_afferents_answer_the_ramps_slowly_adapting_the_hold(
    gating: CellModel,
) -> None:
    """Cutaneous mechanoreceptor classes: during a ramp–hold–release of the skin, RA
    afferents fire on the ramps and fall silent during the steady hold; SA afferents fire
    throughout the hold. The phases come from the stimulus stage (ramp 2 s to 10 % skin
    strain, hold 60 s, release 2 s, rest 56 s)."""
    strain = np.zeros((4, 1, 3, 3))
    strain[:, 0, 0, 0] = [0.0, 0.1, 0.1, 0.0]
    course = course_features(
        np.zeros_like(strain),
        strain,
        np.array([0.0, 2.0, 62.0, 64.0]),
        cycle_period=120.0,
        session_duration=120.0,
        names=("skin_strain", "skin_strain_rate"),
    )
    assert course.resolved
    stimuli = [
        {name: course.values[name][j] for name in ("skin_strain", "skin_strain_rate")}
        for j in range(4)
    ]
    spans = [
        np.array([[10.0 + a, 10.0 + b]]) for a, b in zip(course.starts, course.ends, strict=True)
    ]
    times, y = _run(gating, stimuli, spans, 140.0)
    ramp = (times >= 11.0) & (times <= 12.0)
    hold = (times >= 20.0) & (times <= 70.0)
    assert y["ra_activity"][ramp].max() > 0.5
    assert y["ra_activity"][hold].max() < 1e-3
    assert y["sa_activity"][hold].min() > 0.75
    assert y["pain_transmission"][hold].max() < 0.8  # the gate is partly closed while held


def test_large_fibre_input_closes_the_gate_only_while_the_skin_moves(gating: CellModel) -> None:
    """Melzack & Wall 1965: with the same nociceptive drive, large-fibre input lowers the
    transmitted nociception; the gate reopens within seconds after the stroke (no lasting
    effect in this model)."""
    stroke = {"skin_strain": np.array([0.08]), "skin_strain_rate": np.array([0.3])}
    times, y = _run(gating, [stroke], [np.array([[10.0, 70.0]])], 100.0)
    during = (times >= 20.0) & (times <= 70.0)
    assert y["pain_transmission"][during].max() < 0.6
    assert np.abs(y["nociceptive_drive"] - 1.0).max() < 1e-12  # the drive is untouched
    assert y["pain_transmission"][times >= 85.0].min() > 0.999


def test_inflammatory_mediators_raise_the_nociceptive_drive_by_species_name() -> None:
    """Composition by species name: after acute exercise damage the fibroblast and
    macrophage models' IL-6, IL-1β and TNF-α are raised, and the nociceptive drive and the
    transmission rise with them (Melzack & Wall: small-fibre input opens the gate); a stroke
    still lowers the transmission below the unstroked course (the gate)."""
    model = load_model([*DEFAULT_CELL_MODELS, "afferent_gating"])
    start = model.initial_state("healthy").copy()
    acute = load_model(list(DEFAULT_CELL_MODELS)).initial_state("acute_exercise_damage")
    for index, name in enumerate(load_model(list(DEFAULT_CELL_MODELS)).species_names):
        start[model.species_index(name)] = acute[index]
    zero = {name: np.zeros(1) for name in model.inputs}
    stroke = dict(zero) | {"skin_strain": np.array([0.08]), "skin_strain_rate": np.array([0.3])}
    _, rest = _run(model, [zero], [np.array([[0.0, 1.0]])], 900.0, initial_state=start)
    times, stroked = _run(model, [stroke], [np.array([[600.0, 660.0]])], 900.0, initial_state=start)
    late = (times >= 580.0) & (times < 600.0)
    assert rest["nociceptive_drive"][late].min() > 1.3  # mediators raise the drive
    assert rest["pain_transmission"][late].min() > 1.3
    during = (times >= 620.0) & (times <= 660.0)
    assert np.all(stroked["pain_transmission"][during] < 0.7 * rest["pain_transmission"][during])


def test_lactate_from_the_perfusion_model_raises_the_drive_after_an_ischaemic_hold() -> None:
    """Composition with perfusion: a hold closing the capillary bed raises lactate, and
    the nociceptive drive follows it (acid and lactate sensitise muscle nociceptors; the
    size is an assumption); both return towards rest after the release."""
    model = load_model(["perfusion", "afferent_gating"])
    hold = {name: np.zeros(1) for name in model.inputs} | {"capillary_closure": np.ones(1)}
    _, y = _run(model, [hold], [np.array([[10.0, 190.0]])], 1200.0)
    assert y["lactate"].max() > 1.3
    peak = y["nociceptive_drive"].max()
    assert peak > 1.03
    assert y["nociceptive_drive"][-1] - 1.0 < 0.3 * (peak - 1.0)


def test_drive_and_transmission_cannot_go_negative() -> None:
    """Positivity: with every mediator at zero (far below healthy) and the drive and the
    transmission at zero, their rates are not negative (the drive weights sum to at most
    1), so neither can cross zero."""
    model = load_model([*DEFAULT_CELL_MODELS, "perfusion", "afferent_gating"])
    y = model.initial_state("healthy").copy()
    for name in ("il6", "il1b", "tnfa", "lactate", "nociceptive_drive", "pain_transmission"):
        y[model.species_index(name)] = 0.0
    inputs = {name: np.zeros(1) for name in model.inputs}
    rates = model.rhs(0.0, y[None, :], inputs)[0]
    assert rates[model.species_index("nociceptive_drive")] >= -1e-15
    assert rates[model.species_index("pain_transmission")] >= -1e-15
    y[model.species_index("il6")] = 1.0  # a check that can fail: one mediator back up
    rates = model.rhs(0.0, y[None, :], inputs)[0]
    assert rates[model.species_index("nociceptive_drive")] > 0.0
