"""Figures: PNG (size, dpi, presets, transparency), SVG with vectors, one-page PDF, clipboard.

Rendered from the real panels, offscreen, and checked in the files themselves.
"""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gateviz.export import figure, headless
from gateviz.export.files import ExportError

from export_helpers import distinct_colours, image_array, small_state


@pytest.fixture
def state(qapp):
    return small_state("lstm", units=8, steps=30, step=12)


def test_plan_keeps_text_readable_at_the_target_size():
    slide = figure.plan_render((1000, 600), size=(1920, 1080))
    assert slide.pixels == (1920, 1080) and slide.logical == (1280, 720) and slide.scale == 1.5
    printed = figure.plan_render((1000, 600), dpi=300)
    assert printed.logical == (1000, 600) and printed.pixels == (3125, 1875) and printed.dpi == 300
    both = figure.plan_render((1000, 600), size=(3000, 1500), dpi=300)
    assert both.pixels == (3000, 1500) and both.logical == (960, 480)
    small = figure.plan_render((1000, 600), size=(640, 360))
    assert small.scale == 1 and small.logical == (640, 360)
    assert figure.plan_render((1000, 600), size=(400, 300), minimum=(800, 600)).logical == (800, 600)
    with pytest.raises(ExportError, match="bad size"):
        figure.parse_size("1920by1080")
    with pytest.raises(ExportError, match="between 16 and"):
        figure.parse_size("0x100")
    assert figure.parse_size("800x600") == (800, 600)
    with pytest.raises(ExportError, match="megapixels"):
        figure.plan_render((1000, 600), size=(16000, 16000))


@pytest.mark.parametrize("panel", ["heatmaps", "traces"])
def test_png_slide_preset_has_the_size_and_real_content(state, tmp_path, panel):
    widget = headless.build_view(state, panel)
    path = tmp_path / f"{panel}.png"
    preset = figure.PRESETS["slide"]
    figure.save_png(widget, path, size=preset["size"], dpi=preset["dpi"])
    rgb = image_array(path)
    assert rgb.shape[:2] == (1080, 1920)
    assert distinct_colours(rgb) > 50  # colour maps, text, curves: not a blank page
    light = rgb[..., :3].astype(int).sum(axis=-1) > 600
    assert 0.2 < light.mean() < 0.99  # light theme: mostly white background, with drawing on it (a one-line trace plot is ~98% white)


def test_png_print_dpi_scales_text_with_the_picture(state, tmp_path):
    widget = headless.build_view(state, "traces")
    widget.resize(640, 400)
    low, high = tmp_path / "low.png", tmp_path / "high.png"
    figure.save_png(widget, low)
    figure.save_png(widget, high, dpi=300)
    a, b = image_array(low), image_array(high)
    assert a.shape[:2] == (400, 640) and b.shape[:2] == (1250, 2000)
    # the same layout: dark (ink) pixels cover about the same fraction of the picture at 96 and 300 dpi
    ink_a = (a[..., :3].max(axis=-1) < 100).mean()
    ink_b = (b[..., :3].max(axis=-1) < 100).mean()
    assert ink_a > 0.002 and 0.5 < ink_b / ink_a < 2.0
    from PySide6.QtGui import QImage

    assert round(QImage(str(high)).dotsPerMeterX() * 0.0254) == 300  # the PNG says its dpi


def test_transparent_png_and_dark_theme(state, tmp_path):
    from gateviz.ui.state import Theme

    state.set_theme(Theme("dark"))
    widget = headless.build_view(state, "heatmaps")
    opaque, clear = tmp_path / "dark.png", tmp_path / "clear.png"
    figure.save_png(widget, opaque, size=(800, 600))
    figure.save_png(widget, clear, size=(800, 600), transparent=True)
    dark = image_array(opaque)
    assert np.median(dark[..., :3]) < 80  # a dark background
    rgba = image_array(clear)
    assert rgba.shape == (600, 800, 4)
    alpha = rgba[..., 3]
    assert (alpha == 0).mean() > 0.05  # the background is see-through
    assert (alpha == 255).mean() > 0.2  # the heatmaps are not


def test_svg_is_xml_with_vector_paths(state, tmp_path):
    widget = headless.build_view(state, "traces")
    path = tmp_path / "t.svg"
    figure.save_svg(widget, path, size=(1920, 1080))
    root = ET.parse(path).getroot()
    tags = [el.tag.rsplit("}", 1)[-1] for el in root.iter()]
    vectors = tags.count("path") + tags.count("polyline")
    assert vectors > 20 and tags.count("text") > 10  # curves, axes, ticks and labels as vectors and text
    assert tags.count("image") <= 1
    assert root.attrib["viewBox"].split() == ["0", "0", "1280", "720"]


def test_pdf_has_one_page(state, tmp_path):
    widget = headless.build_view(state, "heatmaps")
    path = tmp_path / "h.pdf"
    figure.save_pdf(widget, path, size=(1280, 720))
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == 1
    assert data.rstrip().endswith(b"%%EOF")


def test_never_overwrites_and_leaves_no_partial_file(state, tmp_path):
    widget = headless.build_view(state, "heatmaps")
    path = tmp_path / "keep.png"
    path.write_bytes(b"mine")
    for fmt in ("png", "svg", "pdf"):
        target = path.with_suffix(f".{fmt}")
        target.write_bytes(b"mine")
        with pytest.raises(ExportError, match="already exists"):
            figure.save_figure(widget, target)
        assert target.read_bytes() == b"mine"
    figure.save_figure(widget, path, overwrite=True, size=(320, 200))
    assert image_array(path).shape[:2] == (200, 320)
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]
    with pytest.raises(ExportError, match="use png, svg or pdf"):
        figure.save_figure(widget, tmp_path / "x.bmp")


def test_clipboard_gets_the_picture(state, qtbot):
    from PySide6.QtGui import QGuiApplication

    widget = headless.build_view(state, "heatmaps")
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    image = figure.copy_to_clipboard(widget)
    got = QGuiApplication.clipboard().image()
    assert (got.width(), got.height()) == (image.width(), image.height()) == (1000, 800)


def _heatmap_geometry(panel, row: int, t: int):
    """Column t of heatmap ``row`` in the panel's pixels (a 1x export): (x0, x1, y0, y1) of its
    inside, and (x, y) of the centre just under the plot's bottom edge."""
    from PySide6.QtCore import QPointF

    vb, view = panel.rows[row].plot.vb, panel.view

    def to_panel(point):
        p = view.mapTo(panel, view.mapFromScene(point))
        return p.x(), p.y()

    units = panel.rows[row].data.shape[1]
    (xa, ya), (xb, yb) = to_panel(vb.mapViewToScene(QPointF(t - 0.3, 0.3))), \
        to_panel(vb.mapViewToScene(QPointF(t + 0.3, units - 0.3)))
    centre_x, _ = to_panel(vb.mapViewToScene(QPointF(t, 0)))
    bottom = to_panel(vb.sceneBoundingRect().bottomLeft())[1]
    return (min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)), (centre_x, bottom)


def test_still_heatmaps_mark_the_step_under_its_column_and_hide_no_cell(qapp, tmp_path):
    """The last step (the default of gateviz export) used to lie under the cursor; now every
    column shows its data colours and a triangle under the plot points at the step."""
    from export_helpers import small_state

    pictures, panels = {}, {}
    for step in (29, 0):
        state = small_state("lstm", units=8, steps=30, step=step)
        panel = headless.build_view(state, "heatmaps")
        figure.save_png(panel, tmp_path / f"s{step}.png")
        pictures[step], panels[step] = image_array(tmp_path / f"s{step}.png")[..., :3].astype(int), panel
    assert pictures[29].shape[:2] == (720, 960)
    for row in range(6):  # i f g o c h
        for t in (29, 0):
            (x0, x1, y0, y1), _ = _heatmap_geometry(panels[29], row, t)
            assert x1 - x0 >= 8 and y1 - y0 >= 50
            # the column's inside is the same whether the step is there or elsewhere: nothing covers it
            assert np.array_equal(pictures[29][y0:y1, x0:x1], pictures[0][y0:y1, x0:x1]), (row, t)
            assert pictures[29][y0:y1, x0:x1].std() > 5  # real cells, several colours

    def marked(picture, panel, row, t):
        _, (x, bottom) = _heatmap_geometry(panel, row, t)
        line = picture[bottom + 6, x - 6:x + 7]
        return int((line.max(-1) < 80).sum())  # dark pixels across: a triangle, not a 1 px tick

    for row in range(6):
        assert marked(pictures[29], panels[29], row, 29) >= 5 and marked(pictures[29], panels[29], row, 15) <= 2
        assert marked(pictures[0], panels[0], row, 0) >= 5 and marked(pictures[0], panels[0], row, 29) <= 2
