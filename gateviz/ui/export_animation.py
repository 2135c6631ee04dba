"""File ▸ Export animation…: frames of the time cursor, or of the training snapshots (issue 16).

Animations render on the GUI thread in small batches driven by a QTimer (about 40 ms of work per
tick), with a QProgressDialog whose Cancel stops at the next frame and deletes the partial file;
ffmpeg encodes in its own process meanwhile, so the window stays responsive. The parts every export
dialog shares (path row, panel choice, sizes, the overwrite question) are export_dialog's.
"""

from __future__ import annotations

import contextlib
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QHBoxLayout, QMessageBox, QProgressDialog, QSpinBox,
                               QWidget)

from gateviz.ui import errors
from gateviz.ui.export_dialog import (ANIMATION_SIZES, _ExportDialog, _layout, _panel_combo, _size_spins, _status,
                                      _view_widget, _visible_panels)
from gateviz.ui.i18n import translate

FRAME_BUDGET_S = 0.04  # GUI-thread work per timer tick while rendering an animation


class AnimationRunner(QObject):
    """Drives an AnimationExport from a QTimer with a QProgressDialog; owns the offscreen view."""

    finished = Signal(str)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, job, view: QWidget, parent: QWidget):
        super().__init__(parent)
        self.job, self.view = job, view
        self._cancel_requested = False
        self.progress = QProgressDialog(translate("Export", "Rendering {n} frames…").format(n=job.total),
                                        translate("Export", "Cancel"), 0, job.total, parent)
        self.progress.setWindowTitle(translate("Export", "Export animation"))
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.cancel)
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)
        self._running = False
        # quitting mid-export: stop ffmpeg and delete the partial file rather than leave them behind
        QApplication.instance().aboutToQuit.connect(self._abandon)

    def _abandon(self) -> None:
        if self._running:
            self.job.abort()
            self._running = False

    def start(self) -> None:
        try:
            self.job.start()
        except Exception as exc:  # noqa: BLE001
            self._end()
            self.failed.emit(errors.error_text(exc))
            return
        self._running = True
        self.progress.setValue(0)
        self.progress.show()
        self.timer.start()

    def cancel(self) -> None:
        self._cancel_requested = True  # acted on at the next tick, never inside a frame

    def _tick(self) -> None:
        if self._cancel_requested or self.progress.wasCanceled():
            self.job.abort()
            self._end()
            self.cancelled.emit()
            return
        try:
            deadline = time.perf_counter() + FRAME_BUDGET_S
            while self.job.render_next() and time.perf_counter() < deadline:
                pass  # at least one frame per tick, more while the budget lasts
            if not self.job.finished:
                self.progress.setLabelText(translate("Export", "Rendering frame {k} of {n}…").format(
                    k=self.job.done + 1, n=self.job.total))
                self.progress.setValue(self.job.done)
                return
            self.progress.setLabelText(translate("Export", "Finishing the file…"))
            path = self.job.finish()
        except Exception as exc:  # noqa: BLE001
            self.job.abort()
            self._end()
            self.failed.emit(errors.error_text(exc) or type(exc).__name__)
            return
        self._end()
        self.finished.emit(str(path))

    def _end(self) -> None:
        self._running = False
        with contextlib.suppress(RuntimeError, TypeError):
            QApplication.instance().aboutToQuit.disconnect(self._abandon)
        self.timer.stop()
        self.progress.canceled.disconnect(self.cancel)
        self.progress.close()
        self.progress.deleteLater()
        self.view.close()
        self.view.deleteLater()


class AnimationDialog(_ExportDialog):
    def __init__(self, window):
        super().__init__(window, translate("Export", "Export animation"),
                         translate("Export", "MP4 video (*.mp4);;GIF animation (*.gif)"))
        state = window.state
        length = state.trace.length if state.trace is not None else 1
        self.panel = _panel_combo(window)
        self.format = QComboBox()
        self.format.addItem(translate("Export", "MP4 video (H.264)"), "mp4")
        self.format.addItem(translate("Export", "GIF animation"), "gif")
        self.preset = QComboBox()
        for label, size in ANIMATION_SIZES:
            self.preset.addItem(translate("Export", label), size)
        self.preset.setCurrentIndex(2)
        self.width_spin, self.height_spin = _size_spins((1280, 720))
        size_row = QWidget()
        row = QHBoxLayout(size_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.width_spin)
        row.addWidget(self.height_spin)
        self.size_row = size_row
        self.fps = QSpinBox()
        self.fps.setRange(1, 120)
        self.fps.setValue(10)
        self.fps.setSuffix(translate("Export", " frames/s"))
        self.first, self.last = QSpinBox(), QSpinBox()
        for spin, value in ((self.first, 0), (self.last, length - 1)):
            spin.setRange(0, max(0, length - 1))
            spin.setValue(value)
        range_row = QWidget()
        row = QHBoxLayout(range_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.first)
        row.addWidget(self.last)
        self.form.addRow(translate("Export", "Show:"), self.panel)
        self.form.addRow(translate("Export", "Format:"), self.format)
        self.form.addRow(translate("Export", "Size:"), self.preset)
        self.form.addRow(translate("Export", "Custom size:"), size_row)
        self.form.addRow(translate("Export", "Frame rate:"), self.fps)
        self.form.addRow(translate("Export", "Steps (first, last):"), range_row)
        self.range_row = range_row
        self.timelapse = QCheckBox(translate("Export", "Training time-lapse: one frame per weight snapshot, at the "
                                                       "current step"))
        self.timelapse.setToolTip(translate("Export", "Each frame traces this input with the weights of one training "
                                                      "snapshot and is titled with its step, epoch, loss and metric"))
        scrubber = getattr(window, "training", None)
        if scrubber is not None and scrubber.base is not None:  # issue 16: the model has snapshots
            self.form.addRow("", self.timelapse)
            self.timelapse.toggled.connect(self._timelapse_toggled)
        else:
            self.timelapse.hide()
        self.finish_form()
        self.preset.currentIndexChanged.connect(lambda: self.size_row.setEnabled(self.preset.currentData() == "custom"))
        self.size_row.setEnabled(False)
        self.runner: AnimationRunner | None = None

    def _timelapse_toggled(self, on: bool) -> None:
        self.range_row.setEnabled(not on)
        if on and self.fps.value() > 4:
            self.fps.setValue(2)  # a few snapshots per second: each frame stays readable

    def export(self) -> None:
        from gateviz.export import headless
        from gateviz.export.animation import AnimationExport

        window = self.window_
        if window.state.trace is None:
            self.fail(RuntimeError(translate("Export", "nothing to animate: no model is traced yet")))
            return
        if self.timelapse.isChecked() and self.timelapse.isVisibleTo(self):
            self._export_timelapse()
            return
        fmt = self.format.currentData()
        panel_id = self.panel.currentData()
        first, last = self.first.value(), self.last.value()
        if last < first:
            self.fail(ValueError(translate("Export", "the last step ({last}) comes before the first ({first})").format(
                last=last, first=first)))
            return
        path = self.chosen_path(fmt)
        if path is None:
            return
        fmt = self.chosen_format
        size = self._chosen_size()
        live = _view_widget(window, panel_id)
        view_state = headless.clone_state(window.state)
        view = headless.build_view(view_state, panel_id, _layout(window, panel_id))
        if size is None and live is not None and live.isVisible():
            view.resize(live.width(), live.height())
        visible = _visible_panels(window)
        if visible is not None and hasattr(view, "set_panel_visible"):
            for pid in list(getattr(view, "panels", {})):
                view.set_panel_visible(pid, pid in visible)
        try:
            job = AnimationExport(view, view_state, path, fmt=fmt, steps=range(first, last + 1),
                                  fps=self.fps.value(), size=size, overwrite=True)
        except Exception as exc:  # noqa: BLE001
            view.deleteLater()
            self.fail(exc)
            return
        self._run(job, view, lambda p: translate("Export", "Exported {n} frames to {path}").format(n=job.total, path=p))

    def _chosen_size(self):
        size = self.preset.currentData()
        return (self.width_spin.value(), self.height_spin.value()) if size == "custom" else size

    def _run(self, job, widget, done_words) -> None:
        """Close the dialog and render ``job`` frame by frame with progress and Cancel (AnimationRunner)."""
        window = self.window_
        self.runner = AnimationRunner(job, widget, window)
        self.runner.finished.connect(lambda p: (_status(window, done_words(p)), self.exported.emit(p)))
        self.runner.failed.connect(lambda message: QMessageBox.warning(window, translate("Export", "Export failed"),
                                                                       message))
        self.runner.cancelled.connect(lambda: _status(window, translate(
            "Export", "Animation export cancelled; nothing was written")))
        self.accept()
        self.runner.start()

    def _export_timelapse(self) -> None:
        """One frame per training snapshot (gateviz.export.timelapse), rendered like any animation."""
        from gateviz.export import headless
        from gateviz.export.timelapse import TimelapseExport, titled

        window = self.window_
        fmt = self.format.currentData()
        panel_id = self.panel.currentData()
        path = self.chosen_path(fmt)
        if path is None:
            return
        fmt = self.chosen_format
        size = self._chosen_size()
        traces = window.training.traces  # the slider's cache: snapshots seen or prefetched are not traced again
        view_state = headless.clone_state(window.state)
        layout = _layout(window, panel_id)
        view = headless.build_view(view_state, panel_id, layout)
        if headless.shows_memory(view_state, panel_id, layout):
            from gateviz.ui.gradient_follower import GradientFollower

            GradientFollower(view_state, view, sync=True)
        box = titled(view, view_state.theme)
        try:
            job = TimelapseExport(box, view_state, traces, path, step=view_state.step, fmt=fmt, fps=self.fps.value(),
                                  size=size, overwrite=True)
        except Exception as exc:  # noqa: BLE001
            box.deleteLater()
            self.fail(exc)
            return
        self.timelapse_job = job
        self._run(job, box, lambda p: translate(
            "Export", "Exported the training time-lapse ({n} snapshots) to {path}").format(n=job.total, path=p))
