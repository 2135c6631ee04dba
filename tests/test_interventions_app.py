"""Interventions in the app (issue 13), end to end on the real main window (pytest-qt, offscreen).

Right-clicks are synthetic mouse clicks on the panels' views; every re-trace is waited for on
``traceReady`` and compared number for number with ``Tracer(model).trace(seq, interventions=...)``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gateviz.core.engine import Tracer  # noqa: E402

WAIT_MS = 60000  # generous: the machine is shared; waits end on the signal, never on time


def _specs(window) -> list[str]:
    return [str(iv) for iv, _ in window.state.interventions]


def _assert_trace_equal(a, b) -> None:
    assert a.length == b.length
    for key, quantities in b.states.items():
        for q, values in quantities.items():
            np.testing.assert_array_equal(a.states[key][q], values, err_msg=f"{key} {q}")
    if b.output is not None:
        np.testing.assert_array_equal(a.output, b.output)


def _right_click_heatmap(qtbot, window, quantity: str, unit: int, step: int):
    heat = window.panels["heatmaps"]
    row = next(r for r in heat.rows if r.quantity == quantity)
    r = int(np.flatnonzero(heat.order == unit)[0])  # the display row of that unit
    scene = row.plot.vb.mapViewToScene(QPointF(step, r + 0.5))
    qtbot.mouseClick(heat.view.viewport(), Qt.MouseButton.RightButton, pos=heat.view.mapFromScene(scene))
    return window.panel_menus.last_menu


def _action(menu, text: str):
    found = [a for a in menu.actions() if a.text() == text]
    assert found, f"{text!r} not in {[a.text() for a in menu.actions()]}"
    return found[0]


def _trigger_and_wait(qtbot, window, action) -> None:
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        action.trigger()


def _idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.runner.is_busy, timeout=WAIT_MS)


def test_heatmap_right_click_clamps_exactly_and_unticking_restores_the_original(window, qtbot):
    s = window.state
    plain = s.trace
    menu = _right_click_heatmap(qtbot, window, "forget_gate", 8, 10)
    t = window.panel_menus.last_target
    assert (t.layer, t.direction, t.quantity, t.unit, t.step) == (0, "forward", "forget_gate", 8, 10)
    assert QApplication.activePopupWidget() is menu, "our menu, not pyqtgraph's, opened on the plot"
    menu.close()
    _trigger_and_wait(qtbot, window, _action(menu, "Clamp forget gate f of unit 8 to 0 from step 10"))

    assert _specs(window) == ["layer0.forward.forget_gate[8]=0@10:"]
    reference = Tracer(s.model).trace(s.sequence, interventions=["layer0.forward.forget_gate[8]=0@10:"])
    _assert_trace_equal(s.trace, reference)
    assert s.original is plain, "the plain run of the same input is reused, not traced again"
    f = s.trace.get(0, "forward", "forget_gate")
    assert (f[10:, 8] == 0).all()
    # before step 10 the plain run's values (the intervened run takes the engine's exact step path: float32 ulps)
    np.testing.assert_allclose(f[:10, 8], plain.get(0, "forward", "forget_gate")[:10, 8], rtol=0, atol=1e-6)
    assert not np.array_equal(s.trace.output, plain.output), "the prediction changes after step 10"
    assert "INTERVENED (1): layer0.forward.forget_gate[8]=0@10:" in window.windowTitle()
    button = window.status.interventions_button
    assert button.isVisible() and button.text() == "⚡ 1 intervention active"
    assert "layer0.forward.forget_gate[8]=0@10:" in button.toolTip()
    assert "forget gate f of unit 8 = 0 from step 10" in button.toolTip()
    dock = window.interventions.dock
    assert not dock.isVisible()
    button.click()  # the status bar's note shows the list
    assert dock.isVisible() and window.interventions.panel.list.item(0).text() == "layer0.forward.forget_gate[8]=0@10:"
    ctl = window.interventions
    ctl.show_difference_action.trigger()  # Interventions (and View) ▸ Heatmaps: show difference
    assert s.show_difference is True
    ctl.show_original_action.trigger()
    assert s.show_original is False
    s.set_show_original(True)
    assert ctl.show_original_action.isChecked(), "the menu follows the state"

    # untick it in the dock: the original comes back at once, without a trace
    item = window.interventions.panel.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    assert s.trace is plain and s.original is None and not window.runner.is_busy
    assert "INTERVENED" not in window.windowTitle() and not button.isVisible()
    assert _specs(window) == ["layer0.forward.forget_gate[8]=0@10:"], "kept in the list, switched off"
    # tick it again: re-traced, still exact
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.interventions.panel.list.item(0).setCheckState(Qt.CheckState.Checked)
    _assert_trace_equal(s.trace, reference)


def test_lecture_presets_for_lstm_gru_and_rnn(window, qtbot):
    s, ctl = window.state, window.interventions
    labels = [a.text() for a in ctl.preset_actions]
    assert labels == ["No forgetting (f = 1)", "No memory (f = 0)", "Input closed (i = 0)",
                      "Output always open (o = 1)"]
    assert [b.defaultAction() for b in ctl.panel.preset_buttons] == ctl.preset_actions, "the dock's buttons"
    assert "Adds layer0.forward.forget_gate[*]=1" in ctl.preset_actions[0].toolTip()
    ctl.preset_actions[0].trigger()
    assert _specs(window) == ["layer0.forward.forget_gate[*]=1"]
    ctl.preset_actions[1].trigger()  # f = 0 replaces f = 1: one click each, they do not stack
    assert _specs(window) == ["layer0.forward.forget_gate[*]=0"]
    ctl.preset_actions[2].trigger()
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        ctl.preset_actions[3].trigger()
    _idle(qtbot, window)
    expected = ["layer0.forward.forget_gate[*]=0", "layer0.forward.input_gate[*]=0", "layer0.forward.output_gate[*]=1"]
    assert _specs(window) == expected
    assert s.trace.meta["interventions"] == expected, "the newest list was traced"
    assert (s.trace.get(0, "forward", "forget_gate") == 0).all()
    assert (s.trace.get(0, "forward", "cell_state") == 0).all(), "f = 0 and i = 0: the cell holds nothing"
    assert (s.trace.get(0, "forward", "hidden_state") == 0).all(), "h = 1 · tanh(0)"

    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.open_model("bundled:brackets-gru")
    assert s.interventions == [], "a new model clears the list"
    assert window.statusBar().currentMessage() == "Cleared 3 interventions: they were for the previous model"
    assert [(a.text(), a.data()) for a in ctl.preset_actions] == [
        ("Always keep (z = 1)", "layer0.forward.update_gate[*]=1"),
        ("Always overwrite (z = 0)", "layer0.forward.update_gate[*]=0"),
        ("Reset closed (r = 0)", "layer0.forward.reset_gate[*]=0")]
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        ctl.preset_actions[0].trigger()
    assert (s.trace.get(0, "forward", "hidden_state") == 0).all(), "z = 1: h_t = h_{t−1} = h_0 = 0"

    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.open_model("bundled:brackets-rnn")
    (only,) = ctl.preset_actions
    assert not only.isEnabled() and "no gates" in only.toolTip()


def test_edit_dialog_checks_the_spec_as_you_type(window, qtbot):
    ctl = window.interventions
    ctl.panel.add_dialog()
    dialog = ctl.panel.dialog
    qtbot.addWidget(dialog)
    dialog.set_text("layer0.forward.forget_gate[99]=0")
    assert not dialog.ok_button.isEnabled()
    assert dialog.error.text() == ("'layer0.forward.forget_gate[99]=0': unit 99 does not exist; this forget_gate "
                                   "has units 0..15")
    dialog.set_text("layer0.forward.reset_gate[3]=0")
    assert not dialog.ok_button.isEnabled()
    assert "LSTM has no reset_gate; choose one of input_gate" in dialog.error.text()
    dialog.set_text("layer0.forward.forget_gate[3")
    assert not dialog.ok_button.isEnabled() and dialog.error.text().startswith("cannot read the intervention")
    dialog.set_text("layer0.forward.forget_gate[3,5-7]=*0.5@4:9")
    assert dialog.ok_button.isEnabled() and dialog.error.text() == ""
    assert dialog.words.text() == "forget gate f of units 3, 5-7 × 0.5 at steps 4–8 (layer 0 forward)"
    dialog.value.setValue(0.25)  # the fields write the text
    assert dialog.text.text() == "layer0.forward.forget_gate[3,5-7]=*0.25@4:9"
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        dialog.accept()
    assert _specs(window) == ["layer0.forward.forget_gate[3,5-7]=*0.25@4:9"]
    # edit it: a step past the input is refused, then a valid one replaces it in place
    ctl.panel.edit_dialog(0)
    dialog = ctl.panel.dialog
    qtbot.addWidget(dialog)
    assert dialog.text.text() == "layer0.forward.forget_gate[3,5-7]=*0.25@4:9"
    n = window.state.trace.length
    dialog.set_text(f"layer0.forward.forget_gate[3]=0@{n}:")
    assert not dialog.ok_button.isEnabled() and f"it has steps 0..{n - 1}" in dialog.error.text()
    dialog.set_text("layer0.forward.cell_state[8]=+1@3")
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        dialog.accept()
    assert _specs(window) == ["layer0.forward.cell_state[8]=+1@3"]
    _assert_trace_equal(window.state.trace, Tracer(window.state.model).trace(
        window.state.sequence, interventions=["layer0.forward.cell_state[8]=+1@3"]))


def test_cell_diagram_and_unit_trace_right_clicks(window, qtbot, monkeypatch):
    from gateviz.ui import intervention_menu

    s, menus = window.state, window.panel_menus
    s.set_pinned([8, 12])
    s.set_step(5)
    cell = window.panels["cell"]
    from PySide6.QtGui import QContextMenuEvent

    # the keyboard's menu key opens the menu too (the mouse's context-menu event is left to the release)
    at_f = cell.gate_rects()["f"].center().toPoint()
    QApplication.sendEvent(cell, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, at_f, cell.mapToGlobal(at_f)))
    assert menus.last_target.quantity == "forget_gate" and QApplication.activePopupWidget() is menus.last_menu
    menus.last_menu.close()
    qtbot.mouseClick(cell, Qt.MouseButton.RightButton, pos=cell.gate_rects()["i"].center().toPoint())
    t = menus.last_target
    assert (t.quantity, t.unit, t.step) == ("input_gate", 8, 5)
    menus.last_menu.close()
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        _action(menus.last_menu, "Clamp input gate i of unit 8 to 1 from step 5").trigger()
    assert _specs(window) == ["layer0.forward.input_gate[8]=1@5:"]

    # the unit traces: the line nearest the mouse is unit 12's in the forget gate's plot, at step 20
    traces = window.panels["traces"]
    plot = next(p for p in traces.plots if p.quantity == "forget_gate")
    y = float(plot.data[20, 12])
    scene = plot.plot.vb.mapViewToScene(QPointF(20, y))
    qtbot.mouseClick(traces.view.viewport(), Qt.MouseButton.RightButton, pos=traces.view.mapFromScene(scene))
    t = menus.last_target
    assert (t.quantity, t.unit, t.step) == ("forget_gate", 12, 20)
    menus.last_menu.close()
    monkeypatch.setattr(intervention_menu, "ask_value", lambda parent, title, label, default: 0.25)
    _action(menus.last_menu, "Clamp forget gate f of unit 12 to a value… from step 20").trigger()
    _action(menus.last_menu, "Silence unit 12 (h = 0 and c = 0 at every step)").trigger()
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        _action(menus.last_menu, "Set c of unit 12 at step 20…").trigger()
    _idle(qtbot, window)
    expected = ["layer0.forward.input_gate[8]=1@5:", "layer0.forward.forget_gate[12]=0.25@20:",
                "layer0.forward.hidden_state[12]=0", "layer0.forward.cell_state[12]=0",
                "layer0.forward.cell_state[12]=0.25@20"]
    assert _specs(window) == expected
    _assert_trace_equal(s.trace, Tracer(s.model).trace(s.sequence, interventions=expected))
    assert window.status.interventions_button.text() == "⚡ 5 interventions active"


def test_new_input_keeps_the_list_a_shorter_one_switches_off_what_no_longer_fits(window, qtbot):
    s, ctl = window.state, window.interventions
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        ctl.add("layer0.forward.forget_gate[8]=0@30:")
    longer = "((((((((()))))))))" * 3  # 54 steps
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.set_sequence(longer, "mine")
    assert _specs(window) == ["layer0.forward.forget_gate[8]=0@30:"] and s.sequence == longer
    _assert_trace_equal(s.trace, Tracer(s.model).trace(longer, interventions=_specs(window)))
    _assert_trace_equal(s.original, Tracer(s.model).trace(longer))
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.set_sequence("(()())", "short")
    assert s.interventions[0][1] is False, "switched off, still listed"
    assert s.original is None and "interventions" not in s.trace.meta
    assert window.statusBar().currentMessage().startswith("Switched off (does not fit this input): ")
    assert "it has steps 0..5" in window.statusBar().currentMessage()


def test_rapid_toggling_coalesces_to_the_newest_list(window, qtbot):
    s, ctl = window.state, window.interventions
    ctl.add("layer0.forward.forget_gate[8]=0@10:")
    ctl.add("layer0.forward.cell_state[8]=0@20")
    shown = []
    ctl.applied.connect(lambda: shown.append(tuple(s.trace.meta.get("interventions", ()))))
    for k in range(12):  # no waiting between clicks
        ctl.set_enabled(k % 2, k % 3 != 0)
    _idle(qtbot, window)
    qtbot.waitUntil(lambda: s.trace.meta.get("interventions") == [str(iv) for iv in s.active_interventions()],
                    timeout=WAIT_MS)
    assert len(shown) == 1, "older requests were dropped: only the newest list was shown"
    assert s.active_interventions() and s.original is not None
    _assert_trace_equal(s.trace, Tracer(s.model).trace(s.sequence, interventions=s.active_interventions()))
    ctl.clear()
    assert s.interventions == [] and s.original is None and "interventions" not in s.trace.meta


def test_a_change_while_a_model_opens_is_traced_when_the_open_is_cancelled(window, qtbot, monkeypatch):
    import threading

    from gateviz.ui import workers

    s, ctl = window.state, window.interventions
    release = threading.Event()
    real = workers.load_and_trace
    monkeypatch.setattr(workers, "load_and_trace", lambda *a, **k: (release.wait(60), real(*a, **k))[1])
    window.open_model("bundled:brackets-gru")
    ctl.add("layer0.forward.forget_gate[8]=0@10:")  # the LSTM is still shown: checked against it
    assert s.original is None, "not traced while the new model opens (it would clear the list)"
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.cancel_job()  # the open is abandoned: the LSTM stays, so its list is traced now
    release.set()
    assert s.model.cell == "lstm" and s.trace.meta["interventions"] == ["layer0.forward.forget_gate[8]=0@10:"]


def test_the_apps_exports_carry_the_interventions_and_say_so(window, qtbot, tmp_path):
    """Export from the window (the Export dialog's path, headless.export_view on the window's state): the
    picture shows the intervened run with its caption and title; the npz data holds the intervened run."""
    from PIL import Image

    from gateviz.export.headless import export_view

    s, ctl = window.state, window.interventions
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        ctl.preset_actions[0].trigger()  # no forgetting: f = 1 everywhere
    _idle(qtbot, window)
    out = tmp_path / "cell.png"
    export_view(s, "cell", out, "png")
    title = Image.open(out).info["Title"]
    assert "Intervened: forget gate f of every unit = 1 at every step" in title
    rgb = np.asarray(Image.open(out).convert("RGB"), dtype=int)[:60]
    assert ((np.abs(rgb - [0xD5, 0x5E, 0x00]).sum(axis=-1) < 60).any(axis=1)).sum() >= 8, "a visible caption"
    assert (s.trace.get(0, "forward", "forget_gate") == 1).all()
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        ctl.set_enabled(0, False)  # switched off: the next picture is the plain model, no caption
    out2 = tmp_path / "plain.png"
    export_view(s, "cell", out2, "png")
    assert "Intervened" not in Image.open(out2).info["Title"]
