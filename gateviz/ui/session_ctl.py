"""The window's side of session files (issue 16): File ▸ Save Session… / Open Session…

``window.sessions`` (a ``SessionController``) captures what the window shows into a
``gateviz.session.Session`` and writes it, and opens one again, in order:

    model (the window's own "load" job: read and traced off the GUI thread, shown by _show_loaded)
    → theme, language, layout → layer, direction, pins, row order, step, gradient target, toggles
    → the training snapshot and/or the interventions (re-traced off the GUI thread)

and emits ``restored()`` when the window shows all of it, or ``failed(message)`` after a dialog said
why (the model that was shown stays, unless the new one had already opened). A model file that moved
or changed gets a dialog (``ask_model_file``: Locate… / the copy in the session / Cancel); a located
file whose hash still differs is used only after ``confirm_changed``. Both are module functions so
tests can answer them.
"""

from __future__ import annotations

import json
import os

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gateviz import session as sessions
from gateviz.ui import errors, i18n, settings
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate

SESSION_FILTER = QT_TRANSLATE_NOOP("Session", "gateviz session (*.gvsession);;All files (*)")  # translate() it


def ask_model_file(parent, ref: sessions.ModelRef, reason: str) -> tuple[str, str | None] | None:
    """The session's model file is missing or changed: ("locate", path), ("embedded", None) or None (Cancel)."""
    if reason == "missing":
        text = translate("Session", "The session's model file is missing (moved or deleted):\n{path}").format(
            path=ref.path)
    else:
        text = translate("Session", "The session's model file has changed since the session was saved (its "
                                    "SHA-256 differs), so the view may not fit it:\n{path}").format(path=ref.path)
    box = QMessageBox(QMessageBox.Icon.Warning, translate("Session", "Model file not found") if reason == "missing"
                      else translate("Session", "Model file changed"), text, QMessageBox.StandardButton.NoButton, parent)
    locate = box.addButton(translate("Session", "Locate…"), QMessageBox.ButtonRole.AcceptRole)
    embedded = (box.addButton(translate("Session", "Use the copy in the session"), QMessageBox.ButtonRole.YesRole)
                if ref.embedded is not None else None)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is locate:
        start = os.path.dirname(ref.path) if ref.path and os.path.isdir(os.path.dirname(ref.path)) else ""
        path, _ = QFileDialog.getOpenFileName(parent, translate("Session", "Locate {name}").format(
            name=os.path.basename(ref.path or "")), start)
        return ("locate", path) if path else None
    if embedded is not None and clicked is embedded:
        return ("embedded", None)
    return None


def confirm_changed(parent, path: str) -> bool:
    """The located file's hash differs from the session's too: use it anyway?"""
    answer = QMessageBox.question(
        parent, translate("Session", "Model file changed"),
        translate("Session", "{path} is not the file the session was saved with (its SHA-256 differs). The view may "
                             "not fit it.\n\nContinue with this file?").format(path=path),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class _Embedded:
    """The job tag's model spec for a model coming from the session's embedded copy (its label)."""

    def __init__(self, name: str):
        self.name = name

    def __str__(self) -> str:
        return self.name


class SessionController(QObject):
    restored = Signal()  # the window shows the whole session
    failed = Signal(str)  # opening a session failed; a dialog said why

    def __init__(self, window):
        super().__init__(window)
        self.window, self.state = window, window.state
        self._pending = None  # (path, Session, phase, expected) while a session opens
        window.traceReady.connect(self._trace_ready)
        window.loadFailed.connect(self._load_failed)

    # ------------------------------------------------------------------ saving
    def capture(self) -> sessions.Session:
        """What the window shows now, as a Session (SessionError when there is nothing to save)."""
        w, s = self.window, self.state
        model = w.model_to_save()
        if model is None or s.trace is None:
            raise sessions.SessionError("nothing to save yet: no model is shown")
        if getattr(model, "initial_state_from", None) is not None:
            raise sessions.SessionError("a decoder traced after its encoder cannot be saved in a session yet; "
                                        "save its encoder or a model of its own")
        ref = sessions.model_ref(model, w.model_source, w.bundled_name)
        dash = w.dashboard
        layout = dash.save_layout() if dash is not None else (w._saved_dashboard_layout or {"layout": "dashboard"})
        try:
            sizes = json.loads(layout.get("sizes") or "{}")
        except (TypeError, ValueError):
            sizes = {}
        t = s.theme
        training = getattr(w, "training", None)
        return sessions.Session(
            model=ref, sequence=s.sequence, input_name=getattr(w.controls.sequence_box, "_current", None),
            layer=s.layer, direction=s.direction, pinned=[int(u) for u in s.pinned],
            row_order=None if s.row_order is None else [int(u) for u in s.row_order], step=int(s.step),
            snapshot=training.index if training is not None and training.base is not None else None,
            interventions=[(str(iv), bool(on)) for iv, on in s.interventions],
            gradient_output=s.gradient_output, gradient_unit=s.gradient_unit, show_memory=s.show_memory,
            show_original=s.show_original, show_difference=s.show_difference,
            layout=layout.get("layout") or "dashboard", hidden_panels=list(layout.get("hidden") or []),
            splitter_sizes=sizes if isinstance(sizes, dict) else {},
            view_size=(dash.width(), dash.height()) if dash is not None and dash.isVisible() else None,
            theme=t.name, presentation=t.presentation, colormap=t.colormap, cell_scale=t.cell_scale,
            gru_convention=t.gru_convention, language=i18n.current_language())

    def save_dialog(self) -> None:
        if self.state.model is None:
            return
        start = os.path.dirname(settings.recent_files()[0]) if settings.recent_files() else ""
        suggested = os.path.join(start, (self.state.model.name or "session").replace(os.sep, "_")
                                 + sessions.EXTENSION)
        path, _ = QFileDialog.getSaveFileName(self.window, translate("Session", "Save session"), suggested,
                                              translate("Session", SESSION_FILTER),
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Write the session; an existing file is replaced only after the user confirms."""
        if not os.path.splitext(path)[1]:
            path += sessions.EXTENSION
        if os.path.exists(path) and not errors.confirm_overwrite(self.window, path):
            return False
        try:
            sessions.write_session(self.capture(), path, overwrite=True)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a dialog
            errors.show_error(self.window, translate("Session", "Cannot save the session"),
                              errors.describe_exception(exc))
            return False
        settings.add_recent_file(path)
        self.window.statusBar().showMessage(translate("Session", "Saved session {path}").format(path=path), 5000)
        return True

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        start = os.path.dirname(settings.recent_files()[0]) if settings.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self.window, translate("Session", "Open session"), start,
                                              translate("Session", SESSION_FILTER))
        if path:
            self.open_session(path)

    def open_startup(self, path: str) -> None:
        """``gateviz SESSION``: open it; when it cannot be (a dialog said why), the bundled model opens."""
        def fallback(_message: str) -> None:
            self.failed.disconnect(fallback)
            if self.state.model is None:
                self.window.open_default_model()

        self.failed.connect(fallback)
        self.restored.connect(lambda: _disconnect(self.failed, fallback))
        self.open_session(path)

    def open_session(self, path: str) -> None:
        """Read ``path`` and restore it (asynchronously: ``restored`` or ``failed`` follows)."""
        try:
            session = sessions.read_session(path)
        except Exception as exc:  # noqa: BLE001 - a broken or future file is a message, never a crash
            self._fail(translate("Session", "Cannot open the session"), exc)
            return
        ref = session.model
        located, allow_changed = None, False
        if ref.source == "file":
            reason = sessions.check_model_file(ref)
            use_embedded = reason == "missing" and ref.embedded is not None  # the path is gone: the copy
            if reason is not None and not use_embedded:
                answer = ask_model_file(self.window, ref, reason)
                if answer is None:
                    self._cancelled(ref)
                    return
                if answer[0] == "locate":
                    located = answer[1]
                    if sessions.check_model_file(ref, located) is not None:
                        if not confirm_changed(self.window, located):
                            self._cancelled(ref)
                            return
                        allow_changed = True
                else:
                    use_embedded = True
            if use_embedded:
                located = None
        self._load(path, session, located, allow_changed, reason if ref.source == "file" else None)

    def _load(self, path, session, located, allow_changed, reason) -> None:
        ref = session.model
        holder: dict = {}
        if ref.source == "bundled":
            spec = f"bundled:{ref.bundled}"
        elif ref.source == "file" and (located or reason is None) and (located or ref.path).lower().endswith(".gvm"):
            spec = located or ref.path  # the window remembers it as its model file
        else:
            spec = _Embedded(ref.name)
        use_file = ref.source == "file" and (located is not None or reason is None)

        def job(progress):
            from gateviz.ui.workers import load_and_trace

            if use_file:
                model, note = sessions.resolve_model(ref, located, allow_changed=allow_changed)
            else:  # the embedded copy: the bundled or app model, or a file that is gone or changed
                note = None if ref.source != "file" else sessions.mismatch_message(ref, reason or "missing")
                source = ref.path if ref.source == "file" else (f"bundled:{ref.bundled}" if ref.bundled else None)
                model = sessions.model_from_bytes(ref.embedded, ref.name, source)
            loaded = load_and_trace(model, sequence=session.sequence, progress=progress)
            loaded.extra["session_note"] = note
            holder["loaded"] = loaded
            return loaded

        self._pending = {"path": path, "session": session, "phase": "load", "holder": holder,
                         "dock_width": self.window.controls_dock.width()}
        self.window.statusBar().showMessage(translate("Session", "Opening session {name}…").format(
            name=os.path.basename(path)))
        self.window.runner.submit(("load", spec, None, None), job, now=True)

    @guarded
    def _trace_ready(self) -> None:
        p = self._pending
        if p is None:
            return
        if p["phase"] == "load":
            loaded = p["holder"].get("loaded")
            if loaded is None or self.state.trace is not loaded.trace:
                return  # another job's trace
            self._apply_view(p, loaded)
        elif p["phase"] == "retrace" and self._retraced(p):
            self._finish(p)

    @guarded
    def _load_failed(self, message: str) -> None:
        p, self._pending = self._pending, None
        if p is not None:
            self.failed.emit(message)  # the window's dialog said why

    def _apply_view(self, p, loaded) -> None:
        w, s, session = self.window, self.state, p["session"]
        try:
            sessions.check_against(session, s.model, s.trace)
        except sessions.SessionError as exc:
            self._pending = None
            self._fail(translate("Session", "Cannot restore the session's view"), exc)
            return
        w.set_theme(name=session.theme, presentation=session.presentation, colormap=session.colormap,
                    cell_scale=session.cell_scale, gru_convention=session.gru_convention)
        p["language_before"] = i18n.current_language()
        if session.language != i18n.current_language():
            w.set_language(session.language)  # rebuilds the dashboard: before its layout is set
        layout = {"layout": session.layout, "hidden": session.hidden_panels,
                  "sizes": json.dumps(session.splitter_sizes)}
        if w.dashboard is not None:
            w.dashboard.restore_layout(layout)
            for pid, action in w._panel_actions.items():
                with QSignalBlocker(action):
                    action.setChecked(w.dashboard.is_panel_wanted(pid))
            if session.layout == "memory":
                s.set_show_memory(True)
        else:
            w._saved_dashboard_layout = layout
        settings.write("dashboard/layout", session.layout)
        s.set_layer_direction(session.layer, session.direction)
        s.set_pinned(session.pinned)
        s.set_row_order(None if session.row_order is None else np.asarray(session.row_order))
        s.set_step(session.step)
        s.set_gradient_target(session.gradient_output, session.gradient_unit)
        s.set_show_memory(session.show_memory)
        s.set_show_original(session.show_original)
        s.set_show_difference(session.show_difference)
        w.controls.sequence_box.show_current(session.input_name)
        p["note"] = loaded.extra.get("session_note")
        from gateviz.core.interventions import Intervention

        entries = [(Intervention.parse(spec), on) for spec, on in session.interventions]
        training = getattr(w, "training", None)
        wants_snapshot = (session.snapshot is not None and training is not None and training.base is not None
                          and session.snapshot != training.last)
        p["phase"] = "retrace"
        p["entries"] = entries
        p["snapshot"] = session.snapshot if wants_snapshot else None
        if wants_snapshot:
            w.interventions._set_quietly(entries)  # the snapshot's trace job applies them
            training.shown.connect(self._snapshot_shown)
            training.set_index(session.snapshot)
        elif any(on for _, on in entries):
            s.set_interventions(entries)  # the controller re-traces; traceReady follows
        else:
            w.interventions._set_quietly(entries)
            self._finish(p)

    @guarded
    def _snapshot_shown(self, index: int) -> None:
        training = self.window.training
        try:
            training.shown.disconnect(self._snapshot_shown)
        except (RuntimeError, TypeError):
            pass
        p = self._pending
        if p is not None and p["phase"] == "retrace" and index == p["snapshot"]:
            self._finish(p)

    def _retraced(self, p) -> bool:
        """Does the state show the session's interventions now (and no snapshot is awaited)?"""
        if p.get("snapshot") is not None:
            return False
        s = self.state
        wanted = [str(iv) for iv, on in p["entries"] if on]
        return s.original is not None and list(s.trace.meta.get("interventions", ())) == wanted

    def _finish(self, p) -> None:
        self._pending = None
        s, session = self.state, p["session"]
        s.set_step(session.step)  # a trace may have arrived since: the step stays the session's
        settings.add_recent_file(p["path"])
        note = p.get("note")
        text = translate("Session", "Opened session {name}").format(name=os.path.basename(p["path"]))
        self.window.statusBar().showMessage(text + (f" — {note}" if note else ""), 15000)
        from PySide6.QtCore import QTimer, Qt

        if session.language != p.get("language_before", session.language):
            # the dashboard was built again in the new language and the controls dock took its room (a 200 px
            # dashboard in a 1400 px window): the dock gets its width back
            self.window.resizeDocks([self.window.controls_dock], [p["dock_width"]], Qt.Orientation.Horizontal)
        QTimer.singleShot(0, self, self.restored.emit)  # once the window is laid out

    def _cancelled(self, ref) -> None:
        self.window.statusBar().showMessage(translate("Session", "Session not opened: its model file {path} was "
                                                                 "not located").format(path=ref.path), 8000)
        self.failed.emit(translate("Session", "cancelled"))

    def _fail(self, title: str, exc: BaseException) -> None:
        message = errors.describe_exception(exc)
        errors.show_error(self.window, title, message)
        self.failed.emit(message)


def _disconnect(signal, slot) -> None:
    try:
        signal.disconnect(slot)
    except (RuntimeError, TypeError):
        pass  # already disconnected


def install_session_actions(window) -> SessionController:
    """File ▸ Save Session… (Ctrl+Alt+S) and Open Session… (Ctrl+Alt+O), after Open recent."""
    from PySide6.QtGui import QAction, QKeySequence

    window.sessions = controller = SessionController(window)
    menu = window.file_menu
    before = window.compare_action  # after Save model
    for text, key, slot, tip in (
            (QT_TRANSLATE_NOOP("Session", "Open Sess&ion…"), "Ctrl+Alt+O", controller.open_dialog,
             QT_TRANSLATE_NOOP("Session", "Open a session file: a model, its input and the whole view as they "
                                          "were saved")),
            (QT_TRANSLATE_NOOP("Session", "Save Sessio&n…"), "Ctrl+Alt+S", controller.save_dialog,
             QT_TRANSLATE_NOOP("Session", "Save the model, the input and the whole view (layer, pins, step, "
                                          "interventions, layout, theme, language) to open again exactly"))):
        action = QAction(window)
        i18n.bind(action, "setText", "Session", text)
        i18n.bind(action, "setToolTip", "Session", tip)
        i18n.bind(action, "setStatusTip", "Session", tip)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        menu.insertAction(before, action)
        setattr(window, "open_session_action" if "Open" in text else "save_session_action", action)
    return controller
