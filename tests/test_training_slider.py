"""The training time-lapse in the app (issue 16): the training-step slider under the time slider.

A tiny brackets LSTM trained here with snapshots is opened in the real main window; moving the
slider must show exactly the trace of that snapshot's weights (Tracer on model_at_snapshot), keep
layer, pins and step, serve a snapshot seen before from the cache, and give back the trained
model's own trace at the last position.
"""

from __future__ import annotations

import numpy as np
import pytest

from app_helpers import WINDOW_WAIT_MS, open_window


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A brackets LSTM(4) trained one epoch with 6 snapshots, saved as a .gvm."""
    from gateviz.formats.gateviz_file import save_model
    from gateviz.training import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(task="brackets", cell="lstm", units=4, epochs=1, seed=0, snapshots=6))
    for _ in trainer.run():
        pass
    model = trainer.model()
    path = tmp_path_factory.mktemp("snap") / "brackets.gvm"
    save_model(model, str(path))
    return str(path)


def _same_trace(a, b) -> None:
    assert a.length == b.length and a.num_layers == b.num_layers
    assert set(a.states) == set(b.states)
    for key, quantities in a.states.items():
        assert set(quantities) == set(b.states[key])
        for name, values in quantities.items():
            np.testing.assert_array_equal(values, b.states[key][name], err_msg=f"{key} {name}")
    if a.output is not None or b.output is not None:
        np.testing.assert_array_equal(a.output, b.output)


def _show(qtbot, window, index: int) -> None:
    """Move the slider as a user would and wait until the state shows that snapshot."""
    with qtbot.waitSignal(window.training.shown, timeout=WINDOW_WAIT_MS,
                          check_params_cb=lambda k: k == index):
        window.training_bar.slider.setValue(index)


def test_the_slider_shows_each_snapshots_own_trace(qtbot, trained):
    from gateviz.core.engine import Tracer
    from gateviz.core.snapshots import model_at_snapshot

    window = open_window(qtbot, trained)
    base, scrub, bar = window.state.model, window.training, window.training_bar
    sequence = window.state.sequence
    assert len(base.snapshots) == 6
    assert bar.isVisible() and bar.slider.maximum() == 5 and bar.slider.value() == 5
    title = base.snapshots[5].title(total_steps=base.snapshots[-1].step)
    assert title in bar.title.toolTip() and bar.title.full_text() == title.replace(" · epoch 1", "")
    trained_trace = Tracer(base).trace(sequence)
    _same_trace(window.state.trace, trained_trace)

    # a user's view: layer, pins and the time step stay while the weights change
    window.state.set_pinned([1, 3])
    window.state.set_step(7)
    for k in (0, 2, 4):
        _show(qtbot, window, k)
        assert window.state.model is model_at_snapshot(base, k)
        _same_trace(window.state.trace, Tracer(model_at_snapshot(base, k)).trace(sequence))
        assert window.state.pinned == [1, 3] and window.state.step == 7 and window.state.layer == 0
        assert base.snapshots[k].title(total_steps=base.snapshots[-1].step) in bar.title.toolTip()
        assert window.state.sequence is sequence
    before = window.state.trace
    _show(qtbot, window, 0)
    assert not np.array_equal(window.state.trace.get(0, "forward", "cell_state"), before.get(0, "forward", "cell_state"))

    # back to a snapshot seen before: from the cache, no trace job
    jobs = scrub.trace_jobs
    _show(qtbot, window, 2)
    assert scrub.trace_jobs == jobs
    _same_trace(window.state.trace, Tracer(model_at_snapshot(base, 2)).trace(sequence))

    # the last position is the trained model itself, its trace exactly
    _show(qtbot, window, 5)
    assert window.state.model is base
    _same_trace(window.state.trace, trained_trace)


def test_the_cache_fills_in_the_background(qtbot, trained):
    window = open_window(qtbot, trained)
    traces = window.training.traces
    qtbot.waitUntil(lambda: all(traces.cached(k) for k in range(5)), timeout=WINDOW_WAIT_MS)
    jobs = window.training.trace_jobs
    for k in (3, 0, 1):
        _show(qtbot, window, k)
    assert window.training.trace_jobs == jobs


def test_a_new_input_is_traced_with_the_snapshot_shown(qtbot, trained):
    from gateviz.core.engine import Tracer
    from gateviz.core.snapshots import model_at_snapshot

    window = open_window(qtbot, trained)
    base = window.state.model
    _show(qtbot, window, 1)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence("(()(()))()", "mine")
    assert window.state.model is model_at_snapshot(base, 1)
    _same_trace(window.state.trace, Tracer(model_at_snapshot(base, 1)).trace("(()(()))()"))
    assert window.training_bar.slider.value() == 1
    _show(qtbot, window, 3)  # the new input's own cache
    _same_trace(window.state.trace, Tracer(model_at_snapshot(base, 3)).trace("(()(()))()"))


def test_playing_training_steps_through_the_snapshots(qtbot, trained):
    window = open_window(qtbot, trained)
    scrub = window.training
    _show(qtbot, window, 3)
    seen = []
    scrub.shown.connect(seen.append)
    with qtbot.waitSignal(scrub.playingChanged, timeout=WINDOW_WAIT_MS, check_params_cb=lambda on: not on):
        scrub.play()
    assert seen == [4, 5] and scrub.index == 5 and window.state.model is window.training.base


def test_no_slider_for_a_model_without_snapshots(qtbot, trained):
    from gateviz.training import TrainConfig, Trainer

    window = open_window(qtbot, trained)
    assert window.training_bar.isVisible()
    trainer = Trainer(TrainConfig(task="brackets", cell="gru", units=3, epochs=1, seed=1))
    for _ in trainer.run():
        pass
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model(trainer.model())
    assert not window.state.model.snapshots
    assert not window.training_bar.isVisible() and window.training.base is None


# ---------------------------------------------------------------- training shown live (the Train dialog)
def test_training_is_shown_live_in_the_window(qtbot, trained, monkeypatch):
    from gateviz.core.engine import Tracer
    from gateviz.ui import training_live

    monkeypatch.setattr(training_live, "POLL_MS", 50)  # several polls even where this tiny run is quick

    window = open_window(qtbot, trained)  # a brackets LSTM: the run below reads the same input
    window.open_train_dialog()
    dialog = window.train_dialog
    assert not dialog.live_box.isChecked(), "opt-in"
    dialog.set_config(task="brackets", cell="lstm", units=4, layers=1, epochs=2, seed=3)
    seen = []

    def check(index: int) -> None:  # each update: that snapshot's weights traced on the window's input
        s = window.state
        seen.append((index, s.model.name))
        _same_trace(s.trace, Tracer(s.model).trace(s.sequence))
        assert s.pinned == [1, 2] and s.step == 5

    window.state.set_pinned([1, 2])
    window.state.set_step(5)
    dialog.live_box.setChecked(True)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=WINDOW_WAIT_MS):
        dialog.start_training()
        dialog.live.updated.connect(check)
    assert seen, "the window never showed the run"
    assert all("snapshot" in name for _, name in seen)
    assert [k for k, _ in seen] == sorted({k for k, _ in seen})  # newer snapshots only
    qtbot.waitUntil(lambda: not window.runner.is_busy, timeout=WINDOW_WAIT_MS)


def test_training_never_waits_for_the_live_view(qtbot, trained, monkeypatch):
    import threading

    from gateviz.ui import training_live, workers

    monkeypatch.setattr(training_live, "POLL_MS", 50)
    window = open_window(qtbot, trained)
    release, entered = threading.Event(), threading.Event()
    real = workers.trace_model

    def stuck(*args, **kwargs):  # the live view's first trace hangs until training has finished
        if not entered.is_set():
            entered.set()
            release.wait(WINDOW_WAIT_MS / 1000)
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "trace_model", stuck)
    window.open_train_dialog()
    dialog = window.train_dialog
    dialog.set_config(task="brackets", cell="lstm", units=4, layers=1, epochs=2, seed=4)
    dialog.live_box.setChecked(True)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=WINDOW_WAIT_MS) as finished:
        dialog.start_training()
    release.set()
    assert finished.args == [True] and entered.is_set()
    assert dialog.live.skipped > 0  # polls while the trace hung were skipped, not queued
    qtbot.waitUntil(lambda: not window.runner.is_busy, timeout=WINDOW_WAIT_MS)


# ---------------------------------------------------------------- the Export dialog's time-lapse
def test_the_export_dialog_writes_one_frame_per_snapshot(qtbot, trained, tmp_path, monkeypatch):
    import imageio.v3 as iio
    from PySide6.QtWidgets import QMessageBox

    from gateviz.export.timelapse import frame_title
    from gateviz.ui.export_animation import AnimationDialog

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: warnings.append(text)))
    window = open_window(qtbot, trained)
    base = window.state.model
    _show(qtbot, window, 2)  # exporting from a snapshot still exports the whole run
    window.state.set_step(4)
    dialog = AnimationDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.timelapse.isVisibleTo(dialog)
    dialog.timelapse.setChecked(True)
    assert not dialog.range_row.isEnabled()
    dialog.panel.setCurrentIndex(dialog.panel.findData("heatmaps"))
    dialog.format.setCurrentIndex(dialog.format.findData("gif"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("custom"))
    dialog.width_spin.setValue(960)
    dialog.height_spin.setValue(400)
    dialog.path_row.edit.setText(str(tmp_path / "grow.gif"))
    dialog.export()
    assert warnings == []
    with qtbot.waitSignal(dialog.runner.finished, timeout=WINDOW_WAIT_MS) as blocker:
        pass
    assert blocker.args == [str(tmp_path / "grow.gif")] and warnings == []
    frames = iio.imread(tmp_path / "grow.gif", index=None)
    assert frames.shape[0] == 6 == len(base.snapshots)
    assert dialog.timelapse_job.titles == [frame_title(base, k) for k in range(6)]
    assert not np.array_equal(frames[0], frames[-1])  # the weights, and so the picture, changed
    assert window.state.step == 4 and window.training.index == 2  # the window's view stayed


def test_no_time_lapse_offered_without_snapshots(qtbot, trained):
    from gateviz.ui.export_animation import AnimationDialog
    from gateviz.ui.workers import demo_model

    window = open_window(qtbot, trained)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model(demo_model())
    dialog = AnimationDialog(window)
    qtbot.addWidget(dialog)
    assert not dialog.timelapse.isVisibleTo(dialog)


def test_interventions_apply_to_the_snapshot_shown(qtbot, trained):
    from gateviz.core.engine import Tracer
    from gateviz.core.interventions import Intervention
    from gateviz.core.snapshots import model_at_snapshot

    window = open_window(qtbot, trained)
    base, sequence = window.state.model, window.state.sequence
    _show(qtbot, window, 1)
    iv = Intervention(layer=0, direction="forward", quantity="forget_gate", units=(1,), op="set", value=0.0)
    with qtbot.waitSignal(window.state.traceChanged, timeout=WINDOW_WAIT_MS):
        window.interventions.add(iv)
    model = model_at_snapshot(base, 1)
    assert window.state.model is model and window.state.original is not None
    _same_trace(window.state.trace, Tracer(model).trace(sequence, interventions=[iv]))
    for k in (3, 5):  # another snapshot, and the trained model: traced with the same intervention
        _show(qtbot, window, k)
        model = model_at_snapshot(base, k) if k < 5 else base
        assert window.state.model is model
        _same_trace(window.state.trace, Tracer(model).trace(sequence, interventions=[iv]))
        _same_trace(window.state.original, Tracer(model).trace(sequence))
        assert window.state.trace.get(0, "forward", "forget_gate")[:, 1].max() == 0.0


def test_save_writes_the_model_with_its_snapshots_while_one_is_shown(qtbot, trained, tmp_path):
    from gateviz.core.snapshots import weight_arrays
    from gateviz.formats import load_model

    window = open_window(qtbot, trained)
    base = window.state.model
    _show(qtbot, window, 1)
    assert window.save_model_to(str(tmp_path / "again.gvm"))
    again = load_model(str(tmp_path / "again.gvm"))
    assert [s.step for s in again.snapshots] == [s.step for s in base.snapshots]
    for name, a in weight_arrays(base).items():
        np.testing.assert_array_equal(weight_arrays(again)[name], a)


def test_the_play_training_action_and_key(qtbot, trained):
    from PySide6.QtCore import Qt

    window = open_window(qtbot, trained)
    action = window.play_training_action
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+Space"
    assert any(action in a.menu().actions() for a in window.menuBar().actions() if a.menu() is not None)
    _show(qtbot, window, 4)
    with qtbot.waitSignal(window.training.playingChanged, timeout=WINDOW_WAIT_MS,
                          check_params_cb=lambda on: not on):
        qtbot.keyClick(window, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.training.index == 5 and window.state.model is window.training.base
