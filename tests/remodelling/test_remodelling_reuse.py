"""A remodelling re-solve reuses the skin loads of the first solve (issue 15 item 3: reuse
what does not change between updates).

The skin loads of a session (:func:`tissue_sim.mechanics.session.session_loads`) depend on
the mesh's points and skin facets and on the technique steps, not on the stiffness, so
the loads built on the stiffness-class mesh equal those of the original mesh bit for bit,
and a solve given them equals one that builds its own, bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tissue_sim import load_config
from tissue_sim.mechanics.session import (
    MechanicsSettings,
    session_loads,
    solve_session_mechanics,
)
from tissue_sim.pipeline import _materials, build_mesh
from tissue_sim.remodelling import stiffness_classes

CONFIG = "configs/static_compression.yaml"
SMALL = ["mesh.size=coarse", "tissue.size=[4 cm, 4 cm]", "biology.enabled=false"]


def _arrays(value: object) -> list[np.ndarray]:
    """Every array of a (nested) frozen dataclass, in field order."""
    out: list[np.ndarray] = []
    if isinstance(value, np.ndarray):
        out.append(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            out.extend(_arrays(getattr(value, item.name)))
    elif isinstance(value, list | tuple):
        for item in value:
            out.extend(_arrays(item))
    return out


def test_stiffness_classes_keep_the_skin_loads_and_a_solve_reuses_them() -> None:
    scenario = load_config(CONFIG, [*SMALL, "mechanics.model=linear", "mechanics.solver=direct"])
    mesh = build_mesh(scenario)
    materials = _materials(scenario)
    settings = MechanicsSettings(model="linear", solver="direct")
    steps = scenario.loading.steps
    loads = session_loads(mesh, steps, settings, smallest_feature=0.005)
    factors = np.exp(np.random.default_rng(3).uniform(0.0, np.log(2.0), mesh.num_cells))
    classes = stiffness_classes(mesh, materials, factors, np.ones(mesh.num_cells))
    assert len(classes.materials) > len(materials)  # the classes mesh differs in its tags
    again = session_loads(classes.mesh, steps, settings, smallest_feature=0.005)
    ours, theirs = _arrays(loads), _arrays(again)
    assert len(ours) == len(theirs) > 0
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    built = solve_session_mechanics(
        classes.mesh, classes.materials, steps, settings, smallest_feature=0.005
    )
    reused = solve_session_mechanics(
        classes.mesh, classes.materials, steps, settings, smallest_feature=0.005, loads=loads
    )
    assert np.array_equal(built.displacement, reused.displacement)
    assert np.array_equal(built.cell_strain, reused.cell_strain)
