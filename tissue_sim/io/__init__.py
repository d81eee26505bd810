"""Results on disk: one HDF5 file per run (atomic), XDMF for ParaView, provenance."""

from __future__ import annotations

from tissue_sim.io.hdf5 import (
    FORMAT_VERSION,
    READABLE_FORMAT_VERSIONS,
    atomic_path,
    read_result,
    write_result,
    write_text_atomic,
)
from tissue_sim.io.mesh import mesh_output
from tissue_sim.io.provenance import package_versions, provenance
from tissue_sim.io.result import (
    BIOLOGY_COLUMNS,
    FALLBACK_REPORT_SPECIES,
    STATISTICS_COLUMNS,
    BiologyOutput,
    LoadingOutput,
    MechanicsOutput,
    MeshOutput,
    RunResult,
    StimulusOutput,
)
from tissue_sim.io.xdmf import write_xdmf

__all__ = [
    "BIOLOGY_COLUMNS",
    "FALLBACK_REPORT_SPECIES",
    "FORMAT_VERSION",
    "READABLE_FORMAT_VERSIONS",
    "STATISTICS_COLUMNS",
    "BiologyOutput",
    "LoadingOutput",
    "MechanicsOutput",
    "MeshOutput",
    "RunResult",
    "StimulusOutput",
    "atomic_path",
    "mesh_output",
    "package_versions",
    "provenance",
    "read_result",
    "write_result",
    "write_text_atomic",
    "write_xdmf",
]
