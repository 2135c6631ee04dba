"""Error dialogs. Every user-facing failure in the app goes through ``show_error``.

Call it as ``errors.show_error(...)`` (module attribute, not a from-import) so tests
can monkeypatch it and assert the message instead of a modal dialog blocking them.
"""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A modal message box with the user-ready message."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.exec()


def describe_exception(exc: BaseException) -> str:
    """The text a dialog shows: a GatevizError's own message, or a short bug report otherwise."""
    from gateviz.core.errors import GatevizError

    if isinstance(exc, GatevizError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename or exc}"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a folder; choose a file"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}"
    if isinstance(exc, MemoryError):
        return "not enough memory for this model and input; try a shorter sequence"
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    loc = f" (in {where[0].name}, {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    return f"unexpected {type(exc).__name__}: {exc}{loc}"


def confirm_overwrite(parent: QWidget | None, path: str) -> bool:
    """The standard 'replace it?' question before writing over an existing file."""
    answer = QMessageBox.question(
        parent, "Replace file?", f"{path} already exists.\nDo you want to replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def choose_module(parent: QWidget | None, filename: str, names: list[str], descriptions: list[str]) -> str | None:
    """Ask which recurrent module of a file to open; the chosen name, or None for Cancel."""
    label = (f"{filename} holds {len(names)} recurrent modules. Which one should gateviz open?" if len(names) > 1
             else f"{filename}: gateviz can open this recurrent module on its raw input features.")
    item, ok = QInputDialog.getItem(parent, "Choose a recurrent module", label, descriptions, 0, False)
    if not ok:
        return None
    return names[descriptions.index(item)] if item in descriptions else None


def ask_encoder_input(parent: QWidget | None, decoder: str, encoder: str, start: str = "") -> tuple[str, str] | None:
    """A decoder needs its encoder's input: ("file", path) to trace both, ("encoder", "") to open the
    encoder module instead, None for Cancel."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, "The decoder needs its encoder's input",
                      f"{decoder} starts where its encoder {encoder!r} ends, from the encoder's final state.\n\n"
                      "Choose the encoder's input sequence (.npy, .csv or .txt): gateviz traces the encoder on it "
                      "first and shows the encoder's steps, then the decoder's, on one time axis.", parent=parent)
    choose = box.addButton("Choose encoder input…", QMessageBox.ButtonRole.AcceptRole)
    instead = box.addButton(f"Open the encoder {encoder!r}", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(choose)
    box.exec()
    if box.clickedButton() is instead:
        return ("encoder", "")
    if box.clickedButton() is not choose:
        return None
    path, _ = QFileDialog.getOpenFileName(parent, f"Input of the encoder {encoder!r}", start,
                                          "Sequences (*.npy *.csv *.txt);;All files (*)")
    return ("file", path) if path else None
