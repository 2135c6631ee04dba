"""The bundled Chinese font (issue 15): Chinese draws, exports and stays searchable on a machine
without any CJK font.

A bare machine is simulated with a fontconfig configuration that knows only DejaVu (this test
machine may have Noto CJK installed); the checks that need it run in one child process, where
the configuration is in place before Qt starts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gateviz.paths import resource

WORDS = "输入门遗忘门输出门细胞状态隐藏状态"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _gb2312_level1() -> str:
    chars = []
    for lead in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([lead, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def test_subset_covers_gb2312_level1_punctuation_and_the_gate_names(qapp):
    from PySide6.QtGui import QRawFont

    path = resource("fonts", "GatevizCJKSC-Regular.otf")
    assert path.stat().st_size < 1_500_000
    assert (path.parent / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE Version 1.1") == 1
    raw = QRawFont(str(path), 20)
    assert raw.isValid() and raw.familyName() == "Gateviz CJK SC"
    level1 = _gb2312_level1()
    assert len(level1) == 3755
    wanted = level1 + WORDS + "，。、：；！？（）《》“”…—·〇０１２３４５６７８９⊙"
    missing = [c for c in wanted if not raw.supportsCharacter(ord(c))]
    assert not missing, "".join(missing)
    assert not raw.supportsCharacter(0x9F98)  # 龘 is not common text: the subset really is a subset


def test_fallback_keeps_the_latin_family_and_adds_the_cjk_one(qapp):
    from PySide6.QtGui import QFont, QFontInfo, QFontMetrics

    from gateviz.ui.fonts import CJK_FAMILY, load_cjk_font, with_cjk_fallback

    assert load_cjk_font() == CJK_FAMILY
    plain = QFont()
    font = with_cjk_fallback(plain)
    assert font.families()[-1] == CJK_FAMILY
    assert QFontInfo(font).family() == QFontInfo(plain).family()  # Latin text keeps the UI font
    assert with_cjk_fallback(font).families() == font.families()  # once
    metrics = QFontMetrics(font)
    assert all(metrics.inFontUcs4(ord(c)) for c in WORDS)


def _glyphs_per_family(font, text: str) -> dict[str, int]:
    """How many glyphs of ``text`` Qt draws from each font family, laid out in ``font``."""
    from PySide6.QtGui import QTextLayout

    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    counts: dict[str, int] = {}
    for run in layout.glyphRuns():
        family = run.rawFont().familyName()
        counts[family] = counts.get(family, 0) + len(run.glyphIndexes())
    return counts


def test_the_text_grid_font_draws_hanzi_with_the_simplified_chinese_font(qapp):
    """A font naming one family (the text grid's DejaVu Sans Mono) falls back to the bundled SC font,
    not to whatever CJK font fontconfig likes (Noto Sans CJK JP where every Noto CJK is installed)."""
    from PySide6.QtGui import QFont, QFontDatabase

    from gateviz.ui.fonts import CJK_FAMILY, install_cjk_font

    if not QFontDatabase.hasFamily("DejaVu Sans Mono"):
        pytest.skip("DejaVu Sans Mono is not installed")
    install_cjk_font(qapp)
    assert _glyphs_per_family(QFont("DejaVu Sans Mono"), "ab输入门") == {"DejaVu Sans Mono": 2, CJK_FAMILY: 3}


def test_svg_text_with_cjk_becomes_a_path_and_latin_text_stays(qapp):
    from gateviz.export.svg_text import cjk_text_to_paths

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50">'
           '<g fill="#123456" font-family="DejaVu Sans" font-size="20" font-weight="400" font-style="normal">'
           '<text x="5" y="30">输入门</text><text x="120" y="30">i_t</text></g></svg>').encode()
    out = cjk_text_to_paths(svg).decode()
    assert "<text" in out and ">i_t</text>" in out and "输入门</text>" not in out
    assert 'aria-label="输入门"' in out
    d = out.split(' d="', 1)[1].split('"', 1)[0]
    xs = [float(p.split(",")[0]) for p in d.replace("Z", " ").replace("M", " ").replace("L", " ").replace("C", " ").split()]
    ys = [float(p.split(",")[1]) for p in d.replace("Z", " ").replace("M", " ").replace("L", " ").replace("C", " ").split()]
    # three 20 px ideographs from x=5 on the baseline y=30: about 60 px wide, above the baseline
    assert 5 <= min(xs) < 8 and 58 < max(xs) < 66 and 10 < min(ys) < 16 and max(ys) < 32
    assert cjk_text_to_paths(svg.replace("输入门".encode(), b"abc")) == svg.replace("输入门".encode(), b"abc")


# --------------------------------------------------------------------------- a machine without CJK fonts

_CHILD = textwrap.dedent(r"""
    import json, sys
    from pathlib import Path
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter
    from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsTextItem, QLabel

    out_dir = Path(sys.argv[1])
    WORDS = sys.argv[2]
    TOFU = "\u9f98" * len(WORDS)  # in no font of this machine, nor in the subset
    app = QApplication([])
    result = {"zh_before": QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)}

    def pixels(image):
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
        a = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * image.height())
        return a.reshape(image.height(), image.bytesPerLine())[:, :image.width()].copy()

    def label(text):
        w = QLabel(text)
        w.setStyleSheet("QLabel { background: white; color: black; font-size: 24px; }")
        w.resize(560, 48)
        return pixels(w.grab().toImage())

    def plot(title, axis):
        import pyqtgraph as pg
        w = pg.PlotWidget(background="w")
        w.setTitle(title, color="k")
        w.setLabel("left", axis, color="k")
        w.resize(400, 300)
        return pixels(w.grab().toImage())

    def scene_text(text):
        from gateviz.ui.panels.cell_text import base_font
        scene = QGraphicsScene(0, 0, 560, 48)
        item = QGraphicsTextItem(text)
        font = base_font()
        font.setPixelSize(24)
        item.setFont(font)
        item.setDefaultTextColor(QColor("black"))
        scene.addItem(item)
        image = QImage(560, 48, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        p = QPainter(image)
        scene.render(p)
        p.end()
        return pixels(image)

    def views():
        return {"label": (label(WORDS), label(TOFU)),
                "plot": (plot(WORDS[:3], WORDS[-4:]), plot(TOFU[:3], TOFU[-4:])),
                "scene": (scene_text(WORDS), scene_text(TOFU))}

    result["tofu_before"] = {k: bool(np.array_equal(a, b)) for k, (a, b) in views().items()}
    from gateviz.ui.fonts import install_cjk_font
    result["family"] = install_cjk_font(app)
    after = views()
    result["tofu_after"] = {k: bool(np.array_equal(a, b)) for k, (a, b) in after.items()}
    result["ink"] = {k: int((a < 128).sum()) for k, (a, _) in after.items()}
    glyphs = [label(c) for c in WORDS]
    result["distinct_glyphs"] = len({g.tobytes() for g in glyphs})
    result["distinct_chars"] = len(set(WORDS))
    result["blank_glyphs"] = sum(int((g < 128).sum() == 0) for g in glyphs)

    # the exports, as gateviz export writes them; raw.svg keeps Qt's <text> (a control)
    from gateviz.export import figure
    w = QLabel(WORDS)
    w.setStyleSheet("QLabel { background: white; color: black; font-size: 40px; padding: 20px; }")
    for saver, name in ((figure.save_png, "words.png"), (figure.save_svg, "words.svg"), (figure.save_pdf, "words.pdf")):
        saver(w, out_dir / name, size=(960, 200), overwrite=True)
    w.setText(TOFU)
    figure.save_png(w, out_dir / "tofu.png", size=(960, 200), overwrite=True)
    w.setText(WORDS)
    figure.file_cjk_text_to_paths = lambda path: None
    figure.save_svg(w, out_dir / "raw.svg", size=(960, 200), overwrite=True)
    print(json.dumps(result))
""")


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Run the child on a fontconfig that knows only DejaVu; (its JSON result, its folder, its env)."""
    if not sys.platform.startswith("linux") or not DEJAVU.is_dir() or shutil.which("fc-list") is None:
        pytest.skip("needs Linux with fontconfig and DejaVu fonts to simulate a machine without CJK fonts")
    folder = tmp_path_factory.mktemp("bare")
    conf = folder / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{DEJAVU}</dir>
  <cachedir>{folder / 'fc-cache'}</cachedir>
  <include ignore_missing="yes">/etc/fonts/conf.d</include>
</fontconfig>
""")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "QT_QPA_PLATFORM": "offscreen"}
    listed = subprocess.run(["fc-list", ":lang=zh"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.stdout.strip() == "", "the simulated bare machine still has a CJK font"
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(folder), WORDS], env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), folder, env


def test_bare_machine_draws_tofu_without_the_font_and_glyphs_with_it(bare):
    result, _, _ = bare
    assert result["zh_before"] == []
    # without the bundled font every view draws the same boxes for the gate names as for 龘
    assert result["tofu_before"] == {"label": True, "plot": True, "scene": True}
    assert result["family"] == "Gateviz CJK SC"
    # with it: a QLabel, a pyqtgraph title and axis label, a QGraphicsTextItem in the cell diagram's font
    assert result["tofu_after"] == {"label": False, "plot": False, "scene": False}
    assert all(ink > 200 for ink in result["ink"].values()), result["ink"]
    assert result["blank_glyphs"] == 0
    assert result["distinct_glyphs"] == result["distinct_chars"]  # every character its own glyph


def _gray(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    a = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * image.height())
    return a.reshape(image.height(), image.bytesPerLine())[:, :image.width()].copy()


def test_bare_machine_png_shows_the_words(bare, qapp):
    _, folder, _ = bare
    ink = _gray(folder / "words.png") < 128
    tofu = _gray(folder / "tofu.png") < 128  # the same label showing 龘, which no font here has
    assert ink.shape == tofu.shape == (200, 960)
    assert ink.sum() > 1500 and (ink != tofu).sum() > 1000


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_bare_machine_pdf_text_is_searchable(bare):
    _, folder, env = bare
    text = subprocess.run(["pdftotext", str(folder / "words.pdf"), "-"], env=env, capture_output=True,
                          text=True, timeout=60).stdout
    assert WORDS in "".join(text.split())


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="rsvg-convert (librsvg) not installed")
def test_bare_machine_svg_shows_the_glyphs_where_the_png_has_them(bare, qapp):
    _, folder, env = bare
    png = _gray(folder / "words.png") < 128

    def rasterise(name: str) -> np.ndarray:
        target = folder / (name + ".png")
        subprocess.run(["rsvg-convert", "-w", "960", "-h", "200", "-b", "white", str(folder / name), "-o",
                        str(target)], env=env, check=True, timeout=120)
        return _gray(target) < 128

    def near(a: np.ndarray, b: np.ndarray) -> float:
        """The share of a's ink pixels with ink of b within one pixel (the two rasterisers
        antialias thin strokes differently, so exact pixels differ at stroke edges)."""
        grown = b.copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                grown |= np.roll(np.roll(b, dy, axis=0), dx, axis=1)
        return float((a & grown).sum() / a.sum())

    svg = rasterise("words.svg")
    raw = rasterise("raw.svg")  # Qt's own <text>: the viewer has no font for it
    assert "<text" not in (folder / "words.svg").read_text(encoding="utf-8")
    assert near(png, svg) > 0.97 and near(svg, png) > 0.97, (near(png, svg), near(svg, png))  # measured: 1.0, 1.0
    assert near(png, raw) < 0.7, near(png, raw)  # boxes where the glyphs should be (measured: 0.49)


def _subset_script():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / "make_cjk_font_subset.py"
    spec = importlib.util.spec_from_file_location("make_cjk_font_subset", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_subset_script_reads_the_translation_files(tmp_path):
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "gateviz_zh_CN.ts").write_text(
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="zh_CN"><context>'
        "<name>Menu</name><message><source>Cell state</source><translation>龘细胞状态</translation></message>"
        "</context></TS>", encoding="utf-8")
    script = _subset_script()
    assert {"龘", "细", "C"} <= script.translation_chars(tmp_path)
    assert ord("龘") in script.charset(tmp_path) and ord("龘") not in script.charset(tmp_path / "i18n" / "none")


def test_the_bundled_subset_has_every_character_the_script_asks_for(qapp):
    """Fails when a translation file gained characters and the subset was not made again."""
    from PySide6.QtGui import QRawFont

    raw = QRawFont(str(resource("fonts", "GatevizCJKSC-Regular.otf")), 20)
    wanted = _subset_script().charset(Path(__file__).resolve().parent.parent / "resources")
    missing = "".join(chr(c) for c in sorted(wanted) if not raw.supportsCharacter(c))
    assert not missing, f"run scripts/make_cjk_font_subset.py: the subset lacks {missing[:50]!r}"
