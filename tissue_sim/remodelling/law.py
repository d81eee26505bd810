r"""The remodelling law: local fibrosis state → stiffness factor of the tissue.

Every material point (mesh cell) carries a collagen index :math:`C` (1 = healthy) and a
myofibroblast fraction :math:`\mu` from the cell-response model (``tgfb1_fibrosis``).
Its layer's strain energy is scaled by the factor

.. math::

    s(C, \mu) = \operatorname{clip}\Big[\Big(\frac{C}{C_{ref}}\Big)^{n}
        \max\Big(1 + w_\mu\Big(\frac{\mu}{\mu_{ref}} - 1\Big),\ 0\Big),\
        s_{min},\ s_{max}\Big],
    \qquad
    W_{remodelled}(F) = s\,W_{layer}(F),

so every modulus of the layer's law (shear and bulk, fibre terms) is multiplied by
:math:`s`: a homogeneous block under a given traction strains :math:`1/s` times as much
(small strain, exactly). Sources and assumptions:

* **Collagen exponent** :math:`n = 1.91`: the storage modulus of fibrillar collagen-I
  networks scales with collagen concentration as :math:`G' \propto c^{1.91}` (rheology
  of 1.2–4.8 mg/ml gels, Böhringer D et al. 2024, *Nat Phys* 20, Extended Data Fig. 3,
  "in agreement with previously predicted and measured values"; the semiflexible
  network prediction is :math:`c^{2.2}`, MacKintosh et al. 1995). Assumption: the
  collagen index of the cell model is the collagen content of the tissue's matrix and
  the matrix carries the layer's stiffness. Consistency check (derived, FACTS §2): the
  model's self-sustaining fibrotic state, :math:`C \approx 1.5` (``tgfb1_fibrosis``),
  gives :math:`s = 1.5^{1.91} = 2.17`, within the 1.8–3.0 ratio of the moduli of
  fibrotic (Ledderhose disease or diabetes, 25–30 MPa) to healthy (10–14 MPa) plantar
  fascia (*Appl Sci* 2021;11:1517).
* **Myofibroblast weight** :math:`w_\mu = 0` by default. Assumption: myofibroblast
  contraction stiffens a matrix too, but no source in FACTS separates it from the
  collagen contribution; the Ledderhose ratio above is of tissue where both act, and
  the collagen term alone already reproduces it. A user may set ``myofibroblast_weight``.
* **Reference state**: :math:`C_{ref} = 1`, :math:`\mu_{ref}` = the healthy fraction
  (the tissue presets describe healthy tissue); or each cell's initial state
  (``reference: initial``, the presets then describe the tissue as it is at the start).
* **Bounds** :math:`s_{min} = 0.1`, :math:`s_{max} = 10` (assumption: keep a runaway
  state from producing a degenerate stiffness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MAX_FACTOR", "MIN_FACTOR", "CollagenPowerLaw"]

FloatArray = NDArray[np.float64]

#: Smallest and largest stiffness factor [-] (assumption, see the module description).
MIN_FACTOR = 0.1
MAX_FACTOR = 10.0


@dataclass(frozen=True)
class CollagenPowerLaw:
    r"""Stiffness factor :math:`s = (C/C_{ref})^n \max(1 + w_\mu(\mu/\mu_{ref} - 1), 0)`,
    clipped to [:data:`MIN_FACTOR`, :data:`MAX_FACTOR`].

    Attributes
    ----------
    exponent
        Collagen exponent :math:`n` [-] (default 1.91: Böhringer et al. 2024, see the
        module description).
    myofibroblast_weight
        :math:`w_\mu` [-] (default 0, assumption).
    """

    exponent: float = 1.91
    myofibroblast_weight: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.exponent) and self.exponent >= 0.0):
            raise ValueError(f"exponent must be a non-negative number, got {self.exponent!r}")
        if not (np.isfinite(self.myofibroblast_weight) and self.myofibroblast_weight >= 0.0):
            raise ValueError("myofibroblast_weight must be a non-negative number")

    def factor(
        self,
        collagen: ArrayLike,
        myofibroblast: ArrayLike,
        collagen_reference: ArrayLike = 1.0,
        myofibroblast_reference: ArrayLike = 1.0,
    ) -> FloatArray:
        """Stiffness factor per point [-].

        Parameters
        ----------
        collagen, myofibroblast
            Collagen index [-] and myofibroblast fraction [-] per point ``(m,)``.
        collagen_reference, myofibroblast_reference
            Their values where the factor is 1 (scalars or ``(m,)``), > 0.
        """
        c = np.asarray(collagen, dtype=np.float64)
        mu = np.asarray(myofibroblast, dtype=np.float64)
        c_ref = np.asarray(collagen_reference, dtype=np.float64)
        mu_ref = np.asarray(myofibroblast_reference, dtype=np.float64)
        if np.any(c_ref <= 0.0) or np.any(mu_ref <= 0.0):
            raise ValueError("the reference collagen and myofibroblast values must be > 0")
        ratio = np.maximum(c, 0.0) / c_ref
        contraction = np.maximum(1.0 + self.myofibroblast_weight * (mu / mu_ref - 1.0), 0.0)
        factor = np.power(ratio, self.exponent) * contraction
        return np.asarray(np.clip(factor, MIN_FACTOR, MAX_FACTOR), dtype=np.float64)
