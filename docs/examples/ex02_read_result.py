"""Example 2: read a run back from its ``result.h5``, with the library and with plain h5py.

Given a ``result.h5`` (``tissue-sim run ... -o DIR`` writes ``DIR/result.h5``), prints
what was run (format version, config hash, the mechanics model and mesh size), the same
per-layer numbers as example 1 read back through :func:`tissue_sim.io.read_result`, and
one dataset read with h5py directly, with the ``units`` attribute every dataset carries
(``docs/results-format.md`` lists them all)::

    python docs/examples/ex02_read_result.py results/baseline/result.h5

Without an argument it runs example 1's course and writes it to a temporary folder first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ex01_baseline_layers

from tissue_sim.geometry.layer_statistics import STATISTICS
from tissue_sim.io import read_result, write_result


def report(path: Path) -> None:
    """Print what ``path`` holds, one ``key = value`` a line."""
    result = read_result(path)
    with h5py.File(path, "r") as f:
        print(f"format_version = {int(f.attrs['format_version'])}")
        dataset = f["mechanics/layer_stats/fascia/max_principal_strain"]
        columns = [str(c) for c in np.asarray(dataset.attrs["columns"]).astype(str)]
        p90 = np.asarray(dataset)[:, columns.index("p90")]
        print(f"h5py.fascia.strain_p90_peak = {np.max(p90):.9e}")
        print(f"h5py.fascia.strain_units = {dataset.attrs['units']!s}")
        assert tuple(columns) == STATISTICS
    print(f"config_hash = {result.config_hash[:12]}")
    print(f"mechanics_model = {result.mechanics.model}")
    print(f"cells = {result.mesh.cells.shape[0]}")
    ex01_baseline_layers.report(result)


def main(path: str | Path | None = None) -> None:
    if path is not None:
        report(Path(path))
        return
    with tempfile.TemporaryDirectory() as folder:
        written = write_result(ex01_baseline_layers.run(), Path(folder) / "result.h5")
        report(written)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
