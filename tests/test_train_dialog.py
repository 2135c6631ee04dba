"""The Train dialog: a tiny model trains in the background and becomes the window's model; Cancel works."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

WAIT_MS = 120000


def test_training_a_tiny_model_completes_and_becomes_the_current_model(window, qtbot, tmp_path):
    window.open_train_dialog()
    dialog = window.train_dialog
    dialog.set_config(task="binary-addition", cell="gru", units=4, layers=1, epochs=1, seed=5)
    reports = []
    dialog.progressed.connect(reports.append)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        with qtbot.waitSignal(dialog.trainingFinished, timeout=WAIT_MS) as finished:
            qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
            assert dialog.running and not dialog.train_button.isEnabled() and dialog.cancel_button.isEnabled()
    assert finished.args == [True]
    assert window.shown_errors == []
    # live curve: one point per report, the last report is the finished run
    assert reports and reports[-1].done and reports[-1].step == reports[-1].total_steps
    xs, ys = dialog.loss_curve.getData()
    assert len(xs) == len(reports) and np.all(np.isfinite(ys))
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    # the window now shows the trained model, traced on its task's sample
    model = window.state.model
    assert model is dialog.result_model
    assert model.cell == "gru" and model.layers[0].units == 4
    assert (model.task or {}).get("name") == "binary-addition"
    assert window.state.trace.cell == "gru" and window.state.trace.units(0) == 4
    assert window.controls.sequence_box.sample_combo.count() > 1
    # it opens with its story units pinned (the carry of binary addition), chosen for the new model
    from gateviz.tasks.base import best_tracking_units, memory_state
    from gateviz.tasks.binary_addition import carries

    bits = np.round(np.asarray(window.state.sequence)).astype(int)
    expected = best_tracking_units(memory_state(window.state.trace), carries(bits[:, 0], bits[:, 1]))
    assert expected and window.state.pinned == expected
    # and it can be saved
    path = tmp_path / "tiny.gvm"
    assert window.save_model_to(str(path))
    from gateviz.formats import load_model

    assert load_model(path).layers[0].units == 4


def test_cancelling_a_run_midway_leaves_the_window_responsive(window, qtbot):
    before = window.state.model
    window.open_train_dialog()
    dialog = window.train_dialog
    dialog.set_config(task="adding", cell="lstm", units=8, epochs=200, seed=1)
    with qtbot.waitSignal(dialog.progressed, timeout=WAIT_MS):
        dialog.start_training()
    # while it trains, the window answers keys and repaints
    window.state.set_step(2)
    window.activateWindow()  # the user clicks back into the main window
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.playback_bar.slider.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.state.step == 3
    assert not window.grab().isNull()
    assert dialog.running
    with qtbot.waitSignal(dialog.trainingFinished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == [False]
    assert not dialog.running and dialog.train_button.isEnabled()
    last = dialog._steps[-1]
    total = dialog.config().epochs * 100  # adding: 100 steps per epoch at the default batch size
    assert 0 < last < total, "stopped midway"
    # a cancelled run does not replace the window's model by itself ...
    assert window.state.model is before
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.state.step == 2
    # ... but the model of the last completed step can be used
    assert dialog.use_button.isEnabled()
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert window.state.model is dialog.result_model
    assert (window.state.model.task or {}).get("name") == "adding"
    assert window.shown_errors == []


def test_training_a_tiny_text_model_shows_its_metric_live(window, qtbot):
    """The text task's metric (bits/char below unigram) reaches the metric curve, title and status line."""
    from gateviz.tasks import get_task

    window.open_train_dialog()
    dialog = window.train_dialog
    dialog.set_config(task="text", cell="lstm", units=8, layers=1, epochs=1, seed=0)
    task = get_task("text")
    assert task.metric_label in dialog.metric_plot.titleLabel.text
    assert "higher is better" in dialog.metric_plot.titleLabel.text
    reports = []
    dialog.progressed.connect(reports.append)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        with qtbot.waitSignal(dialog.trainingFinished, timeout=WAIT_MS) as finished:
            dialog.start_training()
    assert finished.args == [True]
    assert window.shown_errors == []
    evaluated = [p for p in reports if p.evaluated and p.metric is not None]
    assert evaluated, "the held-out metric was reported"
    final = evaluated[-1].metrics[task.metric]
    xs, ys = dialog.metric_curve.getData()
    assert len(xs) == len(evaluated) and ys[-1] == pytest.approx(final)
    assert f"{final:.4g}" in dialog.metric_plot.titleLabel.text
    assert f"{task.metric_label} {final:.4g}" in dialog.status.text()
    assert window.state.model is dialog.result_model and window.state.model.input.vocab is not None


def test_every_task_titles_its_metric_plot_with_its_own_label(qtbot):
    from gateviz.tasks import TASK_NAMES, get_task
    from gateviz.ui.train_dialog import TrainDialog

    dialog = TrainDialog()
    qtbot.addWidget(dialog)
    for name in TASK_NAMES:
        dialog.set_config(task=name)
        task = get_task(name)
        assert task.metric_label, name
        assert dialog.metric_plot.titleLabel.text.startswith(f"held-out {task.metric_label} (")
        assert dialog.units_box.value() == task.defaults["units"]


def _form(dialog) -> dict:
    return {"task": dialog.task_combo.currentData(), "cell": dialog.cell_combo.currentData(),
            "units": dialog.units_box.value(), "layers": dialog.layers_box.value(),
            "bidirectional": dialog.bidirectional_box.isChecked()}


def _open_bundled(window, qtbot, name: str) -> None:
    combo = window.controls.model_box.bundled_combo
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        combo.activated.emit(combo.findData(name))
    assert window.state.model.name == name


def test_the_dialog_starts_from_the_current_models_task_cell_and_size(window, qtbot):
    """Not "sine" whatever is open: the window starts on brackets-lstm (16 units)."""
    window.open_train_dialog()
    dialog = window.train_dialog
    assert _form(dialog) == {"task": "brackets", "cell": "lstm", "units": 16, "layers": 1, "bidirectional": False}
    assert dialog.cell_combo.currentText() == "LSTM"
    # the user's edits stay while the same model is open, also across closing and reopening
    dialog.set_config(units=40, cell="gru")
    dialog.close()
    window.open_train_dialog()
    assert _form(dialog)["units"] == 40 and _form(dialog)["cell"] == "gru"
    # reopened after another model was opened: that model's task, cell and size
    dialog.close()
    _open_bundled(window, qtbot, "sine-rnn")
    window.open_train_dialog()
    assert _form(dialog) == {"task": "sine", "cell": "rnn", "units": 32, "layers": 1, "bidirectional": False}
    # while it is open, it follows the window to another model too
    _open_bundled(window, qtbot, "text-gru")
    assert _form(dialog) == {"task": "text", "cell": "gru", "units": 128, "layers": 1, "bidirectional": False}
    assert dialog.cell_combo.currentText() == "GRU"
    assert window.shown_errors == []


def test_a_model_without_a_task_leaves_the_dialog_on_its_defaults(window, qtbot):
    from gateviz.tasks import get_task

    window.open_train_dialog()
    dialog = window.train_dialog
    assert _form(dialog)["task"] == "brackets"
    dialog.close()
    import copy

    foreign = copy.copy(window.state.model)  # another model object ...
    foreign.task = None  # ... without a task, as one read from a PyTorch or Keras file
    state = window.state
    with qtbot.waitSignal(state.traceChanged):
        state.set_trace(foreign, state.trace, state.sequence, None)
    window.open_train_dialog()
    assert _form(dialog) == {"task": "sine", "cell": "lstm", "units": get_task("sine").defaults["units"],
                             "layers": 1, "bidirectional": False}
    assert dialog.epochs_box.value() == get_task("sine").defaults["epochs"]


def test_config_of_model_reads_task_cell_and_size():
    from gateviz.bundled import load_bundled
    from gateviz.ui.train_dialog import config_of_model

    assert config_of_model(load_bundled("digits-gru")) == {"task": "digits", "cell": "gru", "units": 64,
                                                            "layers": 1, "bidirectional": False}
    assert config_of_model(None) is None
