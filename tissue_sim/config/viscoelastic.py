r"""The ``mechanics.viscoelastic`` key, and the layers' Prony terms of the tissue files.

.. code-block:: yaml

    mechanics:
      model: hyperelastic         # finite strain (default) or linear: both relax
      viscoelastic: true          # or false, or a mapping:
      viscoelastic:
        enabled: true
        cycles: 1                 # cycles of each technique integrated; frames of the last
                                  # ("all": every cycle of the session, 0 in the config)
        max_step: 1 s             # largest time step between a technique's frames

Read by :func:`read_viscoelastic` into a frozen :class:`ViscoelasticConfig` (SI units).

Each layer of a tissue file (``models/tissues/*.yaml``) or of a scenario's
``tissue.layers`` may carry its Prony series, sourced values as every number there
(read by :func:`read_layer_prony` into :class:`PronyTerms`):

.. code-block:: yaml

    adipose:
      viscoelastic:
        fractions: {value: [0.39], source: "Sims 2010 ... (FACTS section 2)"}
        times: {value: ["700 s"], source: "Sims 2010 ..."}
        moduli: {value: instantaneous, source: "the layer's moduli are from 50-Hz MRE ..."}

``fractions`` are the relaxing fractions :math:`g_i` of the shear modulus (each > 0,
sum < 1), ``times`` the relaxation times :math:`\tau_i` (> 0). ``moduli`` says which
modulus the layer's elastic law gives: ``instantaneous`` (default: :math:`\mu_0`, as
from elastography or a fast test) or ``relaxed`` (:math:`\mu_\infty`, as from a
quasi-static, equilibrium test); see :mod:`tissue_sim.mechanics.viscoelastic.prony`.
A layer without the key
is elastic; ``viscoelastic: false`` in a scenario makes a preset's layer elastic. The
shipped presets give terms to adipose (Sims 2010) and muscle (Bosboom 2001); skin and
fascia are elastic (assumption: FACTS has no Prony terms for them; see
``docs/viscoelasticity.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tissue_sim.config.reader import MappingReader
from tissue_sim.errors import InputError, brief

#: What a layer's elastic moduli are (tissue_sim.mechanics.viscoelastic.prony.MODULI).
MODULI = ("instantaneous", "relaxed")

__all__ = ["PronyTerms", "ViscoelasticConfig", "read_layer_prony", "read_viscoelastic"]


@dataclass(frozen=True)
class ViscoelasticConfig:
    """How the session's load history is integrated with viscoelastic layers.

    Attributes
    ----------
    enabled
        Whether the layers relax (``False``, the default without the key: today's
        elastic frames; a mapping without ``enabled`` turns them on).
    cycles
        Cycles of each technique integrated before its frames are read (the last) [-];
        0 (``cycles: all``): every cycle of the technique's session.
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
        cycles=_cycles(sub),
        max_step=sub.quantity("max_step", "time", "1 s", positive=True),
    )
    sub.finish()
    return config


def _cycles(sub: MappingReader) -> int:
    """``cycles``: a whole number 1–100000, or ``all`` (0)."""
    if sub.has("cycles") and sub.data["cycles"] == "all":
        sub.raw("cycles")
        return 0
    try:
        return sub.integer("cycles", 1, minimum=1, maximum=100_000)
    except InputError as error:
        raise sub.error("cycles", f"{error.message.split(': ', 1)[-1]} or all") from None


@dataclass(frozen=True)
class PronyTerms:
    r"""A layer's Prony series as read from its tissue file.

    Attributes
    ----------
    fractions
        Relaxing fractions :math:`g_i` of the shear modulus [-].
    times
        Relaxation times :math:`\tau_i` [s].
    moduli
        ``"instantaneous"`` (the layer's elastic moduli are :math:`\mu_0`, default) or
        ``"relaxed"`` (:math:`\mu_\infty`).
    """

    fractions: tuple[float, ...]
    times: tuple[float, ...]
    moduli: str = "instantaneous"


def read_layer_prony(reader: MappingReader, key: str = "viscoelastic") -> PronyTerms | None:
    """Read a layer's ``viscoelastic`` block (``None``: elastic; errors name file and key).

    Parameters
    ----------
    reader
        The layer's mapping (preset file or scenario).
    key
        The block's key.
    """
    if not reader.has(key):
        return None
    value = reader.raw(key)
    if value is False or value is None:
        return None
    if not isinstance(value, dict):
        raise reader.error(
            key, f"expected false or a mapping with fractions and times, got {brief(value)}"
        )
    sub = MappingReader(value, file=reader.file, path=reader.key_path(key))
    sub.sources = reader.sources
    fractions = sub.quantity_list("fractions", "dimensionless", allow_bare=True)
    times = sub.quantity_list("times", "time")
    moduli = sub.choice("moduli", MODULI, "instantaneous")
    sub.finish()
    if len(fractions) != len(times) or not fractions:
        raise sub.error(
            "times",
            f"expected one relaxation time per fraction ({len(fractions)} fractions, "
            f"{len(times)} times, at least one of each)",
        )
    for index, fraction in enumerate(fractions):
        if not fraction > 0.0:
            raise sub.error(f"fractions[{index}]", f"expected a fraction > 0, got {fraction:g}")
    if not sum(fractions) < 1.0:
        raise sub.error(
            "fractions", f"expected fractions that sum to less than 1, got {sum(fractions):g}"
        )
    for index, tau in enumerate(times):
        if not (tau > 0.0 and tau < float("inf")):
            raise sub.error(f"times[{index}]", f"expected a time > 0, got {tau:g} s")
    return PronyTerms(tuple(fractions), tuple(times), moduli)
