"""The window's side of interventions (issue 13): re-tracing, the Interventions menu, the title.

The list lives in ``ViewState.interventions`` (the dock, the menus and the context menus change it
through this controller). Whenever it changes, or the input changes while some are on, the current
input is re-traced WITH the enabled ones off the GUI thread (the window's ``TraceRunner``: the
newest request wins, so rapid toggling coalesces), and the state gets both runs:
``state.set_trace(model, intervened, sequence, task, original=plain)``. The plain run of the shown
input is reused, never traced twice; switching every intervention off shows it at once.

A spec that no longer fits (a shorter input) is switched off with a status-bar message; opening a
different model clears the list (the status bar says so); a new input keeps it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from gateviz.core.interventions import Intervention, InterventionError
from gateviz.ui.docks import add_dock
from gateviz.ui import errors, i18n
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate
from gateviz.ui.guard import guarded

MESSAGE_MS = 8000


class InterventionsController(QObject):
    """Owned by the MainWindow (``window.interventions``)."""

    applied = Signal()  # an intervened (or restored plain) trace of the same input is shown

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.state = window.state
        self.runner = window.runner
        self._quiet = False  # True while this controller itself rewrites the list (no re-trace)
        self._stale = False  # the list changed while a model was opening
        self.preset_actions: list[QAction] = []
        self._preset_cell = None
        self.state.interventionsChanged.connect(self.retrace)
        self.state.traceChanged.connect(self._trace_changed)
        self.state.selectionChanged.connect(self._update_presets)  # presets act on the shown layer/direction
        self._build_dock()
        self._build_menu()
        window.status.interventionsClicked.connect(self.show_dock)
        # the list changed while a model was opening, and that open failed or was cancelled: re-trace now
        self.runner.busy.connect(lambda busy: self.retrace() if self._stale and not busy else None)

    # ------------------------------------------------------------------ the list
    def add(self, spec, *, replace_same_target: bool = False) -> Intervention | None:
        """Add a spec (text or Intervention), switched on, after checking it against the shown model and
        input; a bad one is reported in the status bar and the list stays as it was. The same spec
        again is switched on instead of listed twice. ``replace_same_target``: a spec that sets the same
        quantity of the same units over the same steps is replaced (presets: f = 1 after f = 0)."""
        s = self.state
        try:
            iv = spec if isinstance(spec, Intervention) else Intervention.parse(spec)
            if s.model is not None and s.trace is not None:
                iv.check(s.model, s.trace.length)
        except InterventionError as exc:
            self.message(translate("Interventions", "Not added: {error}").format(error=exc))
            return None
        entries = list(s.interventions)
        same = [k for k, (e, _) in enumerate(entries) if e == iv]
        if replace_same_target:
            same += [k for k, (e, _) in enumerate(entries) if e != iv and _same_target(e, iv)]
        if same:
            entries[same[0]] = (iv, True)
            entries = [e for k, e in enumerate(entries) if k not in same[1:]]
        else:
            entries.append((iv, True))
        s.set_interventions(entries)
        return iv

    def add_all(self, specs) -> None:
        for spec in specs:
            self.add(spec)

    def replace(self, index: int, spec) -> None:
        entries = list(self.state.interventions)
        iv = spec if isinstance(spec, Intervention) else Intervention.parse(spec)
        entries[index] = (iv, entries[index][1])
        self.state.set_interventions(entries)

    def set_enabled(self, index: int, on: bool) -> None:
        entries = list(self.state.interventions)
        if 0 <= index < len(entries):
            entries[index] = (entries[index][0], bool(on))
            self.state.set_interventions(entries)

    def remove(self, index: int) -> None:
        entries = list(self.state.interventions)
        if 0 <= index < len(entries):
            del entries[index]
            self.state.set_interventions(entries)

    def clear(self) -> None:
        if self.state.interventions:
            n = len(self.state.interventions)
            self.state.set_interventions([])
            self.message((translate("Interventions", "Cleared {n} intervention: the original run is shown") if n == 1
                          else translate("Interventions", "Cleared {n} interventions: the original run is shown"))
                         .format(n=n))

    def _set_quietly(self, entries) -> None:
        self._quiet = True
        try:
            self.state.set_interventions(entries)
        finally:
            self._quiet = False

    # ------------------------------------------------------------------ re-tracing
    @guarded
    def retrace(self) -> None:
        """The list changed: trace the shown input with the enabled interventions (off the GUI thread)."""
        if self._quiet:
            return
        s, window = self.state, self.window
        if s.model is None or s.trace is None:
            return
        tag = self.runner.current_tag
        if tag is not None and tag[0] == "load":
            self._stale = True  # a new model is on its way: it clears the list (if it fails, re-trace then)
            return
        self._stale = False
        if tag is not None and tag[0] == "trace":
            window.set_sequence(tag[2], tag[3], tag[4])  # a new input is on its way: trace it with the new list
            return
        plain = s.original if s.original is not None else s.trace  # original None: the trace is the plain run
        active = self._fitting(s.model, plain.length)
        if tag is not None and tag[0] == "intervene":
            self.runner.cancel_pending()  # its result would be for an older list
        if not active:
            if s.original is not None:
                s.set_trace(s.model, s.original, s.sequence, s.task, original=None)
                self._announce()
            return
        from gateviz.ui.workers import trace_intervened

        model, sequence = s.model, s.sequence
        self.runner.submit(("intervene", model, sequence, tuple(active)),
                           lambda progress: trace_intervened(model, sequence, active, plain, progress))

    def _fitting(self, model, length: int) -> list[Intervention]:
        """The enabled interventions that fit; the others are switched off, and the status bar says why."""
        entries, active, off = [], [], []
        for iv, on in self.state.interventions:
            if on:
                try:
                    iv.check(model, length)
                except InterventionError as exc:
                    off.append(errors.error_text(exc))
                    on = False
                else:
                    active.append(iv)
            entries.append((iv, on))
        if off:
            self._set_quietly(entries)
            self.message(translate("Interventions", "Switched off (does not fit): ") + "; ".join(off))
        return active

    def trace_job(self, model, sequence):
        """What ``MainWindow.set_sequence`` runs for a new input: a plain trace, or with the enabled
        interventions an ``Intervened`` (both runs); ``unpack`` takes either apart."""
        from gateviz.ui.workers import trace_intervened, trace_model

        active = self.state.active_interventions()
        if not active:
            return lambda progress: trace_model(model, sequence, progress)
        return lambda progress: trace_intervened(model, sequence, active, None, progress)

    def unpack(self, result):
        """A finished trace job -> (trace, original); specs that did not fit the new input are switched off."""
        from gateviz.ui.workers import Intervened

        if not isinstance(result, Intervened):
            return result, None
        if result.unfit:
            unfit = [iv for iv, _ in result.unfit]
            self._set_quietly([(iv, on and iv not in unfit) for iv, on in self.state.interventions])
            self.message(translate("Interventions", "Switched off (does not fit this input): ")
                         + "; ".join(i18n.localized(m) for _, m in result.unfit))
        return result.trace, result.original

    def job_done(self, tag, result) -> None:
        """An "intervene" job finished (the window's ``_job_done`` hands it here)."""
        _, model, sequence, _active = tag
        s = self.state
        if model is not s.model or sequence is not s.sequence:
            return  # the model or the input changed meanwhile
        trace, original = self.unpack(result)
        s.set_trace(model, trace, sequence, s.task, original=original)
        self._announce()

    def _announce(self) -> None:
        n = len(self.state.trace.meta.get("interventions", ()) if self.state.original is not None else ())
        self.message((translate("Interventions", "Re-traced with {n} intervention") if n == 1
                      else translate("Interventions", "Re-traced with {n} interventions")).format(n=n)
                     if n else translate("Interventions", "The original run is shown"), 3000)
        self.applied.emit()
        self.window.traceReady.emit()

    def model_opened(self, model) -> None:
        """A different model is shown: the list belonged to the previous one."""
        n = len(self.state.interventions)
        self._stale = False
        if n:
            self._set_quietly([])
            self.message((translate("Interventions", "Cleared {n} intervention: it was for the previous model")
                          if n == 1 else
                          translate("Interventions", "Cleared {n} interventions: they were for the previous model"))
                         .format(n=n))
        self.update_title()

    # ------------------------------------------------------------------ what the window shows
    def message(self, text: str, ms: int = MESSAGE_MS) -> None:
        self.window.statusBar().showMessage(text, ms)

    @guarded
    def _trace_changed(self) -> None:
        self.update_title()
        self._update_presets()

    def applied_specs(self) -> list[str]:
        """The specs the shown trace was computed with (canonical text)."""
        s = self.state
        if s.trace is None or s.original is None:
            return []
        return list(s.trace.meta.get("interventions", ()))

    def update_title(self) -> None:
        model = self.state.model
        if model is None:
            return
        specs = self.applied_specs()
        title = f"gateviz — {model.name}"
        if specs:
            more = translate("Interventions", "; +{n} more").format(n=len(specs) - 2) if len(specs) > 2 else ""
            title += translate("Interventions", " — INTERVENED ({n}): {specs}").format(
                n=len(specs), specs="; ".join(specs[:2]) + more)
        self.window.setWindowTitle(title)

    # ------------------------------------------------------------------ dock and menus
    def _build_dock(self) -> None:
        from gateviz.ui.interventions_dock import InterventionsPanel

        window = self.window
        self.panel = InterventionsPanel(self)
        self.dock = add_dock(window, QT_TRANSLATE_NOOP("Docks", "Interventions"), "interventions_dock", self.panel)
        window.tabifyDockWidget(window.controls_dock, self.dock)
        window.controls_dock.raise_()  # the controls stay in front until the list is asked for
        self.dock.hide()

    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def _build_menu(self) -> None:
        window = self.window
        bar = window.menuBar()
        help_menu = getattr(window, "help_menu", None)
        self.menu = QMenu(window)
        i18n.bind(self.menu, "setTitle", "Interventions", QT_TRANSLATE_NOOP("Interventions", "&Interventions"))
        bar.insertMenu(help_menu.menuAction(), self.menu) if help_menu is not None else bar.addMenu(self.menu)
        toggle = self.dock.toggleViewAction()
        i18n.bind(toggle, "setText", "Interventions", QT_TRANSLATE_NOOP("Interventions", "Interventions &list"))
        toggle.setShortcut(QKeySequence("Ctrl+I"))
        i18n.bind(toggle, "setToolTip", "Interventions", QT_TRANSLATE_NOOP(
            "Interventions", "Show or hide the list of interventions, with their on/off switches (Ctrl+I)"))
        self.menu.addAction(toggle)
        self.add_action = self._action(
            QT_TRANSLATE_NOOP("Interventions", "&Add…"), self.panel.add_dialog, "Ctrl+Shift+I",
            QT_TRANSLATE_NOOP("Interventions", "Type a spec: layer0.forward.forget_gate[8]=0@10: "
                                               "(checked as you type)"))
        self.clear_action = self._action(
            QT_TRANSLATE_NOOP("Interventions", "&Clear all"), self.clear, "Ctrl+Shift+Backspace",
            QT_TRANSLATE_NOOP("Interventions", "Remove every intervention and show the original run "
                                               "(Ctrl+Shift+Backspace)"))
        self.menu.addSeparator()
        self.presets_menu = self.menu.addMenu("")
        i18n.bind(self.presets_menu, "setTitle", "Interventions",
                  QT_TRANSLATE_NOOP("Interventions", "Lecture &presets (whole layer)"))
        self.menu.addSeparator()
        self.show_original_action = QAction(window, checkable=True)
        i18n.bind(self.show_original_action, "setText", "Interventions",
                  QT_TRANSLATE_NOOP("Interventions", "Show &original beside intervened"))
        i18n.bind(self.show_original_action, "setToolTip", "Interventions", QT_TRANSLATE_NOOP(
            "Interventions", "Draw the run without interventions faintly beside the intervened one "
                             "(traces, the task's prediction)"))
        self.show_original_action.setChecked(self.state.show_original)
        self.show_original_action.toggled.connect(self.state.set_show_original)
        self.show_difference_action = QAction(window, checkable=True)
        i18n.bind(self.show_difference_action, "setText", "Interventions",
                  QT_TRANSLATE_NOOP("Interventions", "Heatmaps: show &difference"))
        i18n.bind(self.show_difference_action, "setToolTip", "Interventions", QT_TRANSLATE_NOOP(
            "Interventions", "Heatmaps show intervened − original: exactly what changed lights up"))
        self.show_difference_action.setChecked(self.state.show_difference)
        self.show_difference_action.toggled.connect(self.state.set_show_difference)
        self.state.comparisonChanged.connect(self._sync_comparison)
        for a in (self.show_original_action, self.show_difference_action):
            self.menu.addAction(a)
        view = getattr(window, "view_menu", None)
        if view is not None:  # also under View, beside the other display switches
            view.addSeparator()
            view.addAction(self.show_original_action)
            view.addAction(self.show_difference_action)
        self.state.interventionsChanged.connect(self._sync_clear)
        self._sync_clear()

    def _action(self, text, slot, shortcut, tip) -> QAction:
        """``text``, ``tip``: English sources in context "Interventions" (marked where written)."""
        a = QAction(self.window)
        i18n.bind(a, "setText", "Interventions", text)
        a.setShortcut(QKeySequence(shortcut))
        i18n.bind(a, "setToolTip", "Interventions", tip)
        i18n.bind(a, "setStatusTip", "Interventions", tip)
        a.triggered.connect(lambda *_: slot())
        self.menu.addAction(a)
        return a

    def _sync_clear(self) -> None:
        self.clear_action.setEnabled(bool(self.state.interventions))

    def _sync_comparison(self) -> None:
        for a, on in ((self.show_original_action, self.state.show_original),
                      (self.show_difference_action, self.state.show_difference)):
            if a.isChecked() != on:
                a.setChecked(on)

    @guarded
    def _update_presets(self) -> None:
        """One action per lecture preset of the shown cell, on the shown layer and direction."""
        from gateviz.ui.intervention_menu import preset_actions

        s = self.state
        if s.trace is None:
            return
        key = (s.trace.cell, s.layer, s.direction)
        if key == self._preset_cell:
            return
        self._preset_cell = key
        self.presets_menu.clear()
        self.preset_actions = preset_actions(self, s.trace.cell, s.layer, s.direction)
        for a in self.preset_actions:
            self.presets_menu.addAction(a)
        self.panel.show_presets(self.preset_actions)


def _same_target(a: Intervention, b: Intervention) -> bool:
    return ((a.layer, a.direction, a.quantity, a.units, a.start, a.stop, a.op)
            == (b.layer, b.direction, b.quantity, b.units, b.start, b.stop, b.op))
