"""Opening models and inputs in the main window: the jobs, their results, the input editors.

``MainWindow`` inherits this. Every open or re-trace runs on the window's ``TraceRunner`` and ends
in ``_job_done`` (show it, or put the previous model back and say why) or ``_job_failed``.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtWidgets import QFileDialog

from gateviz.core.model import RecurrentModel
from gateviz.core.release import release_later
from gateviz.formats import MODEL_FILE_FILTER as MODEL_FILTER  # every reader's files, TF's included
from gateviz.ui import errors, guard, settings
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate
from gateviz.ui.workers import Loaded

SEQUENCE_FILTER = QT_TRANSLATE_NOOP("Loading", "Sequences (*.npy *.csv *.txt);;All files (*)")  # translate() it
SEQUENCE_SUFFIXES = (".npy", ".csv", ".txt")


FILTER_WORDS = (QT_TRANSLATE_NOOP("Loading", "Model files"), QT_TRANSLATE_NOOP("Loading", "All files"))


def _model_filter() -> str:
    """The readers' file filter with its words translated ("Model files (...)": the patterns stay)."""
    parts = []
    for part in MODEL_FILTER.split(";;"):
        words, sep, patterns = part.partition(" (")
        parts.append(translate("Loading", words) + sep + patterns)
    return ";;".join(parts)


class ModelLoading:
    """The open/trace half of ``MainWindow`` (a mixin: it uses the window's state, runner and controls)."""

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

    def open_model(self, spec: Any, input_path: str | None = None, module: str | None = None,
                   encoder_input: str | None = None) -> None:
        """Load (a path, ``bundled:NAME`` or a RecurrentModel), trace its default input, show it.

        ``module``: which recurrent module of a file holding several; without it such a file
        asks the user (``errors.choose_module``). ``encoder_input``: a decoder's encoder input
        file; without it a decoder asks for one (``errors.ask_encoder_input``).
        """
        from gateviz.ui.workers import load_and_trace

        label = spec.name if isinstance(spec, RecurrentModel) else os.path.basename(str(spec))
        if module:
            label += f" ({module})"
        self.statusBar().showMessage(translate("Loading", "Opening {name}…").format(name=label))
        # now: a reader stuck on a hostile file never makes this open (or a later one) wait
        self.runner.submit(("load", spec, input_path, module),
                           self._with_products(lambda progress: load_and_trace(
                               spec, input_path, progress=progress, module=module, encoder_input=encoder_input)),
                           now=True)

    def _with_products(self, job):
        """``job``, then the panels' images and statistics of its trace, on its worker thread (issue 17)."""
        from gateviz.ui.workers import with_view_products

        theme = self.state.theme
        return with_view_products(job, theme.gru_convention, theme.cell_scale, list(self.state.pinned))

    def cancel_job(self) -> None:
        """Stop waiting for the running open or trace (Cancel in the status bar, Esc). Nothing was shown
        of it yet, so the current model stays as it was; a stuck reader's thread is left to end, its
        result ignored."""
        tag = self.runner.current_tag
        if not self.runner.cancel():
            return
        model = self.state.model
        kept = (translate("Loading", "; kept {name}").format(name=model.name) if model is not None
                else translate("Loading", "; open a model with File ▸ Open"))
        if tag is not None and tag[0] == "load":
            label = tag[1].name if isinstance(tag[1], RecurrentModel) else os.path.basename(str(tag[1]))
            self.statusBar().showMessage(translate("Loading", "Cancelled opening {name}").format(name=label) + kept,
                                         5000)
        elif tag is not None and tag[0] == "intervene":
            self.statusBar().showMessage(translate(
                "Loading", "Cancelled re-tracing with the interventions{kept} as shown").format(kept=kept), 5000)
        else:
            self.statusBar().showMessage(translate("Loading", "Cancelled tracing the new input") + kept, 5000)
        fallback = getattr(self, "_after_failure", None)  # `gateviz MODEL` cancelled: the bundled model opens
        self._after_failure = None
        if fallback is not None and model is None:
            fallback()

    def open_model_dialog(self) -> None:
        start = os.path.dirname(settings.recent_files()[0]) if settings.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, translate("Loading", "Open model"), start, _model_filter())
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
                           self._with_products(self.interventions.trace_job(model, sequence)))

    def _sample_chosen(self, index: int) -> None:
        if 0 <= index < len(self.samples):
            sample = self.samples[index]
            self.set_sequence(sample.sequence, sample.name)

    def open_sequence_dialog(self) -> None:
        if self.state.model is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, translate("Loading", "Open input sequence"), "",
                                              translate("Loading", SEQUENCE_FILTER))
        if path:
            self.open_sequence_file(path)

    def open_sequence_file(self, path: str) -> None:
        model = self.state.model
        try:
            from gateviz.formats import read_sequence

            sequence = read_sequence(path, model)
        except Exception as exc:  # noqa: BLE001 - every reader failure becomes a dialog
            self._report_failure(translate("Loading", "Cannot read the sequence"), exc)
            return
        self.set_sequence(sequence, os.path.basename(path))

    # ------------------------------------------------------------------ job results
    def _job_done(self, tag, result) -> None:
        """Show a finished job. Anything that fails while the window takes the new model or trace in
        (a bug, a model the panels cannot show) puts the previous one back, says why and emits
        ``loadFailed``: the window is never left half-updated and a waiting caller always hears back."""
        self.staged.finish()  # a long trace still being shown panel by panel: all of it first
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
                self._stage_panels(trace)
                self.state.set_trace(model, trace, sequence, self.state.task, original=original)
                self.controls.sequence_box.show_current(name)
                if not from_editor:
                    self._sync_editor(sequence, name)
                self._report_nonfinite(model, trace)
                self._ready_when_caught_up()
            elif kind == "intervene":
                self.interventions.job_done(tag, result)
            # the replaced traces' memory is freed off the GUI thread (torch frees a large tensor
            # with the GIL held: ~0.2 s for a 100k-step 2x256 biLSTM) once the panels have let go of
            # them, and after a staged show: a free holding the GIL stalled the panels' passes
            held = [previous.pop("trace"), previous.pop("original")]
            self.staged.after(lambda: release_later(held.pop(), held.pop()))  # no reference kept here
        except Exception as exc:  # noqa: BLE001 - see the docstring
            guard.report(exc, f"MainWindow._job_done ({kind})")
            with guard.guarding("MainWindow._restore"):
                self._restore(previous)
                self.staged.finish()  # panels deferring for the failed trace take the restored one
            if kind == "load":
                label = tag[1].name if isinstance(tag[1], RecurrentModel) else os.path.basename(str(tag[1]))
                self._report_failure(translate("Loading", "Cannot open {name}").format(name=label), exc)
            else:
                self._report_failure(translate("Loading", "Cannot show this input"), exc)
            self._after_failure = None
            if fallback is not None and previous["model"] is None:
                fallback()

    def _ready_when_caught_up(self) -> None:
        """``traceReady`` once every panel shows the new trace: at once, or after a staged show, when
        the dashboard measures the panels' needs again (it did when the trace came, before they had
        taken it)."""
        if self.staged.active and self.dashboard is not None:
            self.staged.after(self.dashboard.refit)
        self.staged.start(self.traceReady.emit)

    def _stage_panels(self, trace) -> None:
        """A long trace is shown one panel per event-loop pass (staged_show.py); a short one at once."""
        from gateviz.ui.staged_show import worth_staging

        if worth_staging(trace):
            self.staged.begin(p for p in self.panels.values() if hasattr(p, "catch_up"))

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
        name = model.name or translate("Loading", "this model")
        message = f"{name}: {text}.\n\n" + translate(
            "Loading", "The panels draw NaN values in magenta. 'gateviz info' lists the tensors that hold NaN or Inf.")
        # after this slot: a modal dialog must not run inside the job's signal (or a paint)
        from PySide6.QtCore import QTimer

        title = translate("Loading", "NaN or Inf in the model")
        QTimer.singleShot(0, self, lambda: errors.show_error(self, title, message))

    def _guard_error(self, where: str, message: str, first_time: bool) -> None:
        """A paint event or slot raised (guard.py): say so in the status bar, and once in a dialog."""
        self.statusBar().showMessage(translate("Loading", "Something went wrong in {where}: {message}").format(
            where=where, message=message), 15000)
        if not first_time or self._error_dialog_pending:
            return
        self._error_dialog_pending = True
        text = translate("Loading", "{message}\n\n(in {where})\n\nThe window keeps running; please report this "
                                    "with the text printed in the terminal.").format(message=message, where=where)

        def show() -> None:
            try:
                errors.show_error(self, translate("Loading", "Something went wrong"), text)
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
        self._stage_panels(loaded.trace)
        s.set_trace(model, loaded.trace, loaded.sequence, loaded.task)
        self.controls.model_box.show_current(model, self.bundled_name)
        self.controls.sequence_box.set_samples(self.samples, loaded.sample_name)
        self._install_editor(model, loaded.task)
        self._sync_editor(loaded.sequence, loaded.sample_name)
        self.setWindowTitle(f"gateviz — {model.name}")
        self.statusBar().clearMessage()
        if loaded.trace.meta.get("encoder_not_shown"):  # a decoder whose encoder's stack has another shape
            self.statusBar().showMessage(translate(
                "Loading", "The encoder's steps are not drawn on this time axis ({why}); the decoder starts from "
                           "its final state").format(why=loaded.trace.meta["encoder_not_shown"]), 20000)
        self.interventions.model_opened(model)  # the list was for the previous model: cleared, and said so
        self._report_nonfinite(model, loaded.trace)
        self._ready_when_caught_up()

    def _job_failed(self, tag, exc) -> None:
        from gateviz.core.budget import TraceTooLong
        from gateviz.ui.workers import EncoderInputNeeded, ModuleChoiceNeeded

        kind = tag[0]
        if isinstance(exc, TraceTooLong) and 0 < exc.fit < exc.steps and exc.sequence is not None:
            if self._trace_shorter(tag, exc):
                return
        if kind == "load" and isinstance(exc, ModuleChoiceNeeded):
            self._ask_for_module(tag, exc)
        elif kind == "load" and isinstance(exc, EncoderInputNeeded):
            self._ask_for_encoder_input(tag, exc)
        elif kind == "load":
            label = tag[1].name if isinstance(tag[1], RecurrentModel) else os.path.basename(str(tag[1]))
            self._report_failure(translate("Loading", "Cannot open {name}").format(name=label), exc)
            fallback = getattr(self, "_after_failure", None)
            self._after_failure = None
            if fallback is not None and self.state.model is None:
                fallback()
        else:
            self._report_failure(translate("Loading", "Cannot trace this input"), exc)

    def _trace_shorter(self, tag, exc) -> bool:
        """An input too long to trace in the memory available: offer its first steps that fit; True
        when the shorter trace was started (else the refusal is reported as usual)."""
        fit = exc.fit
        if not ask_trace_shorter(self, exc.steps, fit, exc.needed, exc.usable):
            return False
        shorter = exc.sequence[:fit]
        name = translate("Loading", "first {fit} of {steps} steps").format(fit=f"{fit:,}", steps=f"{exc.steps:,}")
        if tag[0] == "load":  # reopen the same model on the shorter input
            from gateviz.ui.workers import load_and_trace

            spec, module = tag[1], tag[3]
            self.runner.submit((tag[0], spec, None, module),
                               self._with_products(lambda progress: load_and_trace(
                                   spec, sequence=shorter, progress=progress, module=module)))
        else:
            self.set_sequence(shorter, name)
        self.statusBar().showMessage(translate("Loading", "Tracing the {name}…").format(name=name))
        return True

    def _ask_for_module(self, tag, exc) -> None:
        """A file with several recurrent modules: open the one the user picks; Cancel keeps the current model."""
        self.statusBar().clearMessage()
        name = errors.choose_module(self, os.path.basename(exc.path), exc.names, exc.descriptions)
        if name is not None:
            self.open_model(tag[1], tag[2], module=name)  # a start-up fallback stays armed for this try
            return
        self._kept_current()

    def _ask_for_encoder_input(self, tag, exc) -> None:
        """A decoder: trace it after its encoder on the input the user picks, or open the encoder
        instead; Cancel keeps the current model."""
        self.statusBar().clearMessage()
        spec, input_path, module = tag[1], tag[2], tag[3]
        label = module or os.path.basename(str(spec))
        start = os.path.dirname(str(spec)) if isinstance(spec, str) and os.path.exists(str(spec)) else ""
        answer = errors.ask_encoder_input(self, label, exc.encoder, start)
        if answer is not None and answer[0] == "file":
            self.open_model(spec, input_path, module=module, encoder_input=answer[1])
            return
        if answer is not None:
            self.open_model(spec, module=exc.encoder)
            return
        self._kept_current()

    def _kept_current(self) -> None:
        """A choice was cancelled: say the current model stays; with none (``gateviz MODEL`` at start-up)
        the bundled model opens."""
        self.statusBar().showMessage(translate("Loading", "Kept {name}").format(name=self.state.model.name)
                                     if self.state.model is not None else "", 5000)
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


def ask_trace_shorter(parent, steps: int, fit: int, needed: int, usable: int) -> bool:
    """Ask whether to trace the first ``fit`` steps of an input whose ``steps`` would not fit."""
    from PySide6.QtWidgets import QMessageBox

    from gateviz.core.budget import format_bytes

    answer = QMessageBox.question(
        parent, translate("Loading", "Input too long for the memory available"),
        translate("Loading", "Tracing all {steps} steps needs about {needed}; only {usable} can be used now.\n\n"
                             "Trace the first {fit} steps instead?").format(
            steps=f"{steps:,}", needed=format_bytes(needed), usable=format_bytes(usable), fit=f"{fit:,}"),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes
