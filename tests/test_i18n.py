"""The interface in Simplified Chinese (issue 15): translations complete, no string left out, live switch.

(a) every message of every resources/i18n/*.ts is translated and finished, and each .qm is compiled
    from its .ts as it is now;
(b) a source scan of gateviz/ui/**/*.py finds string literals handed to Qt's text setters (setText,
    setToolTip, QAction, QLabel, showMessage, …) outside translate()/tr()/QT_TRANSLATE_NOOP: each is a
    string a Chinese user would meet in English. Exceptions are listed per file with a reason;
(c) View ▸ Language switches the real window live and back, keeping the model, step and pins.
"""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app_helpers import WINDOW_WAIT_MS, open_window

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
UI = ROOT / "gateviz" / "ui"


# ---------------------------------------------------------------- (a) the .ts files
def _messages(ts: Path):
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            yield name, message.findtext("source"), message.find("translation")


def test_the_window_translation_exists_and_qt_can_load_it():
    from PySide6.QtCore import QTranslator

    assert (I18N / "gateviz_zh_CN.ts").exists()
    assert QTranslator().load(str(I18N / "gateviz_zh_CN.qm"))


@pytest.mark.parametrize("ts", sorted(I18N.glob("*.ts")), ids=lambda p: p.name)
def test_every_message_is_translated_and_finished(ts):
    bad = []
    for context, source, translation in _messages(ts):
        text = "" if translation is None else "".join(translation.itertext())
        if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished") or not text.strip():
            bad.append(f"{context}: {source!r}")
    assert not bad, f"{ts.name}: {len(bad)} untranslated (run scripts/update_translations.py, then translate): {bad[:10]}"


@pytest.mark.parametrize("ts", sorted(I18N.glob("*.ts")), ids=lambda p: p.name)
def test_every_qm_holds_what_its_ts_says(ts, qapp):
    """The shipped .qm was compiled from the .ts as it is (scripts/update_translations.py --release)."""
    from PySide6.QtCore import QTranslator

    tr = QTranslator()
    assert tr.load(str(ts.with_suffix(".qm"))), f"{ts.with_suffix('.qm').name} missing: run the script"
    stale = [(c, s) for c, s, t in _messages(ts)
             if t is not None and t.get("numerus") != "yes" and tr.translate(c, s) != "".join(t.itertext())]
    assert not stale, f"{ts.with_suffix('.qm').name} is older than its .ts: {stale[:5]}"


def test_accelerators_and_placeholders_survive_translation():
    """'&File' -> '文件(&F)' keeps its key; '{name}' / '%1' placeholders all reappear."""
    bad = []
    for ts in sorted(I18N.glob("*.ts")):
        for context, source, translation in _messages(ts):
            text = "" if translation is None else "".join(translation.itertext())
            for field in set(re.findall(r"\{[a-z_0-9]*(?::[^}]*)?\}|%\d", source)):
                if field not in text:
                    bad.append(f"{context}: {source!r} lacks {field}")
            key = re.search(r"&([A-Za-z0-9])", source.replace("&&", ""))
            if key and "&" + key.group(1).upper() not in text.upper():  # 门控热图(&M) for Gate heat&maps
                bad.append(f"{context}: {source!r} lost its accelerator &{key.group(1)}")
    assert not bad, bad[:10]


# ---------------------------------------------------------------- (b) the source scan
# Qt calls whose string arguments a user reads: name -> the positions checked (None: all)
SINKS = {"setText": None, "setToolTip": None, "setWindowTitle": None, "setTitle": None, "addMenu": None,
         "addAction": (0,), "QAction": (0,), "QLabel": (0,), "QPushButton": (0,), "showMessage": (0,),
         "setStatusTip": None, "setPlaceholderText": None, "QCheckBox": (0,), "QGroupBox": (0,),
         "QRadioButton": (0,), "QToolButton": (0,), "QMenu": (0,), "QToolBar": (0,), "QDockWidget": (0,),
         "setHeaderLabels": None, "setHorizontalHeaderLabels": None, "setVerticalHeaderLabels": None,
         "addItem": (0,), "addItems": (0,), "addRow": (0,), "addTab": (1,), "setTabText": (1,),
         "insertItem": (1,), "setLabelText": None, "setSuffix": None, "setPrefix": None,
         "setSpecialValueText": None, "setWhatsThis": None, "setInformativeText": None,
         "setDetailedText": None, "setItemText": (1,), "setFormat": None, "setHtml": None,
         "setPlainText": None, "setLabel": (1,),
         "information": (1, 2), "warning": (1, 2), "critical": (1, 2), "question": (1, 2), "about": (1, 2),
         "QMessageBox": (1, 2), "getOpenFileName": (1, 3), "getSaveFileName": (1, 3),
         "getExistingDirectory": (1,), "getText": (1, 2), "getInt": (1, 2), "getDouble": (1, 2),
         "getItem": (1, 2),
         # gateviz's own ways to a dialog or the status bar
         "show_error": (1, 2), "_report_failure": (0,), "message": (0,), "_status": (1,), "ask_value": (1, 2)}
MARKERS = {"translate", "tr", "QT_TRANSLATE_NOOP", "QT_TR_NOOP", "bind", "bound"}
# words that read the same in every language: the program, frameworks, file types, HTML and CSS
NAMES = re.compile(r"<[^>]*>|&[a-z]+;|\b(gateviz|LSTM|GRU|RNN|ONNX|Keras|PyTorch|TensorFlow|npz|npy|csv|txt|"
                   r"png|svg|pdf|gif|mp4|gvm|px|pt|dpi|NaN|Inf|h_t|c_t|x_t|viridis)\b")
WORD = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")

# file (relative to gateviz/ui) -> {literal text: why it stays as it is}
ALLOWED: dict[str, dict[str, str]] = {
    "interventions_dock.py": {
        "layer{k}.{direction}.{quantity}[{units}]={value}@{steps}": "the spec's syntax, typed as it is in every language"},
}


def _name(func) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _literals(node) -> list[ast.Constant]:
    """String literals with words under ``node`` that no translate()/tr() call wraps; a call other
    than str.format/join (whose text is the literal's) hides what it returns, so it is not followed."""
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in MARKERS:
            return []
        if name not in ("format", "join", "lower", "upper", "capitalize", "strip"):
            return []
        return [x for child in [node.func.value, *node.args] for x in _literals(child)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node] if WORD.search(NAMES.sub(" ", node.value)) else []
    if isinstance(node, ast.Subscript):  # snap["title"]: a key, not a text
        return _literals(node.value)
    if isinstance(node, ast.Compare):  # x if lang == "en" else y: the test is no text
        return []
    if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts read as one text, {…} as a gap
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        inner = [x for v in node.values if isinstance(v, ast.FormattedValue) for x in _literals(v.value)]
        return ([ast.Constant(text, lineno=node.lineno)] if WORD.search(NAMES.sub(" ", text)) else []) + inner
    return [x for child in ast.iter_child_nodes(node) for x in _literals(child)]


def untranslated_strings(path: Path) -> list[tuple[int, str, str]]:
    """(line, Qt call, text) of each literal handed to a text setter outside translate()."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or _name(node.func) not in SINKS:
            continue
        which = SINKS[_name(node.func)]
        if _name(node.func) == "setLabel" and len(node.args) == 1:  # an AxisItem's setLabel(text)
            which = (0,)
        args = [a for i, a in enumerate(node.args) if which is None or i in which]
        args += [k.value for k in node.keywords if k.arg in ("text", "title", "toolTip", "caption", "filter")]
        found += [(lit.lineno, _name(node.func), lit.value) for a in args for lit in _literals(a)]
    return found


def _ui_files() -> list[Path]:
    return sorted(UI.rglob("*.py"))


@pytest.mark.parametrize("path", _ui_files(), ids=lambda p: str(p.relative_to(UI)))
def test_no_user_visible_string_bypasses_the_translation(path):
    allowed = ALLOWED.get(str(path.relative_to(UI)), {})
    left = [f"{path.name}:{line} {call}({text!r})" for line, call, text in untranslated_strings(path)
            if text not in allowed]
    assert not left, ("wrap these in QCoreApplication.translate('Context', ...) or self.tr(...) "
                      f"(or allow-list them with a reason): {left}")


def test_the_scan_finds_what_it_should(tmp_path):
    """The scan is not blind: each way of leaving a string out is caught, each way of marking it is not."""
    src = tmp_path / "sample.py"
    src.write_text(
        "label = QLabel('Layer')\n"                                   # 1 caught
        "button.setToolTip(f'Play from step {t}')\n"                   # 2 caught (the f-string's words)
        "menu.addAction('Clear list', slot)\n"                         # 3 caught
        "bar.showMessage('Saved {p}'.format(p=p), 5000)\n"             # 4 caught (format of a literal)
        "QMessageBox.warning(self, 'Oops', msg)\n"                     # 5 caught
        "label2 = QLabel(translate('Controls', 'Layer'))\n"
        "b.setToolTip(self.tr('Play'))\n"
        "a = QAction(QCoreApplication.translate('Menu', '&File'), self)\n"
        "x.setText(translate('C', 'Saved {p}').format(p=p))\n"
        "y.setText('gateviz')\n"                                       # a name, the same in every language
        "z.setText(' — ')\n"
        "i18n.bind(a, 'setText', 'Menu', QT_TRANSLATE_NOOP('Menu', 'Quit'))\n",
        encoding="utf-8")
    assert [line for line, _call, _text in untranslated_strings(src)] == [1, 2, 3, 4, 5]


# ---------------------------------------------------------------- (c) live switching
@pytest.fixture
def english_after():
    from gateviz.ui import i18n

    yield
    i18n.set_language("en")


def _menu_titles(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions() if a.menu() is not None]


def test_language_switches_live_and_back_keeping_the_view(qtbot, settings_dir, shown_errors, english_after):
    from gateviz.ui import i18n

    window = open_window(qtbot)
    state = window.state
    qtbot.waitUntil(lambda: window.dashboard is not None, timeout=WINDOW_WAIT_MS)
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.interventions.add("layer0.forward.forget_gate[1]=0@3:")
    window.set_theme(name="dark")
    state.set_pinned([1, 3])
    state.set_step(5)
    model, trace = state.model, state.trace
    interventions, theme = list(state.interventions), state.theme
    english = _menu_titles(window)
    assert english[:3] == ["&File", "&Model", "&View"]
    old_dashboard = window.dashboard

    with qtbot.waitSignal(i18n.notifier.languageChanged, timeout=WINDOW_WAIT_MS):
        window.language_actions["zh_CN"].trigger()
    chinese = _menu_titles(window)
    assert chinese[:3] == ["文件(&F)", "模型(&M)", "视图(&V)"], chinese
    assert len(chinese) == len(english)
    assert window.controls_dock.windowTitle() == "控制"
    assert window.language_actions["zh_CN"].isChecked() and not window.language_actions["en"].isChecked()
    assert window.dashboard is not old_dashboard  # the panels were built again, in Chinese
    qtbot.waitUntil(lambda: window.dashboard.isVisible(), timeout=WINDOW_WAIT_MS)
    assert (state.model, state.trace, state.step, state.pinned) == (model, trace, 5, [1, 3])
    assert (state.interventions, state.theme) == (interventions, theme)
    assert window.interventions.menu.title() == "干预(&I)"
    from gateviz.ui.dashboard import panel_title

    panel_names = [a.text() for a in window.panels_menu.actions()]
    assert panel_title("heatmaps") in panel_names and "Gate heatmaps" not in panel_names, panel_names
    assert "遗忘门 f" in window.status.interventions_button.toolTip()  # the status bar says it in Chinese
    assert window.status.model_label.text().startswith(model.name)
    assert i18n.remembered_language() == "zh_CN"
    assert not shown_errors

    with qtbot.waitSignal(i18n.notifier.languageChanged, timeout=WINDOW_WAIT_MS):
        window.language_actions["en"].trigger()
    assert _menu_titles(window) == english
    assert window.controls_dock.windowTitle() == "Controls"
    assert (state.model, state.trace, state.step, state.pinned) == (model, trace, 5, [1, 3])
    assert (state.interventions, state.theme) == (interventions, theme)
    assert "forget gate f" in window.status.interventions_button.toolTip()
    assert i18n.remembered_language() == "en"
    window.close()


def test_initial_language_order(monkeypatch, settings_dir):
    from gateviz.ui import i18n

    monkeypatch.delenv("GATEVIZ_LANG", raising=False)
    i18n.remember_language("zh_CN")
    assert i18n.initial_language(None) == "zh_CN"  # remembered beats the system locale
    monkeypatch.setenv("GATEVIZ_LANG", "en")
    assert i18n.initial_language(None) == "en"  # the environment beats remembered
    assert i18n.initial_language("zh") == "zh_CN"  # --lang beats everything
    monkeypatch.setenv("GATEVIZ_LANG", "klingon")  # not a language gateviz has: the next in line
    assert i18n.initial_language(None) == "zh_CN"


def test_system_locale_decides_when_nothing_else_does(monkeypatch, settings_dir):
    from PySide6.QtCore import QLocale

    from gateviz.ui import i18n

    monkeypatch.delenv("GATEVIZ_LANG", raising=False)
    before = QLocale()
    try:
        for name, expected in (("zh_CN", "zh_CN"), ("en_GB", "en"), ("de_DE", "en")):
            monkeypatch.setattr(QLocale, "system", staticmethod(lambda n=name: QLocale(n)))
            assert i18n.initial_language(None) == expected, name
    finally:
        QLocale.setDefault(before)


def test_chinese_installs_gatevizs_and_qts_own_translations(qapp, english_after):
    from PySide6.QtCore import QCoreApplication

    from gateviz.ui import i18n

    i18n.set_language("zh")
    assert i18n.current_language() == "zh_CN"
    assert QCoreApplication.translate("Menu", "&File") == "文件(&F)"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"  # qtbase_zh_CN.qm
    i18n.set_language("en")
    assert QCoreApplication.translate("Menu", "&File") == "&File"
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def test_cli_lang_is_one_line_error_when_unknown(capsys):
    from gateviz.cli import main

    assert main(["--lang", "fr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["gateviz: error: --lang takes zh (Simplified Chinese) or en, not 'fr'"]


@pytest.mark.parametrize("argv, lang, rest", [
    (["--lang", "zh"], "zh_CN", ()),
    (["--lang=en", "bundled:sine-lstm"], "en", ("bundled:sine-lstm",)),
    (["bundled:sine-lstm", "--lang", "zh"], "zh_CN", ("bundled:sine-lstm",)),
])
def test_cli_lang_reaches_the_app(monkeypatch, argv, lang, rest):
    """gateviz --lang zh|en [MODEL [INPUT]]: the app starts in that language (and GATEVIZ_LANG tells the
    subcommands and exports)."""
    import gateviz.ui.app as app_module
    from gateviz.cli import main

    seen = {}
    monkeypatch.setenv("GATEVIZ_LANG", "")  # recorded, so the value main() sets is undone after the test
    monkeypatch.delenv("GATEVIZ_LANG")
    monkeypatch.setattr(app_module, "run_app", lambda *a, lang=None: seen.update(argv=a, lang=lang) or 0)
    assert main(argv) == 0
    assert seen == {"argv": rest, "lang": lang}
    import os

    assert os.environ["GATEVIZ_LANG"] == lang


def test_export_lang_decides_the_pictures_language(qapp, monkeypatch, settings_dir, english_after):
    """gateviz export --lang zh|en; without it $GATEVIZ_LANG, else English: never the app's remembered choice
    (a script's figures must not depend on what was last clicked in the app)."""
    from gateviz.cli.export_cmd import _set_language
    from gateviz.ui import i18n

    monkeypatch.delenv("GATEVIZ_LANG", raising=False)
    i18n.remember_language("zh_CN")
    _set_language(None)
    assert i18n.current_language() == "en"
    _set_language("zh")
    assert i18n.current_language() == "zh_CN"
    monkeypatch.setenv("GATEVIZ_LANG", "zh")
    _set_language(None)
    assert i18n.current_language() == "zh_CN"
    _set_language("en")
    assert i18n.current_language() == "en"


def test_the_cores_progress_messages_are_said_in_chinese(qapp, english_after):
    """The engine's and the ablation's progress (Qt-free English) reach the status bar in the interface language."""
    import numpy as np

    from gateviz.core.engine import Tracer
    from gateviz.ui import i18n
    from gateviz.ui.status_bar import progress_text
    from gateviz.ui.workers import demo_model

    seen = []
    model = demo_model()
    Tracer(model).trace(np.zeros((5, model.input.features), np.float32), progress=lambda f, m: seen.append(m))
    assert seen and all(progress_text(m) == m for m in seen)  # English: the core's own words
    i18n.set_language("zh")
    said = [progress_text(m) for m in seen]
    assert "正在计算第 1 层（共 1 层）" in said and "完成" in said, said
    assert progress_text("silenced 5 of 16 units (input 1 of 3)") == "已静默 5 / 16 个单元（输入 1 / 3）"
