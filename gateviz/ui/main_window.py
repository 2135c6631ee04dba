"""The main window: dashboard in the middle, controls dock on the left, playback bar below.

It owns the one ``ViewState`` (``window.state``), the ``Player`` and a ``TraceRunner``
that loads and traces off the GUI thread. Everything a user can do ends in one of:

    open_model(path | "bundled:NAME" | RecurrentModel, input_path=None)
    set_sequence(sequence, name)          re-trace the current model
    use_model(model)                      a model trained in the Train dialog

Each finishes asynchronously and emits ``traceReady`` (the state holds the new trace)
or ``loadFailed(message)`` (an error dialog was shown; the current model stays).

Attributes other parts rely on (export hooks in through ``install_export_actions``):
``state``, ``player``, ``dashboard`` (None until built), ``panels`` (id -> widget).
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QFileDialog, QLabel, QLineEdit,
                               QMainWindow, QPlainTextEdit, QTextEdit, QToolBar, QWidget)

from gateviz.core.model import RecurrentModel
from gateviz.ui import errors, guard, settings
from gateviz.ui.controls import ControlsPanel
from gateviz.ui.docks import add_dock
from gateviz.ui.player import PlaybackBar, Player
from gateviz.ui.state import Theme, ViewState
from gateviz.ui.theme import COLORMAPS, apply_theme
from gateviz.ui.workers import Loaded, TraceRunner

MODEL_FILTER = ("Model files (*.gvm *.pt *.pth *.bin *.ckpt *.safetensors *.h5 *.hdf5 *.keras *.onnx);;"
                "All files (*)")
SEQUENCE_FILTER = "Sequences (*.npy *.csv *.txt);;All files (*)"
SEQUENCE_SUFFIXES = (".npy", ".csv", ".txt")
TEXT_WIDGETS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
SHORTCUT_KEYS = {Qt.Key.Key_Space: "toggle", Qt.Key.Key_Left: "back", Qt.Key.Key_Right: "forward",
                 Qt.Key.Key_Home: "start", Qt.Key.Key_End: "end"}


class MainWindow(QMainWindow):
    traceReady = Signal()  # the state holds a new model/sequence trace
    loadFailed = Signal(str)  # a load or trace failed; the message was shown in a dialog

    def __init__(self, state: ViewState | None = None, *, build_dashboard: bool = True, restore: bool = True,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gateviz_main_window")
        self.setWindowTitle("gateviz")
        self.setAcceptDrops(True)
        self.state = state or ViewState(self)
        self.player = Player(self.state, self)
        self.runner = TraceRunner(self)
        self.runner.done.connect(self._job_done)
        self.runner.failed.connect(self._job_failed)
        self.dashboard = None
        self.panels: dict[str, QWidget] = {}
        self.samples: list = []
        self.model_source = ""  # the file or bundled name the current model came from
        self.bundled_name: str | None = None
        self.train_dialog = None
        self._panel_actions: dict[str, QAction] = {}
        self._saved_dashboard_layout: dict | None = None

        # controls dock (left)
        self.controls = ControlsPanel(self.state)
        self.controls_dock = add_dock(self, "Controls", "controls_dock", self.controls)
        mb, sb = self.controls.model_box, self.controls.sequence_box
        mb.bundledChosen.connect(lambda name: self.open_model(f"bundled:{name}"))
        mb.openRequested.connect(self.open_model_dialog)
        mb.trainRequested.connect(self.open_train_dialog)
        mb.saveRequested.connect(self.save_model_dialog)
        sb.sampleChosen.connect(self._sample_chosen)
        sb.loadRequested.connect(self.open_sequence_dialog)

        # playback bar (bottom toolbar, so its place is saved with the window state)
        self.playback_bar = PlaybackBar(self.player)
        self.playback_toolbar = QToolBar("Playback", self)
        self.playback_toolbar.setObjectName("playback_toolbar")
        self.playback_toolbar.setMovable(False)
        self.playback_toolbar.addWidget(self.playback_bar)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.playback_toolbar)

        # central area: a placeholder until the dashboard is built
        self._placeholder = QLabel("Loading the model…", self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("hint")
        self.setCentralWidget(self._placeholder)

        self._build_status_bar()
        self._build_menus()
        self._install_shortcuts()
        from gateviz.ui.interventions_ctl import InterventionsController

        self.interventions = InterventionsController(self)  # issue 13: re-tracing, its dock and menu
        # an exception caught in a paint event or slot: the status bar says so, one dialog per new error
        guard.add_listener(self._guard_error)
        self._error_dialog_pending = False
        self._nonfinite_warned: set = set()  # models whose NaN/Inf warning was shown in a dialog

        self._populate_bundled()
        if restore:
            self._restore_settings()
        else:
            self.resize(1400, 860)
        self.fit_to_screen()
        apply_theme(self.state.theme)
        self._sync_theme_actions()
        try:  # figure/animation/data export (issue 6) hooks into the File menu when present
            from gateviz.ui.export_dialog import install_export_actions
        except ImportError:
            install_export_actions = None
        if install_export_actions is not None:
            install_export_actions(self)
        if build_dashboard:
            self.build_dashboard()

    # ------------------------------------------------------------------ building
    def build_dashboard(self) -> None:
        """Create the panels (imports pyqtgraph; the start-up path calls it after the first paint)."""
        if self.dashboard is not None:
            return
        from gateviz.ui.dashboard import PANEL_TITLES, Dashboard

        self.dashboard = Dashboard(self.state, parent=self)
        self.dashboard.layoutChanged.connect(self._layout_changed)
        self.dashboard.fitChanged.connect(self.status.show_left_out)
        self.panels = self.dashboard.panels
        self.setCentralWidget(self.dashboard)
        self._placeholder = None
        menu = self.panels_menu
        menu.clear()
        self._panel_actions.clear()
        for pid, panel in self.panels.items():
            action = QAction(getattr(panel, "title", "") or PANEL_TITLES.get(pid, pid), self, checkable=True)
            action.setChecked(True)
            action.setToolTip(f"Show or hide the {PANEL_TITLES.get(pid, pid).lower()} panel")
            action.toggled.connect(lambda on, p=pid: self.dashboard.set_panel_visible(p, on))
            menu.addAction(action)
            self._panel_actions[pid] = action
        self.dashboard.panelVisibilityChanged.connect(self._panel_visibility_changed)
        from gateviz.ui.gradient_follower import GradientFollower

        # gradients through time of the cursor's step, computed only while the memory panel or the
        # memory shading is on screen (issue 12)
        self.gradient_follower = GradientFollower(self.state, self, active=False)
        self.dashboard.fitChanged.connect(self._update_gradient_follower)
        self.dashboard.panelVisibilityChanged.connect(self._update_gradient_follower)
        self._install_hover_readout()
        from gateviz.ui.intervention_menu import PanelMenus

        self.panel_menus = PanelMenus(self.interventions, self.panels)  # right-click: clamp, silence, set c
        if getattr(self, "ablation_dock", None) is None:  # issue 13: which units matter (View ▸ Unit importance)
            from gateviz.ui.ablation_dock import install_ablation_dock

            # here, not in __init__: it draws with pyqtgraph, which stays off the path to the first paint
            install_ablation_dock(self)
            if getattr(self, "_saved_window_state", None) is not None:
                self.restoreState(self._saved_window_state)  # the new dock where the user left it
        if self._saved_dashboard_layout:
            self.dashboard.restore_layout(self._saved_dashboard_layout)
        for pid, action in self._panel_actions.items():
            with QSignalBlocker(action):
                action.setChecked(self.dashboard.is_panel_wanted(pid))
        self._layout_changed(self.dashboard.layout_name)

    def set_layout(self, name: str) -> None:
        """Show a lecture layout (View ▸ Layout, Ctrl+1 … Ctrl+8); remembered with the window."""
        if self.dashboard is not None:
            from gateviz.ui.layouts import SHADING_LAYOUTS

            if name in SHADING_LAYOUTS:
                self.state.set_show_memory(True)  # that layout's point: which earlier inputs matter now
            self.dashboard.set_layout(name)
            settings.write("dashboard/layout", name)

    def _layout_changed(self, name: str) -> None:
        for layout_name, action in self.layout_actions.items():
            with QSignalBlocker(action):
                action.setChecked(layout_name == name)
        self.status.show_left_out(self.dashboard.dropped_panels() if self.dashboard is not None else ())
        self._update_gradient_follower()

    def _update_gradient_follower(self, *_args) -> None:
        """Gradients are computed while someone looks: the memory panel is shown, or the input is shaded."""
        follower = getattr(self, "gradient_follower", None)
        if follower is None or self.dashboard is None:
            return
        from gateviz.ui.layouts import LAYOUTS

        dash = self.dashboard
        layout = LAYOUTS.get(dash.layout_name)
        memory_shown = (layout is not None and "memory" in layout.panels() and dash.is_panel_wanted("memory")
                        and "memory" not in dash.dropped_panels())
        follower.set_active(memory_shown or self.state.show_memory)
        if self.memory_shading_action.isChecked() != self.state.show_memory:
            with QSignalBlocker(self.memory_shading_action):
                self.memory_shading_action.setChecked(self.state.show_memory)
            dash.refit()  # the shaded input's key takes a row: the io panel's readable size changed
    def _panel_visibility_changed(self, pid: str, visible: bool) -> None:
        action = self._panel_actions.get(pid)
        if action is not None and action.isChecked() != visible:
            with QSignalBlocker(action):
                action.setChecked(visible)

    def _build_status_bar(self) -> None:
        from gateviz.ui.status_bar import StatusBar

        self.status = StatusBar(self.state, lambda: self.runner.is_busy, self)
        self.setStatusBar(self.status)
        self.runner.busy.connect(self.status.job_busy)
        self.runner.progress.connect(self.status.job_progress)
        # a slow or stuck open or trace: Cancel beside its progress, or Esc while it runs
        self.status.cancelRequested.connect(self.cancel_job)
        self._cancel_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._cancel_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self._cancel_shortcut.setEnabled(False)
        self._cancel_shortcut.activated.connect(self.cancel_job)
        self.runner.busy.connect(self._cancel_shortcut.setEnabled)
        # the labels by their old names (tests and the export dialog read them)
        self.model_label, self.value_label = self.status.model_label, self.status.value_label
        self.fit_label = self.status.fit_label
        self.progress_bar, self.progress_label = self.status.progress_bar, self.status.progress_label

    def _build_menus(self) -> None:
        menubar = self.menuBar()
        # File
        file_menu = menubar.addMenu("&File")
        self.file_menu = file_menu
        self.open_action = self._action(file_menu, "&Open model…", self.open_model_dialog, QKeySequence.StandardKey.Open,
                                        "Open a model file (gateviz, PyTorch, Keras, ONNX)")
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(file_menu, "Open &sequence…", self.open_sequence_dialog, "Ctrl+Shift+O",
                     "Feed the model an input from a .npy, .csv or .txt file")
        self.save_action = self._action(file_menu, "&Save model…", self.save_model_dialog, QKeySequence.StandardKey.Save,
                                        "Save the current model as a gateviz model file (.gvm)")
        self.compare_action = self._action(file_menu, "&Compare models…", self.open_compare_dialog, "Ctrl+K",
                                           "RNN vs LSTM vs GRU: 2 to 4 models on one input, side by side")
        file_menu.addSeparator()
        self.export_separator = file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Close gateviz")
        # Model
        model_menu = menubar.addMenu("&Model")
        self.bundled_menu = model_menu.addMenu("&Bundled models")
        self._action(model_menu, "&Train…", self.open_train_dialog, "Ctrl+T",
                     "Train a small model on a built-in task, with a live loss curve")
        # View
        view_menu = menubar.addMenu("&View")
        from gateviz.ui.layouts import LAYOUTS

        layout_menu = view_menu.addMenu("&Layout")
        self.layout_actions = self._choice_actions(
            layout_menu, tuple(LAYOUTS), self.set_layout, label=lambda n: LAYOUTS[n].label,
            tip=lambda n: f"{LAYOUTS[n].tip} ({LAYOUTS[n].shortcut})")
        for name, action in self.layout_actions.items():
            action.setShortcut(QKeySequence(LAYOUTS[name].shortcut))
        self.layout_menu = layout_menu
        self.panels_menu = view_menu.addMenu("&Panels")
        toggle = self.controls_dock.toggleViewAction()
        toggle.setText("&Controls")
        toggle.setToolTip("Show or hide the model, input and unit controls")
        view_menu.addAction(toggle)
        bar_toggle = self.playback_toolbar.toggleViewAction()
        bar_toggle.setText("Play&back bar")
        view_menu.addAction(bar_toggle)
        self.memory_shading_action = self._action(
            view_menu, "Shade input by &memory", lambda *_: self.state.set_show_memory(not self.state.show_memory),
            "Ctrl+Shift+M", "Shade each input step by how much the output at the cursor depends on it "
            "(||∂y/∂x_t||, the connectivity); the Memory panel shows the same as bars")
        self.memory_shading_action.setCheckable(True)
        self.state.gradientsChanged.connect(self._update_gradient_follower)  # show_memory toggles emit it
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions = self._choice_actions(
            theme_menu, ("light", "dark"), lambda n: self.set_theme(name=n), label=str.capitalize,
            tip=lambda n: f"{n.capitalize()} background for the window and every plot")
        self.presentation_action = QAction("&Presentation mode", self, checkable=True)
        self.presentation_action.setShortcut("F5")
        self.presentation_action.setToolTip("Larger fonts and thicker lines for a lecture hall; hides the controls "
                                            "(View > Controls shows them) (F5)")
        self.presentation_action.toggled.connect(lambda on: self.set_theme(presentation=on))
        view_menu.addAction(self.presentation_action)
        cmap_menu = view_menu.addMenu("&Colour map")
        self.cmap_actions = self._choice_actions(
            cmap_menu, COLORMAPS, lambda n: self.set_theme(colormap=n),
            tip=lambda n: f"{n}: perceptually uniform and readable with colour-vision deficiencies")
        self.cell_scale_action = QAction("Cell state: each &unit to its own range", self, checkable=True)
        self.cell_scale_action.setShortcut("Ctrl+U")
        self.cell_scale_action.setToolTip("Draw each unit's cell state against that unit's own max |c| (heatmap rows, "
                                          "the cell diagram, the layer's c bars) instead of one range for all, so "
                                          "small units stay visible next to ones that grow large (Ctrl+U)")
        self.cell_scale_action.toggled.connect(lambda on: self.set_theme(cell_scale="unit" if on else "shared"))
        view_menu.addAction(self.cell_scale_action)
        self.gru_convention_action = QAction("GRU: &textbook convention, h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t", self,
                                             checkable=True)
        self.gru_convention_action.setToolTip(
            "Show GRUs as textbooks write them: z_t is PyTorch's, Keras' and ONNX's 1 − z_t, so a high z_t writes "
            "the candidate h̃_t. Relabels the cell diagram, its formulas, the z heatmap and traces, the saturation "
            "of z and the status bar; trace files and CSV exports keep the frameworks' z. Off: the frameworks' "
            "h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t, where a high z_t keeps the old state.")
        self.gru_convention_action.toggled.connect(
            lambda on: self.set_theme(gru_convention="textbook" if on else "framework"))
        view_menu.addAction(self.gru_convention_action)
        view_menu.addSeparator()
        self._action(view_menu, "&Full screen", self._toggle_full_screen, "F11", "Fill the screen with the window")
        # Playback (the keys are window shortcuts, see _install_shortcuts; the menu shows them)
        play_menu = menubar.addMenu("&Playback")
        for text, key, slot in (("Play / pause", "Space", self.player.toggle),
                                ("Step back", "Left", lambda: self.player.step_by(-1)),
                                ("Step forward", "Right", lambda: self.player.step_by(1)),
                                ("Jump to start", "Home", self.player.to_start),
                                ("Jump to end", "End", self.player.to_end)):
            a = QAction(f"{text}\t{key}", self)
            a.triggered.connect(slot)
            play_menu.addAction(a)
        self.loop_action = QAction("&Loop", self, checkable=True)
        self.loop_action.setChecked(self.player.loop)
        self.loop_action.toggled.connect(self.player.set_loop)
        self.player.loopChanged.connect(self.loop_action.setChecked)
        play_menu.addAction(self.loop_action)
        # Help
        help_menu = menubar.addMenu("&Help")
        self._action(help_menu, "&Gate equations", self._show_equations, None, "The equations every panel uses")
        self._action(help_menu, "&About gateviz", self._show_about, None, "Version and what gateviz is")

    def _choice_actions(self, menu, names, pick, *, label=str, tip) -> dict[str, QAction]:
        """Checkable menu entries of which one is checked (an exclusive group); ``pick(name)`` on a click."""
        group = QActionGroup(self)
        actions = {}
        for name in names:
            a = QAction(label(name), self, checkable=True)
            a.setToolTip(tip(name))
            a.triggered.connect(lambda _=False, n=name: pick(n))
            group.addAction(a)
            menu.addAction(a)
            actions[name] = a
        return actions

    def open_compare_dialog(self) -> None:
        """File ▸ Compare models…, pre-filled with this model and its task's bundled siblings (issue 12)."""
        from gateviz.ui.compare import open_compare
        from gateviz.ui.compare_models import siblings

        prefill = siblings(self.bundled_name) or ([self.model_source] if self.model_source else [])
        self.compare_window = open_compare(self, self.state.theme, prefill)

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _install_shortcuts(self) -> None:
        """Space, ←/→, Home/End work whatever has focus; text editors keep their own keys."""
        self._shortcuts = []
        for key, name in SHORTCUT_KEYS.items():
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(lambda k=key: self._playback_key(k))
            self._shortcuts.append(sc)

    def _playback_key(self, key: Qt.Key) -> None:
        focus = QApplication.focusWidget()
        if isinstance(focus, TEXT_WIDGETS) or isinstance(getattr(focus, "parent", lambda: None)(), QAbstractSpinBox):
            # a text box has the focus: the key is theirs (move the caret, type a space)
            text = " " if key == Qt.Key.Key_Space else ""
            for etype in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(focus, QKeyEvent(etype, key, Qt.KeyboardModifier.NoModifier, text))
            return
        action = SHORTCUT_KEYS[key]
        if action == "toggle":
            self.player.toggle()
        elif action == "back":
            self.player.step_by(-1)
        elif action == "forward":
            self.player.step_by(1)
        elif action == "start":
            self.player.to_start()
        else:
            self.player.to_end()

    # ------------------------------------------------------------------ bundled models
    def _populate_bundled(self) -> None:
        entries = bundled_entries()
        self.controls.model_box.set_bundled(entries)
        self.bundled_menu.clear()
        for name, label in entries:
            a = QAction(label, self)
            a.triggered.connect(lambda _=False, n=name: self.open_model(f"bundled:{n}"))
            self.bundled_menu.addAction(a)
        self.bundled_menu.setEnabled(bool(entries))

    # ------------------------------------------------------------------ opening models
    def open_startup(self, model_path: str | None = None, input_path: str | None = None) -> None:
        """What `gateviz [MODEL [INPUT]]` opens. A bad MODEL: the bundled model opens, then a dialog says why."""
        if model_path:
            self._after_failure = self.open_default_model
            self.open_model(model_path, input_path)
        else:
            self.open_default_model()

    def open_default_model(self) -> None:
        from gateviz.ui.workers import startup_model_spec

        try:
            spec = startup_model_spec()
        except Exception:  # no bundled models in this installation: a seeded demo LSTM instead
            from gateviz.ui.workers import demo_model

            spec = demo_model()
        self.open_model(spec)

    def open_model(self, spec: Any, input_path: str | None = None, module: str | None = None) -> None:
        """Load (a path, ``bundled:NAME`` or a RecurrentModel), trace its default input, show it.

        ``module``: which recurrent module of a file holding several; without it such a file
        asks the user (``errors.choose_module``).
        """
        from gateviz.ui.workers import load_and_trace

        label = spec.name if isinstance(spec, RecurrentModel) else os.path.basename(str(spec))
        if module:
            label += f" ({module})"
        self.statusBar().showMessage(f"Opening {label}…")
        # now: a reader stuck on a hostile file never makes this open (or a later one) wait
        self.runner.submit(("load", spec, input_path, module),
                           lambda progress: load_and_trace(spec, input_path, progress=progress, module=module),
                           now=True)

    def cancel_job(self) -> None:
        """Stop waiting for the running open or trace (Cancel in the status bar, Esc). Nothing was shown
        of it yet, so the current model stays as it was; a stuck reader's thread is left to end, its
        result ignored."""
        tag = self.runner.current_tag
        if not self.runner.cancel():
            return
        model = self.state.model
        kept = f"; kept {model.name}" if model is not None else "; open a model with File ▸ Open"
        if tag is not None and tag[0] == "load":
            label = tag[1].name if isinstance(tag[1], RecurrentModel) else os.path.basename(str(tag[1]))
            self.statusBar().showMessage(f"Cancelled opening {label}{kept}", 5000)
        elif tag is not None and tag[0] == "intervene":
            self.statusBar().showMessage(f"Cancelled re-tracing with the interventions{kept} as shown", 5000)
        else:
            self.statusBar().showMessage(f"Cancelled tracing the new input{kept}", 5000)
        fallback = getattr(self, "_after_failure", None)  # `gateviz MODEL` cancelled: the bundled model opens
        self._after_failure = None
        if fallback is not None and model is None:
            fallback()

    def open_model_dialog(self) -> None:
        start = os.path.dirname(settings.recent_files()[0]) if settings.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open model", start, MODEL_FILTER)
        if path:
            self.open_model(path)

    def open_path(self, path: str) -> None:
        """A dropped or recent file: a sequence file feeds the current model, anything else is a model."""
        if os.path.splitext(path)[1].lower() in SEQUENCE_SUFFIXES and self.state.model is not None:
            self.open_sequence_file(path)
        else:
            self.open_model(path)

    def use_model(self, model: RecurrentModel, source: str = "trained") -> None:
        """Show a model object (e.g. just trained) with its default input."""
        self.open_model(model)
        self.model_source = source

    # ------------------------------------------------------------------ sequences
    def set_sequence(self, sequence, name: str | None = None, from_editor: bool = False) -> None:
        """Re-trace the current model on a new input (coalesced: the newest request wins).

        ``from_editor``: the input editor produced it, so the editor is not rewritten afterwards
        (it may hold characters the model skips, and the caret must stay where the user types).
        """
        model = self.state.model
        if model is None:
            return
        # with interventions on, the job traces the input with and without them
        self.runner.submit(("trace", model, sequence, name, from_editor),
                           self.interventions.trace_job(model, sequence))

    def _sample_chosen(self, index: int) -> None:
        if 0 <= index < len(self.samples):
            sample = self.samples[index]
            self.set_sequence(sample.sequence, sample.name)

    def open_sequence_dialog(self) -> None:
        if self.state.model is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open input sequence", "", SEQUENCE_FILTER)
        if path:
            self.open_sequence_file(path)

    def open_sequence_file(self, path: str) -> None:
        model = self.state.model
        try:
            from gateviz.formats import read_sequence

            sequence = read_sequence(path, model)
        except Exception as exc:  # noqa: BLE001 - every reader failure becomes a dialog
            self._report_failure("Cannot read the sequence", exc)
            return
        self.set_sequence(sequence, os.path.basename(path))

    # ------------------------------------------------------------------ job results
    def _job_done(self, tag, result) -> None:
        """Show a finished job. Anything that fails while the window takes the new model or trace in
        (a bug, a model the panels cannot show) puts the previous one back, says why and emits
        ``loadFailed``: the window is never left half-updated and a waiting caller always hears back."""
        previous = self._snapshot()
        fallback = getattr(self, "_after_failure", None)  # _show_loaded disarms it first thing
        kind = tag[0]
        try:
            if kind == "load":
                self._show_loaded(result, tag[1])
            elif kind == "trace":
                _, model, sequence, name, from_editor = tag
                if model is not self.state.model:
                    return  # the model changed meanwhile
                self.statusBar().clearMessage()  # before unpack: it may say which specs no longer fit
                trace, original = self.interventions.unpack(result)
                self.state.set_trace(model, trace, sequence, self.state.task, original=original)
                self.controls.sequence_box.show_current(name)
                if not from_editor:
                    self._sync_editor(sequence, name)
                self._report_nonfinite(model, trace)
                self.traceReady.emit()
            elif kind == "intervene":
                self.interventions.job_done(tag, result)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            guard.report(exc, f"MainWindow._job_done ({kind})")
            with guard.guarding("MainWindow._restore"):
                self._restore(previous)
            if kind == "load":
                label = tag[1].name if isinstance(tag[1], RecurrentModel) else os.path.basename(str(tag[1]))
                self._report_failure(f"Cannot open {label}", exc)
            else:
                self._report_failure("Cannot show this input", exc)
            self._after_failure = None
            if fallback is not None and previous["model"] is None:
                fallback()

    def _snapshot(self) -> dict:
        """What ``_restore`` needs to put the current model back."""
        s = self.state
        return {"model": s.model, "trace": s.trace, "original": s.original, "sequence": s.sequence, "task": s.task,
                "layer": s.layer,
                "direction": s.direction, "pinned": list(s.pinned), "step": s.step,
                "row_order": None if s.row_order is None else s.row_order.copy(), "samples": self.samples,
                "bundled_name": self.bundled_name, "model_source": self.model_source,
                "title": self.windowTitle(), "nonfinite": self.status.nonfinite_label.toolTip()}

    def _restore(self, snap: dict) -> None:
        """Show the snapshot's model and trace again, with its controls (after a failed update)."""
        self.samples, self.bundled_name, self.model_source = snap["samples"], snap["bundled_name"], snap["model_source"]
        self.setWindowTitle(snap["title"])
        if snap["model"] is None or snap["trace"] is None:
            return
        s = self.state
        s.layer, s.direction, s.pinned, s.row_order = snap["layer"], snap["direction"], snap["pinned"], snap["row_order"]
        s.step = snap["step"]
        s.set_trace(snap["model"], snap["trace"], snap["sequence"], snap["task"], original=snap["original"])
        self.controls.model_box.show_current(snap["model"], self.bundled_name)
        self.controls.sequence_box.set_samples(self.samples, None)
        self._install_editor(snap["model"], snap["task"])
        self._sync_editor(snap["sequence"], None)
        self._report_nonfinite(snap["model"], snap["trace"])

    def _report_nonfinite(self, model: RecurrentModel, trace) -> None:
        """NaN/Inf in the model or its trace: the status bar says where; a dialog once per model."""
        from gateviz.core.nonfinite import warning_text

        text = warning_text(model, trace)
        self.status.show_nonfinite(text)
        if text is None or id(model) in self._nonfinite_warned:
            return
        self._nonfinite_warned.add(id(model))
        name = model.name or "this model"
        message = (f"{name}: {text}.\n\nThe panels draw NaN values in magenta. 'gateviz info' lists the tensors "
                   "that hold NaN or Inf.")
        # after this slot: a modal dialog must not run inside the job's signal (or a paint)
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self, lambda: errors.show_error(self, "NaN or Inf in the model", message))

    def _guard_error(self, where: str, message: str, first_time: bool) -> None:
        """A paint event or slot raised (guard.py): say so in the status bar, and once in a dialog."""
        self.statusBar().showMessage(f"Something went wrong in {where}: {message}", 15000)
        if not first_time or self._error_dialog_pending:
            return
        self._error_dialog_pending = True
        text = (f"{message}\n\n(in {where})\n\nThe window keeps running; please report this with the text "
                "printed in the terminal.")

        def show() -> None:
            try:
                errors.show_error(self, "Something went wrong", text)
            finally:
                self._error_dialog_pending = False

        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self, show)  # never a modal dialog inside a paint event

    def _show_loaded(self, loaded: Loaded, spec) -> None:
        self._after_failure = None
        model = loaded.model
        self.samples = loaded.samples
        if isinstance(spec, str) and spec.startswith("bundled:"):
            self.bundled_name = spec[len("bundled:"):]
            self.model_source = spec
        elif isinstance(spec, str):
            self.bundled_name = None
            self.model_source = spec
            self._remember_recent(spec)
        else:
            self.bundled_name = None
            self.model_source = model.source or "trained"
        # a new model opens on layer 0 with the units that tell its task's story pinned (the counting
        # cell, the carry, ...); a new input for the same model keeps the user's pins (see _job_done)
        s = self.state
        s.layer, s.direction = 0, loaded.trace.directions(0)[0]
        if loaded.story_units:
            s.pinned = list(loaded.story_units)
        s.set_trace(model, loaded.trace, loaded.sequence, loaded.task)
        self.controls.model_box.show_current(model, self.bundled_name)
        self.controls.sequence_box.set_samples(self.samples, loaded.sample_name)
        self._install_editor(model, loaded.task)
        self._sync_editor(loaded.sequence, loaded.sample_name)
        self.setWindowTitle(f"gateviz — {model.name}")
        self.statusBar().clearMessage()
        self.interventions.model_opened(model)  # the list was for the previous model: cleared, and said so
        self._report_nonfinite(model, loaded.trace)
        self.traceReady.emit()

    def _job_failed(self, tag, exc) -> None:
        from gateviz.core.budget import TraceTooLong
        from gateviz.ui.workers import ModuleChoiceNeeded

        kind = tag[0]
        if isinstance(exc, TraceTooLong) and 0 < exc.fit < exc.steps and exc.sequence is not None:
            if self._trace_shorter(tag, exc):
                return
        if kind == "load" and isinstance(exc, ModuleChoiceNeeded):
            self._ask_for_module(tag, exc)
        elif kind == "load":
            label = tag[1].name if isinstance(tag[1], RecurrentModel) else os.path.basename(str(tag[1]))
            self._report_failure(f"Cannot open {label}", exc)
            fallback = getattr(self, "_after_failure", None)
            self._after_failure = None
            if fallback is not None and self.state.model is None:
                fallback()
        else:
            self._report_failure("Cannot trace this input", exc)

    def _trace_shorter(self, tag, exc) -> bool:
        """An input too long to trace in the memory available: offer its first steps that fit; True
        when the shorter trace was started (else the refusal is reported as usual)."""
        fit = exc.fit
        if not ask_trace_shorter(self, exc.steps, fit, exc.needed, exc.usable):
            return False
        shorter, name = exc.sequence[:fit], f"first {fit:,} of {exc.steps:,} steps"
        if tag[0] == "load":  # reopen the same model on the shorter input
            from gateviz.ui.workers import load_and_trace

            spec, module = tag[1], tag[3]
            self.runner.submit((tag[0], spec, None, module),
                               lambda progress: load_and_trace(spec, sequence=shorter, progress=progress, module=module))
        else:
            self.set_sequence(shorter, name)
        self.statusBar().showMessage(f"Tracing the {name}…")
        return True

    def _ask_for_module(self, tag, exc) -> None:
        """A file with several recurrent modules: open the one the user picks; Cancel keeps the current model."""
        self.statusBar().clearMessage()
        name = errors.choose_module(self, os.path.basename(exc.path), exc.names, exc.descriptions)
        if name is not None:
            self.open_model(tag[1], tag[2], module=name)  # a start-up fallback stays armed for this try
            return
        self.statusBar().showMessage(f"Kept {self.state.model.name}" if self.state.model is not None else "", 5000)
        fallback = getattr(self, "_after_failure", None)
        self._after_failure = None
        if fallback is not None and self.state.model is None:
            fallback()

    def _report_failure(self, title: str, exc: BaseException) -> None:
        message = errors.describe_exception(exc)
        self.statusBar().clearMessage()
        errors.show_error(self, title, message)
        self.loadFailed.emit(message)

    # ------------------------------------------------------------------ editors
    def _install_editor(self, model: RecurrentModel, task) -> None:
        from gateviz.ui.sequence_editors import editor_for

        editor = editor_for(model, task)
        if editor is not None:
            editor.sequenceEdited.connect(lambda seq, name: self.set_sequence(seq, name, from_editor=True))
        self.controls.sequence_box.set_editor(editor)

    def _sync_editor(self, sequence, name) -> None:
        editor = self.controls.sequence_box.editor
        if editor is not None and hasattr(editor, "show_sequence"):
            editor.show_sequence(sequence)

    # ------------------------------------------------------------------ saving
    def save_model_dialog(self) -> None:
        model = self.state.model
        if model is None:
            return
        suggested = (model.name or "model").replace(os.sep, "_") + ".gvm"
        path, _ = QFileDialog.getSaveFileName(self, "Save model", suggested, "gateviz model (*.gvm)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.save_model_to(path)

    def save_model_to(self, path: str) -> bool:
        """Write the current model; an existing file is replaced only after the user confirms."""
        from gateviz.formats.gateviz_file import save_model

        if not os.path.splitext(path)[1]:
            path += ".gvm"
        overwrite = False
        if os.path.exists(path):
            if not errors.confirm_overwrite(self, path):
                return False
            overwrite = True
        try:
            save_model(self.state.model, path, overwrite=overwrite)
        except Exception as exc:  # noqa: BLE001
            self._report_failure("Cannot save the model", exc)
            return False
        self._remember_recent(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # ------------------------------------------------------------------ training
    def open_train_dialog(self) -> None:
        from gateviz.ui.train_dialog import TrainDialog

        if self.train_dialog is None:
            self.train_dialog = TrainDialog(self)
            self.train_dialog.modelTrained.connect(lambda model: self.use_model(model, "trained"))
        self.train_dialog.show()
        self.train_dialog.raise_()
        self.train_dialog.activateWindow()

    # ------------------------------------------------------------------ theme
    def set_theme(self, name: str | None = None, presentation: bool | None = None, colormap: str | None = None,
                  cell_scale: str | None = None, gru_convention: str | None = None) -> None:
        t = self.state.theme
        theme = Theme(name=name or t.name, presentation=t.presentation if presentation is None else presentation,
                      colormap=colormap or t.colormap, cell_scale=cell_scale or t.cell_scale,
                      gru_convention=gru_convention or t.gru_convention)
        if theme == t:
            return
        apply_theme(theme)
        entering, leaving = theme.presentation and not t.presentation, t.presentation and not theme.presentation
        self.state.set_theme(theme)
        self._sync_theme_actions()
        if entering:  # a lecture shows the panels; the controls come back with View > Controls or F5
            self._controls_before_presentation = self.controls_dock.isVisible()
            self.controls_dock.hide()
        elif leaving and getattr(self, "_controls_before_presentation", True):
            self.controls_dock.show()
        self._fit_controls_dock()
        settings.write("view/theme", theme.name)
        settings.write("view/presentation", theme.presentation)
        settings.write("view/colormap", theme.colormap)
        settings.write("view/cell_scale", theme.cell_scale)
        settings.write("view/gru_convention", theme.gru_convention)

    def _sync_theme_actions(self) -> None:
        t = self.state.theme
        for name, a in self.theme_actions.items():
            a.setChecked(name == t.name)
        for name, a in self.cmap_actions.items():
            a.setChecked(name == t.colormap)
        with QSignalBlocker(self.presentation_action):
            self.presentation_action.setChecked(t.presentation)
        with QSignalBlocker(self.cell_scale_action):
            self.cell_scale_action.setChecked(t.cell_scale == "unit")
        with QSignalBlocker(self.gru_convention_action):
            self.gru_convention_action.setChecked(t.gru_convention == "textbook")

    def _fit_controls_dock(self) -> None:
        """Fonts changed size: let the controls dock take the width its content now needs."""
        inner = self.controls.widget()
        inner.adjustSize()
        width = inner.sizeHint().width() + self.controls.verticalScrollBar().sizeHint().width() + 8
        self.resizeDocks([self.controls_dock], [max(width, self.controls.minimumWidth())], Qt.Orientation.Horizontal)

    def fit_to_screen(self) -> None:
        """Keep the whole window, frame included, inside the screen's available area (a 1366x768
        projector laptop must see the playback bar): shrink it if needed, then move it in."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None or self.isFullScreen() or self.isMaximized():
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        extra_w = max(0, frame.width() - self.width())  # window decorations (0 until shown)
        extra_h = max(0, frame.height() - self.height())
        w = min(self.width(), area.width() - extra_w)
        h = min(self.height(), area.height() - extra_h)
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
        frame = self.frameGeometry()
        x = min(max(frame.x(), area.left()), area.right() + 1 - frame.width())
        y = min(max(frame.y(), area.top()), area.bottom() + 1 - frame.height())
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    # ------------------------------------------------------------------ status bar
    def _install_hover_readout(self) -> None:
        """The value under the mouse on a heatmap goes to the status bar."""
        heat = self.panels.get("heatmaps")
        view = getattr(heat, "view", None)
        if heat is None or view is None or not hasattr(heat, "rows") or not hasattr(heat, "unit_at_row"):
            return
        view.scene().sigMouseMoved.connect(lambda pos: self._heat_hover(heat, pos))

    def _heat_hover(self, heat, scene_pos) -> None:
        self.status.show_heatmap_hover(heat, scene_pos)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # ------------------------------------------------------------------ settings
    def _remember_recent(self, path: str) -> None:
        if os.path.isfile(path):
            settings.add_recent_file(path)

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = settings.recent_files()
        for path in files:
            a = QAction(os.path.basename(path), self)
            a.setToolTip(path)
            a.setStatusTip(path)
            a.triggered.connect(lambda _=False, p=path: self.open_path(p))
            menu.addAction(a)
        if files:
            menu.addSeparator()
            menu.addAction("Clear list", settings.clear_recent_files)
        else:
            a = menu.addAction("(no recent files)")
            a.setEnabled(False)

    def _restore_settings(self) -> None:
        s = settings.settings()
        geometry = s.value("window/geometry", QByteArray(), type=QByteArray)
        if geometry is not None and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1500, 900)
        window_state = s.value("window/state", QByteArray(), type=QByteArray)
        if window_state is not None and not window_state.isEmpty():
            self.restoreState(window_state)
            self._saved_window_state = window_state  # again once the docks built with the dashboard exist
        theme_name = settings.read_str("view/theme", "light")
        colormap = settings.read_str("view/colormap", "viridis")
        self.state.set_theme(Theme(name=theme_name if theme_name in ("light", "dark") else "light",
                                   presentation=settings.read_bool("view/presentation", False),
                                   colormap=colormap if colormap in COLORMAPS else "viridis",
                                   cell_scale="unit" if settings.read_str("view/cell_scale", "shared") == "unit"
                                   else "shared",
                                   gru_convention="textbook" if settings.read_str("view/gru_convention", "framework")
                                   == "textbook" else "framework"))
        self.player.set_speed(settings.read_float("playback/speed", 10.0))
        self.player.set_loop(settings.read_bool("playback/loop", True))
        self._saved_dashboard_layout = {
            "layout": settings.read_str("dashboard/layout", "dashboard"),
            "sizes": settings.read_str("dashboard/sizes", "{}"),
            "hidden": [str(p) for p in (s.value("dashboard/hidden", [], type=list) or [])]}

    def save_settings(self) -> None:
        s = settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("playback/speed", float(self.player.speed))
        s.setValue("playback/loop", bool(self.player.loop))
        if self.dashboard is not None:
            layout = self.dashboard.save_layout()
            s.setValue("dashboard/layout", layout["layout"])
            s.setValue("dashboard/sizes", layout["sizes"])
            s.setValue("dashboard/hidden", layout["hidden"])
        s.sync()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not getattr(self, "_fitted_once", False):  # the frame's size is known once the window exists
            self._fitted_once = True
            self.fit_to_screen()

    def closeEvent(self, event) -> None:
        guard.remove_listener(self._guard_error)
        self.player.pause()
        if self.train_dialog is not None:
            self.train_dialog.stop_training(wait=True)
            self.train_dialog.close()
        self.runner.cancel_pending()
        self.save_settings()
        self.runner.wait(5000)  # a long trace still running is abandoned (daemon thread)
        super().closeEvent(event)

    # ------------------------------------------------------------------ help
    def _show_equations(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self, "Gate equations", GATE_EQUATIONS)

    def _show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from gateviz import __version__

        QMessageBox.about(self, "About gateviz",
                          f"<b>gateviz {__version__}</b><br>Watch every gate of an LSTM, GRU or RNN, step by step, "
                          "and export it for lectures.")


GATE_EQUATIONS = """Notation: x_t the input at step t, h_{t−1} and c_{t−1} the states before it, c_t and h_t after;
⊙ the element-wise product; "_" starts a subscript.

LSTM (blocks i, f, g, o):
  i_t = σ(W_i x_t + U_i h_{t−1} + b_i)      input gate: how much new content is written
  f_t = σ(W_f x_t + U_f h_{t−1} + b_f)      forget gate: how much of c_{t−1} is kept
  g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)   cell candidate: the new content
  o_t = σ(W_o x_t + U_o h_{t−1} + b_o)      output gate
  c_t = f_t⊙c_{t−1} + i_t⊙g_t               kept + written
  h_t = o_t⊙tanh(c_t)

GRU (blocks r, z, n), PyTorch/Keras/ONNX convention (the default):
  r_t = σ(W_r x_t + U_r h_{t−1} + b_r)
  z_t = σ(W_z x_t + U_z h_{t−1} + b_z)
  n_t = tanh(W_n x_t + b_n + r_t⊙(U_n h_{t−1} + b_{hn}))
  h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t          a high z_t keeps the old state
GRU, textbook convention (View ▸ GRU: textbook convention):
  h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t          the same cell: this z_t is 1 − the z_t above, h̃_t is n_t

RNN:
  h_t = tanh(W x_t + U h_{t−1} + b)"""


def ask_trace_shorter(parent, steps: int, fit: int, needed: int, usable: int) -> bool:
    """Ask whether to trace the first ``fit`` steps of an input whose ``steps`` would not fit."""
    from PySide6.QtWidgets import QMessageBox

    from gateviz.core.budget import format_bytes

    answer = QMessageBox.question(
        parent, "Input too long for the memory available",
        f"Tracing all {steps:,} steps needs about {format_bytes(needed)}; only {format_bytes(usable)} "
        f"can be used now.\n\nTrace the first {fit:,} steps instead?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


def bundled_entries() -> list[tuple[str, str]]:
    """(name, label) of every bundled model; [] when the catalogue is missing."""
    try:
        from gateviz.bundled import list_bundled
    except ImportError:
        return []
    try:
        found = list_bundled()
    except Exception:
        return []
    entries = []
    for item in found:
        name = getattr(item, "name", item)
        label = getattr(item, "label", None) or getattr(item, "title", None) or str(name)
        entries.append((str(name), str(label)))
    return entries
