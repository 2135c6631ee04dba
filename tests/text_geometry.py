"""Where text lands on screen: every visible label's rectangle in a widget, for tests that check
what a person sees (no two labels overlap, no label is cut off by its panel).

    boxes = text_boxes(window.dashboard)        # [TextBox(text, rect, clip, owner), ...]
    assert not overlapping(boxes)
    assert not clipped(boxes)

Covered: QLabel widgets; in pyqtgraph views, axis tick labels (the rectangles the axis itself
computes for painting, ``AxisItem.generateDrawSpecs``), axis labels, plot titles (LabelItem),
TextItems, legends, any QGraphicsTextItem / QGraphicsSimpleTextItem; custom-painted widgets
that describe their own text with ``text_boxes() -> [(text, QRectF in widget coordinates)]``
(the cell diagram). Rectangles are in the coordinates of the widget passed in (logical pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from PySide6.QtGui import Qt as QtGuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtWidgets import (QAbstractButton, QCheckBox, QGraphicsSimpleTextItem, QGraphicsTextItem, QGraphicsView,
                               QLabel, QRadioButton, QStyle, QWidget)


@dataclass
class TextBox:
    text: str
    rect: QRectF  # the text's ink-ish box (its line boxes), in the root widget's coordinates
    clip: QRectF  # the area it must stay inside (its view's viewport, its label's parent), same coordinates
    owner: str  # which panel / widget it belongs to, for messages

    def __repr__(self) -> str:
        r = self.rect
        return f"<{self.owner}: {self.text!r} at ({r.x():.0f},{r.y():.0f}) {r.width():.0f}x{r.height():.0f}>"


def _owner(widget: QWidget, root: QWidget) -> str:
    w = widget
    while w is not None and w is not root:
        if w.objectName().startswith("panel_"):
            return w.objectName()[len("panel_"):]
        w = w.parentWidget()
    return type(widget).__name__


def _widget_rect(widget: QWidget, root: QWidget, rect: QRectF) -> QRectF:
    offset = widget.mapTo(root, QPoint(0, 0))
    return rect.translated(offset.x(), offset.y())


def _visible_in(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) or widget is root


def _label_boxes(label: QLabel, root: QWidget) -> list[TextBox]:
    text = label.text()
    if not text or not _visible_in(label, root) or label.width() <= 0:
        return []
    if QtGuiQt.mightBeRichText(text) or label.textFormat() == Qt.TextFormat.RichText:
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setHtml(text)
        plain = doc.toPlainText()
    else:
        plain = text
    if not plain.strip():
        return []
    fm = QFontMetricsF(label.font())
    area = QRectF(label.contentsRect())
    flags = label.alignment().value
    if label.wordWrap():
        flags |= Qt.TextFlag.TextWordWrap.value
    br = fm.boundingRect(area, flags, plain)
    clip = _widget_rect(label, root, QRectF(label.rect()))  # a label cuts its text at its own edges
    parent = label.parentWidget()
    if parent is not None and parent is not root:  # ... and its parent cuts the label
        clip = clip.intersected(_widget_rect(parent, root, QRectF(parent.rect())))
    return [TextBox(plain, _widget_rect(label, root, br), clip, _owner(label, root))]


def _button_boxes(button: QAbstractButton, root: QWidget) -> list[TextBox]:
    """A push button's, check box's or tool button's text: clipped when the button is narrower than it."""
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text.strip() or not _visible_in(button, root):
        return []
    fm = QFontMetricsF(button.font())
    width = fm.horizontalAdvance(text)
    if not button.icon().isNull():
        width += button.iconSize().width() + 4
    style = button.style()
    if isinstance(button, (QCheckBox, QRadioButton)):
        width += style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, button) \
            + style.pixelMetric(QStyle.PixelMetric.PM_CheckBoxLabelSpacing, None, button)
        x = 0.0
    else:
        width += 8  # the smallest frame a button draws around its text
        x = max(0.0, (button.width() - width) / 2)  # centred
    rect = QRectF(button.rect())
    text_rect = QRectF(x, rect.center().y() - fm.height() / 2, width, fm.height())
    return [TextBox(text, _widget_rect(button, root, text_rect), _widget_rect(button, root, rect),
                    _owner(button, root))]


_PAINTER_IMAGE = None


def _painter() -> QPainter:
    """A painter for AxisItem.generateDrawSpecs (it measures text with the painter's font)."""
    global _PAINTER_IMAGE
    if _PAINTER_IMAGE is None:
        _PAINTER_IMAGE = QImage(8, 8, QImage.Format.Format_ARGB32)
    return QPainter(_PAINTER_IMAGE)


def _scene_rect_to_root(view: QGraphicsView, root: QWidget, rect: QRectF) -> QRectF:
    poly = view.mapFromScene(rect)
    r = QRectF(poly.boundingRect())
    offset = view.viewport().mapTo(root, QPoint(0, 0))
    return r.translated(offset.x(), offset.y())


def _text_item_rect(item) -> QRectF:
    """A QGraphicsTextItem's text, without the document margin around it."""
    br = item.boundingRect()
    m = item.document().documentMargin()
    return br.adjusted(m, m, -m, -m)


def _graphics_boxes(view: QGraphicsView, root: QWidget) -> list[TextBox]:
    if not _visible_in(view, root):
        return []
    owner = _owner(view, root)
    viewport = view.viewport()
    offset = viewport.mapTo(root, QPoint(0, 0))
    clip = QRectF(viewport.rect()).translated(offset.x(), offset.y())
    boxes = []
    for item in view.items():
        if not item.isVisible() or item.opacity() == 0:
            continue
        if isinstance(item, pg.AxisItem):
            if not item.style.get("showValues", True):
                continue
            painter = _painter()
            try:
                specs = item.generateDrawSpecs(painter)
            finally:
                painter.end()
            if specs is None:
                continue
            for rect, _flags, text in specs[2]:
                if text:
                    scene = item.mapRectToScene(QRectF(rect))
                    boxes.append(TextBox(text, _scene_rect_to_root(view, root, scene), clip, owner))
        elif isinstance(item, QGraphicsTextItem):
            text = item.toPlainText()
            if text.strip():
                scene = item.mapRectToScene(_text_item_rect(item))
                boxes.append(TextBox(text, _scene_rect_to_root(view, root, scene), clip, owner))
        elif isinstance(item, QGraphicsSimpleTextItem):
            text = item.text()
            if text.strip():
                scene = item.mapRectToScene(item.boundingRect())
                boxes.append(TextBox(text, _scene_rect_to_root(view, root, scene), clip, owner))
    return boxes


def text_boxes(root: QWidget) -> list[TextBox]:
    """Every visible text inside ``root`` (itself included), in ``root``'s coordinates."""
    boxes: list[TextBox] = []
    widgets = [root] + root.findChildren(QWidget)
    for w in widgets:
        if w is not root and not w.isVisibleTo(root):
            continue
        if isinstance(w, QLabel):
            boxes += _label_boxes(w, root)
        elif isinstance(w, QAbstractButton):
            boxes += _button_boxes(w, root)
        elif isinstance(w, QGraphicsView):
            boxes += _graphics_boxes(w, root)
        describe = getattr(w, "text_boxes", None)
        if callable(describe):
            clip = _widget_rect(w, root, QRectF(w.rect()))
            for text, rect in describe():
                boxes.append(TextBox(text, _widget_rect(w, root, QRectF(rect)), clip, _owner(w, root)))
    return boxes


def overlapping(boxes: list[TextBox], tolerance: float = 1.0) -> list[tuple[TextBox, TextBox]]:
    """Pairs of boxes that share more than ``tolerance`` pixels in both directions."""
    pairs = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            inter = a.rect.intersected(b.rect)
            if inter.width() > tolerance and inter.height() > tolerance:
                pairs.append((a, b))
    return pairs


def clipped(boxes: list[TextBox], tolerance: float = 1.0) -> list[TextBox]:
    """Boxes that reach more than ``tolerance`` pixels outside the area they are drawn in."""
    out = []
    for b in boxes:
        r, c = b.rect, b.clip
        if (r.left() < c.left() - tolerance or r.top() < c.top() - tolerance
                or r.right() > c.right() + tolerance or r.bottom() > c.bottom() + tolerance):
            out.append(b)
    return out


def plot_heights(root: QWidget) -> dict[str, list[float]]:
    """Each visible pyqtgraph view box's height in pixels, by owner: a plot squeezed flat shows here."""
    heights: dict[str, list[float]] = {}
    for view in root.findChildren(QGraphicsView):
        if not view.isVisibleTo(root) and view is not root:
            continue
        owner = _owner(view, root)
        for item in view.items():
            if isinstance(item, pg.ViewBox) and item.isVisible():
                heights.setdefault(owner, []).append(float(item.sceneBoundingRect().height()))
    return heights
