"""`tissue-sim explore` refuses bad options with one line and exit code 2, before any
computation or server start."""

from __future__ import annotations

import pytest

from tissue_sim.cli import main


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--preset", "knee"], "no preset 'knee'; choose one of lumbar, thigh_lateral, forearm"),
        (["--technique", "tapping"], "no technique 'tapping'"),
        (["--pressures", "5,x"], "--pressures: expected comma-separated numbers"),
        (["--pressures", "0,5"], "--pressures: expected positive numbers"),
        (["--ratios=-0.1,0.2"], "--ratios: expected non-negative numbers"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["explore", "--no-browser", "--no-cache", *arguments])
    error = capsys.readouterr().err
    assert code == 2
    assert expected in error
    assert error.count("\n") == 1
