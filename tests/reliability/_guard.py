"""Run ``tissue_sim.cli.main`` in process under a time and memory guard.

* time: ``SIGALRM`` raises :class:`CaseTimeout` (a ``BaseException``, so that the CLI's
  own ``except Exception`` cannot swallow it) after ``seconds``; a case stuck inside C
  code (an exact integer power, say) cannot be interrupted that way, so
  :func:`faulthandler.dump_traceback_later` also ends the whole process after
  ``hard_seconds``, printing where it was: the test run fails loudly instead of hanging.
* memory: the address-space limit (``RLIMIT_AS``) is lowered to the current size plus
  ``memory`` bytes while the case runs, so that an allocation beyond it fails
  (``MemoryError``: the CLI reports it, and the case fails as a wrong exit code).
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import resource
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from unittest import mock

__all__ = ["CaseTimeout", "Outcome", "run_cli"]


class CaseTimeout(BaseException):
    """The case ran longer than its time guard."""


@dataclass(frozen=True)
class Outcome:
    """What one in-process CLI call did: exit code (``None``: timed out), output, time."""

    code: int | None
    stdout: str
    stderr: str
    seconds: float


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as stream:
        pages = int(stream.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def _memory_guard(extra: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def run_cli(
    argv: tuple[str, ...],
    *,
    env: Mapping[str, str] | None = None,
    seconds: float = 10.0,
    hard_seconds: float = 120.0,
    memory: int = 2 << 30,
) -> Outcome:
    """Call ``tissue_sim.cli.main(argv)`` under the guards and capture what it printed."""
    from tissue_sim.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    faulthandler.dump_traceback_later(hard_seconds, exit=True, file=sys.__stderr__)
    start = time.perf_counter()
    code: int | None
    try:
        with (
            mock.patch.dict(os.environ, dict(env or {})),
            _memory_guard(memory),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                code = main(list(argv))
            except SystemExit as exit_:  # argparse
                code = int(exit_.code) if isinstance(exit_.code, int) else 2
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except CaseTimeout:
        code = None
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)
    return Outcome(code, stdout.getvalue(), stderr.getvalue(), time.perf_counter() - start)
