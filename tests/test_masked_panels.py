"""Keras masking in the app (issue 14): a Masking -> LSTM -> Dense model opened in the real main
window greys exactly the masked steps in every panel with a time axis (geometry in view coordinates)
and veils the cell diagram at a masked step; a sequence with no masked step draws no grey at all."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF

keras = pytest.importorskip("keras")

from app_helpers import open_window  # noqa: E402

MASKED = [2, 3, 4]


def masked_model_and_input(tmp_path, masked: bool) -> tuple[str, str]:
    inp = keras.Input((9, 3))
    lstm = keras.layers.LSTM(4, return_sequences=True, seed=9)(keras.layers.Masking(0.0)(inp))
    model = keras.Model(inp, keras.layers.Dense(2)(lstm))
    path = str(tmp_path / "m.keras")
    model.save(path)
    x = np.random.default_rng(1).normal(size=(9, 3)).astype("float32")  # (T, F)
    if masked:
        x[MASKED] = 0.0
    else:
        x[MASKED, 0] = 0.0  # one feature equal to the mask value: not masked
    xpath = str(tmp_path / "x.npy")
    np.save(xpath, x)
    return path, xpath


def shown(window, pid: str, step: int):
    """The panel, updated to ``step`` and painted (a panel the layout does not show is sized and told)."""
    panel = window.panels[pid]
    window.state.set_step(step)
    if not panel.isVisible():
        panel.resize(700, 450)
        panel.rebuild()
        panel.on_step(step)
    panel.grab()  # paints it (the cell diagram records what it drew)
    return panel


def x_spans(rects) -> list[tuple[float, float]]:
    return [(round(r.left(), 6), round(r.right(), 6)) for r in rects]


def test_every_panel_greys_exactly_the_masked_steps(tmp_path, qtbot):
    window = open_window(qtbot, *masked_model_and_input(tmp_path, True))
    assert window.state.trace.meta["masked_steps"] == MASKED
    want = [(1.5, 4.5)]  # steps 2..4, each step t centred on x = t

    io = shown(window, "io", 3)
    items = io.view.masked_items
    assert [p for p, _ in items] == io.view.plots[:2]  # the input and the output, both over time
    for plot, item in items:
        assert item.isVisible() and item.scene() is plot.scene()
        rects = item.rects()
        assert x_spans(rects) == want
        (y0, y1) = plot.vb.viewRange()[1]  # as tall as the view shows, and it follows the view
        assert rects[0].top() == pytest.approx(y0) and rects[0].bottom() == pytest.approx(y1)
        plot.setYRange(y0 - 5, y1 + 5, padding=0)
        io.grab()  # the view box applies a new range when it paints
        (y0, y1) = plot.vb.viewRange()[1]
        # the band hears of the new view range through pyqtgraph's (queued) transform change
        qtbot.waitUntil(lambda: item.rects()[0].top() == pytest.approx(y0)
                        and item.rects()[0].bottom() == pytest.approx(y1), timeout=10000)

    heat = shown(window, "heatmaps", 3)
    for row in heat.rows:
        assert row.masked.isVisible()
        assert x_spans([row.masked.path().boundingRect()]) == want

    traces = shown(window, "traces", 3)
    for p in traces.plots:
        assert p.mask_band.isVisible()
        assert x_spans([p.mask_band.mapRectToParent(p.mask_band.boundingRect())]) == [(-0.5, 8.5)]
        alpha = p.mask_band.image[0, :, 3]  # (T,): one column per step
        assert list(np.flatnonzero(alpha)) == MASKED

    for step in range(9):
        cell = shown(window, "cell", step)
        if step in MASKED:
            assert cell.masked_veil == QRectF(cell.rect())
            note, box = cell.masked_label
            assert note == "masked step: state carried over" and QRectF(cell.rect()).contains(box)
            assert cell.labels["where"].endswith("step %d (masked)" % step)
        else:
            assert cell.masked_veil is None and cell.masked_label is None
            assert "masked" not in cell.labels["where"]


def test_no_grey_when_no_step_is_masked(tmp_path, qtbot):
    window = open_window(qtbot, *masked_model_and_input(tmp_path, False))
    assert window.state.trace.meta["masked_steps"] == []
    io = shown(window, "io", 3)
    assert io.view.masked_items == []
    heat = shown(window, "heatmaps", 3)
    assert all(row.masked.path().isEmpty() for row in heat.rows)
    traces = shown(window, "traces", 3)
    assert not any(p.mask_band.isVisible() for p in traces.plots)
    for step in (0, 3, 8):
        cell = shown(window, "cell", step)
        assert cell.masked_veil is None and "masked" not in cell.labels["where"]


def test_saturation_counts_only_the_steps_the_layer_took(tmp_path, qtbot):
    """Gates at a masked step were computed but not used: the scatter's fractions leave those steps out."""
    init = keras.initializers.RandomNormal(stddev=2.0, seed=3)  # large weights: gates often saturated
    inp = keras.Input((12, 3))
    lstm = keras.layers.LSTM(6, return_sequences=True, kernel_initializer=init, recurrent_initializer=init,
                             bias_initializer=keras.initializers.RandomNormal(stddev=2.0, seed=4))
    model = keras.Model(inp, lstm(keras.layers.Masking(0.0)(inp)))
    path = str(tmp_path / "sat.keras")
    model.save(path)
    x = 2 * np.random.default_rng(5).normal(size=(12, 3)).astype("float32")  # (T, F)
    masked = [1, 2, 3, 4, 5, 9]
    x[masked] = 0.0
    np.save(tmp_path / "x.npy", x)
    window = open_window(qtbot, path, str(tmp_path / "x.npy"))
    assert window.state.trace.meta["masked_steps"] == masked
    panel = shown(window, "saturation", 0)
    keep = np.setdiff1d(np.arange(12), masked)
    differs = False
    for gp in panel.plots:
        a = window.state.trace.states[(0, "forward")][gp.quantity]  # (T, units) as Keras' gates
        left, right = gp.points[0]
        np.testing.assert_allclose(left, (a[keep] < 0.1).mean(axis=0), atol=1e-12)
        np.testing.assert_allclose(right, (a[keep] > 0.9).mean(axis=0), atol=1e-12)
        differs |= not (np.allclose(left, (a < 0.1).mean(axis=0)) and np.allclose(right, (a > 0.9).mean(axis=0)))
    assert differs  # the masked steps' unused gates would have moved some points
    assert "6 masked steps not counted" in panel.legend.text()


@pytest.mark.parametrize("panel_id", ["io", "cell"])
def test_png_export_greys_the_masked_steps(tmp_path, qtbot, panel_id):
    """A figure export draws the same grey as the app: the export of the masked trace at a masked step
    differs from the same trace told it has no masked step, and only by greying pixels."""
    from export_helpers import image_array

    from gateviz.core.engine import Tracer
    from gateviz.export.headless import export_view
    from gateviz.formats.keras_reader import read_keras
    from gateviz.ui.state import ViewState

    path, xpath = masked_model_and_input(tmp_path, True)
    model, x = read_keras(path), np.load(xpath)
    pictures = []
    for told in (MASKED, []):
        trace = Tracer(model).trace(x)
        trace.meta["masked_steps"] = list(told)
        state = ViewState()
        state.set_trace(model, trace, x)
        out = tmp_path / f"{panel_id}-{len(told)}.png"
        export_view(state, panel_id, out, "png", size=(800, 450), step=3)
        pictures.append(image_array(out)[..., :3].astype(int))
    grey, plain = pictures
    changed = np.any(grey != plain, axis=-1)  # (H, W)
    assert changed.any()
    spread = lambda a: a.max(axis=-1) - a.min(axis=-1)  # noqa: E731 (0 for a grey)
    assert (spread(grey[changed]) <= spread(plain[changed])).mean() > 0.95  # greyer where it changed


def test_model_box_describes_an_embedding_without_a_vocabulary(qtbot):
    """A Keras/PyTorch embedding has token ids, not characters: the summary says so."""
    import numpy as np

    from gateviz.core.model import InputStage, RecurrentLayer, RecurrentModel, DirectionWeights
    from gateviz.ui.controls import ModelBox

    rng = np.random.default_rng(0)
    d = DirectionWeights(Wx=rng.normal(size=(8, 3)), Wh=rng.normal(size=(8, 2)), bx=np.zeros(8), bh=np.zeros(8))
    model = RecurrentModel([RecurrentLayer("lstm", 2, 3, [d])],
                           InputStage(kind="embedding", features=3, embedding=rng.normal(size=(10, 3)), mask_zero=True))
    box = ModelBox()
    qtbot.addWidget(box)
    box.show_current(model, None)
    assert "input: token ids 0–9, embedded in 3 features" in box.summary.text()
    assert "characters" not in box.summary.text()
