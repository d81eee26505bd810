"""The ``mechanics.viscoelastic`` key: Prony-series layers integrated in real time.

.. code-block:: yaml

    mechanics:
      model: linear               # small strain only (finite strain: an InputError)
      viscoelastic: true          # or false, or a mapping:
      viscoelastic:
        enabled: true
        cycles: 1                 # cycles of each technique integrated; frames of the last
        max_step: 1 s             # largest time step between a technique's frames

The layers' Prony series and their sources are in
:mod:`tissue_sim.mechanics.viscoelastic.prony` (adipose: Sims 2010; muscle: Bosboom
2001; the other layers elastic, an assumption) and ``docs/viscoelasticity.md``. Read by
:func:`read_viscoelastic` into a frozen :class:`ViscoelasticConfig` (SI units).
"""

from __future__ import annotations

from dataclasses import dataclass

from tissue_sim.config.reader import MappingReader
from tissue_sim.errors import brief

__all__ = ["ViscoelasticConfig", "read_viscoelastic"]


@dataclass(frozen=True)
class ViscoelasticConfig:
    """How the session's load history is integrated with viscoelastic layers.

    Attributes
    ----------
    enabled
        Whether the layers relax (``False``, the default without the key: today's
        elastic frames; a mapping without ``enabled`` turns them on).
    cycles
        Cycles of each technique integrated before its frames are read (the last) [-].
    max_step
        Largest time step between two of a technique's frames [s].
    """

    enabled: bool = False
    cycles: int = 1
    max_step: float = 1.0


def read_viscoelastic(reader: MappingReader, key: str = "viscoelastic") -> ViscoelasticConfig:
    """Read ``mechanics.viscoelastic``: a boolean or a mapping (errors name file and key)."""
    value = reader.raw(key, False)
    if isinstance(value, bool):
        return ViscoelasticConfig(enabled=value)
    if value is None or not isinstance(value, dict):
        raise reader.error(
            key,
            f"expected true, false or a mapping (enabled, cycles, max_step), got {brief(value)}",
        )
    sub = MappingReader(value, file=reader.file, path=reader.key_path(key))
    config = ViscoelasticConfig(
        enabled=sub.boolean("enabled", True),
        cycles=sub.integer("cycles", 1, minimum=1, maximum=100),
        max_step=sub.quantity("max_step", "time", "1 s", positive=True),
    )
    sub.finish()
    return config
