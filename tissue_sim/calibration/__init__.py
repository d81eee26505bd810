"""Calibration of the cell models: literature targets as data, and least-squares fits.

``models/calibration/targets.yaml`` lists every effect in FACTS.md with a number that the
cell models address: the protocol that produces it (strain waveforms through the stimulus
stage, sessions, initial state), what is measured, the target value and tolerance, the
source, and whether a parameter was calibrated to it or the model predicts it.
:func:`evaluate_targets` says what the models give; :func:`fit_parameters` fits named
parameters to the targets by least squares (``tissue-sim calibrate``). See
``docs/biology.md``.
"""

from __future__ import annotations

from tissue_sim.calibration.evaluate import TargetValue, evaluate_targets, within_factor
from tissue_sim.calibration.fit import (
    FitResult,
    fit_parameters,
    format_report,
    resolve_parameters,
    write_overrides,
)
from tissue_sim.calibration.protocol import (
    DAY,
    Protocol,
    SessionBlock,
    Waveform,
    run_protocol,
    waveform_features,
)
from tissue_sim.calibration.targets import (
    MEASURE_KINDS,
    Measure,
    OutOfScope,
    Quantity,
    Target,
    TargetSet,
    read_targets,
    shipped_targets_file,
)

__all__ = [
    "DAY",
    "MEASURE_KINDS",
    "FitResult",
    "Measure",
    "OutOfScope",
    "Protocol",
    "Quantity",
    "SessionBlock",
    "Target",
    "TargetSet",
    "TargetValue",
    "Waveform",
    "evaluate_targets",
    "fit_parameters",
    "format_report",
    "read_targets",
    "resolve_parameters",
    "run_protocol",
    "shipped_targets_file",
    "waveform_features",
    "within_factor",
    "write_overrides",
]
