"""The Train dialog: pick a task and a cell, train in a worker thread, watch loss and metric live.

Training is ``gateviz.training.Trainer(config).run()``, a generator run by a superqt
GeneratorWorker on Qt's thread pool; every yielded ``TrainProgress`` updates the curves
and the progress bar on the GUI thread. Cancel asks the trainer to stop after its current
step (``request_stop``), which still leaves a valid model from the last completed step:
"Use this model" then shows it. A run that completes becomes the window's model at once.

The dialog is not modal: the main window stays usable (and keeps playing) while it trains.
It starts from the window's current model (its task, cell and size) when that model has a
built-in task, and follows the window to another model; edits made while the same model is
open are kept.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from gateviz.core.snapshots import DEFAULT_SNAPSHOTS
from gateviz.ui import errors
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, localized, translate

CELL_LABELS = (("lstm", "LSTM"), ("gru", "GRU"), ("rnn", QT_TRANSLATE_NOOP("Train", "RNN (tanh)")))
DEFAULT_FORM = {"task": "sine", "cell": "lstm", "layers": 1, "bidirectional": False}  # units: the task's


def config_of_model(model) -> dict | None:
    """The form values that train a model like ``model``: its task, cell and size; None for a model
    without a built-in task (or a cell the trainer does not build)."""
    from gateviz.tasks import TASK_NAMES

    if model is None:
        return None
    task = (getattr(model, "task", None) or {}).get("name")
    if task not in TASK_NAMES or model.cell not in dict(CELL_LABELS) or not model.layers:
        return None
    return {"task": task, "cell": model.cell, "units": int(model.layers[0].units), "layers": len(model.layers),
            "bidirectional": any(layer.bidirectional for layer in model.layers)}


def metric_title(task, value: float | None = None) -> str:
    """The metric plot's title: the task's own label, which way is better, the latest value."""
    label = localized(task.metric_label) or task.metric
    better = (translate("Train", "lower is better") if task.metric_goal == "min"
              else translate("Train", "higher is better"))
    shown = "" if value is None or not math.isfinite(value) else f": {value:.4g}"
    return translate("Train", "held-out {metric}{value} ({better})").format(metric=label, value=shown, better=better)


def _train_generator(config, holder: dict):
    """Runs in the worker thread: build the trainer (task data may take a moment), train, return the model."""
    from gateviz.training import Trainer

    trainer = Trainer(config)
    holder["trainer"] = trainer
    if holder.get("stop"):
        trainer.request_stop()
    yield from trainer.run()
    return trainer.model()


class TrainDialog(QDialog):
    modelTrained = Signal(object)  # RecurrentModel the user wants to see (completed run or "Use this model")
    progressed = Signal(object)  # every TrainProgress (tests, status)
    trainingFinished = Signal(bool)  # True: ran to the end; False: cancelled or failed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(translate("Train", "Train a model"))
        self.setObjectName("train_dialog")
        self.setModal(False)
        self._worker = None
        self._holder: dict = {}
        self._result = None
        self._cancelled = False
        self._last_report = ""
        self._steps: list[float] = []
        self._losses: list[float] = []
        self._metric_x: list[float] = []
        self._metric_y: list[float] = []
        self._task = None  # the chosen task (gateviz.tasks.Task): defaults, description, metric label
        self.live = None  # LiveTraining while the window follows a run

        from gateviz.bundled import TASK_WORDS
        from gateviz.tasks import TASK_NAMES

        self.task_combo = QComboBox(self)
        for name in TASK_NAMES:
            self.task_combo.addItem(localized(TASK_WORDS.get(name, name), "Bundled"), name)
        self.task_combo.setToolTip(translate("Train", "The built-in task: its data, its read-out head and its quality "
                                                      "metric"))
        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.cell_combo = QComboBox(self)
        for key, label in CELL_LABELS:
            self.cell_combo.addItem(translate("Train", label), key)
        self.cell_combo.setToolTip(translate(
            "Train", "LSTM (gates i, f, g, o and a cell state), GRU (gates r, z) or a plain tanh RNN"))
        self.units_box = QSpinBox(self)
        self.units_box.setRange(1, 1024)
        self.units_box.setToolTip(translate("Train", "Hidden units per layer (and direction)"))
        self.layers_box = QSpinBox(self)
        self.layers_box.setRange(1, 4)
        self.layers_box.setToolTip(translate("Train", "Stacked recurrent layers"))
        self.bidirectional_box = QCheckBox(translate("Train", "bidirectional"), self)
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(1, 1000)
        self.epochs_box.setToolTip(translate("Train", "Passes over the training data"))
        self.seed_box = QSpinBox(self)
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip(translate("Train", "The same seed gives the same weights on this machine"))
        self.live_box = QCheckBox(translate("Train", "Show training live in the window"), self)
        self.live_box.setChecked(False)  # opt-in: the window keeps what the user looks at unless asked
        self.live_box.setToolTip(translate(
            "Train", "While training, the main window shows the newest weight snapshot on its current input (a few "
                     "times per second; training never waits for it)"))
        self.task_description = QLabel("", self)
        self.task_description.setObjectName("hint")
        self.task_description.setWordWrap(True)

        form = QFormLayout()
        form.addRow(translate("Train", "Task"), self.task_combo)
        form.addRow("", self.task_description)
        form.addRow(translate("Train", "Cell"), self.cell_combo)
        form.addRow(translate("Train", "Units"), self.units_box)
        form.addRow(translate("Train", "Layers"), self.layers_box)
        form.addRow("", self.bidirectional_box)
        form.addRow(translate("Train", "Epochs"), self.epochs_box)
        form.addRow(translate("Train", "Seed"), self.seed_box)
        form.addRow("", self.live_box)

        import pyqtgraph as pg

        self.plot = pg.GraphicsLayoutWidget(self)
        # two plots whose tick labels stay apart also at presentation mode's larger fonts
        self.plot.setMinimumSize(460, max(300, 20 * self.fontMetrics().lineSpacing()))
        self.loss_plot = self.plot.addPlot(row=0, col=0, title=translate("Train", "training loss"))
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.getAxis("left").setStyle(maxTextLevel=0)  # label decades only: minor log labels overlap
        self.loss_plot.showGrid(x=True, y=True, alpha=0.3)
        self.loss_plot.setLabel("bottom", translate("Train", "step"))
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#0072B2", width=2))
        self.metric_plot = self.plot.addPlot(row=1, col=0, title=translate("Train", "held-out metric"))
        self.metric_plot.showGrid(x=True, y=True, alpha=0.3)
        self.metric_plot.setLabel("bottom", translate("Train", "step"))
        self.metric_plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.metric_plot):
            plot.getAxis("left").setWidth(54)  # room for tick labels such as 0.0012
        self.metric_curve = self.metric_plot.plot([], [], pen=pg.mkPen("#D55E00", width=2), symbol="o",
                                                  symbolSize=6, symbolBrush="#D55E00")
        self.plot.setToolTip(translate("Train", "Loss after every step (log scale) and the task's metric on held-out "
                                                "data"))
        self._state = getattr(parent, "state", None)
        if self._state is not None:
            self._state.themeChanged.connect(self._apply_theme)
        self._apply_theme()

        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(True)
        self.status = QLabel(translate("Train", "Choose a task and press Train."), self)
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 4)

        self.train_button = QPushButton(translate("Train", "Train"), self)
        self.train_button.setDefault(True)
        self.train_button.setToolTip(translate("Train", "Start training in the background; the window stays usable"))
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton(translate("Train", "Cancel"), self)
        self.cancel_button.setToolTip(translate("Train", "Stop after the current step; the model so far can still be "
                                                         "used"))
        self.cancel_button.clicked.connect(self.cancel_training)
        self.cancel_button.setEnabled(False)
        self.use_button = QPushButton(translate("Train", "Use this model"), self)
        self.use_button.setToolTip(translate("Train", "Show the model of the last completed step in the window"))
        self.use_button.clicked.connect(self._use_result)
        self.use_button.setEnabled(False)
        close_button = QPushButton(translate("Train", "Close"), self)
        close_button.clicked.connect(self.close)

        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close_button)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.plot, 1)
        right.addWidget(self.progress_bar)
        right.addWidget(self.status)
        top = QHBoxLayout()
        top.addLayout(left, 0)
        top.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(buttons)
        self._task_changed()
        self._fit_size()
        self._followed = self  # the model the form was last filled from (self: none yet)
        if self._state is not None:
            self._state.traceChanged.connect(self._follow_model_if_shown)
        self.follow_model()

    def _fit_size(self) -> None:
        """900×520, or larger when the fonts (presentation mode, Chinese) need it, within the screen."""
        hint = self.sizeHint()
        width, height = max(900, hint.width()), max(520, hint.height() + 2 * self.fontMetrics().lineSpacing())
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry()
            width, height = min(width, int(room.width() * 0.95)), min(height, int(room.height() * 0.92))
        self.resize(width, height)

    def _apply_theme(self) -> None:
        import pyqtgraph as pg

        from gateviz.ui.state import Theme

        theme = self._state.theme if self._state is not None else Theme()
        self.plot.setBackground(theme.background)
        for plot in (self.loss_plot, self.metric_plot):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(theme.foreground))
                axis.setTextPen(pg.mkPen(theme.foreground))
            plot.titleLabel.setAttr("color", theme.foreground)
            plot.setTitle(plot.titleLabel.text)
        width = theme.line_width
        self.loss_curve.setPen(pg.mkPen("#0072B2", width=width))
        self.metric_curve.setPen(pg.mkPen("#D55E00", width=width))

    # ---- form -------------------------------------------------------------------
    def follow_model(self) -> None:
        """Fill the form from the window's current model (its task, cell and size), or with the
        defaults for a model without a built-in task; only when the model is another than the one
        the form was last filled from, and never during a run: the user's own edits for the same
        model stay."""
        model = self._state.model if self._state is not None else None
        if model is self._followed or self.running:
            return
        self._followed = model
        values = config_of_model(model)
        if values is None:
            self.set_config(**DEFAULT_FORM)
            self._task_changed()  # the task's own units and epochs
        else:
            self.set_config(**values)

    def _follow_model_if_shown(self) -> None:
        if self.isVisible():
            self.follow_model()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.follow_model()  # reopened after another model was opened
        super().showEvent(event)

    def _task_changed(self) -> None:
        from gateviz.tasks import get_task

        try:
            task = get_task(self.task_combo.currentData())  # cheap: tasks load their data lazily
        except Exception:
            return
        self._task = task
        d = task.defaults
        self.units_box.setValue(int(d.get("units", 32)))
        self.epochs_box.setValue(int(d.get("epochs", 10)))
        self.task_description.setText(localized(task.description))
        self.metric_plot.setTitle(metric_title(task))
        next_step = bool(task.predicts_next_step)
        self.bidirectional_box.setEnabled(not next_step)
        if next_step:
            self.bidirectional_box.setChecked(False)
        self.bidirectional_box.setToolTip(
            translate("Train", "A bidirectional model would read the future of a next-step task") if next_step
            else translate("Train", "A second direction reads the sequence from the end; panels show either direction"))

    def set_config(self, **values) -> None:
        """Fill the form (tests, presets): task, cell, units, layers, bidirectional, epochs, seed."""
        if "task" in values:
            self.task_combo.setCurrentIndex(self.task_combo.findData(values["task"]))
        if "cell" in values:
            self.cell_combo.setCurrentIndex(self.cell_combo.findData(values["cell"]))
        for key, box in (("units", self.units_box), ("layers", self.layers_box), ("epochs", self.epochs_box),
                         ("seed", self.seed_box)):
            if key in values:
                box.setValue(int(values[key]))
        if "bidirectional" in values:
            self.bidirectional_box.setChecked(bool(values["bidirectional"]))

    def config(self):
        from gateviz.training import TrainConfig

        return TrainConfig(task=self.task_combo.currentData(), cell=self.cell_combo.currentData(),
                           units=self.units_box.value(), layers=self.layers_box.value(),
                           bidirectional=self.bidirectional_box.isChecked() and self.bidirectional_box.isEnabled(),
                           epochs=self.epochs_box.value(), seed=self.seed_box.value(),
                           snapshots=DEFAULT_SNAPSHOTS)  # issue 16: the time-lapse of every run

    # ---- running ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._worker is not None

    def start_training(self) -> None:
        if self.running:
            return
        from superqt.utils import create_worker

        config = self.config()
        self._holder = {}
        self._result = None
        self._cancelled = False
        self._steps, self._losses, self._metric_x, self._metric_y = [], [], [], []
        self.loss_curve.setData([], [])
        self.metric_curve.setData([], [])
        if self._task is not None:
            self.metric_plot.setTitle(metric_title(self._task))
        self.progress_bar.setValue(0)
        self._last_report = translate("Train", "Preparing the {task} data…").format(task=config.task)
        self.status.setText(self._last_report)
        worker = create_worker(_train_generator, config, self._holder, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self._on_progress)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._set_running(True)
        worker.start()
        self._start_live()

    def _start_live(self) -> None:
        """The window follows the run's newest snapshot (issue 16) when asked and there is a window."""
        window = self.parent()
        if not self.live_box.isChecked() or getattr(window, "state", None) is None:
            return
        from gateviz.ui.training_live import LiveTraining

        if self.live is None:
            self.live = LiveTraining(window, self._holder, self)
        self.live.start(self._holder)

    def cancel_training(self) -> None:
        """Stop after the current step (thread-safe); the worker then finishes normally."""
        if not self.running:
            return
        self._cancelled = True
        self._holder["stop"] = True
        trainer = self._holder.get("trainer")
        if trainer is not None:
            trainer.request_stop()
        self.status.setText(self._last_report + translate("Train", "  — stopping…"))
        self.cancel_button.setEnabled(False)

    def stop_training(self, wait: bool = False) -> None:
        self.cancel_training()
        if wait and self._worker is not None:
            from PySide6.QtCore import QThreadPool

            QThreadPool.globalInstance().waitForDone(30000)

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.task_combo, self.cell_combo, self.units_box, self.layers_box, self.epochs_box, self.seed_box):
            w.setEnabled(not running)
        self.live_box.setEnabled(not running)
        if not running:
            self._task_changed_enable_bidirectional()
        else:
            self.bidirectional_box.setEnabled(False)
            self.use_button.setEnabled(False)

    def _task_changed_enable_bidirectional(self) -> None:
        if self._task is not None:
            self.bidirectional_box.setEnabled(not self._task.predicts_next_step)

    def _on_progress(self, p) -> None:
        self._steps.append(float(p.step))
        self._losses.append(max(float(p.loss), 1e-12) if math.isfinite(p.loss) else np.nan)
        if p.evaluated and p.metric is not None:
            self._metric_x.append(float(p.step))
            self._metric_y.append(float(p.metric))
        self.loss_curve.setData(np.asarray(self._steps), np.asarray(self._losses))
        self.metric_curve.setData(np.asarray(self._metric_x), np.asarray(self._metric_y))
        fraction = p.fraction
        if p.done and self._cancelled and p.total_steps:  # the trainer reports 1.0 at the end of any run
            fraction = min(1.0, p.step / p.total_steps)
        self.progress_bar.setValue(int(round(1000 * fraction)))
        self.progress_bar.setFormat(f"{100 * fraction:.0f} %")
        task = self._task
        label = localized(task.metric_label) if task is not None and p.metric_name == task.metric else p.metric_name
        metric = "" if p.metric is None else f", {label or p.metric_name} {p.metric:.4g}"
        if p.evaluated and p.metric is not None and task is not None:
            self.metric_plot.setTitle(metric_title(task, float(p.metric)))
        self._last_report = translate(
            "Train", "epoch {epoch}, step {step}/{total}, loss {loss}{metric}, {seconds} s").format(
            epoch=p.epoch, step=p.step, total=p.total_steps, loss=f"{p.loss:.4g}", metric=metric,
            seconds=f"{p.elapsed:.1f}")
        self.status.setText(self._last_report + (translate("Train", "  — stopping…") if self._cancelled else ""))
        self.progressed.emit(p)

    def _on_returned(self, model) -> None:
        self._result = model
        self.use_button.setEnabled(True)
        if self._cancelled:
            self.status.setText(self._last_report + translate(
                "Train", "  — stopped. “Use this model” shows the model so far."))
        else:
            self.status.setText(self._last_report + translate("Train", "  — done; the window shows the new model."))
            self.modelTrained.emit(model)

    def _on_error(self, exc) -> None:
        self._cancelled = True
        self.status.setText(translate("Train", "Training failed."))
        errors.show_error(self, translate("Train", "Training failed"), errors.describe_exception(exc))

    def _on_finished(self) -> None:
        if self.live is not None:
            self.live.stop()
        self._worker = None
        self._set_running(False)
        self.use_button.setEnabled(self._result is not None)
        self.trainingFinished.emit(not self._cancelled and self._result is not None)

    def _use_result(self) -> None:
        if self._result is not None:
            self.modelTrained.emit(self._result)

    @property
    def result_model(self):
        return self._result

    def closeEvent(self, event) -> None:
        # closing does not stop a run: reopening the dialog shows it still going
        super().closeEvent(event)
