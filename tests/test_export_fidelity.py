"""Exports that open everywhere: SVG drawn by librsvg like our PNG, PDF heatmaps in their exact colours.

The SVG and PDF are rasterised by the tools people open them with (rsvg-convert: librsvg, as in
ImageMagick and GNOME; pdftoppm: poppler) at the PNG's pixel size and compared with our PNG of the
same view. Two measures: the mean absolute difference over the whole picture (text is rasterised
by another engine and heatmap cell edges at fractional pixels are blended instead of snapped, so it
is not 0; before the fix it was 16-125 per panel) and, stricter, the PNG's flat areas (heatmap cells,
backgrounds: pixels whose 5x5 neighbourhood is one colour) reproduced within 2/255.
"""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gateviz.cli import main

from export_helpers import image_array

RSVG = shutil.which("rsvg-convert")
needs_rsvg = pytest.mark.skipif(RSVG is None, reason="rsvg-convert (Debian: librsvg2-bin) is not installed")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdfimages") is None,
                                   reason="pdftoppm/pdfimages (Debian: poppler-utils) are not installed")


def flat_mask(rgb: np.ndarray, radius: int = 2) -> np.ndarray:
    """Pixels whose (2r+1)^2 neighbourhood has one colour: cell interiors, backgrounds."""
    h, w, _ = rgb.shape
    padded = np.pad(rgb, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    ok = np.ones((h, w), bool)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            ok &= (padded[dy:dy + h, dx:dx + w] == rgb).all(-1)
    return ok


def compare(png, raster) -> tuple[float, float]:
    """(mean absolute difference /255, % of the PNG's flat pixels off by more than 2/255)."""
    a = image_array(png)[..., :3].astype(int)
    b = image_array(raster)[..., :3].astype(int)
    assert a.shape == b.shape
    diff = np.abs(a - b)
    flat = flat_mask(a)
    return float(diff.mean()), float((diff.max(-1)[flat] > 2).mean() * 100)


@pytest.fixture
def light_theme_after(qapp):
    """The in-process CLI styles the whole application for --theme; leave it light for later tests."""
    yield
    from gateviz.ui.state import ViewState
    from gateviz.ui.theme import apply_theme

    apply_theme(ViewState().theme)


def rasterise_svg(svg, size, out):
    subprocess.run([RSVG, "-w", str(size[0]), "-h", str(size[1]), str(svg), "-o", str(out)], check=True)
    return out


# measured on brackets-lstm at each panel's natural size: dashboard 5.0, heatmaps 5.0 (cell edges),
# traces 3.0, saturation 3.4, io 1.8, cell 1.9 (text only); before: 28.9, 22.3, 55.9, 123.9, 51.4, 1.2
MAX_MAD = {"dashboard": 6.5, "heatmaps": 6.5, "traces": 4.5, "saturation": 4.5, "io": 3.0, "cell": 3.0}


@needs_rsvg
@pytest.mark.parametrize("panel, theme", [("dashboard", "light"), ("heatmaps", "light"), ("heatmaps", "dark"),
                                          ("traces", "light"), ("traces", "dark"), ("io", "light"),
                                          ("saturation", "light"), ("cell", "dark")])
def test_svg_in_librsvg_looks_like_the_png(tmp_path, light_theme_after, panel, theme):
    common = ["export", "bundled:brackets-lstm", "--panel", panel, "--theme", theme]
    assert main([*common, "-o", str(tmp_path / "f.png")]) == 0
    assert main([*common, "-o", str(tmp_path / "f.svg")]) == 0
    svg_text = (tmp_path / "f.svg").read_text()
    assert "non-scaling-stroke" not in svg_text
    png = image_array(tmp_path / "f.png")
    raster = rasterise_svg(tmp_path / "f.svg", (png.shape[1], png.shape[0]), tmp_path / "f.rsvg.png")
    mad, off = compare(tmp_path / "f.png", raster)
    assert mad <= MAX_MAD[panel], f"{panel} {theme}: SVG in librsvg differs from the PNG by {mad:.2f}/255 on average"
    assert off < 0.5, f"{panel} {theme}: {off:.2f} % of flat areas (cells, backgrounds) changed colour"


SVG_HEAD = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'width="200" height="100" viewBox="0 0 200 100">')


@needs_rsvg
def test_a_one_pixel_cursor_in_data_units_stays_one_pixel(tmp_path):
    """What Qt writes for a plot's cursor: a line in data units (1 unit = 40 px across) with a
    non-scaling 1 px stroke. librsvg ignored the attribute and drew a 40 px bar."""
    from gateviz.export.svg_compat import make_portable

    svg = (SVG_HEAD + '<rect width="200" height="100" fill="white"/>'
           '<g fill="none" stroke="#000000" stroke-width="1" transform="matrix(40,0,0,-20,20.5,90)">'
           '<polyline fill="none" vector-effect="non-scaling-stroke" points="2,0 2,4 "/>'
           '<circle vector-effect="non-scaling-stroke" cx="4" cy="2" r="0.25"/></g></svg>')
    (tmp_path / "c.svg").write_bytes(make_portable(svg.encode()))
    dark = image_array(rasterise_svg(tmp_path / "c.svg", (200, 100), tmp_path / "c.png"))[..., :3].min(-1) < 128
    row = dark[50]
    assert np.nonzero(row[:150])[0].tolist() == [100]  # x = 20.5 + 2 * 40: one pixel wide
    ring = dark[:, 160:200]  # the circle: radius 10 px across, 5 px up, a 1 px outline, hollow
    assert ring.any() and not dark[50, 180]
    assert 1 <= ring[50].sum() <= 4


@needs_rsvg
def test_heatmap_cells_stay_crisp(tmp_path):
    """A 3x2 bitmap shown 150x100 px: librsvg smooths it (it ignores image-rendering); enlarged
    nearest-neighbour first, each cell's inside keeps its exact colour."""
    import base64

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage

    from gateviz.export.svg_compat import make_portable

    cells = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]], [[0, 0, 0], [255, 255, 255], [128, 64, 32]]],
                     np.uint8)
    image = QImage(cells.tobytes(), 3, 2, 9, QImage.Format.Format_RGB888).copy()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    href = "data:image/png;base64," + base64.b64encode(bytes(data)).decode()
    svg = (SVG_HEAD + f'<g transform="matrix(50,0,0,50,0,0)"><image x="0" y="0" width="3" height="2" '
           f'preserveAspectRatio="none" image-rendering="optimizeSpeed" xlink:href="{href}"/></g></svg>')
    portable = make_portable(svg.encode())
    (tmp_path / "h.svg").write_bytes(portable)
    got = image_array(rasterise_svg(tmp_path / "h.svg", (200, 100), tmp_path / "h.png"))[..., :3].astype(int)
    for r in range(2):
        for c in range(3):
            inside = got[r * 50 + 2:r * 50 + 48, c * 50 + 2:c * 50 + 48]
            assert np.abs(inside - cells[r, c]).max() <= 1, (r, c)
    enlarged = ET.fromstring(portable).find(".//{http://www.w3.org/2000/svg}image")
    assert enlarged.get("width") == "3" and enlarged.get("height") == "2"  # same place and size in the figure


@needs_poppler
def test_pdf_heatmaps_are_lossless_and_exact(tmp_path, qapp):
    common = ["export", "bundled:brackets-lstm", "--panel", "heatmaps"]
    assert main([*common, "-o", str(tmp_path / "h.png")]) == 0
    assert main([*common, "-o", str(tmp_path / "h.pdf")]) == 0
    listing = subprocess.run(["pdfimages", "-list", str(tmp_path / "h.pdf")], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    encodings = {line.split()[8] for line in listing}
    assert len(listing) == 12 and encodings == {"image"}  # 6 heatmaps, 6 colour bars; no "jpeg"
    subprocess.run(["pdftoppm", "-r", "96", "-png", "-singlefile", str(tmp_path / "h.pdf"), str(tmp_path / "p")],
                   check=True)
    png = image_array(tmp_path / "h.png")[..., :3].astype(int)
    pdf = image_array(tmp_path / "p.png")[..., :3].astype(int)
    assert pdf.shape == png.shape
    flat = flat_mask(png)
    coloured = flat & (np.ptp(png, axis=-1) > 30)  # heatmap cells, not the white page or grey text
    assert coloured.sum() > 50_000  # most of the six heatmaps
    assert np.abs(pdf - png).max(-1)[coloured].max() <= 2  # JPEG was off by up to 20/255 per cell
