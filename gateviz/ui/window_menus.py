"""The main window's menus and keys: every menu action, the lecture-layout and theme choices, the
playback keys that work wherever the focus is (but not while typing).

``MainWindow`` inherits this.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit

from gateviz.ui import i18n
from gateviz.ui.i18n import QT_TRANSLATE_NOOP
from gateviz.ui.theme import COLORMAPS

TEXT_WIDGETS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
SHORTCUT_KEYS = {Qt.Key.Key_Space: "toggle", Qt.Key.Key_Left: "back", Qt.Key.Key_Right: "forward",
                 Qt.Key.Key_Home: "start", Qt.Key.Key_End: "end"}

class WindowMenus:
    """The menu bar and shortcuts of ``MainWindow`` (a mixin: its slots live on the window)."""

    def _build_menus(self) -> None:
        menubar = self.menuBar()
        # File
        file_menu = self._menu(menubar, QT_TRANSLATE_NOOP("Menu", "&File"))
        self.file_menu = file_menu
        self.open_action = self._action(file_menu, QT_TRANSLATE_NOOP("Menu", "&Open model…"), self.open_model_dialog,
                                        QKeySequence.StandardKey.Open,
                                        QT_TRANSLATE_NOOP("Menu", "Open a model file (gateviz, PyTorch, Keras, ONNX)"))
        self.recent_menu = self._menu(file_menu, QT_TRANSLATE_NOOP("Menu", "Open &recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(file_menu, QT_TRANSLATE_NOOP("Menu", "Open &sequence…"), self.open_sequence_dialog,
                     "Ctrl+Shift+O",
                     QT_TRANSLATE_NOOP("Menu", "Feed the model an input from a .npy, .csv or .txt file"))
        self.save_action = self._action(file_menu, QT_TRANSLATE_NOOP("Menu", "&Save model…"), self.save_model_dialog,
                                        QKeySequence.StandardKey.Save,
                                        QT_TRANSLATE_NOOP("Menu", "Save the current model as a gateviz model file "
                                                                  "(.gvm)"))
        self.compare_action = self._action(
            file_menu, QT_TRANSLATE_NOOP("Menu", "&Compare models…"), self.open_compare_dialog, "Ctrl+K",
            QT_TRANSLATE_NOOP("Menu", "RNN vs LSTM vs GRU: 2 to 4 models on one input, side by side"))
        file_menu.addSeparator()
        self.export_separator = file_menu.addSeparator()
        self._action(file_menu, QT_TRANSLATE_NOOP("Menu", "&Quit"), self.close, QKeySequence.StandardKey.Quit,
                     QT_TRANSLATE_NOOP("Menu", "Close gateviz"))
        # Model
        model_menu = self._menu(menubar, QT_TRANSLATE_NOOP("Menu", "&Model"))
        self.bundled_menu = self._menu(model_menu, QT_TRANSLATE_NOOP("Menu", "&Bundled models"))
        self._action(model_menu, QT_TRANSLATE_NOOP("Menu", "&Train…"), self.open_train_dialog, "Ctrl+T",
                     QT_TRANSLATE_NOOP("Menu", "Train a small model on a built-in task, with a live loss curve"))
        # View
        view_menu = self._menu(menubar, QT_TRANSLATE_NOOP("Menu", "&View"))
        self.view_menu = view_menu  # the interventions and the ablation dock add their entries here
        from gateviz.ui.layouts import LAYOUTS

        layout_menu = self._menu(view_menu, QT_TRANSLATE_NOOP("Menu", "&Layout"))
        self.layout_actions = self._choice_actions(
            layout_menu, tuple(LAYOUTS), self.set_layout, label=lambda n: ("Layouts", LAYOUTS[n].label),
            tip=lambda n: ("Layouts", LAYOUTS[n].tip, {}, f" ({LAYOUTS[n].shortcut})"))
        for name, action in self.layout_actions.items():
            action.setShortcut(QKeySequence(LAYOUTS[name].shortcut))
        self.layout_menu = layout_menu
        self.panels_menu = self._menu(view_menu, QT_TRANSLATE_NOOP("Menu", "&Panels"))
        toggle = self.controls_dock.toggleViewAction()
        i18n.bind(toggle, "setText", "Menu", QT_TRANSLATE_NOOP("Menu", "&Controls"))
        i18n.bind(toggle, "setToolTip", "Menu",
                  QT_TRANSLATE_NOOP("Menu", "Show or hide the model, input and unit controls"))
        view_menu.addAction(toggle)
        bar_toggle = self.playback_toolbar.toggleViewAction()
        i18n.bind(bar_toggle, "setText", "Menu", QT_TRANSLATE_NOOP("Menu", "Play&back bar"))
        view_menu.addAction(bar_toggle)
        self.memory_shading_action = self._action(
            view_menu, QT_TRANSLATE_NOOP("Menu", "Shade input by &memory"),
            lambda *_: self.state.set_show_memory(not self.state.show_memory),
            "Ctrl+Shift+M", QT_TRANSLATE_NOOP(
                "Menu", "Shade each input step by how much the output at the cursor depends on it "
                        "(||∂y/∂x_t||, the connectivity); the Memory panel shows the same as bars"))
        self.memory_shading_action.setCheckable(True)
        self.state.gradientsChanged.connect(self._update_gradient_follower)  # show_memory toggles emit it
        view_menu.addSeparator()
        theme_menu = self._menu(view_menu, QT_TRANSLATE_NOOP("Menu", "&Theme"))
        theme_texts = {"light": (QT_TRANSLATE_NOOP("Menu", "Light"),
                                 QT_TRANSLATE_NOOP("Menu", "Light background for the window and every plot")),
                       "dark": (QT_TRANSLATE_NOOP("Menu", "Dark"),
                                QT_TRANSLATE_NOOP("Menu", "Dark background for the window and every plot"))}
        self.theme_actions = self._choice_actions(
            theme_menu, ("light", "dark"), lambda n: self.set_theme(name=n),
            label=lambda n: ("Menu", theme_texts[n][0]), tip=lambda n: ("Menu", theme_texts[n][1]))
        self.presentation_action = QAction(self, checkable=True)
        i18n.bind(self.presentation_action, "setText", "Menu", QT_TRANSLATE_NOOP("Menu", "&Presentation mode"))
        self.presentation_action.setShortcut("F5")
        i18n.bind(self.presentation_action, "setToolTip", "Menu", QT_TRANSLATE_NOOP(
            "Menu", "Larger fonts and thicker lines for a lecture hall; hides the controls "
                    "(View > Controls shows them) (F5)"))
        self.presentation_action.toggled.connect(lambda on: self.set_theme(presentation=on))
        view_menu.addAction(self.presentation_action)
        cmap_menu = self._menu(view_menu, QT_TRANSLATE_NOOP("Menu", "&Colour map"))
        self.cmap_actions = self._choice_actions(
            cmap_menu, COLORMAPS, lambda n: self.set_theme(colormap=n), label=lambda n: None,
            tip=lambda n: ("Menu", QT_TRANSLATE_NOOP(
                "Menu", "{name}: perceptually uniform and readable with colour-vision deficiencies"), {"name": n}))
        for name, action in self.cmap_actions.items():
            action.setText(name)  # a colour map's own name (viridis …), the same in every language
        self.cell_scale_action = QAction(self, checkable=True)
        i18n.bind(self.cell_scale_action, "setText", "Menu",
                  QT_TRANSLATE_NOOP("Menu", "Cell state: each &unit to its own range"))
        self.cell_scale_action.setShortcut("Ctrl+U")
        i18n.bind(self.cell_scale_action, "setToolTip", "Menu", QT_TRANSLATE_NOOP(
            "Menu", "Draw each unit's cell state against that unit's own max |c| (heatmap rows, "
                    "the cell diagram, the layer's c bars) instead of one range for all, so "
                    "small units stay visible next to ones that grow large (Ctrl+U)"))
        self.cell_scale_action.toggled.connect(lambda on: self.set_theme(cell_scale="unit" if on else "shared"))
        view_menu.addAction(self.cell_scale_action)
        self.gru_convention_action = QAction(self, checkable=True)
        i18n.bind(self.gru_convention_action, "setText", "Menu",
                  QT_TRANSLATE_NOOP("Menu", "GRU: &textbook convention, h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t"))
        i18n.bind(self.gru_convention_action, "setToolTip", "Menu", QT_TRANSLATE_NOOP(
            "Menu", "Show GRUs as textbooks write them: z_t is PyTorch's, Keras' and ONNX's 1 − z_t, so a high z_t "
                    "writes the candidate h̃_t. Relabels the cell diagram, its formulas, the z heatmap and traces, "
                    "the saturation of z and the status bar; trace files and CSV exports keep the frameworks' z. "
                    "Off: the frameworks' h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t, where a high z_t keeps the old "
                    "state."))
        self.gru_convention_action.toggled.connect(
            lambda on: self.set_theme(gru_convention="textbook" if on else "framework"))
        view_menu.addAction(self.gru_convention_action)
        view_menu.addSeparator()
        language_menu = self._menu(view_menu, QT_TRANSLATE_NOOP("Menu", "L&anguage"))
        self.language_actions = self._choice_actions(
            language_menu, tuple(i18n.LANGUAGES), self.set_language, label=lambda n: None,
            tip=lambda n: ("Menu", QT_TRANSLATE_NOOP("Menu", "The interface and exported figures in {language}; "
                                             "switches at once and is remembered"),
                           {"language": i18n.LANGUAGES[n]}))
        for code, action in self.language_actions.items():
            action.setText(i18n.LANGUAGES[code])  # each language by its own name: findable in any language
            action.setChecked(code == i18n.current_language())
        view_menu.addSeparator()
        self._action(view_menu, QT_TRANSLATE_NOOP("Menu", "&Full screen"), self._toggle_full_screen, "F11",
                     QT_TRANSLATE_NOOP("Menu", "Fill the screen with the window"))
        # Playback (the keys are window shortcuts, see _install_shortcuts; the menu shows them)
        play_menu = self._menu(menubar, QT_TRANSLATE_NOOP("Menu", "&Playback"))
        for text, key, slot in ((QT_TRANSLATE_NOOP("Menu", "Play / pause"), "Space", self.player.toggle),
                                (QT_TRANSLATE_NOOP("Menu", "Step back"), "Left", lambda: self.player.step_by(-1)),
                                (QT_TRANSLATE_NOOP("Menu", "Step forward"), "Right", lambda: self.player.step_by(1)),
                                (QT_TRANSLATE_NOOP("Menu", "Jump to start"), "Home", self.player.to_start),
                                (QT_TRANSLATE_NOOP("Menu", "Jump to end"), "End", self.player.to_end)):
            a = QAction(self)
            i18n.bind(a, "setText", "Menu", text, after="\t" + QKeySequence(key).toString(
                QKeySequence.SequenceFormat.NativeText))
            a.triggered.connect(slot)
            play_menu.addAction(a)
        self.loop_action = QAction(self, checkable=True)
        i18n.bind(self.loop_action, "setText", "Menu", QT_TRANSLATE_NOOP("Menu", "&Loop"))
        self.loop_action.setChecked(self.player.loop)
        self.loop_action.toggled.connect(self.player.set_loop)
        self.player.loopChanged.connect(self.loop_action.setChecked)
        play_menu.addAction(self.loop_action)
        # Help
        help_menu = self._menu(menubar, QT_TRANSLATE_NOOP("Menu", "&Help"))
        self.help_menu = help_menu
        self._action(help_menu, QT_TRANSLATE_NOOP("Menu", "&Gate equations"), self._show_equations, None,
                     QT_TRANSLATE_NOOP("Menu", "The equations every panel uses"))
        self._action(help_menu, QT_TRANSLATE_NOOP("Menu", "&About gateviz"), self._show_about, None,
                     QT_TRANSLATE_NOOP("Menu", "Version and what gateviz is"))

    def set_language(self, code: str) -> None:
        """View ▸ Language: switch now (menus, docks and panels follow languageChanged) and remember it."""
        i18n.remember_language(code)
        if code != i18n.current_language():
            i18n.set_language(code)
        for c, action in self.language_actions.items():
            action.setChecked(c == i18n.current_language())

    def _menu(self, parent, title: str):
        """A submenu whose title follows the language (``title``: the English source, context "Menu")."""
        menu = parent.addMenu("")
        i18n.bind(menu, "setTitle", "Menu", title)
        return menu

    def _choice_actions(self, menu, names, pick, *, label, tip) -> dict[str, QAction]:
        """Checkable menu entries of which one is checked (an exclusive group); ``pick(name)`` on a click.
        ``label(name)`` / ``tip(name)``: (context, source[, format dict]) bound to the language, or None."""
        group = QActionGroup(self)
        actions = {}
        for name in names:
            a = QAction(self, checkable=True)
            for setter, spec in (("setText", label(name)), ("setToolTip", tip(name))):
                if spec is not None:
                    i18n.bind(a, setter, spec[0], spec[1], after=spec[3] if len(spec) > 3 else "",
                              **(spec[2] if len(spec) > 2 else {}))
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
        """A menu entry; ``text`` and ``tip`` are English sources in context "Menu" (marked with QT_TRANSLATE_NOOP)."""
        action = QAction(self)
        i18n.bind(action, "setText", "Menu", text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            i18n.bind(action, "setToolTip", "Menu", tip)
            i18n.bind(action, "setStatusTip", "Menu", tip)
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
