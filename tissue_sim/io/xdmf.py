"""XDMF descriptions of a result file, so that ParaView and ``pyvista.read`` open the fields.

The XDMF files hold no data: they point into ``result.h5`` (HDF5 hyperslabs pick one
frame of a ``(K, ...)`` dataset). ``result.xdmf`` steps through the load frames of the
mechanics (time value = frame index); ``biology.xdmf`` steps through the biology fields
at their output times (time value in days).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from tissue_sim.io.hdf5 import atomic_path
from tissue_sim.io.result import RunResult

__all__ = ["write_xdmf"]

_TOPOLOGY = {4: "Tetrahedron", 8: "Hexahedron"}


def _item(h5: str, path: str, shape: Sequence[int], number_type: str = "Float") -> str:
    precision = 8
    dims = " ".join(str(int(s)) for s in shape)
    return (
        f'<DataItem Dimensions="{dims}" NumberType="{number_type}" Precision="{precision}" '
        f'Format="HDF">{escape(h5)}:{path}</DataItem>'
    )


def _slab(h5: str, path: str, full_shape: Sequence[int], index: int) -> str:
    rank = len(full_shape)
    start = [index] + [0] * (rank - 1)
    stride = [1] * rank
    count = [1, *full_shape[1:]]
    selection = " ".join(str(v) for v in (*start, *stride, *count))
    dims = " ".join(str(int(s)) for s in full_shape[1:])
    return (
        f'<DataItem ItemType="HyperSlab" Dimensions="{dims}" Type="HyperSlab">'
        f'<DataItem Dimensions="3 {rank}" Format="XML">{selection}</DataItem>'
        f"{_item(h5, path, full_shape)}</DataItem>"
    )


def _grid_header(result: RunResult, h5: str, name: str, time: float) -> list[str]:
    mesh = result.mesh
    m, k = mesh.linear_cells.shape
    n = mesh.points.shape[0]
    return [
        f'<Grid Name="{escape(name)}" GridType="Uniform">',
        f'<Time Value="{time:.10g}"/>',
        f'<Topology TopologyType="{_TOPOLOGY[k]}" NumberOfElements="{m}">',
        _item(h5, "/mesh/linear_cells", (m, k), "Int"),
        "</Topology>",
        '<Geometry GeometryType="XYZ">',
        _item(h5, "/mesh/points", (n, 3)),
        "</Geometry>",
        '<Attribute Name="layer" AttributeType="Scalar" Center="Cell">',
        _item(h5, "/mesh/cell_layer", (m,), "Int").replace('Precision="8"', 'Precision="4"'),
        "</Attribute>",
    ]


def _document(grids: list[str]) -> str:
    return "\n".join(
        [
            '<?xml version="1.0" ?>',
            '<Xdmf Version="2.0">',
            "<Domain>",
            '<Grid Name="frames" GridType="Collection" CollectionType="Temporal">',
            *grids,
            "</Grid>",
            "</Domain>",
            "</Xdmf>",
            "",
        ]
    )


def write_xdmf(result: RunResult, h5_path: str | Path) -> list[Path]:
    """Write ``result.xdmf`` (and ``biology.xdmf`` if there is biology) beside the HDF5 file.

    Parameters
    ----------
    result
        The result that was written to ``h5_path``.
    h5_path
        The HDF5 file the XDMF points into (referenced by its file name, so the folder
        can be moved as a whole).

    Returns
    -------
    list of Path
        The XDMF files written.
    """
    h5_path = Path(h5_path)
    h5 = h5_path.name
    mesh = result.mesh
    mech = result.mechanics
    n = mesh.points.shape[0]
    m = mesh.linear_cells.shape[0]
    frames = mech.displacement.shape[0]
    grids: list[str] = []
    for k in range(frames):
        grid = _grid_header(result, h5, f"frame_{k}", float(k))
        grid += [
            '<Attribute Name="displacement" AttributeType="Vector" Center="Node">',
            _slab(h5, "/mechanics/displacement", (frames, n, 3), k),
            "</Attribute>",
        ]
        for name in mech.cell_scalars:
            grid += [
                f'<Attribute Name="{escape(name)}" AttributeType="Scalar" Center="Cell">',
                _slab(h5, f"/mechanics/cell/{name}", (frames, m), k),
                "</Attribute>",
            ]
        if result.stimulus is not None:
            for name, values in result.stimulus.features.items():
                if np.ndim(values) == 1:
                    label = escape(f"stimulus_{name}")
                    grid += [
                        f'<Attribute Name="{label}" AttributeType="Scalar" Center="Cell">',
                        _item(h5, f"/stimulus/{name}", (m,)),
                        "</Attribute>",
                    ]
        grid.append("</Grid>")
        grids.extend(grid)
    written = []
    target = h5_path.with_name("result.xdmf")
    with atomic_path(target) as temporary:
        temporary.write_text(_document(grids), encoding="utf-8")
    written.append(target)
    if result.biology is not None and result.biology.field_times.size:
        bio = result.biology
        times = bio.field_times
        grids = []
        for index, t in enumerate(times):
            grid = _grid_header(result, h5, f"day_{t / 86400.0:.3f}", float(t) / 86400.0)
            for name in bio.fields:
                grid += [
                    f'<Attribute Name="{escape(name)}" AttributeType="Scalar" Center="Cell">',
                    _slab(h5, f"/biology/fields/{name}", (times.size, m), index),
                    "</Attribute>",
                ]
            grid.append("</Grid>")
            grids.extend(grid)
        target = h5_path.with_name("biology.xdmf")
        with atomic_path(target) as temporary:
            temporary.write_text(_document(grids), encoding="utf-8")
        written.append(target)
    return written
