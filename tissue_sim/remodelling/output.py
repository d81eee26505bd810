"""What a remodelled course records, and its ``/biology/remodelling`` group in ``result.h5``.

Layout (U updates, m cells; every dataset has a ``units`` attribute):

=================================  ==========  ==========================================
dataset                            shape       meaning
=================================  ==========  ==========================================
``time``                           (U,)        time of each mechanics update [s]
``cell_factor``                    (U, m)      stiffness factor every cell was solved with
``cell_effective_strain_peak``     (U, m)      peak effective strain of the new dose
                                               (largest over the session's techniques)
``layers/<layer>/factor``          (U,)        volume-weighted mean factor of the layer
``layers/<layer>/effective_strain`` (U,)       volume-weighted mean of the cells' peaks
``resolved``                       (U,)        1 where the mechanics was re-solved
``classes``                        (U,)        number of stiffness classes solved
``mechanics_seconds``              (U,)        wall time of the re-solve [s]
=================================  ==========  ==========================================

Attributes of the group: the law (``law``, ``exponent``, ``myofibroblast_weight``,
``reference``, ``every`` [s], ``resolution``, ``remodelling_layers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

__all__ = ["RemodellingOutput", "read_remodelling_group", "write_remodelling_group"]

FloatArray = NDArray[np.float64]


@dataclass
class RemodellingOutput:
    """The mechanics updates of a remodelled course.

    Attributes
    ----------
    time
        Time of each update ``(U,)`` [s] (the first is 0).
    cell_factor
        Stiffness factor every cell was solved with ``(U, m)`` [-].
    cell_strain
        Peak effective strain of each update's dose per cell ``(U, m)`` [-].
    layer_factor
        ``layer → (U,)`` volume-weighted mean factor [-].
    layer_strain
        ``layer → (U,)`` volume-weighted mean of the cells' peak effective strain [-].
    resolved
        ``(U,)`` whether the mechanics was re-solved (not at a start with factor 1).
    classes
        ``(U,)`` number of stiffness classes (materials) solved.
    seconds
        ``(U,)`` wall time of each re-solve [s].
    settings
        The law and schedule (plain values).
    """

    time: FloatArray
    cell_factor: FloatArray
    cell_strain: FloatArray
    layer_factor: dict[str, FloatArray]
    layer_strain: dict[str, FloatArray]
    resolved: NDArray[np.bool_]
    classes: NDArray[np.int64]
    seconds: FloatArray
    settings: dict[str, Any] = field(default_factory=dict)


def _dataset(group: h5py.Group, name: str, values: Any, units: str) -> None:
    group.create_dataset(name, data=np.asarray(values)).attrs["units"] = units


def write_remodelling_group(group: h5py.Group, output: RemodellingOutput) -> None:
    """Write ``output`` into ``group`` (``/biology/remodelling``)."""
    _dataset(group, "time", output.time, "s")
    _dataset(group, "cell_factor", output.cell_factor, "1")
    _dataset(group, "cell_effective_strain_peak", output.cell_strain, "1")
    _dataset(group, "resolved", output.resolved.astype(np.int8), "1")
    _dataset(group, "classes", output.classes, "1")
    _dataset(group, "mechanics_seconds", output.seconds, "s")
    layers = group.create_group("layers")
    for layer, values in output.layer_factor.items():
        sub = layers.create_group(layer)
        _dataset(sub, "factor", values, "1")
        _dataset(sub, "effective_strain", output.layer_strain[layer], "1")
    for key, value in output.settings.items():
        group.attrs[key] = value


def read_remodelling_group(group: h5py.Group) -> RemodellingOutput:
    """Read a ``/biology/remodelling`` group written by :func:`write_remodelling_group`."""
    layers = group["layers"]
    settings: dict[str, Any] = {}
    for key, value in group.attrs.items():
        settings[key] = value.tolist() if isinstance(value, np.ndarray) else value
    return RemodellingOutput(
        time=group["time"][()],
        cell_factor=group["cell_factor"][()],
        cell_strain=group["cell_effective_strain_peak"][()],
        layer_factor={name: layers[name]["factor"][()] for name in layers},
        layer_strain={name: layers[name]["effective_strain"][()] for name in layers},
        resolved=group["resolved"][()].astype(bool),
        classes=group["classes"][()].astype(np.int64),
        seconds=group["mechanics_seconds"][()],
        settings=settings,
    )
