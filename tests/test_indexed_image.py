"""Issue 17: a heatmap drawn from colour-table indices the trace job made (IndexedImageItem) shows the
very pixels pyqtgraph's own float path draws, without that path's per-paint work on the GUI thread;
whatever the indices do not belong to (another image, other levels, NaN) goes pyqtgraph's way."""

import numpy as np
import pyqtgraph as pg
import pytest
import torch
from PySide6.QtGui import QImage

from gateviz.core import view_products as vp
from gateviz.core.engine import Tracer
from gateviz.core.model import InputStage, RecurrentModel
from gateviz.formats.torch_state import layers_from_module
from gateviz.ui.panels.indexed_image import IndexedImageItem


def pixels(item: pg.ImageItem) -> np.ndarray:
    """The item's rendered QImage as (rows, columns) ARGB32 words."""
    item.render()
    img = item.qimage.convertToFormat(QImage.Format.Format_ARGB32)
    return np.frombuffer(img.constBits(), dtype=np.uint32).reshape(img.height(), img.bytesPerLine() // 4)[
        :, :img.width()].copy()


def pyqtgraph_pixels(image, levels, cmap) -> np.ndarray:
    plain = pg.ImageItem(axisOrder="row-major")
    plain.setColorMap(cmap)
    plain.setImage(image, autoLevels=False, levels=levels)
    return pixels(plain)


@pytest.fixture
def own_path_calls(monkeypatch):
    """How often pyqtgraph's own render ran (the indexed path does not call it)."""
    calls = []
    own = pg.ImageItem.render

    def counted(self):
        calls.append(self)
        own(self)

    monkeypatch.setattr(pg.ImageItem, "render", counted)
    return calls


@pytest.mark.parametrize("levels", [(0.0, 1.0), (-1.0, 1.0), (-3.5, 3.5)])
def test_indices_draw_the_pixels_pyqtgraph_draws(qapp, own_path_calls, levels):
    rng = np.random.default_rng(1)
    image = (rng.standard_normal((37, 501)) * levels[1] * 0.8).astype(np.float32)  # some beyond the levels
    image[0, :5] = [levels[0], levels[1], np.nextafter(np.float32(levels[1]), 0), 0.0, -0.0]
    cmap = pg.colormap.get("viridis")
    item = IndexedImageItem(axisOrder="row-major")
    item.setColorMap(cmap)
    item.set_indexed_image(image, vp.colour_indices(image, levels), levels)
    got = pixels(item)
    assert own_path_calls == []  # drawn from the indices
    assert item.qimage.format() == QImage.Format.Format_Indexed8
    np.testing.assert_array_equal(got, pyqtgraph_pixels(image, levels, cmap))


def test_what_the_indices_do_not_belong_to_is_drawn_by_pyqtgraph(qapp, own_path_calls):
    rng = np.random.default_rng(2)
    image = rng.random((20, 300), dtype=np.float32)
    cmap = pg.colormap.get("CET-D1")
    item = IndexedImageItem(axisOrder="row-major")
    item.setColorMap(cmap)
    item.set_indexed_image(image, vp.colour_indices(image, (0.0, 1.0)), (0.0, 1.0))
    item.setLevels((0.2, 0.6))  # other levels (e.g. pushed by a colour bar)
    np.testing.assert_array_equal(pixels(item), pyqtgraph_pixels(image, (0.2, 0.6), cmap))
    assert len(own_path_calls) == 1 + 1
    other = rng.random((20, 300), dtype=np.float32)
    item.setImage(other, autoLevels=False, levels=(0.0, 1.0))  # a new image the indices were not made for
    np.testing.assert_array_equal(pixels(item), pyqtgraph_pixels(other, (0.0, 1.0), cmap))
    assert len(own_path_calls) == 4
    with_nan = image.copy()
    with_nan[3, 7] = np.nan
    item.set_indexed_image(with_nan, None, (0.0, 1.0))  # NaN: no indices; the pixel stays transparent
    got = pixels(item)
    assert len(own_path_calls) == 5
    assert got[3, 7] >> 24 == 0 and got[3, 8] >> 24 == 255


def test_the_heatmap_panel_draws_every_row_from_the_trace_jobs_indices(qtbot, own_path_calls):
    from gateviz.ui.panels import PANEL_CLASSES
    from gateviz.ui.state import ViewState

    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 6, num_layers=2).eval()
    model = RecurrentModel(layers_from_module(module), InputStage("raw", features=3)).validate()
    x = np.random.default_rng(0).standard_normal((9001, 3)).astype(np.float32)  # block-averaged (3 steps a column)
    trace = Tracer(model).trace(x)
    vp.precompute(trace)  # as the trace job does
    state = ViewState()
    state.set_trace(model, trace, None)
    panel = PANEL_CLASSES["heatmaps"](state)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    state.set_layer_direction(1, "forward")
    state.set_row_order(np.array([5, 0, 4, 1, 3, 2]))
    panel.grab()  # paints every row
    assert own_path_calls == []
    for row in panel.rows:
        assert row.image.image.shape == (6, 3001)  # blocks of 3 steps
        np.testing.assert_array_equal(pixels(row.image), pyqtgraph_pixels(row.image.image, row.levels,
                                                                          row.bar.colorMap()))
    assert own_path_calls and all(not isinstance(item, IndexedImageItem) for item in own_path_calls)  # references
