"""Which earlier inputs matter now (issue 12), drawn on the input itself: the io views shade their
input by the connectivity ||dy/dx_t|| of real gradients (gateviz.core.gradients on the bundled
models), mark t*, follow new gradients in place, and look as before with the shading off.

What is checked is what a person sees: pixels of grab() (a strongly connected character's cell
darker than an unconnected one, a tinted column or row, glyph contrast on the dark and
presentation themes), the plot's visible range, the caption's words."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from gateviz.bundled import default_sample, load_bundled  # noqa: E402
from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.gradients import GradientTarget, compute_gradients  # noqa: E402
from gateviz.tasks import get_task_for_model  # noqa: E402
from gateviz.ui.panels import PANEL_CLASSES  # noqa: E402
from gateviz.ui.panels.io_base import relative_luminance, shade_colour  # noqa: E402
from gateviz.ui.panels.io_memory import ACCENT, RowShade  # noqa: E402
from gateviz.ui.state import Theme, ViewState  # noqa: E402


def io_panel(qtbot, name: str, size=(1000, 420), theme: Theme = Theme(), memory: bool = True):
    model = load_bundled(name)
    sample = default_sample(model)
    state = ViewState()
    state.set_theme(theme)
    state.set_show_memory(memory)
    state.set_trace(model, Tracer(model).trace(sample.sequence), sample.sequence, get_task_for_model(model))
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return state, panel


def give_gradients(qtbot, state: ViewState, step: int):
    """Real gradients of the default target at ``step``, handed over as the Memory panel's worker does."""
    g = compute_gradients(state.model, state.trace, GradientTarget(step=step))
    with qtbot.waitSignal(state.gradientsChanged, timeout=5000):
        state.set_gradients(g)
    return g


def image_of(widget) -> np.ndarray:
    """(H, W, 3) uint8 RGB of what ``widget`` draws."""
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    return np.frombuffer(img.constBits(), dtype=np.uint8, count=h * img.bytesPerLine()) \
        .reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def colour_at(image: np.ndarray, x: float, y: float) -> QColor:
    r, g, b = image[int(y), int(x)]
    return QColor(int(r), int(g), int(b))


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def cell_fill(image: np.ndarray, rect) -> QColor:
    """A cell's background: its top-left corner, away from the glyph and the frames."""
    return colour_at(image, rect.left() + 2, rect.top() + 2)


# --------------------------------------------------------------------------- text: the Distill figure


def test_text_cells_are_shaded_by_connectivity_darkest_where_it_is_largest(qtbot):
    state, panel = io_panel(qtbot, "brackets-lstm")
    grid = panel.view.grid
    t_star = 20
    state.set_step(t_star)
    g = give_gradients(qtbot, state, t_star)
    c = g.connectivity
    assert c[t_star + 1:].max() == 0.0 and c[: t_star + 1].max() > 0  # causal: nothing after t* matters
    earlier = int(np.argmax(c[:t_star]))  # the most connected earlier character (not t*'s own cell)
    image = image_of(grid)
    rects = grid.cell_rects()
    strong, none = cell_fill(image, rects[earlier]), cell_fill(image, rects[t_star + 3])
    assert none == QColor(state.theme.background)  # no connectivity: no shading
    assert relative_luminance(strong) < relative_luminance(none) - 0.1, (strong.name(), none.name())
    # the shade grows with connectivity: the largest earlier value darker than a weaker one
    weak = int(np.argmin(np.where(np.arange(t_star) != earlier, c[:t_star], np.inf)))
    assert relative_luminance(cell_fill(image, rects[weak])) >= relative_luminance(strong)
    # t* is underlined in the mark colour, below its glyph
    r = rects[t_star]
    underline = colour_at(image, r.center().x(), r.bottom() - 2)
    assert contrast(underline, cell_fill(image, r)) > 2.0
    # the key above the text says what the shading is; the unit's −1..+1 scale gives way to 0..max
    key = panel.memory_key
    assert g.definition in key.text and "‖∂y/∂xₜ‖" in key.text and "t* underlined" in key.text
    assert not key.isHidden() and panel.view.legend.isHidden() and panel.caption.isHidden()
    assert f"{g.connectivity.max():.3g} at step {int(np.argmax(g.connectivity))}" in key.toolTip()
    assert "step 20" in grid.tooltip_for(t_star) and "of its largest" in grid.tooltip_for(earlier)


def test_no_shading_when_memory_is_off_or_gradients_are_none(qtbot):
    state, panel = io_panel(qtbot, "brackets-lstm")
    state.set_step(20)
    before, caption = image_of(panel), panel.caption.text()
    g = give_gradients(qtbot, state, 20)
    assert not np.array_equal(image_of(panel), before)
    with qtbot.waitSignal(state.gradientsChanged):
        state.set_show_memory(False)
    np.testing.assert_array_equal(image_of(panel), before)  # exactly as without gradients
    assert panel.caption.text() == caption and panel.memory_key.isHidden()
    assert not panel.view.legend.isHidden()  # the unit's colour scale is back
    with qtbot.waitSignal(state.gradientsChanged):
        state.set_show_memory(True)
    assert panel.view.grid.shade is not None
    with qtbot.waitSignal(state.gradientsChanged):
        state.set_gradients(None)
    np.testing.assert_array_equal(image_of(panel), before)
    # a result for another trace (a late worker) is not drawn on this one
    other = load_bundled("brackets-lstm")
    short = Tracer(other).trace("(())")
    late = compute_gradients(other, short, GradientTarget(step=2))
    state.set_gradients(late)
    assert panel.shade is None and panel.view.grid.shade is None
    del g


def test_shading_follows_new_gradients(qtbot):
    state, panel = io_panel(qtbot, "brackets-lstm")
    grid = panel.view.grid
    give_gradients(qtbot, state, 10)
    rects = grid.cell_rects()
    first = image_of(grid)
    assert cell_fill(first, rects[15]) == QColor(state.theme.background)  # after t* = 10: nothing
    g = give_gradients(qtbot, state, 25)
    second = image_of(grid)
    level = g.connectivity[15] / g.connectivity.max()
    assert level > 0.05
    assert relative_luminance(cell_fill(second, rects[15])) < relative_luminance(QColor(state.theme.background)) - 0.02
    assert grid.shade_step == 25 and g.definition in panel.memory_key.text and "25" in g.definition
    np.testing.assert_allclose(grid.shade, g.connectivity / g.connectivity.max(), rtol=1e-6)


@pytest.mark.parametrize("theme", [Theme(name="dark"), Theme(presentation=True), Theme(name="dark", presentation=True)],
                         ids=["dark", "presentation", "dark-presentation"])
def test_shaded_text_stays_legible(qtbot, theme):
    state, panel = io_panel(qtbot, "text-lstm", size=(1366, 500), theme=theme)
    grid = panel.view.grid
    t_star = 60
    state.set_step(t_star)
    g = give_gradients(qtbot, state, t_star)
    image = image_of(grid)
    rects = grid.cell_rects()
    levels = g.connectivity / g.connectivity.max()
    shaded = [k for k in rects if k != t_star and levels[k] > 0.3 and grid.chars[k].strip()]
    assert len(shaded) >= 2
    background = QColor(theme.background)
    for k in shaded:
        r = rects[k]
        fill = cell_fill(image, r)
        assert contrast(fill, background) > 1.3, (k, fill.name())  # the shading shows on this theme
        # the glyph: the cell's pixel farthest from its fill in contrast, readable (WCAG AA)
        inner = image[int(r.top()) + 3: int(r.bottom()) - 2, int(r.left()) + 2: int(r.right()) - 1]
        glyph = max((QColor(*map(int, px)) for px in inner.reshape(-1, 3)), key=lambda q: contrast(q, fill))
        assert contrast(glyph, fill) >= 4.5, (k, grid.chars[k], glyph.name(), fill.name())
    # the legend's bar runs from the background to the accent
    legend = panel.memory_key.legend
    legend_image = image_of(legend)
    bar = legend.bar_rect()
    right = colour_at(legend_image, bar.right() - 3, bar.center().y())
    assert contrast(right, QColor(ACCENT[theme.name])) < 1.15


# --------------------------------------------------------------------------- plots: a band along time


def column_tinted(image: np.ndarray, panel, plot, step: float, background: QColor) -> float:
    """The share of the plot's height at ``step`` that differs from the background."""
    vb = plot.vb
    top_left = panel.view.graphics.mapTo(panel, vb.mapViewToDevice(QPointF(step, vb.viewRange()[1][1])).toPoint())
    bottom = panel.view.graphics.mapTo(panel, vb.mapViewToDevice(QPointF(step, vb.viewRange()[1][0])).toPoint())
    x = top_left.x()
    column = image[top_left.y() + 12: bottom.y() - 2, x]  # below the ▼
    bg = np.array([background.red(), background.green(), background.blue()])
    return float(np.mean(np.abs(column.astype(int) - bg).sum(axis=1) > 12))


@pytest.mark.parametrize("name", ["sine-lstm", "adding-lstm"])
def test_signal_views_shade_a_band_along_time(qtbot, name):
    state, panel = io_panel(qtbot, name)
    view = panel.view
    plot = view.plots[0]
    t_star = 30
    state.set_step(t_star)
    items_before = len(plot.items)
    g = give_gradients(qtbot, state, t_star)
    band = view.memory_band
    assert band is not None and band.plot is plot
    np.testing.assert_allclose(band.image.image[0], g.connectivity / g.connectivity.max(), rtol=1e-6)
    assert list(band.marker.getData()[0]) == [t_star]  # ▼ at t*
    image = image_of(panel)
    bg = QColor(state.theme.background)
    peak = int(np.argmax(g.connectivity[:t_star]))  # the most connected earlier step
    assert column_tinted(image, panel, plot, peak, bg) > 0.8
    assert column_tinted(image, panel, plot, t_star + 5.3, bg) < 0.2  # after t*: only curves and grid
    # the y range is the task's, untouched by the band
    lo, hi = plot.vb.viewRange()[1]
    assert band.image.mapRectToView(band.image.boundingRect()).top() == pytest.approx(lo)
    # new gradients update the same items in place
    image_item = band.image
    give_gradients(qtbot, state, 40)
    assert view.memory_band.image is image_item and len(plot.items) == items_before + 2
    assert list(band.marker.getData()[0]) == [40]
    assert "▼ at t*" in panel.memory_key.text
    with qtbot.waitSignal(state.gradientsChanged):
        state.set_show_memory(False)
    assert not band.image.isVisible() and not band.marker.isVisible()


def test_generic_image_input_gets_a_strip_below_it(qtbot):
    from test_panels import make_state

    state = make_state(features=12)
    state.set_show_memory(True)
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    panel.resize(1000, 420)
    panel.show()
    plot = panel.view.input_plot
    assert plot.vb.viewRange()[1] == pytest.approx([0, 12])
    give_gradients(qtbot, state, 40)
    assert plot.vb.viewRange()[1] == pytest.approx([0, 12 + 1.35])  # a row's room for the strip
    strip = panel.view.memory_band.image.mapRectToView(panel.view.memory_band.image.boundingRect())
    assert (strip.top(), strip.bottom()) == pytest.approx((12.25, 13.25))
    axis = plot.getAxis("left")
    assert axis.tickStrings([11, 12, 13], 1, 1) == ["11", "", ""]  # no features 12, 13
    with qtbot.waitSignal(state.gradientsChanged):
        state.set_gradients(None)
    assert plot.vb.viewRange()[1] == pytest.approx([0, 12])


# --------------------------------------------------------------------------- digits rows, bit columns


def test_digit_rows_are_tinted_by_connectivity(qtbot):
    state, panel = io_panel(qtbot, "digits-lstm")
    view = panel.view
    t_star = 5
    state.set_step(t_star)
    g = give_gradients(qtbot, state, t_star)
    image = image_of(view)
    levels = g.connectivity / g.connectivity.max()
    digit = view.decoded["image"]  # (rows = steps, columns)
    vb = view.img_plot.vb
    paper = QColor(state.theme.background)  # the digit's lowest value is drawn in the background colour
    tint = QColor(ACCENT[state.theme.name])

    def blank_pixel(r: int) -> QColor:
        """The drawn colour of row r's blank (lowest-valued) pixel."""
        c = int(np.argmin(digit[r]))
        assert digit[r, c] == digit.min()
        point = view.graphics.mapTo(view, vb.mapViewToDevice(QPointF(c + 0.5, r + 0.5)).toPoint())
        return colour_at(image, point.x(), point.y())

    def expected(level: float) -> QColor:
        a = RowShade.ALPHA * level
        return QColor(*(round((1 - a) * p + a * q) for p, q in zip(paper.getRgb()[:3], tint.getRgb()[:3])))

    assert levels[t_star + 1:].max() == 0
    for r in range(digit.shape[0]):
        if r == t_star:
            continue  # framed as the current row
        got, want = blank_pixel(r), expected(float(levels[r]))
        assert max(abs(a - b) for a, b in zip(got.getRgb(), want.getRgb())) <= 3, (r, got.name(), want.name())
    assert blank_pixel(t_star + 1) == paper  # a row read after t*: as without shading
    strongest = int(np.argmax(levels))
    assert contrast(blank_pixel(strongest), paper) > 1.5
    assert "◀ at t*" in panel.memory_key.text and g.definition in panel.memory_key.text
    assert view.row_shade.marker.getData()[1][0] == pytest.approx(t_star + 0.5)  # ◀ at t*'s row


@pytest.mark.parametrize("theme", [Theme(), Theme(name="dark", presentation=True)], ids=["light", "dark-presentation"])
def test_bit_columns_are_tinted_and_their_digits_stay_readable(qtbot, theme):
    state, panel = io_panel(qtbot, "binary-addition-lstm", theme=theme)
    grid = panel.view.grid
    t_star = 6
    state.set_step(t_star)
    g = give_gradients(qtbot, state, t_star)
    image = image_of(grid)
    levels = g.connectivity / g.connectivity.max()
    label_w, _right_w, head_h = grid._columns()
    cell = grid._cell()
    x0, y0 = label_w + 10, 10 + head_h
    rows = len(grid.rows)
    background = QColor(theme.background)

    def gap(t: int) -> QColor:  # the band's margin left of column t's cells, mid-grid
        return colour_at(image, x0 + t * cell, y0 + rows * cell / 2)

    for t in range(t_star):  # the current step's column is framed besides
        want = shade_colour(float(levels[t]), background, QColor(ACCENT[theme.name]))
        got = gap(t)
        assert max(abs(a - b) for a, b in zip(got.getRgb(), want.getRgb())) <= 3, (t, got.name(), want.name())
    assert levels[t_star - 1] > 0.2 and contrast(gap(t_star - 1), background) > 1.2
    assert gap(t_star + 2) == background  # after t* (and clear of its frame): as without shading
    # every digit in a tinted column is readable on what it is drawn on
    for t in range(t_star + 1):
        for r in range(rows):
            rect_x, rect_y = x0 + t * cell + 2, y0 + r * cell + 2
            inner = image[int(rect_y + 4): int(rect_y + cell - 8), int(rect_x + 4): int(rect_x + cell - 8)]
            fill = colour_at(image, rect_x + 5, rect_y + 5)
            glyph = max((QColor(*map(int, px)) for px in inner.reshape(-1, 3)[::3]), key=lambda q: contrast(q, fill))
            assert contrast(glyph, fill) >= 4.5, (t, r, glyph.name(), fill.name())


# --------------------------------------------------------------------------- the key's row: legible, never squeezing


@pytest.mark.parametrize("name", ["sine-lstm", "binary-addition-lstm", "digits-lstm", "brackets-lstm", "adding-lstm",
                                  "text-lstm"])
@pytest.mark.parametrize("size,theme", [((720, 300), Theme()), ((960, 480), Theme(name="dark", presentation=True))],
                         ids=["app", "slide-presentation"])
def test_shaded_panels_keep_their_texts_apart_and_inside(qtbot, name, size, theme):
    from text_geometry import clipped, overlapping, text_boxes

    state, panel = io_panel(qtbot, name, size=size, theme=theme)
    need = panel.readable_size()
    state.set_step(state.trace.length // 2)
    give_gradients(qtbot, state, state.trace.length // 2)
    assert panel.readable_size() == need  # the layout keeps the room it gave the key before gradients came
    panel.grab()  # one paint: pyqtgraph sizes axes and titles as it draws
    boxes = text_boxes(panel)
    key = sorted(b.text for b in boxes if b.owner in ("MemoryKey", "MemoryLegend"))
    assert key[:2] == ["0", "max"], key  # both ends of the scale
    assert key[2].startswith("shading ‖∂y/∂xₜ‖ for y = "), key  # and the words
    assert not overlapping(boxes), overlapping(boxes)
    assert not clipped(boxes), clipped(boxes)


def test_shading_follows_the_cursor_with_gradients_computed_off_the_gui_thread(qtbot):
    from gateviz.ui.gradient_follower import GradientFollower

    state, panel = io_panel(qtbot, "brackets-lstm")
    follower = GradientFollower(state)  # the app's worker: one job at a time in a thread
    grid = panel.view.grid
    for step in (3, 17, 30, 8):
        state.set_step(step)
        qtbot.waitUntil(lambda: grid.shade_step == step and panel.shade is not None, timeout=20000)
        expected = compute_gradients(state.model, state.trace, GradientTarget(step=step)).connectivity
        np.testing.assert_allclose(grid.shade, expected / expected.max(), rtol=1e-5, atol=1e-7)
        assert grid.shade[step + 1:].max(initial=0.0) == 0.0
    follower.wait()


def test_shading_follows_a_theme_switch_and_leaves_with_the_trace(qtbot):
    state, panel = io_panel(qtbot, "brackets-lstm")
    grid = panel.view.grid
    state.set_step(20)
    g = give_gradients(qtbot, state, 20)
    levels = g.connectivity / g.connectivity.max()
    middle = int(np.argmin(np.abs(levels[:20] - 0.5)))  # a half-shaded cell: a blend of background and accent
    assert 0.2 < levels[middle] < 0.8
    light = cell_fill(image_of(grid), grid.cell_rects()[middle])
    with qtbot.waitSignal(state.themeChanged):
        state.set_theme(Theme(name="dark"))
    image, rects = image_of(grid), grid.cell_rects()
    assert cell_fill(image, rects[25]) == QColor("#1e1e1e")  # after t*: the dark background, unshaded
    dark = cell_fill(image, rects[middle])
    assert relative_luminance(dark) < relative_luminance(light)  # blended from the dark background now
    assert contrast(dark, QColor("#1e1e1e")) > 1.5  # and still standing out from it
    # a new input: the old gradients belong to the old trace, the views drop the shading at once
    with qtbot.waitSignal(state.traceChanged):
        state.set_trace(state.model, Tracer(state.model).trace("(()())"), "(()())", state.task)
    assert panel.shade is None and panel.view.grid.shade is None and panel.memory_key.isHidden()


@pytest.mark.parametrize("background", ["#ffffff", "#1e1e1e"])
def test_vectorised_cell_colours_equal_the_per_cell_ones(background):
    from gateviz.ui.panels.io_base import readable_on, shade_colours

    levels = np.r_[np.linspace(0, 1, 101), -0.5, 1.5, np.nan].astype(np.float32)
    bg, accent = QColor(background), QColor(ACCENT["light"])
    got = shade_colours(levels, bg, accent)
    for level, (cell, text) in zip(levels, got):
        want = shade_colour(float(level), bg, accent)
        assert (cell.rgb(), text.rgb()) == (want.rgb(), readable_on(want).rgb()), level
        assert contrast(cell, text) >= 4.5
