"""The panels, the cell diagram and exported figures in Simplified Chinese (issue 15).

(a) with zh_CN set, a dashboard built afresh draws Chinese plot titles, axis labels, legends and
    cell-diagram labels (the terms of resources/i18n/TERMS.md), and English again after "en";
(b) the tooltips' sentences are translated with their formulas kept symbol for symbol;
(c) gateviz_panels_zh_CN.ts holds exactly the strings the panels' and exports' sources mark (a new
    string without a translation fails), every one finished, placeholders kept, its .qm current;
(d) ``gateviz export … --lang zh`` writes Chinese: the SVG's text paths (aria-label), the SVG/PNG
    title, and pixels that differ from the English picture.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TS = ROOT / "resources" / "i18n" / "gateviz_panels_zh_CN.ts"
HANZI = re.compile("[\u4e00-\u9fff]")


@pytest.fixture
def chinese(qapp):
    from gateviz.ui import i18n

    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


def _state(model: str = "bundled:brackets-lstm"):
    """The ViewState gateviz export draws for ``model`` (its story units pinned, its last step)."""
    import argparse

    from gateviz.cli import export_cmd

    parser = argparse.ArgumentParser()
    export_cmd.add_arguments(parser)
    args = parser.parse_args([model, "-o", "unused.png"])
    return export_cmd._view_state(args, *export_cmd._load(args))


def _dashboard(qtbot, state):
    from gateviz.ui.dashboard import Dashboard

    dash = Dashboard(state, layout="dashboard")
    qtbot.addWidget(dash)
    dash.resize(1400, 860)
    return dash


def _texts(dash) -> dict[str, str]:
    """What a reader sees, by place: heatmap titles and axes, trace legend, saturation legend, cell labels."""
    heat, traces, cell, sat = (dash.panels[p] for p in ("heatmaps", "traces", "cell", "saturation"))
    return {
        "heat titles": " | ".join(r.plot.titleLabel.text for r in heat.rows),
        "heat left": heat.rows[0].plot.getAxis("left").labelText,
        "heat bottom": heat.rows[-1].plot.getAxis("bottom").labelText,
        "traces legend": traces.legend.text(),
        "saturation legend": sat.legend.text(),
        "cell": " | ".join([cell.content().title, cell.content().split_title, cell.content().charts_note]
                           + [t for t, _ in cell.text_boxes()]),
        "cell where": cell.labels["where"],
        "cell tooltip": cell.gate_tooltip("f"),
    }


# ---------------------------------------------------------------- (a) a dashboard in Chinese
def test_a_dashboard_built_in_chinese_speaks_chinese_and_english_again_after(qtbot, chinese):
    from gateviz.ui import i18n

    state = _state()
    dash = _dashboard(qtbot, state)
    zh = _texts(dash)
    for name in ("输入门", "遗忘门", "候选记忆元", "输出门", "记忆元", "隐状态"):
        assert name in zh["heat titles"], name
    assert "forget gate" not in zh["heat titles"]
    assert zh["heat left"] == "单元" and zh["heat bottom"] == "时间步"
    assert "已固定" in zh["traces legend"] and "单元 8" in zh["traces legend"]
    assert "第 0 层" in zh["saturation legend"] and "正向" in zh["saturation legend"]
    assert zh["cell where"] == f"第 0 层 · 正向 · 单元 8 · 第 {state.step} 步"
    assert "LSTM 单元" in zh["cell"] and "单元 8 的更新" in zh["cell"]  # its title, the update's title
    assert "遗忘门 f_t = σ(W_f x_t + U_f h_{t−1} + b_f)" in zh["cell tooltip"]

    i18n.set_language("en")  # the window rebuilds its dashboard on languageChanged: so do we
    en = _texts(_dashboard(qtbot, state))
    assert "forget gate" in en["heat titles"] and not HANZI.search(en["heat titles"])
    assert en["heat left"] == "unit" and en["heat bottom"] == "step"
    assert en["cell where"] == f"layer 0 · forward · unit 8 · step {state.step}"
    assert not [k for k, v in en.items() if HANZI.search(v)]


def test_the_cell_diagram_names_every_gate_in_chinese_upright(qtbot, chinese):
    from gateviz.ui.panels import PANEL_CLASSES

    for model, names in (("bundled:brackets-lstm", ("遗忘门", "输入门", "候选记忆元", "输出门")),
                         ("bundled:brackets-gru", ("更新门", "候选隐状态", "重置门"))):
        panel = PANEL_CLASSES["cell"](_state(model))
        qtbot.addWidget(panel)
        panel.resize(1400, 860)  # room for the full level: names, formulas, the layer's gates
        scene = panel.scene()
        labels = {lb.markup: lb.style for lb in scene.labels}
        for name in names:
            assert name in labels, (model, name, sorted(labels))
            assert labels[name] != "italic"  # a slanted hanzi is a synthetic oblique
        texts = [t for t, _ in panel.text_boxes()]
        assert "保留  " + ("f_t⊙c_{t−1}" if "lstm" in model else "z_t⊙h_{t−1}") in texts


# ---------------------------------------------------------------- (b) tooltips and formulas
def test_tooltips_are_translated_with_their_formulas_intact(chinese):
    from gateviz.ui.panels import notation
    from gateviz.ui.panels.common import display_info
    from gateviz.ui.state import Theme

    tip = notation.tip("reset_gate", "gru")
    assert tip.startswith("重置门 r_t = σ(W_r x_t + U_r h_{t−1} + b_r)：") and "候选隐状态 n_t" in tip
    textbook = notation.tip("update_gate", "gru", "textbook")
    assert "h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t" in textbook and "教科书约定" in textbook
    assert display_info("cell_candidate", Theme()).name == "候选记忆元"
    notes = [m for m, note in notation.formulas("gru") if note]
    assert notes and all(HANZI.search(n) for n in notes)
    assert [m for m, note in notation.formulas("lstm") if not note][4] == "c_t = f_t⊙c_{t−1} + i_t⊙g_t"


# ---------------------------------------------------------------- (c) the translation file
def _messages(ts: Path) -> dict[tuple[str, str], ET.Element | None]:
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        for m in context.iter("message"):
            out[(context.findtext("name"), m.findtext("source"))] = m.find("translation")
    return out


def _lupdate() -> Path:
    return Path(sys.executable).parent / "pyside6-lupdate"


@pytest.mark.skipif(not _lupdate().exists(), reason="pyside6-lupdate is not beside this Python")
def test_the_ts_holds_every_marked_string_of_the_panels_and_exports(tmp_path):
    """lupdate run afresh over the sources finds no string the committed .ts lacks, and none it has extra."""
    sources = sorted(str(p.relative_to(ROOT)) for folder in ("gateviz/ui/panels", "gateviz/export")
                     for p in (ROOT / folder).glob("*.py"))
    fresh = tmp_path / "fresh.ts"
    subprocess.run([str(_lupdate()), "-no-obsolete", "-locations", "none", *sources, "-ts", str(fresh)],
                   cwd=ROOT, check=True, capture_output=True)
    now, committed = set(_messages(fresh)), set(_messages(TS))
    assert len(now) > 150
    assert not now - committed, f"run pyside6-lupdate on the panels (see this file's docstring): {sorted(now - committed)[:5]}"
    assert not committed - now, f"strings no source marks any more: {sorted(committed - now)[:5]}"


def test_every_panel_message_is_finished_in_chinese_with_its_placeholders(qapp):
    from PySide6.QtCore import QTranslator

    tr = QTranslator()
    assert tr.load(str(TS.with_suffix(".qm")))
    bad = []
    for (context, source), translation in _messages(TS).items():
        text = "" if translation is None else "".join(translation.itertext())
        if translation is None or translation.get("type") in ("unfinished", "vanished", "obsolete") or not text:
            bad.append(f"unfinished: {context} {source!r}")
            continue
        words = re.sub(r"\{[a-z_0-9]*\}|<[^>]*>|&[a-z]+;", "", source)  # placeholders and markup are no words
        if re.search("[A-Za-z]{3,}", words) and not HANZI.search(text):
            bad.append(f"left in English: {context} {source!r} -> {text!r}")
        for field in set(re.findall(r"\{[a-z_0-9]*\}", source)):
            if text.count(field) != source.count(field):
                bad.append(f"{context} {source!r}: {field} lost")
        if tr.translate(context, source) != text:
            bad.append(f"the .qm is older than the .ts: {context} {source!r}")
    assert not bad, bad[:10]


# ---------------------------------------------------------------- (d) gateviz export --lang zh
def _export(tmp_path: Path, name: str, *options: str) -> Path:
    from gateviz.cli import main

    out = tmp_path / name
    assert main(["export", "bundled:brackets-lstm", "-o", str(out), "--size", "1400x860", *options]) == 0
    return out


def test_export_lang_zh_writes_chinese_svg_and_png_and_en_writes_english(tmp_path, qapp):
    from gateviz.ui import i18n

    try:
        svg = _export(tmp_path, "fig.svg", "--lang", "zh")
        png = _export(tmp_path, "fig.png", "--lang", "zh")
        png_en = _export(tmp_path, "fig_en.png", "--lang", "en")
        svg_en = _export(tmp_path, "fig_en.svg", "--lang", "en")
    finally:
        i18n.set_language("en")
    root = ET.parse(svg).getroot()
    labels = " ".join(el.get("aria-label") for el in root.iter() if el.get("aria-label"))
    for words in ("输入门", "遗忘门", "记忆元", "隐状态", "时间步", "单元"):
        assert words in labels, words
    title = "".join(el.text or "" for el in root.iter() if el.tag.endswith("title"))
    assert "第 36 步" in title
    en_root = ET.parse(svg_en).getroot()
    en_text = " ".join([el.get("aria-label") or "" for el in en_root.iter()] + [el.text or "" for el in en_root.iter()])
    assert "forget gate" in en_text and not HANZI.search(en_text)

    image, image_en = QImage(str(png)), QImage(str(png_en))
    assert image.size() == image_en.size() and image.width() == 1400
    assert "第 36 步" in image.text("Title") and "step 36" in image_en.text("Title")
    a = np.frombuffer(image.convertToFormat(QImage.Format.Format_RGB32).constBits(), np.uint8)
    b = np.frombuffer(image_en.convertToFormat(QImage.Format.Format_RGB32).constBits(), np.uint8)
    assert (a != b).mean() > 0.001  # the words differ; the plots (same trace) do not


def test_a_timelapse_frame_title_in_chinese_and_the_cores_words_in_english(qapp):
    from types import SimpleNamespace

    from gateviz.core.snapshots import Snapshot
    from gateviz.export.timelapse import frame_title
    from gateviz.ui import i18n

    snaps = [Snapshot(96, 4, 0.0123, 0.0101, {}, "mse", 90, "float16"), Snapshot(192, 8, 0.01, None, {}, "mse")]
    model = SimpleNamespace(name="sine-lstm", snapshots=snaps)
    assert frame_title(model, 0) == "sine-lstm · " + snaps[0].title(total_steps=192)
    try:
        i18n.set_language("zh_CN")
        assert frame_title(model, 0) == "sine-lstm · 训练第 96/192 步 · 第 4 轮 · 损失 0.0123 · mse 0.0101（第 90 训练步时） · float16 权重"
        assert frame_title(model, 1) == "sine-lstm · 训练第 192/192 步 · 第 8 轮 · 损失 0.01 · mse 尚未测量"
    finally:
        i18n.set_language("en")


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_a_chinese_pdf_keeps_its_words_searchable(tmp_path, qapp):
    from gateviz.ui import i18n

    try:
        pdf = _export(tmp_path, "fig.pdf", "--lang", "zh")
    finally:
        i18n.set_language("en")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("遗忘门", "候选记忆元", "已固定", "时间步", "第 0 层"):
        assert words in text, words
