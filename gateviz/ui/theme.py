"""Applying a Theme to the Qt application: stylesheet, palette, font size.

The panels restyle their own plots on ``ViewState.themeChanged``; this module styles
everything around them (menus, controls, dialogs). Stylesheets live in
``resources/styles/{light,dark}.qss`` with ``@FONT_PT@`` standing for the font size.
"""

from __future__ import annotations

import sys
from functools import lru_cache

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from gateviz.paths import resource
from gateviz.ui.fonts import with_cjk_fallback
from gateviz.ui.state import Theme

THEME_NAMES = ("light", "dark")
COLORMAPS = ("viridis", "cividis", "magma")  # perceptually uniform and colour-blind safe


@lru_cache(maxsize=None)
def _stylesheet_template(name: str) -> str:
    path = resource("styles", f"{name}.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""  # a missing stylesheet leaves Qt's default look; never fatal


def stylesheet(theme: Theme) -> str:
    return _stylesheet_template(theme.name).replace("@FONT_PT@", str(theme.font_pt))


def palette(theme: Theme) -> QPalette:
    pal = QPalette()
    bg, fg = QColor(theme.background), QColor(theme.foreground)
    base = QColor("#ffffff") if theme.name == "light" else QColor("#2d2d30")
    window = QColor("#f5f5f5") if theme.name == "light" else QColor("#252526")
    for role, colour in ((QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, fg),
                         (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, bg),
                         (QPalette.ColorRole.Text, fg), (QPalette.ColorRole.Button, window),
                         (QPalette.ColorRole.ButtonText, fg), (QPalette.ColorRole.ToolTipBase, base),
                         (QPalette.ColorRole.ToolTipText, fg), (QPalette.ColorRole.Highlight, QColor("#0072B2")),
                         (QPalette.ColorRole.HighlightedText, QColor("#ffffff"))):
        pal.setColor(role, colour)
    return pal


def apply_theme(theme: Theme, app: QApplication | None = None) -> None:
    """Style the whole application for ``theme`` (idempotent, cheap)."""
    app = app or QApplication.instance()
    if app is None:
        return
    app.setPalette(palette(theme))
    font = with_cjk_fallback(app.font())  # Chinese draws with the bundled font where the system has none
    font.setPointSize(theme.font_pt)
    app.setFont(font)
    app.setStyleSheet(stylesheet(theme))
    if "pyqtgraph" in sys.modules:  # new plots (dialogs) follow the theme; never import it just for this
        import pyqtgraph as pg

        pg.setConfigOptions(background=theme.background, foreground=theme.foreground, antialias=True)
