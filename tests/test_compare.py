"""The compare view (issue 12, "RNN vs LSTM vs GRU, side by side"): three bundled sine models on one
input, one shared cursor, their outputs overlaid, their gradient curves on one log axis; the CLI's
``--panel compare`` and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from cli_checks import error_line
from export_helpers import image_array

SINE = ["bundled:sine-lstm", "bundled:sine-gru", "bundled:sine-rnn"]


@pytest.fixture(scope="module")
def traced():
    """The three sine models traced on the sine task's sample (traced once; each test gets fresh gradients)."""
    from gateviz.ui.compare_models import load_models, shared_input, trace_all

    entries = load_models(SINE)
    where = shared_input(entries)
    trace_all(entries)
    return entries, where


@pytest.fixture
def compare(qtbot, traced):
    """A CompareView on a CompareState that computes gradients off the GUI thread, as the window does."""
    from gateviz.ui.compare import CompareView
    from gateviz.ui.compare_state import CompareState

    entries, where = traced
    cstate = CompareState()
    view = CompareView(cstate)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    with qtbot.waitSignal(cstate.gradientsChanged, timeout=30000):
        cstate.set_entries(entries, where)
    yield cstate, view
    cstate.wait()


def _curve_colour_pixels(image, colour: str, tol: int = 40) -> int:
    rgb = np.asarray([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image[..., :3].astype(int) - rgb).max(axis=2) <= tol).sum())


def _qimage_array(qimage) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = qimage.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return rows[:, :img.width()].copy()  # a copy: the buffer dies with the QImage


def _plain(html: str) -> str:
    """A label's rich text as a person reads it."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()


def test_shared_cursor_moves_every_models_view(compare, qtbot):
    cstate, view = compare
    T = cstate.length
    assert [e.name for e in cstate.entries] == ["sine-lstm", "sine-gru", "sine-rnn"]
    assert cstate.step == T - 1 and [s.step for s in cstate.states] == [T - 1] * 3
    # each model's heatmaps and cell diagram are selectable, and each draws that model's state
    cell = view.detail.select(2, "cell")
    assert cell.state is cstate.states[2] and cell.state.trace.cell == "rnn"
    heat = view.detail.select(1, "heatmaps")
    assert heat.state is cstate.states[1] and heat.state.trace.cell == "gru"
    with qtbot.waitSignal(cstate.gradientsChanged, timeout=30000):
        cstate.set_step(20)
    assert [s.step for s in cstate.states] == [20, 20, 20]
    assert view.outputs.cursor.value() == 20
    assert all(e.gradients.target.step == 20 for e in cstate.entries)
    # the curves now reach back 20 steps: x covers 0..20 and no further
    x0, x1 = view.curves.plot.vb.viewRange()[0]
    assert x0 < 0 < 20 < x1 < 22
    for item in view.curves.curves:
        x, _ = item.getData()
        assert x.min() == 0 and x.max() == 20
    # the panels that are not shown follow too when shown again
    cell = view.detail.select(2, "cell")
    assert cell.state.step == 20


def test_gradient_curves_one_per_model_on_a_log_axis(compare):
    from gateviz.core.gradients import GradientTarget, compute_gradients

    cstate, view = compare
    curves = view.curves
    T = cstate.length
    assert len(curves.curves) == 3
    assert curves.plot.getAxis("left").logMode
    lows, highs = [], []
    for item, e in zip(curves.curves, cstate.entries):
        x, y = item.xData, item.yData  # linear data; the item draws log10 of it
        expected = compute_gradients(e.model, e.trace, GradientTarget(step=T - 1)).norms(0, "forward")[::-1]
        np.testing.assert_allclose(x, np.arange(T))
        np.testing.assert_allclose(y, expected, rtol=1e-6)
        lows.append(np.log10(np.nanmin(y)))
        highs.append(np.log10(np.nanmax(y)))
    y0, y1 = curves.plot.vb.viewRange()[1]
    assert y0 <= min(lows) and max(highs) <= y1
    assert y1 - y0 < (max(highs) - min(lows)) + 2.5  # covers the data, not a range far wider than it
    # the vanishing gradient, measured: far back, the plain RNN's gradient is the smallest
    far = {e.name: item.yData[-1] for item, e in zip(curves.curves, cstate.entries)}
    assert far["sine-rnn"] < far["sine-gru"] < far["sine-lstm"]
    # powers of ten labelled, one target definition stated in the title
    labels = [label for _, label in curves.plot.getAxis("left")._tickLevels[0]]
    assert labels and all(label.startswith("10") for label in labels) and "10⁰" in labels
    assert f"y = sum of the model's outputs at step {T - 1}" in _plain(curves.title.text())
    # a person sees each model's colour in the plot
    picture = _qimage_array(curves.grab().toImage())
    for e in cstate.entries:
        assert _curve_colour_pixels(picture, e.colour) > 200, e.name


def test_outputs_overlaid_with_a_legend(compare):
    cstate, view = compare
    outputs = view.outputs
    assert outputs.legend_names == ["input: the sine sample 'held-out window'", "sine-lstm", "sine-gru", "sine-rnn"]
    title = outputs.title.text()
    for e in cstate.entries:
        assert f"color:{e.colour}" in title and e.name in _plain(title).replace("\u2011", "-")
        item = next(c for c in outputs.curves if c.gateviz_model == e.name)
        x, y = item.getData()
        np.testing.assert_allclose(y, e.trace.output[:, 0], rtol=1e-6)
        np.testing.assert_allclose(x, np.arange(cstate.length) + 1)  # sine: each predicts the next value
    picture = _qimage_array(outputs.grab().toImage())
    for e in cstate.entries:
        assert _curve_colour_pixels(picture, e.colour) > 100, e.name


def test_zero_gradients_are_gaps():
    from gateviz.core.gradients import GradientTarget, Gradients
    from gateviz.ui.compare_models import gradient_curve

    h = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0], [7.0, 7.0]])  # (T=4, H=2); t*=2, step 3 after it
    g = Gradients(target=GradientTarget(step=2), definition="", hidden={(0, "forward"): h}, cell={},
                  input=np.zeros((4, 1)), connectivity=np.zeros(4))
    x, y = gradient_curve(g)
    np.testing.assert_array_equal(x, [0, 1, 2])
    np.testing.assert_array_equal(y, [1.0, np.nan, 5.0])


def test_siblings_prefill_the_task_models():
    from gateviz.ui.compare_models import siblings

    assert siblings("sine-gru")[:3] == ["bundled:sine-gru", "bundled:sine-lstm", "bundled:sine-rnn"]
    assert siblings(None) == []


def test_cli_export_writes_the_compare_figure(tmp_path, qapp, capsys):
    from gateviz.cli import main

    out = tmp_path / "fig.png"
    assert main(["export", *SINE, "--panel", "compare", "--size", "1366x768", "--step", "30", "-o", str(out)]) == 0
    assert "compare sine-lstm, sine-gru, sine-rnn at step 30, 1366x768 px" in capsys.readouterr().out
    image = image_array(out)
    assert image.shape[:2] == (768, 1366)
    rgb = image[..., :3]
    assert len(np.unique(rgb.reshape(-1, 3)[::7], axis=0)) > 200  # not blank: curves, text, heatmaps
    for colour in ("#0072B2", "#D55E00", "#009E73"):  # every model's curves
        assert _curve_colour_pixels(image, colour) > 200, colour


@pytest.mark.parametrize("models, needles", [
    (SINE[:1], ["compare needs 2 to 4 models, got only one model"]),
    (SINE + SINE[:2], ["compare needs 2 to 4 models, got 5 models"]),
    (["bundled:sine-lstm", "bundled:adding-lstm"], ["cannot compare models with different input sizes",
                                                    "sine-lstm takes 1 feature per step",
                                                    "adding-lstm takes 2 features per step"]),
    # two tasks' text models: the text sample holds characters the bracket counter has never seen
    (["bundled:text-lstm", "bundled:brackets-lstm"], ["the input does not fit brackets-lstm",
                                                      "characters the model's vocabulary lacks",
                                                      "give an input every model reads"]),
])
def test_cli_refuses_what_cannot_be_compared(tmp_path, qapp, capsys, models, needles):
    from gateviz.cli import main

    out = tmp_path / "fig.png"
    assert main(["export", *models, "--panel", "compare", "-o", str(out)]) == 2
    error_line(capsys, *needles)
    assert not out.exists()


def test_cli_several_models_only_with_compare(tmp_path, qapp, capsys):
    from gateviz.cli import main

    out = tmp_path / "fig.png"
    assert main(["export", *SINE[:2], "-o", str(out)]) == 2
    error_line(capsys, "several models only with --panel compare")
    assert main(["export", *SINE[:2], "--panel", "compare", "-o", str(tmp_path / "x.csv")]) == 2
    error_line(capsys, "the compare view is a picture")
    assert not out.exists() and not (tmp_path / "x.csv").exists()


def test_an_input_that_does_not_fit_names_the_model(tmp_path, qapp, capsys):
    from gateviz.cli import main

    seq = tmp_path / "three.npy"
    np.save(seq, np.zeros((20, 3), dtype=np.float32))  # 3 features; the sine models take 1
    assert main(["export", *SINE[:2], "--panel", "compare", "--input", str(seq), "-o", str(tmp_path / "f.png")]) == 2
    error_line(capsys, "three.npy does not fit sine-lstm")


def _ready(cw) -> bool:
    return bool(cw.cstate.entries) and all(e.gradients is not None for e in cw.cstate.entries)


def test_file_compare_opens_the_current_model_and_its_siblings(window, qtbot, monkeypatch):
    from PySide6.QtCore import Qt

    from gateviz.bundled import list_bundled
    from gateviz.ui import compare_dialog

    chosen = {}

    def accept(dialog):  # the dialog as the user leaves it: pre-filled, Compare pressed
        chosen["specs"], chosen["ok"] = dialog.specs(), dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        return compare_dialog.CompareDialog.DialogCode.Accepted

    monkeypatch.setattr(compare_dialog.CompareDialog, "exec", accept)
    from PySide6.QtGui import QAction

    assert window.compare_action.shortcut().toString() == "Ctrl+K"
    assert [a.shortcut().toString() for a in window.findChildren(QAction)].count("Ctrl+K") == 1  # no clash
    before = window.state.step
    window.compare_action.trigger()
    cw = window.compare_window
    qtbot.waitUntil(lambda: _ready(cw), timeout=60000)
    brackets = [f"bundled:{b.name}" for b in list_bundled() if b.task == "brackets"]
    assert chosen["specs"][0] == f"bundled:{window.bundled_name}" == "bundled:brackets-lstm"
    assert sorted(chosen["specs"]) == sorted(brackets[:4]) and len(brackets) >= 2
    assert [e.spec for e in cw.cstate.entries] == chosen["specs"]
    # the keys move the one shared cursor; t* follows it
    T = cw.cstate.length
    with qtbot.waitSignal(cw.cstate.gradientsChanged, timeout=30000):
        qtbot.keyClick(cw, Qt.Key.Key_Home)
    assert cw.cstate.step == 0 and cw.bar.slider.value() == 0 and {s.step for s in cw.cstate.states} == {0}
    qtbot.waitUntil(lambda: cw.cstate.gradient_step == 0 and not cw.cstate.busy, timeout=30000)
    with qtbot.waitSignal(cw.cstate.gradientsChanged, timeout=30000):
        qtbot.keyClick(cw, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: cw.cstate.gradient_step == 1 and not cw.cstate.busy, timeout=30000)
    assert cw.bar.label.text() == f"step t* = 1 of 0..{T - 1}"
    assert all(e.gradients.target.step == 1 for e in cw.cstate.entries)
    assert window.state.step == before  # the main window keeps its own cursor
    cw.close()


def test_window_says_why_models_cannot_be_compared(qtbot, shown_errors):
    from gateviz.ui.compare import CompareWindow

    cw = CompareWindow()
    qtbot.addWidget(cw)
    with qtbot.waitSignal(cw.loader.failed, timeout=30000):
        cw.load(["bundled:sine-lstm", "bundled:adding-lstm"])
    assert shown_errors == [("Cannot compare these models",
                             "cannot compare models with different input sizes: sine-lstm takes 1 feature per step, "
                             "adding-lstm takes 2 features per step; choose models that take the same input (e.g. the "
                             "bundled LSTM, GRU and RNN of one task)")]
    assert cw.cstate.entries == []


def test_dialog_enables_compare_for_two_to_four(qtbot):
    from gateviz.ui.compare_dialog import CompareDialog

    dialog = CompareDialog(["bundled:sine-lstm"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and dialog.note.text() == "Add 1 more."
    for spec in ("bundled:sine-gru", "bundled:sine-rnn", "bundled:sine-lstm"):
        dialog.add(spec)
    assert ok.isEnabled() and dialog.specs()[-1] == "bundled:sine-lstm"
    dialog.add("bundled:sine-gru")  # a fifth: refused, and no button offers it
    assert len(dialog.specs()) == 4 and not dialog.add_bundled.isEnabled() and not dialog.add_file.isEnabled()


def test_window_exports_what_it_shows(qtbot, tmp_path, traced):
    from gateviz.ui.compare import CompareWindow

    entries, where = traced
    cw = CompareWindow()
    qtbot.addWidget(cw)
    with qtbot.waitSignal(cw.cstate.gradientsChanged, timeout=30000):
        cw.cstate.set_entries(entries, where, step=25)
    cw.view.detail.select(2, "cell")
    size_before = cw.view.size()
    out = tmp_path / "compare.png"
    plan = cw.export_to(str(out), size=(1366, 768))
    assert plan.pixels == (1366, 768) and image_array(out).shape[:2] == (768, 1366)
    assert cw.view.size() == size_before and cw.cstate.step == 25  # the window is left as it was
    picture = image_array(out)
    for e in entries:
        assert _curve_colour_pixels(picture, e.colour) > 100, e.name
    cw.cstate.wait()


def test_cli_animation_moves_t_star(tmp_path, qapp, capsys):
    import imageio.v3 as iio

    from gateviz.cli import main

    out = tmp_path / "clip.gif"
    assert main(["export", *SINE, "--panel", "compare", "--size", "640x400", "--range", "10:13", "-o", str(out)]) == 0
    assert "3 frames comparing sine-lstm, sine-gru, sine-rnn, 640x400 px" in capsys.readouterr().out
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (3, 400, 640)
    assert all(np.any(frames[k] != frames[k + 1]) for k in range(2))  # the cursor and the curves move


def test_the_window_follows_a_language_switch_keeping_models_step_and_detail(qtbot, traced):
    from gateviz.ui import i18n
    from gateviz.ui.compare import CompareWindow

    entries, where = traced
    cw = CompareWindow()
    qtbot.addWidget(cw)
    with qtbot.waitSignal(cw.cstate.gradientsChanged, timeout=30000):
        cw.cstate.set_entries(entries, where, step=25)
    cw.view.detail.select(2, "cell")
    try:
        i18n.set_language("zh_CN")
        assert "比较" in cw.windowTitle()
        assert cw.bar.play.text().endswith("播放") and "25" in cw.bar.label.text()
        assert cw.bar.slider.value() == 25 and cw.bar.slider.maximum() == cw.cstate.length - 1
        assert cw.view.detail.model_box.currentIndex() == 2 and cw.view.detail.panel_box.currentData() == "cell"
        cw.cstate.set_step(26)  # the new bar follows the shared state
        assert cw.bar.slider.value() == 26
    finally:
        i18n.set_language("en")
    assert cw.bar.play.text() == "▶ Play"
