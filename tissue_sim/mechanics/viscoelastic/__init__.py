"""Viscoelastic layers (small and finite strain): Prony series on the deviatoric response.

* :mod:`.prony` — the relaxation function, its exact time-step recurrence and the
  layers' parameters with their sources (fat: Sims 2010; muscle: Bosboom 2001);
* :mod:`.history` — :func:`solve_viscoelastic`, a load history integrated in real time;
* :mod:`.finite` — :class:`ViscoelasticLaw`, a hyperelastic law whose isochoric stress
  relaxes (internal variables per quadrature point), and :mod:`.finite_history` —
  :func:`solve_viscoelastic_finite`, a load history on a finite-strain body;
* :mod:`.technique` — a technique's frames → its load history over real time;
* :mod:`.session` — :func:`solve_session_viscoelastic`, the session's mechanics stage
  (same result type as the elastic one), which a run with ``mechanics.viscoelastic`` uses.

See ``docs/viscoelasticity.md`` for what is and is not done.
"""

from __future__ import annotations

from tissue_sim.mechanics.viscoelastic.finite import ViscoelasticLaw, viscoelastic_laws
from tissue_sim.mechanics.viscoelastic.finite_history import solve_viscoelastic_finite
from tissue_sim.mechanics.viscoelastic.history import ViscoelasticFrames, solve_viscoelastic
from tissue_sim.mechanics.viscoelastic.prony import (
    LAYER_PRONY,
    PronySeries,
    layer_prony,
    tissue_prony,
)
from tissue_sim.mechanics.viscoelastic.session import (
    solve_session_viscoelastic,
    viscoelastic_lines,
)
from tissue_sim.mechanics.viscoelastic.technique import LoadHistory, technique_history

__all__ = [
    "LAYER_PRONY",
    "LoadHistory",
    "PronySeries",
    "ViscoelasticFrames",
    "ViscoelasticLaw",
    "layer_prony",
    "solve_session_viscoelastic",
    "solve_viscoelastic",
    "solve_viscoelastic_finite",
    "technique_history",
    "tissue_prony",
    "viscoelastic_laws",
    "viscoelastic_lines",
]
