"""Every demonstration runs, explains itself, writes its pictures and shows what it says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tissue_sim.cli import main
from tissue_sim.demos import DEMOS, DemoOutcome, list_demos, run_demo
from tissue_sim.demos._common import demos_directory

#: The lumbar stack of the demonstrations, with the loose layer the fascia slides on
#: (models/tissues/lumbar.yaml; docs/biology.md, "The fascia must answer").
LAYERS = ["skin", "adipose", "fascia", "fascia_loose", "muscle"]
#: Layers whose cells answer the load: the dense fascia strains ~0.03 % and answers through
#: its sliding layer (its changes are at the integrator's tolerance, ~1e-4 %).
ANSWERING = ["skin", "adipose", "fascia_loose", "muscle"]
#: Below this a change [%] is no effect (the demos' NO_EFFECT_PERCENT).
NO_EFFECT = 0.01


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoOutcome]:
    """Every demonstration, run once."""
    folder = tmp_path_factory.mktemp("demos")
    return {name: run_demo(name, folder / name) for name in DEMOS}


def test_there_are_at_least_eight_demos_each_with_a_scenario_file() -> None:
    demos = list_demos()
    names = [demo.name for demo in demos]
    assert names[0] == "pressure_and_shear" and len(names) >= 8
    for name in (
        "pain_gating",
        "ischaemic_compression",
        "tgfb1_dose_response",
        "fibroblast_cytokines",
        "macrophage_switch",
        "therapeutic_window",
        "course_planner",
    ):
        assert name in names
    for demo in demos:
        assert (demos_directory() / demo.config).is_file()
        assert demo.title and demo.summary


@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_writes_pictures_and_a_narrative(name: str, outcomes: dict[str, DemoOutcome]) -> None:
    outcome = outcomes[name]
    assert len(outcome.narrative) >= 3
    assert all(len(paragraph) > 80 for paragraph in outcome.narrative)
    assert any("Limits" in paragraph for paragraph in outcome.narrative)
    assert outcome.figures
    for path in outcome.figures:
        with Image.open(path) as picture:
            pixels = np.asarray(picture.convert("RGB"), dtype=float)
        assert picture.format == "PNG" and pixels.std() > 20.0, path.name
    if len(outcome.figures) > 1:  # the narrative says which picture shows what
        text = " ".join(outcome.narrative)
        for path in outcome.figures:
            assert path.name in text, path.name


def test_pressure_and_shear_soft_layers_strain_most(outcomes: dict[str, DemoOutcome]) -> None:
    numbers = outcomes["pressure_and_shear"].numbers
    stretch = numbers["stretch_p90_pressing"]
    assert list(stretch) == LAYERS
    # the soft adipose under the hand takes the load, the stiff fascia barely stretches (the
    # deep muscle, far from the hand, and the stiff skin come in between in either order)
    assert max(stretch, key=stretch.get) == "adipose"
    assert min(stretch, key=stretch.get) == "fascia"
    assert stretch["adipose"] > 10.0 * max(stretch["skin"], stretch["muscle"])
    # the loose sliding layer under the fascia strains like soft tissue, ~100x the fascia
    assert stretch["fascia_loose"] > 30.0 * stretch["fascia"]
    pressing = outcomes["pressure_and_shear"].narrative[1]
    assert "the adipose stretches most, the fascia least" in pressing
    # force = pressure × patch area (ellipse 2 cm × 1.5 cm semi-axes)
    assert numbers["force"] == pytest.approx(5e3 * np.pi * 0.02 * 0.015, rel=1e-6)
    assert numbers["shear_force"] == pytest.approx(2.5e3 * np.pi * 0.02 * 0.015, rel=1e-6)
    for layer in LAYERS:
        assert numbers["shear_p90_pushing"][layer] > 0.0


def test_tgfb1_dose_response_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """Bove 2016 (FACTS §5): loading lowers TGF-β1; the more strain, the lower (vs control)."""
    numbers = outcomes["tgfb1_dose_response"].numbers
    pressures = np.array(numbers["pressures_kpa"])
    assert pressures.size >= 4 and np.all(np.diff(pressures) > 0)
    assert list(numbers["active_change_percent"]) == LAYERS
    for layer in LAYERS:
        strain = np.array(numbers["strain_p90"][layer])
        # linear mechanics: strain proportional to pressure
        assert np.allclose(strain / pressures, strain[0] / pressures[0], rtol=1e-6)
    change = {layer: np.array(values) for layer, values in numbers["active_change_percent"].items()}
    # every layer that strains: the harder the press, the lower TGF-β1 than without massage
    # (steps within the integrator's tolerance allowed), and lower at the highest pressure
    for layer in ANSWERING:
        assert np.all(np.diff(change[layer]) < 1e-4), layer
        assert change[layer][-1] < -NO_EFFECT, layer
    # the dense fascia (0.1 % strain) does not answer; its sliding layer does, more than
    # the stiff skin above it
    assert np.max(np.abs(change["fascia"])) < NO_EFFECT
    assert change["fascia_loose"][-1] < change["skin"][-1]
    # the softest layer answers most at the lightest press; its gains diminish (saturating
    # drive, half-effective at 3 % cyclic strain)
    assert min(ANSWERING, key=lambda layer: change[layer][0]) == "adipose"
    steps = -np.diff(change["adipose"]) / np.diff(np.log(pressures))
    assert steps[-1] < steps[0]
    # kneading never switches the injury sensor on (FACTS §9: strokes load a point ~1 s)
    for layer in LAYERS:
        sensor = np.array(numbers["sensor_mean"][layer])
        assert np.all(sensor < 1.05 * numbers["sensor_without_massage"]), layer


def test_macrophage_switch_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """Waters-Banker 2014 (FACTS §6): loading favours M2; more strain, larger effect."""
    numbers = outcomes["macrophage_switch"].numbers
    m1 = numbers["m1_change_day_one_percent"]
    gain = numbers["m2_share_gain_day_one_points"]
    strain = numbers["strain_p90"]
    assert list(m1) == LAYERS
    # massage lowers M1 and raises the M2 share in every layer that strains
    for layer in ANSWERING:
        assert m1[layer] < -NO_EFFECT / 10 and gain[layer] > 0.0, layer
    # the dense fascia barely strains: no effect beyond the integrator's tolerance
    assert abs(m1["fascia"]) < NO_EFFECT and abs(gain["fascia"]) < NO_EFFECT
    # the more a layer is strained, the larger the effect: the same order for both
    by_strain = sorted(ANSWERING, key=lambda layer: strain[layer])
    by_gain = sorted(ANSWERING, key=lambda layer: gain[layer])
    assert by_strain == by_gain
    assert by_strain[-1] == "adipose"
    share = numbers["m2_share_without_massage"]
    # inflammation resolves anyway (after the damage's M1 recruitment in the first day)
    assert share["day_one"] < share["end"] and share["end"] > share["start"]


def test_fibroblast_cytokines_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """Meltzer & Standley 2007 (FACTS §4): at 24 h repetitive strain raises IL-6 and IL-1β
    vs the unstrained control, the 60-s stretch alone raises neither, and the stretch after
    repetitive strain lowers IL-6 by 46 % vs repetitive strain alone (calibrated, ±5 %)."""
    numbers = outcomes["fibroblast_cytokines"].numbers
    change = numbers["change_vs_control_percent"]
    for cytokine in ("il6", "il1b"):
        assert change[cytokine]["rms"] > 50.0, cytokine
        assert change[cytokine]["iomt"] <= 0.0, cytokine
        # the stretch after overuse: between the control and overuse alone
        assert 0.0 < change[cytokine]["rms_then_iomt"] < change[cytokine]["rms"], cytokine
    assert numbers["stretch_after_rms_vs_rms_percent"]["il6"] == pytest.approx(-46.0, abs=5.0)
    assert numbers["at_readout"]["il6"]["control"] == pytest.approx(1.0, abs=1e-6)  # healthy


def test_therapeutic_window_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """FACTS §9 (Linder-Ganz 2006, Stekelenburg 2006, Loerakker 2010) and §3, §6 (Haas 2013,
    Waters-Banker 2014): strokes help more the firmer they press and never injure; too light
    does almost nothing; the same pressure held for 2 h damages and inflames (vs control)."""
    numbers = outcomes["therapeutic_window"].numbers
    layer = numbers["focus_layer"]
    assert layer == "adipose"  # the softest layer takes the strain
    m1 = {arm: values[layer] for arm, values in numbers["m1_change_end_percent"].items()}
    damage = {arm: values[layer] for arm, values in numbers["damage_added_peak"].items()}
    il6 = {arm: values[layer] for arm, values in numbers["il6_change_peak_percent"].items()}
    held = {arm: values[layer] for arm, values in numbers["longest_above_50pct_s"].items()}
    # too little does almost nothing; more pressure, more benefit (vs control)
    assert -2.0 < m1["light"] < 0.0
    assert m1["firm"] < m1["moderate"] < 5 * m1["light"] < 0.0
    # no stroke injures, even the firm one that passes 50 % for about a second
    assert held["firm"] < 5.0 and held["hold"] > 3600.0
    for arm in ("light", "moderate", "firm"):
        assert damage[arm] < 1e-3 and il6[arm] < 0.01, arm
    # the hold above the threshold harms: damage, IL-6 and M1 above the control
    assert damage["hold"] > 0.01 and il6["hold"] > 5.0 and m1["hold"] > 0.0
    # the dense fascia answers every arm at least a hundred times less than the adipose, up
    # to the course's integrator tolerance (biology.rtol 1e-4: ~0.02 % over days)
    for arm, values in numbers["m1_change_end_percent"].items():
        assert abs(values["fascia"]) < 0.01 * abs(values[layer]) + 0.02, arm


def test_course_planner_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """The same total time three ways (FACTS §3 doses; §4 overuse: thousands of fast cycles
    raise IL-6): daily and 3x/week lower M1 and TGF-β1 vs control; one long session crosses
    the overuse threshold (the sensor switches on, IL-6 rises) and ends above the control."""
    numbers = outcomes["course_planner"].numbers
    minutes = numbers["minutes"]
    assert minutes["daily"] == pytest.approx(minutes["three_a_week"])
    assert minutes["daily"] == pytest.approx(minutes["one_long"])
    layer = numbers["focus_layer"]
    end = numbers["end_change_percent"]
    average = numbers["m1_average_change_percent"]
    for plan in ("daily", "three_a_week"):
        assert end["m1"][plan][layer] < 0.0 and end["tgfb1_active"][plan][layer] < 0.0, plan
        assert numbers["sensor_p90_peak_rise"][plan][layer] < 0.01, plan
        # spread sessions beat one long one over the week
        assert average[plan][layer] < average["one_long"][layer] < 0.0, plan
    assert numbers["sensor_p90_peak_rise"]["one_long"][layer] > 0.1
    assert numbers["il6_p90_peak_change_percent"]["one_long"][layer] > 50.0
    assert end["tgfb1_active"]["one_long"][layer] > 0.0


def test_ischaemic_compression_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """Landis 1930 (capillary pressures 32/12 mmHg), Imms 1988 (hyperaemia half-life
    14-45 s), NIRS occlusion tests (docs/biology.md 'Perfusion'): a 150-mmHg hold stops flow
    under the thumb, oxygen falls and lactate rises, flow overshoots after the release and
    decays within a minute; the deep muscle is the last to close; a 23-mmHg hold starves
    only the surface; the untreated control stays at rest."""
    numbers = outcomes["ischaemic_compression"].numbers
    firm, light = (numbers["under_thumb"][f"{p:g}"] for p in numbers["pressures_kpa"])
    assert numbers["control_largest_departure_from_rest"] < 1e-9
    for layer in ("skin", "adipose"):
        held = firm[layer]
        assert held["flow_during_hold"] < 0.05, layer
        assert held["oxygen_lowest"] < 0.9 and held["lactate_highest"] > 1.1, layer
        assert held["peak_flow_after"] > 2.0, layer  # reactive hyperaemia
        assert 5.0 < held["half_decay_s"] < 60.0, layer
    assert firm["muscle"]["flow_during_hold"] > firm["adipose"]["flow_during_hold"]
    assert light["adipose"]["flow_during_hold"] > 0.9  # below the venous-end pressure
    assert light["muscle"]["flow_during_hold"] > 0.9


def test_pain_gating_directions(outcomes: dict[str, DemoOutcome]) -> None:
    """Gate control (Melzack & Wall 1965; a teaching model, docs/biology.md 'Afferent
    gating'): the day after damage the muscle's nociceptive drive is raised; strokes excite
    the rapidly adapting skin afferents and damp its transmission more than a still hand
    (slowly adapting afferents only); the gate opens again within seconds after the
    session; the drive itself is the control's."""
    numbers = outcomes["pain_gating"].numbers
    stroke, hold, control = numbers["stroke"], numbers["hold"], numbers["control"]
    assert control["drive_during"] > 1.5  # sensitised by the mediators of the damage
    assert control["gate_closure_during"] == pytest.approx(0.0, abs=1e-4)
    assert stroke["ra_during"] > 0.5 > hold["ra_during"]
    assert hold["sa_during"] > stroke["sa_during"] > 0.0
    assert stroke["transmission_during"] < hold["transmission_during"]
    assert hold["transmission_during"] < control["transmission_during"]
    for arm in (stroke, hold):
        assert arm["transmission_10s_after"] == pytest.approx(
            control["transmission_10s_after"], rel=1e-3
        )
        assert arm["drive_during"] == pytest.approx(control["drive_during"], rel=1e-3)


def test_demo_without_a_name_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in DEMOS:
        assert name in out


def test_unknown_demo_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "no_such_demo"]) == 2
    error = capsys.readouterr().err
    assert "no demonstration 'no_such_demo'" in error and "pressure_and_shear" in error


def test_demo_command_prints_narrative_and_pictures(
    outcomes: dict[str, DemoOutcome],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command prints the title, the narrative and the pictures (run reused)."""
    from tissue_sim.demos.registry import Demo

    calls: list[Path] = []

    def reuse(self: Demo, output: Path, progress: object = None) -> DemoOutcome:
        calls.append(Path(output))
        return outcomes[self.name]

    monkeypatch.setattr(Demo, "run", reuse)
    assert main(["demo", "macrophage_switch", "-o", str(tmp_path / "out"), "-q"]) == 0
    captured = capsys.readouterr()
    assert calls == [tmp_path / "out"]
    assert DEMOS["macrophage_switch"].title in captured.out
    assert "Limits:" in captured.out
    for path in outcomes["macrophage_switch"].figures:
        assert str(path) in captured.out
    assert captured.err == ""  # --quiet: no progress lines
