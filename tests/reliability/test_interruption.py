"""A kill at any moment leaves the old complete run folder or the new one (io/publish).

Real subprocesses are killed with SIGKILL at the named points of the documented test
hook ``TISSUE_SIM_TEST_KILL_AT`` (tissue_sim/io/publish.py): after result.h5, after the
XDMF files, after the figures, just before the swap, between the swap and the removal of
the old set, and after publishing. Each time the target folder must pass ``verify`` and
hold either the old run (before the swap) or the new one (after it), and the next run
must leave no staging folder behind.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import h5py
import pytest

from tests.reliability._runs import cli_run
from tissue_sim.io.publish import KILL_POINTS, MARKER_NAME, recover, remove_stale
from tissue_sim.io.verify import verify_directory

NEW = ("--set", "loading.techniques[0].pressure=7 kPa")


def _config_hash(folder: Path) -> str:
    with h5py.File(folder / "result.h5") as f:
        return str(f.attrs["config_hash"])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_at_every_point_leaves_the_old_or_the_new_complete_set(
    run_copy: Path, finished_run: Path, point: str
) -> None:
    old = _config_hash(run_copy)
    done = cli_run(run_copy, *NEW, env={"TISSUE_SIM_TEST_KILL_AT": point})
    assert done.returncode == -signal.SIGKILL, done.stderr
    report = verify_directory(run_copy)
    assert report.ok, report.problems
    swapped = point in ("after-exchange", "after-publish")
    assert (_config_hash(run_copy) != old) == swapped
    # what the killed run left beside the folder is removed by the next run's clean-up
    remove_stale(run_copy)
    assert _leftovers(run_copy) == []
    assert verify_directory(run_copy).ok


def test_the_next_run_cleans_up_after_a_killed_one(run_copy: Path) -> None:
    old = _config_hash(run_copy)
    done = cli_run(run_copy, *NEW, env={"TISSUE_SIM_TEST_KILL_AT": "after-exchange"})
    assert done.returncode == -signal.SIGKILL
    assert _leftovers(run_copy), "the killed run left the old set in its staging folder"
    again = cli_run(run_copy, *NEW)
    assert again.returncode == 0, again.stderr
    assert _leftovers(run_copy) == []
    assert verify_directory(run_copy).ok and _config_hash(run_copy) != old


def test_a_killed_first_run_leaves_no_folder_that_looks_finished(tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    done = cli_run(target, env={"TISSUE_SIM_TEST_KILL_AT": "after-xdmf"})
    assert done.returncode == -signal.SIGKILL
    assert not target.exists()
    assert len(_leftovers(target)) == 1  # the staging folder, removed by the next run
    assert remove_stale(target) and _leftovers(target) == []


def test_recover_puts_back_the_old_set_after_a_kill_between_fallback_renames(
    run_copy: Path, tmp_path: Path
) -> None:
    """Without an atomic exchange the old folder is renamed aside first; a kill then
    leaves ``.<name>.old-<pid>-*``, which the next run renames back."""
    dead_pid = 2**22 + 12345  # above the default pid_max: no such process
    aside = run_copy.with_name(f".{run_copy.name}.old-{dead_pid}-x")
    os.rename(run_copy, aside)
    assert recover(run_copy)
    assert verify_directory(run_copy).ok and not aside.exists()


def test_a_folder_with_other_files_is_refused_before_computing(tmp_path: Path) -> None:
    target = tmp_path / "desktop"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    done = cli_run(target)
    assert done.returncode == 2
    assert "not a run's" in done.stderr and "notes.txt" in done.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_a_planted_symlink_cannot_redirect_the_write(run_copy: Path, tmp_path: Path) -> None:
    """The staging folder's name is random (mkdtemp); the old predictable temporary name
    of result.h5 (``.result.h5.tmp-<pid>``, planted here with the pid of the very process
    that writes) no longer matters: a symlink planted there is never followed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    old = _config_hash(run_copy)

    def plant() -> None:
        for name in (f".result.h5.tmp-{os.getpid()}", f".result.xdmf.tmp-{os.getpid()}"):
            (run_copy / name).symlink_to(victim)

    done = cli_run(run_copy, *NEW, in_child=plant)
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "untouched"
    assert verify_directory(run_copy).ok and _config_hash(run_copy) != old  # the new run


def test_published_folder_lists_its_files(finished_run: Path) -> None:
    marker = (finished_run / MARKER_NAME).read_text()
    assert "result.h5" in marker and "result.xdmf" in marker
