"""Every case of the bad-input corpus exits 2 with one clear line (docs/reliability.md).

The corpus (:mod:`tests.reliability._corpus`, 700+ cases made with a fixed seed from the
shipped configs, sweeps and model files) runs in process through
``tissue_sim.cli.main`` under a time and memory guard (:mod:`tests.reliability._guard`);
a few cases also run as real subprocesses. One line per case: the expected exit code,
exactly one line on stderr naming the file and the key path (or line), no traceback.
"""

from __future__ import annotations

import collections
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability._corpus import ROOT, Case, build_corpus, classify
from tests.reliability._guard import run_cli


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def test_corpus_is_large_reproducible_and_covers_every_category(
    corpus: list[Case], tmp_path: Path
) -> None:
    again = build_corpus(tmp_path / "again")
    assert [case.id for case in again] == [case.id for case in corpus]
    assert len(corpus) >= 300
    categories = collections.Counter(case.category for case in corpus)
    for category in (
        "unknown-key",
        "wrong-type",
        "wrong-unit",
        "unit-only",
        "missing-key",
        "duplicate-key",
        "encoding",
        "nesting",
        "alias",
        "yaml-type",
        "override",
        "expression",
        "model-file",
        "tissue-preset",
        "size",
        "path",
        "cli",
    ):
        assert categories[category] >= 3, category


def test_every_bad_input_exits_2_with_one_clear_line(corpus: list[Case]) -> None:
    warm_up = run_cli(("check", str(ROOT / "configs" / "static_compression.yaml")), seconds=120)
    assert warm_up.code == 0, warm_up.stderr  # imports and the unit registry, once
    failures = []
    slowest = 0.0
    start = time.perf_counter()
    for case in corpus:
        outcome = run_cli(case.argv, env=dict(case.env), seconds=10.0)
        verdict, why = classify(case, outcome.code, outcome.stderr)
        slowest = max(slowest, outcome.seconds)
        if verdict != "ok":
            failures.append(f"{case.id} [{case.category}] {verdict}: {why}")
    elapsed = time.perf_counter() - start
    print(f"{len(corpus)} cases in {elapsed:.1f} s (slowest {slowest:.2f} s)")
    assert not failures, f"{len(failures)} of {len(corpus)} cases:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "case_id",
    [
        "check-dev-zero",
        "alias-bomb-unknown-key",
        "dup-pressure-5-then-500",
        "set-double-equals",
        "nesting-list-1500",
    ],
)
def test_real_subprocesses_exit_2_with_one_line(corpus: list[Case], case_id: str) -> None:
    case = next(case for case in corpus if case.id == case_id)
    done = subprocess.run(
        [sys.executable, "-m", "tissue_sim.cli", *case.argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    verdict, why = classify(case, done.returncode, done.stderr)
    assert verdict == "ok", why
