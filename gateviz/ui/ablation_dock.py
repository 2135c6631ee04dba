"""The "Unit importance" dock (issue 13): silence each unit in turn and rank the units.

Run computes ``gateviz.core.ablation.ablate`` for the shown layer off the GUI thread (its own
``TraceRunner``: progress in the bar, Cancel abandons the job, which stops at its next chunk),
over the task's held-out sequences or the shown input. The result goes to ``state.set_ablation``
and is shown twice: a sortable table (rank, unit, change, the metric with the unit silenced,
mean |Δ output|) and a bar chart of the change, units in ranking order with the top ones named
under their bars (pinned units in their pin colour). Clicking a table row pins or unpins that
unit; "Sort heatmap rows by importance" puts the ranking into ``state.set_row_order``.

``install_ablation_dock(window)`` adds the dock and its View-menu action (Ctrl+Shift+A).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDockWidget, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from gateviz.core.trace import QUANTITIES
from gateviz.ui.docks import add_dock
from gateviz.ui import i18n
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, localized, translate
from gateviz.ui.guard import guarded
from gateviz.ui.panels.common import muted, style_plot
from gateviz.ui.state import ViewState

SHORTCUT = "Ctrl+Shift+A"
LABELLED_BARS = 12  # the most important units are named under their bars
MIN_LABEL_PX = 24  # ... each with this much room at least
TOP_NAMED = 5  # named above the chart
BAR_COLOUR = "#0072B2"
HINT = QT_TRANSLATE_NOOP(
    "Ablation", "Silence each unit of the shown layer in turn (its h — and c for an LSTM — set to 0 at every step) "
                "and rank the units by how much the task's metric, or the output, changes. Run computes it.")
QUANTITY_LABELS = {"hidden_state": QT_TRANSLATE_NOOP("Ablation", "h (and c of an LSTM)"), "cell_state": "c"}


def _quantity_label(q: str) -> str:
    from gateviz.ui.intervention_menu import quantity_name

    return translate("Ablation", QUANTITY_LABELS[q]) if q in QUANTITY_LABELS else quantity_name(q)


class _Number(QTableWidgetItem):
    """A table cell shown as text, sorted by its number (NaN last)."""

    def __init__(self, value: float, text: str):
        super().__init__(text)
        self.value = float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other):  # noqa: D105 (Qt's sort order)
        a, b = self.value, getattr(other, "value", 0.0)
        if np.isnan(a) or np.isnan(b):
            return not np.isnan(a) and np.isnan(b)
        return a < b


def _number_text(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.3g}"


class AblationPanel(QWidget):
    """The dock's content."""

    finished = Signal()  # a new result is shown (or the run failed or was cancelled)

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        from gateviz.ui.runner import TraceRunner

        self.state = state
        self.runner = TraceRunner(self)
        self.runner.done.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.runner.progress.connect(self._progress)
        self._sequence_used = None  # the input a result over "the input" was computed on
        self._sorted_for = None  # (layer, direction) whose rows this panel last sorted
        self._applied_order = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        form = QFormLayout()
        self.over_combo = QComboBox(self)
        self._over_chosen: str | None = None  # what the user picked; until then the task's sequences when there are
        self.over_combo.activated.connect(lambda _i: setattr(self, "_over_chosen", self.over_combo.currentData()))
        i18n.bind(self.over_combo, "setToolTip", "Ablation", QT_TRANSLATE_NOOP(
            "Ablation", "What to score: the task's held-out sequences (its own metric), or the shown input (the task's "
                        "metric when it can judge it, else mean |Δ output|)"))
        self.quantity_combo = QComboBox(self)
        i18n.bind(self.quantity_combo, "setToolTip", "Ablation",
                  QT_TRANSLATE_NOOP("Ablation", "What silencing sets to 0 at every step"))
        form.addRow(i18n.bound(QLabel(self), "Ablation", QT_TRANSLATE_NOOP("Ablation", "Over")), self.over_combo)
        form.addRow(i18n.bound(QLabel(self), "Ablation", QT_TRANSLATE_NOOP("Ablation", "Silence")),
                    self.quantity_combo)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.run_button = i18n.bound(QPushButton(self), "Ablation", QT_TRANSLATE_NOOP("Ablation", "Run"))
        i18n.bind(self.run_button, "setToolTip", "Ablation", QT_TRANSLATE_NOOP(
            "Ablation", "Silence each unit of the shown layer in turn, all in one batched trace"))
        self.run_button.clicked.connect(self.run)
        self.cancel_button = i18n.bound(QPushButton(self), "Ablation", QT_TRANSLATE_NOOP("Ablation", "Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        layout.addLayout(buttons)
        self.summary = QLabel(translate("Ablation", HINT), self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.sort_box = i18n.bound(QCheckBox(self), "Ablation",
                                   QT_TRANSLATE_NOOP("Ablation", "Sort heatmap rows by importance"))
        i18n.bind(self.sort_box, "setToolTip", "Ablation", QT_TRANSLATE_NOOP(
            "Ablation", "Heatmap rows top to bottom in this ranking (the shown layer and direction)"))
        self.sort_box.toggled.connect(self._sort_toggled)
        layout.addWidget(self.sort_box)
        self.table = QTableWidget(0, 4, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # the numbers share what is left
        for col in (0, 1):  # rank and unit: just wide enough (set in show_result), the numbers get the rest
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setSortingEnabled(True)
        i18n.bind(self.table, "setToolTip", "Ablation", QT_TRANSLATE_NOOP(
            "Ablation", "Click a column title to sort; click a row to pin or unpin that unit"))
        self.table.cellClicked.connect(self._row_clicked)
        layout.addWidget(self.table, 3)
        self.chart = pg.PlotWidget(self, enableMenu=False)
        self.chart.setMinimumHeight(160)
        self.chart.setMouseEnabled(x=False, y=False)
        self.chart.hideButtons()
        self.bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.8)  # created once, setOpts after
        self.chart.addItem(self.bars)
        i18n.bind(self.chart.getAxis("bottom"), "setLabel", "Ablation",
                  QT_TRANSLATE_NOOP("Ablation", "units, most important first"))
        self.chart.getAxis("left").enableAutoSIPrefix(False)  # a metric's drop reads as it is, not "×0.001"
        self.chart.getAxis("bottom").setStyle(hideOverlappingLabels=False)  # the first bar's label may overhang
        self.top_label = QLabel("", self)  # the top units by name (bars may be too narrow to name them)
        self.top_label.setWordWrap(True)
        layout.addWidget(self.top_label)
        layout.addWidget(self.chart, 2)
        state.traceChanged.connect(self._trace_changed)
        state.ablationChanged.connect(self.show_result)
        i18n.notifier.languageChanged.connect(self._language_changed)
        state.selectionChanged.connect(self._selection_changed)
        state.themeChanged.connect(self.apply_theme)
        self.apply_theme()
        self._trace_changed()
        self.show_result()

    @guarded
    def _language_changed(self, _code: str) -> None:
        self._trace_changed()
        self.show_result()

    # ------------------------------------------------------------------ running
    @guarded
    def run(self) -> None:
        s = self.state
        if s.model is None:
            return
        from gateviz.core.ablation import ablate

        model, task, layer = s.model, s.task, s.layer
        quantity = self.quantity_combo.currentData() or "hidden_state"
        sequence = s.sequence if self.over_combo.currentData() == "input" else None
        self._sequence_used = sequence

        def job(report):
            return ablate(model, sequence, task=task, layer=layer, quantity=quantity,
                          progress=lambda f, message: report(f, message))

        self.runner.submit(("ablation", layer), job)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.summary.setText(translate("Ablation", "Silencing the units of layer {layer}…").format(layer=layer))

    @guarded
    def cancel(self) -> None:
        self.runner.cancel()
        self._idle()
        done = self.state.ablation
        self.summary.setText(translate("Ablation", "Cancelled.") + " "
                             + (localized(done.describe()) if done else translate("Ablation", HINT)))
        self.finished.emit()

    def _idle(self) -> None:
        self.run_button.setEnabled(self.state.model is not None)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    @guarded
    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        from gateviz.ui.status_bar import progress_text

        message = progress_text(message)
        self.summary.setText(f"{message[:1].upper()}{message[1:]}…")

    @guarded
    def _done(self, _tag, result) -> None:
        self._idle()
        self.state.set_ablation(result)  # -> show_result
        self.show_result()
        self.finished.emit()

    @guarded
    def _failed(self, _tag, exc) -> None:
        from gateviz.core.ablation import AblationCancelled
        from gateviz.ui import errors
        from gateviz.ui.runner import Superseded

        self._idle()
        if not isinstance(exc, (Superseded, AblationCancelled)):
            errors.show_error(self, translate("Ablation", "Unit importance"), errors.describe_exception(exc))
            self.summary.setText(translate("Ablation", HINT))
        self.finished.emit()

    # ------------------------------------------------------------------ from the state
    @guarded
    def _trace_changed(self) -> None:
        s = self.state
        with QSignalBlocker(self.over_combo):
            self.over_combo.clear()
            if s.task is not None:
                self.over_combo.addItem(
                    translate("Ablation", "the {task} task's own sequences").format(task=s.task.name), "task")
            self.over_combo.addItem(translate("Ablation", "the shown input"), "input")
            index = self.over_combo.findData(self._over_chosen or "task")
            self.over_combo.setCurrentIndex(max(0, index))
        with QSignalBlocker(self.quantity_combo):
            keep = self.quantity_combo.currentData()
            self.quantity_combo.clear()
            if s.model is not None:
                cell = s.model.layers[min(s.layer, len(s.model.layers) - 1)].cell
                for q in ("hidden_state",) + tuple(q for q in QUANTITIES[cell] if q != "hidden_state"):
                    self.quantity_combo.addItem(_quantity_label(q), q)
            index = self.quantity_combo.findData(keep)
            self.quantity_combo.setCurrentIndex(max(0, index))
        if not self.runner.is_busy:
            self._idle()
        self._update_summary()

    @guarded
    def show_result(self) -> None:
        """Fill the table and the chart from ``state.ablation`` (empty when there is none)."""
        result = self.state.ablation
        self.table.setSortingEnabled(False)  # filling a sorted table would reorder rows as they arrive
        self.table.setRowCount(0)
        if result is None:
            self._set_headers(None)
            self.bars.setOpts(x=np.zeros(0), height=np.zeros(0))
            self.chart.getAxis("bottom").setTicks([[]])
            self.top_label.setText("")
            self._update_summary()
            self.sort_box.setEnabled(False)
            return
        self._set_headers(result)
        order = result.ranking()
        self.table.setRowCount(len(order))
        for rank, r in enumerate(order, 1):
            direction, unit = result.rows[r]
            rank_item = _Number(rank, str(rank))
            unit_item = _Number(unit + (0.5 if direction == "backward" else 0.0), result.row_label(r))
            unit_item.setData(Qt.ItemDataRole.UserRole, (direction, unit))
            cells = [rank_item, unit_item, _Number(result.scores[r], _number_text(result.scores[r])),
                     _Number(np.nan if result.metric is None else result.metric[r],
                             "–" if result.metric is None else _number_text(result.metric[r]))]
            tip = translate("Ablation", "unit {unit}: mean |Δ {output}| {value}").format(
                unit=result.row_label(r), output=localized(result.output_kind),
                value=_number_text(result.output_change[r]))
            for col, item in enumerate(cells):
                item.setToolTip(tip)
                self.table.setItem(rank - 1, col, item)
        self.table.setColumnHidden(3, result.metric is None)  # ranked by the output change: "change" says it all
        self.table.setSortingEnabled(True)
        self.table.sortItems(0, Qt.SortOrder.AscendingOrder)
        fm = self.table.fontMetrics()
        rank, unit = translate("Ablation", "rank"), translate("Ablation", "unit")
        self.table.setColumnWidth(0, fm.horizontalAdvance(rank) + 22)  # + the sort arrow
        self.table.setColumnWidth(1, max(fm.horizontalAdvance(unit), *(fm.horizontalAdvance(result.row_label(r))
                                                                         for r in order)) + 20)
        self._update_chart()
        self._update_summary()
        self.sort_box.setEnabled(True)
        if self.sort_box.isChecked():
            self._sorted_for = None
            self._apply_sort()

    def _set_headers(self, result) -> None:
        """Short column titles (the dock is narrow); their tooltips say them in full."""
        measure = None if result is None else localized(result.measure_label)  # the core's words, translated
        if result is None or result.metric is None:
            silenced = translate("Ablation", "the metric with the unit silenced")
        else:
            silenced = translate("Ablation", "the {measure} with the unit silenced").format(measure=measure)
        if result is None:
            change = translate("Ablation", "how much worse the measure gets with the unit silenced")
        elif result.goal == "max":
            change = translate("Ablation", "how much the {measure} drops with the unit silenced").format(
                measure=measure)
        elif result.goal is not None:
            change = translate("Ablation", "how much the {measure} rises with the unit silenced").format(
                measure=measure)
        else:
            change = translate("Ablation", "{definition} with the unit silenced").format(
                definition=localized(result.definition))
        for col, (title, tip) in enumerate(((translate("Ablation", "rank"), translate("Ablation", "1 = matters most")),
                                            (translate("Ablation", "unit"),
                                             translate("Ablation", "click a row to pin the unit")),
                                            (translate("Ablation", "change"), change),
                                            (translate("Ablation", "silenced"), silenced))):
            item = QTableWidgetItem(title)
            item.setToolTip(tip)
            self.table.setHorizontalHeaderItem(col, item)

    def _update_summary(self) -> None:
        result = self.state.ablation
        if result is None:
            if not self.runner.is_busy:
                self.summary.setText(translate("Ablation", HINT) if self.state.model is not None
                                     else translate("Ablation", "Open a model first."))
            return
        text = localized(result.describe()) + translate("Ablation", " — {seconds} s.").format(
            seconds=f"{result.seconds:.2f}")
        if result.source == "the input" and self._sequence_used is not None \
                and self._sequence_used is not self.state.sequence:
            text += translate("Ablation", " The input has changed since: Run again to rank on it.")
        self.summary.setText(text)

    def _update_chart(self) -> None:
        result = self.state.ablation
        if result is None:
            return
        order = result.ranking()
        heights = np.nan_to_num(np.asarray(result.scores, dtype=np.float64)[order], nan=0.0)
        s = self.state
        brushes = []
        for r in order:
            direction, unit = result.rows[r]
            shown = (result.layer, direction) == (s.layer, s.direction)
            brushes.append(pg.mkBrush(s.pin_colour(unit) if shown and unit in s.pinned else BAR_COLOUR))
        x = np.arange(len(order), dtype=np.float64)
        per_bar = max(1.0, self.chart.getPlotItem().vb.width()) / max(len(order), 1)
        # narrow bars touch (a gap of a pixel or less only stripes them)
        self.bars.setOpts(x=x, height=heights, width=0.8 if per_bar >= 5 else 1.0, brushes=brushes,
                          pen=pg.mkPen(None))
        lo, hi = float(min(0.0, heights.min(initial=0.0))), float(max(heights.max(initial=0.0), 1e-12))
        top = hi * 1.08 if hi > 0 else 1.0
        self.chart.setXRange(-0.6, max(len(order), 1) - 0.4, padding=0)
        self.chart.setYRange(lo, top, padding=0)
        # the top bars are named under them when each has room for its label (the label above names them too)
        ticks = ([(float(i), result.row_label(r)) for i, r in enumerate(order[:LABELLED_BARS])]
                 if per_bar >= MIN_LABEL_PX else [])
        self.chart.getAxis("bottom").setTicks([ticks, []])
        names = ", ".join(result.row_label(r) for r in order[:TOP_NAMED])
        self.top_label.setText(translate("Ablation", "Most important: {names}").format(names=f"<b>{names}</b>"))
        measure = localized(result.measure_label)
        label = (translate("Ablation", "drop in {measure}").format(measure=measure) if result.goal == "max"
                 else translate("Ablation", "rise in {measure}").format(measure=measure)
                 if result.goal == "min" else measure)
        room = self.chart.getPlotItem().vb.height()
        if self.chart.fontMetrics().horizontalAdvance(label) > room:  # the axis title runs along the plot's height
            label = translate("Ablation", "change")
        self.chart.getAxis("left").setLabel(label)
        style_plot(self.chart.getPlotItem(), s.theme)

    @guarded
    def apply_theme(self) -> None:
        theme = self.state.theme
        self.chart.setBackground(theme.background)
        style_plot(self.chart.getPlotItem(), theme)
        self.chart.getPlotItem().showGrid(y=True, alpha=0.15)
        self.summary.setStyleSheet(f"color: {muted(theme)};")
        self._update_chart()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._update_chart()  # how many bars have room for a label

    # ------------------------------------------------------------------ to the state
    @guarded
    def _row_clicked(self, row: int, _column: int) -> None:
        result = self.state.ablation
        item = self.table.item(row, 1)
        if result is None or item is None:
            return
        direction, unit = item.data(Qt.ItemDataRole.UserRole)
        s = self.state
        if (s.layer, s.direction) != (result.layer, direction):
            s.set_layer_direction(result.layer, direction)
        s.toggle_pin(int(unit))

    @guarded
    def _sort_toggled(self, on: bool) -> None:
        if on:
            self._sorted_for = None
            self._apply_sort()
        else:
            self._sorted_for, self._applied_order = None, None
            if self.state.row_order is not None:
                self.state.set_row_order(None)

    def _apply_sort(self) -> None:
        s, result = self.state, self.state.ablation
        self._sorted_for = (s.layer, s.direction)
        if result is None or s.layer != result.layer or s.direction not in result.directions:
            self._applied_order = s.row_order  # nothing to sort by here: leave the rows as they are
            return
        order = result.ranked_units(s.direction)
        self._applied_order = order
        s.set_row_order(order)

    @guarded
    def _selection_changed(self) -> None:
        s = self.state
        if self.sort_box.isChecked():
            if (s.layer, s.direction) != self._sorted_for:
                self._apply_sort()  # another layer or direction is shown: sort its rows too
            elif not _same_order(s.row_order, self._applied_order):
                with QSignalBlocker(self.sort_box):  # another control re-ordered the rows: it wins
                    self.sort_box.setChecked(False)
                self._sorted_for, self._applied_order = None, None
        self._update_chart()  # the pinned units' bar colours


def _same_order(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(np.asarray(a), np.asarray(b))


DOCK_WIDTH = 430  # px: five table columns and a readable chart


def _shown(window, dock: QDockWidget) -> None:
    dock.raise_()
    if not dock.isFloating():
        window.resizeDocks([dock], [min(DOCK_WIDTH, window.width() // 3)], Qt.Orientation.Horizontal)


def install_ablation_dock(window) -> QDockWidget:
    """Add the "Unit importance" dock (hidden, on the right) and its View-menu action."""
    panel = AblationPanel(window.state)
    # on the right, beside the panels: the table and the chart need more width than the controls' column
    dock = add_dock(window, QT_TRANSLATE_NOOP("Docks", "Unit importance"), "ablation_dock", panel,
                    Qt.DockWidgetArea.RightDockWidgetArea)
    dock.hide()
    action: QAction = dock.toggleViewAction()
    action.triggered.connect(lambda on: _shown(window, dock) if on else None)
    i18n.bind(action, "setText", "Ablation", QT_TRANSLATE_NOOP("Ablation", "Unit &importance (ablation)"))
    action.setShortcut(QKeySequence(SHORTCUT))
    i18n.bind(action, "setToolTip", "Ablation", QT_TRANSLATE_NOOP(
        "Ablation", "Rank the units by what silencing each one changes: a sortable list and a bar chart"),
        after=f" ({SHORTCUT})")
    interventions = getattr(window, "interventions", None)
    for menu in (getattr(window, "view_menu", None), getattr(interventions, "menu", None)):
        if menu is not None:
            menu.addAction(action)
    window.ablation_dock, window.ablation_panel, window.ablation_action = dock, panel, action
    return dock
