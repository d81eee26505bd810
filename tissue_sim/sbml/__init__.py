"""SBML import and export of cell models (needs the ``sbml`` extra).

:func:`export_sbml` writes one model file, or a composition of several, as SBML Level 3
Version 2 (rate rules, parameters with units and sources, stimulus inputs as annotated
parameters); :func:`import_sbml` turns an SBML or Antimony model into model-file text,
naming every construct it cannot map (:class:`SBMLImportError`). See ``docs/sbml.md``.
"""

from __future__ import annotations

from tissue_sim.sbml.from_sbml import (
    TIME_UNIT_PARAMETER,
    ImportedModel,
    SBMLImportError,
    import_sbml,
    read_sbml_text,
    write_model_file,
)
from tissue_sim.sbml.to_sbml import COMPARTMENT, ExportedModel, export_sbml, model_file_paths

__all__ = [
    "COMPARTMENT",
    "TIME_UNIT_PARAMETER",
    "ExportedModel",
    "ImportedModel",
    "SBMLImportError",
    "export_sbml",
    "import_sbml",
    "model_file_paths",
    "read_sbml_text",
    "write_model_file",
]
