"""Measure what a checkout of tissue_sim does with the bad-input corpus (one subprocess per case).

Usage (from the repository root)::

    python -m tests.reliability.measure [--tree DIR] [--timeout 20] [--json OUT] [--in-process]

``--tree`` is the checkout whose ``tissue_sim`` is run (default: this one), e.g. a
``git worktree`` of an older commit. Each case runs as ``python -m tissue_sim.cli ...``
with that tree first on ``PYTHONPATH``, at most ``--timeout`` seconds and 4 GiB of
address space, and is classified by :func:`tests.reliability._corpus.classify`. With
``--in-process`` the cases run through ``tissue_sim.cli.main`` in one interpreter (much
faster); a case stuck in C code ends that interpreter, is recorded as a hang, and a new
one continues after it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.reliability._corpus import OUTCOMES, Case, build_corpus, classify

_MEMORY = 4 << 30


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY, _MEMORY))


def run_case(case: Case, tree: Path, timeout: float) -> dict[str, object]:
    """Run one case in a subprocess; return its record."""
    env = dict(os.environ)
    env.update(dict(case.env))
    env["PYTHONPATH"] = str(tree)
    env["OPENBLAS_NUM_THREADS"] = "1"
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tissue_sim.cli", *case.argv],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            cwd=tree,
            env=env,
            preexec_fn=_limit,
            check=False,
        )
        code: int | None = done.returncode
        stderr = done.stderr
    except subprocess.TimeoutExpired:
        code, stderr = None, ""
    except ValueError:  # a NUL byte cannot be passed in a command line: in-process only
        return {"id": case.id, "category": case.category, "outcome": "skipped", "why": "argv"}
    elapsed = time.perf_counter() - start
    outcome, why = classify(case, code, stderr)
    return {
        "id": case.id,
        "category": case.category,
        "outcome": outcome,
        "why": why,
        "seconds": round(elapsed, 2),
    }


def _worker(tree: Path, cases_file: Path, start: int, log: Path, timeout: float) -> None:
    """In-process mode: run cases from ``start`` with ``tree``'s tissue_sim, one record a line.

    A case stuck in C code ends this process (faulthandler); the supervisor then records
    it as a hang and starts a new worker after it.
    """
    import pickle

    from tests.reliability._guard import run_cli

    cases: list[Case] = pickle.loads(cases_file.read_bytes())
    sys.path.insert(0, str(tree))  # tissue_sim from the tree measured
    os.chdir(tree)
    run_cli(("check", str(Path(__file__).resolve().parents[2] / "configs/static_compression.yaml")))
    with open(log, "a", encoding="utf-8") as out:  # (after a warm-up: imports, unit registry)
        for index in range(start, len(cases)):
            case = cases[index]
            out.write(json.dumps({"start": index}) + "\n")
            out.flush()
            outcome = run_cli(
                case.argv,
                env=dict(case.env),
                seconds=timeout,
                hard_seconds=timeout + 10,
                memory=_MEMORY,
            )
            verdict, why = classify(case, outcome.code, outcome.stderr)
            record = {
                "index": index,
                "id": case.id,
                "category": case.category,
                "outcome": verdict,
                "why": why[:300],
                "seconds": round(outcome.seconds, 2),
            }
            out.write(json.dumps(record) + "\n")
            out.flush()


def _in_process(
    tree: Path, cases: list[Case], timeout: float, log: Path
) -> list[dict[str, object]]:
    """Supervise in-process workers over the corpus; a worker that dies marks a hang."""
    import pickle

    cases_file = log.with_suffix(".cases")
    cases_file.write_bytes(pickle.dumps(cases))
    log.write_text("", encoding="utf-8")
    records: dict[int, dict[str, object]] = {}
    start = 0
    while start < len(cases):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.reliability.measure",
                "--worker",
                str(start),
                "--tree",
                str(tree),
                "--cases",
                str(cases_file),
                "--log",
                str(log),
                "--timeout",
                str(timeout),
            ],
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        last_started = start
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if "start" in entry:
                last_started = max(last_started, int(entry["start"]))
            else:
                records[int(entry["index"])] = entry
        if last_started not in records:  # the worker died in this case: C-level hang/crash
            case = cases[last_started]
            records[last_started] = {
                "index": last_started,
                "id": case.id,
                "category": case.category,
                "outcome": "hang",
                "why": "did not finish (process ended by the guard)",
            }
        start = max(records) + 1
    return [records[i] for i in sorted(records)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[2]))
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--in-process", action="store_true", help="one interpreter, not one per case"
    )
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cases", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    if args.worker is not None:
        _worker(tree, Path(args.cases), args.worker, Path(args.log), args.timeout)
        return
    if args.in_process:
        folder = tempfile.mkdtemp()
        cases = build_corpus(Path(folder))
        log = Path(args.json + ".log") if args.json else Path(folder) / "log.jsonl"
        records = _in_process(tree, cases, args.timeout, log)
        _print(records, tree, args.json)
        return
    log = open(args.json + ".log", "w", encoding="utf-8") if args.json else None  # noqa: SIM115

    def one(case: Case) -> dict[str, object]:
        record = run_case(case, tree, args.timeout)
        if log is not None:
            log.write(json.dumps(record) + "\n")
            log.flush()
        return record

    with tempfile.TemporaryDirectory() as folder:
        cases = build_corpus(Path(folder))
        with ThreadPoolExecutor(args.jobs) as pool:
            records = list(pool.map(one, cases))
    _print(records, tree, args.json)


def _print(records: list[dict[str, object]], tree: Path, json_path: str | None) -> None:
    counts = collections.Counter(str(r["outcome"]) for r in records)
    print(f"{len(records)} cases on {tree}")
    for outcome in (*OUTCOMES, "skipped"):
        print(f"  {outcome:<11} {counts.get(outcome, 0)}")
    by_category: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for record in records:
        by_category[str(record["category"])][str(record["outcome"])] += 1
    for category, outcome_counts in sorted(by_category.items()):
        print(
            f"  {category:<14} " + ", ".join(f"{k} {v}" for k, v in sorted(outcome_counts.items()))
        )
    if json_path:
        Path(json_path).write_text(json.dumps(records, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
