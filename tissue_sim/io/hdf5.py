"""One HDF5 file per run, written atomically; and reading it back.

The file is written under a temporary name in the destination folder and renamed
over ``result.h5`` only when complete, so a crash never leaves a half-written file
that looks finished, and an earlier result is never damaged. Every dataset has a
``units`` attribute. The layout is documented in ``docs/results-format.md``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tissue_sim.io.result import (
    BIOLOGY_COLUMNS,
    STATISTICS_COLUMNS,
    BiologyOutput,
    LoadingOutput,
    MechanicsOutput,
    MeshOutput,
    RunResult,
    StimulusOutput,
)

__all__ = [
    "FORMAT_VERSION",
    "READABLE_FORMAT_VERSIONS",
    "atomic_path",
    "read_result",
    "write_result",
    "write_text_atomic",
]

#: Version of the file layout written (bumped when datasets are added, renamed or removed).
#: 2: the untreated control (``/biology/control``) and the treatment effect
#: (``/biology/effect``) beside the treated course.
#: 3: the skin loads of every frame and the techniques in words (``/loading``); the
#: model's report declarations (``/biology`` attributes ``report_scales``, ``derived``).
FORMAT_VERSION = 3
#: Layout versions :func:`read_result` reads (version 1 has no control, versions 1 and 2
#: no ``/loading``: viz then estimates the loaded area from the skin's displacement).
READABLE_FORMAT_VERSIONS = (1, 2, 3)


@contextmanager
def atomic_path(destination: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it over it on success.

    On an exception the temporary file is removed and ``destination`` is untouched. The
    temporary is created by :func:`tempfile.mkstemp` (exclusive, unpredictable name), so a
    symlink planted beside ``destination`` is never followed.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{destination.name}.tmp-{os.getpid()}-", dir=destination.parent
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, destination)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` under a temporary name, then rename it into place.

    See :func:`atomic_path`: a complete file or none; folders are created.
    """
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


def _write(group: h5py.Group, name: str, data: Any, units: str, description: str = "") -> None:
    dataset = group.create_dataset(name, data=np.asarray(data))
    dataset.attrs["units"] = units
    if description:
        dataset.attrs["description"] = description


def _write_named(group: h5py.Group, arrays: Mapping[str, Any], units: Mapping[str, str]) -> None:
    """One dataset per name, each with its unit (``"1"`` when ``units`` has none)."""
    for name, values in arrays.items():
        _write(group, name, values, units.get(name, "1"))


def _write_layer_tables(
    group: h5py.Group,
    tables: dict[str, dict[str, Any]],
    units: dict[str, str],
    columns: Sequence[str],
) -> None:
    """``layer/quantity`` tables with their unit and the names of their ``columns``."""
    for layer, quantities in tables.items():
        layer_group = group.require_group(layer)
        _write_named(layer_group, quantities, units)
        for quantity in quantities:
            layer_group[quantity].attrs["columns"] = np.array(columns, dtype="S")


def write_result(result: RunResult, path: str | Path) -> Path:
    """Write a run's result to ``path`` atomically and return the path."""
    path = Path(path)
    with atomic_path(path) as temporary, h5py.File(temporary, "w") as f:
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["name"] = result.name
        f.attrs["config"] = result.config
        f.attrs["config_source"] = result.config_source
        f.attrs["config_hash"] = result.config_hash
        versions = result.provenance.get("versions", {})
        f.attrs["tissue_sim_version"] = versions.get("tissue_sim", "")
        for package in ("numpy", "scipy", "h5py", "pyamg"):
            f.attrs[f"{package}_version"] = versions.get(package, "")
        f.attrs["basix_version"] = versions.get("fenics-basix", "")
        f.attrs["provenance"] = json.dumps(result.provenance, sort_keys=True)
        f.attrs["seed"] = int(result.provenance.get("seed", 0))
        f.attrs["timings"] = json.dumps(result.timings, sort_keys=True)
        f.attrs["sources"] = json.dumps(result.sources, sort_keys=True)
        _write_mesh(f.create_group("mesh"), result.mesh)
        _write_mechanics(f.create_group("mechanics"), result.mechanics)
        if result.loading is not None:
            _write_loading(f.create_group("loading"), result.loading)
        if result.stimulus is not None:
            _write_stimulus(f.create_group("stimulus"), result.stimulus)
        if result.biology is not None:
            _write_biology(f.create_group("biology"), result.biology)
    return path


def _write_mesh(group: h5py.Group, mesh: MeshOutput) -> None:
    group.attrs["element"] = mesh.element
    group.attrs["layer_names"] = np.array(mesh.layer_names, dtype="S")
    group.attrs["interfaces"] = np.asarray(mesh.interfaces)
    _write(group, "points", mesh.points, "m", "node coordinates; vertices first")
    _write(group, "cells", mesh.cells, "1", "node indices per cell, basix local order")
    _write(group, "linear_cells", mesh.linear_cells, "1", "vertex connectivity (VTK order)")
    _write(group, "cell_layer", mesh.cell_layer, "1", "layer index per cell (layer_names)")
    _write(group, "cell_volume", mesh.cell_volume, "m**3")


def _write_mechanics(group: h5py.Group, mech: MechanicsOutput) -> None:
    group.attrs["model"] = mech.model
    group.attrs["step_names"] = np.array(mech.step_names, dtype="S")
    group.attrs["solver"] = json.dumps(mech.solver, sort_keys=True, default=float)
    _write(group, "frame_time", mech.frame_time, "s", "time of the frame within its cycle")
    _write(group, "frame_step", mech.frame_step, "1", "technique (session step) of the frame")
    _write(group, "displacement", mech.displacement, "m")
    _write(group, "cell_strain", mech.cell_strain, "1", "volume-averaged strain tensor per cell")
    _write(group, "cell_stress", mech.cell_stress, "Pa", "volume-averaged Cauchy stress per cell")
    _write(group, "applied_force", mech.applied_force, "N", "resultant of the skin tractions")
    _write(group, "base_reaction", mech.base_reaction, "N", "force of the base on the tissue")
    _write_named(group.create_group("cell"), mech.cell_scalars, mech.units)
    _write_layer_tables(
        group.create_group("layer_stats"), mech.layer_stats, mech.units, STATISTICS_COLUMNS
    )


def _write_loading(group: h5py.Group, loading: LoadingOutput) -> None:
    group.attrs["step_names"] = np.array(loading.step_names, dtype="S")
    group.attrs["step_descriptions"] = json.dumps(list(loading.step_descriptions))
    _write(group, "frame_time", loading.frame_time, "s", "time of the frame within its cycle")
    _write(group, "step_duration", loading.step_durations, "s", "time per session per step")
    _write(group, "cycle_period", loading.cycle_periods, "s", "one cycle or stroke per step")
    _write(group, "load_frame", loading.load_frame, "1", "frame of each patch load")
    _write(group, "centre", loading.centre, "m", "patch centre (x, y) on the skin")
    _write(group, "semi_axes", loading.semi_axes, "m", "patch semi-axes (a, b)")
    _write(group, "orientation", loading.orientation, "rad", "patch axis from the x axis")
    _write(group, "edge_width", loading.edge_width, "1", "smooth profile edge taper")
    _write(group, "pressure", loading.pressure, "Pa", "mean normal pressure of the patch")
    _write(group, "shear", loading.shear, "Pa", "mean tangential traction (tx, ty)")
    _write(group, "profile", np.array(loading.profile, dtype="S"), "", "pressure profile")
    _write(group, "shape", np.array(loading.shape, dtype="S"), "", "patch outline")


def _read_loading(group: h5py.Group) -> LoadingOutput:
    return LoadingOutput(
        frame_time=group["frame_time"][()],
        load_frame=group["load_frame"][()].astype(np.int64),
        centre=group["centre"][()].reshape(-1, 2),
        semi_axes=group["semi_axes"][()].reshape(-1, 2),
        orientation=group["orientation"][()],
        profile=_strings(group["profile"][()]),
        shape=_strings(group["shape"][()]),
        edge_width=group["edge_width"][()],
        pressure=group["pressure"][()],
        shear=group["shear"][()].reshape(-1, 2),
        step_names=_strings(group.attrs["step_names"]),
        step_descriptions=tuple(json.loads(group.attrs["step_descriptions"])),
        step_durations=group["step_duration"][()],
        cycle_periods=group["cycle_period"][()],
    )


def _write_stimulus(group: h5py.Group, stim: StimulusOutput) -> None:
    group.attrs["effective_measure"] = stim.effective_measure
    _write_named(group, stim.features, stim.units)
    _write_layer_tables(
        group.create_group("layer_stats"), stim.layer_stats, stim.units, STATISTICS_COLUMNS
    )


def _write_biology(group: h5py.Group, bio: BiologyOutput) -> None:
    group.attrs["species"] = np.array(bio.species, dtype="S")
    group.attrs["models"] = np.array(bio.models, dtype="S")
    group.attrs["initial_state"] = bio.initial_state
    group.attrs["report_species"] = np.array(bio.report_species, dtype="S")
    group.attrs["species_labels"] = json.dumps(bio.species_labels, sort_keys=True)
    group.attrs["report_scales"] = json.dumps(bio.report_scales, sort_keys=True)
    group.attrs["derived"] = json.dumps(
        {name: [text, bio.units.get(name, "1")] for name, text in bio.derived.items()},
        sort_keys=True,
    )
    group.attrs["statistics"] = json.dumps(bio.statistics, sort_keys=True, default=float)
    group.attrs["parameters"] = json.dumps(bio.parameters, sort_keys=True, default=float)
    _write(group, "time", bio.time, "s", "output times of the layer summaries")
    _write(group, "output_times", bio.field_times, "s", "times of /biology/fields")
    _write(group, "session_intervals", bio.session_intervals, "s", "session start and end")
    _write_layer_tables(group.create_group("layers"), bio.layers, bio.units, BIOLOGY_COLUMNS)
    _write_named(group.create_group("fields"), bio.fields, bio.units)
    _write(group, "final_state", bio.final_state, "mixed", "(cells, species) at the final time")
    group["final_state"].attrs["species_units"] = np.array(
        [bio.units.get(s, "1") for s in bio.species], dtype="S"
    )
    if bio.remodelling is not None:
        from tissue_sim.remodelling.output import write_remodelling_group

        write_remodelling_group(group.create_group("remodelling"), bio.remodelling)
    if bio.control is None:
        return
    control = group.create_group("control")
    control.attrs["description"] = (
        "the untreated control: the same course from the same initial state, no sessions"
    )
    _write_layer_tables(control.create_group("layers"), bio.control, bio.units, BIOLOGY_COLUMNS)
    _write_named(control.create_group("fields"), bio.control_fields, bio.units)
    effect = group.create_group("effect")
    effect.attrs["description"] = "treatment effect: treated statistic vs untreated statistic"
    difference = effect.create_group("difference")
    difference.attrs["description"] = "treated − untreated, column by column"
    _write_layer_tables(difference, bio.effect_difference, bio.units, BIOLOGY_COLUMNS)
    ratio = effect.create_group("ratio")
    ratio.attrs["description"] = "treated ÷ untreated, column by column (NaN where untreated 0)"
    _write_layer_tables(ratio, bio.effect_ratio, {}, BIOLOGY_COLUMNS)


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values))


def _read_group_arrays(group: h5py.Group) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    arrays: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for name, item in group.items():
        if isinstance(item, h5py.Dataset):
            arrays[name] = item[()]
            units[name] = str(item.attrs.get("units", "1"))
    return arrays, units


def _read_stats(group: h5py.Group, order: tuple[str, ...] = ()) -> dict[str, dict[str, np.ndarray]]:
    """``layer → name → array``, layers in ``order`` (HDF5 lists groups alphabetically)."""
    rank = {layer: index for index, layer in enumerate(order)}
    layers = sorted(group, key=lambda layer: (rank.get(layer, len(rank)), layer))
    return {layer: {name: ds[()] for name, ds in group[layer].items()} for layer in layers}


def read_result(path: str | Path) -> RunResult:
    """Read a ``result.h5`` back into a :class:`RunResult`.

    Raises
    ------
    tissue_sim.errors.InputError
        If the file does not exist or is not a tissue_sim result.
    """
    from tissue_sim.errors import InputError

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"not an HDF5 file ({exc})", file=str(path)) from None
    with f:
        if "format_version" not in f.attrs or "mesh" not in f:
            raise InputError("not a tissue_sim result (no /mesh or format_version)", file=str(path))
        version = int(f.attrs["format_version"])
        if version not in READABLE_FORMAT_VERSIONS:
            readable = ", ".join(str(v) for v in READABLE_FORMAT_VERSIONS)
            raise InputError(
                f"result format version {version} cannot be read by this tissue_sim "
                f"(it reads versions {readable}); use the tissue_sim that wrote it "
                f"({f.attrs.get('tissue_sim_version', 'unknown')}) or a newer one",
                file=str(path),
            )
        m = f["mesh"]
        mesh = MeshOutput(
            points=m["points"][()],
            cells=m["cells"][()],
            linear_cells=m["linear_cells"][()],
            element=str(m.attrs["element"]),
            cell_layer=m["cell_layer"][()],
            layer_names=_strings(m.attrs["layer_names"]),
            cell_volume=m["cell_volume"][()],
            interfaces=tuple(float(z) for z in m.attrs["interfaces"]),
        )
        g = f["mechanics"]
        scalars, scalar_units = _read_group_arrays(g["cell"])
        mechanics = MechanicsOutput(
            frame_time=g["frame_time"][()],
            frame_step=g["frame_step"][()],
            step_names=_strings(g.attrs["step_names"]),
            displacement=g["displacement"][()],
            cell_strain=g["cell_strain"][()],
            cell_stress=g["cell_stress"][()],
            cell_scalars=scalars,
            applied_force=g["applied_force"][()],
            base_reaction=g["base_reaction"][()],
            layer_stats=_read_stats(g["layer_stats"], mesh.layer_names),
            units=scalar_units,
            solver=json.loads(g.attrs.get("solver", "{}")),
            model=str(g.attrs.get("model", "linear")),
        )
        stimulus = None
        if "stimulus" in f:
            s = f["stimulus"]
            features, units = _read_group_arrays(s)
            stimulus = StimulusOutput(
                features=features,
                units=units,
                layer_stats=_read_stats(s["layer_stats"], mesh.layer_names),
                effective_measure=str(s.attrs["effective_measure"]),
            )
        biology = _read_biology(f["biology"], mesh.layer_names) if "biology" in f else None
        loading = _read_loading(f["loading"]) if "loading" in f else None
        return RunResult(
            name=str(f.attrs["name"]),
            config=str(f.attrs["config"]),
            config_source=str(f.attrs["config_source"]),
            config_hash=str(f.attrs["config_hash"]),
            mesh=mesh,
            mechanics=mechanics,
            stimulus=stimulus,
            biology=biology,
            loading=loading,
            provenance=json.loads(f.attrs.get("provenance", "{}")),
            timings=json.loads(f.attrs.get("timings", "{}")),
            sources=json.loads(f.attrs.get("sources", "{}")),
        )


def _read_biology(b: h5py.Group, layer_names: tuple[str, ...]) -> BiologyOutput:
    species = _strings(b.attrs["species"])
    units_by_species = {name: str(ds.attrs.get("units", "1")) for name, ds in b["fields"].items()}
    for layer_group in b["layers"].values():
        for name, ds in layer_group.items():
            units_by_species.setdefault(name, str(ds.attrs.get("units", "1")))
    derived = json.loads(b.attrs.get("derived", "{}"))  # format version 3
    for name, (_, unit) in derived.items():
        units_by_species[name] = str(unit)
    control = None
    control_fields: dict[str, np.ndarray] = {}
    if "control" in b:  # format version 2
        control = _read_stats(b["control/layers"], layer_names)
        control_fields = {name: ds[()] for name, ds in b["control/fields"].items()}
    return BiologyOutput(
        time=b["time"][()],
        species=species,
        layers=_read_stats(b["layers"], layer_names),
        field_times=b["output_times"][()],
        fields={name: ds[()] for name, ds in b["fields"].items()},
        final_state=b["final_state"][()],
        units=units_by_species,
        models=_strings(b.attrs["models"]),
        initial_state=str(b.attrs["initial_state"]),
        session_intervals=b["session_intervals"][()],
        parameters={k: tuple(v) for k, v in json.loads(b.attrs.get("parameters", "{}")).items()},
        statistics=json.loads(b.attrs.get("statistics", "{}")),
        control=control,
        control_fields=control_fields,
        report_species=_strings(b.attrs.get("report_species", [])),
        species_labels=json.loads(b.attrs.get("species_labels", "{}")),
        report_scales=json.loads(b.attrs.get("report_scales", "{}")),
        derived={name: str(text) for name, (text, _) in derived.items()},
        remodelling=_read_remodelling(b),
    )


def _read_remodelling(b: h5py.Group) -> Any:
    """``/biology/remodelling`` (:mod:`tissue_sim.remodelling.output`), or ``None``."""
    if "remodelling" not in b:
        return None
    from tissue_sim.remodelling.output import read_remodelling_group

    return read_remodelling_group(b["remodelling"])
