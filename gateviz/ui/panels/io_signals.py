"""Views of the input/output panel for signal tasks: the sine window and rollout, the adding problem."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .common import cache_static, mark_dynamic, muted, translate
from .io_base import PlotView, finite_range, legend_html, series_colour
from .overlay import was_now


class SineView(PlotView):
    """Next-step prediction of a sine window: the window, the one-step predictions, the rollout."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles, self.original_curves = [], [], {}, []
        window = np.asarray(d["window"], dtype=np.float32)
        W = len(window)
        steps = np.arange(W, dtype=np.float32)
        plot = self.add_plot(0, translate("IO", "sine: next-step prediction"), self._legend(False))
        self.plot = plot
        self.curves = []
        self.curves.append((plot.plot(steps, window), 0, Qt.PenStyle.SolidLine))
        if d.get("predictions") is not None:  # output at step t predicts the value at t + 1
            self.curves.append((plot.plot(steps + 1, np.asarray(d["predictions"], dtype=np.float32)), 1,
                                Qt.PenStyle.DashLine))
        R = 0
        if d.get("rollout") is not None:
            roll = np.asarray(d["rollout"], dtype=np.float32)
            R = len(roll)
            self.curves.append((plot.plot(np.arange(W, W + R, dtype=np.float32), roll), 2, Qt.PenStyle.SolidLine))
        if d.get("truth") is not None and len(d["truth"]):
            truth = np.asarray(d["truth"], dtype=np.float32)
            R = max(R, len(truth))
            self.curves.append((plot.plot(np.arange(W, W + len(truth), dtype=np.float32), truth), 7,
                                Qt.PenStyle.DotLine))
        for item, _, _ in self.curves:
            cache_static(item)
        # the original run's prediction and rollout (interventions), behind the intervened ones
        self.original_pred = self.add_original_curve(plot, 1, Qt.PenStyle.DotLine)  # the intervened one is dashed
        self.original_roll = self.add_original_curve(plot, 2)
        self.original = None
        self.boundary = pg.InfiniteLine(pos=W - 0.5, angle=90, movable=False)
        plot.addItem(self.boundary)
        self.marker = mark_dynamic(pg.ScatterPlotItem(pxMode=True))
        self.marker.setZValue(30)
        plot.addItem(self.marker)
        self._fit_values()
        plot.setXRange(-0.5, W + R, padding=0.01)
        plot.setLabel("bottom", translate("Panels", "step"))  # the legend and the caption say where the rollout starts
        self.apply_theme()

    @staticmethod
    def _legend(original: bool) -> str:
        names = [translate("IO", "input window"), translate("IO", "prediction of the next value"),
                 translate("IO", "rollout (fed back)"), translate("IO", "truth")]
        colours = [0, 1, 2, 7]  # truth: grey (SERIES_COLOURS[7]), as its dotted line
        if original:  # the lines show the intervened run; faint dashed ones the original
            names[1:3] = [translate("IO", "prediction (intervened)"), translate("IO", "rollout (intervened)")]
            names.append("┅ " + translate("IO", "faint: original"))
            colours.append(7)
        return legend_html(names, colours)

    def _fit_values(self) -> None:
        """The y range over every curve shown, the original's too."""
        curves = [c[0] for c in self.curves] + [c for c, _ in self.original_curves if c.isVisible()]
        values = np.concatenate([c.getData()[1] for c in curves])
        lo, hi = finite_range(values, pad_flat=False)
        self.fit_y(self.plot, lo, hi)

    def on_original(self, decoded: dict | None) -> None:
        """The original run's one-step predictions and rollout, faint and dashed (None: hidden)."""
        self.original = decoded
        d = decoded or {}
        W = len(self.decoded["window"])
        pred, roll = d.get("predictions"), d.get("rollout")
        self.show_original(self.original_pred, np.arange(W, dtype=np.float32) + 1, pred)
        self.show_original(self.original_roll, np.arange(W, W + (0 if roll is None else len(roll))), roll)
        self.titles[id(self.plot)] = (translate("IO", "sine: next-step prediction"), self._legend(decoded is not None))
        self._fit_values()
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        for item, k, style in getattr(self, "curves", []):
            colour = "#888888" if k == 7 else series_colour(k, theme)
            item.setPen(pg.mkPen(colour, width=theme.line_width, style=style))
        if hasattr(self, "boundary"):
            self.boundary.setPen(pg.mkPen(muted(theme), width=1, style=Qt.PenStyle.DashDotLine))

    def on_step(self, step: int) -> None:
        super().on_step(step)
        d = self.decoded
        window = d["window"]
        spots = [dict(pos=(step, float(window[step])), brush=pg.mkBrush(series_colour(0, None)), size=10)]
        if d.get("predictions") is not None:
            spots.append(dict(pos=(step + 1, float(d["predictions"][step])), brush=pg.mkBrush(series_colour(1, None)),
                              size=10))
        self.marker.setData(spots)

    def caption(self) -> str:
        d = self.decoded or {}
        parts = []
        if d.get("prediction") is not None:
            was = (self.original or {}).get("prediction")
            p = translate("IO", "after the window the model predicts {value}").format(
                value=was_now(d["prediction"], was, "{:.3f}"))
            if d.get("target") is not None:
                p += translate("IO", " (true {value})").format(value=f"{d['target']:.3f}")
            parts.append(p)
        if d.get("rollout") is not None:
            parts.append(translate("IO", "then feeds its own output back for {n} steps").format(n=len(d["rollout"])))
        return translate("IO", ", ").join(parts)


class AddingView(PlotView):
    """The adding problem: values, the two marked steps, and the running prediction of their sum."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = d = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        self.original_curves = []
        values = np.asarray(d["values"], dtype=np.float32)
        T = len(values)
        steps = np.arange(T, dtype=np.float32)
        plot = self.add_plot(0, translate("IO", "inputs"), legend_html([translate("IO", "value"),
                                                                         translate("IO", "marked (to be added)")]))
        self.value_curve = plot.plot(steps, values)
        cache_static(self.value_curve, T)
        self.marked = pg.ScatterPlotItem(x=np.asarray(d["marked"], dtype=np.float32),
                                         y=values[d["marked"]], pxMode=True, size=14, symbol="o")
        plot.addItem(self.marked)
        self.fit_y(plot, min(0.0, float(values.min())), max(float(values.max()), 1e-6))
        plot.setXRange(0, max(T - 1, 1), padding=0.01)
        out = self.out_plot = self.add_plot(1, translate("IO", "running prediction of the sum"), self._legend(False))
        self.pred_curve = None
        if d.get("running") is not None:
            self.pred_curve = out.plot(steps, np.asarray(d["running"], dtype=np.float32))
            cache_static(self.pred_curve, T)
        self.original_running = self.add_original_curve(out, 0)  # the original run's prediction (interventions)
        self.original = None
        self.target = pg.InfiniteLine(pos=d["target"], angle=0, movable=False)
        out.addItem(self.target)
        self._fit_out()
        out.setXRange(0, max(T - 1, 1), padding=0.01)
        out.setLabel("bottom", translate("Panels", "step"))
        self.apply_theme()

    @staticmethod
    def _legend(original: bool) -> str:
        if original:
            return legend_html([translate("IO", "prediction (intervened)"), translate("IO", "target"),
                                "┅ " + translate("IO", "faint: original")], [0, 1, 7])
        return legend_html([translate("IO", "prediction"), translate("IO", "target")])

    def _fit_out(self) -> None:
        d = self.decoded
        series = [np.asarray(v, dtype=np.float64) for v in (d.get("running"), (self.original or {}).get("running"))
                  if v is not None]
        finite = np.concatenate(series + [np.array([d["target"], 0.0])])
        finite = finite[np.isfinite(finite)]
        self.fit_y(self.out_plot, min(0.0, float(finite.min())), max(float(finite.max()), d["target"]))

    def on_original(self, decoded: dict | None) -> None:
        """The original run's running prediction, faint and dashed (None: hidden)."""
        self.original = decoded
        running = (decoded or {}).get("running")
        self.show_original(self.original_running, np.arange(len(running)) if running is not None else None, running)
        self.titles[id(self.out_plot)] = (translate("IO", "running prediction of the sum"),
                                          self._legend(decoded is not None))
        self._fit_out()
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        if not hasattr(self, "value_curve"):
            return
        self.value_curve.setPen(pg.mkPen(series_colour(0, theme), width=theme.line_width))
        self.marked.setBrush(pg.mkBrush(series_colour(1, theme)))
        self.marked.setPen(pg.mkPen(theme.foreground, width=1))
        if self.pred_curve is not None:
            self.pred_curve.setPen(pg.mkPen(series_colour(0, theme), width=theme.line_width))
        self.target.setPen(pg.mkPen(series_colour(1, theme), width=theme.line_width, style=Qt.PenStyle.DashLine))

    def caption(self) -> str:
        d = self.decoded or {}
        if not d:
            return ""
        text = translate("IO", "target: the sum of the two marked values (steps {steps}) = {value}").format(
            steps=", ".join(str(t) for t in d["marked"]), value=f"{d['target']:.3f}")
        if d.get("prediction") is not None:
            was = (self.original or {}).get("prediction")
            text += translate("IO", "; the network says {value}").format(value=was_now(d["prediction"], was, "{:.3f}"))
        return text
