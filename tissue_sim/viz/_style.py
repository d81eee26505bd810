"""Shared look of every picture: layer colours, plain-language names of the mechanics.

The names and labels of cell-model quantities come from the model files (their
``report`` sections, stored in ``result.h5``): see :mod:`tissue_sim.viz._quantities`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "FIGURE_DPI",
    "MEASURE_LABELS",
    "layer_colours",
    "measure_label",
]

#: Resolution of every PNG [dots per inch].
FIGURE_DPI = 110

# Okabe–Ito colours (readable with colour-vision deficiency), one per layer, top first.
_LAYER_PALETTE = {
    "skin": "#E69F00",
    "adipose": "#56B4E9",
    "fascia": "#009E73",
    "muscle": "#CC79A7",
}
_SPARE_COLOURS = ("#0072B2", "#D55E00", "#999999", "#000000", "#F0E442")

#: Plain names of the mechanics and stimulus quantities.
MEASURE_LABELS = {
    "max_principal_strain": "stretch (largest principal strain)",
    "mid_principal_strain": "middle principal strain",
    "min_principal_strain": "compression (smallest principal strain)",
    "max_shear_strain": "shear (largest principal strain − smallest)",
    "octahedral_shear_strain": "octahedral shear strain",
    "volumetric_strain": "volume change (volumetric strain)",
    "von_mises_stress": "von Mises stress",
    "pressure": "hydrostatic pressure",
    "strain_energy_density": "strain energy density",
    "displacement": "displacement",
    "effective_strain_peak": "peak effective strain over a cycle",
    "effective_strain_mean": "mean effective strain over a cycle",
    "effective_strain_amplitude": "effective strain amplitude",
    "strain_rate_peak": "peak strain rate",
    "fibre_stretch_peak": "peak fibre stretch",
    "volumetric_strain_peak": "peak volume change",
    "time_above_threshold": "time above the strain threshold per cycle",
    "session_time_under_load": "time above the strain threshold per session",
    "cycles_per_session": "cycles per session",
    "cycle_frequency": "cycle frequency",
}


def layer_colours(layer_names: Sequence[str]) -> dict[str, str]:
    """One colour per layer: fixed for the usual layers, spare colours for others."""
    colours: dict[str, str] = {}
    spare = iter(_SPARE_COLOURS * (len(layer_names) // len(_SPARE_COLOURS) + 1))
    for name in layer_names:
        colours[name] = _LAYER_PALETTE.get(name) or next(spare)
    return colours


def measure_label(name: str) -> str:
    """Plain-language name of a mechanics or stimulus quantity."""
    return MEASURE_LABELS.get(name, name.replace("_", " "))
