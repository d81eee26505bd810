"""`tissue-sim explore` in a real browser: the server in a subprocess on a free localhost
port, headless Debian Chromium driven by Playwright.

The page must state how its strain was obtained, and a change of a control (the pressure
slider, moved with the keyboard as a person would) must change both pictures: the strain
section (server-side pyvista render streamed by trame) and the effect plot. The finite-
strain grid is reduced to two pressures and one shear ratio so that the test stays near a
minute (the default grid is five pressures × three ratios).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("trame", reason="the explore extra (trame) is not installed")
pytest.importorskip("trame_pyvista", reason="the explore extra (trame-pyvista) is not installed")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the explore extra (playwright) is not installed"
)

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
if CHROMIUM is None:
    pytest.skip(
        "Debian chromium is not installed (make install-test installs it)", allow_module_level=True
    )

#: Launch flags that work on this machine (no sandbox as root, no GPU, no network noise).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 300.0  # s: the grid is built before the server listens
ANSWER_TIMEOUT = 120_000  # ms


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The explorer serving on a free port; yields its URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("explore") / "server.log"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", VTK_DEFAULT_OPENGL_WINDOW="vtkEGLRenderWindow")
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tissue_sim.cli",
                "explore",
                "--port",
                str(port),
                "--no-browser",
                "--no-cache",
                "--pressures",
                "5,10",
                "--ratios",
                "0",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://localhost:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the explorer exited ({process.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the explorer did not start in time:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _picture(page: object, selector: str) -> np.ndarray:
    """The element's pixels ``(h, w, 3)`` from a screenshot of it."""
    from io import BytesIO

    from PIL import Image

    data = page.locator(selector).screenshot()  # type: ignore[attr-defined]
    return np.asarray(Image.open(BytesIO(data)).convert("RGB"), dtype=np.int16)


def _changed_fraction(before: np.ndarray, after: np.ndarray) -> float:
    """Share of pixels whose colour changed by more than 24 levels in some channel."""
    assert before.shape == after.shape
    return float(np.mean(np.abs(after - before).max(axis=-1) > 24))


def _settled_count(page: object, previous: int) -> int:
    """Wait until the page has shown an answer after ``previous`` and is idle again."""
    page.wait_for_function(  # type: ignore[attr-defined]
        f"Number(document.querySelector('#answer-count').textContent) > {previous}",
        timeout=ANSWER_TIMEOUT,
    )
    page.wait_for_function(  # type: ignore[attr-defined]
        "!document.querySelector('#status').textContent.includes('computing')",
        timeout=ANSWER_TIMEOUT,
    )
    page.wait_for_timeout(2500)  # the remote view streams its new render
    return int(page.inner_text("#answer-count"))  # type: ignore[attr-defined]


def test_page_states_the_method_and_answers_a_pressure_change(server: str) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 1300})
            page.goto(server)
            page.wait_for_selector("#effect-plot[src^='data:image/png']", timeout=ANSWER_TIMEOUT)
            count = _settled_count(page, 0)
            method = page.inner_text("#method")
            assert "precomputed finite-strain grid at 5, 10 kPa" in method
            assert "biology integrated live" in method
            assert "pressure [kPa]: 10" in page.inner_text("#control-pressure_kpa")
            table = page.inner_text("#effect-table")
            assert "adipose" in table and "×" in table  # effects against the control
            strain_before = _picture(page, "#strain-view")
            effect_before = _picture(page, "#effect-plot")
            # the strain view shows a picture, not an empty canvas
            assert strain_before.std() > 10.0

            # move the pressure slider from 10 to 5 kPa with the keyboard (step 0.5 kPa)
            page.locator("#control-pressure_kpa [role='slider']").focus()
            for _ in range(10):
                page.keyboard.press("ArrowLeft")
            page.wait_for_function(
                "document.querySelector('#control-pressure_kpa').textContent.includes(': 5')",
                timeout=10_000,
            )
            # the answers to the intermediate values are coalesced; wait for the last one
            page.wait_for_function(
                "document.querySelector('#strain-title').textContent.includes(', 5 kPa')"
                " && document.querySelector('#status').textContent.startsWith('answered')",
                timeout=ANSWER_TIMEOUT,
            )
            page.wait_for_timeout(2500)  # the remote view streams its new render
            assert int(page.inner_text("#answer-count")) > count
            strain_after = _picture(page, "#strain-view")
            effect_after = _picture(page, "#effect-plot")
            assert _changed_fraction(strain_before, strain_after) > 0.01
            # the curves changed, not only the title: compare below the title band
            band = effect_before.shape[0] // 8
            assert _changed_fraction(effect_before[band:], effect_after[band:]) > 0.002
            assert "precomputed finite-strain grid" in page.inner_text("#method")
        finally:
            browser.close()
