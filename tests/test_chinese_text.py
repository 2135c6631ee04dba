"""Chinese text models (issue 15): training on a Chinese UTF-8 file with a vocabulary of thousands of
characters, its .gvm round trip, trace and export; a text in another encoding refused naming it; the
Chinese numerals generator behind the bundled text-zh models; full-width cells in the text view."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pytest
import torch

from cli_checks import error_line
from gateviz.cli import main
from gateviz.core.engine import Tracer
from gateviz.formats.gateviz_file import load_gateviz_model
from gateviz.tasks import get_task_for_model
from gateviz.tasks.text import MAX_VOCAB, TextTask
from gateviz.tasks.zh_numerals import (ALPHABET, answer_mask, chinese_number, corpus, date_line,
                                       sum_line)

HANZI = 2500  # distinct characters of the generated text: a Chinese text's few thousand


def chinese_text(n_chars: int = 24_000, distinct: int = HANZI, seed: int = 0) -> str:
    """A text of ``distinct`` CJK ideographs (Zipf-distributed, each at least once) in clauses of 13
    characters closed by ， and sentences of 41 closed by 。 and a line break."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, distinct + 1)
    ids = rng.choice(distinct, size=n_chars, p=p / p.sum())
    ids[:distinct] = rng.permutation(distinct)
    out = []
    for k, i in enumerate(ids):
        out.append(chr(0x4E00 + int(i)))
        if k % 13 == 12:
            out.append("，")
        if k % 41 == 40:
            out.append("。\n")
    return "".join(out)


# ---- training on a Chinese file -------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`gateviz train text --text FILE` on a generated Chinese text: (file, model path)."""
    folder = tmp_path_factory.mktemp("zh")
    text_file, model_file = folder / "中文.txt", folder / "zh.gvm"
    text_file.write_text(chinese_text(), encoding="utf-8")
    code = main(["train", "text", "--text", str(text_file), "--units", "24", "--epochs", "1", "--quiet",
                 "-o", str(model_file)])
    assert code == 0
    return text_file, model_file


def test_a_chinese_file_trains_with_a_vocabulary_of_thousands_of_characters(trained):
    text_file, model_file = trained
    text = text_file.read_text(encoding="utf-8")
    model = load_gateviz_model(model_file)
    vocab = model.input.vocab
    assert len(set(text)) == HANZI + 3 < MAX_VOCAB  # the ideographs, ， 。 and the line break
    assert vocab == sorted(set(text)) and model.head.out_features == len(vocab)  # none dropped
    assert model.layers[0].input_size == len(vocab)
    task = get_task_for_model(model)
    assert task.vocab == vocab
    samples = task.samples()  # held-out passages stored in the model file
    assert samples and all(set(s.sequence) <= set(vocab) for s in samples)
    assert np.isfinite(model.task["metrics"]["bits_per_char"])


def test_the_saved_model_traces_as_the_torch_network_it_was_trained_as(trained):
    """Rebuild torch's nn.LSTM + Linear from the .gvm's canonical weights (PyTorch layout) and compare
    the next-character probabilities on Chinese text: the one-hot input of 2,503 characters is in
    the vocabulary's order on both sides."""
    text_file, model_file = trained
    model = load_gateviz_model(model_file)
    vocab = model.input.vocab
    text = text_file.read_text(encoding="utf-8")[-120:]
    index = {c: i for i, c in enumerate(vocab)}
    tokens = torch.tensor([[index[c] for c in text]])
    layer = model.layers[0]
    d = layer.directions[0]  # W (4H, V), U (4H, H) in PyTorch's i f g o order
    lstm = torch.nn.LSTM(len(vocab), layer.units, batch_first=True)
    head = torch.nn.Linear(layer.units, len(vocab))
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.asarray(d.Wx)))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.asarray(d.Wh)))
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.asarray(d.bx)))
        lstm.bias_hh_l0.copy_(torch.from_numpy(np.asarray(d.bh)))
        head.weight.copy_(torch.from_numpy(np.asarray(model.head.weight)))
        head.bias.copy_(torch.from_numpy(np.asarray(model.head.bias)))
        x = torch.nn.functional.one_hot(tokens, len(vocab)).float()  # (1, T, V)
        want = torch.softmax(head(lstm(x)[0]), -1)[0].numpy()  # (T, V)
    got = Tracer(model).trace(text).output
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def test_trace_and_export_a_chinese_text(trained, tmp_path, capsys):
    text_file, model_file = trained
    passage = text_file.read_text(encoding="utf-8")[:90]
    (tmp_path / "in.txt").write_text(passage, encoding="utf-8")
    assert main(["trace", str(model_file), str(tmp_path / "in.txt"), "-o", str(tmp_path / "t.npz")]) == 0
    with np.load(tmp_path / "t.npz") as npz:
        outputs = [npz[k] for k in npz.files if npz[k].shape == (len(passage), HANZI + 3)]
    assert outputs  # the next-character distribution at each of the 90 steps
    assert main(["export", str(model_file), str(tmp_path / "in.txt"), "--panel", "io",
                 "-o", str(tmp_path / "io.png")]) == 0
    assert (tmp_path / "io.png").stat().st_size > 5000


@pytest.mark.parametrize("codec,named", [("gb18030", "GB18030"), ("big5", "Big5"), ("shift_jis", "Shift-JIS"),
                                         ("cp1252", "Latin-1")])
def test_a_text_in_another_encoding_is_refused_naming_it(tmp_path, capsys, codec, named):
    text = {"big5": "循環神經網絡的門控單元。這是一個測試。\n",
            "shift_jis": "これは日本語のテストです。ゲートを見る。\n",
            "cp1252": "Le cœur a ses raisons — que la raison ne connaît point.\n"}.get(
        codec, "循环神经网络的门控单元。这是一个测试。\n")
    path = tmp_path / "old.txt"
    path.write_bytes((text * 200).encode(codec))
    code = main(["train", "text", "--text", str(path), "--epochs", "1", "-o", str(tmp_path / "m.gvm")])
    assert code == 2
    line = error_line(capsys, "old.txt is not UTF-8", named, "Save it as UTF-8")
    assert re.search(r"byte 0x[0-9A-F]{2} at offset \d+", line)
    assert not (tmp_path / "m.gvm").exists()


def test_utf8_with_a_byte_order_mark_and_utf16_are_read(tmp_path):
    text = chinese_text(3000, 300)
    for codec in ("utf-8-sig", "utf-16"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(text.encode(codec))
        task = TextTask(path=str(path))
        assert task.text() == text and "\ufeff" not in task.vocab


# ---- the Chinese numerals generator ---------------------------------------------------------

@pytest.mark.parametrize("n,written", [
    (0, "零"), (7, "七"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"), (35, "三十五"), (99, "九十九"),
    (100, "一百"), (101, "一百零一"), (105, "一百零五"), (110, "一百一十"), (115, "一百一十五"),
    (120, "一百二十"), (198, "一百九十八"), (1000, "一千"), (1005, "一千零五"), (1010, "一千零一十"),
    (1050, "一千零五十"), (1100, "一千一百"), (2026, "二千零二十六"), (9999, "九千九百九十九")])
def test_chinese_numbers_are_written_as_they_are_read(n, written):
    assert chinese_number(n) == written


def _read_number(s: str) -> int:
    """An independent reader of 0..9999 in Chinese numerals (for the round trip below)."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    units = {"十": 10, "百": 100, "千": 1000}
    total, digit = 0, None
    for c in s:
        if c in digits:
            digit = digits[c]
        else:
            total += (1 if digit is None else digit) * units[c]
            digit = None
    return total + (digit or 0)


def test_every_number_reads_back_and_has_no_stray_zero():
    for n in range(10000):
        s = chinese_number(n)
        assert _read_number(s) == n, (n, s)
        assert not s.startswith("一十") and "零零" not in s and (n == 0 or not s.endswith("零")), (n, s)
    with pytest.raises(ValueError):
        chinese_number(10000)


def test_the_corpus_is_sums_and_dates_and_the_same_every_time():
    text = corpus(seed=0, chars=20_000)
    assert text == corpus(seed=0, chars=20_000) and text != corpus(seed=1, chars=20_000)
    assert set(text) <= set(ALPHABET) and text.endswith("。\n")
    lines = text.splitlines()
    sums = [m for m in (re.fullmatch(r"(\w+)加(\w+)等于(\w+)。", line) for line in lines) if m]
    dates = [line for line in lines if "年" in line]
    assert len(sums) + len(dates) == len(lines) and 0.6 < len(sums) / len(lines) < 0.9
    for m in sums:
        a, b, c = (_read_number(g) for g in m.groups())
        assert a + b == c and max(a, b) <= 99 and sum_line(a, b) == m.group(0)
    for line in dates:
        m = re.fullmatch(r"([〇一二三四五六七八九]{4})年(\w+)月(\w+)日。", line)
        year = int("".join(str("〇一二三四五六七八九".index(c)) for c in m.group(1)))
        month, day = _read_number(m.group(2)), _read_number(m.group(3))
        import datetime
        datetime.date(year, month, day)  # a real date
        assert date_line(year, month, day) == line


def test_answer_mask_covers_the_answer_of_each_sum():
    line = sum_line(35, 12) + "\n" + date_line(2026, 11, 28) + "\n"
    mask = answer_mask(line)
    inside = "".join(c for c, m in zip(line, mask) if m)
    assert inside == "于四十七"  # from 于 (the answer follows) to the answer's last character
    assert mask[line.index("年"):].sum() == 0


def test_the_zh_sums_task():
    task = TextTask(corpus="zh-sums")
    assert task.vocab == ALPHABET and task.options() == {"name": "text", "corpus": "zh-sums", "seq_len": 100}
    samples = task.samples()
    assert [s.name for s in samples] == ["sums with carries", "tens and hundreds", "dates"]
    assert all(set(s.sequence) <= set(ALPHABET) and s.sequence.endswith("。\n") for s in samples)
    assert "一百零五" in samples[1].sequence and "一百一十" in samples[1].sequence
    train, held = task.tokens()
    assert len(train) + len(held) == len(task.text()) > 150_000


# ---- full-width cells in the text view ----------------------------------------------------------

def test_east_asian_width_decides_the_cell_width():
    assert [unicodedata.east_asian_width(c) for c in "ab三十五c，。"] == ["Na", "Na", "W", "W", "W", "Na", "F", "W"]


MIXED = "ab三十五c"


def _grid(qtbot, text: str, values, width: int = 600, height: int = 160):
    from gateviz.ui.panels.io_chargrid import CharGrid

    grid = CharGrid()
    qtbot.addWidget(grid)
    grid.resize(width, height)
    grid.set_text(list(text), values)
    grid.set_step(len(text))  # no current-step frame over the cells
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def _pixel(image, x: float, y: float):
    from PySide6.QtCore import QPoint

    return image.pixelColor(QPoint(int(x), int(y)))


def _same(a, b) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= 2


def _assert_cells_filled(grid, rects, colours):
    """Each cell's colour fills it edge to edge, across the column boundary inside a full-width cell."""
    image = grid.grab().toImage()
    ratio = image.devicePixelRatio()
    for k, rect in rects.items():
        xs = [rect.left() + 2, rect.right() - 2] + ([rect.left() + rect.width() / 2] if rect.width() > 30 else [])
        for x in xs:
            got = _pixel(image, x * ratio, (rect.top() + 2) * ratio)
            assert _same(got, colours[k]), (MIXED[k], x, got.name(), colours[k].name())


@pytest.mark.parametrize("width", [600, 1400])  # two font sizes: the grid grows its font to fill the room
def test_full_width_characters_take_two_half_width_cells(qtbot, width):
    """ab三十五c: a b one column each, 三 十 五 two each, c one; x positions and widths follow."""
    values = np.array([-0.9, -0.3, 0.2, 0.8, -0.6, 0.5], dtype=np.float32)
    grid = _grid(qtbot, MIXED, values, width=width)
    fit = grid._fit()
    assert fit.spans.tolist() == [1, 1, 2, 2, 2, 1]
    assert fit.cols_of.tolist() == [0, 1, 2, 4, 6, 8] and fit.rows_of.tolist() == [0] * 6
    rects = grid.cell_rects()
    m, cw = grid.MARGIN, fit.cw
    for k, (col, span) in enumerate(zip([0, 1, 2, 4, 6, 8], [1, 1, 2, 2, 2, 1])):
        assert rects[k].left() == pytest.approx(m + col * cw) and rects[k].width() == pytest.approx(span * cw - 1)
        assert rects[k].top() == pytest.approx(rects[0].top())
    # a full-width cell covers two half-width cells and the 1 px gap between them
    assert rects[2].width() == pytest.approx(rects[0].width() + rects[1].width() + 1)
    # wrapping never splits a full-width cell: at 7 columns 五 starts the second row
    rows, cols = grid._layout(7, fit.spans)
    assert rows.tolist() == [0, 0, 0, 0, 1, 1] and cols.tolist() == [0, 1, 2, 4, 0, 2]
    # clicking either half of a full-width cell goes to its step
    for k in (2, 3, 4):
        r = rects[k]
        assert grid.char_at(QPointF_(r.left() + 1, r.center().y())) == k
        assert grid.char_at(QPointF_(r.right() - 1, r.center().y())) == k
    # the colouring fills the same cells
    from gateviz.ui.panels.io_base import value_colour

    _assert_cells_filled(grid, rects, [value_colour(float(v), grid.cmap) for v in values])


def test_memory_shading_fills_full_width_cells(qtbot):
    from gateviz.ui.panels.io_base import shade_colours

    grid = _grid(qtbot, MIXED, np.zeros(6, dtype=np.float32))
    levels = np.array([0.1, 0.3, 1.0, 0.6, 0.0, 0.8], dtype=np.float32)
    grid.set_shade(levels, step=5)
    rects = grid.cell_rects()
    colours = [c for c, _ in shade_colours(levels, grid.background, grid.accent)]
    _assert_cells_filled(grid, rects, colours)
    # t*'s underline sits under its own cell (c, a half-width one)
    image = grid.grab().toImage()
    r = rects[5]
    assert _same(_pixel(image, r.center().x(), r.bottom() - 2), grid.mark)


def QPointF_(x: float, y: float):  # noqa: N802
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


_BARE_CHILD = r"""
import json, sys
import numpy as np
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication
from gateviz.ui.panels.io_chargrid import CharGrid
app = QApplication([])  # the bundled font is not loaded: hanzi draw as DejaVu's boxes
grid = CharGrid()
grid.resize(600, 160)
grid.set_text(list(sys.argv[1]), np.zeros(len(sys.argv[1])))
fit = grid._fit()
fm = QFontMetricsF(fit.font)
measured = [max(1, int(np.ceil((fm.horizontalAdvance(c) + 4) / fit.cw - 1e-6))) for c in sys.argv[1]]
print(json.dumps({"spans": fit.spans.tolist(), "measured": measured}))
"""


def test_full_width_cells_without_any_cjk_font(tmp_path):
    """On a machine whose only fonts are DejaVu the hanzi are narrow boxes: measured, they would take
    one column; by their East Asian Width they still get two."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not sys.platform.startswith("linux") or not dejavu.is_dir() or shutil.which("fc-list") is None:
        pytest.skip("needs Linux with fontconfig and DejaVu fonts to simulate a machine without CJK fonts")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{dejavu}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir>
<include ignore_missing="yes">/etc/fonts/conf.d</include></fontconfig>
""")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", _BARE_CHILD, MIXED], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["spans"] == [1, 1, 2, 2, 2, 1]
    assert result["measured"][2:5] == [1, 1, 1]  # what the glyphs alone would have given


# ---- the bundled Chinese models ------------------------------------------------------------------

ZH_MODELS = ["text-zh-lstm", "text-zh-gru", "text-zh-rnn"]


@pytest.mark.parametrize("name", ZH_MODELS)
def test_the_bundled_chinese_models_read_the_generated_text(name):
    from gateviz.bundled import default_sample, get_bundled, load_bundled

    entry = get_bundled(name)
    assert entry.variant == "Chinese numerals" and entry.label.startswith("text, Chinese numerals: ")
    model = load_bundled(name)
    assert model.input.vocab == ALPHABET and model.task["corpus"] == "zh-sums"
    task = get_task_for_model(model)
    sample = default_sample(model)
    assert sample.name == "sums with carries" and "等于" in sample.sequence
    # the line break after 。: every line of a sample ends so, and the model knows it
    trace = Tracer(model).trace(sample.sequence)
    stops = [t for t, c in enumerate(sample.sequence[:-1]) if c == "。"]
    newline = ALPHABET.index("\n")
    assert trace.output[stops, newline].min() > 0.9


def _answers_right(model, pairs) -> float:
    """The share of sums whose every answer character is the model's top prediction given the line so far."""
    tracer = Tracer(model)
    vocab = model.input.vocab
    right = 0
    for a, b in pairs:
        line = "七加一等于八。\n" + sum_line(a, b)  # a line before it, as in the text it learned
        out = tracer.trace(line).output
        start = line.rindex("于") + 1
        right += all(vocab[int(np.argmax(out[t - 1]))] == line[t] for t in range(start, len(line)))
    return right / len(pairs)


def test_the_bundled_chinese_lstm_mostly_adds_right_and_pins_its_answer_cell():
    from gateviz.bundled import default_sample, load_bundled
    from gateviz.tasks.base import memory_state

    model = load_bundled("text-zh-lstm")
    rng = np.random.default_rng(1)
    assert _answers_right(model, rng.integers(0, 100, size=(60, 2)).tolist()) >= 0.5
    # the story unit: the cell whose c follows "inside the answer" (等于 .. 。) best, strongly
    task = get_task_for_model(model)
    sample = default_sample(model)
    trace = Tracer(model).trace(sample.sequence)
    unit = task.story_units(sample.sequence, trace, model)[0]
    c = memory_state(trace)
    target = answer_mask(sample.sequence)
    r = [abs(np.corrcoef(c[:, u], target)[0, 1]) for u in range(c.shape[1])]
    assert r[unit] == pytest.approx(max(r)) and r[unit] >= 0.6


def test_the_chinese_sample_files_match_the_task():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "resources" / "samples" / "text-zh"
    listed = json.loads((folder / "samples.json").read_text(encoding="utf-8"))
    samples = TextTask(corpus="zh-sums").samples()
    assert [e["name"] for e in listed] == [s.name for s in samples]
    for entry, sample in zip(listed, samples):
        assert (folder / entry["file"]).read_text(encoding="utf-8") == sample.sequence


def test_cli_trains_on_the_chinese_numerals_corpus(tmp_path, capsys):
    out = tmp_path / "zh.gvm"
    assert main(["train", "text", "--corpus", "zh-sums", "--units", "8", "--epochs", "1", "--time-budget", "5",
                 "--quiet", "--snapshots", "0", "-o", str(out)]) == 0
    from gateviz.formats.gateviz_file import load_gateviz_model

    vocab = load_gateviz_model(out).input.vocab
    assert "等" in vocab and "十" in vocab and "\n" in vocab and len(vocab) == 22
    capsys.readouterr()
    assert main(["train", "sine", "--corpus", "zh-sums", "-o", str(tmp_path / "x.gvm")]) == 2
    error_line(capsys, "--corpus", "text task")
    assert main(["train", "text", "--corpus", "zh-sums", "--text", str(out), "-o", str(tmp_path / "y.gvm")]) == 2
    error_line(capsys, "--corpus and --text", "one of them")
