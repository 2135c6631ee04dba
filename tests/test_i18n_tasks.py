"""The Qt-free words in Chinese (issue 15): tasks, samples, metrics, bundled models, ablation results.

gateviz/core/texts.py marks them; the window translates them with gateviz.ui.i18n.localized. These
tests check the marker's contract (English everywhere outside the window), that every word a
Chinese user meets is translated, including the strings read back from files (index.json, the
sample catalogues, a model's head labels), that a user's own words are never "translated", and
that the window shows them in Chinese after a live switch.
"""

from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path

import pytest

from gateviz.core.texts import QT_TRANSLATE_NOOP, Message, match_template

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def chinese(qapp):
    from gateviz.ui import i18n

    i18n.set_language("zh_CN")
    yield i18n.localized
    i18n.set_language("en")


def _is_chinese(text: str) -> bool:
    """Translated: it holds Chinese and no English word of three letters or more (names like LSTM,
    MSE, sin(x) and the text model's own samples aside)."""
    words = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ("LSTM", "GRU", "RNN", "MSE", "MNIST",
                                                                        "tanh", "sin", "Python", "Karpathy",
                                                                        "char", "rnn", "scikit", "learn", "IDX")]
    return bool(CJK.search(text)) and not words


# ------------------------------------------------------------------ the marker
def test_a_message_is_its_english_text_and_remembers_how_to_translate():
    m = QT_TRANSLATE_NOOP("Tasks", "depth {d}").format(d=3)
    assert m == "depth 3" and isinstance(m, str) and str(m) == "depth 3"
    assert (m.context, m.template, m.fields) == ("Tasks", "depth {d}", {"d": 3})
    assert json.dumps({"name": m}) == '{"name": "depth 3"}'  # files hold the English
    for copied in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert copied == "depth 3" and copied.template == "depth {d}" and copied.fields == {"d": 3}
    with pytest.raises(TypeError, match="named fields"):
        m.format(4)


def test_plain_strings_read_back_match_only_numeric_templates():
    import importlib

    for module in ("gateviz.tasks.brackets", "gateviz.tasks.digits"):  # register "depth {d}" and "a {digit}"
        importlib.import_module(module)

    assert match_template("Tasks", "depth 12").fields == {"d": 12}
    assert match_template("Tasks", "a 7").template == "a {digit}"
    assert match_template("Tasks", "a cat") is None  # a user's own sample name stays theirs
    assert match_template("Tasks", "depth") is None


def test_english_stays_word_for_word(qapp):
    from gateviz.bundled import get_bundled
    from gateviz.tasks import get_task
    from gateviz.ui import i18n

    i18n.set_language("en")
    assert i18n.localized(get_bundled("adding-long-rnn").label, "Bundled") == "adding, 150 steps: RNN(32)"
    task = get_task("brackets")
    assert i18n.localized(task.title) == "Bracket depth counting"
    assert [i18n.localized(s.name) for s in task.samples()] == ["deep nesting", "depth 8", "siblings", "slow climb"]


# ------------------------------------------------------------------ everything is translated
def test_every_task_word_is_chinese(chinese):
    from gateviz.tasks import TASK_NAMES, get_task

    for name in TASK_NAMES:
        task = get_task(name)
        for text in (task.title, task.description, task.metric_label):
            assert _is_chinese(chinese(text)), (name, text, chinese(text))
        for sample in task.samples():
            assert _is_chinese(chinese(sample.name)), (name, sample.name, chinese(sample.name))
            assert _is_chinese(chinese(sample.description)), (name, sample.description)
        for label in task.output_labels() or []:
            if name != "text" and not label.isdigit():  # a text model's labels are its characters
                assert _is_chinese(chinese(label)), (name, label)


def test_words_read_back_from_the_bundle_are_chinese(chinese):
    """index.json's descriptions and variants, the sample catalogues and the models' stored labels are
    plain English strings in files; the window still shows them in Chinese."""
    index = json.loads((ROOT / "resources" / "models" / "index.json").read_text(encoding="utf-8"))["models"]
    for entry in index:
        assert _is_chinese(chinese(entry["description"], "Bundled")), entry["description"]
        if entry.get("variant"):
            assert _is_chinese(chinese(entry["variant"], "Bundled")), entry["variant"]
    for catalogue in sorted((ROOT / "resources" / "samples").glob("*/samples.json")):
        for item in json.loads(catalogue.read_text(encoding="utf-8")):
            for key in ("name", "description"):
                assert _is_chinese(chinese(item[key])), (catalogue.parent.name, item[key])
    from gateviz.bundled import load_bundled

    labels = load_bundled("brackets-lstm").head.labels
    assert [chinese(x) for x in labels[:3]] == ["深度 0", "深度 1", "深度 2"]
    columns = load_bundled("digits-lstm").input.feature_names
    assert chinese(columns[5]) == "第 5 列"


def test_bundled_menu_labels_are_chinese(chinese):
    from gateviz.bundled import get_bundled, list_bundled

    assert chinese(get_bundled("brackets-lstm").label, "Bundled") == "括号深度：LSTM(16)"
    assert chinese(get_bundled("adding-long-rnn").label, "Bundled") == "加法问题，150 步：RNN(32)"
    assert all(_is_chinese(chinese(b.label, "Bundled")) for b in list_bundled())


def test_ablation_results_are_chinese(chinese):
    from gateviz.bundled import load_bundled
    from gateviz.core.ablation import ablate

    result = ablate(load_bundled("brackets-lstm"))
    assert result.describe().startswith("layer 0: 16 units, h and c set to 0 at every step; ranked by depth accuracy")
    line = chinese(result.describe())
    assert line.startswith("第 0 层：16 个单元，每一步都把 h 和 c 设为 0；按括号任务的"), line
    assert _is_chinese(line) and _is_chinese(chinese(result.definition)) and chinese(result.measure_label) == "深度准确率"


def test_a_translation_that_names_other_fields_falls_back_to_english(chinese):
    m = Message("NoSuchContext", "{x} apples", {"x": 2})
    assert chinese(m) == "2 apples"  # untranslated: the English, formatted


# ------------------------------------------------------------------ the window
def test_the_window_shows_task_words_in_chinese_after_a_live_switch(qtbot):
    from app_helpers import open_window

    from gateviz.ui import i18n

    window = open_window(qtbot)
    try:
        box = window.controls.sequence_box
        english = [box.sample_combo.itemText(k) for k in range(box.sample_combo.count() - 1)]
        assert "deep nesting" in english
        i18n.set_language("zh_CN")
        chinese_items = [box.sample_combo.itemText(k) for k in range(box.sample_combo.count() - 1)]
        assert "深层嵌套" in chinese_items and all(_is_chinese(t) for t in chinese_items)
        assert _is_chinese(box.description.text())
        menu = [a.text() for a in window.bundled_menu.actions()]
        assert "括号深度：LSTM(16)" in menu
        combo = window.controls.model_box.bundled_combo  # refilled in Chinese, the shown model still chosen
        assert (combo.currentData(), combo.currentText()) == ("brackets-lstm", "括号深度：LSTM(16)")
        assert "任务：括号深度" in window.controls.model_box.summary.text()
        window.open_train_dialog()
        dialog = window.train_dialog
        assert _is_chinese(dialog.task_description.text()) and dialog.task_combo.findText("括号深度") >= 0
        dialog.close()
        i18n.set_language("en")
        assert [box.sample_combo.itemText(k) for k in range(box.sample_combo.count() - 1)] == english
    finally:
        i18n.set_language("en")
        window.close()


# ------------------------------------------------------------------ error messages
def _raised(fn) -> BaseException:
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - the test looks at whatever it is
        return exc
    raise AssertionError("no error raised")


def test_the_errors_a_user_meets_first_are_chinese_and_the_cli_keeps_english(chinese, tmp_path):
    from gateviz.bundled import load_bundled
    from gateviz.core.interventions import USAGE, Intervention
    from gateviz.formats import load_model
    from gateviz.formats.sequences import read_sequence
    from gateviz.tasks.text import decode_text
    from gateviz.ui.errors import error_text

    model = load_bundled("brackets-lstm")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model at all")
    cases = {
        lambda: Intervention.parse("junk"): f"cannot read the intervention 'junk'; {USAGE}",
        lambda: Intervention.parse("layer0.forward.forget_gate[99]=0").check(model, 10):
            "'layer0.forward.forget_gate[99]=0': unit 99 does not exist; this forget_gate has units 0..15",
        lambda: decode_text("三十五加十二等于四十七".encode("gbk") * 50, "a.txt"): None,
        lambda: model.input.encode_text("xyz"): None,
        lambda: read_sequence(tmp_path / "missing.npy", model): f"no such file: {tmp_path / 'missing.npy'}",
        lambda: load_model(junk): None,
    }
    for fn, english in cases.items():
        exc = _raised(fn)
        if english is not None:
            assert str(exc) == english  # the CLI's line and the tests' messages are as before
        text = error_text(exc)
        assert CJK.search(text) and "Details (in English)" not in text, text
        assert not re.search(r"\b(cannot|does not|is not|give|expected|the)\b", text), text
    encoding = error_text(_raised(lambda: decode_text("三十五加十二等于四十七".encode("gbk") * 50, "a.txt")))
    assert "GB18030/GBK（简体中文）" in encoding and "iconv -f GB18030 -t UTF-8 a.txt" in encoding


def test_any_other_user_error_gets_a_chinese_first_line_over_the_english_detail(chinese):
    from gateviz.core.errors import FormatError
    from gateviz.ui.errors import describe_exception

    text = describe_exception(FormatError("m.h5: the layer 'lstm_3' has no weights"))
    first, _, rest = text.partition("\n")
    assert first == "gateviz 无法读取这个文件。"
    assert rest.strip().endswith("m.h5: the layer 'lstm_3' has no weights")


def test_the_add_intervention_dialog_explains_in_chinese_as_the_user_types(qtbot):
    from app_helpers import open_window

    from gateviz.ui import i18n

    window = open_window(qtbot)
    try:
        i18n.set_language("zh_CN")
        from gateviz.ui.interventions_dock import InterventionDialog

        dialog = InterventionDialog(window.state, "", "add", window)
        dialog.text.setText("layer0.forward.forget_gate[99]=0")
        assert "单元 99 不存在" in dialog.error.text()
        assert not dialog.ok_button.isEnabled()
        dialog.close()
    finally:
        i18n.set_language("en")
        window.close()


def test_an_open_train_dialog_switches_language_and_keeps_its_form(qtbot):
    from app_helpers import open_window

    from gateviz.ui import i18n

    window = open_window(qtbot)
    try:
        window.open_train_dialog()
        window.train_dialog.set_config(task="adding", cell="gru", units=24, epochs=3, seed=7)
        i18n.set_language("zh_CN")
        dialog = window.train_dialog
        assert dialog.isVisible() and dialog.windowTitle() != "Train a model"
        assert dialog.task_combo.currentText() == "加法问题" and _is_chinese(dialog.task_description.text())
        config = dialog.config()
        assert (config.task, config.cell, config.units, config.epochs, config.seed) == ("adding", "gru", 24, 3, 7)
        dialog.close()
    finally:
        i18n.set_language("en")
        window.close()
