"""The interface language: English (the source strings) or Simplified Chinese (issue 15).

Strings are marked with ``QCoreApplication.translate("Context", "text")`` (or ``self.tr``)
so ``pyside6-lupdate`` extracts them into ``resources/i18n/*.ts``;
``scripts/update_translations.py`` compiles those to the ``.qm`` files loaded here.

``set_language(code)`` removes the translators it installed before, installs one
``QTranslator`` per ``resources/i18n/*_<code>.qm`` (the window's and the panels' files)
plus Qt's own ``qtbase_<code>.qm`` (standard dialogs' buttons), and then emits
``notifier.languageChanged(code)`` so views rebuild their texts. English installs nothing.

Qt-only and cheap: no pyqtgraph, no torch. Measured: the first set_language("zh") 10 ms (the two
gateviz .qm files and Qt's qtbase_zh_CN.qm), switching back and forth afterwards < 1 ms.
"""

from __future__ import annotations

import os
import weakref

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal

translate = QCoreApplication.translate  # lupdate extracts translate("Context", "text") under any prefix
__all__ = ["LANGUAGES", "QT_TRANSLATE_NOOP", "bind", "bound", "current_language", "initial_language", "localized",
           "notifier", "set_language", "translate"]

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
DEFAULT = "en"
SETTINGS_KEY = "view/language"
ENV = "GATEVIZ_LANG"


class _Notifier(QObject):
    # the new code, emitted after the translators are installed. Connect a method of a QObject (Qt
    # disconnects it when that object is deleted), never a lambda: it would outlive its widget.
    languageChanged = Signal(str)


notifier = _Notifier()
_current = DEFAULT
_installed: list[QTranslator] = []  # kept referenced: Qt does not own installed translators


_bound: list[tuple[weakref.ref, str, str, str, str, dict]] = []
_prune_at = [256]


def bind(obj: QObject, setter: str, context: str, text: str, *, after: str = "", **fmt) -> str:
    """``obj.<setter>(translate(context, text).format(**fmt) + after)`` now and after every language
    change, for as long as ``obj`` lives: the simplest way to keep a label, action or title
    live-switchable. Mark ``text`` with ``QT_TRANSLATE_NOOP(context, text)`` where it is written so
    lupdate extracts it; ``after`` is appended untranslated (a shortcut, a number)."""
    if len(_bound) >= _prune_at[0]:  # windows and editors come and go: forget the dead now and then
        _bound[:] = [e for e in _bound if _alive(e[0]())]
        _prune_at[0] = 2 * len(_bound) + 256
    _bound.append((weakref.ref(obj), setter, context, text, after, fmt))
    return _apply(obj, setter, context, text, after, fmt)


def _alive(obj) -> bool:
    from shiboken6 import isValid

    return obj is not None and isValid(obj)


def bound(obj, context: str, text: str, setter: str = "setText", **kw):
    """``bind(obj, setter, context, text, **kw)`` and return ``obj``: ``QLabel()`` built inline."""
    bind(obj, setter, context, text, **kw)
    return obj


def _apply(obj, setter: str, context: str, text: str, after: str, fmt: dict) -> str:
    value = translate(context, text)
    if fmt:
        value = value.format(**fmt)
    value += after
    getattr(obj, setter)(value)
    return value


def _retranslate_bound() -> None:
    alive = []
    for entry in _bound:
        obj = entry[0]()
        if not _alive(obj):
            continue  # its widget was deleted: forget it
        _apply(obj, *entry[1:])
        alive.append(entry)
    _bound[:] = alive


def localized(text, context: str = "Tasks") -> str:
    """Words written by Qt-free code (``gateviz.core.texts``: task titles, sample descriptions, metric
    names, bundled models' labels) in the interface language.

    A ``Message`` is translated in its own context and formatted with its fields; text fields are
    localized in the same context ("{task}, {variant}" with the variant "150 steps"). A plain string
    (a head label or a sample name read back from a file) is translated when ``context`` holds it word
    for word or one of its templates wrote it ("depth 3"); anything else (a user's own text, a file
    name) comes back unchanged. Contexts: "Tasks" (gateviz/tasks) and "Bundled" (gateviz/bundled.py).
    """
    from gateviz.core.texts import Message, match_template

    if not isinstance(text, str) or not text:
        return text
    if not isinstance(text, Message):
        exact = translate(context, text)
        if exact == text and context != "Tasks":  # a sample's name inside a result's words
            exact = translate("Tasks", text)
        if exact != text or _current == "en":
            return exact
        _import_template_modules()
        text = match_template(context, text)
        if text is None:
            return exact
    fields = {k: localized(v, text.context) if isinstance(v, str) else v for k, v in text.fields.items()}
    value = translate(text.context, text.template)
    try:
        return value.format(**fields) if fields else value
    except (KeyError, IndexError, ValueError):  # a translation that names other fields: keep the English
        return str(text)


def _import_template_modules() -> None:
    """The modules whose module-level templates match plain strings read back from files."""
    import importlib

    for name in ("gateviz.bundled", "gateviz.tasks.adding", "gateviz.tasks.binary_addition", "gateviz.tasks.brackets",
                 "gateviz.tasks.digits", "gateviz.tasks.sine", "gateviz.tasks.text"):
        importlib.import_module(name)


def normalize(code: str | None) -> str | None:
    """'zh', 'zh_CN', 'zh-cn', 'zh_Hans_CN' -> 'zh_CN'; 'en', 'en_US' -> 'en'; anything else -> None."""
    if not code:
        return None
    c = code.strip().replace("-", "_").lower()
    if c == "zh" or c.startswith("zh_cn") or c.startswith("zh_hans") or c == "zh_sg":
        return "zh_CN"
    if c == "en" or c.startswith("en_") or c in ("c", "posix"):
        return "en"
    return None


def current_language() -> str:
    return _current


def qm_files(code: str) -> list[str]:
    """gateviz's compiled translations for ``code`` (every ``*_<code>.qm`` in resources/i18n)."""
    from gateviz.paths import resource

    folder = resource("i18n")
    if not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.glob(f"*_{code}.qm"))


def set_language(code: str) -> str:
    """Install the translators for ``code`` ("en", "zh_CN" or "zh") and announce it.

    Raises ValueError for a code that is not in LANGUAGES (the CLI checks before calling).
    """
    global _current
    norm = normalize(code)
    if norm not in LANGUAGES:
        raise ValueError(f"unknown interface language {code!r}; use one of: {', '.join(LANGUAGES)}")
    app = QCoreApplication.instance()
    for tr in _installed:
        if app is not None:
            QCoreApplication.removeTranslator(tr)
    _installed.clear()
    if norm != "en" and app is not None:
        paths = qm_files(norm)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        qtbase = os.path.join(qt_dir, f"qtbase_{norm}.qm")
        if os.path.exists(qtbase):
            paths.append(qtbase)
        for path in paths:
            tr = QTranslator()
            if tr.load(path):
                QCoreApplication.installTranslator(tr)
                _installed.append(tr)
    _current = norm
    _retranslate_bound()
    notifier.languageChanged.emit(norm)
    return norm


def remembered_language() -> str | None:
    from gateviz.ui import settings

    return normalize(settings.read_str(SETTINGS_KEY, ""))


def remember_language(code: str) -> None:
    from gateviz.ui import settings

    settings.write(SETTINGS_KEY, code)


def system_language() -> str:
    """The system locale's language if gateviz has it (Chinese, Simplified), else English."""
    loc = QLocale.system()
    if loc.language() == QLocale.Language.Chinese and loc.script() != QLocale.Script.TraditionalChineseScript:
        return "zh_CN"
    return DEFAULT


def initial_language(cli_lang: str | None = None) -> str:
    """``--lang`` first, then $GATEVIZ_LANG, then the remembered choice, then the system locale."""
    for candidate in (cli_lang, os.environ.get(ENV)):
        norm = normalize(candidate)
        if norm in LANGUAGES:
            return norm
    return remembered_language() or system_language()
