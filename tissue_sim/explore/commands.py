"""``tissue-sim explore``: start the explorer's page (the CLI handler)."""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from pathlib import Path

from tissue_sim.errors import InputError

__all__ = ["default_cache_dir", "explore_command", "parse_levels"]


def default_cache_dir() -> Path:
    """Where the mechanics grids are kept: ``$TISSUE_SIM_CACHE/explore`` or
    ``~/.cache/tissue-sim/explore``."""
    root = os.environ.get("TISSUE_SIM_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "tissue-sim"
    return base / "explore"


def parse_levels(text: str, *, scale: float, option: str, positive: bool) -> tuple[float, ...]:
    """Comma-separated numbers times ``scale`` (``"2.5,5,10"`` kPa → Pa), sorted.

    Raises
    ------
    InputError
        Naming the option, for a value that is not a number or not in range.
    """
    try:
        values = sorted(float(item) * scale for item in text.split(",") if item.strip())
    except ValueError:
        raise InputError(f"expected comma-separated numbers, got {text!r}", key=option) from None
    if not values or (positive and values[0] <= 0.0) or values[0] < 0.0:
        raise InputError(
            f"expected {'positive' if positive else 'non-negative'} numbers, got {text!r}",
            key=option,
        )
    return tuple(values)


def _check_port(port: int) -> None:
    """Refuse a port that is taken before minutes of precomputing, not after."""
    import socket

    if not 0 < port < 65536:
        raise InputError(f"expected a port between 1 and 65535, got {port}", key="--port")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("localhost", port))
        except OSError:
            raise InputError(
                f"port {port} is in use on localhost; choose another with --port", key="--port"
            ) from None


def explore_command(args: argparse.Namespace) -> int:
    """Build the first answer, then serve the page until interrupted.

    Parameters
    ----------
    args
        ``port``, ``preset``, ``technique``, ``no_browser``, ``mechanics``, ``pressures``
        (kPa), ``ratios``, ``cache_dir``.
    """
    from tissue_sim.explore.controls import PRESETS, Controls
    from tissue_sim.explore.model import ExploreModel, ExploreSettings
    from tissue_sim.loading import TECHNIQUES

    if args.preset not in PRESETS:
        raise InputError(f"no preset {args.preset!r}; choose one of {', '.join(PRESETS)}")
    if args.technique not in TECHNIQUES:
        raise InputError(f"no technique {args.technique!r}; choose one of {', '.join(TECHNIQUES)}")
    _check_port(args.port)
    cache = None if args.no_cache else Path(args.cache_dir or default_cache_dir())
    settings = ExploreSettings(
        mechanics_model=args.mechanics,
        pressures=parse_levels(args.pressures, scale=1000.0, option="--pressures", positive=True),
        ratios=parse_levels(args.ratios, scale=1.0, option="--ratios", positive=False),
        cache_dir=cache,
    )
    try:
        from tissue_sim.explore.app import ExploreApp
    except ImportError as error:  # the page's libraries are an extra
        raise InputError(
            f"tissue-sim explore needs the 'explore' extra ({error.name} is missing): "
            "pip install 'tissue-sim[explore]'"
        ) from None
    pressure = min(10.0e3, settings.pressures[-1])
    controls = Controls(preset=args.preset, technique=args.technique, pressure=pressure)
    app = ExploreApp(ExploreModel(settings), controls)
    print(
        f"tissue-sim explore: preparing {args.preset} / {args.technique} "
        f"({args.mechanics} mechanics; a finite-strain grid is built once and cached in "
        f"{cache or 'memory'})…",
        file=sys.stderr,
        flush=True,
    )
    answer = app.compute_initial()
    print(f"tissue-sim explore: {answer.method}", file=sys.stderr, flush=True)
    url = f"http://localhost:{args.port}/"
    print(f"tissue-sim explore: open {url}  (Ctrl-C stops the server)", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    app.start(args.port, open_browser=False)
    return 0
