"""Output paths: the grammar, and extraction from result.h5 equal to the in-memory result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _sweep_files import BASE

from tissue_sim.config import load_config
from tissue_sim.errors import InputError
from tissue_sim.io import read_result
from tissue_sim.pipeline import run_to_directory
from tissue_sim.sweep import extract_from_file, extract_from_result, parse_output_path

PATHS = [
    "mechanics.layer_stats.adipose.max_shear_strain.max",
    "mechanics.layer_stats.adipose.max_shear_strain.first.mean",
    "mechanics.layer_stats.skin.von_mises_stress.mean.p50",
    "mechanics.layer_stats.fascia.min_principal_strain.min.p10",
    "mechanics.layer_stats.muscle.pressure.last.p90",
    "stimulus.layer_stats.fascia.effective_strain_peak.p90",
    "stimulus.layer_stats.fascia.time_above_threshold.mean.mean",
    "biology.layers.fascia.tgfb1_active.mean",
    "biology.layers.fascia.tgfb1_active.final.mean",
    "biology.layers.fascia.tgfb1_active.initial.p10",
    "biology.layers.skin.il6.max.p90",
    "biology.layers.skin.il6.min.mean",
    "biology.layers.muscle.collagen.mean.mean",
    "biology.layers.adipose.m2.day1.mean",
    "biology.layers.adipose.m2.day1_5.p90",
    "biology.control.fascia.tgfb1_active.final.mean",
    "biology.effect.fascia.tgfb1_active.final.mean",
    "biology.effect_ratio.fascia.tgfb1_active.final.mean",
    "biology.effect_ratio.adipose.il6.day1.p90",
    "biology.effect.skin.collagen.max.p10",
]


@pytest.fixture(scope="module")
def result_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    scenario = load_config(BASE, ["mesh.size=coarse", "schedule.days=2"])
    result, path = run_to_directory(
        scenario, tmp_path_factory.mktemp("run"), figures=False, report=False
    )
    return path, result


def test_grammar_defaults_and_errors() -> None:
    path = parse_output_path("mechanics.layer_stats.adipose.max_shear_strain.max")
    assert (path.stage, path.layer, path.name, path.selector, path.column) == (
        "mechanics",
        "adipose",
        "max_shear_strain",
        "max",
        "max",
    )
    assert parse_output_path("biology.layers.fascia.il6.p90").selector == "final"
    assert parse_output_path("stimulus.layer_stats.skin.cycle_frequency.p50").selector == "max"
    assert parse_output_path("biology.layers.fascia.il6.day7.mean").day == 7.0
    assert parse_output_path("biology.layers.fascia.il6.day0_25.mean").day == 0.25
    for bad, words in [
        ("fields.fascia.il6", "must start with"),
        ("biology.layers.fascia.il6", "does not match"),
        ("biology.layers.fascia..final.mean", "empty segment"),
        ("biology.layers.fascia.il6.final.p50", "unknown column"),
        ("biology.effects.fascia.il6.final.mean", "does not match"),
        ("biology.effect_ratio.fascia.il6.week1.mean", "unknown time"),
        ("stimulus.layer_stats.fascia.effective_strain_peak.final.p50", "step reduction"),
    ]:
        with pytest.raises(InputError, match=words):
            parse_output_path(bad)


def test_file_and_result_extraction_agree(result_file: tuple[Path, Any]) -> None:
    path, result = result_file
    paths = [parse_output_path(text) for text in PATHS]
    from_file = extract_from_file(path, paths)
    assert from_file == extract_from_result(result, paths)
    assert from_file == extract_from_result(read_result(path), paths)
    assert all(np.isfinite(from_file))


def test_selectors_mean_what_the_grammar_says(result_file: tuple[Path, Any]) -> None:
    path, result = result_file

    def value(text: str) -> float:
        return extract_from_file(path, [parse_output_path(text)])[0]

    shear = result.mechanics.layer_stats["adipose"]["max_shear_strain"]  # (K, 5)
    assert value(PATHS[0]) == shear[:, 1].max()
    assert value(PATHS[1]) == shear[0, 0]
    tgf = result.biology.layers["fascia"]["tgfb1_active"]  # (T, 3) mean, p10, p90
    time = result.biology.time
    assert value(PATHS[8]) == tgf[-1, 0] == value(PATHS[7])
    assert value(PATHS[9]) == tgf[0, 1]
    m2 = result.biology.layers["adipose"]["m2"][:, 0]
    assert value(PATHS[13]) == pytest.approx(np.interp(86400.0, time, m2), rel=1e-12)
    collagen = result.biology.layers["muscle"]["collagen"][:, 0]
    average = value(PATHS[12])
    assert collagen.min() <= average <= collagen.max()
    step = result.stimulus.layer_stats["fascia"]["effective_strain_peak"]
    assert value(PATHS[5]) == np.atleast_2d(step)[:, 4].max()


def test_effect_paths_compare_treated_with_the_untreated_control(
    result_file: tuple[Path, Any],
) -> None:
    path, result = result_file

    def value(text: str) -> float:
        return extract_from_file(path, [parse_output_path(text)])[0]

    treated = result.biology.layers["fascia"]["tgfb1_active"]
    untreated = result.biology.control["fascia"]["tgfb1_active"]
    assert value("biology.control.fascia.tgfb1_active.final.mean") == untreated[-1, 0]
    assert value("biology.effect.fascia.tgfb1_active.final.mean") == pytest.approx(
        treated[-1, 0] - untreated[-1, 0], rel=1e-14
    )
    assert value("biology.effect_ratio.fascia.tgfb1_active.final.mean") == pytest.approx(
        treated[-1, 0] / untreated[-1, 0], rel=1e-14
    )
    # the press moved TGF-β1 of the fat (the most strained layer) away from the control
    assert value("biology.effect.adipose.tgfb1_active.final.mean") != 0.0
    # before the first session the courses coincide (to the round-off of a weighted mean)
    start = untreated[0, 0]
    assert value("biology.effect.fascia.tgfb1_active.initial.mean") == pytest.approx(
        0.0, abs=1e-14 * start
    )
    assert value("biology.effect_ratio.fascia.tgfb1_active.initial.mean") == pytest.approx(
        1.0, rel=1e-14
    )
