"""The cell diagram's marks for interventions (issue 13): which of the shown unit's gates and states an
enabled intervention replaces at the current step, drawn as a dashed vermillion outline and a small
padlock on each replaced gate, and one line naming them where the diagram leaves room. The values the
diagram shows are the intervened run's; these marks only say which of them were set by hand."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from gateviz.core.interventions import QUANTITY_WORDS

from . import notation
from .overlay import CLAMP_COLOUR, clamped_units


def find(state, layer_data: dict[str, np.ndarray], unit: int, step: int) -> tuple[list[str], list[str]]:
    """(gate symbols to mark, every replaced quantity in words) that the trace's interventions replace
    for ``unit`` at ``step``: (["f"], ["forget gate f"])."""
    gates, words = [], []
    if not state.trace.meta.get("interventions"):  # a plain run: nothing replaced
        return gates, words
    for quantity, a in layer_data.items():  # a: (T, units)
        if not clamped_units(state, quantity, step, a.shape[-1])[unit]:
            continue
        words.append(QUANTITY_WORDS.get(quantity, quantity))
        if quantity not in ("cell_state", "hidden_state"):  # c and h have no box to outline
            gates.append(notation.symbol(quantity, state.theme.gru_convention))
    return gates, words


def paint(p: QPainter, panel, ts) -> str | None:
    """Draw the marks of ``panel`` (a CellDiagramPanel: its clamp_marks, clamped_states, gate_rects);
    returns the line drawn, None when there is none or no room for it."""
    if not panel.clamp_marks and not panel.clamped_states:
        return None
    p.save()
    try:  # restored whatever happens: a painter ended with a saved state warns and leaks it
        return _draw(p, panel, ts, QColor(CLAMP_COLOUR))
    finally:
        p.restore()


def _draw(p: QPainter, panel, ts, colour: QColor) -> str | None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    rects = panel.gate_rects()
    for symbol in panel.clamp_marks:
        rect = rects.get(symbol)
        if rect is not None:
            _lock(p, rect, ts, colour, panel.bg)
    bounds = panel.scene().bounds()  # the line goes where the diagram leaves room: below, else above it
    if panel.height() - bounds.bottom() >= ts.line + 8:
        top = panel.height() - ts.line - 6
    elif bounds.top() >= ts.line + 8:
        top = 4.0
    else:
        return None  # no room: the outlines and padlocks say it
    what = ", ".join(panel.clamped_states)
    line = QCoreApplication.translate("CellDiagram", "intervention: replaced at step {step} (unit {unit}): {what}").format(
        step=panel.step, unit=panel.unit, what=what)
    p.setPen(colour)
    p.setFont(ts.font())
    p.drawText(QRectF(8, top, panel.width() - 16, ts.line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               line)
    return line


def _lock(p: QPainter, rect: QRectF, ts, colour: QColor, background: QColor) -> None:
    """A dashed outline around a gate's box and a padlock on its top right corner."""
    p.setPen(QPen(colour, max(2.0, ts.em * 0.14), Qt.PenStyle.DashLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), 6, 6)
    size = max(18.0, ts.em * 1.4)
    body = QRectF(rect.right() - size * 0.45, rect.top() - size * 0.2, size * 0.8, size * 0.6)
    p.setPen(QPen(colour, max(2.0, size * 0.13)))
    shackle = QRectF(body.left() + body.width() * 0.22, body.top() - body.height() * 0.6,
                     body.width() * 0.56, body.height() * 1.2)
    p.drawArc(shackle, 0, 180 * 16)
    p.setBrush(colour)
    p.setPen(QPen(background, 1))
    p.drawRoundedRect(body, 2, 2)
    p.setBrush(background)  # the keyhole
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(body.center(), body.height() * 0.14, body.height() * 0.14)
