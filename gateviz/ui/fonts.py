"""The bundled Chinese font: Chinese text draws on machines without any CJK font.

``resources/fonts/GatevizCJKSC-Regular.otf`` is a subset of Noto Sans CJK SC (OFL 1.1,
``scripts/make_cjk_font_subset.py``) named "Gateviz CJK SC". ``install_cjk_font`` registers
it with Qt (``QFontDatabase.addApplicationFont``: about 1-4 ms, the file is only indexed, so it
can sit on the start-up path) and appends it to the application font's families, so every
``QFont()`` — labels, pyqtgraph axes and titles, the cell diagram's text items — falls back
to it for characters the UI family lacks. Fonts that name one family of their own (the text
grid's ``QFont("DejaVu Sans Mono")``) reach it as that family's substitute: without one, a
machine with every Noto CJK font lets fontconfig pick "Noto Sans CJK JP", whose forms of
shared hanzi are Japanese. Substitutes are set only for families the machine has: for a
missing family Qt would draw everything, Latin too, in the substitute.

Exports embed what they draw: PNG pixels, PDF glyph subsets (Qt writes a ToUnicode map, so
the text stays searchable); SVG draws Chinese text as paths (``gateviz.export.svg_text``).
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QGuiApplication

from gateviz.paths import resource

CJK_FAMILY = "Gateviz CJK SC"
CJK_FONT_FILE = ("fonts", "GatevizCJKSC-Regular.otf")
OWN_FAMILIES = ("DejaVu Sans", "DejaVu Sans Mono")  # families gateviz's panels name (io_chargrid.py)

_loaded: str | None = None
_failed = False


def cjk_font_path():
    return resource(*CJK_FONT_FILE)


def load_cjk_font() -> str | None:
    """Register the bundled font once (a QGuiApplication must exist); its family, or None when the
    file is missing or Qt rejects it — Chinese then draws only where the system has a CJK font."""
    global _loaded, _failed
    if _loaded or _failed:
        return _loaded
    if QGuiApplication.instance() is None:
        return None  # fonts can be registered only once the application exists; try again later
    path = cjk_font_path()
    font_id = QFontDatabase.addApplicationFont(str(path)) if path.exists() else -1
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        _failed = True
        return None
    _loaded = families[0]
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    for name in {QFontInfo(QFont()).family(), QFontInfo(fixed).family(), *OWN_FAMILIES}:
        if QFontDatabase.hasFamily(name) and _loaded.lower() not in (f.lower() for f in QFont.substitutes(name)):
            QFont.insertSubstitution(name, _loaded)
    return _loaded


def with_cjk_fallback(font: QFont) -> QFont:
    """A copy of ``font`` whose family list ends with the bundled CJK family (once)."""
    out = QFont(font)
    family = load_cjk_font()
    if family is None:
        return out
    families = list(out.families()) or [out.family()]
    if family in families:
        return out
    # the family Qt actually draws with first: an alias such as "Sans Serif" is no family of the
    # database, so Qt would skip it for the next name in the list and draw Latin text in the CJK font
    resolved = QFontInfo(out).family()
    out.setFamilies([resolved, family] if resolved != family else families + [family])
    return out


def install_cjk_font(app: QGuiApplication | None = None) -> str | None:
    """Register the font and make it the application font's fallback; the family or None."""
    app = app or QGuiApplication.instance()
    if app is None or load_cjk_font() is None:
        return None
    font = with_cjk_fallback(app.font())
    if font.families() != app.font().families():  # a repeated call changes nothing (no font-change events)
        app.setFont(font)
    return _loaded
