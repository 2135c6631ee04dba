"""The generic input/output view: any numeric model's input features and output over time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .common import EncoderBoundary, cache_static, translate
from .io_base import (MAX_LINES, SERIES_COLOURS, PlotView, _series_block, fit_lines_y, legend_html, line_column,
                      series_colour)


def localized_names(names: list[str]) -> list[str]:
    """Feature and output names in the interface language ("column 3", "depth 2" from a task; a
    model file's own names unchanged); a text model's thousands of characters are left as they are."""
    from gateviz.ui.i18n import localized

    return [localized(n) for n in names] if len(names) <= 64 else list(names)


def activation_name(name: str) -> str:
    """A head's activation as the interface names it: 'identity' is a word, sigmoid/softmax/tanh are names."""
    return translate("IO", "identity") if name == "identity" else name


class GenericView(PlotView):
    """Any numeric model: its input features and its output over time."""

    _refill_key = None  # what the plots show when they may be refilled in place (see _layout_key)

    def rebuild(self, decoded: dict | None) -> None:
        key = self._layout_key()
        if key is not None and key == self._refill_key:
            self._refill(decoded)
            return
        self._rebuild(decoded)
        self._refill_key = key

    def _layout_key(self) -> tuple | None:
        """The plots' layout for the current trace when it is lines only (an input and an
        optional per-step output of at most MAX_LINES series each, no masked steps, no encoder):
        the number of series and every title and name. A new trace with the same key only needs new
        data in the same lines (a 100k-step input's plot and 8 lines took ~50 ms to make again).
        None for anything else: images, bars, masks and encoders are made anew each time."""
        from .masking import masked_runs

        trace = self.state.trace
        if trace.inputs is None or trace.meta.get("encoder_steps") or masked_runs(trace):
            return None
        T = trace.length
        inputs = np.asarray(trace.inputs).reshape(T, -1)
        names = self._input_names(inputs.shape[1])
        if inputs.shape[1] > MAX_LINES:
            return None
        key = [(inputs.shape[1], tuple(names))]
        if trace.output is not None:
            out = np.asarray(trace.output)
            if out.shape[-1] > MAX_LINES or (out.shape[0] == 1 and T > 1) or out.shape[0] != T:
                return None
            names, title = self._output_lines_title(out)
            key.append((out.shape[-1], tuple(names), title))
        return tuple(key)

    def _input_names(self, features: int) -> list[str]:
        trace, model = self.state.trace, self.state.model
        names = trace.meta.get("input_names") or \
            (model.input.feature_names if model is not None and model.input.feature_names else None) or \
            [f"x{k}" for k in range(features)]  # input_names: an encoder's then its decoder's
        return localized_names(names)

    def _output_names(self, out: np.ndarray) -> list[str]:
        model = self.state.model
        labels = model.head.labels if model is not None and model.head is not None and model.head.labels else None
        return localized_names(labels) if labels else [f"y{k}" for k in range(out.shape[-1])]

    def _activation(self) -> str:
        model = self.state.model
        return activation_name(model.head.activation) if model is not None and model.head is not None else ""

    def _output_lines_title(self, out: np.ndarray) -> tuple[list[str], str]:
        """A per-step output's names and its plot's small title ("per step, sigmoid: legend")."""
        names = self._output_names(out)
        mode = self.state.trace.meta.get("output_mode") or "per_step"
        modes = {"per_step": translate("IO", "per step"), "running": translate("IO", "running"),
                 "final": translate("IO", "final")}
        mode = modes.get(mode, mode.replace("_", " "))
        shown = translate("IO", "as an image") if out.shape[-1] > MAX_LINES else legend_html(names)
        return names, translate("IO", "{mode}, {activation}: {shown}").format(
            mode=mode, activation=self._activation(), shown=shown)

    def _refill(self, decoded: dict | None) -> None:
        """The same plots and lines, the new trace's data: what _rebuild would show, without making
        them again."""
        self.decoded, self.original = decoded, None
        trace = self.state.trace
        T = trace.length
        series = [np.asarray(trace.inputs).reshape(T, -1)]
        if trace.output is not None:
            series.append(np.asarray(trace.output).reshape(T, -1))
        steps = np.arange(T, dtype=np.float32)
        lines = iter(self.lines)
        for plot, data in zip(self.plots, series):  # the input's plot, then the output's
            # the ranges before the data: each range change makes every line downsample itself again
            fit_lines_y(plot, data)
            plot.setXRange(0, max(T - 1, 1), padding=0.01)
            for _ in range(data.shape[1]):
                item, k = next(lines)
                cache_static(item, T)  # before the data: the drawing mode follows the new length
                item.setData(steps, line_column(data, k))
        for item in self.original_lines:  # on_original shows the new original run's, if any
            self.show_original(item, None, None)
        if self.output_plot is not None:  # its title without on_original's note on the original run
            title, small = self.titles[id(self.output_plot)]
            self.titles[id(self.output_plot)] = (title, small.split(" &nbsp;┅")[0])
        if self.memory_band is not None:  # made for the old trace's length; on_gradients makes a new one
            self.memory_band.remove()
            self.memory_band = None
        self.apply_theme()

    def _rebuild(self, decoded: dict | None) -> None:
        self.decoded = decoded
        self.graphics.ci.clear()
        self.plots, self.cursors, self.titles, self.original_curves = [], [], {}, []
        self.original = None
        self.output_plot = self.original_bars = None
        self.original_lines: list[pg.PlotDataItem] = []  # the original run's output lines (interventions)
        trace = self.state.trace
        T = trace.length
        inputs = trace.inputs
        self.lines: list[tuple[pg.PlotDataItem, int]] = []
        self.input_plot = None
        self.input_rows = 0  # the input's features when drawn as an image (rows), else 0
        if inputs is not None:
            inputs = np.asarray(inputs).reshape(T, -1)
            names = self._input_names(inputs.shape[1])
            kind = translate("IO", "as an image") if inputs.shape[1] > MAX_LINES else legend_html(names)
            plot = self.input_plot = self.add_plot(0, translate("IO", "input"), translate(
                "IO", "{n} feature(s): {kind}").format(n=inputs.shape[1], kind=kind))
            items = _series_block(plot, inputs, names)
            self.lines += [(it, k) for k, it in enumerate(items) if isinstance(it, pg.PlotDataItem)]
            plot.setXRange(0, max(T - 1, 1), padding=0.01)
            if inputs.shape[1] > MAX_LINES:
                plot.setLabel("left", translate("IO", "feature"))
                self.input_rows = inputs.shape[1]
        out = trace.output
        if out is not None:
            out = np.asarray(out)
            if out.shape[0] == 1 and T > 1:  # only the final state's output exists (bidirectional head)
                names = self._output_names(out)
                plot = self.add_plot(1, translate("IO", "output"), translate(
                    "IO", "final state, {activation}").format(activation=self._activation()), cursor=False)
                bars = pg.BarGraphItem(x=np.arange(out.shape[1]), height=out[0], width=0.7,
                                       brush=SERIES_COLOURS[0])
                plot.addItem(bars)
                # the original run's outputs (interventions): dashed outlines over the filled bars
                self.original_bars = pg.BarGraphItem(x=np.arange(out.shape[1]), height=np.zeros(out.shape[1]),
                                                     width=0.7)
                self.original_bars.setZValue(5)
                self.original_bars.setVisible(False)
                plot.addItem(self.original_bars)
                lo, hi = min(0.0, float(out.min())), max(float(out.max()), 1e-6)
                plot.setYRange(lo, hi * 1.08, padding=0)
                plot.setXRange(-0.6, out.shape[1] - 0.4, padding=0)
                plot.getAxis("bottom").setTicks([[(k, n) for k, n in enumerate(names)]] if len(names) <= 20 else None)
            else:
                names, small = self._output_lines_title(out)
                plot = self.add_plot(1, translate("IO", "output"), small)
                items = _series_block(plot, out.reshape(out.shape[0], -1), names)
                self.lines += [(it, k) for k, it in enumerate(items) if isinstance(it, pg.PlotDataItem)]
                if out.shape[-1] <= MAX_LINES:  # an image of many outputs gets no overlay (the heatmaps' Δ shows it)
                    self.original_lines = [self.add_original_curve(plot, k) for k in range(out.shape[-1])]
                plot.setXRange(0, max(T - 1, 1), padding=0.01)
                if out.shape[-1] > MAX_LINES:
                    plot.setLabel("left", translate("IO", "output"))
        if out is not None:
            self.output_plot = plot
        if self.plots:
            self.plots[-1].setLabel("bottom", translate("Panels", "step"))
        if trace.meta.get("encoder_steps"):  # a decoder traced with its encoder: where the decoder starts
            for plot in self.plots:
                boundary = EncoderBoundary(labelled=plot is self.plots[0])
                plot.addItem(boundary)
                boundary.update_for(trace)
        self.apply_theme()

    def on_original(self, decoded: dict | None) -> None:
        """The original run's output: faint dashed lines behind the intervened ones, or dashed
        outlines over a final state's bars (None: hidden)."""
        self.original = decoded
        state = self.state
        out = None if decoded is None or state.original is None or state.original.output is None \
            else np.asarray(state.original.output)
        if self.original_bars is not None:
            if out is not None:
                self.original_bars.setOpts(height=out.reshape(out.shape[0], -1)[0])
            self.original_bars.setVisible(out is not None)
        for k, item in enumerate(self.original_lines):
            column = None if out is None else out.reshape(out.shape[0], -1)[:, k]
            self.show_original(item, np.arange(0 if column is None else len(column)), column)
        if self.output_plot is not None and self.original_lines and out is not None:
            shown = np.concatenate([np.asarray(state.trace.output, dtype=np.float64).ravel(),
                                    out.astype(np.float64).ravel()])
            fit_lines_y(self.output_plot, shown)
        if self.output_plot is not None:
            title, small = self.titles[id(self.output_plot)]
            small = small.split(" &nbsp;┅")[0]
            if out is not None:
                small += " &nbsp;┅ " + (translate("IO", "faint dashed: the original run") if self.original_lines
                                        else translate("IO", "dashed outlines: the original run"))
            self.titles[id(self.output_plot)] = (title, small)
        self.apply_theme()

    def memory_plot(self) -> pg.PlotItem | None:
        return self.input_plot  # the memory shading runs along the input's steps

    STRIP = (0.25, 1.25)  # the memory strip under an input image: rows K + 0.25 .. K + 1.25

    def memory_strip(self) -> tuple[float, float] | None:
        K = self.input_rows
        return None if not K else (K + self.STRIP[0], K + self.STRIP[1])

    def on_gradients(self, shade) -> None:
        """An input drawn as an image gets the shading as a strip below it (the view grows by a
        row while it shows); lines get it behind them."""
        super().on_gradients(shade)
        K = self.input_rows
        if K and self.input_plot is not None:
            self.input_plot.setYRange(0, K + (self.STRIP[1] + 0.1 if shade is not None else 0), padding=0)
            axis = self.input_plot.getAxis("left")
            if "tickStrings" not in vars(axis):  # no feature numbers beside the strip (there are K features)
                def feature_labels(values, scale, spacing, axis=axis):
                    labels = type(axis).tickStrings(axis, values, scale, spacing)
                    return [s if v < K - 0.5 else "" for v, s in zip(values, labels)]
                axis.tickStrings = feature_labels

    def apply_theme(self) -> None:
        super().apply_theme()
        theme = self.state.theme
        for item, k in getattr(self, "lines", []):
            item.setPen(pg.mkPen(series_colour(k, theme), width=theme.line_width))
        if getattr(self, "original_bars", None) is not None:
            self.original_bars.setOpts(brush=pg.mkBrush(None), pen=pg.mkPen(theme.foreground, width=theme.line_width,
                                                                             style=Qt.PenStyle.DashLine))

    def caption(self) -> str:
        trace, model = self.state.trace, self.state.model
        if trace is None:
            return ""
        parts = [translate("IO", "{n} steps").format(n=trace.length)]
        if model is not None and model.head is not None:
            parts.append(translate("IO", "head: linear {inputs} → {outputs}, {activation}").format(
                inputs=model.head.in_features, outputs=model.head.out_features,
                activation=activation_name(model.head.activation)))
        elif trace.output is None:
            parts.append(translate("IO", "no read-out head: the last layer's h is the output"))
        return " · ".join(parts)
