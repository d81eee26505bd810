"""The HTML report: its contents, self-containedness, and that a real browser shows it."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tissue_sim.io import RunResult
from tissue_sim.viz import key_numbers, write_report
from tissue_sim.viz.effect import SpeciesEffect, effect_sentences, treatment_effects
from tissue_sim.viz.report import _ratio

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


@pytest.fixture(scope="module")
def report(
    baseline_result: RunResult,
    baseline_figures: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    return write_report(
        baseline_result, tmp_path_factory.mktemp("report") / "report.html", figures=baseline_figures
    )


def test_report_holds_scenario_numbers_sources_and_provenance(
    report: Path, baseline_result: RunResult, baseline_figures: list[Path]
) -> None:
    text = html.unescape(report.read_text(encoding="utf-8"))
    # the scenario in plain words
    for words in (
        "effleurage at 5 kPa mean pressure",
        "skin 3 mm",
        "adipose 15 mm",
        "fascia 1.4 mm",
        "muscle 30 mm",
        "1 session(s) of 15 min per day every day, over a course of 2 day(s)",
        "gliding at 6 cm/s",
    ):
        assert words in text, words
    # key numbers per layer, as computed
    for item in key_numbers(baseline_result):
        assert f"<td>{item.layer}</td>" in text
        assert f"{item.strain_p90 * 100:.3g}" in text
    # it leads with the treatment effect: treated against untreated, every number shown
    first = text.index("What the massage did: treated against untreated")
    assert first < text.index("The scenario in plain words") < text.index("Pictures")
    for item in treatment_effects(baseline_result):
        assert f"{_ratio(item.ratio)} ({item.difference:+.3g})" in text
        assert f"{item.untreated:.4g}" in text
    assert "from the start" not in text  # no number against the start of the course
    # parameters with their sources, tissue and biology
    for key, source in baseline_result.sources.items():
        assert key in text and source in text
    biology = baseline_result.biology
    assert biology is not None
    for name, (value, _unit, source) in biology.parameters.items():
        assert name in text and source in text and f"{value:.4g}" in text, name
    # provenance
    assert baseline_result.config_hash in text
    assert "version of numpy" in text
    # every picture embedded as a data URI; nothing fetched from elsewhere
    sources = re.findall(r'<img src="([^"]+)"', text)
    assert len(sources) == len(baseline_figures)
    for uri, path in zip(sources, baseline_figures, strict=True):
        assert uri.startswith("data:image/png;base64,")
        assert base64.b64decode(uri.split(",", 1)[1]) == path.read_bytes()
    assert not re.search(r'(src|href)="(https?:|file:|/)', text)


def test_report_is_written_atomically(
    baseline_result: RunResult, baseline_figures: list[Path], tmp_path: Path
) -> None:
    target = tmp_path / "nested" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    with pytest.raises(TypeError):  # fails while building the page: old file untouched
        write_report(baseline_result, target, figures=[object()])  # type: ignore[list-item]
    assert target.read_text() == "old"
    write_report(baseline_result, target, figures=baseline_figures[:1])
    assert "<!DOCTYPE html>" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def _browser() -> str | None:
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _chromium(browser: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [browser, *_HEADLESS, f"--user-data-dir={profile}", *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def test_report_opens_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    """Chromium loads the page and decodes and draws every embedded picture.

    Two checks: (1) a copy of the page with a one-line script that counts the images
    the browser decoded (``--dump-dom`` prints the DOM after the load event); (2) a
    screenshot of the page itself: its text is drawn (dark pixels at the top) and the
    pictures are (the page's own styling is grey-scale, so strongly coloured pixels can
    only come from the decoded figures), in every part of the page that holds a figure.
    """
    browser = _browser()
    if browser is None:
        pytest.skip(
            "headless Chromium not found: install Debian's `chromium` package "
            "(apt-get install -y chromium) to check the report in a real browser"
        )
    page = report.read_text(encoding="utf-8")
    count = page.count("<img ")
    probe = tmp_path / "probe.html"
    probe.write_text(
        page.replace(
            "</body>",
            "<script>window.addEventListener('load', () => {"
            "const all = Array.from(document.images);"
            "const ok = all.filter(i => i.complete && i.naturalWidth > 0);"
            "document.body.setAttribute('data-images', ok.length + '/' + all.length);"
            "});</script></body>",
        ),
        encoding="utf-8",
    )
    dumped = _chromium(browser, "--dump-dom", probe.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert f'data-images="{count}/{count}"' in dumped.stdout
    assert "<title>tissue_sim report: baseline</title>" in dumped.stdout

    shot = tmp_path / "report.png"
    done = _chromium(browser, f"--screenshot={shot}", "--window-size=1200,9000", report.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as picture:
        pixels = np.asarray(picture.convert("RGB"), dtype=float)
    assert pixels.shape[:2] == (9000, 1200)
    heading = pixels[:200]
    assert np.mean(heading.max(axis=2) < 80) > 0.002, "no text drawn at the top of the page"
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    coloured_rows = np.flatnonzero(np.mean(saturation > 60, axis=1) > 0.02)
    assert coloured_rows.size > 1000, "the pictures were not drawn"
    # the coloured rows form at least one block per picture on the page
    blocks = 1 + int(np.sum(np.diff(coloured_rows) > 60))
    assert blocks >= min(count, 4)


def _effect(layer: str, species: str, ratio: float) -> SpeciesEffect:
    return SpeciesEffect(
        layer, species, species, "1", 14.0, ratio, 1.0, ratio - 1, ratio, ratio, 3.0
    )


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ([("skin", 0.9), ("adipose", 1.3), ("fascia", 0.7)], "lowered most: il6 in the fascia"),
        ([("skin", 0.9), ("adipose", 1.3), ("fascia", 0.7)], "raised most: il6 in the adipose"),
        ([("skin", 1.0002), ("fascia", 0.9999)], "stays within 0.1 % of its untreated"),
    ],
)
def test_effect_sentences_say_which_way(ratios: list[tuple[str, float]], expected: str) -> None:
    effects = [_effect(layer, "il6", ratio) for layer, ratio in ratios]
    assert expected in " ".join(effect_sentences(effects))


def test_a_result_without_control_says_so(baseline_result: RunResult) -> None:
    import dataclasses

    from tissue_sim.viz.report import render_report

    assert baseline_result.biology is not None
    old = dataclasses.replace(
        baseline_result, biology=dataclasses.replace(baseline_result.biology, control=None)
    )
    text = html.unescape(render_report(old))
    assert "has no untreated control" in text
    assert "treated ÷ untreated" not in text


def test_ratios_show_small_effects() -> None:
    assert _ratio(1.0021) == "×1.002" and _ratio(0.9345) == "×0.934"
    assert _ratio(250.0) == "×250" and _ratio(None) == "n/a"
