"""Error dialogs. Every user-facing failure in the app goes through ``show_error``.

Call it as ``errors.show_error(...)`` (module attribute, not a from-import) so tests
can monkeypatch it and assert the message instead of a modal dialog blocking them.
"""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from gateviz.ui.i18n import QT_TRANSLATE_NOOP, current_language, localized, translate

# The core's messages are written in English (gateviz/core, formats, tasks: Qt-free). Those written as
# Messages (gateviz.core.texts) are translated whole; any other is shown under a line in the interface
# language that says what kind of problem it is, with the English detail below it (file names, shapes
# and numbers the user needs). Most specific class first.
LEADS = (("gateviz.core.interventions", "InterventionError",
          QT_TRANSLATE_NOOP("Errors", "The intervention does not fit this model or input.")),
         ("gateviz.core.budget", "TraceTooLong",
          QT_TRANSLATE_NOOP("Errors", "The trace would not fit in this machine's memory.")),
         ("gateviz.core.budget", "ResourceError",
          QT_TRANSLATE_NOOP("Errors", "This needs more memory or disk than this machine has.")),
         ("gateviz.core.ablation", "AblationError", QT_TRANSLATE_NOOP("Errors", "The ablation cannot run as asked.")),
         ("gateviz.export.files", "ExportError", QT_TRANSLATE_NOOP("Errors", "The export could not be written.")),
         ("gateviz.session", "SessionError", QT_TRANSLATE_NOOP("Errors", "The session could not be opened or saved.")),
         ("gateviz.core.errors", "SequenceError",
          QT_TRANSLATE_NOOP("Errors", "This input sequence does not fit the model.")),
         ("gateviz.core.errors", "FormatError", QT_TRANSLATE_NOOP("Errors", "gateviz cannot read this file.")),
         ("gateviz.core.errors", "ModelError", QT_TRANSLATE_NOOP("Errors", "This model cannot be traced.")),
         ("gateviz.core.errors", "GatevizError", QT_TRANSLATE_NOOP("Errors", "This cannot be done as asked.")))


def error_text(exc: BaseException) -> str:
    """A user's error (GatevizError) in the interface language: a Message whole, else a translated
    first line over the English detail; anything else as ``describe_exception`` words it."""
    from gateviz.core.errors import GatevizError
    from gateviz.core.texts import Message

    if not isinstance(exc, GatevizError):
        return describe_exception(exc)
    message = exc.args[0] if len(exc.args) == 1 else None
    if isinstance(message, Message):
        return localized(message)
    if current_language() == "en":
        return str(exc)
    import sys

    for module, name, lead in LEADS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            break
    return (translate("Errors", lead) + "\n\n" + translate("Errors", "Details (in English):") + "\n" + str(exc))


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A modal message box with the user-ready message."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.exec()


def describe_exception(exc: BaseException) -> str:
    """The text a dialog shows: a GatevizError's own message, or a short bug report otherwise."""
    from gateviz.core.errors import GatevizError

    if isinstance(exc, GatevizError):
        return error_text(exc)
    if isinstance(exc, FileNotFoundError):
        return translate("Errors", "no such file: {name}").format(name=exc.filename or exc)
    if isinstance(exc, IsADirectoryError):
        return translate("Errors", "{name} is a folder; choose a file").format(name=exc.filename)
    if isinstance(exc, PermissionError):
        return translate("Errors", "permission denied: {name}").format(name=exc.filename or exc)
    if isinstance(exc, MemoryError):
        return translate("Errors", "not enough memory for this model and input; try a shorter sequence")
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    loc = f" (in {where[0].name}, {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    return translate("Errors", "unexpected {kind}: {error}").format(kind=type(exc).__name__, error=exc) + loc


def confirm_overwrite(parent: QWidget | None, path: str) -> bool:
    """The standard 'replace it?' question before writing over an existing file."""
    answer = QMessageBox.question(
        parent, translate("Errors", "Replace file?"),
        translate("Errors", "{path} already exists.\nDo you want to replace it?").format(path=path),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def choose_module(parent: QWidget | None, filename: str, names: list[str], descriptions: list[str]) -> str | None:
    """Ask which recurrent module of a file to open; the chosen name, or None for Cancel."""
    label = (translate("Errors", "{file} holds {n} recurrent modules. Which one should gateviz open?")
             if len(names) > 1 else
             translate("Errors", "{file}: gateviz can open this recurrent module on its raw input features.")
             ).format(file=filename, n=len(names))
    item, ok = QInputDialog.getItem(parent, translate("Errors", "Choose a recurrent module"), label, descriptions, 0,
                                    False)
    if not ok:
        return None
    return names[descriptions.index(item)] if item in descriptions else None


def ask_encoder_input(parent: QWidget | None, decoder: str, encoder: str, start: str = "") -> tuple[str, str] | None:
    """A decoder needs its encoder's input: ("file", path) to trace both, ("encoder", "") to open the
    encoder module instead, None for Cancel."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, translate("Errors", "The decoder needs its encoder's input"),
                      translate("Errors", "{decoder} starts where its encoder {encoder} ends, from the encoder's final "
                                          "state.\n\nChoose the encoder's input sequence (.npy, .csv or .txt): "
                                          "gateviz traces the encoder on it first and shows the encoder's steps, then "
                                          "the decoder's, on one time axis.").format(decoder=decoder,
                                                                                    encoder=repr(encoder)),
                      parent=parent)
    choose = box.addButton(translate("Errors", "Choose encoder input…"), QMessageBox.ButtonRole.AcceptRole)
    instead = box.addButton(translate("Errors", "Open the encoder {encoder}").format(encoder=repr(encoder)),
                            QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(choose)
    box.exec()
    if box.clickedButton() is instead:
        return ("encoder", "")
    if box.clickedButton() is not choose:
        return None
    from gateviz.ui.window_loading import SEQUENCE_FILTER

    path, _ = QFileDialog.getOpenFileName(parent, translate("Errors", "Input of the encoder {encoder}").format(
        encoder=repr(encoder)), start, translate("Loading", SEQUENCE_FILTER))
    return ("file", path) if path else None
