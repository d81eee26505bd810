r"""Prony series on the deviatoric (shear) response, and the layers' parameters.

The reduced shear relaxation function is

.. math::

    g(t) = g_\infty + \sum_i g_i\,e^{-t/\tau_i}, \qquad g_\infty = 1 - \sum_i g_i,
    \qquad \mu(t) = \mu_0\,g(t),

so :math:`g(0) = 1` (instantaneous shear modulus :math:`\mu_0`) and
:math:`g(\infty) = g_\infty` (relaxed modulus :math:`\mu_\infty = g_\infty\mu_0`);
:math:`g_i` is the fraction of the shear modulus that relaxes with time constant
:math:`\tau_i`. The bulk response is elastic (quasi-linear viscoelasticity of the
deviatoric part only).

**Which modulus the layers' presets give.** The elastic moduli of the relaxing layers
are the *instantaneous* ones, :math:`\mu_0` = preset, :math:`\mu_\infty = g_\infty\mu_0`
(``moduli: instantaneous``, the default): the fat's moduli come from 50-Hz MR
elastography (Hatt 2023, Chakouch 2015; FACTS §2, §9) and the muscle's from shear-wave
elastography (Sadeghi 2020, Knight 2022; FACTS §9), i.e. from loading over ~0.02 s,
against relaxation times of 6 s and 700 s. The Prony fractions are normalised the same
way: Bosboom 2001's quasi-linear viscoelastic Ogden law and Sims 2010's Prony series
(an ABAQUS-style :math:`g_R(t) = 1 - \sum_i g_i(1 - e^{-t/\tau_i})`) give the fraction of
the *instantaneous* modulus that relaxes (:math:`g(0) = 1`; FACTS §2: the abstracts
give α and δ, the normalisation is the standard one of those forms [P]). A layer whose
moduli come from a quasi-static (equilibrium) test may say ``moduli: relaxed``: then
:math:`\mu_\infty` = preset and :math:`\mu_0 = \mu_\infty/g_\infty`. Either way the limit
:math:`\Delta t\to0` from rest (a step) is the instantaneous elastic solution and
:math:`\tau\to0` (or a long hold) the relaxed one.

**Time stepping** (Simo & Hughes 1998, §10.3; Taylor et al. 1970). With the deviatoric
strain :math:`e` piecewise linear in time, the history variables
:math:`h_i(t) = \int_{-\infty}^t e^{-(t-s)/\tau_i}\,\dot e(s)\,ds` obey exactly

.. math::

    h_i^{n+1} = d_i\,h_i^n + \gamma_i\,(e^{n+1} - e^n), \qquad
    d_i = e^{-\Delta t/\tau_i}, \qquad
    \gamma_i = \frac{\tau_i}{\Delta t}\,\big(1 - e^{-\Delta t/\tau_i}\big),

and the deviatoric stress is :math:`s = 2\mu_0\,(g_\infty e + \sum_i g_i h_i)`. The step
is therefore a linear-elastic problem with the effective shear modulus
:math:`\mu_0(g_\infty + \sum_i g_i\gamma_i)` and a known history stress
:math:`2\mu_0\sum_i g_i(d_i h_i^n - \gamma_i e^n)`.

Layer parameters (:data:`LAYER_PRONY`):

* adipose: :math:`g_1 = 0.39`, :math:`\tau_1 = 700` s — porcine subdermal fat, one-term
  Prony series α = 0.39 ± 0.03, τ = 700 ± 255 s (Sims AM et al. 2010, *Biomech Model
  Mechanobiol* 9:703, FACTS §2 [C]; reading α as the relaxing fraction g₁: [P]);
* muscle: :math:`g_1 = 0.549`, :math:`\tau_1 = 6.01` s — rat tibialis anterior, transverse
  compression, δ = 0.549 ± 0.056, τ = 6.01 ± 0.42 s (Bosboom EMH et al. 2001, *J Biomech*
  34:1365, FACTS §2 [C]; δ read as g₁: [P]);
* skin, fascia, loose fascia: elastic (assumption: FACTS has no Prony terms for them; the
  in-vivo relaxation times of 0.05–8.9 s of Zheng & Mak 1999, FACTS §9, lump the whole
  limb's soft tissue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["LAYER_PRONY", "MODULI", "PronySeries", "layer_prony", "tissue_prony"]

FloatArray = NDArray[np.float64]

#: What a layer's elastic moduli are (module description).
MODULI = ("instantaneous", "relaxed")


@dataclass(frozen=True)
class PronySeries:
    """A Prony series of the shear relaxation function (module description).

    Attributes
    ----------
    fractions
        Relaxing fractions :math:`g_i` [-], each ≥ 0 with :math:`\\sum g_i < 1`.
    times
        Relaxation times :math:`\\tau_i` [s], > 0.
    moduli
        Which modulus the layer's elastic law gives: ``"instantaneous"``
        (:math:`\\mu_0`, default) or ``"relaxed"`` (:math:`\\mu_\\infty`).
    """

    fractions: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    moduli: str = "instantaneous"

    def __post_init__(self) -> None:
        if len(self.fractions) != len(self.times):
            raise ValueError("give one relaxation time per fraction")
        g = np.asarray(self.fractions, dtype=float)
        tau = np.asarray(self.times, dtype=float)
        if np.any(~np.isfinite(g)) or np.any(g < 0.0) or g.sum() >= 1.0:
            raise ValueError("fractions must be >= 0 and sum to less than 1")
        if np.any(~(tau > 0.0)):
            raise ValueError("relaxation times must be positive")
        if self.moduli not in MODULI:
            raise ValueError(f"moduli must be one of {', '.join(MODULI)}")

    @property
    def terms(self) -> int:
        """Number of terms (0: elastic)."""
        return len(self.fractions)

    @property
    def long_term(self) -> float:
        """:math:`g_\\infty = 1 - \\sum g_i` [-]."""
        return 1.0 - float(sum(self.fractions))

    @property
    def instantaneous_scale(self) -> float:
        """:math:`\\mu_0` over the elastic law's modulus [-] (1, or 1/g∞ if relaxed)."""
        return 1.0 if self.moduli == "instantaneous" else 1.0 / self.long_term

    @property
    def relaxed_scale(self) -> float:
        """:math:`\\mu_\\infty` over the elastic law's modulus [-] (g∞, or 1 if relaxed)."""
        return self.long_term if self.moduli == "instantaneous" else 1.0

    def relaxation(self, time: ArrayLike) -> FloatArray:
        """:math:`g(t)` at times ``t`` ≥ 0 [s]."""
        t = np.asarray(time, dtype=float)
        value = np.full(t.shape, self.long_term)
        for g, tau in zip(self.fractions, self.times, strict=True):
            value = value + g * np.exp(-t / tau)
        return value


def step_coefficients(times: FloatArray, dt: float) -> tuple[FloatArray, FloatArray]:
    r"""``d = exp(−Δt/τ)`` and ``γ = τ/Δt·(1 − exp(−Δt/τ))`` (γ = 1 at Δt = 0), per τ."""
    tau = np.asarray(times, dtype=float)
    if dt == 0.0:
        return np.ones_like(tau), np.ones_like(tau)
    ratio = dt / tau
    decay = np.exp(-ratio)
    gamma = -np.expm1(-ratio) / ratio
    return decay, gamma


#: Prony series per layer name (module description for the sources).
LAYER_PRONY: dict[str, PronySeries] = {
    "adipose": PronySeries((0.39,), (700.0,)),
    "muscle": PronySeries((0.549,), (6.01,)),
}


def layer_prony(layer_names: Sequence[str]) -> list[PronySeries]:
    """The Prony series of each layer (elastic for layers without one)."""
    return [LAYER_PRONY.get(name, PronySeries()) for name in layer_names]


def tissue_prony(layers: Sequence[object], layer_names: Sequence[str]) -> list[PronySeries]:
    """The Prony series of each mesh layer from the tissue's layer configurations.

    Parameters
    ----------
    layers
        Layer configurations (``name`` and ``viscoelastic``: an object with ``fractions``,
        ``times`` [s] and ``moduli``, or ``None`` for an elastic layer; see
        :mod:`tissue_sim.config.viscoelastic`).
    layer_names
        The mesh's layer names (a remodelling run's stiffness classes repeat their
        layer's name and keep its series).

    Returns
    -------
    list of PronySeries
        One per mesh layer (no terms: elastic). There is no fallback by layer name: a
        tissue file without ``viscoelastic`` entries has elastic layers.
    """
    by_name = {str(getattr(layer, "name", "")): layer for layer in layers}
    series = []
    for name in layer_names:
        terms = getattr(by_name.get(name), "viscoelastic", None)
        if terms is None:
            series.append(PronySeries())
        else:
            series.append(
                PronySeries(
                    tuple(terms.fractions),
                    tuple(terms.times),
                    str(getattr(terms, "moduli", "instantaneous")),
                )
            )
    return series
