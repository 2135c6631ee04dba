"""Session files on the command line (issue 16): ``gateviz export SESSION -o fig.png`` renders the
session's view pixel for pixel as the app's own export of the restored view; broken, moved, changed and
future-version sessions are one ``gateviz: error:`` line and exit status 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app_helpers import WINDOW_WAIT_MS, open_window
from cli_checks import error_line
from export_helpers import image_array, small_model

from gateviz import session as S


@pytest.fixture
def english():
    yield
    from gateviz.ui import i18n

    if i18n.current_language() != "en":
        i18n.set_language("en")


@pytest.fixture
def gvm_session(tmp_path):
    """A 2-layer bidirectional GRU .gvm and a session of layer 1 backward with an intervention."""
    from gateviz.formats.gateviz_file import save_model

    model = small_model("gru", units=5, layers=2, bidirectional=True)
    path = tmp_path / "stack.gvm"
    save_model(model, path)
    seq = np.sin(np.linspace(0, 6, 14))[:, None].astype(np.float32)
    session = S.Session(model=S.model_ref(model, str(path)), sequence=seq, layer=1, direction="backward",
                        pinned=[3, 1], step=5, interventions=[("layer1.backward.update_gate[3]=1@2:", True)],
                        layout="gates", theme="dark", colormap="magma")
    return path, S.write_session(session, tmp_path / "s.gvsession")


def _main(*argv) -> int:
    from gateviz.cli import main

    return main([str(a) for a in argv])


def test_export_of_a_session_equals_the_apps_export_of_the_restored_view(qtbot, tmp_path, english, monkeypatch):
    """A session saved in a real window (bundled model at a training snapshot, interventions, pins, row
    order, layout with a hidden panel, dark magma theme, textbook GRU convention, Chinese): opened in a
    fresh window, exported as the Export dialog does it, and exported by the CLI: the same pixels."""
    monkeypatch.setenv("GATEVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    from gateviz.core.interventions import Intervention
    from gateviz.export import headless
    from gateviz.ui.export_dialog import _layout, _visible_panels

    window = open_window(qtbot, "bundled:brackets-lstm")
    s = window.state
    s.set_pinned([2, 6])
    s.set_row_order(np.roll(np.arange(s.trace.units(0)), 3))
    s.set_step(9)
    with qtbot.waitSignal(window.training.shown, timeout=WINDOW_WAIT_MS):
        window.training.set_index(3)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        s.set_interventions([(Intervention.parse("layer0.forward.cell_state[2]=0@5:"), True)])
    window.set_layout("gates")
    window.set_theme(name="dark", colormap="magma", cell_scale="unit")
    window.set_language("zh_CN")  # the dashboard is built again in Chinese, and laid out in the event loop
    qtbot.waitUntil(lambda: window.dashboard.isVisible() and window.dashboard.width() > 800, timeout=WINDOW_WAIT_MS)
    session_path = tmp_path / "lecture.gvsession"
    assert window.sessions.save_to(str(session_path))
    window.set_language("en")
    qtbot.waitUntil(lambda: window.dashboard.width() > 800, timeout=WINDOW_WAIT_MS)  # the size it closes with
    window.close()

    fresh = open_window(qtbot)
    with qtbot.waitSignal(fresh.sessions.restored, timeout=WINDOW_WAIT_MS):
        fresh.sessions.open_session(str(session_path))
    app_png, cli_png = tmp_path / "app.png", tmp_path / "cli.png"
    live = fresh.dashboard
    assert (live.width(), live.height()) == S.read_session(session_path).view_size
    headless.export_view(fresh.state, "dashboard", app_png, "png", overwrite=True, size=(1200, 700),
                         logical_size=(live.width(), live.height()), visible_panels=_visible_panels(fresh),
                         layout=_layout(fresh, "dashboard"))
    # without a size: the app's export has the dashboard's size on screen, the CLI the size saved with it
    app_natural = tmp_path / "app-natural.png"
    headless.export_view(fresh.state, "dashboard", app_natural, "png", overwrite=True,
                         logical_size=(live.width(), live.height()), visible_panels=_visible_panels(fresh),
                         layout=_layout(fresh, "dashboard"))
    fresh.set_language("en")
    fresh.close()
    assert _main("export", session_path, "-o", cli_png, "--size", "1200x700") == 0
    a, b = image_array(app_png), image_array(cli_png)
    assert a.shape == b.shape == (700, 1200, a.shape[2])
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a.reshape(-1, a.shape[2]), axis=0)) > 50  # a real picture, not a blank frame
    cli_natural = tmp_path / "cli-natural.png"
    assert _main("export", session_path, "-o", cli_natural) == 0
    np.testing.assert_array_equal(image_array(app_natural), image_array(cli_natural))


def test_export_a_file_session_and_a_panel(tmp_path, gvm_session, capsys, english):
    path, session = gvm_session
    out = tmp_path / "cell.png"
    assert _main("export", session, "-o", out, "--panel", "cell", "--size", "800x500") == 0
    assert "the session's cell at step 5" in capsys.readouterr().out
    assert image_array(out).shape[:2] == (500, 800)


@pytest.mark.parametrize("content, needles", [
    ("{ nope", ["is not a gateviz session file", "not valid JSON"]),
    (json.dumps({"format": "gateviz-session", "version": 7}), ["written by a newer gateviz (session format 7)",
                                                               "update gateviz"]),
    (json.dumps({"format": "gateviz-session", "version": 1}), ["'model' is missing"]),
])
def test_broken_and_future_sessions_are_one_line(tmp_path, capsys, content, needles):
    bad = tmp_path / "bad.gvsession"
    bad.write_text(content, encoding="utf-8")
    assert _main("export", bad, "-o", tmp_path / "x.png") == 2
    error_line(capsys, str(bad), *needles)
    assert not (tmp_path / "x.png").exists()


def test_moved_and_changed_models(tmp_path, gvm_session, capsys, english):
    path, session = gvm_session
    moved = path.with_name("moved.gvm")
    path.rename(moved)
    assert _main("export", session, "-o", tmp_path / "a.png") == 2
    error_line(capsys, "model file", str(path), "is missing")
    moved.rename(path)
    path.write_bytes(path.read_bytes() + b" ")  # changed: its hash differs
    assert _main("export", session, "-o", tmp_path / "a.png") == 2
    error_line(capsys, "has changed since the session was saved", "sha256")
    # with the model embedded, the copy is used and the CLI says so
    data = json.loads(session.read_text(encoding="utf-8"))
    from gateviz.formats.gateviz_file import load_gateviz_model  # noqa: F401 (the copy is a .gvm)
    import base64

    data["model"]["embedded"] = base64.b64encode(S.model_bytes(small_model("gru", units=5, layers=2,
                                                                           bidirectional=True))).decode()
    session.write_text(json.dumps(data), encoding="utf-8")
    assert _main("export", session, "-o", tmp_path / "b.png") == 0
    captured = capsys.readouterr()
    assert "using the copy of the model embedded in the session" in captured.err
    assert "the copy embedded in the session" in captured.out and (tmp_path / "b.png").exists()


def test_view_options_are_refused_with_a_session(tmp_path, gvm_session, capsys):
    _path, session = gvm_session
    for extra in (["--theme", "light"], ["--step", "3"], ["--units", "1"], ["--clamp", "layer0.forward.hidden_state[1]=0"]):
        assert _main("export", session, "-o", tmp_path / "x.png", *extra) == 2
        error_line(capsys, extra[0], "cannot be combined with a session file")
    assert _main("export", session, "-o", tmp_path / "x.csv") == 2
    error_line(capsys, "renders pictures")


def test_gateviz_session_checks_the_file_before_the_window(tmp_path, capsys, gvm_session):
    _path, session = gvm_session
    future = tmp_path / "future.gvsession"
    future.write_text(json.dumps({"format": "gateviz-session", "version": 2}), encoding="utf-8")
    assert _main(future) == 2
    error_line(capsys, "written by a newer gateviz (session format 2)", "update gateviz")
    broken = tmp_path / "broken.gvsession"
    broken.write_text("{", encoding="utf-8")
    assert _main(broken) == 2
    error_line(capsys, "is not a gateviz session file")
    assert _main(session, "input.npy") == 2
    error_line(capsys, "is a session file: it holds its own input")
