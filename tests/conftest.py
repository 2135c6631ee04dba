"""Test set-up shared by every test.

Qt must run offscreen and must learn that before anything imports it.
"""

import json
import os
import tempfile

# Offscreen Qt on a 1920x1200 screen (its default is 800x600, and the window keeps itself inside
# the screen's available area, so the app's tests would all run in a small window)
_SCREEN = os.path.join(tempfile.gettempdir(), f"gateviz-test-screen-{os.getuid()}.json")
with open(_SCREEN, "w") as _f:
    json.dump({"screens": [{"name": "test", "x": 0, "y": 0, "width": 1920, "height": 1200, "logicalDpi": 96,
                            "logicalBaseDpi": 96, "dpr": 1}]}, _f)
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"
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


@pytest.fixture(autouse=True)
def collect_garbage_between_tests():
    """Once a window has moved cycle collection onto the GUI thread's timer (gateviz.ui.runner),
    tests that never run an event loop would never collect: collect what is due after each test."""
    yield
    import sys

    runner = sys.modules.get("gateviz.ui.runner")
    if runner is not None and runner._gui_collector is not None:
        runner.collect_due_garbage()


@pytest.fixture(autouse=True)
def default_application_theme():
    """The theme's style sheet belongs to the whole application: a test that left presentation mode
    or the dark theme on (a window, an export) must not hand its fonts to the panels of later tests."""
    yield
    import sys

    if "gateviz.ui.theme" in sys.modules:  # only where a test used Qt (core tests never import it)
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            from gateviz.ui.state import Theme
            from gateviz.ui.theme import apply_theme, stylesheet

            default = Theme()
            if app.styleSheet() != stylesheet(default) or app.font().pointSize() != default.font_pt:
                apply_theme(default)  # restyling every widget costs: only when a test changed it
