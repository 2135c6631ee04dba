"""What each plot shows after every kind of switch: the new model's units and steps, not the old one's.

A view box clamps a new range to its current limits; the heatmaps once set the range before the
limits and kept the previous model's 16 units x 37 steps for a 128 x 209 trace. These tests read
each plot's visible range (``ViewBox.viewRange``) the way a person reads the picture.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from app_helpers import WINDOW_WAIT_MS
from reference import random_model

pytestmark = pytest.mark.slow


def _open(window, qtbot, spec):
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model(spec)


def _time_plots(panel) -> list[pg.ViewBox]:
    """The view boxes of a panel whose bottom axis is time ('step')."""
    boxes = []
    for view in panel.findChildren(pg.GraphicsView):
        if not view.isVisibleTo(panel):
            continue  # another task's view, kept for later
        for it in view.items():
            if isinstance(it, pg.PlotItem) and it.isVisible() and it.getAxis("bottom").labelText == "step":
                boxes.append(it.vb)
    return boxes


def assert_views_follow(window) -> None:
    """Every heatmap and trace plot spans exactly the current trace; pinned units and the cursor are in view."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # a replaced task view is deleted, a new one shown, by the event loop
    state = window.state
    T, units = state.trace.length, state.trace.units(state.layer)
    heat = window.panels["heatmaps"]
    assert heat.rows, "the heatmaps have rows"
    for row in heat.rows:
        (x0, x1), (y0, y1) = row.plot.vb.viewRange()
        assert x1 == pytest.approx(T - 0.5) and -0.5 - 0.03 * T <= x0 <= -0.5, (row.quantity, x0, x1, T)
        assert (y0, y1) == pytest.approx((0, units)), (row.quantity, y0, y1, units)
        assert x0 <= state.step <= x1
        visible_rows = {heat.unit_at_row(r) for r in range(int(y0), int(np.ceil(y1)))}
        assert set(state.pinned) <= visible_rows
        assert row.image.width() == min(T, 4000) and row.image.height() == units  # the new data, all of it
    traces = window.panels["traces"]
    for vb in _time_plots(traces):
        (x0, x1), _ = vb.viewRange()
        assert (x0, x1) == pytest.approx((-0.5, max(T - 0.5, 1))), (x0, x1, T)
    for vb in _time_plots(window.panels["io"]):
        (x0, x1), _ = vb.viewRange()
        # the input/output plots run over the steps (sine windows add their rollout after T)
        assert x0 <= 0.5 and x1 >= T - 1.5 and x0 >= -0.05 * T - 1, (x0, x1, T)


def test_heatmap_and_trace_ranges_follow_more_and_fewer_units_and_steps(window, qtbot):
    assert_views_follow(window)  # brackets-lstm: 16 units, 37 steps
    _open(window, qtbot, "bundled:text-lstm")  # 128 units, 209 steps
    assert window.state.trace.units(0) == 128 and window.state.trace.length > 100
    assert_views_follow(window)
    assert set(window.state.pinned) == {60, 103}  # the story units of the text model, in view
    _open(window, qtbot, "bundled:brackets-lstm")  # back to fewer units and steps
    assert_views_follow(window)


def test_ranges_follow_another_cell_kind_and_a_task_switch(window, qtbot):
    _open(window, qtbot, "bundled:digits-lstm")
    assert_views_follow(window)
    _open(window, qtbot, "bundled:text-gru")  # digits -> text, LSTM -> GRU rows
    assert [r.quantity for r in window.panels["heatmaps"].rows][-1] == "hidden_state"
    assert_views_follow(window)
    _open(window, qtbot, "bundled:sine-rnn")  # one row
    assert_views_follow(window)


def test_ranges_follow_layers_directions_and_a_trained_model(window, qtbot):
    model = random_model(3, "gru", units=(9, 5), input_size=3, bidirectional=True)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.use_model(model, "trained")  # what Train > use the result does
    assert_views_follow(window)
    for layer, direction in ((1, "backward"), (1, "forward"), (0, "backward")):
        window.state.set_layer_direction(layer, direction)
        assert_views_follow(window)
    assert window.state.trace.units(1) == 5


def test_hidden_panels_show_the_current_model_when_shown_again(window, qtbot):
    dash = window.dashboard
    for pid in ("heatmaps", "traces"):
        dash.set_panel_visible(pid, False)
    _open(window, qtbot, "bundled:text-lstm")
    window.state.set_step(150)
    for pid in ("heatmaps", "traces"):
        dash.set_panel_visible(pid, True)
    assert dash.is_panel_visible("heatmaps") and dash.is_panel_visible("traces")
    assert_views_follow(window)
    heat = window.panels["heatmaps"]
    assert all(r.cursor.value() == 150 for r in heat.rows)  # the cursor caught up with the step
