"""Shared benchmark machinery: scale switch, fresh-process workers, peak memory, summary.

Any benchmark module can use it; nothing here knows about finite elements.

Fresh-process workers
---------------------
Peak memory of numpy/scipy code is only meaningful per process, so a measured case runs
in a fresh Python process (a *worker*). The parent test drives it with a tiny line
protocol so that pytest-benchmark times exactly the measured phase:

1. the parent starts ``python SCRIPT CASE PARAMS_JSON``; the worker prepares the case
   (builds meshes and other inputs, untimed) and answers ``ready``;
2. pytest-benchmark starts its clock and the parent sends ``go``; the worker resets the
   kernel's peak-RSS counter, runs the phase and answers ``done`` — the clock stops;
3. the worker runs the optional untimed checks (e.g. comparing results) and sends the
   result: its own timing of the phase, the peak RSS during the phase and before it,
   and whatever the case reports.

A worker script defines its cases as functions ``params -> Prepared`` and ends with
``if __name__ == "__main__": worker_main(CASES)``.

Peak memory is read from the kernel (``VmHWM`` in ``/proc/self/status``, reset through
``/proc/self/clear_refs`` before the phase): it is exact, unlike a sampling thread, which
needs the GIL and can miss short peaks. Where that is unavailable, a psutil sampling
thread is used instead.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

__all__ = [
    "GIB",
    "RECORD_FILE",
    "SCALE",
    "Prepared",
    "WorkerResult",
    "derived",
    "machine_summary",
    "measure_in_worker",
    "record",
    "recorded",
    "summary_lines",
    "worker_main",
]

GIB = 1024.0**3

#: ``TISSUE_SIM_BENCH_SCALE``: ``full`` (default) or ``small`` (smoke run, every case small).
SCALE = os.environ.get("TISSUE_SIM_BENCH_SCALE", "full").strip().lower() or "full"
if SCALE not in ("small", "full"):
    raise ValueError(f"TISSUE_SIM_BENCH_SCALE must be 'small' or 'full', got {SCALE!r}")


# --------------------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------------------
@dataclass
class Prepared:
    """A prepared case, returned by a worker case function.

    Attributes
    ----------
    run
        The measured phase; returns facts to report (JSON-serialisable).
    check
        Optional untimed work after the phase (verification); returns facts to report.
    info
        Facts known after preparation (sizes, …).
    """

    run: Callable[[], Mapping[str, Any]]
    check: Callable[[], Mapping[str, Any]] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


class PeakMemory:
    """Peak resident set size of this process over a phase [bytes]."""

    def __init__(self, interval: float = 0.005) -> None:
        self._interval = interval
        self._process = psutil.Process()
        self._kernel = _reset_kernel_peak()
        self._sampled = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not self._kernel:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self._sampled = max(self._sampled, self._process.memory_info().rss)

    def stop(self) -> int:
        """Stop measuring; the peak RSS since construction [bytes]."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        if self._kernel:
            return _kernel_peak()
        return max(self._sampled, self._process.memory_info().rss)


def _kernel_peak() -> int:
    """``VmHWM`` (peak RSS) of this process [bytes]."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("VmHWM not found")


def _reset_kernel_peak() -> bool:
    """Reset the kernel's peak-RSS counter; False where that is not supported."""
    try:
        _kernel_peak()
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _process_peak() -> int:
    """Peak RSS of this process so far [bytes] (before any reset)."""
    try:
        return _kernel_peak()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_main(cases: Mapping[str, Callable[[Mapping[str, Any]], Prepared]]) -> None:
    """Entry point of a worker script: run one case under the parent's protocol."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints of the code under test go to stderr, not the protocol

    def send(message: Mapping[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")

    try:
        name, params = sys.argv[1], json.loads(sys.argv[2])
        prepared = cases[name](params)
        prepare_peak = _process_peak()
        send({"event": "ready", "info": dict(prepared.info)})
        if sys.stdin.readline().strip() != "go":
            return
        baseline = psutil.Process().memory_info().rss
        memory = PeakMemory()
        cpu_start = time.process_time()
        start = time.perf_counter()
        facts = dict(prepared.run())
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        peak = memory.stop()
        send({"event": "done"})
        checks = dict(prepared.check()) if prepared.check is not None else {}
        send(
            {
                "event": "result",
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss": peak,
                "baseline_rss": baseline,
                "prepare_peak_rss": prepare_peak,
                "info": dict(prepared.info),
                "facts": facts,
                "checks": checks,
            }
        )
    except BaseException:
        send({"event": "error", "traceback": traceback.format_exc()})
        raise SystemExit(1) from None


# --------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------
@dataclass
class WorkerResult:
    """What a worker reported about its measured phase.

    Attributes
    ----------
    seconds
        The worker's own timing of the phase [s] (pytest-benchmark's includes a few
        milliseconds of pipe latency).
    peak_rss
        Peak RSS of the worker process during the phase [bytes].
    baseline_rss
        RSS when the phase started (inputs already built) [bytes].
    prepare_peak_rss
        Peak RSS while preparing the inputs [bytes].
    info, facts, checks
        What the case reported after preparing, after the phase, and from its checks.
    cpu_seconds
        CPU time (user + system, all threads) of the worker during the phase [s]: on a
        loaded machine it says what the code costs when the wall time does not.
    """

    seconds: float
    peak_rss: int
    baseline_rss: int
    prepare_peak_rss: int
    info: dict[str, Any]
    facts: dict[str, Any]
    checks: dict[str, Any]
    cpu_seconds: float = float("nan")

    @property
    def process_peak_rss(self) -> int:
        """Peak RSS over the worker's whole life (preparation and phase) [bytes]."""
        return max(self.peak_rss, self.prepare_peak_rss)


class _Worker:
    """A running worker process (parent side)."""

    def __init__(
        self, script: Path, case: str, params: Mapping[str, Any], python: str | None = None
    ) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(
            [python or sys.executable, str(script), case, json.dumps(dict(params))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        self.label = f"{script.name} {case} {dict(params)}"
        self._expect("ready")

    def _expect(self, event: str) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        message = json.loads(line) if line else {"event": "exit"}
        if message["event"] != event:
            self._stop()
            self._stderr.seek(0)
            log = self._stderr.read()[-4000:]
            self.close()
            raise RuntimeError(
                f"benchmark worker {self.label} failed (expected {event!r}):\n"
                f"{message.get('traceback', '')}\n--- worker stderr (tail) ---\n{log}"
            )
        return message

    def go(self) -> None:
        """Start the measured phase and wait until it is done (this is what is timed)."""
        assert self._process.stdin is not None
        self._process.stdin.write("go\n")
        self._process.stdin.flush()
        self._expect("done")

    def finish(self) -> WorkerResult:
        """Collect the result and wait for the worker to exit."""
        message = self._expect("result")
        self.close()
        return WorkerResult(
            seconds=message["seconds"],
            peak_rss=message["peak_rss"],
            baseline_rss=message["baseline_rss"],
            prepare_peak_rss=message["prepare_peak_rss"],
            info=message["info"],
            facts=message["facts"],
            checks=message["checks"],
            cpu_seconds=float(message.get("cpu_seconds", float("nan"))),
        )

    def _stop(self) -> None:
        """Let the worker exit (end of its input), killing it after 60 s (our own child)."""
        if self._process.poll() is None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def close(self) -> None:
        """Stop the worker if it still runs and release its log."""
        self._stop()
        self._stderr.close()


def measure_in_worker(
    benchmark: Any,
    script: Path,
    case: str,
    params: Mapping[str, Any],
    *,
    rounds: int = 1,
    python: str | None = None,
) -> WorkerResult:
    """Time a worker case with pytest-benchmark; one fresh process per round.

    ``python`` is the worker's interpreter (default: this one), e.g. the Python 3.12 of
    ``.venv-petsc`` for the DOLFINx peer.

    Each round's worker is prepared (untimed), then its phase is timed; a worker is
    finished before the next one starts, so two never compete for the cores. Returns
    the result of the fastest round, with the largest peak RSS over all rounds, and
    stores the main facts in ``benchmark.extra_info``.
    """
    workers: list[_Worker] = []
    results: list[WorkerResult] = []

    def setup() -> tuple[tuple[_Worker], dict[str, Any]]:
        if workers:
            results.append(workers.pop().finish())
        worker = _Worker(script, case, params, python)
        workers.append(worker)
        return (worker,), {}

    try:
        benchmark.pedantic(_Worker.go, setup=setup, rounds=rounds, iterations=1)
        results.append(workers.pop().finish())
    finally:
        for worker in workers:
            worker.close()
    best = min(results, key=lambda r: r.seconds)
    best.peak_rss = max(r.peak_rss for r in results)
    best.prepare_peak_rss = max(r.prepare_peak_rss for r in results)
    benchmark.extra_info.update(
        {
            "worker_seconds": best.seconds,
            "peak_rss_gib": best.peak_rss / GIB,
            "baseline_rss_gib": best.baseline_rss / GIB,
            "process_peak_rss_gib": best.process_peak_rss / GIB,
            **best.info,
            **{k: v for k, v in best.facts.items() if _is_scalar(v)},
            **{k: v for k, v in best.checks.items() if _is_scalar(v)},
        }
    )
    return best


def _is_scalar(value: Any) -> bool:
    return isinstance(value, int | float | str | bool)


# --------------------------------------------------------------------------------------
# end-of-run summary (printed by conftest.py)
# --------------------------------------------------------------------------------------
_RECORDED: dict[str, dict[str, dict[str, Any]]] = {}
_DERIVED: list[Callable[[dict[str, dict[str, dict[str, Any]]]], list[str]]] = []


#: Every recorded row is also appended here at once (JSON lines), so that the numbers of a
#: long run survive an interruption; ``TISSUE_SIM_BENCH_RECORD`` overrides the path.
RECORD_FILE = Path(
    os.environ.get(
        "TISSUE_SIM_BENCH_RECORD",
        Path(__file__).resolve().parent.parent / ".benchmarks" / "tissue_sim_records.jsonl",
    )
)


def record(section: str, name: str, **values: Any) -> None:
    """Keep one row of numbers for the end-of-run summary (``section`` → rows).

    The row is also appended to :data:`RECORD_FILE` with the time, scale and load.
    """
    _RECORDED.setdefault(section, {})[name] = values
    entry = {
        "time": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "scale": SCALE,
        "load_average": os.getloadavg(),
        "section": section,
        "case": name,
        "values": values,
    }
    try:
        RECORD_FILE.parent.mkdir(parents=True, exist_ok=True)
        with RECORD_FILE.open("a") as stream:
            stream.write(json.dumps(entry, default=str, ensure_ascii=False) + "\n")
    except OSError:
        pass


def recorded() -> dict[str, dict[str, dict[str, Any]]]:
    """Everything recorded so far: section → row name → values."""
    return _RECORDED


def derived(
    function: Callable[[dict[str, dict[str, dict[str, Any]]]], list[str]],
) -> Callable[[dict[str, dict[str, dict[str, Any]]]], list[str]]:
    """Register a function that turns recorded rows into summary lines (ratios, targets).

    It is called once at the end with :func:`recorded`; it returns no lines when the
    rows it needs were not measured in this run.
    """
    _DERIVED.append(function)
    return function


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def summary_lines() -> list[str]:
    """The end-of-run summary: one table per section, then the derived lines."""
    lines: list[str] = []
    for section, rows in _RECORDED.items():
        columns: list[str] = []
        for values in rows.values():
            columns.extend(c for c in values if c not in columns)
        lines.append(f"## {section}")
        lines.append("| case | " + " | ".join(columns) + " |")
        lines.append("|---" * (len(columns) + 1) + "|")
        for name, values in rows.items():
            cells = [_format(values.get(c, "")) for c in columns]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    for function in _DERIVED:
        lines.extend(function(_RECORDED))
    return lines


def machine_summary() -> str:
    """One line: date, CPU model, cores, memory, load average, scale."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = psutil.virtual_memory()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {model}; {os.cpu_count()} cores; "
        f"{memory.total / GIB:.1f} GiB RAM ({memory.available / GIB:.1f} available); "
        f"load average {load}; OPENBLAS_NUM_THREADS={blas}; "
        f"TISSUE_SIM_BENCH_SCALE={SCALE}"
    )
