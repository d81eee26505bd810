"""The ``biology.remodelling`` section: fibrosis that stiffens the tissue between sessions.

.. code-block:: yaml

    biology:
      remodelling:
        every: 1 day              # time between mechanics re-solves
        law: collagen_power       # E = E0 · (C/C_ref)^n · (1 + w_μ (μ/μ_ref − 1))
        exponent: 1.91            # n
        myofibroblast_weight: 0   # w_μ
        reference: healthy        # healthy (C_ref = 1, μ_ref = healthy) | initial
        layers: all               # or a list of layer names that remodel
        resolution: 0.02          # relative width of a stiffness class (0: one per layer)

The law and its sources are in :mod:`tissue_sim.remodelling.law` and
``docs/remodelling.md``. Read by :func:`read_remodelling` into a frozen
:class:`RemodellingConfig` (SI units).
"""

from __future__ import annotations

from dataclasses import dataclass

from tissue_sim.config.reader import MappingReader
from tissue_sim.errors import brief

__all__ = ["REMODELLING_LAWS", "REMODELLING_REFERENCES", "RemodellingConfig", "read_remodelling"]

#: Stiffness laws of :mod:`tissue_sim.remodelling.law`.
REMODELLING_LAWS = ("collagen_power",)
#: What stiffness factor 1 means: the healthy state or the run's initial state.
REMODELLING_REFERENCES = ("healthy", "initial")


@dataclass(frozen=True)
class RemodellingConfig:
    """How the fibrosis state feeds back on the layers' stiffness.

    Attributes
    ----------
    every
        Time between two mechanics re-solves [s] (the first is at the start).
    law
        Stiffness law (:data:`REMODELLING_LAWS`).
    exponent
        Collagen exponent n of the law [-].
    myofibroblast_weight
        Weight w_μ of the myofibroblast term [-].
    reference
        ``"healthy"``: factor 1 at collagen index 1 and the healthy myofibroblast
        fraction (the tissue presets describe healthy tissue); ``"initial"``: factor 1
        at each cell's initial state.
    layers
        Layers that remodel (``None``: all).
    resolution
        Relative width of a per-cell stiffness class [-]; 0 gives one factor per layer
        (the volume-weighted mean of its cells' factors).
    collagen, myofibroblast
        Species names of the collagen index and the myofibroblast fraction.
    """

    every: float = 86400.0
    law: str = "collagen_power"
    exponent: float = 1.91
    myofibroblast_weight: float = 0.0
    reference: str = "healthy"
    layers: tuple[str, ...] | None = None
    resolution: float = 0.02
    collagen: str = "collagen"
    myofibroblast: str = "myofibroblast"


#: The keys that name the species the law reads (their defaults: the dataclass above).
SPECIES_KEYS = ("collagen", "myofibroblast")


def read_remodelling(reader: MappingReader) -> RemodellingConfig:
    """Read a ``biology.remodelling`` mapping (errors name the file and key path)."""
    layers_value = reader.raw("layers", "all")
    layers: tuple[str, ...] | None
    if layers_value == "all":
        layers = None
    elif (
        isinstance(layers_value, list)
        and layers_value
        and all(isinstance(item, str) for item in layers_value)
    ):
        layers = tuple(layers_value)
    else:
        raise reader.error(
            "layers", f"expected 'all' or a list of layer names, got {brief(layers_value)}"
        )
    collagen, myofibroblast = (
        reader.string(key, getattr(RemodellingConfig, key)) for key in SPECIES_KEYS
    )
    config = RemodellingConfig(
        every=reader.quantity("every", "time", "1 day", positive=True),
        law=reader.choice("law", REMODELLING_LAWS, "collagen_power"),
        exponent=reader.number("exponent", 1.91, non_negative=True, maximum=10.0),
        myofibroblast_weight=reader.number(
            "myofibroblast_weight", 0.0, non_negative=True, maximum=100.0
        ),
        reference=reader.choice("reference", REMODELLING_REFERENCES, "healthy"),
        layers=layers,
        resolution=reader.number("resolution", 0.02, non_negative=True, maximum=0.5),
        collagen=collagen,
        myofibroblast=myofibroblast,
    )
    reader.finish()
    return config
