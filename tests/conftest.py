"""Test set-up shared by every test.

Qt must run offscreen and must learn that before anything imports it.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("MPLBACKEND", "Agg")
# keep tests from reading or writing the user's real settings and recent files
os.environ.setdefault("GATEVIZ_SETTINGS_DIR", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "settings"))


# --------------------------------------------------------------------------- the main window
# Shared by the app, input and training tests (test_export_dialog.py overrides ``window`` with a
# light stand-in). Qt is imported inside the fixtures: core tests must run without PySide6.

import pytest  # noqa: E402

from app_helpers import open_window  # noqa: E402


@pytest.fixture
def shown_errors(monkeypatch):
    """Error dialogs recorded as (title, message) instead of shown (a modal box would block the test)."""
    from gateviz.ui import errors

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(errors, "show_error", lambda parent, title, message: shown.append((title, message)))
    return shown


@pytest.fixture
def settings_dir(tmp_path, monkeypatch):
    """A fresh settings folder: no layout, theme or recent files from another test."""
    folder = tmp_path / "settings"
    monkeypatch.setenv("GATEVIZ_SETTINGS_DIR", str(folder))
    return folder


@pytest.fixture
def window(qtbot, settings_dir, shown_errors):
    """The main window on the bundled start-up model; ``window.shown_errors`` lists error dialogs."""
    w = open_window(qtbot)
    w.shown_errors = shown_errors
    yield w
    w.close()
