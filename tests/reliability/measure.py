"""Measure what a checkout of tissue_sim does with the bad-input corpus (one subprocess per case).

Usage (from the repository root)::

    python -m tests.reliability.measure [--tree DIR] [--timeout 20] [--json OUT]

``--tree`` is the checkout whose ``tissue_sim`` is run (default: this one), e.g. a
``git worktree`` of an older commit. Each case runs as ``python -m tissue_sim.cli ...``
with that tree first on ``PYTHONPATH``, at most ``--timeout`` seconds and 4 GiB of
address space, and is classified by :func:`tests.reliability._corpus.classify`.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[2]))
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
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
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
