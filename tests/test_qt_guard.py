"""No exception escapes into Qt (issue 11): a paint event or slot that raises is logged and reported in the
status bar and one dialog; a model that fails while the window takes it in leaves the previous one shown and
``loadFailed`` emitted; a model with NaN weights is announced once."""

import numpy as np
import pytest
from app_helpers import WINDOW_WAIT_MS

from gateviz.ui import guard


@pytest.fixture(autouse=True)
def fresh_guard(monkeypatch):
    """Each test sees its errors for the first time (the guard logs and shows a dialog once per error)."""
    monkeypatch.setattr(guard, "_seen", {})


def _settle(qtbot, ms=100):
    qtbot.wait(ms)


def test_guarded_drops_extra_signal_arguments_and_returns_the_fallback():
    calls = []

    class Thing:
        @guard.guarded
        def slot(self, a):
            calls.append(a)

        @guard.guarded(fallback=False)
        def event(self, ev):
            raise ValueError("bad")

    Thing().slot(1, 2, 3)  # PySide passes every argument of the signal to a wrapper with *args
    assert calls == [1]
    with guard.collecting() as caught:
        assert Thing().event(None) is False
    assert len(caught) == 1 and caught[0].startswith(
        "test_guarded_drops_extra_signal_arguments_and_returns_the_fallback.<locals>.Thing.event: "
        "unexpected ValueError: bad (in event, test_qt_guard.py:")


def test_a_paint_event_that_raises_keeps_the_app_alive_with_one_message(window, qtbot, monkeypatch, caplog):
    from gateviz.ui.panels import cell_scene

    def broken(*args, **kwargs):
        raise ValueError("cannot convert float NaN to integer")

    monkeypatch.setattr(cell_scene, "paint", broken)
    cell = window.panels["cell"]
    cell.invalidate()
    for _ in range(5):  # every paint raises: one log entry, one dialog, never a crash
        cell.repaint()
    qtbot.waitUntil(lambda: len(window.shown_errors) == 1, timeout=5000)
    for _ in range(3):
        cell.repaint()
    _settle(qtbot)
    assert len(window.shown_errors) == 1
    title, message = window.shown_errors[0]
    assert title == "Something went wrong" and "cannot convert float NaN to integer" in message
    assert "CellDiagramPanel.paintEvent" in window.statusBar().currentMessage()
    assert sum("CellDiagramPanel.paintEvent" in r.getMessage() for r in caplog.records if r.levelname == "ERROR") == 1
    # the window goes on: stepping moves every panel's cursor
    step = window.state.step
    window.player.step_by(1)
    assert window.state.step == step + 1


def test_a_slot_that_raises_leaves_the_other_panels_updated(window, qtbot, monkeypatch):
    from gateviz.ui.panels.heatmaps import HeatmapPanel

    def broken(self, step):
        raise AttributeError("'NoneType' object has no attribute 'kind'")

    monkeypatch.setattr(HeatmapPanel, "on_step", broken)
    window.state.set_step(3)
    window.state.set_step(4)
    qtbot.waitUntil(lambda: len(window.shown_errors) == 1, timeout=5000)
    _settle(qtbot)
    assert len(window.shown_errors) == 1 and "no attribute 'kind'" in window.shown_errors[0][1]
    assert window.panels["cell"].step == 4  # connected after the heatmaps: still ran
    assert window.status.model_label.text().endswith("t = 4 / 36")


def test_a_model_that_fails_while_shown_leaves_the_previous_one(window, qtbot, monkeypatch):
    """An AttributeError while applying a loaded model (e.g. an input kind the editors do not know) escaped
    the slot: the window was half-updated and traceReady never came."""
    before_model, before_trace = window.state.model, window.state.trace
    before_title = window.windowTitle()

    install = window._install_editor
    failing = [True]

    def broken(model, task):  # the new model's editor fails; the previous one's still works
        if failing and model.name == "sine-lstm":
            raise AttributeError("'str' object has no attribute 'kind'")
        install(model, task)

    monkeypatch.setattr(window, "_install_editor", broken)
    with qtbot.waitSignal(window.loadFailed, timeout=WINDOW_WAIT_MS) as failed:
        window.open_model("bundled:sine-lstm")
    assert "no attribute 'kind'" in failed.args[0]
    assert window.state.model is before_model and window.state.trace is before_trace
    assert window.windowTitle() == before_title
    assert window.panels["heatmaps"].state.trace is before_trace
    assert [t for t, _ in window.shown_errors] == ["Cannot open bundled:sine-lstm"]
    assert window.controls.sequence_box.editor is not None  # the bracket model's editor is back
    failing.clear()  # (not monkeypatch.undo(): it would also undo shown_errors' stand-in for the dialog)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):  # later opens work
        window.open_model("bundled:sine-lstm")
    assert window.state.model.name == "sine-lstm"


def test_a_nan_model_is_announced_in_the_status_bar_and_one_dialog(window, qtbot, tmp_path):
    from gateviz.bundled import load_bundled

    model = load_bundled("brackets-lstm")
    model.layers[0].directions[0].Wh[3, 2] = np.nan
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model(model)
    qtbot.waitUntil(lambda: len(window.shown_errors) == 1, timeout=5000)
    title, message = window.shown_errors[0]
    assert title == "NaN or Inf in the model"
    assert "NaN first appears at step" in message and "layer 0 forward Wh (1 NaN)" in message
    label = window.status.nonfinite_label
    assert label.isVisible() and label.text().startswith("⚠ NaN/Inf: NaN first appears at step")
    # every panel drew it: a repaint of the whole window raises nothing
    window.grab()
    # a new input for the same model: the status bar still says so, no second dialog
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence("(()())", "mine")
    _settle(qtbot)
    assert len(window.shown_errors) == 1 and label.isVisible()
    # a finite model clears it
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model("bundled:brackets-lstm")
    assert not label.isVisible() and len(window.shown_errors) == 1
