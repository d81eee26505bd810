"""``tissue-sim explore``: an interactive page in the browser (trame + pyvista).

* :mod:`.controls` — what the page controls, and the scenario it describes;
* :mod:`.mechanics` — strain at any pressure and shear ratio (superposition for small
  strain, a precomputed finite-strain grid with interpolation);
* :mod:`.course` — the live biology of dose classes with its untreated control;
* :mod:`.model` — the fast model: controls → answer;
* :mod:`.figures` — the strain section (pyvista, off-screen) and the effect plot;
* :mod:`.app` — the trame server and page; :mod:`.commands` — the CLI subcommand.

The page needs the ``explore`` extra (``pip install tissue-sim[explore]``); the fast
model does not.
"""

from __future__ import annotations

from tissue_sim.explore.controls import Controls
from tissue_sim.explore.model import Answer, ExploreModel, ExploreSettings

__all__ = ["Answer", "Controls", "ExploreModel", "ExploreSettings"]
