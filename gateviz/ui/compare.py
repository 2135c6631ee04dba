"""Compare… (issue 12): two to four models on one input, side by side.

``CompareView`` is the picture: the outputs overlaid on the input (left), the gradient curves
||dy/dh_t|| against t*−t on one log axis (right), and below them one model's heatmaps or cell
diagram, picked from two menus. ``CompareWindow`` puts it in a window with one shared time
cursor (a slider; ←/→, Home/End, Space to play) and loads and traces the models off the GUI
thread. ``gateviz.export.compare`` renders the same ``CompareView`` headless.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMainWindow, QPushButton, QSlider, QSplitter, QVBoxLayout,
                               QWidget)

from gateviz.ui.compare_models import load_models, shared_input, trace_all
from gateviz.ui.compare_panels import DetailView, GradientCurves, OutputsPlot
from gateviz.ui.compare_state import CompareState
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import translate

NATURAL_SIZE = (1280, 800)  # an export's layout size with neither --size nor --dpi


class CompareView(QWidget):
    """The two shared plots above one model's panel; every part follows ``cstate``."""

    def __init__(self, cstate: CompareState, parent: QWidget | None = None):
        super().__init__(parent)
        self.cstate = cstate
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.outputs = OutputsPlot(cstate)
        self.curves = GradientCurves(cstate)
        top.addWidget(self.outputs)
        top.addWidget(self.curves)
        top.setSizes([1, 1])
        self.detail = DetailView(cstate)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.detail)
        self.splitter.setSizes([40, 60])
        layout.addWidget(self.splitter)
        cstate.themeChanged.connect(self._themed)
        self._themed()
        if cstate.entries:  # built after the models were set (export): draw them now
            for part in (self.outputs.rebuild, self.curves._models_changed, self.curves.update_curves,
                         self.detail._models_changed):
                part()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        h = max(event.size().height(), 1)
        self.splitter.setSizes([int(h * 0.4), h - int(h * 0.4)])  # the panel below needs the room

    @guarded
    def _themed(self) -> None:
        theme = self.cstate.theme
        self.setStyleSheet(f"CompareView {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        self.detail.apply_theme()


class StepBar(QWidget):
    """The shared time cursor: a slider, the step, play/pause."""

    def __init__(self, cstate: CompareState, parent: QWidget | None = None):
        super().__init__(parent)
        self.cstate = cstate
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.play = QPushButton("▶ " + translate("Compare", "Play"))  # the symbols stay out of the .ts
        self.play.setCheckable(True)
        self.play.setToolTip(translate("Compare", "Play / pause (Space)"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(translate("Compare", "The shared time step t*: every model's cursor and the gradients' "
                                                    "target step"))
        self.label = QLabel()
        self.export = QPushButton(translate("Compare", "Export…"))
        self.export.setToolTip(translate("Compare", "This view as a figure (PNG, SVG, PDF) or an animation of t* "
                                                    "(GIF, MP4)"))
        row.addWidget(self.play)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.export)
        self.timer = QTimer(self)
        self.timer.setInterval(120)
        self.timer.timeout.connect(self._tick)
        self.play.toggled.connect(self._toggle)
        self.slider.valueChanged.connect(cstate.set_step)
        cstate.modelsChanged.connect(self._models_changed)
        cstate.stepChanged.connect(self._step)

    @guarded
    def _models_changed(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(self.cstate.length - 1, 0))
        self.slider.blockSignals(False)
        self._step(self.cstate.step)

    @guarded
    def _step(self, step: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        self.label.setText(translate("Compare", "step t* = {step} of 0..{last}").format(
            step=step, last=self.cstate.length - 1))

    @guarded
    def _toggle(self, on: bool) -> None:
        self.play.setText("❚❚ " + translate("Compare", "Pause") if on else "▶ " + translate("Compare", "Play"))
        if on:
            if self.cstate.step >= self.cstate.length - 1:
                self.cstate.set_step(0)
            self.timer.start()
        else:
            self.timer.stop()

    @guarded
    def _tick(self) -> None:
        if self.cstate.step >= self.cstate.length - 1:
            self.play.setChecked(False)
        else:
            self.cstate.set_step(self.cstate.step + 1)


class CompareWindow(QMainWindow):
    """Compare… : a window of its own, so the main window keeps its model."""

    def __init__(self, specs: list[str] | None = None, input_path: str | None = None, theme=None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("gateviz — " + translate("Compare", "compare models"))
        self.cstate = CompareState(self)
        if theme is not None:
            self.cstate.set_theme(theme)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.bar = StepBar(self.cstate)
        self.view = CompareView(self.cstate)
        layout.addWidget(self.bar)
        layout.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.resize(1280, 860)
        self.cstate.failed.connect(self._gradients_failed)
        from gateviz.ui.runner import TraceRunner

        self.loader = TraceRunner(self)
        self.loader.done.connect(self._loaded)
        self.loader.failed.connect(self._load_failed)
        self.loader.progress.connect(lambda f, msg: self.statusBar().showMessage(msg))
        for key, slot in ((Qt.Key.Key_Left, lambda: self.cstate.set_step(self.cstate.step - 1)),
                          (Qt.Key.Key_Right, lambda: self.cstate.set_step(self.cstate.step + 1)),
                          (Qt.Key.Key_Home, lambda: self.cstate.set_step(0)),
                          (Qt.Key.Key_End, lambda: self.cstate.set_step(self.cstate.length - 1)),
                          (Qt.Key.Key_Space, lambda: self.bar.play.toggle())):  # the bar of the moment
            QShortcut(QKeySequence(key), self, activated=slot)
        self.bar.export.clicked.connect(self._export_dialog)
        from gateviz.ui import i18n

        i18n.notifier.languageChanged.connect(self._language_changed)
        if specs:
            self.load(specs, input_path)

    @guarded
    def _language_changed(self, _code: str) -> None:
        """View ▸ Language in the main window: the bar and the plots write their words when built, so
        they are built again on the same CompareState (models, step, theme), keeping the chosen detail."""
        self.setWindowTitle("gateviz — " + translate("Compare", "compare models"))
        detail = (self.view.detail.model_box.currentIndex(), self.view.detail.panel_box.currentData())
        layout = self.centralWidget().layout()
        old = (self.bar, self.view)
        self.bar, self.view = StepBar(self.cstate), CompareView(self.cstate)
        layout.replaceWidget(old[0], self.bar)
        layout.replaceWidget(old[1], self.view)
        for widget in old:
            widget.hide()
            widget.deleteLater()
        self.bar.export.clicked.connect(self._export_dialog)
        if self.cstate.entries:
            self.bar._models_changed()
        if detail[0] >= 0:
            self.view.detail.model_box.setCurrentIndex(detail[0])
        index = self.view.detail.panel_box.findData(detail[1])
        if index >= 0:
            self.view.detail.panel_box.setCurrentIndex(index)

    def export_to(self, path: str, *, overwrite: bool = False, size=None):
        """This view (same models, step, theme, chosen panel) rendered by the CLI's path
        (``gateviz.export.compare``) from a private copy, so the window keeps its size and cursor."""
        import dataclasses
        from pathlib import Path

        from gateviz.export.compare import export_compare

        copy = CompareState(sync=True)
        copy.theme, copy.target_output = self.cstate.theme, self.cstate.target_output
        copy.set_entries([dataclasses.replace(e) for e in self.cstate.entries], self.cstate.input_name,
                         self.cstate.step)
        view = CompareView(copy)
        fmt = Path(path).suffix.lstrip(".").lower()
        try:
            detail = (self.view.detail.model_box.currentIndex(), self.view.detail.panel_box.currentData())
            return export_compare(copy, view, path, fmt, overwrite=overwrite, size=size, detail=detail)
        finally:
            view.close()
            view.deleteLater()

    @guarded
    def _export_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from gateviz.ui.errors import describe_exception, show_error

        if not self.cstate.entries:
            return
        path, _ = QFileDialog.getSaveFileName(self, translate("Compare", "Export the comparison"), "compare.png",
                                              translate("Compare", "Figures (*.png *.svg *.pdf);;Animations "
                                                                   "(*.gif *.mp4)"))
        if not path:
            return
        try:  # the file dialog has asked about replacing an existing file
            plan = self.export_to(path, overwrite=True)
        except Exception as exc:  # noqa: BLE001 - every failure is shown, the window stays
            show_error(self, translate("Compare", "Export failed"), describe_exception(exc))
            return
        self.statusBar().showMessage(translate("Compare", "wrote {path} ({w}x{h} px)").format(
            path=path, w=plan.pixels[0], h=plan.pixels[1]), 8000)

    def load(self, specs: list[str], input_path: str | None = None) -> None:
        """Load, check and trace ``specs`` (files or bundled:NAME) in the background, then show them."""
        self.statusBar().showMessage(translate("Compare", "loading {models}").format(models=", ".join(specs)))

        def job(progress):
            entries = load_models(list(specs))
            where = shared_input(entries, input_path)
            trace_all(entries, progress)
            return entries, where

        self.loader.submit("compare", job, now=True)

    @guarded
    def _loaded(self, _tag, result) -> None:
        entries, where = result
        self.cstate.set_entries(entries, where)
        self.statusBar().showMessage(translate("Compare", "{n} models on {where}: {names}").format(
            n=len(entries), where=where, names=", ".join(e.name for e in entries)), 8000)

    @guarded
    def _load_failed(self, _tag, exc) -> None:
        from gateviz.ui.errors import describe_exception, show_error

        self.statusBar().clearMessage()
        show_error(self, translate("Compare", "Cannot compare these models"), describe_exception(exc))

    @guarded
    def _gradients_failed(self, message: str) -> None:
        self.statusBar().showMessage(translate("Compare", "gradients: {message}").format(message=message), 8000)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.bar.timer.stop()
        super().closeEvent(event)


def open_compare(parent: QWidget | None, theme=None, prefill: list[str] | None = None) -> CompareWindow | None:
    """File ▸ Compare models…: pick the models (pre-filled), then open them in a CompareWindow."""
    from gateviz.ui.compare_dialog import CompareDialog

    dialog = CompareDialog(prefill or [], parent)
    if dialog.exec() != CompareDialog.DialogCode.Accepted:
        return None
    window = CompareWindow(dialog.specs(), dialog.input_path(), theme=theme, parent=parent)
    window.setWindowFlag(Qt.WindowType.Window, True)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    window.show()
    return window
