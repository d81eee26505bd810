"""Shared look of every picture: layer colours, plain-language names and labels."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "FIGURE_DPI",
    "MEASURE_LABELS",
    "SPECIES_LABELS",
    "layer_colours",
    "measure_label",
    "species_axis_label",
    "species_label",
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

#: Plain names of the cell-model species.
SPECIES_LABELS = {
    "tgfb1_active": "active TGF-β1",
    "tgfb1_latent": "latent TGF-β1",
    "myofibroblast": "myofibroblasts",
    "collagen": "collagen",
    "il6": "IL-6",
    "il1b": "IL-1β",
    "tnfa": "TNF-α",
    "il10": "IL-10",
    "m0": "M0 macrophages (unpolarised)",
    "m1": "M1 macrophages (inflammatory)",
    "m2": "M2 macrophages (repair)",
    "m2_fraction": "M2 share M2/(M1+M2)",
    "fak": "mechanosensor activity",
    "mech_adaptation": "mechanosensor adaptation",
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


def species_label(name: str) -> str:
    """Plain-language name of a species (e.g. ``tgfb1_active`` → ``active TGF-β1``)."""
    return SPECIES_LABELS.get(name, name.replace("_", " "))


def species_axis_label(name: str, unit: str) -> str:
    """Axis label of a species: normalised species (unit ``1``) are relative to healthy."""
    if unit in ("1", "", "dimensionless"):
        if name == "m2_fraction":
            return "M2/(M1+M2) [–]"
        if name == "tgfb1_active":
            return "× healthy latent pool [–]"
        if name.startswith("m") and name[1:].isdigit():
            return "× healthy total macrophages [–]"
        return "× healthy level [–]"
    return f"[{unit}]"
