"""Make QSvgGenerator's SVG draw the same in every renderer as in our PNG.

QSvgGenerator writes each painter state as a ``<g transform="matrix(...)">`` holding the
shapes in the item's own coordinates (data units of a plot), and marks the strokes of
pyqtgraph's cosmetic pens ``vector-effect="non-scaling-stroke"``. librsvg (rsvg-convert,
ImageMagick, GNOME, many importers) ignores that attribute and scales the stroke by the
group's matrix: a 1 px time cursor in a plot whose x unit is 25 px wide becomes a 25 px
bar, a line a band. It also ignores ``image-rendering`` and smooths each heatmap cell into
its neighbours.

``make_portable`` rewrites the file so that nothing depends on those features:

- shapes drawn with a non-scaling stroke get their coordinates multiplied by the group's
  matrix (circles and rectangles become paths), so their stroke width is in the figure's
  own units, one logical pixel as in the PNG; the group's matrix moves onto its other
  children (text, images, scaled strokes), which therefore draw as before;
- embedded images are enlarged by whole factors, nearest-neighbour, until each source pixel
  covers at most half an output pixel at the figure's pixel size, so any smoothing a
  renderer applies blurs less than a pixel at cell boundaries.
"""

from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET

import numpy as np

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_HREF = f"{{{XLINK_NS}}}href"
NON_SCALING = "non-scaling-stroke"
# enlarged images stay below these (a heatmap of 2000 steps x 512 units needs no enlarging)
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 16_000_000
OVERSAMPLE = 2.0  # source pixels per output pixel wanted after enlarging

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"({_NUMBER})|([A-Za-z])")
_TRANSFORM = re.compile(r"(matrix|translate|scale)\s*\(([^)]*)\)")
_KAPPA = 0.5522847498  # cubic Bezier control distance of a quarter circle of radius 1


class _Unsupported(ValueError):
    """A shape this module cannot flatten exactly; it is left as Qt wrote it."""


def parse_transform(text: str | None) -> np.ndarray:
    """An SVG transform list (matrix, translate, scale) as a 3x3 matrix."""
    m = np.eye(3)
    if not text or not text.strip():
        return m
    rest = _TRANSFORM.sub("", text).strip(" ,")
    if rest:
        raise _Unsupported(f"transform {text!r}")
    for kind, args in _TRANSFORM.findall(text):
        v = [float(x) for x in re.findall(_NUMBER, args)]
        if kind == "matrix" and len(v) == 6:
            t = np.array([[v[0], v[2], v[4]], [v[1], v[3], v[5]], [0, 0, 1]])
        elif kind == "translate" and len(v) in (1, 2):
            t = np.array([[1, 0, v[0]], [0, 1, v[1] if len(v) == 2 else 0], [0, 0, 1]])
        elif kind == "scale" and len(v) in (1, 2):
            t = np.diag([v[0], v[-1], 1.0])
        else:
            raise _Unsupported(f"transform {text!r}")
        m = m @ t
    return m


def _matrix_text(m: np.ndarray) -> str:
    return "matrix({})".format(",".join(_fmt(x, 6) for x in (m[0, 0], m[1, 0], m[0, 1], m[1, 1], m[0, 2], m[1, 2])))


def _fmt(value: float, digits: int = 3) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _apply(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    return xy @ m[:2, :2].T + m[:2, 2]


def _points_text(xy: np.ndarray) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in xy)


# absolute path commands Qt writes, and how many coordinate pairs each takes
_PAIRS = {"M": 1, "L": 1, "C": 3, "Q": 2, "S": 2, "T": 1}


def transform_path(d: str, m: np.ndarray) -> str:
    """Path data with every point multiplied by ``m`` (absolute M L C Q S T Z only)."""
    out = []
    command = None
    numbers: list[float] = []

    def flush():
        if command is None:
            return
        if command in "Zz":
            out.append("Z")
            return
        pairs = _PAIRS[command]
        if not numbers or len(numbers) % (2 * pairs):
            raise _Unsupported(f"path command {command} with {len(numbers)} numbers")
        xy = _apply(m, np.array(numbers).reshape(-1, 2))
        out.append(command + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in xy))

    for number, letter in _TOKEN.findall(d):
        if letter:
            flush()
            if letter not in _PAIRS and letter not in "Zz":
                raise _Unsupported(f"path command {letter}")
            command, numbers = letter, []
        else:
            numbers.append(float(number))
    flush()
    return " ".join(out)


def _ellipse_path(cx: float, cy: float, rx: float, ry: float, m: np.ndarray) -> str:
    k = _KAPPA
    pts = [(1, 0), (1, k), (k, 1), (0, 1), (-k, 1), (-1, k), (-1, 0), (-1, -k), (-k, -1), (0, -1),
           (k, -1), (1, -k), (1, 0)]
    xy = _apply(m, np.array([(cx + rx * x, cy + ry * y) for x, y in pts]))
    p = [f"{_fmt(x)},{_fmt(y)}" for x, y in xy]
    return f"M{p[0]} C{p[1]} {p[2]} {p[3]} C{p[4]} {p[5]} {p[6]} C{p[7]} {p[8]} {p[9]} C{p[10]} {p[11]} {p[12]} Z"


def _number(el: ET.Element, name: str, default: float = 0.0) -> float:
    value = el.get(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise _Unsupported(f"{name}={value!r}") from None


def flatten_shape(el: ET.Element, m: np.ndarray) -> None:
    """Multiply the shape's coordinates by ``m`` in place; circles, ellipses and rectangles
    become paths (an ellipse under a skew is no ellipse element any more)."""
    tag = el.tag.rsplit("}", 1)[-1]
    if el.get("transform"):
        m = m @ parse_transform(el.get("transform"))
    if tag in ("polyline", "polygon"):
        values = [float(x) for x in re.findall(_NUMBER, el.get("points", ""))]
        if len(values) % 2:
            raise _Unsupported("odd number of point coordinates")
        el.set("points", _points_text(_apply(m, np.array(values, dtype=float).reshape(-1, 2))))
    elif tag == "path":
        el.set("d", transform_path(el.get("d", ""), m))
    elif tag == "line":
        (x1, y1), (x2, y2) = _apply(m, np.array([[_number(el, "x1"), _number(el, "y1")],
                                                 [_number(el, "x2"), _number(el, "y2")]]))
        for name, value in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
            el.set(name, _fmt(value))
    elif tag == "rect":
        if el.get("rx") or el.get("ry"):
            raise _Unsupported("rounded rectangle")
        x, y, w, h = (_number(el, k) for k in ("x", "y", "width", "height"))
        xy = _apply(m, np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]))
        _become_path(el, f"M{_points_text(xy[:1])} L{_points_text(xy[1:])} Z", ("x", "y", "width", "height"))
    elif tag in ("circle", "ellipse"):
        cx, cy = _number(el, "cx"), _number(el, "cy")
        rx = _number(el, "r") if tag == "circle" else _number(el, "rx")
        ry = _number(el, "r") if tag == "circle" else _number(el, "ry")
        _become_path(el, _ellipse_path(cx, cy, rx, ry, m), ("cx", "cy", "r", "rx", "ry"))
    else:
        raise _Unsupported(f"<{tag}>")
    el.attrib.pop("transform", None)


def _become_path(el: ET.Element, d: str, drop: tuple[str, ...]) -> None:
    el.tag = f"{{{SVG_NS}}}path"
    for name in drop:
        el.attrib.pop(name, None)
    el.set("d", d)


def _flatten_group(group: ET.Element) -> None:
    """Flatten the group's non-scaling strokes into its parent's coordinates (see module doc)."""
    m = parse_transform(group.get("transform"))
    children = list(group)
    marked = [c for c in children if c.get("vector-effect") == NON_SCALING]
    if not marked:
        return
    if np.allclose(m, np.eye(3)):  # already drawn in the parent's units: the attribute changes nothing
        for child in marked:
            del child.attrib["vector-effect"]
        return
    flattened = set()
    for child in marked:
        try:
            flatten_shape(child, m)
        except _Unsupported:
            continue  # left as Qt wrote it; still right in renderers that know non-scaling-stroke
        del child.attrib["vector-effect"]
        flattened.add(id(child))
    if not flattened:
        return
    matrix = _matrix_text(m)
    for child in children:
        if id(child) not in flattened and child.tag.rsplit("}", 1)[-1] not in ("title", "desc", "defs"):
            own = child.get("transform")
            child.set("transform", f"{matrix} {own}" if own else matrix)
    group.attrib.pop("transform", None)


def _image_factors(width_px: float, height_px: float, src_w: int, src_h: int) -> tuple[int, int]:
    kx = max(1, math.ceil(OVERSAMPLE * width_px / src_w))
    ky = max(1, math.ceil(OVERSAMPLE * height_px / src_h))
    while kx * ky > 1 and (src_w * kx * src_h * ky > MAX_IMAGE_PIXELS or max(src_w * kx, src_h * ky) > MAX_IMAGE_SIDE):
        if kx >= ky:
            kx = max(1, kx // 2)
        else:
            ky = max(1, ky // 2)
    return kx, ky


def _repeat_pixels(image, kx: int, ky: int):
    """Each pixel as a kx x ky block (QImage.scaled's fast mode is not an exact whole-factor repeat)."""
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    w, h = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    pixels = pixels.reshape(h, image.bytesPerLine())[:, :4 * w].reshape(h, w, 4)
    big = np.ascontiguousarray(np.repeat(np.repeat(pixels, ky, axis=0), kx, axis=1))
    out = QImage(big.data, w * kx, h * ky, 4 * w * kx, QImage.Format.Format_ARGB32)
    return out.copy()  # own the pixels before ``big`` goes away


def enlarge_image(el: ET.Element, ctm: np.ndarray, pixels_per_unit: float) -> bool:
    """Replace an embedded PNG/JPEG by a nearest-neighbour enlargement (always as PNG). True if changed."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage

    href = el.get(_HREF) or el.get("href") or ""
    match = re.match(r"data:image/(png|jpeg|jpg);base64,", href)
    if not match:
        return False
    image = QImage()
    if not image.loadFromData(base64.b64decode(href[match.end():])):
        return False
    m = ctm @ parse_transform(el.get("transform"))
    width_px = float(np.hypot(*m[:2, 0])) * _number(el, "width") * pixels_per_unit
    height_px = float(np.hypot(*m[:2, 1])) * _number(el, "height") * pixels_per_unit
    kx, ky = _image_factors(width_px, height_px, image.width(), image.height())
    if kx == ky == 1 and match.group(1) == "png":
        return False
    if kx > 1 or ky > 1:
        image = _repeat_pixels(image, kx, ky)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    encoded = "data:image/png;base64," + base64.b64encode(bytes(data)).decode("ascii")
    el.set(_HREF if el.get(_HREF) is not None else "href", encoded)
    return True


def _walk(el: ET.Element, ctm: np.ndarray, pixels_per_unit: float) -> None:
    for child in list(el):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "g":
            try:
                own = parse_transform(child.get("transform"))
            except _Unsupported:
                continue
            _walk(child, ctm @ own, pixels_per_unit)  # images first, while the group still holds its matrix
            _flatten_group(child)
        elif tag == "image":
            try:
                enlarge_image(child, ctm, pixels_per_unit)
            except _Unsupported:
                pass


def make_portable(svg: bytes, pixels_per_unit: float = 1.0) -> bytes:
    """The SVG rewritten as the module doc says. ``pixels_per_unit``: output pixels per
    user unit at the figure's nominal pixel size (sizes the image enlargement)."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    _walk(root, np.eye(3), pixels_per_unit)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def make_file_portable(path, pixels_per_unit: float = 1.0) -> None:
    with open(path, "rb") as fh:
        data = fh.read()
    with open(path, "wb") as fh:
        fh.write(make_portable(data, pixels_per_unit))
