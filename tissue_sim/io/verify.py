"""``tissue-sim verify DIR``: check the integrity of a run's result folder.

Checks, each reported as one line naming the file and what is wrong:

* ``result.h5`` opens, is a tissue_sim result of a readable format version;
* every dataset has a ``units`` attribute and every floating-point dataset is finite
  (except ``/biology/effect/ratio/``: treated ÷ untreated is NaN where the untreated
  value is zero, as documented in ``docs/results-format.md``);
* every ``DataItem`` of ``result.xdmf`` and ``biology.xdmf`` points into ``result.h5`` at a
  dataset that exists with the shape the XDMF states;
* the stored ``config`` hashes to the stored ``config_hash``, the provenance holds the
  same hash, and its run key matches the hash, the input digests and the version;
* the files listed by the folder's publication marker exist.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml

from tissue_sim.errors import InputError, brief

__all__ = ["VerifyReport", "verify_directory"]

_NAN_ALLOWED = ("/biology/effect/ratio/",)


@dataclass
class VerifyReport:
    """What :func:`verify_directory` found.

    Attributes
    ----------
    directory
        The result folder.
    problems
        One line per mismatch (empty: the folder is intact).
    datasets
        Datasets checked.
    xdmf_items
        XDMF data items checked.
    """

    directory: Path
    problems: list[str] = field(default_factory=list)
    datasets: int = 0
    xdmf_items: int = 0

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return not self.problems


def _datasets(f: h5py.File) -> list[h5py.Dataset]:
    found: list[h5py.Dataset] = []
    f.visititems(lambda _, item: found.append(item) if isinstance(item, h5py.Dataset) else None)
    return found


def _check_datasets(f: h5py.File, report: VerifyReport, name: str) -> None:
    for dataset in _datasets(f):
        report.datasets += 1
        if "units" not in dataset.attrs:
            report.problems.append(f"{name}: {dataset.name}: no units attribute")
        if dataset.dtype.kind not in "fc" or dataset.name.startswith(_NAN_ALLOWED):
            continue
        values = dataset[()]
        if not np.all(np.isfinite(values)):
            count = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
            report.problems.append(f"{name}: {dataset.name}: {count} non-finite value(s)")


def _check_provenance(f: h5py.File, report: VerifyReport, name: str) -> None:
    from tissue_sim.config.scenario import hash_resolved
    from tissue_sim.io.provenance import run_key_of

    stored = str(f.attrs.get("config_hash", ""))
    try:
        resolved = yaml.safe_load(str(f.attrs.get("config", "")))
    except yaml.YAMLError:
        report.problems.append(f"{name}: the stored config is not readable YAML")
        return
    if not isinstance(resolved, dict):
        report.problems.append(f"{name}: no stored config")
        return
    if hash_resolved(resolved) != stored:
        report.problems.append(
            f"{name}: the stored config does not hash to config_hash {brief(stored[:12])}"
        )
    try:
        record: Any = json.loads(str(f.attrs.get("provenance", "{}")))
    except json.JSONDecodeError:
        report.problems.append(f"{name}: the provenance is not readable JSON")
        return
    if not isinstance(record, dict) or record.get("config_hash") != stored:
        report.problems.append(f"{name}: the provenance names another config hash")
        return
    if "run_key" in record:
        inputs = record.get("inputs", {})
        version = str(record.get("versions", {}).get("tissue_sim", ""))
        if not isinstance(inputs, dict) or run_key_of(stored, inputs, version) != record["run_key"]:
            report.problems.append(
                f"{name}: the run key does not match the config hash, inputs and version"
            )


def _check_xdmf(directory: Path, f: h5py.File, report: VerifyReport, xdmf: Path) -> None:
    try:
        tree = ElementTree.parse(xdmf)
    except (ElementTree.ParseError, OSError) as exc:
        report.problems.append(f"{xdmf.name}: not readable XML ({brief(str(exc))})")
        return
    for item in tree.iter("DataItem"):
        if item.get("Format") != "HDF":
            continue
        report.xdmf_items += 1
        text = (item.text or "").strip()
        file_name, _, path = text.partition(":")
        if file_name != "result.h5" or not path:
            report.problems.append(f"{xdmf.name}: a data item points at {brief(text)}")
            continue
        if path not in f or not isinstance(f[path], h5py.Dataset):
            report.problems.append(f"{xdmf.name}: {path} is not a dataset of result.h5")
            continue
        try:
            shape = tuple(int(v) for v in (item.get("Dimensions") or "").split())
        except ValueError:
            report.problems.append(f"{xdmf.name}: {path}: unreadable Dimensions")
            continue
        actual = f[path].shape
        if shape != actual:
            report.problems.append(
                f"{xdmf.name}: {path} has shape {actual} in result.h5, the XDMF says {shape}"
            )


def _check_marker(directory: Path, report: VerifyReport) -> None:
    from tissue_sim.io.publish import MARKER_NAME

    marker = directory / MARKER_NAME
    if not marker.is_file():
        return  # a folder written before publication markers existed
    try:
        listed = json.loads(marker.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        report.problems.append(f"{MARKER_NAME}: not readable")
        return
    for entry in listed:
        if not (directory / str(entry)).exists():
            report.problems.append(f"{brief(str(entry))}: published with the run but missing")


def verify_directory(directory: str | Path) -> VerifyReport:
    """Check a result folder (or a ``result.h5``) and report every mismatch.

    Parameters
    ----------
    directory
        The run's folder (``results/<name>``), or its ``result.h5``.

    Returns
    -------
    VerifyReport
        The problems found (none: intact).

    Raises
    ------
    InputError
        If ``directory`` does not exist or holds no ``result.h5``.
    """
    path = Path(directory)
    if path.is_file() and path.suffix == ".h5":
        path = path.parent
    if not path.is_dir():
        raise InputError("no such result folder", file=str(directory))
    result = path / "result.h5"
    if not result.is_file():
        raise InputError("not a result folder: no result.h5", file=str(path))
    report = VerifyReport(path)
    try:
        f = h5py.File(result, "r")
    except OSError as exc:
        report.problems.append(f"result.h5: not a readable HDF5 file ({brief(str(exc))})")
        return report
    with f:
        from tissue_sim.io.hdf5 import READABLE_FORMAT_VERSIONS

        version = f.attrs.get("format_version")
        if version is None or int(version) not in READABLE_FORMAT_VERSIONS or "mesh" not in f:
            report.problems.append("result.h5: not a tissue_sim result of a readable format")
            return report
        try:
            _check_datasets(f, report, "result.h5")
        except (OSError, RuntimeError, KeyError) as exc:  # a damaged file fails while read
            report.problems.append(f"result.h5: damaged ({brief(str(exc))})")
            return report
        _check_provenance(f, report, "result.h5")
        xdmf = path / "result.xdmf"
        if not xdmf.is_file():
            report.problems.append("result.xdmf: missing (every run writes it)")
        for name in ("result.xdmf", "biology.xdmf"):
            if (path / name).is_file():
                _check_xdmf(path, f, report, path / name)
        if "biology" in f and not (path / "biology.xdmf").is_file():
            report.problems.append("biology.xdmf: missing (the result has biology fields)")
    _check_marker(path, report)
    if report.datasets == 0 and not report.problems:
        report.problems.append("result.h5: holds no datasets")
    if not math.isfinite(float(report.datasets)):  # pragma: no cover - defensive
        report.problems.append("result.h5: could not count datasets")
    return report


def verify_command(args: Any) -> int:
    """``tissue-sim verify DIR``: print the problems; exit 0 when intact, 1 otherwise."""
    import sys

    report = verify_directory(args.directory)
    if report.ok:
        print(
            f"{report.directory}: ok — {report.datasets} datasets finite with units, "
            f"{report.xdmf_items} XDMF items match result.h5, provenance hash matches the config"
        )
        return 0
    for problem in report.problems:
        print(f"{report.directory}/{problem}")
    print(
        f"tissue-sim: verify failed: {len(report.problems)} problem(s) in {report.directory}",
        file=sys.stderr,
    )
    return 1
