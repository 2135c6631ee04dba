"""A widget (one panel or the whole dashboard) as a figure: PNG, SVG, PDF, clipboard.

How sizes work. A widget is laid out at a *logical* size (what Qt calls device-
independent pixels, 96 per inch) and painted at a *scale* onto the output, so text
keeps its point size relative to the picture: a 10 pt label on a 300-dpi print is
10 pt on paper, not 10 screen pixels lost in 3000. ``plan_render`` picks both:

    size only   (W, H) pixels; laid out at W/s x H/s with s = max(1, min(W/1280, H/720)),
                so a 1920x1080 slide is a 1280x720 layout drawn at 1.5x; pictures smaller
                than 480x300 are a 480x300-or-larger layout drawn scaled down
    dpi only    the widget's own logical size, drawn at s = dpi/96
    both        (W, H) pixels at s = dpi/96
    neither     the widget's own size at 1x

SVG and PDF draw the same layout with real vectors (QSvgGenerator, QPdfWriter; the
pyqtgraph SVG exporter is broken on PySide6 >= 6.11, design.md "Known traps");
heatmaps stay images inside them, axes, curves, text and shapes are paths and text.

The widget passed in is resized to the logical size: give an offscreen copy
(``headless.build_view``), not a panel living in the user's window, unless you
render it at its current size (the clipboard does).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPoint, QPointF, QRect, QSize, QSizeF, Qt
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QGuiApplication, QImage, QPageSize, QPainter, QPdfWriter, QPen, QPolygonF
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QAbstractGraphicsShapeItem, QApplication, QGraphicsItem, QGraphicsLineItem,
                               QGraphicsPolygonItem, QGraphicsView, QWidget)

from .files import ExportError, atomic_target
from .svg_compat import make_file_portable
from .svg_text import file_cjk_text_to_paths

BASE_DPI = 96.0
SLIDE_LAYOUT = (1280, 720)  # a slide-sized picture is laid out at this logical size, then scaled
# smaller pictures (thumbnails, small GIFs) are laid out at least this large and drawn scaled
# down, so plots keep their room instead of collapsing to titles
MIN_LAYOUT = (480, 300)
PRESETS = {
    "slide": {"size": (1920, 1080), "dpi": None, "label": "Slide 1920×1080"},
    "print": {"size": None, "dpi": 300, "label": "Print 300 dpi"},
}
MAX_PIXELS = 16384  # per side; QImage and viewers struggle beyond


@dataclass(frozen=True)
class RenderPlan:
    logical: tuple[int, int]  # the widget's layout size (device-independent pixels)
    scale: float  # output pixels per logical pixel
    pixels: tuple[int, int]  # output size in pixels (PNG, frames)

    @property
    def dpi(self) -> float:
        return BASE_DPI * self.scale


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' -> (1920, 1080); ExportError for anything else."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise ExportError(f"bad size {text!r}; give WIDTHxHEIGHT in pixels, e.g. 1920x1080") from None
    check_size((w, h))
    return w, h


MAX_AREA = 120_000_000  # pixels: a 480 MB image; beyond that memory, not detail, is the limit


def check_size(size: tuple[int, int]) -> None:
    w, h = size
    if not (16 <= w <= MAX_PIXELS and 16 <= h <= MAX_PIXELS):
        raise ExportError(f"bad size {w}x{h}; width and height must lie between 16 and {MAX_PIXELS} pixels")
    if w * h > MAX_AREA:
        raise ExportError(f"{w}x{h} is {w * h / 1e6:.0f} megapixels, more than the {MAX_AREA // 1_000_000} "
                          "gateviz renders; choose a smaller size or a lower dpi (SVG and PDF scale freely)")


def plan_render(natural: tuple[int, int], size: tuple[int, int] | None = None, dpi: float | None = None,
                minimum: tuple[int, int] = (0, 0)) -> RenderPlan:
    """Choose the logical layout size and the scale (see the module docstring).

    ``natural``: the widget's own logical size; ``minimum``: the smallest layout it
    accepts (the scale drops below the rule when the rule would squeeze it smaller).
    """
    if dpi is not None and not 10 <= dpi <= 2400:
        raise ExportError(f"bad dpi {dpi:g}; give a resolution between 10 and 2400")
    if size is not None:
        check_size(size)
        W, H = size
        s = dpi / BASE_DPI if dpi else max(1.0, min(W / SLIDE_LAYOUT[0], H / SLIDE_LAYOUT[1]))
        min_w, min_h = max(minimum[0], MIN_LAYOUT[0]), max(minimum[1], MIN_LAYOUT[1])
        s = min(s, W / min_w, H / min_h) if (W / s < min_w or H / s < min_h) else s
        return RenderPlan((max(1, round(W / s)), max(1, round(H / s))), s, (W, H))
    s = dpi / BASE_DPI if dpi else 1.0
    w, h = natural
    pixels = (max(1, round(w * s)), max(1, round(h * s)))
    check_size(pixels)
    return RenderPlan((w, h), s, pixels)


def natural_size(widget: QWidget) -> tuple[int, int]:
    """The widget's logical size now, or its size hint while it has never been laid out."""
    size = widget.size() if widget.testAttribute(Qt.WidgetAttribute.WA_Resized) else widget.sizeHint()
    return max(size.width(), 64), max(size.height(), 64)


def prepare_widget(widget: QWidget, logical: tuple[int, int]) -> None:
    """Lay the widget out at ``logical`` size, offscreen if it is not shown yet."""
    if widget.isVisible() and (widget.width(), widget.height()) == logical:
        return  # laid out already (the frames of an animation after the first)
    if not widget.isVisible():
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        widget.show()
    widget.resize(*logical)
    QApplication.processEvents()  # let layouts and pyqtgraph's view boxes settle at the new size
    if (widget.width(), widget.height()) != logical:
        raise ExportError(f"this view cannot be laid out at {logical[0]}x{logical[1]} (it needs at least "
                          f"{widget.minimumWidth()}x{widget.minimumHeight()}); choose a larger size or a lower dpi")


def _scaled_pen(pen: QPen, factor: float) -> QPen | None:
    """A cosmetic pen (width in device pixels) made ``factor`` times wider; None if not cosmetic."""
    if pen is None or not pen.isCosmetic() or pen.style() == Qt.PenStyle.NoPen:
        return None
    wider = QPen(pen)
    wider.setWidthF(max(pen.widthF(), 1.0) * factor)
    return wider


def _thicken_lines(items, factor: float) -> list:
    """Widen the cosmetic pens of lines, curves and shapes so that a picture drawn at ``factor``
    times the screen's pixels keeps the lines' weight (pyqtgraph's pens are cosmetic: always
    N device pixels, hairlines on a 300-dpi print). Returns undo callables."""
    undo = []
    for item in items:
        if isinstance(item, pg.PlotCurveItem):
            for key in ("pen", "shadowPen"):
                pen = item.opts.get(key)
                wider = _scaled_pen(pen, factor) if isinstance(pen, QPen) else None
                if wider is not None:
                    item.opts[key] = wider
                    undo.append(lambda item=item, key=key, pen=pen: item.opts.__setitem__(key, pen))
        elif isinstance(item, pg.InfiniteLine):
            pen, current = item.pen, item.currentPen
            wider = _scaled_pen(pen, factor)
            if wider is not None:
                item.pen = wider
                item.currentPen = wider if current is pen else current
                undo.append(lambda item=item, pen=pen, current=current: (setattr(item, "pen", pen),
                                                                         setattr(item, "currentPen", current)))
        elif isinstance(item, (QAbstractGraphicsShapeItem, QGraphicsLineItem)):
            pen = item.pen()
            wider = _scaled_pen(pen, factor)
            if wider is not None:
                item.setPen(wider)
                undo.append(lambda item=item, pen=pen: item.setPen(pen))
    return undo


@contextlib.contextmanager
def export_mode(widget: QWidget, scale: float, transparent: bool = False):
    """While painting a figure: pyqtgraph's export mode (hides the auto-range button,
    antialiases curves), lines as heavy as on screen at the output scale, and no
    backgrounds when transparent."""
    views = ([widget] if isinstance(widget, QGraphicsView) else []) + widget.findChildren(QGraphicsView)
    all_items = [item for view in views for item in view.items()]
    items = [item for item in all_items if hasattr(item, "setExportMode")]
    opts = {"antialias": True}
    saved_brushes = []
    saved_fill = []
    undo = []
    try:
        for item in items:
            item.setExportMode(True, opts)
        if scale >= 1.25:
            undo = _thicken_lines(all_items, scale)
        if transparent:
            for view in views:
                # the background cache is filled with the opaque palette colour first: bypass it
                saved_brushes.append((view, view.backgroundBrush(), view.cacheMode()))
                view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
                view.setBackgroundBrush(QBrush(Qt.BrushStyle.NoBrush))
            for w in [widget] + widget.findChildren(QWidget):
                if w.autoFillBackground():
                    saved_fill.append(w)
                    w.setAutoFillBackground(False)
        yield
    finally:
        for item in items:
            with contextlib.suppress(RuntimeError):  # an item deleted meanwhile
                item.setExportMode(False)
        for restore in undo:
            with contextlib.suppress(RuntimeError):
                restore()
        for view, brush, cache in saved_brushes:
            view.setBackgroundBrush(brush)
            view.setCacheMode(cache)
            view.resetCachedContent()
        for w in saved_fill:
            w.setAutoFillBackground(True)


@contextlib.contextmanager
def vector_painting(widget: QWidget):
    """For SVG/PDF: no pixmap caches, so items paint real vectors. A graphics item with a
    cache mode (panels cache static curves), or a view caching its background, would
    otherwise land in the file as an embedded bitmap. Images are embedded losslessly
    (QPdfWriter stores them as JPEG otherwise: heatmap cells off by up to 20/255); each
    view sets its own render hints when it paints, so the hint is set on the views."""
    views = ([widget] if isinstance(widget, QGraphicsView) else []) + widget.findChildren(QGraphicsView)
    lossless = QPainter.RenderHint.LosslessImageRendering
    saved_views = [(view, view.cacheMode(), bool(view.renderHints() & lossless)) for view in views]
    saved_items = []
    try:
        for view in views:
            view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
            view.setRenderHint(lossless, True)
            for item in view.items():
                if item.cacheMode() != QGraphicsItem.CacheMode.NoCache:
                    saved_items.append((item, item.cacheMode()))
                    item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        yield
    finally:
        for item, mode in saved_items:
            with contextlib.suppress(RuntimeError):
                item.setCacheMode(mode)
        for view, mode, was_lossless in saved_views:
            with contextlib.suppress(RuntimeError):
                view.setCacheMode(mode)
                view.setRenderHint(lossless, was_lossless)


STEP_MARK_HEIGHT = 7.0  # logical px: the triangle that marks a heatmap's step column in a still figure


def _cursors_over_images(views) -> list[tuple]:
    """(view box, vertical lines) of every plot whose time cursor lies over an image (a heatmap)."""
    found = []
    for view in views:
        for item in view.items():
            if not isinstance(item, pg.ViewBox) or not item.isVisible():
                continue
            added = getattr(item, "addedItems", [])
            if not any(isinstance(i, pg.ImageItem) and i.isVisible() and i.image is not None for i in added):
                continue
            lines = [i for i in added if isinstance(i, pg.InfiniteLine) and i.angle == 90 and i.isVisible()
                     and not getattr(i, "stays_in_figures", False)]  # e.g. the encoder|decoder boundary
            if lines:
                found.append((item, lines))
    return found


@contextlib.contextmanager
def step_marks(widget: QWidget):
    """For still figures: a time cursor drawn over a heatmap hides the step's column (all of it
    once columns are a few pixels wide), and the last step, where the prediction is, is the
    default. Such cursors are hidden and the column is marked instead by a triangle under the
    plot, on its time axis, pointing up at it; no cell is covered. Line plots keep their cursor
    (the dots mark the values there). Call after the widget is laid out."""
    views = ([widget] if isinstance(widget, QGraphicsView) else []) + widget.findChildren(QGraphicsView)
    hidden, added = [], []
    try:
        for vb, lines in _cursors_over_images(views):
            widest = max(lines, key=lambda line: line.pen.widthF())  # the halo: contrasts with the background
            colour = widest.pen.color()
            rect = vb.sceneBoundingRect()
            for value in sorted({float(line.value()) for line in lines}):
                x = vb.mapViewToScene(QPointF(value, 0)).x()
                if not rect.left() - 0.5 <= x <= rect.right() + 0.5:
                    continue
                h, top = STEP_MARK_HEIGHT, rect.bottom() + 1.0
                mark = QGraphicsPolygonItem(QPolygonF([QPointF(x, top), QPointF(x - 0.75 * h, top + h),
                                                       QPointF(x + 0.75 * h, top + h)]))
                mark.setPen(QPen(Qt.PenStyle.NoPen))
                mark.setBrush(QBrush(colour))
                mark.setZValue(1e6)
                vb.scene().addItem(mark)
                added.append(mark)
            for line in lines:
                line.setVisible(False)
                hidden.append(line)
        yield
    finally:
        for mark in added:
            with contextlib.suppress(RuntimeError):
                mark.scene().removeItem(mark)
        for line in hidden:
            with contextlib.suppress(RuntimeError):
                line.setVisible(True)


def _render_flags(transparent: bool):
    flags = QWidget.RenderFlag.DrawChildren
    if not transparent:
        flags |= QWidget.RenderFlag.DrawWindowBackground
    return flags


def paint_widget(widget: QWidget, painter: QPainter, transparent: bool = False) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    widget.render(painter, QPoint(0, 0), QRect(0, 0, widget.width(), widget.height()), _render_flags(transparent))


def render_image(widget: QWidget, plan: RenderPlan, *, transparent: bool = False,
                 target: QImage | None = None, in_export_mode: bool = False, still: bool = False) -> QImage:
    """Paint the widget at the plan's size into a QImage (ARGB32 premultiplied; RGB32 reused if given).

    ``in_export_mode``: the caller holds ``export_mode`` already (an animation holds it for
    all its frames, so items' caches survive from one frame to the next); ``still``: a
    still picture, whose heatmap steps are marked beside the data (``step_marks``)."""
    prepare_widget(widget, plan.logical)
    W, H = plan.pixels
    image = target
    if image is None or image.size() != QSize(W, H):
        fmt = QImage.Format.Format_ARGB32_Premultiplied if transparent else QImage.Format.Format_RGB32
        image = QImage(W, H, fmt)
    # scale so the logical layout fills the pixels exactly (the two axes may differ by rounding)
    image.setDevicePixelRatio(1.0)
    image.fill(Qt.GlobalColor.transparent if transparent else widget.palette().window().color())
    painter = QPainter(image)
    try:
        painter.scale(W / plan.logical[0], H / plan.logical[1])
        with contextlib.nullcontext() if in_export_mode else export_mode(widget, plan.scale, transparent), \
                step_marks(widget) if still else contextlib.nullcontext():
            paint_widget(widget, painter, transparent)
    finally:
        painter.end()
    dpm = round(plan.dpi / 0.0254)  # dots per metre, so viewers and print layouts know the physical size
    image.setDotsPerMeterX(dpm)
    image.setDotsPerMeterY(dpm)
    return image


def save_png(widget: QWidget, path: str | os.PathLike, *, size=None, dpi=None, transparent: bool = False,
             overwrite: bool = False, title: str = "gateviz figure") -> RenderPlan:
    plan = plan_render(natural_size(widget), size, dpi, _minimum(widget))
    image = render_image(widget, plan, transparent=transparent, still=True)
    refuse_if_not_drawn(path)
    image.setText("Title", title)  # a PNG tEXt chunk, shown by image viewers' properties
    image.setText("Software", "gateviz")
    with atomic_target(path, overwrite=overwrite) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise ExportError(f"could not write {path}")
    return plan


def _paint_vectors(widget: QWidget, device, path, transparent: bool, scale: float = 1.0) -> None:
    """Paint ``widget`` onto a vector device (SVG generator, PDF writer) with item caches off."""
    painter = QPainter()
    if not painter.begin(device):
        raise ExportError(f"could not write {path}")
    try:
        painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering, True)
        painter.scale(scale, scale)
        with export_mode(widget, 1.0, transparent), vector_painting(widget), step_marks(widget):
            paint_widget(widget, painter, transparent)
    finally:
        painter.end()
    refuse_if_not_drawn(path)


def refuse_if_not_drawn(path) -> None:
    """A panel that failed to build or paint (its exception caught by gateviz.ui.guard inside a
    ``guard.collecting`` block, as ``headless.export_view`` opens) leaves a half-drawn picture: write none."""
    from gateviz.ui import guard

    failed = guard.collected()
    if failed:
        raise ExportError(f"{path} was not written: drawing the figure failed ({failed[0]}); "
                          "please report this with the text printed above")


def save_svg(widget: QWidget, path: str | os.PathLike, *, size=None, dpi=None, transparent: bool = False,
             overwrite: bool = False, title: str = "gateviz figure") -> RenderPlan:
    """Vector SVG: the layout at its logical size, shown at the plan's pixel size."""
    plan = plan_render(natural_size(widget), size, dpi, _minimum(widget))
    prepare_widget(widget, plan.logical)
    w, h = plan.logical
    with atomic_target(path, overwrite=overwrite) as tmp:
        generator = QSvgGenerator()
        generator.setFileName(str(tmp))
        generator.setSize(QSize(*plan.pixels))
        generator.setViewBox(QRect(0, 0, w, h))
        generator.setResolution(round(BASE_DPI))
        generator.setTitle(title)
        generator.setDescription("exported by gateviz")
        _paint_vectors(widget, generator, path, transparent)
        del generator  # flush and close the file before rewriting it
        # librsvg and other importers ignore non-scaling strokes and image-rendering
        make_file_portable(tmp, pixels_per_unit=plan.pixels[0] / w)
        file_cjk_text_to_paths(tmp)  # Chinese shows on machines without a CJK font (svg_text.py: why paths)
    return plan


def save_pdf(widget: QWidget, path: str | os.PathLike, *, size=None, dpi=None, transparent: bool = False,
             overwrite: bool = False, title: str = "gateviz figure") -> RenderPlan:
    """One-page vector PDF whose page is the figure (logical size at 96 per inch)."""
    plan = plan_render(natural_size(widget), size, dpi, _minimum(widget))
    prepare_widget(widget, plan.logical)
    w, h = plan.logical
    resolution = 1200  # PDF user-space resolution; vectors do not depend on it, embedded images keep theirs
    with atomic_target(path, overwrite=overwrite) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setTitle(title)
        writer.setCreator("gateviz")
        writer.setResolution(resolution)
        writer.setPageSize(QPageSize(QSizeF(w / BASE_DPI, h / BASE_DPI), QPageSize.Unit.Inch, "gateviz",
                                     QPageSize.SizeMatchPolicy.ExactMatch))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0))
        _paint_vectors(widget, writer, path, transparent, scale=resolution / BASE_DPI)
        del writer  # flush and close the file before the rename
    return plan


def save_figure(widget: QWidget, path: str | os.PathLike, fmt: str | None = None, **options) -> RenderPlan:
    """Dispatch on ``fmt`` (png, svg, pdf) or the file's extension."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    savers = {"png": save_png, "svg": save_svg, "pdf": save_pdf}
    if fmt not in savers:
        raise ExportError(f"cannot save a figure as {fmt or 'a file without extension'!r}; use png, svg or pdf")
    return savers[fmt](widget, path, **options)


def copy_to_clipboard(widget: QWidget, scale: float | None = None) -> QImage:
    """Put the widget's picture, as it is on screen now, on the clipboard (at 2x for crisp slides)."""
    s = scale or max(2.0, widget.devicePixelRatioF())
    plan = RenderPlan((widget.width(), widget.height()), s, (round(widget.width() * s), round(widget.height() * s)))
    image = render_image(widget, plan, still=True)
    QGuiApplication.clipboard().setImage(image)
    return image


def _minimum(widget: QWidget) -> tuple[int, int]:
    hint = widget.minimumSizeHint()
    return max(widget.minimumWidth(), hint.width(), 0), max(widget.minimumHeight(), hint.height(), 0)
