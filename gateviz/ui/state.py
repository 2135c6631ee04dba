"""The app's view state: one QObject every panel listens to (napari-style model/view).

The window owns one ``ViewState``. Panels take it in ``__init__``, connect to its
signals, and never talk to each other. Changing anything goes through the setters,
which emit only when the value really changed.

    traceChanged()          a new model and/or trace (re-read everything)
    stepChanged(int)        the time cursor moved (move cursors; do not redraw images)
    selectionChanged()      layer, direction, pinned units or row order changed
    themeChanged()          theme / presentation mode / colour map changed
    gradientsChanged()      new gradients through time (``gradients``) or the target's settings changed
    interventionsChanged()  the intervention list or an on/off changed (the window re-traces; the
                            new trace arrives with traceChanged)
    comparisonChanged()     show_original / show_difference toggled (panels redraw the overlay)
    ablationChanged()       a new unit ranking (``ablation``)

Gradients (issue 12) are computed off the GUI thread for the step under the cursor; ``gradients``
holds the newest finished result (its ``target.step`` may lag the cursor while one is computed).

Interventions (issue 13): ``interventions`` is the user's list of (Intervention, enabled); ``trace``
is the run with the enabled ones applied, and ``original`` the same input without any (None when
none is enabled), so panels can draw the original beside the intervened run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from gateviz.core.interventions import Intervention
from gateviz.core.model import RecurrentModel
from gateviz.core.trace import Trace

# distinct colours for pinned units (Okabe-Ito, colour-blind safe)
PIN_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#F0E442", "#000000"]


@dataclass(frozen=True)
class Theme:
    name: str = "light"  # "light" | "dark"
    presentation: bool = False  # larger fonts, thicker lines for a lecture hall
    colormap: str = "viridis"  # colour-blind-safe maps only: viridis, cividis, magma; diverging for c/h
    # the cell state's range in the heatmap and the cell diagram: "shared" (one ±max |c| for every
    # unit) or "unit" (each unit against its own max |c|, for models where a few grow far past the rest)
    cell_scale: str = "shared"
    # how GRU panels write the update: "framework" (PyTorch/Keras/ONNX: h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t)
    # or "textbook" (h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t, whose z is the frameworks' 1 − z); see displayed()
    gru_convention: str = "framework"

    @property
    def background(self) -> str:
        return "#ffffff" if self.name == "light" else "#1e1e1e"

    @property
    def foreground(self) -> str:
        return "#202020" if self.name == "light" else "#e6e6e6"

    @property
    def font_pt(self) -> int:
        return 16 if self.presentation else 10

    @property
    def line_width(self) -> float:
        return 3.0 if self.presentation else 1.5


class ViewState(QObject):
    traceChanged = Signal()
    stepChanged = Signal(int)
    selectionChanged = Signal()
    themeChanged = Signal()
    gradientsChanged = Signal()
    interventionsChanged = Signal()
    comparisonChanged = Signal()
    ablationChanged = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.model: RecurrentModel | None = None
        self.trace: Trace | None = None
        self.sequence = None  # what the user fed in: str for text models, else an array (T, F)
        self.task = None  # gateviz.tasks Task of the model, when it has one
        # the window's StagedShow: panels follow a long trace's selection changes one per pass; None
        # (a bare state: tests, headless export): they follow at once
        self.stager = None
        self.step = 0
        self.layer = 0
        self.direction = "forward"
        self.pinned: list[int] = [0]
        self.row_order: np.ndarray | None = None  # heatmap row order (unit indices); None = by index
        self.theme = Theme()
        self._displayed: dict[tuple, np.ndarray] = {}  # (layer, direction, quantity) -> 1 − z (textbook view)
        self._displayed_trace = None
        # gradients through time (gateviz.core.gradients): the newest result for this trace, and
        # what the user asked for besides the step (the head's output/class, or one unit's h)
        self.gradients = None  # gateviz.core.gradients.Gradients | None
        self.gradient_error: str | None = None  # why the newest gradients could not be computed
        self.gradient_output: int | None = None  # None: the predicted class / the sum of the head's outputs
        self.gradient_unit: tuple[int, str, int] | None = None  # (layer, direction, unit): that unit's h instead
        self.show_memory = False  # shade the input by connectivity (which earlier inputs matter now)
        # interventions: the user's list, in order, each with its on/off; the run without them
        self.interventions: list[tuple[Intervention, bool]] = []
        self.original: Trace | None = None  # same input, no interventions; None when none is enabled
        self.show_original = True  # draw the original run faintly beside the intervened one
        self.show_difference = False  # heatmaps show intervened − original
        self.ablation = None  # gateviz.core.ablation result for the current model, or None

    # ---- setters ----------------------------------------------------------
    def set_trace(self, model: RecurrentModel, trace: Trace, sequence=None, task=None,
                  original: Trace | None = None) -> None:
        """``original``: the same input traced without interventions, when ``trace`` has some."""
        if model is not self.model and self.ablation is not None:
            self.ablation = None  # it ranked the previous model's units
            self.ablationChanged.emit()
        self.model, self.trace, self.sequence, self.task = model, trace, sequence, task
        self.original = original
        self.gradients = None  # they belonged to the previous trace
        self.gradient_error = None
        if self.gradient_unit is not None and (self.gradient_unit[0] >= trace.num_layers or
                                               self.gradient_unit[1] not in trace.directions(self.gradient_unit[0])
                                               or self.gradient_unit[2] >= trace.units(self.gradient_unit[0])):
            self.gradient_unit = None
        if self.gradient_output is not None and (trace.output is None or self.gradient_output >= trace.output.shape[-1]):
            self.gradient_output = None
        self.step = min(self.step, trace.length - 1)
        if self.layer >= trace.num_layers:
            self.layer = 0
        if self.direction not in trace.directions(self.layer):
            self.direction = trace.directions(self.layer)[0]
        units = trace.units(self.layer)
        self.pinned = [u for u in self.pinned if u < units] or [0]
        if self.row_order is not None and len(self.row_order) != units:
            self.row_order = None
        self.traceChanged.emit()

    def set_gradients(self, gradients) -> None:
        """A finished gradient computation for the current trace (or None to clear)."""
        if gradients is not self.gradients:
            self.gradients = gradients
            self.gradientsChanged.emit()

    def set_gradient_target(self, output: int | None = None, unit: tuple[int, str, int] | None = None) -> None:
        """What y is (besides its step): a head output/class, or one unit's hidden state."""
        if (output, unit) != (self.gradient_output, self.gradient_unit):
            self.gradient_output, self.gradient_unit = output, unit
            self.gradientsChanged.emit()

    def set_show_memory(self, on: bool) -> None:
        if bool(on) != self.show_memory:
            self.show_memory = bool(on)
            self.gradientsChanged.emit()

    def set_interventions(self, entries) -> None:
        """The whole list: (Intervention, enabled) pairs (or bare Interventions, enabled)."""
        entries = [(e, True) if isinstance(e, Intervention) else (e[0], bool(e[1])) for e in entries]
        if entries != self.interventions:
            self.interventions = entries
            self.interventionsChanged.emit()

    def active_interventions(self) -> list[Intervention]:
        return [iv for iv, on in self.interventions if on]

    def set_show_original(self, on: bool) -> None:
        if bool(on) != self.show_original:
            self.show_original = bool(on)
            self.comparisonChanged.emit()

    def set_show_difference(self, on: bool) -> None:
        if bool(on) != self.show_difference:
            self.show_difference = bool(on)
            self.comparisonChanged.emit()

    def set_ablation(self, ablation) -> None:
        if ablation is not self.ablation:
            self.ablation = ablation
            self.ablationChanged.emit()

    def set_step(self, step: int) -> None:
        if self.trace is None:
            return
        step = int(max(0, min(step, self.trace.length - 1)))
        if step != self.step:
            self.step = step
            self.stepChanged.emit(step)

    def set_layer_direction(self, layer: int, direction: str) -> None:
        if (layer, direction) != (self.layer, self.direction):
            self.layer, self.direction = layer, direction
            units = self.trace.units(layer) if self.trace is not None else 0
            self.pinned = [u for u in self.pinned if u < units] or [0]
            self.row_order = None
            self.selectionChanged.emit()

    def set_pinned(self, units: list[int]) -> None:
        units = list(dict.fromkeys(int(u) for u in units))[: len(PIN_COLOURS)]
        if units != self.pinned:
            self.pinned = units
            self.selectionChanged.emit()

    def toggle_pin(self, unit: int) -> None:
        if unit in self.pinned:
            if len(self.pinned) > 1:
                self.set_pinned([u for u in self.pinned if u != unit])
        else:
            self.set_pinned(self.pinned + [unit])

    def set_row_order(self, order: np.ndarray | None) -> None:
        self.row_order = order
        self.selectionChanged.emit()

    def set_theme(self, theme: Theme) -> None:
        if theme != self.theme:
            self.theme = theme
            self.themeChanged.emit()

    # ---- convenience --------------------------------------------------------
    def quantity(self, name: str) -> np.ndarray:
        """(T, units) array of the current layer and direction."""
        return self.trace.get(self.layer, self.direction, name)

    def displayed(self, name: str, layer: int | None = None, direction: str | None = None) -> np.ndarray:
        """(T, units) array of a quantity as the panels show it under ``theme.gru_convention``.

        The textbook convention shows a GRU's update gate as 1 − z (computed once per layer and
        direction, then cached); everything else, and the frameworks' convention, is the trace's own
        array. The trace itself, the trace file and the CSV export always hold the frameworks' z.
        """
        layer = self.layer if layer is None else layer
        direction = self.direction if direction is None else direction
        a = self.trace.get(layer, direction, name)
        if not displayed_differs(self.trace.cell, name, self.theme.gru_convention):
            return a
        if self._displayed_trace is not self.trace:
            self._displayed, self._displayed_trace = {}, self.trace
        key = (layer, direction, name)
        shown = self._displayed.get(key)
        if shown is None:
            shown = self._displayed[key] = 1.0 - a
            shown.flags.writeable = False
        return shown

    def pin_colour(self, unit: int) -> str:
        return PIN_COLOURS[self.pinned.index(unit) % len(PIN_COLOURS)] if unit in self.pinned else PIN_COLOURS[0]


def displayed_differs(cell: str, quantity: str, convention: str) -> bool:
    """Does the GRU convention change this quantity's values (only the update gate, in the textbook view)?"""
    return convention == "textbook" and cell == "gru" and quantity == "update_gate"
