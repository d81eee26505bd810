"""``tissue-sim check`` validates the names in ``biology.remodelling``: a layer the tissue
does not have, or a collagen / myofibroblast species the cell models do not have, exits 2
with one line naming the file, the key path and the names available (RULES: bad input)."""

from __future__ import annotations

import pytest

from tissue_sim import load_config
from tissue_sim.cli import main
from tissue_sim.errors import InputError
from tissue_sim.pipeline import prepare

CONFIG = "configs/static_compression.yaml"
LINEAR = ["--set", "mechanics.model=linear"]


@pytest.mark.parametrize(
    ("remodelling", "key", "message"),
    [
        ("{layers: [fasia]}", "biology.remodelling.layers", "no layer 'fasia'; layers: skin"),
        ("{collagen: colagen}", "biology.remodelling.collagen", "no species 'colagen'"),
        (
            "{myofibroblast: myofib}",
            "biology.remodelling.myofibroblast",
            "no species 'myofib'",
        ),
    ],
)
def test_bad_names_exit_2_at_check(
    remodelling: str, key: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = load_config(CONFIG, ["mechanics.model=linear", f"biology.remodelling={remodelling}"])
    with pytest.raises(InputError, match=message) as info:
        prepare(scenario)
    assert info.value.key == key and info.value.file == CONFIG
    assert main(["check", CONFIG, *LINEAR, "--set", f"biology.remodelling={remodelling}"]) == 2
    err = capsys.readouterr().err
    assert f"{CONFIG}: {key}:" in err and message in err


def test_good_names_pass_check(capsys: pytest.CaptureFixture[str]) -> None:
    remodelling = "biology.remodelling={layers: [fascia, muscle]}"
    assert main(["check", CONFIG, *LINEAR, "--set", remodelling]) == 0
    assert "ok" in capsys.readouterr().out
