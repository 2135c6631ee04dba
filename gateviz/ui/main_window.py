"""The main window: dashboard in the middle, controls dock on the left, playback bar below.

Opening models and inputs lives in ``window_loading.ModelLoading``, the menus and keys in
``window_menus.WindowMenus``; this module builds the window and keeps its theme, layout and settings.

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

import dataclasses
import os

from PySide6.QtCore import QByteArray, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMainWindow, QToolBar, QWidget

from gateviz.ui import errors, guard, i18n, settings
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate
from gateviz.ui.controls import ControlsPanel
from gateviz.ui.docks import add_dock
from gateviz.ui.player import PlaybackBar, Player
from gateviz.ui.state import Theme, ViewState
from gateviz.ui.theme import COLORMAPS, apply_theme
from gateviz.ui.window_loading import ModelLoading
from gateviz.ui.window_menus import WindowMenus
from gateviz.ui.runner import TraceRunner, collect_garbage_on_gui_thread
from gateviz.ui.staged_show import StagedShow



class MainWindow(ModelLoading, WindowMenus, QMainWindow):
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
        collect_garbage_on_gui_thread()  # worker threads must never free Qt objects
        self.runner = TraceRunner(self)
        self.staged = StagedShow(self)  # a long trace reaches the panels one per event-loop pass
        self.state.stager = self.staged  # ... and so does a layer, direction or pin change on it
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
        self.controls_dock = add_dock(self, QT_TRANSLATE_NOOP("Docks", "Controls"), "controls_dock", self.controls)
        mb, sb = self.controls.model_box, self.controls.sequence_box
        mb.bundledChosen.connect(lambda name: self.open_model(f"bundled:{name}"))
        mb.openRequested.connect(self.open_model_dialog)
        mb.trainRequested.connect(self.open_train_dialog)
        mb.saveRequested.connect(self.save_model_dialog)
        sb.sampleChosen.connect(self._sample_chosen)
        sb.loadRequested.connect(self.open_sequence_dialog)

        # playback bar (bottom toolbar, so its place is saved with the window state)
        self.playback_bar = PlaybackBar(self.player)
        self.playback_toolbar = QToolBar(self)
        i18n.bind(self.playback_toolbar, "setWindowTitle", "MainWindow", QT_TRANSLATE_NOOP("MainWindow", "Playback"))
        self.playback_toolbar.setObjectName("playback_toolbar")
        self.playback_toolbar.setMovable(False)
        self.playback_toolbar.addWidget(self.playback_bar)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.playback_toolbar)

        # central area: a placeholder until the dashboard is built
        self._placeholder = QLabel(translate("MainWindow", "Loading the model…"), self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("hint")
        self.setCentralWidget(self._placeholder)

        self._build_status_bar()
        self._build_menus()
        self._install_shortcuts()
        from gateviz.ui.interventions_ctl import InterventionsController

        self.interventions = InterventionsController(self)  # issue 13: re-tracing, its dock and menu
        from gateviz.ui.training_slider import install_training_slider

        install_training_slider(self)  # issue 16: the training-step slider of a model with snapshots
        from gateviz.ui.session_ctl import install_session_actions

        install_session_actions(self)  # issue 16: File ▸ Save Session / Open Session (window.sessions)
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
        i18n.notifier.languageChanged.connect(self._language_changed)

    # ------------------------------------------------------------------ building
    def build_dashboard(self) -> None:
        """Create the panels (imports pyqtgraph; the start-up path calls it after the first paint)."""
        if self.dashboard is not None:
            return
        from gateviz.ui.dashboard import PANEL_TITLES, Dashboard, panel_title

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
            # the interface language's name (panel.title is the panel's English name, for code)
            action = QAction(panel_title(pid) if pid in PANEL_TITLES else (getattr(panel, "title", "") or pid),
                             self, checkable=True)
            action.setChecked(True)
            action.setToolTip(translate("MainWindow", "Show or hide the {panel} panel").format(
                panel=panel_title(pid, lower=True)))
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

    def _language_changed(self, _code: str) -> None:
        """View ▸ Language (or i18n.set_language): menus, docks and labels bound with i18n.bind have
        their new texts already; the panels draw their words when built, so the dashboard is built
        again from the ViewState (layer, step, pins, interventions, theme and the layout are kept)."""
        self._rebuild_dashboard()
        self._populate_bundled()
        dialog = self.train_dialog
        if dialog is not None and not dialog.running and dialog.result_model is None:
            # built again in the new language: now, where it was and with the form as it was, when it is
            # open; else when next opened (a dialog that trains or holds a result keeps its language)
            shown, where, form = dialog.isVisible(), dialog.geometry(), dataclasses.asdict(dialog.config())
            self.train_dialog = None
            dialog.close()
            dialog.deleteLater()
            if shown:
                self.open_train_dialog()
                self.train_dialog.set_config(**{k: form[k] for k in ("task", "cell", "units", "layers",
                                                                     "bidirectional", "epochs", "seed")})
                self.train_dialog.setGeometry(where)
        self.interventions.update_title()
        for code, action in getattr(self, "language_actions", {}).items():
            action.setChecked(code == i18n.current_language())

    def _rebuild_dashboard(self) -> None:
        if self.dashboard is None:
            return
        self.staged.finish()  # panels still catching up are about to be deleted: done with them first
        self._saved_dashboard_layout = self.dashboard.save_layout()
        follower = getattr(self, "gradient_follower", None)
        if follower is not None:
            follower.set_active(False)
            follower.deleteLater()
            self.gradient_follower = None
        dock_width = self.controls_dock.width()
        self.dashboard = None
        self.build_dashboard()  # setCentralWidget deletes the old dashboard and its panels
        # the new central widget starts from its small size hint and the controls dock took the room
        # (a 1400 px window kept a 200 px dashboard after a language switch): the dock's width comes back
        from PySide6.QtCore import QEvent

        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # laid out now (layouts only) …
        self.resizeDocks([self.controls_dock], [dock_width], Qt.Orientation.Horizontal)  # … then the width
        # and once more after the event loop has laid out what is still pending (on a busy machine the
        # new panels' own layout requests can arrive after this call and hand the room to the dock again)
        QTimer.singleShot(0, self, lambda: self.resizeDocks([self.controls_dock], [dock_width],
                                                             Qt.Orientation.Horizontal))

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

    # ------------------------------------------------------------------ bundled models
    def _populate_bundled(self) -> None:
        entries = bundled_entries()
        self.controls.model_box.set_bundled(entries)
        self.bundled_menu.clear()
        for name, label in entries:
            a = QAction(i18n.localized(label, "Bundled"), self)
            a.triggered.connect(lambda _=False, n=name: self.open_model(f"bundled:{n}"))
            self.bundled_menu.addAction(a)
        self.bundled_menu.setEnabled(bool(entries))

    # ------------------------------------------------------------------ saving
    def model_to_save(self):
        """The model Save writes: the loaded one with its training snapshots while one is shown (issue 16)."""
        return self.training.base if self.training.base is not None else self.state.model

    def save_model_dialog(self) -> None:
        model = self.model_to_save()
        if model is None:
            return
        suggested = (model.name or "model").replace(os.sep, "_") + ".gvm"
        path, _ = QFileDialog.getSaveFileName(self, translate("MainWindow", "Save model"), suggested,
                                              translate("MainWindow", "gateviz model (*.gvm)"),
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
            save_model(self.model_to_save(), path, overwrite=overwrite)
        except Exception as exc:  # noqa: BLE001
            self._report_failure(translate("MainWindow", "Cannot save the model"), exc)
            return False
        self._remember_recent(path)
        self.statusBar().showMessage(translate("MainWindow", "Saved {path}").format(path=path), 5000)
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

    def open_path(self, path: str) -> None:
        """A dropped or recent file: a session (issue 16) opens with its whole view, else as ModelLoading."""
        from gateviz.session import is_session_file

        if is_session_file(path):
            self.sessions.open_session(path)
        else:
            super().open_path(path)

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
            menu.addAction(translate("MainWindow", "Clear list"), settings.clear_recent_files)
        else:
            a = menu.addAction(translate("MainWindow", "(no recent files)"))
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
        for runner in self.findChildren(TraceRunner):  # the ablation dock's, the gradients', …
            runner.cancel_pending()
        self.save_settings()
        self.runner.wait(5000)  # a long trace still running is abandoned (daemon thread)
        super().closeEvent(event)

    # ------------------------------------------------------------------ help
    def _show_equations(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self, translate("MainWindow", "Gate equations"),
                                translate("MainWindow", GATE_EQUATIONS))

    def _show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from gateviz import __version__

        QMessageBox.about(self, translate("MainWindow", "About gateviz"),
                          f"<b>gateviz {__version__}</b><br>" + translate(
                              "MainWindow", "Watch every gate of an LSTM, GRU or RNN, step by step, "
                                            "and export it for lectures."))


GATE_EQUATIONS = QT_TRANSLATE_NOOP("MainWindow", """Notation: x_t the input at step t, h_{t−1} and c_{t−1} the states before it, c_t and h_t after;
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
  h_t = tanh(W x_t + U h_{t−1} + b)""")


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
        entries.append((str(name), label if isinstance(label, str) else str(label)))  # a Message stays one
    return entries
