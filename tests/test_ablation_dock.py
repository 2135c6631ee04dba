"""The Unit importance dock (issue 13) on the real main window (pytest-qt, offscreen): Run ranks the
units off the GUI thread and the table, the bar chart and ``state.ablation`` show what
``gateviz.core.ablation.ablate`` gives; the table sorts by a clicked column; clicking a row pins the
unit; the check box sorts the heatmap rows; Cancel leaves nothing behind; a new model clears it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QKeySequence  # noqa: E402

from gateviz.core import ablation as ablation_module  # noqa: E402
from gateviz.core.ablation import ablate  # noqa: E402
from gateviz.ui.ablation_dock import BAR_COLOUR, SHORTCUT  # noqa: E402

WAIT_MS = 60000  # generous: the machine is shared; waits end on the signal, never on time


@pytest.fixture
def dock_window(window):
    assert window.findChildren(type(window.ablation_dock)).count(window.ablation_dock) == 1  # the window's own
    return window


def _run(qtbot, panel):
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)


def _column(table, col):
    return [table.item(r, col).text() for r in range(table.rowCount())]


def _click_row(qtbot, table, row):
    rect = table.visualRect(table.model().index(row, 2))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_install_adds_a_hidden_dock_and_a_view_action_with_a_free_shortcut(dock_window, qtbot):
    w = dock_window
    assert not w.ablation_dock.isVisible()
    view = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "View")
    assert w.ablation_action in view.actions()
    assert w.ablation_action.shortcut() == QKeySequence(SHORTCUT)
    others = [a for a in w.findChildren(type(w.ablation_action)) if a is not w.ablation_action
              and not a.shortcut().isEmpty()]
    assert QKeySequence(SHORTCUT) not in [a.shortcut() for a in others]
    w.ablation_action.trigger()
    qtbot.waitUntil(w.ablation_dock.isVisible, timeout=WAIT_MS)
    panel = w.ablation_panel
    assert [panel.over_combo.itemText(k) for k in range(panel.over_combo.count())] == [
        "the brackets task's own sequences", "the shown input"]
    assert panel.quantity_combo.currentData() == "hidden_state"
    assert panel.table.rowCount() == 0 and not panel.sort_box.isEnabled()


def test_run_shows_the_ranking_in_the_table_and_the_chart(dock_window, qtbot):
    w = dock_window
    w.ablation_action.trigger()
    panel = w.ablation_panel
    _run(qtbot, panel)
    result = w.state.ablation
    assert result is not None and result.measure == "depth_accuracy"
    expected = ablate(w.state.model, task=w.state.task)
    np.testing.assert_array_equal(result.scores, expected.scores)
    order = expected.ranking()
    table = panel.table
    assert table.rowCount() == 16
    assert _column(table, 0) == [str(k) for k in range(1, 17)]
    assert _column(table, 1) == [str(expected.rows[r][1]) for r in order]
    assert _column(table, 2) == [f"{expected.scores[r]:.3g}" for r in order]
    assert _column(table, 3) == [f"{expected.metric[r]:.3g}" for r in order]
    assert table.horizontalHeaderItem(3).toolTip() == "the depth accuracy with the unit silenced"
    assert "mean |Δ output|" in table.item(0, 1).toolTip()
    assert panel.summary.text().startswith("layer 0: 16 units, h and c set to 0 at every step; ranked by depth "
                                           "accuracy over 256 held-out strings")
    names = ", ".join(str(expected.rows[r][1]) for r in order[:5])
    assert panel.top_label.text() == f"Most important: <b>{names}</b>"
    np.testing.assert_allclose(panel.bars.opts["height"], expected.scores[order])

    # what a person sees: the top bar is drawn in the bar colour, from the axis up to its height
    qtbot.waitUntil(lambda: panel.chart.isVisible(), timeout=WAIT_MS)
    pinned = set(w.state.pinned)
    first_unpinned = next(i for i, r in enumerate(order) if expected.rows[r][1] not in pinned)
    height = expected.scores[order[first_unpinned]]
    image = panel.chart.grab().toImage()
    vb = panel.chart.getPlotItem().vb
    def pixel(x, y):
        p = panel.chart.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
        return QColor(image.pixel(p.x(), p.y())).name()

    assert pixel(first_unpinned, 0.2 * height) == pixel(first_unpinned, 0.8 * height) == QColor(BAR_COLOUR).name()
    last = len(order) - 1  # the least important bar is short: above it is the chart's background
    assert expected.scores[order[last]] < 0.3 * height
    assert pixel(last, 0.5 * height) != QColor(BAR_COLOUR).name()
    labels = [label for _, label in panel.chart.getAxis("bottom")._tickLevels[0]]
    assert labels == [str(expected.rows[r][1]) for r in order[:12]]  # the top 12 bars are named


def test_clicking_a_column_title_sorts_the_table_and_a_row_pins_its_unit(dock_window, qtbot):
    w = dock_window
    w.ablation_action.trigger()
    panel = w.ablation_panel
    _run(qtbot, panel)
    table, header = panel.table, panel.table.horizontalHeader()
    result = w.state.ablation
    ranks = {result.rows[r][1]: str(k) for k, r in enumerate(result.ranking(), 1)}
    x = header.sectionViewportPosition(1) + header.sectionSize(1) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert _column(table, 1) == [str(u) for u in range(16)]  # by unit, each row still holds its own numbers
    assert _column(table, 0) == [ranks[u] for u in range(16)]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert _column(table, 1) == [str(u) for u in range(15, -1, -1)]
    x = header.sectionViewportPosition(2) + header.sectionSize(2) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    change = [float(v) for v in _column(table, 2)]
    assert change == sorted(change) and change[0] < change[-1]  # smallest change first

    w.state.set_pinned([0])
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == "12")
    _click_row(qtbot, table, row)
    assert w.state.pinned == [0, 12]
    _click_row(qtbot, table, row)
    assert w.state.pinned == [0]


def test_the_check_box_sorts_the_heatmap_rows_by_importance(dock_window, qtbot):
    w = dock_window
    w.set_layout("heatmaps")
    w.ablation_action.trigger()
    panel = w.ablation_panel
    _run(qtbot, panel)
    ranked = w.state.ablation.ranked_units("forward")
    panel.sort_box.setChecked(True)
    np.testing.assert_array_equal(w.state.row_order, ranked)
    heat = w.panels["heatmaps"]
    qtbot.waitUntil(lambda: np.array_equal(heat.order, ranked), timeout=WAIT_MS)
    # the left axis names the rows top to bottom in ranking order
    row = heat.rows[0]
    ticks = row.plot.getAxis("left")._tickLevels[0]
    assert ticks and all(label == str(ranked[int(v - 0.5)]) for v, label in ticks)
    panel.sort_box.setChecked(False)
    assert w.state.row_order is None
    qtbot.waitUntil(lambda: np.array_equal(heat.order, np.arange(16)), timeout=WAIT_MS)

    # another control re-ordering the rows wins: the box unticks itself
    panel.sort_box.setChecked(True)
    w.controls.units_box.order_combo.setCurrentIndex(w.controls.units_box.order_combo.findData("variance"))
    w.controls.units_box.apply_order()
    assert not panel.sort_box.isChecked()
    assert not np.array_equal(w.state.row_order, ranked)


def test_the_shown_input_and_cancel(dock_window, qtbot, monkeypatch):
    w = dock_window
    w.ablation_action.trigger()
    panel = w.ablation_panel
    panel.over_combo.setCurrentIndex(panel.over_combo.findData("input"))
    _run(qtbot, panel)
    assert w.state.ablation.source == "the input"
    expected = ablate(w.state.model, w.state.sequence, task=w.state.task)
    np.testing.assert_array_equal(w.state.ablation.metric, expected.metric)
    first = w.state.ablation

    monkeypatch.setattr(ablation_module, "CHUNK_WORK", 1)  # many chunks: the job reports, then Cancel
    panel.over_combo.setCurrentIndex(panel.over_combo.findData("task"))
    with qtbot.waitSignal(panel.runner.progress, timeout=WAIT_MS):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.summary.text().startswith("Cancelled.")
    qtbot.waitUntil(lambda: not panel.runner.is_busy, timeout=WAIT_MS)
    assert w.state.ablation is first  # the cancelled run never replaces the shown ranking
    assert w.shown_errors == []


def test_a_new_model_clears_the_ranking(dock_window, qtbot):
    w = dock_window
    w.ablation_action.trigger()
    panel = w.ablation_panel
    _run(qtbot, panel)
    assert panel.table.rowCount() == 16
    with qtbot.waitSignal(w.traceReady, timeout=WAIT_MS):
        w.open_model("bundled:adding-gru")
    assert w.state.ablation is None and panel.table.rowCount() == 0
    assert len(panel.bars.opts["height"]) == 0 and panel.top_label.text() == ""
    assert [panel.quantity_combo.itemData(k) for k in range(panel.quantity_combo.count())] == [
        "hidden_state", "reset_gate", "update_gate", "candidate"]
    _run(qtbot, panel)
    assert w.state.ablation.measure == "test_mse" and panel.table.rowCount() == 32


def test_the_dock_comes_back_where_the_user_left_it(dock_window, qtbot):
    """It is built with the dashboard (pyqtgraph stays off the first paint), after the saved window
    state was restored: the state is applied again so an open dock reopens."""
    from app_helpers import open_window

    w = dock_window
    w.ablation_action.trigger()
    assert w.ablation_dock.isVisible()
    w.save_settings()
    again = open_window(qtbot)
    assert again.ablation_dock.isVisible() and again.ablation_action.isChecked()
    again.close()
