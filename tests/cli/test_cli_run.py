"""The command line: exit codes 0/1/2, no tracebacks for user mistakes, atomic results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

CONFIG = "configs/static_compression.yaml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tissue_sim.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    done = _cli(
        "run",
        CONFIG,
        "-o",
        str(out),
        "--set",
        "mesh.size=coarse",
        "--no-figures",
        "--no-report",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_the_result_contract(run_dir: Path) -> None:
    with h5py.File(run_dir / "result.h5") as f:
        for name in (
            "config",
            "config_hash",
            "tissue_sim_version",
            "numpy_version",
            "scipy_version",
            "basix_version",
        ):
            assert f.attrs[name]
        n = f["mesh/points"].shape[0]
        m = f["mesh/cells"].shape[0]
        assert f["mesh/cell_layer"].shape == (m,)
        layer_names = [s.decode() for s in f["mesh"].attrs["layer_names"]]
        assert layer_names[:3] == ["skin", "adipose", "fascia"] and layer_names[-1] == "muscle"
        frames = f["mechanics/displacement"].shape[0]
        assert f["mechanics/displacement"].shape == (frames, n, 3)
        assert f["mechanics/cell_strain"].shape == (frames, m, 3, 3)
        assert f["mechanics/cell_stress"].shape == (frames, m, 3, 3)
        stats = f["mechanics/layer_stats/fascia/von_mises_stress"]
        assert stats.shape == (frames, 5)
        datasets: list[h5py.Dataset] = []
        f.visititems(
            lambda _, item: datasets.append(item) if isinstance(item, h5py.Dataset) else None
        )
        assert all("units" in d.attrs for d in datasets)
        # treated ÷ untreated is NaN where the untreated value is 0 (documented)
        finite = [d for d in datasets if not d.name.startswith("/biology/effect/ratio/")]
        assert all(np.all(np.isfinite(d[()])) for d in finite if d.dtype.kind == "f")
    assert (run_dir / "result.xdmf").exists()
    assert not list(run_dir.glob(".*tmp*"))


def test_check_accepts_a_good_config() -> None:
    done = _cli("check", CONFIG)
    assert done.returncode == 0
    assert "ok" in done.stdout


def test_a_warning_of_the_run_is_one_plain_line() -> None:
    """static_compression opts in to diffusion on cells far larger than the cytokines'
    range: the DiffusionResolutionWarning is one ``tissue-sim: warning:`` line on stderr,
    not Python's ``file:line: Category: ...`` plus the source line."""
    done = _cli("check", CONFIG)
    assert done.returncode == 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tissue-sim: warning: biology.diffusion:")
    assert "not resolved" in lines[0] and "DiffusionResolutionWarning" not in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("check", CONFIG, "--set", "loading.pressure=2 mm"),
        ("check", "configs/does_not_exist.yaml"),
        ("run", CONFIG, "--set", "tissue.layers.skin.poisson_ratio=0.6"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(args: tuple[str, ...]) -> None:
    done = _cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tissue-sim: error:")


def test_failed_run_exits_1_and_keeps_the_earlier_result(run_dir: Path) -> None:
    before = (run_dir / "result.h5").read_bytes()
    done = _cli(
        "run",
        CONFIG,
        "-o",
        str(run_dir),
        "--set",
        "mesh.size=coarse",
        "--set",
        "mechanics.solver=amg",
        "--set",
        "mechanics.max_iterations=2",
        "--quiet",
        "--no-figures",
        "--no-report",
    )
    assert done.returncode == 1
    assert "run failed" in done.stderr and "did not converge" in done.stderr
    assert "Traceback" not in done.stderr
    assert (run_dir / "result.h5").read_bytes() == before
    assert not list(run_dir.glob(".*tmp*"))
