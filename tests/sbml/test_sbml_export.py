"""Export of model files as SBML Level 3 Version 2: validity, what each element carries, and
the semantics of every expression function checked against libRoadRunner (docs/sbml.md)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import sympy

libsbml = pytest.importorskip("libsbml", reason="python-libsbml is not installed ('.[sbml]')")
roadrunner = pytest.importorskip("roadrunner", reason="libroadrunner is not installed ('.[sbml]')")

from tests.sbml._helpers import (  # noqa: E402
    exported_model,
    max_relative_difference,
    roadrunner_rates,
)
from tissue_sim.biology import list_models, load_model  # noqa: E402
from tissue_sim.biology._expressions import FUNCTIONS, parse_expression  # noqa: E402
from tissue_sim.biology._model_file import read_model_file  # noqa: E402
from tissue_sim.errors import InputError  # noqa: E402
from tissue_sim.sbml import COMPARTMENT, export_sbml, model_file_paths  # noqa: E402
from tissue_sim.sbml._annotations import NAMESPACE, notes_text, read_annotation  # noqa: E402
from tissue_sim.sbml._math import FUNCTION_DEFINITIONS, expression_to_math  # noqa: E402

SHIPPED = list_models()


def _document(text: str):  # type: ignore[no-untyped-def]
    document = libsbml.readSBMLFromString(text)
    assert document.getNumErrors() == 0
    return document


@pytest.mark.parametrize("name", [*SHIPPED, ",".join(SHIPPED)])
def test_every_shipped_model_exports_valid_sbml_l3v2(name: str) -> None:
    """libsbml's full consistency check finds no error (unit warnings aside) in the export
    of each shipped model file and of their composition."""
    exported = exported_model(tuple(name.split(",")))
    document = _document(exported.sbml)
    assert (document.getLevel(), document.getVersion()) == (3, 2)
    document.checkConsistency()
    errors = [
        document.getError(i).getMessage()
        for i in range(document.getNumErrors())
        if document.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    assert errors == []


@pytest.mark.parametrize("name", SHIPPED)
def test_export_carries_species_rates_parameters_sources_and_inputs(name: str) -> None:
    """One species with a rate rule per model-file species (initial = healthy value); every
    parameter in SI with a unit where one exists and its source in the annotation and notes;
    every input a non-constant parameter at 0 annotated with its feature."""
    (path,) = model_file_paths([name])
    file = read_model_file(path)
    model = _document(exported_model((name,)).sbml).getModel()
    assert model.getTimeUnits() == "second"
    assert model.getNumReactions() == 0 and model.getNumEvents() == 0
    rate_rules = {rule.getVariable() for rule in model.getListOfRules() if rule.isRate()}
    assert rate_rules == set(file.species)
    for definition in file.species.values():
        species = model.getSpecies(definition.name)
        assert species.getCompartment() == COMPARTMENT
        assert species.getHasOnlySubstanceUnits()
        assert species.getInitialAmount() == pytest.approx(definition.initial, rel=1e-14)
    for parameter_name, info in file.parameters.items():
        parameter = model.getParameter(parameter_name)
        assert parameter.getConstant()
        assert parameter.getValue() == pytest.approx(info.value, rel=1e-14)
        annotation = read_annotation(parameter, "parameter")
        assert annotation is not None
        assert annotation.get("source") == info.source
        assert float(annotation.get("value")) == info.value
        assert info.source in notes_text(parameter)
        if info.unit == "1/s":
            definition = model.getUnitDefinition(parameter.getUnits())
            assert definition.getNumUnits() == 1
            unit = definition.getUnit(0)
            assert libsbml.UnitKind_toString(unit.getKind()) == "second"
            assert unit.getExponentAsDouble() == -1.0
        elif info.unit == "1":
            assert parameter.getUnits() == "dimensionless"
    for feature in file.inputs:
        parameter = model.getParameter(feature)
        assert not parameter.getConstant() and parameter.getValue() == 0.0
        annotation = read_annotation(parameter, "input")
        assert annotation is not None and annotation.get("feature") == feature
    for helper in file.expressions:
        assert model.getAssignmentRule(helper) is not None


def test_composition_prefixes_only_the_names_two_files_share() -> None:
    """A parameter or helper name used by two composed files becomes <model>__<name> in both;
    every other name keeps its model-file name, and all SBML ids are distinct."""
    files = [read_model_file(path) for path in model_file_paths(SHIPPED)]
    exported = exported_model(tuple(SHIPPED))
    model = _document(exported.sbml).getModel()

    def local(file):  # type: ignore[no-untyped-def]
        return set(file.parameters) | set(file.expressions)

    shared_somewhere = False
    for first, second in itertools.combinations(files, 2):
        for shared in local(first) & local(second):
            shared_somewhere = True
            assert exported.ids[(first.name, shared)] == f"{first.name}__{shared}"
            assert exported.ids[(second.name, shared)] == f"{second.name}__{shared}"
    assert shared_somewhere  # the shipped models do share names (m1_healthy, ...)
    unique = {
        (file.name, name)
        for file in files
        for name in local(file)
        if sum(name in local(other) for other in files) == 1
    }
    assert all(exported.ids[key] == key[1] for key in unique)
    ids = [
        element.getId()
        for listed in (
            model.getListOfSpecies(),
            model.getListOfParameters(),
            model.getListOfCompartments(),
            model.getListOfFunctionDefinitions(),
        )
        for element in listed
    ]
    assert len(ids) == len(set(ids))


def test_function_definitions_equal_the_expression_language_functions() -> None:
    """The SBML bodies of hill and hill_rep are the project's definitions (a change of either
    side fails here)."""
    x, k, n = (sympy.Symbol(name, real=True) for name in ("x", "K", "n"))
    for name, (arguments, body) in FUNCTION_DEFINITIONS.items():
        assert arguments == ("x", "K", "n")
        assert parse_expression(body) == FUNCTIONS[name][2](x, k, n)


def test_every_function_of_the_expression_language_has_an_sbml_form() -> None:
    """A function added to the whitelist without an SBML form fails here."""
    for name, (low, _, _) in FUNCTIONS.items():
        arguments = ", ".join(["x", "K", "n"][:low] if low <= 3 else ["x"] * low)
        assert expression_to_math(f"{name}({arguments})", {"x": "x", "K": "K", "n": "n"})


def _function_model(tmp_path: Path) -> Path:
    """A model file whose rates use every function (and operator) of the expression language."""
    text = """\
name: functions_check
title: every expression function
description: test model
species:
  a: {unit: "1", initial: 0.7, description: a}
  b: {unit: "1", initial: 1.3, description: b}
  c: {unit: "1", initial: 0.4, description: c}
parameters:
  K: {value: 0.5, source: "assumption: test value"}
  n: {value: 2.5, source: "assumption: test value"}
rates:
  a: "exp(-a) * log(b + 1) - sqrt(c) + abs(a - b) / 3"
  b: "min(a, b, c) - max(a, 0.5 * b) + hill(a - 0.2, K, n)"
  c: "hill_rep(b, K, 3) - c ** 2 / (1 + a) + (-a) ** 2 - 2 ** -c"
"""
    path = tmp_path / "functions_check.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_exported_math_evaluates_as_tissue_sim_in_roadrunner(tmp_path: Path) -> None:
    """libRoadRunner's rates of the exported model equal tissue_sim's right-hand side at 50
    random states, including negative arguments of hill (clipped at 0) and ln vs log10."""
    path = _function_model(tmp_path)
    model = load_model([str(path)])
    runner = roadrunner.RoadRunner(export_sbml([str(path)]).sbml)
    rng = np.random.default_rng(7)
    states = rng.uniform(0.01, 2.0, (50, 3))
    ours = model.rhs(0.0, states, {})
    theirs = np.empty_like(ours)
    for row, state in enumerate(states):
        for name, value in zip(model.species_names, state, strict=True):
            runner.setValue(name, float(value))
        theirs[row] = roadrunner_rates(runner, model.species_names)
    assert max_relative_difference(theirs, ours, floor=1e-12) < 1e-12


def test_unknown_model_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown cell model 'no_such_model'"):
        export_sbml("no_such_model")


def test_annotations_use_the_tissue_sim_namespace() -> None:
    text = export_sbml(SHIPPED[0]).sbml
    assert f'xmlns:tissue_sim="{NAMESPACE}"' in text
