"""The original run beside the intervened one (issue 13): what the panels share to draw it.

``state.trace`` is the intervened run and ``state.original`` the same input without interventions
(None when none is enabled). Panels draw the intervened run as they always do and, while
``comparing(state)``, the original beside it: a faint dashed line in the same colour (``original_pen``),
named "original" in a legend (``legend_pair``). Heatmaps may show intervened − original instead
(``showing_difference``). Clamped gates are marked from ``clamped_units``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor

from gateviz.core.interventions import parse_all
from gateviz.core.nonfinite import max_abs_finite
from gateviz.ui.state import displayed_differs

ORIGINAL_ALPHA = 0.6  # the original's lines: the same colour, this opaque, dashed
CLAMP_COLOUR = "#D55E00"  # Okabe-Ito vermillion: clamped gates and units


def comparing(state) -> bool:
    """Is the original run drawn beside the intervened one (there is one, and the user wants it)?"""
    return state.trace is not None and state.original is not None and state.show_original


def showing_difference(state) -> bool:
    """Do the heatmaps show intervened − original?"""
    return state.trace is not None and state.original is not None and state.show_difference


def original_displayed(state, quantity: str, layer: int | None = None, direction: str | None = None) -> np.ndarray:
    """(T, units) of the original run as the panels show it (``ViewState.displayed`` for ``original``)."""
    layer = state.layer if layer is None else layer
    direction = state.direction if direction is None else direction
    a = state.original.get(layer, direction, quantity)
    if displayed_differs(state.original.cell, quantity, state.theme.gru_convention):
        return 1.0 - a  # the textbook's z
    return a


def faint(colour, alpha: float = ORIGINAL_ALPHA) -> QColor:
    c = QColor(colour)
    c.setAlphaF(alpha)
    return c


def original_pen(colour, theme, scale: float = 1.0, style=Qt.PenStyle.DashLine):
    """The original run's line: ``colour`` made faint, dashed, as wide as the intervened one."""
    return pg.mkPen(faint(colour), width=theme.line_width * scale, style=style)


def legend_pair(colour: str, theme, now: str | None = None, was: str | None = None) -> str:
    """"━ intervened  ┅ original" in the line's colour (the original faint), for titles and captions."""
    now = QCoreApplication.translate("IO", "intervened") if now is None else now
    was = QCoreApplication.translate("IO", "original") if was is None else was
    c = QColor(colour)
    was_colour = f"rgba({c.red()},{c.green()},{c.blue()},{ORIGINAL_ALPHA})"
    return (f"<span style='color:{colour}'>━ {now}</span>&nbsp; "
            f"<span style='color:{was_colour}'>┅ {was}</span>")


def symmetric_levels(a: np.ndarray) -> tuple[float, float]:
    """±L for a difference: L = max |finite value| rounded up to 2 significant digits; ±1 when all zero."""
    m = max_abs_finite(a, default=0.0)
    if not m > 0:
        return (-1.0, 1.0)
    digits = 1 - int(np.floor(np.log10(m)))
    lim = float(np.ceil(m * 10 ** digits) / 10 ** digits)
    return (-lim, lim)


def applied(state) -> list:
    """The interventions whose replaced values the panels show: those the shown trace was made with
    (``meta["interventions"]``, the enabled ones of ``state.interventions`` once re-traced). Not the list
    itself: while a re-trace is under way the marks would claim values the trace does not hold yet."""
    specs = state.trace.meta.get("interventions") if state.trace is not None else None
    return parse_all(specs) if specs else []


def clamped_units(state, quantity: str, step: int, width: int) -> np.ndarray:
    """(width,) bool: the units of ``quantity`` (current layer and direction) that an applied intervention
    replaces at ``step``."""
    mask = np.zeros(width, dtype=bool)
    for iv in applied(state):
        if (iv.layer, iv.direction, iv.quantity) != (state.layer, state.direction, quantity):
            continue
        if not ((iv.start is None or step >= iv.start) and (iv.stop is None or step < iv.stop)):
            continue
        if iv.units is None:
            mask[:] = True
        else:
            mask[[u for u in iv.units if u < width]] = True
    return mask


def clamped_anywhere(state, quantity: str, width: int) -> np.ndarray:
    """(width,) bool: the units of ``quantity`` an applied intervention replaces at some step."""
    mask = np.zeros(width, dtype=bool)
    for iv in applied(state):
        if (iv.layer, iv.direction, iv.quantity) == (state.layer, state.direction, quantity):
            if iv.units is None:
                mask[:] = True
            else:
                mask[[u for u in iv.units if u < width]] = True
    return mask


def was_now(now, was, fmt: str = "{}") -> str:
    """"was 7 → now 3" when the intervention changed a readout, "3 (as in the original)" when it did
    not, the value alone without an original (``was`` None)."""
    if was is None:
        return fmt.format(now)
    if now == was:
        return QCoreApplication.translate("IO", "{value} (as in the original)").format(value=fmt.format(now))
    return "<b>" + QCoreApplication.translate("IO", "was {was} → now {now}").format(
        was=fmt.format(was), now=fmt.format(now)) + "</b>"
