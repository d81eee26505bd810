"""``prepare()`` checks the initial-state preset on the model files as read, before the
cell model is composed and compiled: a misspelt preset fails at once, and is the error
reported even when compiling would fail too (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tissue_sim.config import load_config
from tissue_sim.errors import InputError
from tissue_sim.pipeline import prepare

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "static_compression.yaml"
#: An override the composed model rejects (checked while the model is built).
BAD_PARAMETER = "biology.parameters.tgfb1_fibrosis.K_nope=1"


def _error(overrides: list[str]) -> InputError:
    with pytest.raises(InputError) as caught:
        prepare(load_config(CONFIG, overrides))
    return caught.value


def test_a_bad_preset_is_reported_before_the_model_is_compiled() -> None:
    alone = _error([BAD_PARAMETER])
    assert alone.key == "biology.parameters.tgfb1_fibrosis.K_nope", alone
    both = _error(["biology.initial_state=chronic", BAD_PARAMETER])
    assert both.key == "biology.initial_state", both
    assert both.file == str(CONFIG)
    assert "no initial-state preset 'chronic'" in both.message
    assert "chronic_overuse" in both.message  # the available presets are listed


def test_a_known_preset_passes_and_the_model_is_compiled() -> None:
    prepared = prepare(load_config(CONFIG, ["biology.initial_state=chronic_overuse"]))
    assert prepared.cell_model is not None
    assert "tgfb1_active" in prepared.cell_model.species_names
