"""Session files in the app (issue 16): File ▸ Save Session / Open Session, Open Recent, moved and changed
model files, broken and future-version sessions.

Every field is set to a value that is not its default in a real window, saved, and opened in a fresh
window; the restored window must show each of them, and the same traces (exactly) as the first.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app_helpers import WINDOW_WAIT_MS, open_window


def _same_trace(a, b) -> None:
    assert a.length == b.length and set(a.states) == set(b.states)
    for key, quantities in a.states.items():
        for name, values in quantities.items():
            np.testing.assert_array_equal(values, b.states[key][name], err_msg=f"{key} {name}")


def _open(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.sessions.restored, timeout=WINDOW_WAIT_MS):
        window.open_path(str(path))


def _wait_trace(qtbot, window, action) -> None:
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        action()


def _view(window) -> dict:
    """Everything a session restores, as the window shows it."""
    from gateviz.ui import i18n

    s, dash = window.state, window.dashboard
    return {"model": window.state.model.name, "bundled": window.bundled_name, "layer": s.layer,
            "direction": s.direction, "pinned": list(s.pinned),
            "row_order": None if s.row_order is None else list(s.row_order), "step": s.step,
            "snapshot": window.training.index if window.training.base is not None else None,
            "slider": window.training_bar.slider.value() if window.training.base is not None else None,
            "interventions": [(str(iv), on) for iv, on in s.interventions],
            "applied": list(s.trace.meta.get("interventions", ())) if s.original is not None else [],
            "gradient_output": s.gradient_output, "gradient_unit": s.gradient_unit, "show_memory": s.show_memory,
            "show_original": s.show_original, "show_difference": s.show_difference,
            "layout": dash.layout_name, "hidden": sorted(p for p in window.panels if not dash.is_panel_wanted(p)),
            "theme": s.theme, "language": i18n.current_language(),
            "input": s.sequence if isinstance(s.sequence, str) else np.asarray(s.sequence).tolist(),
            "input_name": window.controls.sequence_box._current}


@pytest.fixture
def english():
    from gateviz.ui import i18n

    yield
    if i18n.current_language() != "en":
        i18n.set_language("en")


@pytest.fixture
def settings_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    return tmp_path


def test_round_trip_restores_every_field_bundled_model_embedded(qtbot, settings_dir, english, shown_errors):
    """Bundled brackets LSTM (with training snapshots): an edited input, pins, row order, step, snapshot,
    two interventions (one off), gradient target, comparison toggles, layout, hidden panel, theme,
    colour map, presentation, cell scale, GRU convention, language."""
    from gateviz.session import read_session

    window = open_window(qtbot, "bundled:brackets-lstm")
    s = window.state
    assert window.training.base is not None
    sample = window.samples[1]
    _wait_trace(qtbot, window, lambda: window.set_sequence(sample.sequence[:-2], "my input"))
    s.set_pinned([3, 5, 1])
    s.set_row_order(np.arange(s.trace.units(0))[::-1].copy())
    s.set_step(7)
    with qtbot.waitSignal(window.training.shown, timeout=WINDOW_WAIT_MS):
        window.training.set_index(5)
    from gateviz.core.interventions import Intervention

    _wait_trace(qtbot, window, lambda: s.set_interventions(
        [(Intervention.parse("layer0.forward.forget_gate[3]=0@4:"), True),
         (Intervention.parse("layer0.forward.cell_state[*]=*0.5"), False)]))
    s.set_gradient_target(unit=(0, "forward", 5))
    s.set_show_original(False)
    s.set_show_difference(True)
    window.set_layout("gates")
    window.dashboard.set_panel_visible("traces", False)
    window.set_theme(name="dark", presentation=True, colormap="magma", cell_scale="unit", gru_convention="textbook")
    window.set_language("zh_CN")
    before = _view(window)
    trace_before = s.trace
    path = settings_dir / "lecture.gvsession"
    assert window.sessions.save_to(str(path))
    saved = read_session(path)
    assert saved.model.source == "bundled" and saved.model.embedded and saved.snapshot == 5
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "gateviz-session"
    window.set_language("en")
    window.close()

    fresh = open_window(qtbot)  # the default model, default view
    assert _view(fresh) != before
    _open(qtbot, fresh, path)
    after = _view(fresh)
    for key, value in before.items():
        if key == "input":
            np.testing.assert_array_equal(np.asarray(after[key]), np.asarray(value))
        else:
            assert after[key] == value, key
    assert after["snapshot"] == 5 and after["applied"] == ["layer0.forward.forget_gate[3]=0@4:"]
    _same_trace(fresh.state.trace, trace_before)
    _same_trace(fresh.state.original, window.state.original)
    assert fresh.model_to_save() is not fresh.state.model  # the snapshot is shown; the model keeps all of them
    assert len(fresh.model_to_save().snapshots) == len(window.model_to_save().snapshots)
    assert not shown_errors
