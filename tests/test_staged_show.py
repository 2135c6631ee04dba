"""A long trace reaches the window's panels one per event-loop pass (issue 17: the GUI thread's
block while a 100k-step trace is shown), with the same result as showing it at once; a short
trace is shown at once, as before."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from app_helpers import WINDOW_WAIT_MS, open_window  # noqa: E402
from test_gui_latency import long_input, lstm  # noqa: E402

from gateviz.core import view_products  # noqa: E402
from gateviz.ui import staged_show, window_loading  # noqa: E402
from gateviz.ui.panels.common import Panel  # noqa: E402

STEPS = 20_000  # x 2 layers x 64 units = 2.56M unit-steps: staged


def _window_with(qtbot, model):
    window = open_window(qtbot)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model(model)
    return window


def _log_catch_ups(monkeypatch, log):
    real = Panel.catch_up

    def logged(self):
        log.append(("catch_up", type(self).__name__))
        real(self)

    monkeypatch.setattr(Panel, "catch_up", logged)


def _log_catch_ups_and_ticks(monkeypatch, log):
    """Log the panels' catch-ups and the ticks of a 1 ms timer (the event loop running between them)."""
    from PySide6.QtCore import QTimer

    _log_catch_ups(monkeypatch, log)
    ticks = QTimer()
    ticks.setInterval(1)
    ticks.timeout.connect(lambda: log.append(("tick", None)))
    ticks.start()
    return ticks


def _shown(window):
    """What the panels show of the current trace: the heatmap images, the traces' lines, the step."""
    heat = window.panels["heatmaps"]
    traces = window.panels["traces"]
    return ([np.asarray(r.image.image).copy() for r in heat.rows],
            [(p.quantity, u, np.asarray(p.lines[u].yData).copy()) for p in traces.plots for u in sorted(p.lines)],
            window.state.step, window.state.layer, [p.cursor.value() for p in traces.plots])


def test_a_long_trace_reaches_the_panels_one_per_pass_and_shows_what_one_pass_would(qtbot, monkeypatch):
    model = lstm(units=64, layers=2)
    x = long_input(STEPS)
    window = _window_with(qtbot, model)
    log = []
    ticks = _log_catch_ups_and_ticks(monkeypatch, log)
    pending_when_set = []
    window.state.traceChanged.connect(lambda: pending_when_set.extend(
        p._trace_pending for p in window.panels.values() if hasattr(p, "catch_up")))
    released = []
    monkeypatch.setattr(window_loading, "release_later",
                        lambda *traces: released.append(len([e for e in log if e[0] == "catch_up"])))
    refit = window.dashboard.refit
    monkeypatch.setattr(window.dashboard, "refit", lambda *a, **k: (log.append(("refit", None)), refit(*a, **k)))
    ready_at = []
    window.traceReady.connect(lambda: ready_at.append(len(log)))
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(x, "long")
    ticks.stop()
    assert window.state.trace.length == STEPS
    assert pending_when_set and all(pending_when_set), "every panel waited for its own pass"
    ups = [k for k, e in enumerate(log) if e[0] == "catch_up"]
    panels = [p for p in window.panels.values() if hasattr(p, "catch_up")]
    assert len(ups) == len(panels)
    between = [e for e in log[ups[0]:ups[-1]] if e[0] == "tick"]
    assert len(between) >= len(panels) - 1, "the event loop ran between the panels' updates"
    assert released == [len(panels)], "the replaced trace is freed after the last panel, not during"
    # the dashboard measures the panels again once they hold the new trace, before traceReady
    assert ("refit", None) in log[ups[-1]:ready_at[0]]
    staged = _shown(window)
    # the same trace shown in one pass: a new window, staging off
    monkeypatch.setattr(staged_show, "STAGED_FROM", 10 ** 12)
    other = _window_with(qtbot, model)
    with qtbot.waitSignal(other.traceReady, timeout=WINDOW_WAIT_MS):
        other.set_sequence(x, "long")
    at_once = _shown(other)
    for a, b in zip(staged[0], at_once[0]):
        np.testing.assert_array_equal(a, b)
    assert [(q, u) for q, u, _ in staged[1]] == [(q, u) for q, u, _ in at_once[1]]
    for (_, _, a), (_, _, b) in zip(staged[1], at_once[1]):
        np.testing.assert_array_equal(a, b)
    assert staged[2:] == at_once[2:]


def test_a_short_trace_is_shown_in_the_same_pass(qtbot, monkeypatch):
    window = _window_with(qtbot, lstm(units=16))
    log = []
    _log_catch_ups(monkeypatch, log)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(long_input(300), "short")
    assert log == [] and not window.staged.active
    assert window.panels["traces"].length == 300


def test_a_layer_and_step_chosen_while_the_panels_wait_are_what_they_show(qtbot):
    """The state takes the new trace at once; a layer or step set before the panels caught up is
    shown by them once they do (their rebuild reads the state then)."""
    model = lstm(units=64, layers=2)
    window = _window_with(qtbot, model)

    def choose():
        window.state.set_layer_direction(1, "forward")
        window.state.set_step(12_345)

    window.state.traceChanged.connect(choose)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(long_input(STEPS), "long")
    window.state.traceChanged.disconnect(choose)
    trace = window.state.trace
    heat = window.panels["heatmaps"]
    row = next(r for r in heat.rows if r.quantity == "forget_gate")
    want = view_products.products_for(trace).heat(1, "forward", "forget_gate", "framework", False).image
    np.testing.assert_array_equal(row.image.image, want)
    traces = window.panels["traces"]
    for p in traces.plots:
        for u, line in p.lines.items():
            np.testing.assert_array_equal(line.yData, trace.get(1, "forward", p.quantity)[:, u])
    assert window.state.step == 12_345
    for p in traces.plots:  # the cursor and the pinned units' markers at that step, on layer 1's values
        assert p.cursor.value() == 12_345
        for u, dot in p.dots.items():
            assert dot.pos().x() == 12_345 and dot.pos().y() == pytest.approx(float(p.data[12_345, u]))
            assert p.data is trace.get(1, "forward", p.quantity)


def test_finish_catches_every_panel_up_at_once(qtbot):
    """A new trace arriving, a failure, or anything that needs the panels current: ``finish()``."""
    window = _window_with(qtbot, lstm(units=64, layers=2))
    seen = []

    def finish_now():
        assert window.staged.active
        window.staged.finish()
        seen.append([p._trace_pending for p in window.panels.values() if hasattr(p, "catch_up")])

    window.state.traceChanged.connect(finish_now)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(long_input(STEPS), "long")
    window.state.traceChanged.disconnect(finish_now)
    assert seen == [[False] * len(seen[0])] and not window.staged.active
    assert window.panels["traces"].length == STEPS


def test_a_layer_switch_and_a_pin_on_a_long_trace_reach_the_panels_one_per_pass(qtbot, monkeypatch):
    window = _window_with(qtbot, lstm(units=64, layers=2))
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(long_input(STEPS), "long")
    trace = window.state.trace
    log = []
    ticks = _log_catch_ups_and_ticks(monkeypatch, log)
    window.state.set_layer_direction(1, "forward")
    assert window.state.layer == 1 and window.staged.active, "the state changed at once, the panels wait"
    qtbot.waitUntil(lambda: not window.staged.active, timeout=WINDOW_WAIT_MS)
    ups = [k for k, e in enumerate(log) if e[0] == "catch_up"]
    panels = [p for p in window.panels.values() if hasattr(p, "catch_up")]
    assert len(ups) == len(panels)
    assert len([e for e in log[ups[0]:ups[-1]] if e[0] == "tick"]) >= len(panels) - 1
    row = next(r for r in window.panels["heatmaps"].rows if r.quantity == "forget_gate")
    np.testing.assert_array_equal(row.image.image, view_products.products_for(trace).heat(
        1, "forward", "forget_gate", "framework", False).image)
    traces = window.panels["traces"]
    new_unit = next(u for u in range(64) if u not in window.state.pinned)
    window.state.set_pinned(list(window.state.pinned) + [new_unit])
    qtbot.waitUntil(lambda: not window.staged.active, timeout=WINDOW_WAIT_MS)
    ticks.stop()
    for p in traces.plots:
        assert sorted(p.lines) == sorted(window.state.pinned)
        for u, line in p.lines.items():
            assert line.isVisible()
            np.testing.assert_array_equal(line.yData, trace.get(1, "forward", p.quantity)[:, u])


def test_a_dashboard_rebuilt_while_panels_wait_leaves_none_waiting(qtbot):
    """A language switch builds the dashboard again (its panels are deleted): the staged work is
    finished first, and the new panels show the current layer."""
    window = _window_with(qtbot, lstm(units=64, layers=2))
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(long_input(STEPS), "long")
    window.state.set_layer_direction(1, "forward")
    assert window.staged.active
    old = window.panels["traces"]
    window._rebuild_dashboard()
    assert not window.staged.active and window.panels["traces"] is not old
    qtbot.wait(50)  # a stray catch-up would have run on a deleted panel by now
    trace = window.state.trace
    for p in window.panels["traces"].plots:
        for u, line in p.lines.items():
            np.testing.assert_array_equal(line.yData, trace.get(1, "forward", p.quantity)[:, u])
