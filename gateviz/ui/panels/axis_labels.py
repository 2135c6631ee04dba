"""An axis re-sets its label's HTML only when the HTML changes.

pyqtgraph's ``AxisItem.setRange`` (every pan, zoom, resize and data change of a linked view) calls
``updateAutoSIPrefix``, which ends in ``_updateLabel``: ``QGraphicsTextItem.setHtml`` re-parses
and re-lays out the label's text document and the axis re-measures its size, even when the label
reads exactly as before. Opening the bundled model made ~1,500 of these calls on the GUI thread.

Here ``_updateLabel`` keeps the HTML it last set and skips the parse and the re-measure when the
new HTML is the same; the axis's cached drawing is still dropped, because the range (and so the
ticks) changed. A changed label text, unit, SI prefix, colour or font size changes the HTML, so it
is set as before.
"""

from __future__ import annotations

import pyqtgraph as pg

_SHOWN_HTML = "_gateviz_label_html"  # the HTML the axis's label item holds


def _update_label_when_changed(axis: pg.AxisItem) -> None:
    html = axis.labelString()
    if getattr(axis, _SHOWN_HTML, None) != html:
        axis.label.setHtml(html)
        setattr(axis, _SHOWN_HTML, html)
        axis._adjustSize()
    axis.picture = None
    axis.update()


def install() -> None:
    """Make every AxisItem (ours and pyqtgraph's own, e.g. a ColorBarItem's) skip unchanged labels."""
    pg.AxisItem._updateLabel = _update_label_when_changed
