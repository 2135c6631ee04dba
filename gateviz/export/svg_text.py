"""Chinese text in an exported SVG, drawn as paths so that it shows on any machine.

QSvgGenerator writes text as ``<text font-family="DejaVu Sans,Gateviz CJK SC">输入门</text>``:
the viewer must have the font. A machine without a CJK font (a bare Linux, CI, a print
shop's RIP) draws empty boxes. Two ways out:

- embed the font subset as an ``@font-face`` data URI: about 1.3 MB of base64 in every SVG,
  and librsvg (rsvg-convert, GNOME, ImageMagick), many importers and several editors ignore
  SVG web fonts altogether, so the boxes stay;
- draw the text as outlines: every renderer fills a path, the file grows by the glyphs used
  (~1-2 KB each), the text is no longer editable as text.

We draw text as paths, and only text with CJK characters: Latin labels, numbers and formulas
stay ``<text>`` (every machine has a sans-serif font; they stay editable and small). Each
path keeps its words in ``aria-label`` so screen readers, and searches over the file, still
find them. The outlines come from the same fonts Qt used to draw the PNG (the families the
text element names, with the bundled CJK font behind them).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
REFERENCE_PX = 256  # glyph outlines are taken at this pixel size and scaled: QFont sizes are whole pixels
_KEEP = ("fill", "fill-opacity", "stroke", "stroke-opacity", "opacity", "transform", "clip-path",
         "id", "class", "style")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


_FONT_ATTRS = ("font-family", "font-size", "font-weight", "font-style")


def _font(el: ET.Element):
    """The QFont the text element names (its own attributes already merged with its groups'), at REFERENCE_PX."""
    from PySide6.QtGui import QFont

    from gateviz.ui.fonts import with_cjk_fallback

    families = [f.strip().strip("'\"") for f in (el.get("font-family") or "").split(",") if f.strip()]
    font = QFont()
    if families:
        font.setFamilies(families)
    font.setPixelSize(REFERENCE_PX)
    weight = el.get("font-weight", "400")
    if weight.isdigit():
        font.setWeight(QFont.Weight(int(weight)))
    elif weight == "bold":
        font.setBold(True)
    font.setItalic(el.get("font-style") in ("italic", "oblique"))
    return with_cjk_fallback(font)


def _path_data(path, scale: float, x: float, y: float) -> str:
    """SVG path data of a QPainterPath scaled by ``scale`` about the origin and moved to (x, y)."""
    from PySide6.QtGui import QPainterPath

    def pt(e) -> str:
        return f"{x + e.x * scale:.2f},{y + e.y * scale:.2f}"

    out: list[str] = []
    i, n = 0, path.elementCount()
    while i < n:
        e = path.elementAt(i)
        if e.type == QPainterPath.ElementType.MoveToElement:
            out.append(("Z M" if out else "M") + pt(e))
            i += 1
        elif e.type == QPainterPath.ElementType.LineToElement:
            out.append("L" + pt(e))
            i += 1
        else:  # a CurveToElement followed by its two CurveToDataElements
            out.append("C" + " ".join(pt(path.elementAt(i + k)) for k in range(3)))
            i += 3
    if out:
        out.append("Z")
    return " ".join(out)


def text_as_path(el: ET.Element, inherited: dict[str, str] | None = None) -> ET.Element | None:
    """A <path> drawing the text element's glyphs where Qt drew them, or None for no glyphs.
    ``inherited``: the font attributes of the groups around it (QSvgGenerator sets them there)."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QPainterPath

    text = "".join(el.itertext())
    attrs = {**(inherited or {}), **{k: v for k, v in el.attrib.items() if k in _FONT_ATTRS}}
    font_el = ET.Element("text", attrs)
    size = float(attrs.get("font-size") or 12)  # user units (QSvgGenerator writes pixels at its resolution)
    qpath = QPainterPath()
    qpath.addText(QPointF(0, 0), _font(font_el), text)
    if qpath.isEmpty():
        return None
    d = _path_data(qpath, size / REFERENCE_PX, float(el.get("x") or 0), float(el.get("y") or 0))
    path = ET.Element(f"{{{SVG_NS}}}path")
    for name in _KEEP:
        if el.get(name) is not None:
            path.set(name, el.get(name))
    path.set("fill-rule", "nonzero" if qpath.fillRule() == Qt.FillRule.WindingFill else "evenodd")
    path.set("aria-label", text)
    path.set("d", d)
    return path


def _replace(parent: ET.Element, inherited: dict[str, str]) -> int:
    count = 0
    inherited = {**inherited, **{k: v for k, v in parent.attrib.items() if k in _FONT_ATTRS}}
    for child in list(parent):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "text" and has_cjk("".join(child.itertext())):
            path = text_as_path(child, inherited)
            index = list(parent).index(child)  # drawing order is document order: same place
            parent.remove(child)
            if path is not None:
                path.tail = child.tail
                parent.insert(index, path)
                count += 1
        elif tag != "text":
            count += _replace(child, inherited)
    return count


def cjk_text_to_paths(svg: bytes) -> bytes:
    """The SVG with every text element that holds CJK characters drawn as a path (module doc)."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    if not _replace(root, {}):
        return svg
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def file_cjk_text_to_paths(path) -> None:
    with open(path, "rb") as fh:
        data = fh.read()
    out = cjk_text_to_paths(data)
    if out is not data:
        with open(path, "wb") as fh:
            fh.write(out)
