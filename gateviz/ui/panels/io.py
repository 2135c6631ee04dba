"""Input and output, aware of the task.

The panel picks a view for the state's task (``state.task.name``) and hands it what the task
decodes from the sequence and the trace (``task.decode(sequence, trace, model)``); without a
task (a foreign model) the generic view plots the input features and the model's output over
time. Every view shows the shared time cursor. Views are created when the task changes and
updated in place otherwise; ``on_step`` only moves cursors and markers.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .common import NAN_COLOUR, Panel
from .io_views import VIEW_CLASSES, GenericView, IOView


class IOPanel(Panel):
    panel_id = "io"
    title = "Input and output"

    def description(self) -> str:
        return "What goes into the network and what comes out, step by step."

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
        self.view: IOView | None = None
        self.decoded: dict | None = None
        self.decode_error: str | None = None

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
        self._set_caption()
        self.on_step(state.step)

    def _set_caption_extra(self, widget: QWidget | None) -> None:
        if self._caption_extra is not None:
            self._caption_row.removeWidget(self._caption_extra)
            self._caption_extra.deleteLater()
        self._caption_extra = widget
        if widget is not None:
            self._caption_row.addWidget(widget, 0)

    def readable_size(self) -> QSize:
        """The view's readable size plus the caption's lines at that width."""
        if self.view is None:
            return super().readable_size()
        need = self.view.readable_size()
        extra = self._caption_extra.sizeHint().width() + 8 if self._caption_extra is not None else 0
        caption = self.caption.heightForWidth(need.width() - extra) if self.caption.isVisibleTo(self) else 0
        return QSize(need.width(), need.height() + int(np.ceil(max(caption, 0))))

    def _set_caption(self) -> None:
        theme = self.state.theme
        text = self.view.caption() if self.view is not None else ""
        if self.decode_error:
            text = f"{text}  <i>(task view unavailable: {self.decode_error})</i>"
        nan_from = self._nan_output_step()
        if nan_from is not None:  # predictions decoded from NaN (argmax, rounding) would pass for real ones
            text = (f"{text} <span style='color:{NAN_COLOUR}'>■</span> the model's output is NaN from step "
                    f"{nan_from}: its predictions there mean nothing")
        self.caption.setText(f"<span style='color:{theme.foreground}; font-size:{theme.font_pt}pt'>{text}</span>")
        self.caption.setVisible(bool(text))

    def _nan_output_step(self) -> int | None:
        """The first step at which the model's output holds NaN (None without output or NaN)."""
        trace = self.state.trace
        out = None if trace is None else trace.output
        if out is None or out.dtype.kind != "f" or not out.size:
            return None
        key = (id(trace), id(out))
        if getattr(self, "_nan_key", None) != key:
            rows = np.isnan(out.reshape(out.shape[0], -1)).any(axis=1)
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
        if self.view is not None:
            self.view.apply_theme()
            if self.state.trace is not None:
                self.view.on_selection()
                self.on_step(self.state.step)
        self._set_caption()

