"""Layout of the input/output panel: plots get a real share of the height, texts stay inside.

Rendered offscreen at the sizes the panel gets in the app window (720x300) and in a slide
export (960x480), in the normal and presentation themes, with the bundled models.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from gateviz.bundled import default_sample, load_bundled
from gateviz.core.engine import Tracer
from gateviz.tasks import get_task_for_model
from gateviz.ui.panels import PANEL_CLASSES
from gateviz.ui.panels.io_views import nice_ticks
from gateviz.ui.state import Theme, ViewState

TASK_MODELS = ["sine-lstm", "binary-addition-lstm", "digits-lstm", "brackets-lstm", "adding-lstm", "text-lstm"]
SIZES = [(720, 300), (960, 480)]


def io_panel(qtbot, name: str, size=(720, 300), presentation=False, theme="light"):
    model = load_bundled(name)
    sample = default_sample(model)
    state = ViewState()
    state.set_theme(Theme(name=theme, presentation=presentation))
    state.set_trace(model, Tracer(model).trace(sample.sequence), sample.sequence, get_task_for_model(model))
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab()  # one paint: pyqtgraph sizes axes and titles as it draws
    qtbot.waitUntil(lambda: layout_settled(panel))
    return panel


def layout_settled(panel) -> bool:
    """The view's widgets fill it (a re-layout after a height change has run)."""
    view = panel.view
    parts = [view.grid, view.graphics] if hasattr(view, "grid") and hasattr(view, "graphics") else []
    return not parts or abs(sum(w.height() for w in parts) - view.height()) <= 1


def plots_of(view):
    return list(getattr(view, "plots", [])) or ([view.plot] if hasattr(view, "plot") else [])


def view_box_height(plot) -> float:
    return plot.vb.sceneBoundingRect().height()


def tick_labels(axis) -> list[str]:
    major = axis._tickLevels[0] if axis._tickLevels else []
    return [label for _, label in major]


def in_widget(rect: QRectF, widget, slack=1.0) -> bool:
    return (rect.left() >= -slack and rect.top() >= -slack and rect.right() <= widget.width() + slack
            and rect.bottom() <= widget.height() + slack)


def test_nice_ticks_are_few_and_round():
    assert nice_ticks(0, 8) == [0, 4, 8]
    assert nice_ticks(0, 1, 5) == [0, 0.25, 0.5, 0.75, 1] and nice_ticks(0, 1, 4) == [0, 0.5, 1]
    assert nice_ticks(-1, 1, 2) == [-1, 1]  # two labels: both ends rather than a lone 0
    assert nice_ticks(0, 8.4, 5, integer=True) == [0, 2, 4, 6, 8]
    assert nice_ticks(0, 12) == [0, 5, 10]
    assert nice_ticks(-1, 1) == [-1, 0, 1]
    assert nice_ticks(0, 2) == [0, 1, 2]
    assert len(nice_ticks(0, 10.4)) <= 3


@pytest.mark.parametrize("presentation", [False, True])
def test_brackets_depth_plot_gets_the_height_and_readable_ticks(qtbot, presentation):
    panel = io_panel(qtbot, "brackets-lstm", (720, 300), presentation)
    view = panel.view
    assert type(view).__name__ == "TextView"
    depth = np.asarray(view.decoded["depth"])
    assert depth.max() == 8  # the "deep nesting" sample: ticks 0, 4, 8
    assert view_box_height(view.plot) >= 0.35 * panel.height()
    # the text block is only as tall as its wrapped rows (it fits: no scrolling)
    fit = view.grid._fit()
    assert fit.n_rows * fit.ch <= view.grid.height() <= fit.n_rows * fit.ch + 2 * view.grid.MARGIN + 1
    # whole-number depths from 0 to 8, as many as the height holds (0 4 8 or 0 2 4 6 8)
    labels = tick_labels(view.plot.getAxis("left"))
    assert labels in (["0", "4", "8"], ["0", "2", "4", "6", "8"]), labels
    lo, hi = view.plot.vb.viewRange()[1]
    assert -2.0 < lo < 0 and 8 < hi < 10  # the data's range, with room for the end labels
    # the end labels are drawn: their rectangles lie within the axis's height
    axis = view.plot.getAxis("left")
    label_h = QFontMetricsF(axis.style["tickFont"] or QFont()).height() * 0.8
    to_px = view_box_height(view.plot) / (hi - lo)
    assert (0 - lo) * to_px >= label_h / 2 - 0.5 and (hi - 8) * to_px >= label_h / 2 - 0.5


def test_text_block_leaves_the_surprisal_plot_most_of_the_panel(qtbot):
    panel = io_panel(qtbot, "text-lstm", (720, 300))
    view = panel.view
    assert view.grid.height() <= 0.4 * panel.height()
    assert view_box_height(view.plot) >= 0.35 * panel.height()
    labels = tick_labels(view.plot.getAxis("left"))
    assert 3 <= len(labels) <= 5 and labels[0] == "0"


@pytest.mark.parametrize("name", TASK_MODELS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("presentation", [False, True])
def test_plots_titles_and_legends_lie_inside_the_panel(qtbot, name, size, presentation):
    panel = io_panel(qtbot, name, size, presentation, theme="dark" if presentation else "light")
    view = panel.view
    for plot in plots_of(view):
        graphics = plot.scene().views()[0]
        assert in_widget(plot.sceneBoundingRect(), graphics), (name, plot.titleLabel.text[:60])
        title = plot.titleLabel
        if title.isVisible() and title.text:
            assert in_widget(title.item.sceneBoundingRect(), graphics), (name, title.text[:60])
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            if axis.isVisible():  # its place in the layout (its bounding rect adds room for overhanging labels)
                assert in_widget(axis.mapRectToScene(QRectF(0, 0, axis.size().width(), axis.size().height())),
                                 graphics), (name, side)
        assert view_box_height(plot) > 20, name


def test_sine_legend_is_not_cut_off_in_presentation_mode(qtbot):
    panel = io_panel(qtbot, "sine-lstm", (720, 300), presentation=True)
    (plot,) = panel.view.plots
    graphics = panel.view.graphics
    text = plot.titleLabel.item
    assert "truth" in text.toPlainText()
    assert text.sceneBoundingRect().right() <= graphics.width()
    # the x axis reaches the rollout's end inside the panel
    assert plot.vb.sceneBoundingRect().right() < graphics.width()


@pytest.mark.parametrize("size", SIZES)
def test_digits_heatmap_and_bars_share_the_column_with_readable_labels(qtbot, size):
    panel = io_panel(qtbot, "digits-lstm", size, presentation=True, theme="dark")
    view = panel.view
    K = view.probs.shape[1]
    heat, bars = view.prob_plot, view.bar_plot
    assert view_box_height(heat) > 25 and view_box_height(bars) > 25
    # class labels on the heatmap do not overlap
    axis = heat.getAxis("left")
    label_h = QFontMetricsF(axis.style["tickFont"] or QFont()).height() * 0.9
    positions = [v for v, _ in axis._tickLevels[0]]
    row_px = view_box_height(heat) / K
    assert len(positions) >= 1 and np.all(np.diff(positions) * row_px >= label_h - 0.5)
    # the bar chart's y labels do not overlap and its class labels have a row of their own
    bar_axis = bars.getAxis("left")
    ticks = [v for v, _ in bar_axis._tickLevels[0]]
    lo, hi = bars.vb.viewRange()[1]
    gaps = np.diff(ticks) * view_box_height(bars) / (hi - lo)
    assert np.all(gaps >= QFontMetricsF(bar_axis.style["tickFont"] or QFont()).height() * 0.8)
    bottom = bars.getAxis("bottom")
    assert bottom.height() >= QFontMetricsF(bottom.style["tickFont"] or QFont()).height() * 0.8


def test_titles_are_redrawn_after_the_panel_is_resized(qtbot):
    """A title re-wrapped for a new width is painted again (its cached pixmap is dropped)."""
    from PySide6.QtGui import QColor, QImage
    panel = io_panel(qtbot, "sine-lstm", (720, 300))  # the legend wraps onto two lines
    panel.resize(960, 480)  # one line
    qtbot.waitUntil(lambda: panel.view.width() == 960)
    image = panel.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    (plot,) = panel.view.plots
    rect = plot.titleLabel.item.sceneBoundingRect()
    top_left = panel.view.graphics.mapTo(panel, panel.view.graphics.mapFromScene(rect.topLeft()))
    background = QColor(panel.state.theme.background).rgb()
    drawn = sum(image.pixel(x, y) != background
                for x in range(top_left.x(), top_left.x() + int(rect.width()), 2)
                for y in range(top_left.y(), top_left.y() + int(rect.height()), 2))
    assert drawn > 100  # the title's text and legend, not an empty row
