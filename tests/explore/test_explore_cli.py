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
        (["--port", "70000"], "--port: expected a port between 1 and 65535"),
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


def test_a_taken_port_is_refused_before_any_computation(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("localhost", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["explore", "--no-browser", "--no-cache", "--port", str(port)])
    assert code == 2
    assert f"port {port} is in use" in capsys.readouterr().err
