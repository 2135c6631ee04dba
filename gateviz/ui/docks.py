"""The window's docks (controls, interventions, unit importance) made one way."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget,
             area: Qt.DockWidgetArea = Qt.DockWidgetArea.LeftDockWidgetArea) -> QDockWidget:
    """A movable, closable, floatable dock holding ``widget``; ``name`` is its object name, under
    which the window's saved state restores where the user put it. ``title``: the English source in
    context "Docks" (mark it with QT_TRANSLATE_NOOP("Docks", ...)); it follows the language."""
    from gateviz.ui import i18n

    dock = QDockWidget(window)
    i18n.bind(dock, "setWindowTitle", "Docks", title)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(area, dock)
    return dock
