"""The original run beside the intervened one (issue 13), in every panel: the task views overlay the
original prediction (faint, dashed) on the intervened one and say "was … → now …"; heatmaps show
intervened − original on a diverging map with symmetric levels; unit traces draw a faint original line
behind each pinned unit's; the cell diagram and the saturation panel mark clamped gates.

Each overlay holds exactly the original run's numbers (the task's own decoding of an unintervened
trace of the same input), shows while ``state.show_original`` and an original exist, and hides when
either goes. The interventions are real ones on the bundled models, chosen so the prediction changes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QColor, QImage  # noqa: E402

from gateviz.bundled import default_sample, load_bundled  # noqa: E402
from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.interventions import Intervention  # noqa: E402
from gateviz.tasks import get_task_for_model  # noqa: E402
from gateviz.ui.panels import PANEL_CLASSES  # noqa: E402
from gateviz.ui.panels.io_base import value_colour  # noqa: E402
from gateviz.ui.state import ViewState  # noqa: E402

# one intervention per bundled task that visibly changes its prediction
SPECS = {
    "sine-lstm": "layer0.forward.hidden_state[*]=*0.3@25:",
    "adding-lstm": "layer0.forward.cell_state[*]=0@30:",
    "binary-addition-lstm": "layer0.forward.cell_state[*]=0@3:",
    "digits-lstm": "layer0.forward.input_gate[*]=0@4:",
    "brackets-lstm": "layer0.forward.forget_gate[8]=0@10:",
    "text-lstm": "layer0.forward.hidden_state[*]=*0.5@20:",
}


def compared(qtbot, name: str, panel_id: str = "io", spec: str | None = None, size=(1100, 520), pinned=None):
    """A panel showing bundled ``name`` traced with ``spec`` and, as the original, without it."""
    model = load_bundled(name)
    sample = default_sample(model)
    spec = spec or SPECS[name]
    tracer = Tracer(model)
    state = ViewState()
    state.set_interventions([Intervention.parse(spec)])
    trace, original = tracer.trace(sample.sequence, interventions=[spec]), tracer.trace(sample.sequence)
    state.set_trace(model, trace, sample.sequence, get_task_for_model(model), original=original)
    if pinned is not None:
        state.set_pinned(pinned)
    panel = PANEL_CLASSES[panel_id](state)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return state, panel


def decoded_original(state) -> dict:
    return state.task.decode(state.sequence, state.original, state.model)


def image_of(widget) -> np.ndarray:
    """(H, W, 3) uint8 RGB of what ``widget`` draws."""
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    return np.frombuffer(img.constBits(), dtype=np.uint8, count=h * img.bytesPerLine()) \
        .reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def rgb_at(image: np.ndarray, x: float, y: float) -> tuple[int, int, int]:
    return tuple(int(v) for v in image[int(y), int(x)])


def drop_original(qtbot, state) -> None:
    """The interventions switched off: the window hands the plain trace over, with no original."""
    with qtbot.waitSignal(state.traceChanged, timeout=5000):
        state.set_trace(state.model, state.original, state.sequence, state.task, original=None)


def hide_original(qtbot, state) -> None:
    with qtbot.waitSignal(state.comparisonChanged, timeout=5000):
        state.set_show_original(False)


def show_original(qtbot, state) -> None:
    with qtbot.waitSignal(state.comparisonChanged, timeout=5000):
        state.set_show_original(True)


def caption_text(panel) -> str:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(panel.caption.text())
    return doc.toPlainText()


# --------------------------------------------------------------------------- task views


def test_sine_overlays_the_original_prediction_and_rollout_and_the_rollout_keeps_the_intervention(qtbot):
    state, panel = compared(qtbot, "sine-lstm")
    view, o, d = panel.view, decoded_original(state), panel.decoded
    W = len(o["window"])
    x, y = view.original_pred.getData()
    np.testing.assert_array_equal(x, np.arange(W, dtype=np.float32) + 1)
    np.testing.assert_array_equal(y, np.asarray(o["predictions"], dtype=np.float32))
    x, y = view.original_roll.getData()
    np.testing.assert_array_equal(x, np.arange(W, W + len(o["rollout"]), dtype=np.float32))
    np.testing.assert_array_equal(y, np.asarray(o["rollout"], dtype=np.float32))
    assert view.original_pred.isVisible() and view.original_roll.isVisible()
    # the intervened run's rollout is the intervened model's: h scaled by 0.3 from step 25 on, also
    # in the fed-back steps, drifts from the original's
    assert np.max(np.abs(d["rollout"] - o["rollout"])) > 0.3
    text = caption_text(panel)
    assert f"was {o['prediction']:.3f} → now {d['prediction']:.3f}" in text
    assert "original" in view.titles[id(view.plot)][1]
    # the y range holds the original's values too
    lo, hi = view.plot.vb.viewRange()[1]
    assert lo <= float(np.min(o["rollout"])) and hi >= float(np.max(o["rollout"]))

    hide_original(qtbot, state)
    assert not view.original_pred.isVisible() and not view.original_roll.isVisible()
    assert "was" not in caption_text(panel) and "original" not in view.titles[id(view.plot)][1]
    show_original(qtbot, state)
    assert view.original_pred.isVisible()
    drop_original(qtbot, state)
    assert not panel.view.original_pred.isVisible() and not panel.view.original_roll.isVisible()


def test_adding_overlays_the_original_running_sum_and_says_was_and_now(qtbot):
    state, panel = compared(qtbot, "adding-lstm")
    view, o, d = panel.view, decoded_original(state), panel.decoded
    x, y = view.original_running.getData()
    np.testing.assert_array_equal(y, np.asarray(o["running"], dtype=np.float32))
    np.testing.assert_array_equal(x, np.arange(len(o["running"]), dtype=np.float32))
    assert view.original_running.isVisible()
    assert abs(d["prediction"] - o["prediction"]) > 0.2  # c zeroed from step 30 loses the first value
    assert f"was {o['prediction']:.3f} → now {d['prediction']:.3f}" in caption_text(panel)
    drop_original(qtbot, state)
    assert not panel.view.original_running.isVisible()
    assert "was" not in caption_text(panel)


def test_binary_addition_adds_a_faint_row_of_the_original_bits(qtbot):
    state, panel = compared(qtbot, "binary-addition-lstm")
    grid, o, d = panel.view.grid, decoded_original(state), panel.decoded
    labels = [row[0] for row in grid.rows]
    assert labels[-2:] == ["network (intervened)", "network (original)"]
    np.testing.assert_array_equal(grid.rows[-1][1], o["predicted_bits"])
    np.testing.assert_array_equal(grid.rows[-1][2], np.asarray(o["probabilities"]))
    assert grid.faint_rows == {4}
    assert o["predicted_sum"] != d["predicted_sum"]
    assert f"was {o['predicted_sum']} → now {d['predicted_sum']}" in caption_text(panel)
    # what a person sees: the original row's cells in P(bit = 1)'s shade of blue, faded toward the background
    from gateviz.ui.panels.io_bits import MARGIN
    from gateviz.ui.panels.overlay import ORIGINAL_ALPHA

    label_w, _right, head_h = grid._columns()
    cell = grid._cell()
    image = image_of(grid)
    blue, white = np.array([0x00, 0x72, 0xB2]), np.array([255, 255, 255])
    for t in range(1, state.trace.length):  # not step 0: the current step's column is highlighted
        p = float(np.clip(o["probabilities"][t], 0, 1))
        a = 0.12 + 0.88 * p
        expected = ORIGINAL_ALPHA * (a * blue + (1 - a) * white) + (1 - ORIGINAL_ALPHA) * white
        seen = rgb_at(image, label_w + MARGIN + t * cell + 6, MARGIN + head_h + 4 * cell + 6)
        assert np.max(np.abs(np.array(seen) - expected)) <= 3, (t, seen, expected)
    hide_original(qtbot, state)
    assert [row[0] for row in grid.rows][-1] == "network's sum" and grid.faint_rows == set()


def test_digits_draws_the_original_probabilities_as_outlines_and_says_which_class_it_was(qtbot):
    state, panel = compared(qtbot, "digits-lstm")
    view, o, d = panel.view, decoded_original(state), panel.decoded
    assert o["predicted"] != d["predicted"]
    for step in (2, state.trace.length - 1):
        with qtbot.waitSignal(state.stepChanged, timeout=5000):
            state.set_step(step)
        np.testing.assert_array_equal(view.original_bars.opts["height"], np.asarray(o["probabilities"][step],
                                                                                    dtype=np.float32))
    assert view.original_bars.isVisible()
    assert (f"was {o['predicted']} ({o['confidence']:.0%}) → now {d['predicted']} ({d['confidence']:.0%})"
            in caption_text(panel))
    hide_original(qtbot, state)
    assert not view.original_bars.isVisible()
    assert f"says {d['predicted']} ({d['confidence']:.0%})" in caption_text(panel)


def test_brackets_overlays_the_original_depth_and_strips_the_text_with_the_original_h(qtbot):
    state, panel = compared(qtbot, "brackets-lstm", pinned=[8])
    view, o, d = panel.view, decoded_original(state), panel.decoded
    x, y = view.original_curve.getData()
    np.testing.assert_array_equal(y, np.asarray(o["predicted"], dtype=np.float32))
    assert view.original_curve.isVisible()
    right_now, right_was = int(np.sum(d["correct"])), int(np.sum(o["correct"]))
    assert right_was == len(o["correct"]) and right_now < right_was  # the counter forgets from step 10
    assert f"steps with the right depth: was {right_was} → now {right_now} of {len(d['correct'])}" \
        in caption_text(panel)
    assert "its foot by the original run's h" in caption_text(panel)
    # the text colouring: each cell in the intervened h of unit 8, its foot in the original's
    h_was = state.original.get(0, "forward", "hidden_state")[:, 8]
    h_now = state.trace.get(0, "forward", "hidden_state")[:, 8]
    np.testing.assert_array_equal(view.grid.original_values, h_was)
    k = int(np.argmax(np.abs(h_now - h_was)))
    assert abs(h_now[k] - h_was[k]) > 0.3
    state.set_step(0 if k > 3 else state.trace.length - 1)  # the current step's frame away from cell k
    rect = view.grid.cell_rects()[k]
    strip = view.grid.strip_rect(rect)
    image = image_of(view.grid)
    was_colour = value_colour(float(h_was[k]), view.grid.cmap)
    now_colour = value_colour(float(h_now[k]), view.grid.cmap)
    foot = rgb_at(image, strip.left() + 2, strip.center().y())
    top = rgb_at(image, rect.left() + 2, rect.top() + 2)
    assert max(abs(a - b) for a, b in zip(foot, was_colour.getRgb()[:3])) <= 2
    assert max(abs(a - b) for a, b in zip(top, now_colour.getRgb()[:3])) <= 2
    assert "original: " in view.grid.tooltip_for(k)

    drop_original(qtbot, state)
    assert not panel.view.original_curve.isVisible() and panel.view.grid.original_values is None
    image = image_of(panel.view.grid)
    foot = rgb_at(image, strip.left() + 2, strip.center().y())
    assert max(abs(a - b) for a, b in zip(foot, value_colour(float(h_was[k]), view.grid.cmap).getRgb()[:3])) <= 2
    assert "original" not in caption_text(panel)


def test_text_overlays_the_original_surprisal(qtbot):
    state, panel = compared(qtbot, "text-lstm")
    view, o, d = panel.view, decoded_original(state), panel.decoded
    _, y = view.original_curve.getData()
    np.testing.assert_array_equal(y, np.asarray(o["surprisal"], dtype=np.float32))
    assert view.original_curve.isVisible()
    now, was = float(np.nanmean(d["surprisal"])), float(np.nanmean(o["surprisal"]))
    assert now > was + 0.3  # h halved from character 20 on: the model reads worse
    assert f"was {was:.2f} → now {now:.2f} bits" in caption_text(panel)
    hide_original(qtbot, state)
    assert not view.original_curve.isVisible() and view.grid.original_values is None


def test_generic_view_overlays_the_original_outputs(qtbot):
    import torch

    from gateviz.core.model import Head, InputStage, RecurrentModel
    from gateviz.formats.torch_state import layers_from_module

    torch.manual_seed(0)
    module = torch.nn.GRU(2, 12)
    model = RecurrentModel(layers_from_module(module), input=InputStage(features=2))
    rng = np.random.default_rng(0)
    model.head = Head(weight=rng.standard_normal((3, 12)).astype(np.float32), bias=None, activation="softmax")
    seq = np.stack([np.sin(np.arange(40) / 6 + k) for k in range(2)], axis=1).astype(np.float32)
    spec = "layer0.forward.hidden_state[*]=0@20:"
    state = ViewState()
    state.set_trace(model, Tracer(model).trace(seq, interventions=[spec]), seq, original=Tracer(model).trace(seq))
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    view = panel.view
    assert type(view).__name__ == "GenericView" and len(view.original_lines) == 3
    for k, item in enumerate(view.original_lines):
        assert item.isVisible()
        np.testing.assert_array_equal(item.getData()[1], state.original.output[:, k].astype(np.float32))
    assert not np.allclose(state.original.output[25:], state.trace.output[25:])
    hide_original(qtbot, state)
    assert not any(item.isVisible() for item in view.original_lines)


# --------------------------------------------------------------------------- heatmaps: the difference


def test_heatmaps_show_intervened_minus_original_on_symmetric_levels(qtbot):
    state, panel = compared(qtbot, "brackets-lstm", "heatmaps", size=(1000, 900))
    plain = {row.quantity: np.array(row.image.image) for row in panel.rows}
    with qtbot.waitSignal(state.comparisonChanged, timeout=5000):
        state.set_show_difference(True)
    for row in panel.rows:
        delta = state.trace.get(0, "forward", row.quantity) - state.original.get(0, "forward", row.quantity)
        np.testing.assert_array_equal(row.image.image, delta.T.astype(np.float32))  # (units, T)
        lo, hi = row.levels
        assert lo == -hi and hi >= np.abs(delta).max() and hi <= 1.1 * np.abs(delta).max()
        assert tuple(row.image.levels) == (lo, hi)
        assert "Δ (intervened − original)" in row.plot.titleLabel.text
        # nothing changes before the clamp at step 10 (but float rounding: the intervened run takes the
        # engine's step loop, the original its fused one)
        assert np.abs(delta[:10]).max() < 1e-5
    # what a person sees: unit 8's forget gate, 0 instead of ~1 from step 10 on, at the map's blue end;
    # before step 10 the map's middle (unchanged)
    row = next(r for r in panel.rows if r.quantity == "forget_gate")
    from PySide6.QtCore import QPointF
    import pyqtgraph as pg

    from gateviz.ui.panels.common import DIVERGING_MAP

    cmap = pg.colormap.get(DIVERGING_MAP)
    image = image_of(panel.view.viewport())
    delta = state.trace.get(0, "forward", "forget_gate")[:, 8] - state.original.get(0, "forward", "forget_gate")[:, 8]
    for step in (3, 20):
        pos = panel.view.mapFromScene(row.plot.vb.mapViewToScene(QPointF(step, 8.5)))
        t = (float(delta[step]) - row.levels[0]) / (row.levels[1] - row.levels[0])
        expected = cmap.map(t, mode=pg.ColorMap.QCOLOR).getRgb()[:3]
        seen = rgb_at(image, pos.x(), pos.y())
        assert max(abs(a - b) for a, b in zip(seen, expected)) <= 6, (step, seen, expected)
    with qtbot.waitSignal(state.comparisonChanged, timeout=5000):
        state.set_show_difference(False)
    for row in panel.rows:
        np.testing.assert_array_equal(row.image.image, plain[row.quantity])
        assert "Δ" not in row.plot.titleLabel.text


def test_heatmaps_show_the_run_itself_without_an_original(qtbot):
    state, panel = compared(qtbot, "brackets-lstm", "heatmaps", size=(1000, 900))
    state.set_show_difference(True)
    drop_original(qtbot, state)
    for row in panel.rows:
        np.testing.assert_array_equal(row.image.image, state.trace.get(0, "forward", row.quantity).T.astype(np.float32))
        assert "Δ" not in row.plot.titleLabel.text


# --------------------------------------------------------------------------- traces: a faint original line


def test_traces_draw_the_original_line_faint_behind_each_pinned_unit(qtbot):
    state, panel = compared(qtbot, "brackets-lstm", "traces", pinned=[8, 3], size=(1000, 700))
    for p in panel.plots:
        for u in (8, 3):
            line, original = p.lines[u], p.originals[u]
            np.testing.assert_array_equal(original.getData()[1],
                                          state.original.get(0, "forward", p.quantity)[:, u].astype(np.float32))
            np.testing.assert_array_equal(line.getData()[1],
                                          state.trace.get(0, "forward", p.quantity)[:, u].astype(np.float32))
            assert original.isVisible() and original.zValue() < line.zValue()
            pen = original.opts["pen"]
            assert pen.color().alphaF() < 0.7 and pen.style() != line.opts["pen"].style()
            assert pen.color().rgb() == QColor(state.pin_colour(u)).rgb()
    c = next(p for p in panel.plots if p.quantity == "cell_state")
    lo, hi = c.plot.vb.viewRange()[1]
    assert lo <= state.original.get(0, "forward", "cell_state")[:, [8, 3]].min()  # the range holds the original
    assert "original" in panel.legend.text()
    state.set_pinned([3])
    assert all(set(p.originals) == {3} for p in panel.plots)
    hide_original(qtbot, state)
    assert not any(o.isVisible() for p in panel.plots for o in p.originals.values())
    assert "original" not in panel.legend.text()
    show_original(qtbot, state)
    drop_original(qtbot, state)
    assert not any(o.isVisible() for p in panel.plots for o in p.originals.values())


# --------------------------------------------------------------------------- clamped gates marked


def test_cell_diagram_marks_the_clamped_gate_at_the_steps_it_is_replaced(qtbot):
    from PySide6.QtCore import QRectF

    from gateviz.ui.panels.overlay import CLAMP_COLOUR

    state, panel = compared(qtbot, "brackets-lstm", "cell", pinned=[8], size=(1366, 768))
    state.set_step(12)
    assert panel.clamp_marks == ["f"] and panel.clamped_states == ["forget gate f"]
    assert panel.values["f"] == 0.0  # the values shown are the intervened run's
    image = image_of(panel)
    assert panel.clamp_line == "intervention: replaced at step 12 (unit 8): forget gate f"
    rect, size = panel.gate_rects()["f"], max(18.0, panel.scene().em * 1.4)
    body = QRectF(rect.right() - size * 0.45, rect.top() - size * 0.2, size * 0.8, size * 0.6)
    lock = rgb_at(image, body.left() + body.width() * 0.2, body.center().y())
    assert max(abs(a - b) for a, b in zip(lock, QColor(CLAMP_COLOUR).getRgb()[:3])) <= 12  # the padlock
    state.set_step(5)  # before the clamp starts
    assert panel.clamp_marks == [] and panel.clamped_states == []
    image = image_of(panel)
    assert panel.clamp_line is None
    lock = rgb_at(image, body.left() + body.width() * 0.2, body.center().y())
    assert max(abs(a - b) for a, b in zip(lock, QColor(CLAMP_COLOUR).getRgb()[:3])) > 60
    state.set_pinned([3])  # another unit: not clamped
    state.set_step(12)
    assert panel.clamp_marks == []


def test_cell_diagram_names_a_replaced_cell_state(qtbot):
    state, panel = compared(qtbot, "adding-lstm", "cell", pinned=[3], size=(1366, 768))
    state.set_step(35)
    assert panel.clamp_marks == [] and panel.clamped_states == ["cell state c"]
    image_of(panel)  # paints
    assert panel.clamp_line == "intervention: replaced at step 35 (unit 3): cell state c"


def test_saturation_marks_the_units_whose_gate_is_replaced(qtbot):
    state, panel = compared(qtbot, "brackets-lstm", "saturation", size=(1200, 500))
    marked = {gp.quantity: list(gp.clamped) for gp in panel.plots}
    assert marked == {"input_gate": [], "forget_gate": [8], "output_gate": []}
    gp = next(g for g in panel.plots if g.quantity == "forget_gate")
    left, right = gp.points[0]
    x, y = gp.clamps.getData()
    assert (list(x), list(y)) == ([right[8]], [left[8]])
    assert "replaced by an intervention" in panel.legend.text()
    drop_original(qtbot, state)  # the plain trace (interventions switched off): nothing replaced
    assert all(len(g.clamped) == 0 for g in panel.plots)
    assert "replaced by an intervention" not in panel.legend.text()


# --------------------------------------------------------------------------- exports draw the same overlays


def test_an_exported_figure_shows_the_original_line_too(qtbot, tmp_path):
    from gateviz.export.headless import export_view

    state, panel = compared(qtbot, "brackets-lstm", "traces", pinned=[8])

    def faint_pixels(path) -> int:
        """Pixels in unit 8's colour at the original's opacity over the white background."""
        img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
        w, h = img.width(), img.height()
        rgb = np.frombuffer(img.constBits(), dtype=np.uint8, count=h * img.bytesPerLine()) \
            .reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).astype(int)
        from gateviz.ui.panels.overlay import ORIGINAL_ALPHA

        pin = np.array(QColor(state.pin_colour(8)).getRgb()[:3])
        faint = ORIGINAL_ALPHA * pin + (1 - ORIGINAL_ALPHA) * 255
        return int(np.count_nonzero(np.abs(rgb - faint).max(axis=2) <= 4))

    export_view(state, "traces", tmp_path / "with.png", "png", size=(1200, 800))
    state.set_show_original(False)
    export_view(state, "traces", tmp_path / "without.png", "png", size=(1200, 800))
    with_original, without = faint_pixels(tmp_path / "with.png"), faint_pixels(tmp_path / "without.png")
    assert with_original > 2 * without + 500, (with_original, without)
