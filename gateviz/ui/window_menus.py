"""The main window's menus and keys: every menu action, the lecture-layout and theme choices, the
playback keys that work wherever the focus is (but not while typing).

``MainWindow`` inherits this.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit

from gateviz.ui.theme import COLORMAPS

TEXT_WIDGETS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
SHORTCUT_KEYS = {Qt.Key.Key_Space: "toggle", Qt.Key.Key_Left: "back", Qt.Key.Key_Right: "forward",
                 Qt.Key.Key_Home: "start", Qt.Key.Key_End: "end"}

class WindowMenus:
    """The menu bar and shortcuts of ``MainWindow`` (a mixin: its slots live on the window)."""

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
