"""The digits view of the input/output panel: the image read row by row, class probabilities over time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QRectF, QSize, Qt

from gateviz.ui.guard import guarded

from .common import mark_dynamic, style_axis, translate
from .io_base import PlotView, series_colour
from .plot_fit import MIN_VIEW_LINES, label_px, set_ticks, tick_label, y_fit

LABEL_FILL = 0.9  # a class label needs this many label heights of heatmap rows
IMAGE_SHARE, PLOTS_SHARE = 2, 3  # the image's column and the plots' column share the width 2 : 3
BAR_WIDTH = 12  # the colour bar's width (px)


def label_stride(row_px: float, line_px: float, count: int) -> int:
    """Label every row, every 2nd or every 5th: the first whose labels do not overlap."""
    return next((s for s in (1, 2, 5) if s * row_px >= LABEL_FILL * line_px), max(count, 1))


class DigitsView(PlotView):
    """A digit read one row per step: the image with the current row framed, class probabilities over
    time (one labelled row per class, with a colour bar from 0 to 1), the probabilities at this step."""

    prob_plot = None
    row_shade = None  # io_memory.RowShade over the image, made on the first memory shading
    bar_plot = None
    colour_bar = None

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles, self.original_curves = [], [], {}, []
        self.prob_plot = self.bar_plot = self.colour_bar = None
        self.original = None
        self.original_probs: np.ndarray | None = None  # (T, classes) of the original run while compared
        image = np.asarray(d["image"], dtype=np.float32)  # (rows = steps, columns)
        rows, cols = image.shape
        img_plot = self.add_plot(0, translate("IO", "the input image"), translate("IO", "row t is fed at step t"),
                                 cursor=False, rowspan=2)
        img_plot.invertY(True)
        img_plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        lo, hi = float(image.min()), float(image.max())
        self.image.setImage(np.ascontiguousarray(image), levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        img_plot.addItem(self.image)
        img_plot.setRange(xRange=(0, cols), yRange=(0, rows), padding=0.02)
        img_plot.hideAxis("bottom")
        img_plot.getAxis("left").setLabel(translate("IO", "row = step"))
        img_plot.vb.sigResized.connect(self._fit_row_ticks)
        self.row_box = QGraphicsRectItemCompat(0, 0, cols, 1)
        img_plot.addItem(self.row_box)
        self.img_plot = img_plot
        probs = d.get("probabilities")
        if probs is not None:
            probs = self.probs = np.asarray(probs, dtype=np.float32)  # (T, classes)
            T, K = probs.shape
            labels = [str(k) for k in range(K)]
            if T > 1:
                prob_plot = self.add_plot(0, translate("IO", "class probabilities over time"), translate("IO", "a row per class"),
                                          col=1)
                self.prob_image = pimg = pg.ImageItem(axisOrder="row-major")
                pimg.setImage(np.ascontiguousarray(probs.T), levels=(0, 1), autoLevels=False)
                pimg.setRect(QRectF(-0.5, 0, T, K))
                prob_plot.addItem(pimg)
                prob_plot.setRange(xRange=(-0.5, T - 0.5), yRange=(0, K), padding=0)
                prob_plot.setLabel("bottom", translate("Panels", "step"))
                prob_plot.getAxis("left").setLabel(translate("IO", "class"))
                self.prob_plot = prob_plot
                prob_plot.vb.sigResized.connect(self._fit_class_ticks)
                # the colour scale beside the heatmap's box (inside the plot: it spans the box, not the title)
                self.colour_bar = pg.ColorBarItem(values=(0, 1), width=BAR_WIDTH, interactive=False,
                                                  colorMapMenu=False)
                self.colour_bar.setImageItem(pimg, insert_in=prob_plot)
            bar_plot = self.add_plot(1, translate("IO", "probabilities at this step"), "", cursor=False, col=1)
            self.bars = mark_dynamic(pg.BarGraphItem(x=np.arange(K), height=probs[0], width=0.7))
            bar_plot.addItem(self.bars)
            # the original run's probabilities at this step (interventions): outlined bars over the filled ones
            self.original_bars = mark_dynamic(pg.BarGraphItem(x=np.arange(K), height=np.zeros(K), width=0.7))
            self.original_bars.setZValue(5)
            self.original_bars.setVisible(False)
            bar_plot.addItem(self.original_bars)
            bar_plot.setXRange(-0.6, K - 0.4, padding=0)
            bar_plot.getAxis("bottom").setTicks([[(k, labels[k]) for k in range(K)]])
            self.bar_plot = bar_plot
            y_fit(bar_plot, min_pad=0.04).set_range(0.0, 1.0)
            # the heatmap and the bars share the right column's height evenly
            self.graphics.ci.layout.setRowStretchFactor(0, 1)
            self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self.graphics.ci.layout.setColumnStretchFactor(0, IMAGE_SHARE)
        self.graphics.ci.layout.setColumnStretchFactor(1, PLOTS_SHARE)
        self.apply_theme()

    def _colour_bar_width(self) -> float:
        if self.colour_bar is None:
            return 0.0
        return BAR_WIDTH + 5 + self.colour_bar.axis.width() + 4

    def title_room(self, plot: pg.PlotItem, width: float | None = None) -> float:
        width = self.width() if width is None else width
        usable = width - self.graphics.ci.layout.getContentsMargins()[2] - self._colour_bar_width()
        share = IMAGE_SHARE if plot is self.img_plot else PLOTS_SHARE
        return usable * share / (IMAGE_SHARE + PLOTS_SHARE) - plot.getAxis("left").width() - 16

    @guarded
    def _fit_class_ticks(self, *_) -> None:
        """One label per class where the heatmap rows are tall enough, else every 2nd or 5th."""
        if self.prob_plot is None:
            return
        K = self.probs.shape[1]
        axis = self.prob_plot.getAxis("left")
        stride = label_stride(self.prob_plot.vb.height() / max(K, 1), label_px(axis), K)
        axis.setTicks([[(k + 0.5, str(k)) for k in range(0, K, stride)], []])
        if self.colour_bar is not None:  # 0, 0.5, 1 where the bar is tall enough
            bar_ticks = [0.0, 0.5, 1.0] if self.prob_plot.vb.height() >= 3.2 * label_px(axis) else [0.0, 1.0]
            set_ticks(self.colour_bar.axis, bar_ticks)

    @guarded
    def _fit_row_ticks(self, *_) -> None:
        """The image's rows labelled at their centres (row t = step t), as many as do not overlap."""
        rows = self.decoded["image"].shape[0]
        axis = self.img_plot.getAxis("left")
        lo, hi = self.img_plot.vb.viewRange()[1]
        row_px = self.img_plot.vb.height() / max(hi - lo, 1e-9)
        stride = next((s for s in (1, 2, 4, 5, 7, 10, 14) if s * row_px >= 1.2 * label_px(axis)), rows)
        axis.setTicks([[(r + 0.5, tick_label(r)) for r in range(0, rows, stride)], []])

    def readable_size(self) -> QSize:
        """The heatmap with every 2nd class labelled (or MIN_VIEW_LINES tall) and the bar chart
        above each other beside a square image, each plot with its title and axes."""
        if self.bar_plot is None:
            return super().readable_size()
        line = self.line_px()
        width = 30 * line + self._colour_bar_width()
        K = self.probs.shape[1]
        lines = max(MIN_VIEW_LINES, K / 2 * LABEL_FILL + 0.5)  # rows share one view-box height (EvenRows)
        height = self.plot_need(self.bar_plot, width, lines)
        if self.prob_plot is not None:
            height += self.plot_need(self.prob_plot, width, lines) + self.graphics.ci.layout.verticalSpacing()
        return QSize(int(np.ceil(width)), int(np.ceil(height + 2)))

    def on_step(self, step: int) -> None:
        super().on_step(step)
        rows = self.decoded["image"].shape[0]
        self.row_box.setRect(QRectF(0, min(step, rows - 1), self.decoded["image"].shape[1], 1))
        if self.bar_plot is not None:
            p = self.probs[min(step, len(self.probs) - 1)]
            best = int(np.argmax(p))
            theme = self.state.theme
            brushes = [pg.mkBrush("#D55E00" if k == best else series_colour(0, theme)) for k in range(len(p))]
            self.bars.setOpts(height=p, brushes=brushes)
            if self.original_probs is not None:
                self.original_bars.setOpts(height=self.original_probs[min(step, len(self.original_probs) - 1)])

    def on_original(self, decoded: dict | None) -> None:
        """The original run's class probabilities at this step as dashed outlines over the bars; the
        caption says which class it chose (None: hidden)."""
        self.original = decoded
        probs = (decoded or {}).get("probabilities")
        self.original_probs = None if probs is None or self.bar_plot is None else np.asarray(probs, dtype=np.float32)
        if self.bar_plot is None:
            return
        self.original_bars.setVisible(self.original_probs is not None)
        small = translate("IO", "filled: intervened, dashed outline: original") if self.original_probs is not None else ""
        self.titles[id(self.bar_plot)] = (translate("IO", "probabilities at this step"), small)
        self.apply_theme()  # restyles, retitles and refills the bars at the current step

    memory_mark = QT_TRANSLATE_NOOP("IO", "◀ at t*")

    def on_gradients(self, shade) -> None:
        """Each image row tinted by its connectivity to y at t* (the row fed at step t), a ◀ at t*'s
        row beside the image; created on the first shading, then updated in place."""
        from .io_memory import RowShade

        if self.row_shade is not None and self.row_shade.plot is not self.img_plot:
            self.row_shade = None  # a rebuild made a new image plot
        if shade is None:
            if self.row_shade is not None:
                self.row_shade.set(None)
            return
        if self.row_shade is None:
            self.row_shade = RowShade(self.img_plot, *self.decoded["image"].shape)
            self.row_shade.apply_theme(self.state.theme)
        self.row_shade.set(shade)

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        if self.row_shade is not None:
            self.row_shade.apply_theme(theme)
        grey = pg.ColorMap([0, 1], [(255, 255, 255), (0, 0, 0)] if theme.name == "light" else
                           [(0, 0, 0), (255, 255, 255)])
        if hasattr(self, "image"):
            self.img_plot.showGrid(x=False, y=False)
            self.image.setColorMap(grey)
            self.row_box.setPen(pg.mkPen("#D55E00", width=theme.line_width + 1.5))
            self.row_box.setBrush(pg.mkBrush(None))
            self._fit_row_ticks()
        if self.bar_plot is not None:
            self.original_bars.setOpts(brush=pg.mkBrush(None), pen=pg.mkPen(theme.foreground, width=theme.line_width,
                                                                             style=Qt.PenStyle.DashLine))
        if self.prob_plot is not None:
            # no grid over the heatmap; without one pyqtgraph lets the end class labels overhang the box
            self.prob_plot.showGrid(x=False, y=False)
            cmap = pg.colormap.get(theme.colormap if theme.colormap in pg.colormap.listMaps() else "viridis")
            self.prob_image.setColorMap(cmap)
            self.colour_bar.setColorMap(cmap)
            style_axis(self.colour_bar.axis, theme)
            self.colour_bar.axis.setWidth(None)
        self._fit_class_ticks()  # the tick font's size changed
        self._fit_titles()
        if self.state.trace is not None and getattr(self, "bar_plot", None) is not None:
            self.on_step(self.state.step)

    def caption(self) -> str:
        d = self.decoded or {}
        if d.get("predicted") is None:
            return translate("IO", "a digit read one row per step")
        o = self.original or {}
        now = f"{d['predicted']} ({d['confidence']:.0%})"
        if o.get("predicted") is not None and o["predicted"] != d["predicted"]:
            says = "<b>" + translate("IO", "was {was} → now {now}").format(
                was=f"{o['predicted']} ({o['confidence']:.0%})", now=now) + "</b>"
        elif o.get("predicted") is not None:
            says = translate("IO", "{now_digit} ({now_p}; the original also {was_digit}, {was_p})").format(
                now_digit=d["predicted"], now_p=f"{d['confidence']:.0%}", was_digit=o["predicted"],
                was_p=f"{o['confidence']:.0%}")
        else:
            says = now
        text = translate("IO", "the network reads the digit row by row and says {says}").format(says=says)
        if d.get("label") is not None:
            text += translate("IO", "; it is a {label}").format(label=d["label"])
        return text


class QGraphicsRectItemCompat(pg.QtWidgets.QGraphicsRectItem):
    """A plain rectangle in a plot (QGraphicsRectItem with pyqtgraph-style setPen/setBrush)."""
