"""Views built offscreen: a ViewState and a panel or the dashboard, with no window.

The CLI uses this on machines with no display; the app uses ``clone_state`` +
``build_view`` to render a figure or an animation at any size from a private copy of
its state, so exporting never resizes the user's window or moves its time cursor.
"""

from __future__ import annotations

import os
import sys

PANEL_IDS = ("dashboard", "heatmaps", "cell", "traces", "io", "saturation")
# logical layout size of a view exported with neither --size nor --dpi
NATURAL_SIZES = {"dashboard": (1280, 800), "heatmaps": (960, 720), "cell": (960, 600), "traces": (960, 540),
                 "io": (960, 480), "saturation": (640, 560)}


def ensure_app():
    """The QApplication, created offscreen when there is no display to show anything on."""
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "gateviz"])
        app.setApplicationName("gateviz")
    return app


def clone_state(state):
    """A new ViewState showing the same thing as ``state`` (not linked to it)."""
    from gateviz.ui.state import ViewState

    copy = ViewState()
    copy.theme = state.theme
    copy.layer, copy.direction = state.layer, state.direction
    copy.pinned = list(state.pinned)
    copy.row_order = None if state.row_order is None else state.row_order.copy()
    copy.step = state.step
    if state.trace is not None:
        copy.set_trace(state.model, state.trace, state.sequence, state.task)
        copy.row_order = None if state.row_order is None else state.row_order.copy()
    return copy


def build_view(state, panel_id: str = "dashboard"):
    """The dashboard or one panel, drawing ``state``; a parentless widget, not shown."""
    from gateviz.export.files import ExportError

    ensure_app()
    if panel_id == "dashboard":
        from gateviz.ui.dashboard import Dashboard

        widget = Dashboard(state)
    else:
        from gateviz.ui.panels import PANEL_CLASSES

        if panel_id not in PANEL_CLASSES:
            raise ExportError(f"unknown panel {panel_id!r}; choose one of {', '.join(PANEL_IDS)}")
        widget = PANEL_CLASSES[panel_id](state)
    width, height = NATURAL_SIZES.get(panel_id, (960, 600))
    widget.resize(width, height)
    return widget
