"""The report and pictures of a remodelled course: each layer's stiffness factor over the
course (``remodelling.png``) and one sentence in the report.

The course is the resolving test model of test_remodelling_course.py (collagen index
2 → 1 under loading; the collagen power law n = 1.91, Böhringer et al. 2024), so the
first update's factor is exactly 2^1.91 in every layer and the factors fall.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from test_remodelling_course import CONFIG, CONFINED, RESOLVING

from tissue_sim import load_config
from tissue_sim.pipeline import run
from tissue_sim.viz.figures import write_figures
from tissue_sim.viz.remodelling_figures import _held, plot_remodelling, remodelling_lines
from tissue_sim.viz.report import _escape, render_report


def test_held_values_step_at_the_updates() -> None:
    times, values = _held(np.array([0.0, 2.0, 5.0]), np.array([3.0, 2.0, 1.0]), 7.0)
    np.testing.assert_array_equal(times, [0.0, 2.0, 2.0, 5.0, 5.0, 7.0])
    np.testing.assert_array_equal(values, [3.0, 3.0, 2.0, 2.0, 1.0, 1.0])


def test_report_and_figures_show_the_remodelling(tmp_path: Path) -> None:
    model = tmp_path / "resolving_fibrosis.yaml"
    model.write_text(RESOLVING)
    overrides = [
        *CONFINED,
        "schedule.days=3",
        f"biology.models=[{model}]",
        "biology.initial_state=fibrotic",
        "biology.remodelling={every: 1 day}",
    ]
    result = run(load_config(CONFIG, overrides))
    updates = result.biology.remodelling
    assert updates is not None
    figures = write_figures(result, tmp_path / "figures")
    assert figures[-1].name == "remodelling.png" and figures[-1].stat().st_size > 10_000
    html = render_report(result, figures=figures)
    assert "remodelling.png" in html
    [line] = remodelling_lines(result)
    assert _escape(line) in html
    assert "re-solved 3 times" in line and "1 = healthy tissue" in line
    for layer, factor in updates.layer_factor.items():
        first, last = re.search(rf"{layer} ([0-9.]+) → ([0-9.]+)", line).groups()
        assert float(first) == pytest.approx(2.0**1.91, rel=1e-3)  # fibrotic start
        assert float(last) == pytest.approx(factor[-1], rel=1e-3) and float(last) < float(first)


def test_no_remodelling_no_figure_no_line(tmp_path: Path) -> None:
    result = run(load_config(CONFIG, [*CONFINED, "schedule.days=1"]))
    assert result.biology is not None and result.biology.remodelling is None
    assert remodelling_lines(result) == []
    with pytest.raises(ValueError, match="no remodelling"):
        plot_remodelling(result, tmp_path / "remodelling.png")
    assert "Remodelling:" not in render_report(result)
