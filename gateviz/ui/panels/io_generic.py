"""The generic input/output view: any numeric model's input features and output over time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .io_base import MAX_LINES, SERIES_COLOURS, PlotView, _series_block, legend_html, series_colour


class GenericView(PlotView):
    """Any numeric model: its input features and its output over time."""

    def rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles = [], [], {}
        trace, model = self.state.trace, self.state.model
        T = trace.length
        inputs = trace.inputs
        self.lines: list[tuple[pg.PlotDataItem, int]] = []
        if inputs is not None:
            inputs = np.asarray(inputs).reshape(T, -1)
            names = (model.input.feature_names if model is not None and model.input.feature_names else None) or \
                [f"x{k}" for k in range(inputs.shape[1])]
            kind = "as an image" if inputs.shape[1] > MAX_LINES else legend_html(names)
            plot = self.add_plot(0, "input", f"{inputs.shape[1]} feature(s): {kind}")
            items = _series_block(plot, inputs, names)
            self.lines += [(it, k) for k, it in enumerate(items) if isinstance(it, pg.PlotDataItem)]
            plot.setXRange(0, max(T - 1, 1), padding=0.01)
            if inputs.shape[1] > MAX_LINES:
                plot.setLabel("left", "feature")
        out = trace.output
        if out is not None:
            out = np.asarray(out)
            labels = model.head.labels if model is not None and model.head is not None and model.head.labels else None
            names = labels or [f"y{k}" for k in range(out.shape[-1])]
            act = model.head.activation if model is not None and model.head is not None else ""
            if out.shape[0] == 1 and T > 1:  # only the final state's output exists (bidirectional head)
                plot = self.add_plot(1, "output", f"final state, {act}", cursor=False)
                bars = pg.BarGraphItem(x=np.arange(out.shape[1]), height=out[0], width=0.7,
                                       brush=SERIES_COLOURS[0])
                plot.addItem(bars)
                lo, hi = min(0.0, float(out.min())), max(float(out.max()), 1e-6)
                plot.setYRange(lo, hi * 1.08, padding=0)
                plot.setXRange(-0.6, out.shape[1] - 0.4, padding=0)
                plot.getAxis("bottom").setTicks([[(k, n) for k, n in enumerate(names)]] if len(names) <= 20 else None)
            else:
                mode = (trace.meta.get("output_mode") or "per step").replace("_", " ")
                shown = "as an image" if out.shape[-1] > MAX_LINES else legend_html(names)
                plot = self.add_plot(1, "output", f"{mode}, {act}: {shown}")
                items = _series_block(plot, out.reshape(out.shape[0], -1), names)
                self.lines += [(it, k) for k, it in enumerate(items) if isinstance(it, pg.PlotDataItem)]
                plot.setXRange(0, max(T - 1, 1), padding=0.01)
                if out.shape[-1] > MAX_LINES:
                    plot.setLabel("left", "output")
        if self.plots:
            self.plots[-1].setLabel("bottom", "step")
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        for item, k in getattr(self, "lines", []):
            item.setPen(pg.mkPen(series_colour(k, theme), width=theme.line_width))

    def caption(self) -> str:
        trace, model = self.state.trace, self.state.model
        if trace is None:
            return ""
        parts = [f"{trace.length} steps"]
        if model is not None and model.head is not None:
            parts.append(f"head: linear {model.head.in_features} → {model.head.out_features}, {model.head.activation}")
        elif trace.output is None:
            parts.append("no read-out head: the last layer's h is the output")
        return " · ".join(parts)
