"""What the input/output, traces and saturation panels show, measured as a person sees it: the
layer and direction they name, saturation axes that agree with their title, round y ticks, the
digits class labels and colour bar, the text colouring's legend on both themes, full-width
characters, and every panel readable from its readable_size up (labels neither overlapping nor
cut off, plots tall enough), for every bundled model, normal and presentation, light and dark."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter  # noqa: E402

from gateviz.bundled import default_sample, load_bundled  # noqa: E402
from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.model import InputStage, RecurrentModel  # noqa: E402
from gateviz.formats.torch_state import layers_from_module  # noqa: E402
from gateviz.tasks import get_task_for_model  # noqa: E402
from gateviz.tasks.base import story_units_for  # noqa: E402
from gateviz.ui.panels import PANEL_CLASSES  # noqa: E402
from gateviz.ui.panels.plot_fit import MIN_VIEW_LINES  # noqa: E402
from gateviz.ui.state import Theme, ViewState  # noqa: E402
from text_geometry import clipped, overlapping, plot_heights, text_boxes  # noqa: E402

TEXT = "hello world, hello recurrent nets\n"


def bundled_state(name: str, presentation=False, theme="light") -> ViewState:
    model = load_bundled(name)
    sample = default_sample(model)
    state = ViewState()
    state.set_theme(Theme(name=theme, presentation=presentation))
    task = get_task_for_model(model)
    trace = Tracer(model).trace(sample.sequence)
    state.set_trace(model, trace, sample.sequence, task)
    state.set_pinned(story_units_for(model, task, sample.sequence, trace) or [0])
    return state


def text_state(bidirectional=True, units=6) -> ViewState:
    """A character model without a task (the io panel's text view), two directions."""
    torch.manual_seed(0)
    vocab = sorted(set(TEXT))
    module = torch.nn.LSTM(len(vocab), units, bidirectional=bidirectional)
    model = RecurrentModel(layers_from_module(module), input=InputStage(kind="onehot", features=len(vocab),
                                                                        vocab=vocab))
    state = ViewState()
    state.set_trace(model, Tracer(model).trace(TEXT), TEXT)
    return state


def rnn_state() -> ViewState:
    torch.manual_seed(0)
    module = torch.nn.RNN(2, 8)
    model = RecurrentModel(layers_from_module(module), input=InputStage(features=2))
    seq = np.stack([np.sin(np.arange(40) / 5), np.cos(np.arange(40) / 7)], axis=1).astype(np.float32)
    state = ViewState()
    state.set_trace(model, Tracer(model).trace(seq), seq)
    return state


def show(qtbot, panel, size):
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab()  # one paint: pyqtgraph sizes axes and titles as it draws
    return panel


def drawn_labels(axis) -> list[str]:
    """The tick labels pyqtgraph draws on ``axis`` (it drops those that do not fit)."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in specs[2]] if specs else []


def line_px(theme: Theme) -> float:
    font = QFont()
    font.setPointSize(theme.font_pt - 1)  # the axes' tick font
    return QFontMetricsF(font).height()


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --------------------------------------------------------------------------- layer and direction


def test_every_panel_names_the_direction_it_shows(qtbot):
    """The text header said "(layer 0, forward)" while the backward direction was shown."""
    state = text_state()
    io = show(qtbot, PANEL_CLASSES["io"](state), (700, 300))
    traces = show(qtbot, PANEL_CLASSES["traces"](state), (700, 450))
    saturation = show(qtbot, PANEL_CLASSES["saturation"](state), (700, 300))
    assert "(layer 0, forward)" in io.caption.text()
    with qtbot.waitSignal(state.selectionChanged):
        state.set_layer_direction(0, "backward")
    assert "(layer 0, backward)" in io.caption.text() and "forward" not in io.caption.text()
    np.testing.assert_allclose(io.view.grid.values, state.trace.get(0, "backward", "hidden_state")[:, 0])
    assert "(layer 0, backward)" in traces.legend.text()
    assert "backward" in saturation.legend.text() and "forward" not in saturation.legend.text()
    # and back, after a pin change: the unit it names follows too
    state.set_pinned([3])
    state.set_layer_direction(0, "forward")
    assert "h of unit 3 (layer 0, forward)" in io.caption.text()


# --------------------------------------------------------------------------- saturation


def test_rnn_saturation_axes_title_and_tooltips_speak_of_h(qtbot):
    """A plain RNN's scatter counts h < −0.9 and h > 0.9: its axes said < 0.1 / > 0.9."""
    panel = show(qtbot, PANEL_CLASSES["saturation"](rnn_state()), (500, 360))
    (gp,) = panel.plots
    axes = panel.axes_label.text()
    assert "x: h &gt; 0.9" in axes and "y: h &lt; −0.9" in axes
    assert "0.1" not in axes and "saturated" not in axes
    assert "<b>h</b>" in gp.plot.titleLabel.text and "tanh state" in gp.plot.titleLabel.text
    tip = gp.plot.toolTip()
    assert "h &gt; 0.9" in tip and "h &lt; −0.9" in tip and "0.1" not in tip
    point_tip = gp.layers[0].opts["tip"](x=0.25, y=0.5, data=(0, 3))
    assert point_tip == "layer 0, unit 3: h > 0.9 25% / h < −0.9 50% of the steps"
    boxes = text_boxes(panel)
    assert not overlapping(boxes) and not clipped(boxes)


def test_gate_saturation_axes_title_and_tooltips_speak_of_the_gate(qtbot):
    state = bundled_state("brackets-lstm")
    panel = show(qtbot, PANEL_CLASSES["saturation"](state), (700, 320))
    axes = panel.axes_label.text()
    assert "right-saturated (&gt; 0.9)" in axes and "left-saturated (&lt; 0.1)" in axes
    forget = next(gp for gp in panel.plots if gp.quantity == "forget_gate")
    assert "f &gt; 0.9" in forget.plot.toolTip() and "f &lt; 0.1" in forget.plot.toolTip()
    assert forget.layers[0].opts["tip"](x=0.5, y=0.1, data=(0, 2)).startswith("layer 0, unit 2: f > 0.9 50%")


# --------------------------------------------------------------------------- traces


@pytest.mark.parametrize("presentation", [False, True])
def test_every_trace_plot_has_round_y_ticks_that_fit(qtbot, presentation):
    """Dashboard trace plots showed a single y tick ("0.5" on a gate, "0" on a state)."""
    state = bundled_state("text-lstm", presentation, "dark" if presentation else "light")
    panel = PANEL_CLASSES["traces"](state)
    show(qtbot, panel, (720, 480) if not presentation else (900, 620))
    for p in panel.plots:
        labels = drawn_labels(p.plot.getAxis("left"))
        assert len(labels) >= 3, (p.quantity, labels)
        values = [float(t.replace("−", "-")) for t in labels]
        assert all(round(v * 4) == v * 4 or round(v) == v for v in values), labels  # round: 0, 0.25, 0.5, 1, 2 ...
        if p.quantity in ("input_gate", "forget_gate", "output_gate"):
            assert values[0] == 0 and values[-1] == 1, labels  # a gate from 0 to 1
    boxes = text_boxes(panel)
    assert not overlapping(boxes), overlapping(boxes)[:3]
    assert not clipped(boxes), clipped(boxes)[:3]
    # the rows' plots are equally tall, the last row's axis notwithstanding
    heights = [p.plot.vb.height() for p in panel.plots]
    assert max(heights) - min(heights) <= 2, heights


# --------------------------------------------------------------------------- digits


@pytest.mark.parametrize("presentation", [False, True])
def test_digits_class_map_labels_the_classes_and_has_a_colour_bar(qtbot, presentation):
    """The class-probability map had one y tick ("5") and no colour bar."""
    state = bundled_state("digits-lstm", presentation, "dark" if presentation else "light")
    panel = show(qtbot, PANEL_CLASSES["io"](state), (960, 560) if not presentation else (1100, 640))
    view = panel.view
    labels = drawn_labels(view.prob_plot.getAxis("left"))
    assert labels == [str(k) for k in range(10)] if not presentation else labels in (
        [str(k) for k in range(10)], ["0", "2", "4", "6", "8"]), labels
    assert view.colour_bar is not None and tuple(view.colour_bar.levels()) == (0, 1)
    bar_labels = drawn_labels(view.colour_bar.axis)
    assert bar_labels[0] == "0" and bar_labels[-1] == "1", bar_labels
    # the bar stands beside the map's box, as tall as it
    bar_rect = view.colour_bar.mapRectToScene(view.colour_bar.boundingRect())
    box = view.prob_plot.vb.sceneBoundingRect()
    assert bar_rect.left() >= box.right() and abs(bar_rect.height() - box.height()) < 0.1 * box.height()
    boxes = text_boxes(panel)
    assert not overlapping(boxes) and not clipped(boxes)


# --------------------------------------------------------------------------- text colouring


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_both_ends_of_the_text_colour_legend_stand_out(qtbot, theme):
    """The navy −1 swatch was nearly invisible on the dark theme."""
    state = text_state(bidirectional=False)
    state.set_theme(Theme(name=theme))
    panel = show(qtbot, PANEL_CLASSES["io"](state), (700, 300))
    legend = panel.view.legend
    assert legend.isVisible() and [t for t, _ in legend.text_boxes()] == ["−1", "+1"]
    image = legend.grab().toImage()
    ratio = legend.devicePixelRatioF()
    bar = legend.bar_rect()
    background = QColor(state.theme.background)
    for x in (bar.left() + 3, bar.right() - 3):  # each end: its frame, then the colour inside
        frame = image.pixelColor(QPoint(int(x * ratio), int((bar.top() - 0.5) * ratio)))
        assert contrast(frame, background) >= 3.0, (theme, x, frame.name())
    inside = image.pixelColor(QPoint(int((bar.left() + 4) * ratio), int(bar.center().y() * ratio)))
    assert contrast(inside, QColor("#172972")) < 1.3  # the −1 end is the map's navy, framed
    # the caption names the unit and no longer carries the swatches
    assert "■" not in panel.caption.text()
    # every character stays readable on its cell: text contrast at least 4.5:1 at every value
    from gateviz.ui.panels.io_base import readable_on, value_colour
    for v in np.linspace(-1, 1, 41):
        cell = value_colour(float(v), panel.view.grid.cmap)
        assert contrast(readable_on(cell), cell) >= 4.5, v


def _grid(qtbot, chars: str, width: int, height: int = 200):
    from gateviz.ui.panels.io_chargrid import CharGrid

    grid = CharGrid()
    qtbot.addWidget(grid)
    grid.resize(width, height)
    grid.set_text(list(chars), np.linspace(-1, 1, len(chars)))
    grid.show()
    qtbot.waitExposed(grid)
    return grid


@pytest.mark.parametrize("width", [600, 160])
def test_full_width_characters_get_cells_as_wide_as_their_glyphs(qtbot, width):
    """Chinese characters were drawn into half-width cells and overlapped. Measured with whatever
    font draws them here (a machine without a CJK font draws boxes of its own width)."""
    text = "循环神经网络 LSTM\n门控"
    grid = _grid(qtbot, text, width)
    fit = grid._fit()
    fm = QFontMetricsF(fit.font)
    rects = grid.cell_rects()
    assert sorted(rects) == list(range(len(text)))  # all fit: nothing scrolled away
    for k, rect in rects.items():
        glyph = {"\n": "↵", " ": ""}.get(text[k], text[k])
        assert rect.width() >= fm.horizontalAdvance(glyph), (text[k], rect.width(), fm.horizontalAdvance(glyph))
        assert rect.right() <= grid.width() and rect.bottom() <= grid.height()
    items = list(rects.values())
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            assert not a.intersects(b), (a, b)
    # the newline starts a new row; wrapping never splits a cell
    assert fit.rows_of[text.index("门")] == fit.rows_of[text.index("\n")] + 1
    # hit-testing: every character's centre answers with its own index (its step)
    for k, rect in rects.items():
        assert grid.char_at(rect.center()) == k
    assert grid.char_at(QPointF(1, 1)) is None  # the margin


def test_clicking_a_character_goes_to_its_step_and_hovering_names_it(qtbot):
    state = text_state(bidirectional=False)
    panel = show(qtbot, PANEL_CLASSES["io"](state), (700, 300))
    grid = panel.view.grid
    k = TEXT.index("r")
    centre = grid.cell_rects()[k].center().toPoint()
    with qtbot.waitSignal(state.stepChanged) as moved:
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=centre)
    assert moved.args == [k] and state.step == k and grid.step == k
    value = state.quantity("hidden_state")[k, 0]
    assert grid.tooltip_for(k) == (f"step {k}: 'r', h of unit 0 = {value:+.2f} (click to go to this step)"
                                   .replace("-", "−"))


# --------------------------------------------------------------------------- readable sizes

BUNDLED = ["sine-lstm", "sine-gru", "sine-rnn", "binary-addition-lstm", "binary-addition-gru", "digits-lstm",
           "digits-gru", "brackets-lstm", "brackets-gru", "adding-lstm", "adding-gru", "text-lstm", "text-gru"]
THEMES = [(False, "light"), (True, "dark")]


def assert_readable(panel, where):
    boxes = text_boxes(panel)
    assert not overlapping(boxes), (where, overlapping(boxes)[:3])
    assert not clipped(boxes), (where, clipped(boxes)[:3])
    usable = 0.95 * MIN_VIEW_LINES * line_px(panel.state.theme)
    heights = [h for hs in plot_heights(panel).values() for h in hs]
    assert all(h >= usable for h in heights), (where, heights, usable)
    import pyqtgraph as pg

    for view in panel.findChildren(pg.GraphicsView):
        for item in view.items():
            if isinstance(item, pg.PlotItem) and not isinstance(item, pg.ColorBarItem) \
                    and item.getAxis("left").isVisible():
                assert len(drawn_labels(item.getAxis("left"))) >= 2, (where, item.titleLabel.text[:40])


def _at_readable_sizes(qtbot, pid, state, where):
    panel = PANEL_CLASSES[pid](state)
    show(qtbot, panel, (800, 600))
    need = panel.readable_size()
    for size in ((need.width(), need.height()), (need.width() + 240, need.height() + 160),
                 (int(need.width() * 1.8), need.height())):
        panel.resize(*size)
        panel.grab()
        assert_readable(panel, (where, size))


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("presentation,theme", THEMES)
def test_io_panel_is_readable_at_and_above_its_readable_size(qtbot, name, presentation, theme):
    _at_readable_sizes(qtbot, "io", bundled_state(name, presentation, theme), (name, theme, presentation))


@pytest.mark.parametrize("pid", ["traces", "saturation"])
@pytest.mark.parametrize("name", ["text-lstm", "digits-gru", "sine-rnn"])
@pytest.mark.parametrize("presentation,theme", THEMES)
def test_traces_and_saturation_are_readable_at_and_above_their_readable_size(qtbot, pid, name, presentation, theme):
    _at_readable_sizes(qtbot, pid, bundled_state(name, presentation, theme), (pid, name, theme, presentation))


def test_presentation_fonts_ask_for_more_room(qtbot):
    """The readable size grows with the fonts, so a layout shows fewer panels rather than squeeze one."""
    for pid in ("io", "traces", "saturation"):
        small = show(qtbot, PANEL_CLASSES[pid](bundled_state("text-lstm")), (800, 600)).readable_size()
        large = show(qtbot, PANEL_CLASSES[pid](bundled_state("text-lstm", True)), (800, 600)).readable_size()
        assert large.width() > small.width() * 1.3 and large.height() > small.height() * 1.3, (pid, small, large)
