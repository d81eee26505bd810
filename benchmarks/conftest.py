"""Shared pytest set-up of the benchmarks: machine line in the header, summary at the end.

Benchmarks record their numbers with ``_support.record(section, case, **values)`` and may
register ratio/target lines with ``_support.derived``; the summary is printed after the
pytest-benchmark tables (``make bench`` runs with ``-s``, so it is also in the log).
"""

from __future__ import annotations

from typing import Any

from _support import SCALE, machine_summary, summary_lines


def pytest_report_header(config: Any) -> list[str]:
    """Machine, load and scale of this run."""
    return [f"tissue_sim benchmarks: {machine_summary()}"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """Print the recorded numbers as Markdown tables (ready for benchmarks/README.md)."""
    lines = summary_lines()
    if not lines:
        return
    terminalreporter.section(f"tissue_sim benchmark summary (scale: {SCALE})")
    terminalreporter.write_line(f"machine: {machine_summary()}")
    terminalreporter.write_line("")
    for line in lines:
        terminalreporter.write_line(line)
