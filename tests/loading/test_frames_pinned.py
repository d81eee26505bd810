"""Every shipped scenario's load frames are bit-identical to the pinned ones.

``frames_pinned.json`` holds, per scenario file and technique step, SHA-256 digests of the
frames, times, basis, load curves, footprint, frame counts, smallest load feature and the
skin traction on a grid (see ``_frames_fingerprint.py``); it was written before the
techniques were split by family (issue 13) and pins that the split changed no number.

When a scenario's ``loading`` section changes on purpose, re-pin it::

    .venv/bin/python tests/loading/_frames_fingerprint.py > tests/loading/frames_pinned.json
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _frames_fingerprint import REPOSITORY, fingerprint, shipped_scenarios

PINNED = json.loads((Path(__file__).with_name("frames_pinned.json")).read_text(encoding="utf-8"))
#: The technique's parameter digest is left out: a new parameter with a default changes it
#: without changing a frame.
NOT_PINNED = {"technique"}


def _name(path: Path) -> str:
    return path.relative_to(REPOSITORY).as_posix()


def test_every_shipped_scenario_is_pinned() -> None:
    assert sorted(_name(path) for path in shipped_scenarios()) == sorted(PINNED)


@pytest.mark.parametrize("path", shipped_scenarios(), ids=_name)
def test_frames_are_bit_identical_to_the_pinned_ones(path: Path) -> None:
    pinned = PINNED[_name(path)]
    now = fingerprint(path)
    assert sorted(now) == sorted(pinned), "the technique steps differ"
    changed = [
        f"{step}: {part}"
        for step, parts in pinned.items()
        for part, digest in parts.items()
        if part not in NOT_PINNED and now[step][part] != digest
    ]
    assert not changed, f"{_name(path)} changed: {', '.join(changed)} (see the module docstring)"
