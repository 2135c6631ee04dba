"""The app's panels, offscreen: they draw, follow the time cursor, pins, row order and themes."""

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.model import InputStage, RecurrentModel  # noqa: E402
from gateviz.formats.torch_state import layers_from_module  # noqa: E402
from gateviz.ui.panels import PANEL_CLASSES  # noqa: E402
from gateviz.ui.state import Theme, ViewState  # noqa: E402

CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def make_state(cell="lstm", units=12, steps=60, features=2, num_layers=1, bidirectional=False, seed=0):
    torch.manual_seed(seed)
    module = CELLS[cell](features, units, num_layers=num_layers, bidirectional=bidirectional)
    with torch.no_grad():  # larger weights so gates really open and close
        for p in module.parameters():
            p.mul_(3)
    model = RecurrentModel(layers_from_module(module), input=InputStage(features=features))
    t = np.arange(steps)
    seq = np.stack([np.sin(t / 6 + k) for k in range(features)], axis=1).astype(np.float32)
    state = ViewState()
    state.set_trace(model, Tracer(model).trace(seq), seq)
    return state


def grab(widget, size=(900, 700)) -> QImage:
    widget.resize(*size)
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def pixels(image: QImage) -> np.ndarray:
    """(H, W) uint32 RGB values of a Format_RGB32 image."""
    w, h = image.width(), image.height()
    ptr = image.constBits()
    return np.frombuffer(ptr, dtype=np.uint32, count=h * image.bytesPerLine() // 4).reshape(h, -1)[:, :w].copy()


def assert_not_blank(image: QImage, background: str, min_colours=20, min_drawn=0.015):
    px = pixels(image) & 0xFFFFFF
    assert len(np.unique(px)) >= min_colours, "the panel drew almost nothing"
    bg = int(background.lstrip("#"), 16)
    assert (px != bg).mean() > min_drawn, "the panel is mostly background"


def test_panel_registry_contract():
    assert list(PANEL_CLASSES)[: len(PANEL_CLASSES)] == [p for p in ("io", "heatmaps", "traces", "cell", "saturation",
                                                                     "memory") if p in PANEL_CLASSES]
    for pid, cls in PANEL_CLASSES.items():
        assert cls.panel_id == pid and cls.title


@pytest.mark.parametrize("pid", list(PANEL_CLASSES))
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_panels_draw_on_a_traced_state(qtbot, pid, cell):
    state = make_state(cell)
    panel = PANEL_CLASSES[pid](state)
    qtbot.addWidget(panel)
    assert_not_blank(grab(panel), state.theme.background)
    state.set_theme(Theme(name="dark", presentation=True))
    assert_not_blank(grab(panel), state.theme.background)


@pytest.mark.parametrize("pid", list(PANEL_CLASSES))
def test_panels_built_before_the_trace_draw_it_when_it_arrives(qtbot, pid):
    empty = ViewState()
    panel = PANEL_CLASSES[pid](empty)
    qtbot.addWidget(panel)
    if pid == "memory":  # its gradients come from a follower, as in the window (computed at once here)
        from gateviz.ui.gradient_follower import GradientFollower

        GradientFollower(empty, panel, sync=True)
    panel.grab()  # must not fail without a trace
    full = make_state("lstm")
    with qtbot.waitSignal(empty.traceChanged):
        empty.set_trace(full.model, full.trace, full.sequence)
    assert_not_blank(grab(panel), empty.theme.background)


# --------------------------------------------------------------------------- heatmaps


def test_heatmaps_one_per_quantity_with_fixed_levels(qtbot):
    state = make_state("lstm")
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    assert [r.quantity for r in panel.rows] == list(state.trace.quantities)
    levels = {r.quantity: r.levels for r in panel.rows}
    assert levels["forget_gate"] == (0.0, 1.0) and levels["hidden_state"] == (-1.0, 1.0)
    lim = levels["cell_state"][1]
    assert levels["cell_state"] == (-lim, lim) and lim >= np.abs(state.quantity("cell_state")).max()
    f = next(r for r in panel.rows if r.quantity == "forget_gate")
    img = f.image.image  # (units, T) row-major
    np.testing.assert_allclose(img, state.quantity("forget_gate").T)
    assert "Forget gate" in f.plot.toolTip() and "σ" in f.plot.toolTip()


def test_cell_state_heatmap_per_unit_scale(qtbot):
    """View > Cell state per unit: each row divided by its unit's max |c|, levels ±1, raw values in tooltips."""
    state = make_state("lstm", units=6)
    c = state.quantity("cell_state")  # (T, units)
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    row = next(r for r in panel.rows if r.quantity == "cell_state")
    shared = pixels(grab(panel))
    with qtbot.waitSignal(state.themeChanged):
        state.set_theme(Theme(cell_scale="unit"))
    assert row.levels == (-1.0, 1.0)
    img = row.image.image  # (units, T)
    np.testing.assert_allclose(np.abs(img).max(axis=1), 1.0, rtol=1e-6)  # every unit reaches the ends
    np.testing.assert_allclose(img * np.abs(c).max(axis=0)[:, None], c.T, rtol=1e-5, atol=1e-6)
    assert "its max |c|" in row.plot.titleLabel.text
    assert [label for _, label in row.bar.axis._tickLevels[0]] == ["−max", "0", "+max"]
    gates = next(r for r in panel.rows if r.quantity == "forget_gate")
    np.testing.assert_allclose(gates.image.image, state.quantity("forget_gate").T)  # only c changes
    assert (pixels(grab(panel)) != shared).mean() > 0.002
    with qtbot.waitSignal(state.themeChanged):
        state.set_theme(Theme(cell_scale="shared"))
    lim = row.levels[1]
    assert lim >= np.abs(c).max() and row.unit_limits is None
    np.testing.assert_allclose(row.image.image, c.T)


def test_per_unit_scale_survives_an_all_zero_unit():
    from gateviz.ui.panels.common import unit_limits

    a = np.array([[0.0, 2.0, np.nan], [0.0, -4.0, np.nan]])
    np.testing.assert_array_equal(unit_limits(a), [1.0, 4.0, 1.0])


def test_heatmap_cursor_follows_step(qtbot):
    state = make_state("gru")
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(state.stepChanged):
        state.set_step(37)
    assert all(r.cursor.value() == 37 for r in panel.rows)
    before = pixels(grab(panel))
    state.set_step(5)
    after = pixels(grab(panel))
    changed_cols = np.nonzero((before != after).any(axis=0))[0]
    assert changed_cols.size > 0 and changed_cols.size < before.shape[1] // 4  # only around the cursors


def test_heatmap_row_order_reorders_image(qtbot):
    state = make_state("lstm")
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    before = pixels(grab(panel))
    order = np.arange(state.trace.units())[::-1].copy()
    with qtbot.waitSignal(state.selectionChanged):
        state.set_row_order(order)
    h = next(r for r in panel.rows if r.quantity == "hidden_state")
    np.testing.assert_allclose(h.image.image[0], state.quantity("hidden_state")[:, order[0]])
    assert (pixels(grab(panel)) != before).mean() > 0.05
    labels = [label for _, label in panel.rows[0].plot.getAxis("left")._tickLevels[0]]
    assert labels[0] == str(order[0])


def test_clicking_a_heatmap_row_pins_that_unit(qtbot):
    state = make_state("lstm", units=8)
    state.set_row_order(np.array([5, 1, 2, 3, 4, 0, 6, 7]))
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    qtbot.waitExposed(panel)
    row = panel.rows[0]
    scene_pt = row.plot.vb.mapViewToScene(pg_point(30.0, 0.5))  # display row 0 -> unit 5
    view_pt = panel.view.mapFromScene(scene_pt)
    with qtbot.waitSignal(state.selectionChanged):
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(int(view_pt.x()), int(view_pt.y())))
    assert 5 in state.pinned
    assert len(row.pins.data) == len(state.pinned)


def pg_point(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


def test_heatmaps_downsample_long_traces(qtbot):
    from gateviz.core.trace import Trace
    rng = np.random.default_rng(0)
    T, U = 10000, 64
    states = {(0, "forward"): {"hidden_state": rng.uniform(-1, 1, (T, U)).astype(np.float32)}}
    trace = Trace("rnn", states)
    state = ViewState()
    model = make_state("rnn").model
    state.set_trace(model, trace)
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    img = panel.rows[0].image.image
    assert img.shape == (U, 3334) and img.dtype == np.float32 and img.flags.c_contiguous
    state.set_step(9999)
    assert panel.rows[0].cursor.value() == 9999


# --------------------------------------------------------------------------- traces


def test_traces_follow_pins_with_colours_and_legend(qtbot):
    state = make_state("lstm")
    panel = PANEL_CLASSES["traces"](state)
    qtbot.addWidget(panel)
    assert [p.quantity for p in panel.plots] == list(state.trace.quantities)
    with qtbot.waitSignal(state.selectionChanged):
        state.set_pinned([2, 7, 4])
    for p in panel.plots:
        assert sorted(p.lines) == [2, 4, 7]
        x, y = p.lines[7].getData()
        np.testing.assert_allclose(y, state.quantity(p.quantity)[:, 7], rtol=1e-6)
        assert p.lines[4].opts["pen"].color().name() == state.pin_colour(4).lower()
    text = panel.legend.text()
    assert "unit 2" in text and "unit 7" in text and state.pin_colour(7) in text
    state.toggle_pin(7)
    assert all(sorted(p.lines) == [2, 4] for p in panel.plots)
    assert "unit 7" not in panel.legend.text()


def test_traces_cursor_and_dots_follow_step(qtbot):
    state = make_state("gru")
    state.set_pinned([1, 5])
    panel = PANEL_CLASSES["traces"](state)
    qtbot.addWidget(panel)
    state.set_step(42)
    z = next(p for p in panel.plots if p.quantity == "update_gate")
    assert z.cursor.value() == 42
    xs = [z.dots[u].getData()[0][0] for u in (1, 5)]
    ys = [z.dots[u].getData()[1][0] for u in (1, 5)]
    np.testing.assert_allclose(xs, [42, 42])
    np.testing.assert_allclose(ys, state.quantity("update_gate")[42, [1, 5]], rtol=1e-6)


# --------------------------------------------------------------------------- input / output


def add_head(state, out=3, activation="softmax"):
    from gateviz.core.model import Head
    rng = np.random.default_rng(0)
    units = state.trace.units(state.trace.num_layers - 1)
    state.model.head = Head(weight=rng.standard_normal((out, units)).astype(np.float32), bias=None,
                            activation=activation)
    state.set_trace(state.model, Tracer(state.model).trace(state.sequence), state.sequence)
    return state


def test_io_generic_view_plots_inputs_and_outputs(qtbot):
    state = add_head(make_state("gru", features=3))
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    view = panel.view
    assert type(view).__name__ == "GenericView" and len(view.plots) == 2
    ys = [item.getData()[1] for item, _ in view.lines]
    assert len(ys) == 3 + 3
    np.testing.assert_allclose(ys[1], state.trace.inputs[:, 1], rtol=1e-6)
    np.testing.assert_allclose(ys[5], state.trace.output[:, 2], rtol=1e-6)
    state.set_step(17)
    assert all(c.value() == 17 for c in view.cursors)
    assert "softmax" in panel.caption.text()


def test_io_generic_view_many_features_as_image(qtbot):
    state = make_state("rnn", features=20)
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    images = [it for it in panel.view.plots[0].items if type(it).__name__ == "ImageItem"]
    assert len(images) == 1 and images[0].image.shape == (20, state.trace.length)


# --------------------------------------------------------------------------- cell diagram


def test_cell_diagram_labels_show_the_pinned_units_values(qtbot):
    state = make_state("lstm")
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    state.set_step(20)
    q = {name: state.quantity(name) for name in state.trace.quantities}
    u = state.pinned[0]
    assert panel.labels["f"] == f"f_t = {q['forget_gate'][20, u]:.2f}".replace("-", "−")
    kept = q["forget_gate"][20, u] * q["cell_state"][19, u]
    written = q["input_gate"][20, u] * q["cell_candidate"][20, u]
    assert panel.values["kept"] == pytest.approx(kept, abs=1e-6)
    assert panel.values["written"] == pytest.approx(written, abs=1e-6)
    assert panel.values["kept"] + panel.values["written"] == pytest.approx(q["cell_state"][20, u], abs=1e-5)
    with qtbot.waitSignal(state.selectionChanged):
        state.set_pinned([9])
    assert panel.unit == 9
    assert panel.values["h"] == pytest.approx(q["hidden_state"][20, 9])
    assert panel.labels["h"].startswith("h_t = ")
    state.set_step(0)  # the initial state is zero
    assert panel.values["c-1"] == 0.0 and panel.values["h-1"] == 0.0
    assert_not_blank(grab(panel), state.theme.background, min_drawn=0.1)


def test_cell_diagram_per_unit_scale_colours_c_against_the_units_own_max(qtbot):
    state = make_state("lstm", units=6)
    c = state.quantity("cell_state")
    u = int(np.argmin(np.abs(c).max(axis=0)))  # the unit with the smallest cells
    state.set_pinned([u])
    t = int(np.argmax(np.abs(c[:, u])))  # its largest |c|: the end of its own range
    state.set_step(t)
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    end = panel._div_lut[255 if c[t, u] > 0 else 0].name()
    assert panel.c_range() == panel.c_limit >= np.abs(c).max()
    shared = pixels(grab(panel))
    with qtbot.waitSignal(state.themeChanged):
        state.set_theme(Theme(cell_scale="unit"))
    assert panel.c_range() == pytest.approx(np.abs(c[:, u]).max())
    assert panel.colour_of("c", panel.values["c"]).name() == end  # full colour at the unit's own max
    assert (pixels(grab(panel)) != shared).mean() > 0.001


def test_cell_diagram_gru_uses_framework_convention_and_says_so(qtbot):
    state = make_state("gru")
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    state.set_step(30)
    u = state.pinned[0]
    z, n = state.quantity("update_gate")[30, u], state.quantity("candidate")[30, u]
    h_prev, h = state.quantity("hidden_state")[29, u], state.quantity("hidden_state")[30, u]
    assert panel.values["kept"] + panel.values["written"] == pytest.approx(h, abs=1e-5)
    assert panel.values["kept"] == pytest.approx(z * h_prev, abs=1e-6)
    formulas = " ".join(line for line, _ in panel.content().formulas)
    assert "h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t" in formulas and "PyTorch" in formulas


def test_cell_diagram_backward_direction_reads_the_next_step_as_previous(qtbot):
    state = make_state("gru", bidirectional=True)
    state.set_layer_direction(0, "backward")
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    state.set_step(10)
    u = state.pinned[0]
    assert panel.values["h-1"] == pytest.approx(state.quantity("hidden_state")[11, u])
    state.set_step(state.trace.length - 1)
    assert panel.values["h-1"] == 0.0


def test_cell_diagram_rnn_splits_the_preactivation(qtbot):
    state = make_state("rnn", num_layers=2)
    state.set_layer_direction(1, "forward")
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    state.set_step(12)
    v = panel.values
    assert np.tanh(v["from x"] + v["from h"]) == pytest.approx(v["h"], abs=1e-5)


# --------------------------------------------------------------------------- saturation


def test_saturation_scatter_points_per_unit_per_layer(qtbot):
    from gateviz.core.analysis import saturation_fractions
    state = make_state("lstm", num_layers=2, units=10)
    state.set_pinned([3])
    panel = PANEL_CLASSES["saturation"](state)
    qtbot.addWidget(panel)
    assert [g.quantity for g in panel.plots] == ["input_gate", "forget_gate", "output_gate"]
    f = panel.plots[1]
    assert len(f.layers) == 2
    left, right = saturation_fractions(state.trace.get(1, "forward", "forget_gate"))
    xs, ys = f.layers[1].getData()
    np.testing.assert_allclose(xs, right)
    np.testing.assert_allclose(ys, left)
    # the pinned unit of the current layer is ringed at its own point
    px, py = f.pins.getData()
    l0, r0 = saturation_fractions(state.trace.get(0, "forward", "forget_gate"))
    assert (px[0], py[0]) == pytest.approx((r0[3], l0[3]))
    state.set_layer_direction(1, "forward")
    px, py = f.pins.getData()
    assert (px[0], py[0]) == pytest.approx((right[3], left[3]))
    assert "layer 1, unit 4" in f.layers[1].opts["tip"](x=0.5, y=0.25, data=(1, 4))


def test_saturation_gru_gates_and_rnn_fallback(qtbot):
    state = make_state("gru")
    panel = PANEL_CLASSES["saturation"](state)
    qtbot.addWidget(panel)
    assert [g.quantity for g in panel.plots] == ["reset_gate", "update_gate"]
    rnn = make_state("rnn")
    with qtbot.waitSignal(state.traceChanged):
        state.set_trace(rnn.model, rnn.trace, rnn.sequence)
    assert [g.quantity for g in panel.plots] == ["hidden_state"]
    h = rnn.trace.get(0, "forward", "hidden_state")
    np.testing.assert_allclose(panel.plots[0].layers[0].getData()[0], (h > 0.9).mean(axis=0))


# --------------------------------------------------------------------------- task-aware input / output


def task_state(name, cell="lstm"):
    from gateviz.formats import load_model
    from gateviz.paths import resource
    from gateviz.tasks import get_task_for_model
    model = load_model(resource("models", f"{name}-{cell}.gvm"))
    task = get_task_for_model(model)
    sample = task.samples()[0]
    state = ViewState()
    state.set_trace(model, Tracer(model).trace(sample.sequence), sample.sequence, task)
    return state


def test_io_sine_view_window_prediction_and_rollout(qtbot):
    state = task_state("sine")
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    view = panel.view
    assert type(view).__name__ == "SineView"
    d = view.decoded
    W = len(d["window"])
    rollout = next(item for item, k, _ in view.curves if k == 2)
    x, y = rollout.getData()
    assert x[0] == W and len(y) == len(d["rollout"])
    state.set_step(10)
    xs, ys = view.marker.getData()
    assert list(xs) == [10, 11]
    assert ys[1] == pytest.approx(state.trace.output[10, 0], abs=1e-6)  # step t predicts t + 1
    assert f"{d['prediction']:.3f}" in panel.caption.text()
    assert_not_blank(grab(panel), state.theme.background)


def test_io_binary_addition_view_shows_operands_and_sum(qtbot):
    state = task_state("binary-addition")
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    d = panel.view.decoded
    labels = [row[0] for row in panel.view.grid.rows]
    assert labels == ["a", "b", "a + b (true)", "network's sum"]
    np.testing.assert_array_equal(panel.view.grid.rows[3][1], d["predicted_bits"])
    assert f"{d['a']} + {d['b']} = {d['sum']}" in panel.caption.text()
    state.set_step(3)
    assert panel.view.grid.step == 3
    assert_not_blank(grab(panel), state.theme.background)


def test_io_digits_view_frames_the_current_row(qtbot):
    state = task_state("digits")
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    view = panel.view
    state.set_step(5)
    assert view.row_box.rect().top() == 5
    heights = view.bars.opts["height"]
    np.testing.assert_allclose(heights, state.trace.output[5])
    assert f"says {view.decoded['predicted']}" in panel.caption.text()
    assert_not_blank(grab(panel), state.theme.background)


def test_io_text_view_colours_characters_by_the_pinned_unit(qtbot):
    state = task_state("text")
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    view = panel.view
    assert "".join(view.grid.chars) == state.sequence
    with qtbot.waitSignal(state.selectionChanged):
        state.set_pinned([7, 2])
    np.testing.assert_allclose(view.grid.values, state.quantity("hidden_state")[:, 7])
    state.set_step(12)
    assert view.grid.step == 12 and view.cursor.value() == 12
    img = pixels(grab(panel))
    assert len(np.unique(img & 0xFFFFFF)) > 50  # many colours: a coloured cell per character


def test_io_brackets_and_adding_views(qtbot):
    state = task_state("brackets")
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    np.testing.assert_allclose(panel.view.curves[0].getData()[1], panel.view.decoded["depth"])
    adding = task_state("adding")
    with qtbot.waitSignal(state.traceChanged):
        state.set_trace(adding.model, adding.trace, adding.sequence, adding.task)
    assert type(panel.view).__name__ == "AddingView"
    assert panel.view.target.value() == pytest.approx(panel.view.decoded["target"])
    assert "sum of the two marked values" in panel.caption.text()


def test_io_falls_back_to_generic_view_when_the_task_cannot_decode(qtbot):
    state = task_state("sine")

    class Broken:
        name = "sine"

        def decode(self, *args):
            raise ValueError("this window is not from the sine series")

    state.set_trace(state.model, state.trace, state.sequence, Broken())
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    assert type(panel.view).__name__ == "GenericView"
    assert "not from the sine series" in panel.caption.text()


# --------------------------------------------------------------------------- vector export (figure export renders panels)


@pytest.mark.parametrize("pid", list(PANEL_CLASSES))
def test_panels_render_to_svg(qtbot, tmp_path, pid):
    from PySide6.QtCore import QRect, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator
    state = make_state("gru", units=8, steps=30)
    panel = PANEL_CLASSES[pid](state)
    qtbot.addWidget(panel)
    panel.resize(800, 500)
    out = tmp_path / f"{pid}.svg"
    gen = QSvgGenerator()
    gen.setFileName(str(out))
    gen.setSize(QSize(800, 500))
    gen.setViewBox(QRect(0, 0, 800, 500))
    from gateviz.export.figure import vector_painting
    painter = QPainter(gen)
    try:
        # panels cache static items as device pixmaps for fast playback; vector export (the SVG and
        # PDF savers) switches those caches off while it draws, so items land as paths
        with vector_painting(panel):
            panel.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    svg = out.read_text()
    assert svg.count("<path") + svg.count("<rect") + svg.count("<polyline") > 5
    if pid == "cell":  # drawn as vectors: the labels are text (subscripts as runs of their own), not a bitmap
        assert ">GRU cell<" in svg and ">t−1<" in svg and "<image" not in svg


def test_cell_diagram_gate_tooltips(qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip
    state = make_state("lstm")
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    centre = panel.gate_rects()["f"].center().toPoint()
    QApplication.sendEvent(panel, QHelpEvent(QEvent.Type.ToolTip, centre, panel.mapToGlobal(centre)))
    assert "Forget gate f_t = σ(W_f x_t + U_f h_{t−1} + b_f)" in QToolTip.text() and f"unit {panel.unit}" in QToolTip.text()


@pytest.mark.parametrize("pid", list(PANEL_CLASSES))
def test_panels_follow_a_switch_of_cell_length_units_and_layers(qtbot, pid):
    state = make_state("lstm", units=12, steps=60)
    state.set_pinned([0, 11])
    state.set_step(55)
    panel = PANEL_CLASSES[pid](state)
    qtbot.addWidget(panel)
    for cell, units, steps, layers, bidir in (("gru", 5, 25, 1, False), ("rnn", 9, 40, 2, True),
                                               ("lstm", 7, 300, 1, False)):
        other = make_state(cell, units=units, steps=steps, num_layers=layers, bidirectional=bidir)
        with qtbot.waitSignal(state.traceChanged):
            state.set_trace(other.model, other.trace, other.sequence)
        assert state.step < steps and all(u < units for u in state.pinned)
        state.set_step(steps - 1)
        assert_not_blank(grab(panel, (700, 500)), state.theme.background)
        if layers > 1:
            state.set_layer_direction(1, "backward")
            state.set_pinned([units - 1])
            assert_not_blank(grab(panel, (700, 500)), state.theme.background)


# --------------------------------------------------------------------------- playback speed, presentation mode


def test_a_hidden_panel_skips_steps_and_catches_up_when_shown(qtbot):
    from PySide6.QtWidgets import QVBoxLayout, QWidget
    state = make_state("lstm")
    holder = QWidget()
    qtbot.addWidget(holder)
    panel = PANEL_CLASSES["heatmaps"](state, holder)
    QVBoxLayout(holder).addWidget(panel)
    holder.show()
    state.set_step(10)
    assert panel.rows[0].cursor.value() == 10
    panel.hide()  # the View menu hides a panel like this
    state.set_step(20)
    assert panel.rows[0].cursor.value() == 10  # no step work while hidden
    panel.show()
    assert all(r.cursor.value() == 20 for r in panel.rows)


def test_static_items_are_cached_and_moving_ones_are_not(qtbot):
    from PySide6.QtWidgets import QGraphicsItem
    state = make_state("lstm")
    state.set_pinned([1, 3])
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    heatmaps = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(heatmaps)
    assert all(r.image.cacheMode() == cached and r.plot.getAxis("bottom").cacheMode() == cached
               for r in heatmaps.rows)
    assert all(r.cursor.cacheMode() == QGraphicsItem.CacheMode.NoCache for r in heatmaps.rows)
    traces = PANEL_CLASSES["traces"](state)
    qtbot.addWidget(traces)
    assert all(p.plot.getAxis("bottom").cacheMode() == cached for p in traces.plots)
    assert all(p.cursor.cacheMode() == QGraphicsItem.CacheMode.NoCache for p in traces.plots)
    assert all(d.cacheMode() == QGraphicsItem.CacheMode.NoCache for p in traces.plots for d in p.dots.values())


def test_cell_diagram_text_grows_with_presentation_fonts(qtbot):
    state = make_state("gru")
    panel = PANEL_CLASSES["cell"](state)
    qtbot.addWidget(panel)
    panel.resize(960, 600)
    normal = panel.text_height()  # capitals' height in logical pixels (cell_text.py)
    state.set_theme(Theme(presentation=True))
    # larger text, never below presentation's readable 18 px: the diagram shows less instead
    assert panel.text_height() >= 18 > 12 <= normal and panel.text_height() > normal
    assert_not_blank(grab(panel, (960, 600)), state.theme.background)


def test_io_digits_view_fits_the_panel_in_presentation_mode(qtbot):
    state = task_state("digits")
    state.set_theme(Theme(presentation=True))
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    panel.resize(960, 480)
    panel.show()
    qtbot.waitExposed(panel)
    graphics = panel.view.graphics
    qtbot.waitUntil(lambda: graphics.ci.geometry().width() > 0)
    assert graphics.ci.geometry().width() <= graphics.width() + 1  # nothing cut off on the right


def test_traces_show_the_first_step_label(qtbot):
    from PySide6.QtGui import QPainter
    state = make_state("lstm")
    panel = PANEL_CLASSES["traces"](state)
    qtbot.addWidget(panel)
    grab(panel, (900, 600))
    axis = panel.plots[-1].plot.getAxis("bottom")  # x range starts half a step left of 0
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        labels = [text for _, _, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()
    assert "0" in labels and "20" in labels, labels  # pyqtgraph hides an overhanging "0" by default


def test_per_unit_cell_scale_leaves_the_line_plots_in_raw_units(qtbot):
    """The traces panel draws raw c of the pinned units: its title must not claim a per-unit scale."""
    state = make_state("lstm", units=6)
    state.set_theme(Theme(cell_scale="unit"))
    panel = PANEL_CLASSES["traces"](state)
    qtbot.addWidget(panel)
    titles = " ".join(p.plot.titleLabel.text for p in panel.plots)
    assert "cell state" in titles and "unbounded" in titles and "max |c|" not in titles
