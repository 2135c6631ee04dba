"""Keras masking in the panels (issue 14): the steps a Keras mask skips (``trace.meta["masked_steps"]``,
core/engine.py) are greyed wherever a panel has a time axis or shows one step. The gates recorded there
were computed but not used; h and c are carried over from the step before.

``masked_runs`` groups the steps into runs; ``MaskedSteps`` is one item per plot, created once and
updated in place, that greys those runs over the plot's whole visible height; ``paint_cell_veil``
veils the cell diagram at such a step.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter

from gateviz.core.view_products import masked_steps  # noqa: F401 (the panels' name)
from gateviz.ui.guard import guarded

MASKED_GREY = QColor(128, 128, 128, 170)  # over the steps a Keras mask skips
MASKED_BAND_ALPHA = 110  # behind line plots: lighter, so the lines over it stay readable
MASKED_NOTE = QT_TRANSLATE_NOOP("Panels", "masked step: state carried over")  # English; translate where drawn


def masked_runs(trace) -> list[tuple[int, int]]:
    """(first step, number of steps) of each run of steps a Keras mask skips in this (one-sequence) trace."""
    runs: list[tuple[int, int]] = []
    for t in masked_steps(trace):
        if runs and runs[-1][0] + runs[-1][1] == t:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((t, 1))
    return runs


class MaskedSteps(pg.GraphicsObject):
    """Grey bands over the masked steps of a plot whose x is the step (step t centred on x = t), as tall
    as the view shows, behind the curves. Added with ``plot.addItem(item, ignoreBounds=True)`` so it
    never widens the auto range; ``update_for(trace)`` sets the runs (none: nothing drawn)."""

    def __init__(self, alpha: int = MASKED_BAND_ALPHA):
        super().__init__()
        colour = QColor(MASKED_GREY)
        colour.setAlpha(alpha)
        self.brush = QBrush(colour)
        self.runs: list[tuple[int, int]] = []
        self.setZValue(-8)  # behind curves, cursors and markers
        self.setVisible(False)

    def update_for(self, trace) -> None:
        self.prepareGeometryChange()
        self.runs = masked_runs(trace)
        self.setVisible(bool(self.runs))
        self.update()

    def rects(self) -> list[QRectF]:
        """The grey rectangles in view (data) coordinates: x over the runs' steps, y over the view."""
        view = self.viewRect()
        if view is None or not self.runs:
            return []
        return [QRectF(first - 0.5, view.top(), n, view.height()) for first, n in self.runs]

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name): the bands follow the view's height
        super().viewTransformChanged()  # forgets the cached view rectangle
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        rect = QRectF()
        for r in self.rects():
            rect = rect.united(r)
        return rect

    @guarded
    def paint(self, painter, option, widget=None) -> None:
        painter.setPen(pg.mkPen(None))
        painter.setBrush(self.brush)
        for r in self.rects():
            painter.drawRect(r)


def add_masked_steps(plot: pg.PlotItem, trace, alpha: int = MASKED_BAND_ALPHA) -> MaskedSteps | None:
    """A MaskedSteps item on ``plot`` when ``trace`` has masked steps; None (nothing added) otherwise."""
    if not masked_runs(trace):
        return None
    item = MaskedSteps(alpha)
    plot.addItem(item, ignoreBounds=True)
    item.update_for(trace)
    return item


def paint_cell_veil(p: QPainter, panel, ts) -> tuple[QRectF, tuple[str, QRectF]]:
    """The cell diagram at a step a Keras mask skips: a grey veil over it (its gates were computed but
    not used; h and c are the step before's) and a note saying so on a plate of the background, over the
    gates' names (under their boxes and values: the names say least at such a step). Returns (veil,
    (note, its box)), widget coordinates."""
    veil = QRectF(panel.rect())
    colour = QColor(MASKED_GREY)
    colour.setAlpha(120)  # the values stay readable under it
    p.fillRect(veil, colour)
    p.setFont(ts.font())
    note = QCoreApplication.translate("Panels", MASKED_NOTE)
    width = p.fontMetrics().horizontalAdvance(note) + ts.em
    gates = list(panel.gate_rects().values())
    frames = [r for kind, r in panel.outlines() if kind == "frame"]
    y = (max(r.bottom() for r in gates) + frames[0].bottom()) / 2 if gates and frames else panel.height() / 2
    cx = frames[0].center().x() if frames else panel.width() / 2
    box = QRectF(cx - width / 2, y - (ts.line + 6) / 2, width, ts.line + 6)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(panel.bg)
    p.drawRoundedRect(box, 4, 4)
    p.setPen(panel.fg)
    p.drawText(box, Qt.AlignmentFlag.AlignCenter, note)
    return veil, (note, box)
