"""Choosing models and inputs in the window: bundled models, samples, the editors, files, drops, layers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

WAIT_MS = 60000


def _open_bundled(window, qtbot, name: str) -> None:
    combo = window.controls.model_box.bundled_combo
    index = combo.findData(name)
    assert index > 0, f"{name} is listed among the bundled models"
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        combo.activated.emit(index)
    assert window.state.model.name == name and window.bundled_name == name


def test_every_bundled_model_is_listed_in_the_menu_and_the_combo(window):
    from gateviz.bundled import list_bundled

    names = [b.name for b in list_bundled()]
    combo = window.controls.model_box.bundled_combo
    assert [combo.itemData(i) for i in range(1, combo.count())] == names
    assert len(window.bundled_menu.actions()) == len(names)


def test_choosing_a_sample_retraces(window, qtbot):
    box = window.controls.sequence_box
    assert len(window.samples) >= 2
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        box.sample_combo.activated.emit(1)
    sample = window.samples[1]
    assert box.sample_combo.currentText() == sample.name
    assert box.description.text() == sample.description
    expected = len(sample.sequence)
    assert window.state.trace.length == expected


def test_typing_text_retraces_after_a_pause(window, qtbot):
    if not window.state.model.input.takes_tokens:
        _open_bundled(window, qtbot, "brackets-lstm")
    from gateviz.ui.sequence_editors import TextEditor

    editor = window.controls.sequence_box.editor
    assert isinstance(editor, TextEditor)
    editor.edit.clear()
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.keyClicks(editor.edit, "((a)(b))")
    assert window.state.sequence == "((a)(b))"
    assert window.state.trace.length == 8
    assert window.controls.sequence_box.sample_combo.currentText() == "(your own input)"
    # characters outside the vocabulary are dropped, and said so
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.keyClicks(editor.edit, "Z")
    assert window.state.sequence == "((a)(b))"
    assert "'Z'" in editor.note.text()


def test_binary_addition_operands(window, qtbot):
    _open_bundled(window, qtbot, "binary-addition-lstm")
    from gateviz.ui.sequence_editors import AdditionEditor

    editor = window.controls.sequence_box.editor
    assert isinstance(editor, AdditionEditor)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        editor.a_box.setValue(200)
        editor.b_box.setValue(100)
    x = window.state.trace.inputs  # (9, 2) bits, least significant first
    a = int(sum(int(round(v)) << k for k, v in enumerate(x[:, 0])))
    b = int(sum(int(round(v)) << k for k, v in enumerate(x[:, 1])))
    assert (a, b) == (200, 100)
    # the bundled model adds correctly: its output bits spell 300
    bits = (np.asarray(window.state.trace.output)[:, 0] > 0.5).astype(int)
    assert int(sum(int(v) << k for k, v in enumerate(bits))) == 300


def test_drawing_a_digit_on_the_grid(window, qtbot):
    _open_bundled(window, qtbot, "digits-lstm")
    from gateviz.ui.sequence_editors import DigitEditor

    editor = window.controls.sequence_box.editor
    assert isinstance(editor, DigitEditor)
    canvas = editor.canvas
    rows, cols = canvas.image.shape
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.mouseClick(editor.clear_button, Qt.MouseButton.LeftButton)
    assert window.state.trace.length == rows
    assert np.all(window.state.trace.inputs == 0)
    x0, y0, size = canvas._cell_rect()
    # a vertical stroke down the middle column
    col = cols // 2
    start = QPoint(int(x0 + (col + 0.5) * size), int(y0 + 0.5 * size))
    end = QPoint(int(x0 + (col + 0.5) * size), int(y0 + (rows - 0.5) * size))
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
        for r in range(rows):
            qtbot.mouseMove(canvas, QPoint(start.x(), int(y0 + (r + 0.5) * size)))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    image = window.state.trace.inputs
    assert image.shape == (rows, cols)
    assert np.all(image[:, col] == 1.0), "every row of the stroke is inked"
    assert image.sum() == rows
    probs = np.asarray(window.state.trace.output)
    assert probs.shape[-1] == 10 and np.allclose(probs.sum(axis=-1), 1, atol=1e-5)
    # a held-out image from the data replaces the drawing
    editor.index_box.setValue(3)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.mouseClick(editor.pick_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(window.state.trace.inputs, window.state.task.data()["test_x"][3])


def _two_layer_bidirectional(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    gru = torch.nn.GRU(3, 6, num_layers=2, bidirectional=True)
    path = tmp_path / "bigru.pt"
    torch.save(gru.state_dict(), path)
    return path


def test_dropping_a_model_file_and_choosing_layer_and_direction(window, qtbot, tmp_path):
    path = _two_layer_bidirectional(tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.dropEvent(event)
    s = window.state
    assert s.model.cell == "gru" and len(s.model.layers) == 2
    assert window.model_source == str(path)
    combo = window.controls.units_box.layer_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [
        (0, "forward"), (0, "backward"), (1, "forward"), (1, "backward")]
    with qtbot.waitSignal(s.selectionChanged, timeout=WAIT_MS):
        combo.activated.emit(3)
    assert (s.layer, s.direction) == (1, "backward")
    assert window.controls.units_box.layer_combo.currentIndex() == 3
    # the status bar reads the chosen layer and direction
    s.set_step(0)
    h = s.trace.get(1, "backward", "hidden_state")[0, s.pinned[0]]
    assert f"h {h:+.3f}" in window.value_label.text()
    assert window.shown_errors == []


def test_loading_a_sequence_file_and_a_bad_one(window, qtbot, tmp_path):
    path = _two_layer_bidirectional(tmp_path)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.open_model(str(path))
    good = tmp_path / "input.csv"
    rows = np.round(np.linspace(-1, 1, 21 * 3).reshape(21, 3), 4)
    good.write_text("\n".join(",".join(f"{v:g}" for v in r) for r in rows) + "\n")
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.open_path(str(good))  # a dropped .csv feeds the current model
    assert window.state.trace.length == 21
    np.testing.assert_allclose(window.state.trace.inputs, rows, atol=1e-6)
    assert window.controls.sequence_box.description.text() == "from input.csv"
    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((5, 7), dtype=np.float32))  # 7 features, the model takes 3
    before = window.state.trace
    with qtbot.waitSignal(window.loadFailed, timeout=WAIT_MS):
        window.open_path(str(bad))
    assert window.state.trace is before
    title, message = window.shown_errors[-1]
    assert "bad.npy" in message and "3" in message


def test_drawing_the_input_of_the_sine_model(window, qtbot):
    _open_bundled(window, qtbot, "sine-lstm")
    from gateviz.ui.sequence_editors import SignalEditor

    editor = window.controls.sequence_box.editor
    assert isinstance(editor, SignalEditor)
    assert editor.steps.value() == window.state.trace.length  # shows the current input
    np.testing.assert_allclose(editor.canvas.values, window.state.trace.inputs[:, 0], atol=1e-6)
    canvas = editor.canvas
    y = canvas.height() // 4  # upper quarter: positive values
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(1, y))
        qtbot.mouseMove(canvas, QPoint(canvas.width() - 2, y))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.width() - 2, y))
    x = window.state.trace.inputs[:, 0]
    assert np.all(x > 0.4)
    assert window.controls.sequence_box.sample_combo.currentText() == "(your own input)"
    # the model's one-step prediction of a flat line stays finite and is shown per step
    out = np.asarray(window.state.trace.output)
    assert out.shape == (len(x), 1) and np.all(np.isfinite(out))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_digit_grid_inks_like_the_input_panel_in_each_theme(window, qtbot, theme):
    """Dark ink on white in the light theme, bright ink on black in the dark theme (as the io panel shows it)."""
    from PySide6.QtGui import QColor

    _open_bundled(window, qtbot, "digits-lstm")
    window.set_theme(name=theme)
    canvas = window.controls.sequence_box.editor.canvas
    image = np.zeros_like(canvas.image)
    image[0, 0] = 1.0
    canvas.set_image(image)
    x0, y0, size = canvas._cell_rect()
    shot = canvas.grab().toImage()
    ratio = shot.width() / canvas.width()

    def lightness(r, c):
        return QColor(shot.pixel(int((x0 + (c + 0.5) * size) * ratio), int((y0 + (r + 0.5) * size) * ratio))).lightness()

    ink, paper = lightness(0, 0), lightness(1, 1)
    if theme == "light":
        assert ink < 30 and paper > 225
    else:
        assert ink > 225 and paper < 30


def _cut_off(controls) -> list[str]:
    """Controls in the dock that a person cannot see whole: cut by a group box or by the dock's right
    edge (the column has no horizontal scroll bar), or below the end of the scrollable column."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QLabel, QLineEdit, QPlainTextEdit,
                                   QWidget)

    inner, viewport = controls.widget(), controls.viewport()
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLabel, QLineEdit, QPlainTextEdit)
    bad = []
    for w in inner.findChildren(QWidget):
        drawn = isinstance(w, kinds) or type(w).__name__ in ("DigitCanvas", "SignalCanvas")
        if not drawn or not w.isVisibleTo(inner) or (isinstance(w, QLabel) and not w.text()):
            continue
        rect, item = QRect(QPoint(0, 0), w.size()), w
        while item is not inner:  # every ancestor must hold it whole
            rect = rect.translated(item.pos())
            item = item.parentWidget()
            if not QRect(QPoint(0, 0), item.size()).contains(rect):
                bad.append(f"{type(w).__name__} {getattr(w, 'text', str)()!r} cut by {type(item).__name__}")
                break
        else:
            if rect.right() >= viewport.width() or rect.bottom() >= inner.height():
                bad.append(f"{type(w).__name__} {getattr(w, 'text', str)()!r} at {rect} beyond the dock "
                           f"({viewport.width()} px wide)")
    return bad


def test_every_control_of_every_editor_shows_whole_in_the_dock(window, qtbot):
    """The digits editor was cut off at 1920x1080 (Save…, Clear and the description); every kind of
    editor (and model summary) at the two screen sizes, in normal and presentation fonts."""
    from PySide6.QtWidgets import QApplication

    # one bundled model per editor: digits, binary addition, text (and brackets), a drawn signal, none
    for name in ("digits-lstm", "binary-addition-gru", "text-lstm", "brackets-gru", "sine-rnn", "adding-lstm"):
        _open_bundled(window, qtbot, name)
        for size in ((1920, 1080), (1366, 768)):
            for presentation in (False, True):
                window.resize(*size)
                window.set_theme(presentation=presentation)
                window.controls_dock.show()  # presentation mode hides it; a lecturer may show it again
                QApplication.processEvents()  # the dock takes its new minimum width
                controls = window.controls
                assert controls.width() >= controls.needed_width(), (name, size, presentation)
                assert _cut_off(controls) == [], (name, size, presentation)
        window.set_theme(presentation=False)
