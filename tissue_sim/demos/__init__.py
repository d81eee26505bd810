"""Educational demonstrations: short studies that run in seconds and explain themselves.

Public names: :data:`DEMOS` (name → :class:`Demo`), :func:`list_demos`, :func:`get_demo`,
:func:`run_demo` → :class:`DemoOutcome` (narrative paragraphs, pictures, key numbers).
On the command line: ``tissue-sim demo`` lists them, ``tissue-sim demo NAME`` runs one.
The scenarios are ordinary YAML files in ``configs/demos/``.
"""

from __future__ import annotations

from tissue_sim.demos.registry import DEMOS, Demo, DemoOutcome, get_demo, list_demos, run_demo

__all__ = ["DEMOS", "Demo", "DemoOutcome", "get_demo", "list_demos", "run_demo"]
