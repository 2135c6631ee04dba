"""The digits view of the input/output panel: the image read row by row, class probabilities over time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from .common import mark_dynamic
from .io_base import PlotView, fit_y_range, series_colour, set_y_ticks


class DigitsView(PlotView):
    """A digit read one row per step: the image with the current row framed, class probabilities over time."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        image = np.asarray(d["image"], dtype=np.float32)  # (rows = steps, columns)
        rows, cols = image.shape
        img_plot = self.add_plot(0, "the input image", "row t is fed at step t", cursor=False, rowspan=2)
        img_plot.invertY(True)
        img_plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        lo, hi = float(image.min()), float(image.max())
        self.image.setImage(np.ascontiguousarray(image), levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        img_plot.addItem(self.image)
        img_plot.setRange(xRange=(0, cols), yRange=(0, rows), padding=0.02)
        img_plot.hideAxis("bottom")
        img_plot.getAxis("left").setLabel("row = step")
        self.row_box = QGraphicsRectItemCompat(0, 0, cols, 1)
        img_plot.addItem(self.row_box)
        self.img_plot = img_plot
        self.bar_plot = self.prob_plot = None
        probs = d.get("probabilities")
        if probs is not None:
            probs = self.probs = np.asarray(probs, dtype=np.float32)  # (T, classes)
            T, K = probs.shape
            labels = [str(k) for k in range(K)]
            if T > 1:
                prob_plot = self.add_plot(0, "class probabilities over time", "one row per class", col=1)
                pimg = pg.ImageItem(axisOrder="row-major")
                pimg.setImage(np.ascontiguousarray(probs.T), levels=(0, 1), autoLevels=False)
                pimg.setColorMap(pg.colormap.get(self.state.theme.colormap if self.state.theme.colormap in
                                                 pg.colormap.listMaps() else "viridis"))
                pimg.setRect(QRectF(-0.5, 0, T, K))
                prob_plot.addItem(pimg)
                prob_plot.setRange(xRange=(-0.5, T - 0.5), yRange=(0, K), padding=0)
                prob_plot.setLabel("bottom", "step")
                self.prob_plot = prob_plot
                prob_plot.vb.sigResized.connect(self._fit_class_ticks)
            bar_plot = self.add_plot(1, "probabilities at this step", "", cursor=False, col=1)
            self.bars = mark_dynamic(pg.BarGraphItem(x=np.arange(K), height=probs[0], width=0.7))
            bar_plot.addItem(self.bars)
            bar_plot.setXRange(-0.6, K - 0.4, padding=0)
            bar_plot.getAxis("bottom").setTicks([[(k, labels[k]) for k in range(K)]])
            self.bar_plot = bar_plot
            bar_plot.vb.sigResized.connect(self._fit_bar_range)
            # the heatmap and the bars share the right column's height evenly
            self.graphics.ci.layout.setRowStretchFactor(0, 1)
            self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self.apply_theme()

    prob_plot = None
    bar_plot = None

    def _fit_class_ticks(self, *_) -> None:
        """One label per class where the heatmap rows are tall enough, else every 2nd or 5th."""
        if self.prob_plot is None:
            return
        K = self.probs.shape[1]
        axis = self.prob_plot.getAxis("left")
        label_px = QFontMetricsF(axis.style["tickFont"] or QFont()).height() * 0.9
        row_px = self.prob_plot.vb.height() / max(K, 1)
        stride = next((s for s in (1, 2, 5) if s * row_px >= label_px), K)
        axis.setTicks([[(k + 0.5, str(k)) for k in range(0, K, stride)], []])

    def _fit_bar_range(self, *_) -> None:
        """Probabilities 0..1 with room for the end labels; a short chart labels 0 and 1 only."""
        if self.bar_plot is None:
            return
        fit_y_range(self.bar_plot, 0.0, 1.0, min_pad=0.04)
        label_px = QFontMetricsF(self.bar_plot.getAxis("left").style["tickFont"] or QFont()).height()
        set_y_ticks(self.bar_plot, [0.0, 0.5, 1.0] if self.bar_plot.vb.height() > 3.5 * label_px else [0.0, 1.0])

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

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        grey = pg.ColorMap([0, 1], [(255, 255, 255), (0, 0, 0)] if theme.name == "light" else
                           [(0, 0, 0), (255, 255, 255)])
        if hasattr(self, "image"):
            self.img_plot.showGrid(x=False, y=False)
            self.image.setColorMap(grey)
            self.row_box.setPen(pg.mkPen("#D55E00", width=theme.line_width + 1.5))
            self.row_box.setBrush(pg.mkBrush(None))
        self._fit_class_ticks()  # the tick font's size changed
        self._fit_bar_range()
        if self.state.trace is not None and getattr(self, "bar_plot", None) is not None:
            self.on_step(self.state.step)

    def caption(self) -> str:
        d = self.decoded or {}
        if d.get("predicted") is None:
            return "a digit read one row per step"
        text = f"the network reads the digit row by row and says {d['predicted']} ({d['confidence']:.0%})"
        if d.get("label") is not None:
            text += f"; it is a {d['label']}"
        return text


class QGraphicsRectItemCompat(pg.QtWidgets.QGraphicsRectItem):
    """A plain rectangle in a plot (QGraphicsRectItem with pyqtgraph-style setPen/setBrush)."""
