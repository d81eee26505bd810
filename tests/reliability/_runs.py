"""Small real runs of the command line in a child process (shared by the reliability tests).

The child is *forked* from the test process rather than started as a new interpreter: it
is a real process (``tissue-sim run`` as ``tissue_sim.cli.main``, killed by a real SIGKILL
at the kill points of ``TISSUE_SIM_TEST_KILL_AT``), but it does not import the package
again, which was most of the cost of each case (~4 s of ~7 s at load ~9). The scenario
writes no figures (so no renderer state is inherited) and runs on a 4 × 4 cm block
(:data:`SMALL`; 784 cells): these tests are about files and processes, not mechanics.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: A fast scenario (mechanics only, coarse mesh, no figures).
FAST = str(ROOT / "configs" / "demos" / "pressure_and_shear.yaml")
#: Overrides of every run: a small block (0.7 s instead of 3.8 s per run at load ~9).
SMALL = ("--set", "tissue.size=[4 cm, 4 cm]")


def cli_run(
    out: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    config: str = FAST,
    in_child: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``tissue-sim run CONFIG -o OUT -q --set tissue.size=… EXTRA…`` in a forked child.

    ``in_child`` runs in the child just before the command (e.g. to plant files named
    after the child's process id).

    Returns
    -------
    subprocess.CompletedProcess
        ``returncode`` as :mod:`subprocess` gives it (the exit code, or ``-signal`` when
        the child was killed), and what the child wrote to stderr.
    """
    argv = ["run", config, "-o", str(out), "-q", *SMALL, *extra]
    with tempfile.TemporaryFile() as stderr:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the test session
            code = 70
            try:
                os.dup2(stderr.fileno(), 2)
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - flushed below
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                os.environ.update(env or {})
                os.chdir(ROOT)
                if in_child is not None:
                    in_child()
                from tissue_sim.cli import main

                code = main(argv)
            except SystemExit as exit_:  # argparse
                code = exit_.code if isinstance(exit_.code, int) else 2
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
    return subprocess.CompletedProcess(
        ["tissue-sim", *argv], os.waitstatus_to_exitcode(status), "", text
    )
