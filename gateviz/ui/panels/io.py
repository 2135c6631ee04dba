"""Input and output, aware of the task.

The panel picks a view for the state's task (``state.task.name``) and hands it what the task
decodes from the sequence and the trace (``task.decode(sequence, trace, model)``); without a
task (a foreign model) the generic view plots the input features and the model's output over
time. Every view shows the shared time cursor. Views are created when the task changes and
updated in place otherwise; ``on_step`` only moves cursors and markers.

With the memory shading on (issue 12, ``state.show_memory``) every view shades its input by the
connectivity of the newest gradients (``state.gradients``, ``gradientsChanged``) and the caption
says what the shading is, with its scale beside it (``io_memory``).

Interventions (issue 13): while ``overlay.comparing(state)`` the panel decodes the original run
(``state.original``) too and hands it to the view (``view.on_original``), which overlays the
original prediction faint and dashed beside the intervened one and says "was … → now …" in its
caption; ``comparisonChanged`` shows or hides it without re-decoding.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gateviz.ui.guard import guarded

from .common import NAN_COLOUR, Panel, translate
from .io_memory import MemoryKey, memory_caption, memory_shade, memory_tip, placeholder_shade
from .io_base import PlotView
from .io_views import VIEW_CLASSES, GenericView, IOView
from .overlay import comparing


class IOPanel(Panel):
    panel_id = "io"
    title = "Input and output"

    def description(self) -> str:
        return translate("IO", "What goes into the network and what comes out, step by step.")

    def build(self) -> None:
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.caption = QLabel()  # one line: what the task's output means at this sequence
        self.caption.setContentsMargins(8, 3, 8, 3)
        self.caption.setWordWrap(True)
        # the caption's row: the caption, then what the view shows beside it (the text colours' scale)
        self._caption_row = QHBoxLayout()
        self._caption_row.setContentsMargins(0, 0, 8, 0)
        self._caption_row.addWidget(self.caption, 1)
        self._layout.addLayout(self._caption_row)
        self._caption_extra: QWidget | None = None
        self.memory_key = MemoryKey()  # the memory shading's words and scale, one row under the caption
        self.memory_key.setHidden(True)
        self._layout.addWidget(self.memory_key)
        self.view: IOView | None = None
        self.decoded: dict | None = None
        self.decode_error: str | None = None
        self.shade = None  # io_memory.MemoryShade the view shows, or None
        self.original_decoded: dict | None = None  # the task's decoding of state.original
        self._original_key = None  # (id of the original, id of the sequence) it was decoded from
        self.state.gradientsChanged.connect(self._gradients_changed)
        self.state.comparisonChanged.connect(self._comparison_changed)

    def _view_class(self) -> type[IOView]:
        task = self.state.task
        if task is None or self.decoded is None:
            # a text model without a built-in task still gets the coloured-text view
            return VIEW_CLASSES["text"] if isinstance(self.state.sequence, str) else GenericView
        return VIEW_CLASSES.get(task.name, GenericView)

    def rebuild(self) -> None:
        state = self.state
        if state.trace is None:
            return
        self.decoded, self.decode_error = None, None
        if state.task is not None and state.sequence is not None:
            try:
                self.decoded = state.task.decode(state.sequence, state.trace, state.model)
            except Exception as e:  # a sequence the task cannot read: fall back to the generic view
                self.decode_error = f"{state.task.name}: {e}"
        cls = self._view_class()
        if type(self.view) is not cls:
            if self.view is not None:
                self._layout.removeWidget(self.view)
                self.view.deleteLater()
            self.view = cls(state)
            self._layout.addWidget(self.view, 1)
            self._set_caption_extra(getattr(self.view, "caption_widget", lambda: None)())
            self.view.apply_theme()
        self.view.rebuild(self.decoded)
        if isinstance(self.view, PlotView):
            self.view.raise_masked_over_images()
        self.on_original()
        self.on_gradients()  # also sets the caption
        self.on_step(state.step)

    @guarded
    def _comparison_changed(self) -> None:
        if self.view is not None and self.state.trace is not None:
            self.on_original()
            self._set_caption()
            self.on_step(self.state.step)

    def on_original(self) -> None:
        """Hand the view the original run's decoding while it is compared (None otherwise)."""
        state = self.state
        if not comparing(state):
            self.view.on_original(None)
            return
        key = (id(state.original), id(state.sequence), id(state.model))
        if key != self._original_key:  # decode each original once, also across show/hide toggles
            self.original_decoded = {}  # no task: the view reads state.original itself
            if self.decoded is not None:  # the task could read the intervened run: it reads the original too
                try:
                    self.original_decoded = state.task.decode(state.sequence, state.original, state.model)
                except Exception:  # noqa: BLE001 (as for the intervened run: no overlay, the view stays)
                    self.original_decoded = None
            self._original_key = key
        self.view.on_original(self.original_decoded)

    @guarded
    def _gradients_changed(self) -> None:
        if self.view is not None and self.state.trace is not None:
            self.on_gradients()

    def on_gradients(self) -> None:
        """Shade the view's input by the newest gradients' connectivity (or remove the shading)."""
        was = self.shade
        self.shade = memory_shade(self.state)
        self.view.on_gradients(self.shade)
        self.memory_key.setHidden(self.shade is None)
        if self.shade is not None:
            mark = translate("IO", self.view.memory_mark)
            self.memory_key.set_text(memory_caption(self.shade, mark), memory_tip(self.shade, mark))
        self._set_caption()
        if (was is None) != (self.shade is None):  # the key's row came or went: lay out now, not later
            self._layout.activate()

    def _set_caption_extra(self, widget: QWidget | None) -> None:
        if self._caption_extra is not None:
            self._caption_row.removeWidget(self._caption_extra)
            self._caption_extra.deleteLater()
        self._caption_extra = widget
        if widget is not None:
            self._caption_row.addWidget(widget, 0)

    def readable_size(self) -> QSize:
        """The view's readable size plus the caption's lines at that width: with the memory
        shading on, room for its key's row whether or not the gradients have arrived yet, so the
        layout does not change when they do."""
        if self.view is None:
            return super().readable_size()
        need = self.view.readable_size()
        state = self.state

        def width_of(widget: QWidget | None) -> int:
            return widget.sizeHint().width() + 8 if widget is not None else 0

        if self._measure is None:
            self._measure = QLabel()
            self._measure.setWordWrap(True)
            self._measure.setContentsMargins(self.caption.contentsMargins())

        def lines(text: str, beside: QWidget | None) -> int:  # the caption's height beside ``beside``
            if not text:
                return 0
            self._measure.setText(text)
            return self._measure.heightForWidth(need.width() - (beside.sizeHint().width() + 8 if beside else 0))

        extra = self._caption_extra  # the view's own scale (the text's −1..+1)
        caption = lines(self._caption_html(None), extra)
        if state.show_memory and state.trace is not None:
            shaded = lines(self._caption_html(placeholder_shade(state)),
                           None if self.view.memory_replaces_caption else extra)
            caption = max(caption, shaded + self.memory_key.sizeHint().height())
        return QSize(need.width(), need.height() + int(np.ceil(caption)))

    _measure: QLabel | None = None  # measures captions that are not shown (readable_size)

    def _set_caption(self) -> None:
        text = self._caption_html(self.shade)
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def _caption_html(self, shade) -> str:
        """The caption: the view's (none where the memory shading ``shade`` replaces what it
        describes), notes; "" when there is none."""
        theme = self.state.theme
        text = self.view.caption() if self.view is not None else ""
        if shade is not None and self.view is not None and self.view.memory_replaces_caption:
            text = ""  # the memory key's row says what the colours are
        if self.decode_error:
            unavailable = translate("IO", "(task view unavailable: {error})").format(error=self.decode_error)
            text = f"{text}  <i>{unavailable}</i>"
        nan_from = self._nan_output_step()
        if nan_from is not None:  # predictions decoded from NaN (argmax, rounding) would pass for real ones
            text = (f"{text} <span style='color:{NAN_COLOUR}'>■</span> "
                    + translate("IO", "the model's output is NaN from step {step}: its predictions there mean "
                                "nothing").format(step=nan_from))
        return f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{text}</span>" if text else ""

    def _nan_output_step(self) -> int | None:
        """The first step at which the model's output holds NaN (None without output or NaN)."""
        trace = self.state.trace
        out = None if trace is None else trace.output
        if out is None or out.dtype.kind != "f" or not out.size:
            return None
        key = (id(trace), id(out))
        if getattr(self, "_nan_key", None) != key:
            rows = np.isnan(out.reshape(out.shape[0], -1)).any(axis=1)
            rows[:trace.meta.get("output_from_step", 0)] = False  # an encoder's steps have no output: no NaN
            self._nan_key, self._nan_step = key, (int(np.argmax(rows)) if rows.any() else None)
        return self._nan_step

    def on_step(self, step: int) -> None:
        if self.view is not None and self.state.trace is not None:
            self.view.on_step(step)

    def on_selection(self) -> None:
        if self.view is not None and self.state.trace is not None:
            self.view.on_selection()
            self._set_caption()  # it names the unit, layer and direction shown
            self.on_step(self.state.step)

    def apply_theme(self) -> None:
        theme = self.state.theme
        self.setStyleSheet(f"IOPanel {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        self.memory_key.apply_theme(theme)
        if self.view is not None:
            self.view.apply_theme()
            if self.state.trace is not None:
                self.view.on_selection()
                self.on_gradients()  # the accent is the theme's
                self.on_step(self.state.step)
        self._set_caption()

