"""The app's export: File menu actions, figure/animation/data dialogs, overwrite question, progress and
Cancel with a responsive GUI, Ctrl+Shift+C. pytest-qt, offscreen; waits on signals, never sleeps."""

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton

from gateviz.ui import export_animation, export_dialog
from gateviz.ui.export_animation import AnimationDialog
from gateviz.ui.export_dialog import DataDialog, FigureDialog, install_export_actions

from export_helpers import image_array, small_model, small_state

WAIT_MS = 60000


class StandInWindow(QMainWindow):
    """What install_export_actions needs from the main window: state, dashboard, panels, a File menu."""

    def __init__(self, state):
        super().__init__()
        from gateviz.ui.dashboard import Dashboard

        self.state = state
        self.file_menu = self.menuBar().addMenu("&File")
        self.dashboard = Dashboard(state)
        self.panels = self.dashboard.panels
        self.setCentralWidget(self.dashboard)
        install_export_actions(self)


@pytest.fixture
def messages(monkeypatch):
    """Warnings recorded instead of shown; the overwrite question answered by ``answers`` (default No)."""
    log = {"warnings": [], "questions": [], "answers": []}

    def question(parent, title, text, *args, **kwargs):
        log["questions"].append(text)
        return log["answers"].pop(0) if log["answers"] else QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: log["warnings"].append(text)))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return log


@pytest.fixture
def window(qtbot):
    w = StandInWindow(small_state("lstm", units=8, steps=16, step=3))
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_figure_dialog_slide_png_leaves_the_window_alone(window, tmp_path, messages):
    before = window.dashboard.size()
    dialog = FigureDialog(window)
    dialog.panel.setCurrentIndex(dialog.panel.findData("dashboard"))
    dialog.preset.setCurrentIndex(1)  # slide 1920x1080
    dialog.path_row.edit.setText(str(tmp_path / "slide"))  # the extension is added
    dialog.export()
    rgb = image_array(tmp_path / "slide.png")
    assert rgb.shape[:2] == (1080, 1920) and rgb[..., :3].std() > 20
    assert window.dashboard.size() == before and window.state.step == 3
    assert messages["warnings"] == []


def test_figure_dialog_asks_before_replacing(window, tmp_path, messages):
    target = tmp_path / "fig.svg"
    target.write_text("mine")
    dialog = FigureDialog(window)
    dialog.format.setCurrentIndex(dialog.format.findData("svg"))
    dialog.panel.setCurrentIndex(dialog.panel.findData("heatmaps"))
    dialog.path_row.edit.setText(str(target))
    dialog.export()  # answered No
    assert len(messages["questions"]) == 1 and "fig.svg already exists" in messages["questions"][0]
    assert target.read_text() == "mine"
    messages["answers"].append(QMessageBox.StandardButton.Yes)
    dialog.export()
    assert "<path" in target.read_text() or "<polyline" in target.read_text()
    # a name ending in another format the dialog writes picks that format
    dialog = FigureDialog(window)
    dialog.path_row.edit.setText(str(tmp_path / "talk.pdf"))
    dialog.export()
    assert dialog.format.currentData() == "pdf" and (tmp_path / "talk.pdf").read_bytes().startswith(b"%PDF")


def test_animation_runs_in_batches_with_progress_and_the_gui_responds(window, tmp_path, messages, qtbot):
    import imageio.v3 as iio
    from PySide6.QtCore import QTimer

    dialog = AnimationDialog(window)
    dialog.panel.setCurrentIndex(dialog.panel.findData("traces"))
    dialog.format.setCurrentIndex(dialog.format.findData("gif"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("custom"))
    dialog.width_spin.setValue(240)
    dialog.height_spin.setValue(160)
    dialog.first.setValue(2)
    dialog.last.setValue(9)
    dialog.path_row.edit.setText(str(tmp_path / "anim.gif"))
    ticks = []
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: ticks.append(dialog.runner.job.done if dialog.runner else -1))
    heartbeat.start(0)
    export_animation.FRAME_BUDGET_S = 0.0  # one frame per tick: the event loop runs between every frame
    try:
        dialog.export()
        with qtbot.waitSignal(dialog.runner.finished, timeout=WAIT_MS) as blocker:
            pass
    finally:
        export_animation.FRAME_BUDGET_S = 0.04
        heartbeat.stop()
    assert blocker.args == [str(tmp_path / "anim.gif")]
    frames = iio.imread(tmp_path / "anim.gif", index=None)
    assert frames.shape[:3] == (8, 160, 240)
    assert len({t for t in ticks if 0 < t < 8}) >= 3  # other events ran while frames were being rendered
    assert window.state.step == 3  # the window's own cursor never moved
    assert messages["warnings"] == []


def test_animation_cancel_deletes_the_partial_file(window, tmp_path, messages, qtbot):
    dialog = AnimationDialog(window)
    dialog.format.setCurrentIndex(dialog.format.findData("mp4"))
    dialog.panel.setCurrentIndex(dialog.panel.findData("heatmaps"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("custom"))
    dialog.width_spin.setValue(320)
    dialog.height_spin.setValue(200)
    dialog.path_row.edit.setText(str(tmp_path / "clip.mp4"))
    export_animation.FRAME_BUDGET_S = 0.0
    try:
        dialog.export()
        runner = dialog.runner
        qtbot.waitUntil(lambda: runner.job.done >= 2, timeout=WAIT_MS)
        with qtbot.waitSignal(runner.cancelled, timeout=WAIT_MS):
            runner.progress.findChild(QPushButton).click()  # the Cancel button
    finally:
        export_animation.FRAME_BUDGET_S = 0.04
    assert runner.job.done < runner.job.total
    assert list(tmp_path.iterdir()) == []
    assert messages["warnings"] == []


def test_data_dialog_csv_of_the_pinned_units(window, tmp_path, messages):
    from gateviz.export.data import read_csv

    window.state.set_pinned([1, 6])
    dialog = DataDialog(window)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.only_pinned.setChecked(True)
    dialog.path_row.edit.setText(str(tmp_path / "units.csv"))
    dialog.export()
    _, values, _ = read_csv(tmp_path / "units.csv")
    assert len(values) == 16 * 2 and sorted(set(values[:, 2])) == [1, 6]
    dialog = DataDialog(window)
    dialog.path_row.edit.setText(str(tmp_path / "trace.npz"))
    dialog.export()
    with np.load(tmp_path / "trace.npz") as data:
        assert data["layer0.forward.hidden_state"].shape == (16, 8)


def test_copy_shortcut_puts_the_focused_panel_on_the_clipboard(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().clear()
    panel = window.panels["heatmaps"]
    panel.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    panel.setFocus()
    qtbot.waitUntil(lambda: export_dialog.current_panel_id(window) == "heatmaps", timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    image = QGuiApplication.clipboard().image()
    assert not image.isNull()
    assert (image.width(), image.height()) == (2 * panel.width(), 2 * panel.height())


def test_the_main_window_has_the_export_actions(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GATEVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    from gateviz.ui.main_window import MainWindow

    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    texts = [a.text() for a in window.file_menu.actions()]
    for text in ("Export &figure…", "Export &animation…", "Export &data…", "&Copy picture"):
        assert text in texts
    assert window.export_actions["copy"].shortcut().toString() == "Ctrl+Shift+C"
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.open_model(small_model("gru", units=4))
    window.show()
    dialog = FigureDialog(window)
    assert dialog.panel.count() == 1 + len(window.panels)


def test_figure_dialog_step_starts_at_the_windows_step_and_names_it(window, tmp_path, messages):
    from PySide6.QtGui import QImage

    dialog = FigureDialog(window)
    assert dialog.step_spin.value() == 3 and (dialog.step_spin.minimum(), dialog.step_spin.maximum()) == (0, 15)
    assert dialog.step_spin.text() == "3 of 0–15"
    dialog.panel.setCurrentIndex(dialog.panel.findData("heatmaps"))
    dialog.preset.setCurrentIndex(0)  # current size
    dialog.step_spin.setValue(15)  # the last step, where the prediction is
    dialog.path_row.edit.setText(str(tmp_path / "last.png"))
    dialog.export()
    assert messages["warnings"] == []
    assert QImage(str(tmp_path / "last.png")).text("Title") == "test-lstm: heatmaps, step 15 of 0..15"
    assert window.state.step == 3  # the window's cursor stays where the user left it
    assert "at step 15" in window.statusBar().currentMessage()
