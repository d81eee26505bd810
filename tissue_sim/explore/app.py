"""The explorer's page: a trame server with Vuetify controls and two pictures.

The strain section is a pyvista scene rendered off-screen on the server (EGL, no display)
and streamed to the page by trame's remote view, so the browser needs no WebGL; the
effect plot is a matplotlib PNG. A change of a control is answered in a worker thread
(:meth:`tissue_sim.explore.ExploreModel.answer`); changes that arrive meanwhile are
coalesced into one more answer. The page states how its numbers were obtained.

Element ids the tests (and a reader of the page) rely on: ``method`` (the method
sentence), ``status``, ``strain-view``, ``effect-plot``, ``effect-table``,
``answer-count`` (answers shown so far) and ``control-<name>`` around every control.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from tissue_sim.errors import InputError, RunError
from tissue_sim.explore.controls import PRESETS, THICKNESS_FACTORS, Controls, mechanics_key
from tissue_sim.explore.figures import SectionScene, effect_png, species_label
from tissue_sim.explore.model import Answer, ExploreModel
from tissue_sim.loading import TECHNIQUES, technique_footprint

__all__ = ["COLOUR_SCALES", "ExploreApp"]

#: Tops of the strain colour scale offered [%].
COLOUR_SCALES = (5, 10, 20, 40, 80)

_LIMITS = (
    "Limits: a quasi-static, layered block on a fixed base (no bone shape, no blood flow, "
    "no nerves); the cell models are hypotheses fitted to the sources in docs/biology.md; "
    "the layer summaries come from dose classes of each layer (docs/explore.md); "
    "expectation, context and the person receiving the massage are not modelled."
)


def _technique_label(name: str) -> str:
    return name.replace("_", " ")


def _format_effect(ratio: float, difference: float) -> str:
    if not np.isfinite(ratio):
        return f"n/a ({difference:+.2g})"
    return f"×{ratio:.3f} ({difference:+.2g})"


class ExploreApp:
    """The trame application around an :class:`~tissue_sim.explore.ExploreModel`.

    Parameters
    ----------
    model
        The fast model.
    controls
        The controls shown first (their answer is computed before the server starts).
    """

    def __init__(self, model: ExploreModel, controls: Controls) -> None:
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
        from trame.app import get_server

        self.model = model
        self.controls = controls
        self.server = get_server("tissue_sim_explore", client_type="vue3")
        self.state = self.server.state
        self.scene = SectionScene(window_size=(720, 440))
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: Controls | None = None
        self._working = False
        self._answer: Answer | None = None
        self._view: Any = None
        self._initial_state(controls)
        self._build_ui()
        self.state.change(
            "preset",
            "technique",
            "pressure_kpa",
            "shear_ratio",
            "thickness_factor",
            "days",
            "sessions_per_week",
            "session_minutes",
        )(self._on_control)
        self.state.change("species", "colour_scale")(self._on_view_control)

    # -- state ----------------------------------------------------------------------------
    def _thickness_items(self, preset: str) -> list[dict[str, Any]]:
        base = self.model.adipose_thickness(preset) * 1000.0
        return [
            {
                "title": f"{base * factor:.3g} mm" + (" (preset)" if factor == 1.0 else ""),
                "value": factor,
            }
            for factor in THICKNESS_FACTORS
        ]

    def _initial_state(self, controls: Controls) -> None:
        state = self.state
        state.trame__title = "tissue-sim explore"
        state.preset = controls.preset
        state.preset_items = list(PRESETS)
        state.technique = controls.technique
        state.technique_items = [{"title": _technique_label(n), "value": n} for n in TECHNIQUES]
        state.pressure_kpa = controls.pressure / 1000.0
        state.pressure_max = 40.0
        state.shear_ratio = controls.shear_ratio
        state.thickness_factor = controls.thickness_factor
        state.thickness_items = self._thickness_items(controls.preset)
        state.days = controls.days
        state.sessions_per_week = controls.sessions_per_week
        state.session_minutes = controls.session_minutes
        state.species = controls.species
        state.species_items = []
        state.colour_scale = 40
        state.colour_scale_items = list(COLOUR_SCALES)
        state.method_text = ""
        state.status_text = "starting"
        state.notes = []
        state.effect_src = ""
        state.table_layers = []
        state.table_rows = []
        state.answer_count = 0
        state.busy = False
        state.strain_summary = ""
        state.strain_title = ""

    def _controls_from_state(self) -> Controls:
        state = self.state
        return Controls(
            preset=str(state.preset),
            technique=str(state.technique),
            pressure=float(state.pressure_kpa) * 1000.0,
            shear_ratio=float(state.shear_ratio),
            thickness_factor=float(state.thickness_factor),
            days=int(state.days),
            sessions_per_week=int(state.sessions_per_week),
            session_minutes=float(state.session_minutes),
            species=state.species or None,
        )

    # -- page -----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        from trame.ui.vuetify3 import SinglePageWithDrawerLayout
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3
        from trame_pyvista import PyVistaRemoteView

        with SinglePageWithDrawerLayout(self.server) as layout:
            layout.title.set_text("tissue-sim explore: massage load and treatment effect")
            with layout.toolbar:
                v3.VSpacer()
                v3.VProgressCircular(indeterminate=True, v_show=("busy",), size=24, classes="mr-4")
            with layout.drawer as drawer:
                drawer.width = 330
                with v3.VContainer(classes="pa-3"):
                    self._select("preset", "tissue preset", "preset_items")
                    self._select("technique", "technique", "technique_items")
                    self._slider("pressure_kpa", "pressure [kPa]", 0.0, ("pressure_max", 40.0), 0.5)
                    self._slider("shear_ratio", "shear ÷ pressure [-]", 0.0, 0.5, 0.05)
                    self._select("thickness_factor", "adipose thickness", "thickness_items")
                    html.Div("course", classes="text-subtitle-2 mt-2")
                    self._slider("days", "course length [days]", 1, 28, 1)
                    self._slider("sessions_per_week", "sessions per week", 1, 7, 1)
                    self._slider("session_minutes", "session length [min]", 1, 60, 1)
                    html.Div("view", classes="text-subtitle-2 mt-2")
                    self._select("species", "species in the effect plot", "species_items")
                    self._select(
                        "colour_scale", "strain colour scale up to [%]", "colour_scale_items"
                    )
            with layout.content, v3.VContainer(fluid=True, classes="pa-2"):
                html.Div(
                    "{{ method_text }}",
                    id="method",
                    classes="text-body-2 font-weight-medium mb-1",
                )
                html.Div("{{ status_text }}", id="status", classes="text-caption mb-1")
                html.Div("{{ answer_count }}", id="answer-count", style="display: none")
                html.Div("{{ strain_title }}", id="strain-title", style="display: none")
                html.Div(
                    "{{ note }}",
                    v_for="note in notes",
                    key="note",
                    classes="text-body-2 text-red-darken-2",
                )
                with html.Div(style="display: flex; flex-wrap: wrap; gap: 8px"):
                    with html.Div(
                        id="strain-view", style="width: 720px; height: 440px; flex: none"
                    ):
                        self._view = PyVistaRemoteView(self.scene.plotter)
                    html.Img(
                        id="effect-plot",
                        src=("effect_src", ""),
                        style="width: 720px; height: 440px; flex: none",
                    )
                html.Div("{{ strain_summary }}", id="strain-summary", classes="text-body-2")
                with v3.VTable(density="compact", id="effect-table", classes="mt-1"):
                    with html.Thead(), html.Tr():
                        html.Th("species [unit], end of course")
                        html.Th("{{ layer }}", v_for="layer in table_layers", key="layer")
                    with html.Tbody(), html.Tr(v_for="row in table_rows", key="row.name"):
                        html.Td("{{ row.label }}")
                        html.Td("{{ cell }}", v_for="(cell, i) in row.cells", key="i")
                html.Div(
                    "Effect = treated ÷ untreated layer mean (treated − untreated); "
                    "untreated = the same course from the same initial state without "
                    "sessions.",
                    classes="text-caption mt-1",
                )
                html.Div(_LIMITS, classes="text-caption mt-1")

    def _select(self, name: str, label: str, items: str) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(id=f"control-{name}"):
            v3.VSelect(
                v_model=(name,),
                items=(items,),
                label=label,
                density="compact",
                hide_details=True,
                classes="mb-3",
            )

    def _slider(
        self, name: str, label: str, low: float, high: float | tuple[str, float], step: float
    ) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(id=f"control-{name}"):
            html.Div(f"{label}: {{{{ {name} }}}}", classes="text-caption")
            v3.VSlider(
                v_model=(name,),
                min=low,
                max=high,
                step=step,
                density="compact",
                hide_details=True,
                classes="mb-1",
            )

    # -- answers --------------------------------------------------------------------------
    def _on_control(self, **_: Any) -> None:
        if self.state.preset != self.controls.preset:
            self.state.thickness_items = self._thickness_items(str(self.state.preset))
        self._request()

    def _on_view_control(self, **_: Any) -> None:
        """Species or colour scale: redraw the last answer (nothing to recompute)."""
        if self._answer is None or self._working:
            self._request()
            return
        species = self.state.species or None
        answer = replace(self._answer, controls=self._answer.controls.with_changes(species=species))
        self._show(answer, self._effect_png(answer))

    def _request(self) -> None:
        try:
            controls = self._controls_from_state()
        except ValueError as error:
            self.state.status_text = f"not a valid choice: {error}"
            return
        unchanged = controls.with_changes(species=None) == self.controls.with_changes(species=None)
        if unchanged and not self._working and self._answer is not None:
            return  # e.g. a page (re)connecting sends the values it was given
        self._pending = controls
        if not self._working:
            from trame.app import asynchronous

            self._working = True
            asynchronous.create_task(self._work())

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending is not None:
                controls, self._pending = self._pending, None
                new_mechanics = mechanics_key(controls) not in self.model._entries
                with self.state:
                    self.state.busy = True
                    self.state.status_text = (
                        "building the mechanics of this preset, technique and thickness "
                        "(first time only: a finite-strain grid takes minutes)…"
                        if new_mechanics
                        else "computing…"
                    )
                try:
                    answer = await loop.run_in_executor(self._pool, self.model.answer, controls)
                    png = await loop.run_in_executor(self._pool, self._effect_png, answer)
                except (InputError, RunError, ValueError) as error:
                    with self.state:
                        self.state.status_text = f"could not answer: {error}"
                        self.state.busy = False
                    continue
                self._show(answer, png)
        finally:
            self._working = False

    def _effect_png(self, answer: Answer) -> bytes:
        species = self._species(answer)
        bio = answer.biology
        title = (
            f"{species_label(bio, species)}: {_technique_label(answer.controls.technique)} on "
            f"{answer.controls.preset}, {answer.controls.pressure / 1000:g} kPa, "
            f"{len(bio.session_intervals)} sessions over {answer.controls.days} days"
        )
        return effect_png(bio, species, title=title)

    def _species(self, answer: Answer) -> str:
        chosen = answer.controls.species
        if chosen in answer.biology.species:
            return str(chosen)
        return answer.biology.shown_species()[0]

    def compute_initial(self) -> Answer:
        """Answer the first controls synchronously (before the server starts)."""
        answer = self.model.answer(self.controls)
        self._show(answer, self._effect_png(answer))
        return answer

    def _show(self, answer: Answer, png: bytes) -> None:
        """Update the scene and every state variable from an answer (event-loop thread)."""
        controls = answer.controls
        entry = answer.entry
        technique = answer.scenario.loading.steps[0].technique
        box = technique_footprint(technique)
        title = (
            f"{controls.preset}, {_technique_label(controls.technique)}, "
            f"{controls.pressure / 1000:g} kPa, shear ÷ pressure {controls.shear_ratio:g}; "
            "section y = 0 under the hand (red: loaded skin)"
        )
        self.scene.update(
            entry.mesh,
            answer.dose,
            clim=float(self.state.colour_scale or 40),
            loaded_x=(float(box[0]), float(box[1])),
            title=title,
        )
        if self._view is not None:
            self._view.update()
        bio = answer.biology
        layers = list(bio.layers)
        ratio, difference = bio.effect_ratio, bio.effect_difference
        rows = []
        for name in bio.shown_species():
            cells = [
                _format_effect(
                    float(ratio[layer][name][-1, 0]), float(difference[layer][name][-1, 0])
                )
                if name in ratio.get(layer, {})
                else "–"
                for layer in layers
            ]
            rows.append(
                {
                    "name": name,
                    "label": f"{species_label(bio, name)} [{bio.units.get(name, '1')}]",
                    "cells": cells,
                }
            )
        peaks = []
        for index, layer in enumerate(entry.mesh.layer_names):
            values = answer.dose[entry.mesh.cell_layer == index]
            if values.size:
                peaks.append(f"{layer} {100.0 * float(values.max()):.3g} %")
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in answer.timings.items())
        seconds = sum(answer.timings.values())
        limit = entry.strain_model.pressure_limit
        with self.state:
            self.state.method_text = (
                answer.method[0].upper()
                + answer.method[1:]
                + f" ({bio.statistics.get('points', 0)} dose classes + the untreated control)."
            )
            self.state.status_text = f"answered in {seconds:.2f} s ({timing})"
            self.state.notes = list(answer.notes)
            self.state.effect_src = "data:image/png;base64," + base64.b64encode(png).decode()
            self.state.table_layers = layers
            self.state.table_rows = rows
            self.state.species_items = [
                {"title": species_label(bio, name), "value": name} for name in bio.species
            ]
            if not self.state.species:
                self.state.species = self._species(answer)
            self.state.pressure_max = (
                40.0 if not np.isfinite(limit) else max(0.5, float(limit) / 1000.0)
            )
            self.state.strain_summary = (
                "Largest peak effective strain per layer (the run's effective measure, "
                f"{answer.scenario.stimulus.effective_measure.replace('_', ' ')}): "
                + ", ".join(peaks)
            )
            self.state.strain_title = title
            self.state.answer_count = int(self.state.answer_count or 0) + 1
            self.state.busy = False
        self.controls = controls
        self._answer = answer

    def start(self, port: int, *, open_browser: bool = False) -> None:
        """Serve the page on ``localhost:port`` until interrupted (blocking)."""
        argv, sys.argv = sys.argv, sys.argv[:1]  # trame reads its own options from argv
        try:
            self.server.start(
                port=port, open_browser=open_browser, timeout=0, show_connection_info=True
            )
        finally:
            sys.argv = argv
            self._pool.shutdown(wait=False)
            self.scene.close()
