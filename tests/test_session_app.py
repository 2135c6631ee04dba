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


# --------------------------------------------------------------------------- files that moved or changed


@pytest.fixture
def gvm_session(tmp_path):
    """A 2-layer bidirectional LSTM .gvm and a session of it on layer 1 backward (written without a window)."""
    from export_helpers import small_model

    from gateviz import session as S
    from gateviz.formats.gateviz_file import save_model

    model = small_model("lstm", units=6, layers=2, bidirectional=True)
    path = tmp_path / "models" / "stack.gvm"
    path.parent.mkdir()
    save_model(model, path)
    seq = np.cos(np.linspace(0, 5, 15))[:, None].astype(np.float32)
    session = S.Session(model=S.model_ref(model, str(path)), sequence=seq, input_name="cosine", layer=1,
                        direction="backward", pinned=[5, 0], step=11, theme="dark")
    return path, S.write_session(session, tmp_path / "stack.gvsession")


def _answers(monkeypatch, *, model_file=None, changed=True):
    """Answer the session's dialogs; returns the questions asked."""
    from gateviz.ui import session_ctl

    asked = []

    def ask(parent, ref, reason):
        asked.append(("ask", reason))
        return model_file

    def confirm(parent, path):
        asked.append(("confirm", path))
        return changed

    monkeypatch.setattr(session_ctl, "ask_model_file", ask)
    monkeypatch.setattr(session_ctl, "confirm_changed", confirm)
    return asked


def test_a_file_session_restores_layer_direction_and_the_model_file(qtbot, settings_dir, gvm_session, shown_errors):
    path, session = gvm_session
    window = open_window(qtbot)
    _open(qtbot, window, session)
    s = window.state
    assert (s.layer, s.direction, s.pinned, s.step, s.theme.name) == (1, "backward", [5, 0], 11, "dark")
    assert window.model_source == str(path.resolve()) and s.model.name == "test-lstm"
    assert window.controls.sequence_box._current == "cosine"
    from gateviz.core.engine import Tracer

    _same_trace(s.trace, Tracer(s.model).trace(s.sequence))
    assert not shown_errors


def test_moved_model_file_is_located(qtbot, settings_dir, gvm_session, monkeypatch, shown_errors):
    path, session = gvm_session
    moved = settings_dir / "moved.gvm"
    path.rename(moved)
    asked = _answers(monkeypatch, model_file=("locate", str(moved)))
    window = open_window(qtbot)
    _open(qtbot, window, session)
    assert asked == [("ask", "missing")]  # same bytes at the new place: no warning
    assert window.model_source == str(moved) and window.state.layer == 1
    assert not shown_errors


def test_changed_model_file_is_warned_and_used_only_when_confirmed(qtbot, settings_dir, gvm_session, monkeypatch,
                                                                   shown_errors):
    from export_helpers import small_model

    from gateviz.formats.gateviz_file import save_model

    path, session = gvm_session
    save_model(small_model("lstm", units=6, layers=2, bidirectional=True, seed=1), path, overwrite=True)
    window = open_window(qtbot)
    first = window.state.model
    asked = _answers(monkeypatch, model_file=None)  # Cancel
    with qtbot.waitSignal(window.sessions.failed, timeout=WINDOW_WAIT_MS):
        window.sessions.open_session(str(session))
    assert asked == [("ask", "changed")] and window.state.model is first
    assert "was not located" in window.statusBar().currentMessage()
    asked = _answers(monkeypatch, model_file=("locate", str(path)), changed=True)  # the changed file, confirmed
    _open(qtbot, window, session)
    assert asked == [("ask", "changed"), ("confirm", str(path))]
    assert window.state.model is not first and window.state.layer == 1
    np.testing.assert_array_equal(window.state.model.layers[0].directions[0].Wx,
                                  small_model("lstm", units=6, layers=2, bidirectional=True,
                                              seed=1).layers[0].directions[0].Wx)
    second = window.state.model
    asked = _answers(monkeypatch, model_file=("locate", str(path)), changed=False)  # ... or refused
    with qtbot.waitSignal(window.sessions.failed, timeout=WINDOW_WAIT_MS):
        window.sessions.open_session(str(session))
    assert asked == [("ask", "changed"), ("confirm", str(path))] and window.state.model is second
    assert not shown_errors


def test_the_embedded_copy_is_used_when_the_file_is_gone(qtbot, settings_dir, gvm_session, monkeypatch,
                                                          shown_errors):
    import base64

    path, session = gvm_session
    data = json.loads(session.read_text(encoding="utf-8"))
    data["model"]["embedded"] = base64.b64encode(path.read_bytes()).decode()
    session.write_text(json.dumps(data), encoding="utf-8")
    path.unlink()
    asked = _answers(monkeypatch)
    window = open_window(qtbot)
    _open(qtbot, window, session)
    assert asked == []  # no question: the session holds the model
    assert window.state.layer == 1 and window.state.model.name == "test-lstm"
    assert "embedded" in window.statusBar().currentMessage()
    assert not shown_errors


# --------------------------------------------------------------------------- broken sessions


@pytest.mark.parametrize("content, needles", [
    ("{ nope", ["is not a gateviz session file", "not valid JSON"]),
    (json.dumps({"format": "gateviz-session", "version": 2}), ["written by a newer gateviz (session format 2)",
                                                               "reads version 1", "update gateviz"]),
    ("edit", ["'view.step' is missing"]),
])
def test_broken_sessions_get_a_dialog_never_a_crash(qtbot, settings_dir, gvm_session, shown_errors, content,
                                                     needles):
    _path, session = gvm_session
    if content == "edit":
        data = json.loads(session.read_text(encoding="utf-8"))
        del data["view"]["step"]
        content = json.dumps(data)
    bad = settings_dir / "bad.gvsession"
    bad.write_text(content, encoding="utf-8")
    window = open_window(qtbot)
    first = window.state.model
    with qtbot.waitSignal(window.sessions.failed, timeout=WINDOW_WAIT_MS):
        window.open_path(str(bad))
    assert len(shown_errors) == 1 and shown_errors[0][0] == "Cannot open the session"
    for needle in needles:
        assert needle in shown_errors[0][1]
    assert window.state.model is first


def test_a_view_that_does_not_fit_the_model_is_a_dialog(qtbot, settings_dir, gvm_session, shown_errors):
    _path, session = gvm_session
    data = json.loads(session.read_text(encoding="utf-8"))
    data["view"]["step"] = 99
    session.write_text(json.dumps(data), encoding="utf-8")
    window = open_window(qtbot)
    with qtbot.waitSignal(window.sessions.failed, timeout=WINDOW_WAIT_MS):
        window.open_path(str(session))
    assert shown_errors and "'view.step' is wrong (99)" in shown_errors[0][1] and "0..14" in shown_errors[0][1]


def test_startup_with_a_broken_session_opens_the_bundled_model(qtbot, settings_dir, shown_errors):
    from gateviz.ui.main_window import MainWindow

    bad = settings_dir / "bad.gvsession"
    bad.write_text("[]", encoding="utf-8")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.sessions.open_startup(str(bad))
    assert shown_errors and "is not a gateviz session file" in shown_errors[0][1]
    assert window.state.model is not None


# --------------------------------------------------------------------------- app models, recent sessions


def test_an_app_trained_model_is_embedded(qtbot, settings_dir, shown_errors):
    from export_helpers import small_model

    from gateviz.session import read_session

    window = open_window(qtbot)
    model = small_model("gru", units=7)
    model.name = "trained-here"
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.use_model(model, "trained")
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(np.linspace(-1, 1, 9)[:, None].astype(np.float32), "ramp")
    window.state.set_pinned([6, 2])
    path = settings_dir / "trained.gvsession"
    assert window.sessions.save_to(str(path))
    ref = read_session(path).model
    assert ref.source == "app" and ref.embedded and ref.path is None
    fresh = open_window(qtbot)
    _open(qtbot, fresh, path)
    assert fresh.state.model.name == "trained-here" and fresh.state.pinned == [6, 2]
    np.testing.assert_array_equal(fresh.state.model.layers[0].directions[0].Wh, model.layers[0].directions[0].Wh)
    _same_trace(fresh.state.trace, window.state.trace)
    assert not shown_errors


def test_open_recent_lists_a_saved_session_and_opens_it(qtbot, settings_dir, gvm_session, shown_errors):
    _path, session = gvm_session
    window = open_window(qtbot)
    _open(qtbot, window, session)
    window.state.set_step(3)
    saved = settings_dir / "again.gvsession"
    assert window.sessions.save_to(str(saved))
    window._fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.toolTip() == str(saved.resolve())]
    assert len(entries) == 1 and entries[0].text() == "again.gvsession"
    fresh = open_window(qtbot)
    fresh._fill_recent_menu()
    action = next(a for a in fresh.recent_menu.actions() if a.toolTip() == str(saved.resolve()))
    with qtbot.waitSignal(fresh.sessions.restored, timeout=WINDOW_WAIT_MS):
        action.trigger()
    assert fresh.state.step == 3 and fresh.state.layer == 1
    assert not shown_errors


def test_saving_asks_before_replacing(qtbot, settings_dir, monkeypatch, shown_errors):
    from gateviz.ui import errors

    window = open_window(qtbot)
    target = settings_dir / "exists.gvsession"
    target.write_text("keep", encoding="utf-8")
    monkeypatch.setattr(errors, "confirm_overwrite", lambda parent, path: False)
    assert not window.sessions.save_to(str(target)) and target.read_text(encoding="utf-8") == "keep"
    monkeypatch.setattr(errors, "confirm_overwrite", lambda parent, path: True)
    assert window.sessions.save_to(str(target)) and target.read_text(encoding="utf-8").startswith("{")
    assert window.sessions.save_to(str(settings_dir / "plain"))  # the extension is added
    assert (settings_dir / "plain.gvsession").exists()


def test_menu_actions_and_keys(qtbot, settings_dir):
    window = open_window(qtbot)
    actions = window.file_menu.actions()
    assert window.save_session_action in actions and window.open_session_action in actions
    assert window.save_session_action.shortcut().toString() == "Ctrl+Alt+S"
    assert window.open_session_action.shortcut().toString() == "Ctrl+Alt+O"
    keys = [a.shortcut().toString() for a in window.findChildren(type(window.save_session_action)) if
            not a.shortcut().isEmpty()]
    assert keys.count("Ctrl+Alt+S") == 1 and keys.count("Ctrl+Alt+O") == 1
