"""Import of SBML and Antimony models: the imported right-hand side equals libRoadRunner's
rates of the same SBML at random states (reactions, compartments, amounts and
concentrations, function definitions, rules, initial assignments, units of time), inputs,
renamed ids, and one error line per construct a model file cannot hold (docs/sbml.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml", reason="python-libsbml is not installed ('.[sbml]')")
antimony = pytest.importorskip("antimony", reason="antimony is not installed ('.[sbml]')")
roadrunner = pytest.importorskip("roadrunner", reason="libroadrunner is not installed ('.[sbml]')")

from tests.sbml._helpers import max_relative_difference  # noqa: E402
from tissue_sim.biology import CellModel, load_model, simulate  # noqa: E402
from tissue_sim.biology._model_file import read_model_file  # noqa: E402
from tissue_sim.errors import InputError  # noqa: E402
from tissue_sim.sbml import (  # noqa: E402
    TIME_UNIT_PARAMETER,
    ImportedModel,
    SBMLImportError,
    import_sbml,
    read_sbml_text,
    write_model_file,
)

DATA = Path(__file__).parent / "data"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)


def _load(imported: ImportedModel, folder: Path) -> CellModel:
    return load_model([str(write_model_file(imported, folder / f"{imported.name}.yaml"))])


def _compare_with_roadrunner(
    sbml: str,
    model: CellModel,
    variables: dict[str, str],
    rng: np.random.Generator,
    *,
    inputs: dict[str, str] | None = None,
    time_scale: float = 1.0,
    n_states: int = 40,
) -> float:
    """Max relative difference between our rates (× time_scale) and libRoadRunner's.

    ``variables`` maps each model-file species to its roadrunner selection (``[A]`` for a
    concentration, ``P`` for an amount or a parameter); ``inputs`` maps input features to the
    SBML parameter that carries them.
    """
    runner = roadrunner.RoadRunner(sbml)
    healthy = model.initial_state()
    worst = 0.0
    for _ in range(n_states):
        state = healthy * rng.uniform(0.3, 2.0, healthy.size) + rng.uniform(0.0, 0.1, healthy.size)
        features = {name: rng.uniform(0.0, 0.5) for name in model.inputs}
        for name, value in zip(model.species_names, state, strict=True):
            runner[variables[name]] = float(value)
        for feature, value in features.items():
            runner[(inputs or {}).get(feature, feature)] = float(value)
        ours = model.rhs(0.0, state[None, :], features)[0] * time_scale
        theirs = np.array([_rate(runner, variables[name]) for name in model.species_names])
        worst = max(worst, max_relative_difference(ours, theirs, 1e-12))
    return worst


def _rate(runner: Any, selection: str) -> float:
    if selection.startswith("["):
        return float(runner[f"{selection}'"])
    rates = runner.getRatesOfChangeNamedArray()
    by_name = dict(zip(rates.colnames, rates[0], strict=True))
    return float(by_name[f"{selection}'"])


def test_features_model_rates_equal_roadrunner(tmp_path: Path) -> None:
    """Σ stoichiometry · rate / compartment size for concentrations, amounts without the
    division, a boundary species held, inlined and recognised function definitions, a rate
    rule on a parameter, log10/ln/root/pi: at 40 random states the imported model's rates
    equal libRoadRunner's to 1e-12."""
    path = DATA / "features.ant"
    imported = import_sbml(path, name="features")
    model = _load(imported, tmp_path)
    assert model.species_names == ("A", "N", "B", "P", "q")
    assert model.inputs == ("effective_strain_peak",)
    file = read_model_file(tmp_path / "features.yaml")
    assert "E" in file.parameters and "E" not in file.species  # boundary species: constant
    assert "hill(" in file.expressions["J1"][0]  # act() is the Hill function
    assert "mm(" not in file.expressions["J1"][0]  # mm() is inlined
    assert file.rates["A"][0] == "(-J1 + J5) / cell"
    assert file.rates["B"][0] == "(2 * J1 - J2) / cell"
    assert file.rates["P"][0] == "J3 - J4"  # an amount: no division by the size
    assert file.expressions["k_init"][0] == "2 * kt"  # a constant initial assignment
    assert file.species["B"].initial == pytest.approx(0.75 * 0.4)  # a species' one, evaluated
    sbml = read_sbml_text(path)
    variables = {"A": "[A]", "N": "[N]", "B": "[B]", "P": "P", "q": "q"}
    difference = _compare_with_roadrunner(
        sbml, model, variables, np.random.default_rng(3), inputs={"stim": "stim"}
    )
    assert difference < 1e-12


def test_mapped_input_and_renamed_ids(tmp_path: Path) -> None:
    """--input maps an SBML parameter to a stimulus feature; ids that are not model-file
    names (a leading underscore, a function name, a Python keyword) are renamed and listed,
    and the rates still equal libRoadRunner's."""
    document = libsbml.SBMLDocument(3, 2)
    model = document.createModel()
    model.setId("renaming")
    compartment = model.createCompartment()
    compartment.setId("c")
    compartment.setSize(1.0)
    compartment.setConstant(True)
    for identifier, value in (("_x", 1.0), ("lambda", 2.0)):
        species = model.createSpecies()
        species.setId(identifier)
        species.setCompartment("c")
        species.setInitialAmount(value)
        species.setHasOnlySubstanceUnits(True)
        species.setBoundaryCondition(False)
        species.setConstant(False)
    for identifier, value, constant in (("exp", 0.3, True), ("drive", 0.0, False)):
        parameter = model.createParameter()
        parameter.setId(identifier)
        parameter.setValue(value)
        parameter.setConstant(constant)
    for variable, formula in (
        ("_x", "-exp * _x + drive * lambda"),
        ("lambda", "exp * _x - lambda"),
    ):
        rule = model.createRateRule()
        rule.setVariable(variable)
        rule.setMath(libsbml.parseL3Formula(formula))
    sbml = libsbml.writeSBMLToString(document)
    source = tmp_path / "renaming.xml"
    source.write_text(sbml, encoding="utf-8")
    imported = import_sbml(source, inputs={"drive": "effective_strain_amplitude"})
    assert imported.renamed == {"_x": "x", "lambda": "lambda_", "exp": "exp_"}
    assert imported.inputs == {"drive": "effective_strain_amplitude"}
    assert "_x → x" in imported.text
    loaded = _load(imported, tmp_path)
    assert loaded.inputs == ("effective_strain_amplitude",)
    difference = _compare_with_roadrunner(
        sbml,
        loaded,
        {"x": "_x", "lambda_": "lambda"},
        np.random.default_rng(5),
        inputs={"effective_strain_amplitude": "drive"},
    )
    assert difference < 1e-12


def _hourly_model(tmp_path: Path) -> tuple[Path, str]:
    text = read_sbml_text(DATA / "goldbeter1991_mitotic_oscillator.ant")
    document = libsbml.readSBMLFromString(text)
    model = document.getModel()
    hour = model.createUnitDefinition()
    hour.setId("hour")
    unit = hour.createUnit()
    unit.setKind(libsbml.UNIT_KIND_SECOND)
    unit.setExponent(1)
    unit.setScale(0)
    unit.setMultiplier(3600.0)
    model.setTimeUnits("hour")
    sbml = libsbml.writeSBMLToString(document)
    path = tmp_path / "goldbeter_hours.xml"
    path.write_text(sbml, encoding="utf-8")
    return path, sbml


def test_time_unit_rescales_rates_to_per_second(tmp_path: Path) -> None:
    """A model whose timeUnits is the hour: every rate is divided by 3600 s (a parameter
    sbml_time_unit); --time-unit overrides the model's unit."""
    path, sbml = _hourly_model(tmp_path)
    imported = import_sbml(path, name="hourly")
    assert TIME_UNIT_PARAMETER in imported.text
    model = _load(imported, tmp_path)
    variables = {name: f"[{name}]" for name in model.species_names}
    rng = np.random.default_rng(11)
    assert _compare_with_roadrunner(sbml, model, variables, rng, time_scale=3600.0) < 1e-12
    minutes = import_sbml(path, name="minutes", time_unit="min")
    model = _load(minutes, tmp_path)
    assert _compare_with_roadrunner(sbml, model, variables, rng, time_scale=60.0) < 1e-12


@pytest.mark.slow
def test_goldbeter_oscillator_integrates_like_roadrunner(tmp_path: Path) -> None:
    """Goldbeter 1991 (the mitotic oscillator, BIOMD0000000003 equations; time in minutes):
    imported with --time-unit min and integrated by tissue_sim over 60 min (30 on CI; the
    cyclin rises and the kinase and protease switch on and off), it follows libRoadRunner's
    CVODE solution of the Antimony model to 1e-5 of each variable's range (measured: 6e-7)."""
    path = DATA / "goldbeter1991_mitotic_oscillator.ant"
    model = _load(import_sbml(path, time_unit="min"), tmp_path)
    minutes = np.arange(0.0, (30.0 if ON_CI else 60.0) + 1.0, 1.0)
    result = simulate(
        model,
        {},
        np.zeros((0, 2)),
        float(minutes[-1] * 60.0),
        initial_state=model.initial_state()[None, :],
        summary_times=minutes * 60.0,
        rtol=1e-8,
        atol=1e-14,
        threads=0,
    )
    runner = roadrunner.RoadRunner(read_sbml_text(path))
    runner.integrator.relative_tolerance = 1e-12
    runner.integrator.absolute_tolerance = 1e-16
    table = runner.simulate(0.0, float(minutes[-1]), minutes.size)
    for name in model.species_names:
        ours = result.summaries[name][:, 0, 0]
        theirs = np.asarray(table[f"[{name}]"])
        assert np.ptp(theirs) > 0.5  # cyclin, kinase and protease all swing
        scale = np.max(np.abs(theirs))
        assert np.max(np.abs(ours - theirs)) / scale < 1e-5, name


UNSUPPORTED = """
function step_up(x)
  piecewise(1, x > 0, 0)
end
model unsupported
  compartment C = 1;
  species S in C = 1, T in C = 0;
  J1: S -> T; k * S * sin(T);
  J2: T -> ; k * step_up(T) * T;
  lagged := delay(S, 2);
  switch := piecewise(1, S > 0.5, 0);
  clock := time;
  C' = 0.01;
  E1: at S < 0.1: S = 1;
  k = 0.2;
end
"""


def test_each_unsupported_construct_is_named_once(tmp_path: Path) -> None:
    """Events, algebraic rules, constraints, delay, piecewise, time, functions outside the
    whitelist, function definitions that cannot be inlined and compartments that change size:
    one problem line each, naming the element."""
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(UNSUPPORTED) >= 0, antimony.getLastError()
    document = libsbml.readSBMLFromString(antimony.getSBMLString("unsupported"))
    model = document.getModel()
    algebraic = model.createAlgebraicRule()
    algebraic.setMath(libsbml.parseL3Formula("S + T - 1"))
    constraint = model.createConstraint()
    constraint.setMath(libsbml.parseL3Formula("S >= 0"))
    path = tmp_path / "unsupported.xml"
    path.write_text(libsbml.writeSBMLToString(document), encoding="utf-8")
    with pytest.raises(SBMLImportError) as caught:
        import_sbml(path)
    problems = caught.value.problems
    expected = {
        "event E1": "events",
        "constraint 1": "constraints are not supported",
        "algebraic rule": "algebraic rules",
        "compartment C": "changes",
        "reaction J1 kinetic law": "sin",
        "reaction J2 kinetic law": "function definition step_up cannot be inlined: piecewise",
        "parameter lagged": "delay()",
        "parameter switch": "piecewise",
        "parameter clock": "csymbol time",
    }
    assert len(problems) == len(expected), problems
    for where, what in expected.items():
        assert sum(where in p and what in p for p in problems) == 1, (where, problems)
    assert str(path) in str(caught.value)


def test_invalid_files_are_input_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.ant"
    garbage.write_text("model x\n  this is not antimony ===\nend\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid Antimony model"):
        import_sbml(garbage)
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?><sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" '
        'level="3" version="2"><model id="m"><listOfSpecies><species id="S"/>'
        "</listOfSpecies></model></sbml>",
        encoding="utf-8",
    )
    with pytest.raises(SBMLImportError, match="invalid SBML"):
        import_sbml(broken)


def test_write_model_file_refuses_a_wrong_name_or_an_existing_file(tmp_path: Path) -> None:
    imported = import_sbml(DATA / "goldbeter1991_mitotic_oscillator.ant", time_unit="min")
    assert imported.name == "goldbeter1991"
    with pytest.raises(InputError, match=r"must be called goldbeter1991\.yaml"):
        write_model_file(imported, tmp_path / "other.yaml")
    target = write_model_file(imported, tmp_path / "goldbeter1991.yaml")
    with pytest.raises(InputError, match="--force"):
        write_model_file(imported, target)
    assert write_model_file(imported, target, force=True) == target


def test_roadrunners_own_test_models_import_with_its_rates(tmp_path: Path) -> None:
    """Every SBML file libRoadRunner ships as test data (SBML Level 2 and 3, reactions, named
    stoichiometries, amounts and concentrations) either imports with rates equal to
    libRoadRunner's at 10 random states, or is refused with the constructs named (events,
    the distrib package, species without initial values)."""
    folder = Path(roadrunner.__file__).parent / "tests"
    files = sorted(folder.rglob("*.xml"))
    if not files:
        pytest.skip("this libroadrunner wheel ships no test models")
    rng = np.random.default_rng(13)
    imported_count = 0
    for index, path in enumerate(files):
        try:
            imported = import_sbml(path, name=f"model_{index}")
        except SBMLImportError as error:
            assert error.problems and all(problem for problem in error.problems)
            continue
        imported_count += 1
        model = _load(imported, tmp_path)
        original = {name: sbml_id for sbml_id, name in imported.renamed.items()}
        sbml_model = libsbml.readSBMLFromFile(str(path)).getModel()
        variables = {}
        for name in model.species_names:
            identifier = original.get(name, name)
            species = sbml_model.getSpecies(identifier)
            concentration = species is not None and not species.getHasOnlySubstanceUnits()
            variables[name] = f"[{identifier}]" if concentration else identifier
        sbml = read_sbml_text(path)
        assert _compare_with_roadrunner(sbml, model, variables, rng, n_states=10) < 1e-12, path
    assert imported_count >= min(5, len(files) // 2)
