"""A small synthetic :class:`RunResult` for the figure tests: plotting code, not the models.

Everything is a closed-form field on a structured hex block (12 × 8 cells, three layers):
a patch load gliding along x over three frames, a displacement dip and strains under it,
and a user-named cell model (``cytokine_x``, ``cell_a``, ``cell_b`` and the derived
``b_share``) whose treated course departs from its untreated control in proportion to
the strain. No mesher, solver or integrator runs, so the pictures change only when the
plotting code does.
"""

from __future__ import annotations

import numpy as np

from tissue_sim.geometry.layer_statistics import STATISTICS, layer_statistics
from tissue_sim.io import (
    BiologyOutput,
    LoadingOutput,
    MechanicsOutput,
    MeshOutput,
    RunResult,
    StimulusOutput,
)

#: Layers, top first, and their thicknesses [m].
LAYERS = ("skin", "adipose", "muscle")
THICKNESS = (2e-3, 5e-3, 5e-3)
#: Cells per layer through the depth, top first.
LAYER_CELLS = (1, 2, 3)
SIZE = (0.03, 0.02)
CELLS_XY = (12, 8)
#: Patch centres of the three frames along x [m].
CENTRES = (-0.006, 0.0, 0.006)
PRESSURE = 10e3
SHEAR = 2e3
SEMI_AXES = (0.005, 0.004)
#: The user's own model: species, the derived quantity and the labels a model file declares.
SPECIES = ("cytokine_x", "cell_a", "cell_b")
DERIVED = {"b_share": "cell_b / (cell_a + cell_b)"}
LABELS = {"cytokine_x": "cytokine X", "cell_b": "B cells (repair)", "b_share": "B share"}
REPORT = ("cytokine_x", "cell_b", "b_share")

_DAY = 86400.0


def _mesh() -> MeshOutput:
    nx, ny = CELLS_XY
    x = np.linspace(-SIZE[0] / 2, SIZE[0] / 2, nx + 1)
    y = np.linspace(-SIZE[1] / 2, SIZE[1] / 2, ny + 1)
    interfaces = np.concatenate([[0.0], np.cumsum(THICKNESS[::-1])])  # bottom to top
    z = np.concatenate(
        [
            np.linspace(low, high, count + 1)[:-1]
            for low, high, count in zip(
                interfaces[:-1], interfaces[1:], LAYER_CELLS[::-1], strict=True
            )
        ]
        + [interfaces[-1:]]
    )
    nz = z.size - 1
    grid = np.stack(np.meshgrid(x, y, z, indexing="ij"), axis=-1).reshape(-1, 3)
    index = np.arange(grid.shape[0]).reshape(nx + 1, ny + 1, nz + 1)
    i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    i, j, k = i.ravel(), j.ravel(), k.ravel()
    corners = [
        (0, 0, 0),
        (1, 0, 0),
        (1, 1, 0),
        (0, 1, 0),
        (0, 0, 1),
        (1, 0, 1),
        (1, 1, 1),
        (0, 1, 1),
    ]
    vtk = np.column_stack([index[i + a, j + b, k + c] for a, b, c in corners])
    basix = vtk[:, [0, 1, 3, 2, 4, 5, 7, 6]]
    bottom_up = np.repeat(np.arange(len(LAYERS))[::-1], LAYER_CELLS[::-1])  # layer per z row
    volume = np.diff(x)[i] * np.diff(y)[j] * np.diff(z)[k]
    return MeshOutput(
        points=grid,
        cells=basix.astype(np.int64),
        linear_cells=vtk.astype(np.int64),
        element="Q1",
        cell_layer=bottom_up[k].astype(np.int32),
        layer_names=LAYERS,
        cell_volume=volume,
        interfaces=tuple(float(h) for h in interfaces),
    )


def _bump(xy: np.ndarray, centre: float) -> np.ndarray:
    return np.exp(-((xy[..., 0] - centre) ** 2) / (2 * 0.004**2) - xy[..., 1] ** 2 / (2 * 0.004**2))


def _layer_stats(
    fields: dict[str, np.ndarray], mesh: MeshOutput
) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {layer: {} for layer in LAYERS}
    for name, values in fields.items():
        rows = np.atleast_2d(values)
        tables = {layer: np.empty((rows.shape[0], len(STATISTICS))) for layer in LAYERS}
        for frame, row in enumerate(rows):
            stats = layer_statistics(row, mesh.cell_layer, mesh.cell_volume)
            for index, layer in enumerate(LAYERS):
                tables[layer][frame] = [stats[index][column] for column in STATISTICS]
        for layer in LAYERS:
            out[layer][name] = tables[layer] if np.ndim(values) == 2 else tables[layer][0]
    return out


def _mechanics(mesh: MeshOutput) -> MechanicsOutput:
    points = mesh.points
    height = float(points[:, 2].max())
    centres = points[mesh.linear_cells].mean(axis=1)
    stiffness = np.array([1.0, 3.0, 0.6])[mesh.cell_layer]  # adipose strains most
    displacement = np.zeros((len(CENTRES), points.shape[0], 3))
    strain = np.zeros((len(CENTRES), centres.shape[0]))
    for frame, centre in enumerate(CENTRES):
        dip = _bump(points[:, :2], centre) * points[:, 2] / height
        displacement[frame, :, 2] = -1e-3 * dip
        displacement[frame, :, 0] = 2e-4 * dip
        strain[frame] = 0.02 * stiffness * _bump(centres[:, :2], centre) * centres[:, 2] / height
    scalars = {
        "max_principal_strain": strain,
        "max_shear_strain": 1.5 * strain,
        "min_principal_strain": -0.8 * strain,
        "von_mises_stress": 4e4 * strain / stiffness,
    }
    units = {"max_principal_strain": "1", "max_shear_strain": "1", "min_principal_strain": "1"}
    units["von_mises_stress"] = "Pa"
    tensor = np.zeros((len(CENTRES), centres.shape[0], 3, 3))
    tensor[..., 0, 0], tensor[..., 2, 2] = strain, -0.8 * strain
    area = np.pi * SEMI_AXES[0] * SEMI_AXES[1]
    force = np.tile([SHEAR * area, 0.0, -PRESSURE * area], (len(CENTRES), 1))
    return MechanicsOutput(
        frame_time=np.array([0.0, 0.1, 0.2]),
        frame_step=np.zeros(len(CENTRES), dtype=np.int32),
        step_names=("effleurage",),
        displacement=displacement,
        cell_strain=tensor,
        cell_stress=4e4 * tensor,
        cell_scalars=scalars,
        applied_force=force,
        base_reaction=-force,
        layer_stats=_layer_stats(scalars, mesh),
        units=units,
    )


def _loading() -> LoadingOutput:
    count = len(CENTRES)
    return LoadingOutput(
        frame_time=np.array([0.0, 0.1, 0.2]),
        load_frame=np.arange(count, dtype=np.int64),
        centre=np.array([(x, 0.0) for x in CENTRES]),
        semi_axes=np.tile(SEMI_AXES, (count, 1)),
        orientation=np.zeros(count),
        profile=("hertzian",) * count,
        shape=("ellipse",) * count,
        edge_width=np.full(count, 0.2),
        pressure=np.full(count, PRESSURE),
        shear=np.tile([SHEAR, 0.0], (count, 1)),
        step_names=("effleurage",),
        step_descriptions=("effleurage at 10 kPa mean pressure over a synthetic patch",),
        step_durations=np.array([600.0]),
        cycle_periods=np.array([0.3]),
    )


def _biology(mesh: MeshOutput, strain: np.ndarray) -> BiologyOutput:
    time = np.linspace(0.0, 2 * _DAY, 49)
    sessions = np.array([[0.4 * _DAY, 0.41 * _DAY], [1.4 * _DAY, 1.41 * _DAY]])
    # dose per cell: its peak strain; the treated course departs from the control after
    # each session, in proportion to the dose
    dose = strain.max(axis=0) / 0.02
    after = np.clip((time[:, None] - sessions[:, 0]) / _DAY, 0.0, None)
    response = np.sum((after > 0) * np.exp(-after / 0.5), axis=1)  # (T,)
    control_values = {"cytokine_x": 1.5 - 0.2 * time / (2 * _DAY), "cell_a": 0.3 + 0 * time}
    control_values["cell_b"] = 0.6 + 0.05 * time / (2 * _DAY)
    effect = {"cytokine_x": -0.4, "cell_a": -0.3, "cell_b": 0.2}

    def course(name: str, per_cell: np.ndarray) -> np.ndarray:
        base = control_values[name][:, None]
        return base * (1.0 + effect[name] * response[:, None] * per_cell[None, :])

    layers, control, fields, control_fields = {}, {}, {}, {}
    field_index = [24, 48]
    for index, layer in enumerate(LAYERS):
        members = mesh.cell_layer == index
        weights = mesh.cell_volume[members] / mesh.cell_volume[members].sum()
        layers[layer], control[layer] = {}, {}
        for name in SPECIES:
            per_cell = course(name, dose[members])
            mean = per_cell @ weights
            spread = np.abs(per_cell - mean[:, None]).max(axis=1)
            layers[layer][name] = np.column_stack([mean, mean - 0.5 * spread, mean + 0.5 * spread])
            base = control_values[name]
            control[layer][name] = np.column_stack([base, base, base])
    for name in SPECIES:
        fields[name] = course(name, dose)[field_index]
        control_fields[name] = np.repeat(control_values[name][field_index, None], dose.size, 1)
    return BiologyOutput(
        time=time,
        species=SPECIES,
        layers=layers,
        field_times=time[field_index],
        fields=fields,
        final_state=np.column_stack([fields[name][-1] for name in SPECIES]),
        units={name: "1" for name in (*SPECIES, *DERIVED)},
        models=("my_cells",),
        initial_state="healthy",
        session_intervals=sessions,
        parameters={"my_cells.k_on": (1e-4, "1/s", "assumption: synthetic")},
        control=control,
        control_fields=control_fields,
        report_species=REPORT,
        species_labels=dict(LABELS),
        report_scales={"cell_b": "healthy B cells"},
        derived=dict(DERIVED),
    )


def synthetic_result() -> RunResult:
    """The synthetic run (see the module docstring)."""
    mesh = _mesh()
    mechanics = _mechanics(mesh)
    peak = mechanics.cell_scalars["max_principal_strain"].max(axis=0)
    stimulus = StimulusOutput(
        features={"effective_strain_peak": peak},
        units={"effective_strain_peak": "1"},
        layer_stats=_layer_stats({"effective_strain_peak": peak}, mesh),
        effective_measure="max_principal_strain",
    )
    return RunResult(
        name="synthetic",
        config="name: synthetic\n",
        config_source="name: synthetic\n",
        config_hash="0" * 64,
        mesh=mesh,
        mechanics=mechanics,
        stimulus=stimulus,
        biology=_biology(mesh, mechanics.cell_scalars["max_principal_strain"]),
        loading=_loading(),
    )
