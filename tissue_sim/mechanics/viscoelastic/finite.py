r"""Finite-strain viscoelastic layers: a Prony series on the isochoric stress of a law.

:class:`ViscoelasticLaw` wraps a hyperelastic law of
:mod:`tissue_sim.mechanics.hyperelastic` (neo-Hookean, Ogden, compression-stiffening
fat, fibre-reinforced fascia) with internal variables at every quadrature point of its
layer's cells, after Simo (1987) and Holzapfel (2000, §6.10; Holzapfel & Gasser 2001).
The second Piola–Kirchhoff stress is

.. math::

    S = S_{vol}(\theta) + a\,S_{iso}(C) + \sum_i Q_i, \qquad
    Q_i(t) = \int_{-\infty}^{t} \beta_i\,e^{-(t-s)/\tau_i}\,
             \frac{d}{ds}S_{iso}(C(s))\,ds,

with :math:`S_{iso} = F^{-1}P_{iso}` the isochoric stress of the wrapped law (the
preset). Its moduli are the *instantaneous* ones by default (``moduli: instantaneous``,
:mod:`.prony`: elastography at ~50 Hz): then :math:`a = g_\infty` and
:math:`\beta_i = g_i`, so a step of :math:`C` from rest gives
:math:`a + \sum\beta_i = 1` times the preset's stress and the fully relaxed state
:math:`g_\infty` times it. With ``moduli: relaxed`` (the wrapped law is the relaxed
one) :math:`a = 1`, :math:`\beta_i = g_i/g_\infty` (Holzapfel's free-energy factors).
In general :math:`a = s\,g_\infty`, :math:`\beta_i = s\,g_i` with
:math:`s` = :attr:`~.prony.PronySeries.instantaneous_scale`; at small strain this is
the shear relaxation function :math:`\mu_0 g(t)` of :mod:`.prony` exactly. Only
the isochoric part relaxes: the volumetric stress (the body's projected
:math:`U'(\theta)`) is elastic. For a fibre-reinforced law the fibres' isochoric
stress relaxes with the matrix (the whole :math:`S_{iso}` of the law); the shipped
presets give Prony terms only to fat and muscle (assumption, ``docs/viscoelasticity.md``).

**Time step** (exact for :math:`S_{iso}^\infty` linear in time over the step):

.. math::

    Q_i^{n+1} = d_i\,Q_i^n + \beta_i\gamma_i\,(S_{iso}^{n+1} - S_{iso}^n), \qquad
    d_i = e^{-\Delta t/\tau_i}, \quad
    \gamma_i = \frac{\tau_i}{\Delta t}\,(1 - e^{-\Delta t/\tau_i}),

(:math:`\gamma_i = 1` at :math:`\Delta t = 0`), i.e. the recurrence
:math:`Q_i^{n+1} = e^{-\Delta t/\tau_i}Q_i^n + \beta_i\frac{1 - e^{-\Delta
t/\tau_i}}{\Delta t/\tau_i}(S_{iso}^{n+1} - S_{iso}^n)`. With
:math:`c = \sum_i\beta_i\gamma_i` and the known history
:math:`H = \sum_i d_iQ_i^n - c\,S_{iso}^n` of the step, the isochoric first
Piola–Kirchhoff stress the body integrates is

.. math::

    P = F\,\big((a + c)\,S_{iso} + H\big) = (a + c)\,P_{iso} + F H,

and its consistent tangent, with :math:`\mathbb A_{iso} = \partial P_{iso}/\partial F`,

.. math::

    \mathbb A_{iJkL} = \frac{\partial P_{iJ}}{\partial F_{kL}}
    = (a + c)\,(\mathbb A_{iso})_{iJkL} + \delta_{ik}\,H_{JL},

symmetric (:math:`H` is) like the elastic one. Limits: :math:`\tau\to0` gives
:math:`c = 0`, :math:`H = 0` (the relaxed law, :math:`a\,S_{iso}`); :math:`\tau\to\infty`
from rest gives :math:`S = S_{iso}(a + \sum\beta_i)` (the instantaneous law: the
preset itself by default).

**QLV, not Simo's projected form**: :math:`Q_i` relaxes the already projected
:math:`S_{iso} = J^{-2/3}\,\mathrm{DEV}[\bar S]` of earlier states, so after
:math:`C` changes :math:`C : Q_i \ne 0`: the history stress carries a small pressure
part. Simo (1987) relaxes :math:`\bar S` and projects at the current state. The
difference is of the order of the history stress times the volume-averaged
deviatoric strain change since it was laid down; the bodies are nearly incompressible
(the mixed pressure field takes any volumetric part): the difference is exactly the
hydrostatic Cauchy stress :math:`\frac{1}{3J}(C : \sum_i Q_i)\,I`, measured at 0.3–1.4 %
of :math:`|\mathrm{dev}\,\sigma|` for the muscle series after a stretch then a shear
(``docs/viscoelasticity.md``).

**Life cycle of a step**: :meth:`ViscoelasticLaw.begin_step` sets :math:`\Delta t`;
every evaluation by the body (:meth:`ViscoelasticLaw.isochoric_stress_at`, vectorised
over the cells × quadrature points it is given) records :math:`S_{iso}^\infty` at the
trial state; once the step has converged, the body is evaluated at the converged
displacement and :meth:`ViscoelasticLaw.commit` turns the record into
:math:`Q_i^{n+1}`, :math:`S_{iso}^n` (then :math:`\Delta t = 0`, so that evaluating the
converged state again returns its stress). The energy density reported for the cell
fields is the wrapped law's isochoric energy :math:`W(C)` (plus the volumetric one): with
``moduli: instantaneous`` that is the *instantaneous* elastic energy, :math:`1/g_\infty`
times the equilibrium branch's :math:`a\,W`; with ``moduli: relaxed`` it is the
equilibrium energy. The free energy of the viscous branches is not included, so it is
not the free energy of the relaxing state (the small-strain session reports
:math:`\tfrac12\bar\sigma:\bar\varepsilon` of the total stress instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.mechanics.materials import LinearElasticMaterial, Material
from tissue_sim.mechanics.viscoelastic.prony import PronySeries, step_coefficients

__all__ = ["ViscoelasticLaw", "viscoelastic_laws"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_IDENTITY = np.eye(3)


class ViscoelasticLaw:
    """A hyperelastic law whose isochoric stress relaxes (module description).

    Parameters
    ----------
    law
        The wrapped finite-strain law (the preset: instantaneous moduli unless
        ``prony.moduli == "relaxed"``).
    prony
        Its Prony series (fractions :math:`g_i`, times :math:`\\tau_i` [s]); at least one
        term.
    cells
        The (global) cells of the layer ``(k,)``: the history is kept for these only.
    num_cells
        Number of cells of the mesh.
    """

    small_strain: ClassVar[bool] = False

    def __init__(self, law: Material, prony: PronySeries, cells: ArrayLike, num_cells: int) -> None:
        if getattr(law, "small_strain", True):
            raise ValueError("a finite-strain viscoelastic layer wraps a hyperelastic law")
        if prony.terms == 0:
            raise ValueError("give at least one Prony term (an elastic layer needs no wrapper)")
        self.law = law
        self.prony = prony
        self.cells = np.asarray(cells, dtype=np.int64).reshape(-1)
        self._local = np.full(num_cells, -1, dtype=np.int64)
        self._local[self.cells] = np.arange(self.cells.size)
        scale = prony.instantaneous_scale
        #: a = s g∞ (μ∞ over the preset): the current isochoric stress's factor [-]
        self.equilibrium = prony.relaxed_scale
        #: β_i = s g_i [-]
        self.factors = scale * np.asarray(prony.fractions, dtype=float)
        self.times = np.asarray(prony.times, dtype=float)
        self._points = 0
        self._history = np.zeros((0,))  # Q_i^n (k, Q, T, 3, 3) [Pa]
        self._stress = np.zeros((0,))  # S_iso^n (k, Q, 3, 3) [Pa]
        self._trial = np.zeros((0,))  # S_iso at the last evaluation (k, Q, 3, 3) [Pa]
        self._carried = np.zeros((0,))  # H of the step (k, Q, 3, 3) [Pa]
        self._coefficients: tuple[tuple[float, ...], ...] | None = None
        self._epoch = 0
        self.begin_step(0.0)

    # -- the material protocol (forwarded to the wrapped law) ---------------------------
    @property
    def shear_modulus(self) -> float:
        """Small-strain shear modulus of the wrapped law (the preset) [Pa]."""
        return float(self.law.shear_modulus)

    @property
    def bulk_modulus(self) -> float:
        """Bulk modulus κ (elastic) [Pa]."""
        return float(self.law.bulk_modulus)

    @property
    def volumetric(self) -> str:
        """The wrapped law's volumetric energy."""
        return str(self.law.volumetric)

    @property
    def fibre_directions(self) -> FloatArray:
        """The wrapped law's fibre directions ``(n_families, 3)``."""
        return self.law.fibre_directions

    @property
    def instantaneous_factor(self) -> float:
        """:math:`a + \\sum_i\\beta_i`: instantaneous over the wrapped law's stress [-]."""
        return float(self.equilibrium + self.factors.sum())

    def small_strain_material(self) -> LinearElasticMaterial:
        """The linear-elastic material of the wrapped law (the preset's moduli)."""
        return self.law.small_strain_material()

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """The wrapped law's isochoric energy density :math:`W(C)` [J/m³] (module
        description: the instantaneous elastic energy for ``moduli: instantaneous``, not
        the equilibrium :math:`a W` nor the free energy of the viscous branches)."""
        return self.law.isochoric_energy(deformation_gradient)

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Not defined without the points: the stress depends on each point's history.

        Raises
        ------
        TypeError
            Always: the body calls :meth:`isochoric_stress_at`.
        """
        raise TypeError("a viscoelastic law needs the cells: call isochoric_stress_at")

    def tangent_regime(self, deformation_gradient: FloatArray) -> IntArray:
        """Branch labels of the wrapped law plus the step's label (``(...)``).

        The tangent is :math:`(a + c(\\Delta t))\\,\\mathbb A_{iso} + \\delta_{ik}H_{JL}` and
        the history :math:`H` changes at every commit, so the label changes at every time
        step: :meth:`commit` calls ``begin_step(0)`` and the next step ``begin_step(Δt)``,
        each a new label, even for equal Δt. A kept element matrix
        (``tangent_tolerance``) is therefore reused only within a step (Newton
        iterations), never across steps. Repeating ``begin_step`` with the same Δt
        without a commit keeps the label.
        """
        inner = getattr(self.law, "tangent_regime", None)
        labels = inner(deformation_gradient) if callable(inner) else None
        epoch = np.full(np.shape(deformation_gradient)[:-2], self._epoch << 20, dtype=np.int64)
        return epoch if labels is None else np.asarray(epoch + labels, dtype=np.int64)

    # -- history -----------------------------------------------------------------------
    def begin_step(self, dt: float) -> None:
        """Start a time step of ``dt`` [s] (0: the instantaneous response)."""
        if not dt >= 0.0:
            raise ValueError("the time step must be non-negative")
        decay, gamma = step_coefficients(self.times, float(dt))
        coefficients = (tuple(decay.tolist()), tuple(gamma.tolist()))
        self._epoch += int(coefficients != self._coefficients)
        self._coefficients = coefficients
        self._decay = decay
        self._gamma = gamma
        #: c = Σ β_i γ_i [-]
        self.scale = float(np.dot(self.factors, gamma))
        if self._points:
            self._carried = (
                np.einsum("t,kqtij->kqij", decay, self._history) - self.scale * self._stress
            )

    def reset(self) -> None:
        """Back to rest: no history (an unloaded, relaxed layer), Δt = 0 (a new tangent
        label: the history changed)."""
        self._coefficients = None
        if self._points:
            self._allocate(self._points)
        self.begin_step(0.0)

    def _allocate(self, points: int) -> None:
        k, terms = self.cells.size, self.times.size
        self._points = points
        self._history = np.zeros((k, points, terms, 3, 3))
        self._stress = np.zeros((k, points, 3, 3))
        self._trial = np.zeros((k, points, 3, 3))
        self._carried = np.zeros((k, points, 3, 3))

    def isochoric_stress_at(
        self, deformation_gradient: FloatArray, cells: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Isochoric first Piola–Kirchhoff stress and tangent at the given cells' points.

        Parameters
        ----------
        deformation_gradient
            ``F`` at every quadrature point of the cells ``(E, Q, 3, 3)``.
        cells
            Their global cell indices ``(E,)`` (cells of this layer).
        tangent
            Also return :math:`\\partial P/\\partial F` ``(E, Q, 3, 3, 3, 3)``.

        Returns
        -------
        stress, tangent
            [Pa] (module description).
        """
        f = np.asarray(deformation_gradient, dtype=float)
        local = self._local[np.asarray(cells, dtype=np.int64)]
        if np.any(local < 0):
            raise ValueError("cells outside the viscoelastic layer")
        if not self._points:
            self._allocate(f.shape[1])
        piola, moduli = self.law.isochoric_stress(f, tangent=tangent)
        second = np.linalg.solve(f, piola)
        second = 0.5 * (second + np.swapaxes(second, -1, -2))
        self._trial[local] = second
        carried = self._carried[local]
        stress = (self.equilibrium + self.scale) * piola + f @ carried
        if moduli is None:
            return stress, None
        total = (self.equilibrium + self.scale) * moduli
        total += _IDENTITY[:, None, :, None] * carried[..., None, :, None, :]
        return stress, total

    def commit(self) -> None:
        """Accept the last evaluation as the converged state of the step (then Δt = 0).

        The history moved, so the tangent's label changes here whatever the next Δt (also
        after a zero-length step, whose coefficients equal the Δt = 0 ones set here)."""
        self._coefficients = None  # begin_step below: a new label (tangent_regime)
        if self._points:
            increment = self._trial - self._stress
            self._history = (
                self._decay[:, None, None] * self._history
                + (self.factors * self._gamma)[:, None, None] * increment[:, :, None]
            )
            self._stress = self._trial.copy()
        self.begin_step(0.0)

    def history_stress(self) -> FloatArray:
        """:math:`\\sum_i Q_i` of the committed state at every point ``(k, Q, 3, 3)`` [Pa]."""
        if not self._points:
            return np.zeros((self.cells.size, 0, 3, 3))
        return np.asarray(self._history.sum(axis=2))


def viscoelastic_laws(
    materials: Sequence[Material], prony: Sequence[PronySeries], cell_layer: ArrayLike
) -> list[Material]:
    """Wrap the finite-strain law of every layer with Prony terms (others unchanged).

    Parameters
    ----------
    materials
        One hyperelastic law per layer (the presets).
    prony
        One Prony series per layer (no terms: elastic).
    cell_layer
        Layer of every cell ``(m,)`` (``mesh.cell_layer``).

    Returns
    -------
    list
        The materials, a :class:`ViscoelasticLaw` where a layer relaxes.
    """
    layer_of = np.asarray(cell_layer)
    if len(materials) != len(prony):
        raise ValueError("give one Prony series per layer")
    out: list[Material] = []
    for index, (material, series) in enumerate(zip(materials, prony, strict=True)):
        if series.terms == 0:
            out.append(material)
            continue
        cells = np.flatnonzero(layer_of == index)
        out.append(ViscoelasticLaw(material, series, cells, layer_of.size))
    return out
