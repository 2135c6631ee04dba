"""Session files (issue 16): a prepared view, saved as plain JSON and opened again exactly.

A session (``.gvsession``) holds the model (its file's absolute path and sha256; the model itself,
embedded as the bytes of a ``.gvm`` file in base64, when it did not come from a ``.gvm`` file: bundled,
trained in the app, or read from another format), the input's values, and everything the window
shows of it: layer, direction, pins, heatmap row order, step, training snapshot, interventions,
gradient target, comparison toggles, layout, theme and language. README.md ▸ "Session files"
documents every field.

Version rule: ``version`` is 1. A reader refuses a higher version with a message saying to update
gateviz; fields this reader does not know are ignored (a later version-1 writer may add optional
ones). Reading validates every field and raises ``SessionError`` (a GatevizError) naming the field.

Qt-free: the app (gateviz/ui/session_ctl.py) and ``gateviz export SESSION`` both build on this.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gateviz.core.errors import GatevizError

FORMAT = "gateviz-session"
VERSION = 1
EXTENSION = ".gvsession"
MAX_BYTES = 512 * 1024 * 1024  # a session embeds at most a model and an input; larger is not one of ours

THEMES = ("light", "dark")
COLORMAPS = ("viridis", "cividis", "magma")  # gateviz.ui.theme.COLORMAPS (a test keeps them equal)
CELL_SCALES = ("shared", "unit")
GRU_CONVENTIONS = ("framework", "textbook")
LANGUAGES = ("en", "zh_CN")
DIRECTIONS = ("forward", "backward")
MODEL_SOURCES = ("file", "bundled", "app")
ARRAY_KINDS = "fiub"  # float, int, unsigned, bool inputs


class SessionError(GatevizError):
    """A session file that cannot be read or written; the message says what is wrong and what would work."""


class ModelMismatch(SessionError):
    """The session's model file is gone or changed (``reason``: "missing" | "changed")."""

    def __init__(self, message: str, reason: str, path: str):
        super().__init__(message)
        self.reason, self.path = reason, path


# --------------------------------------------------------------------------- the data


@dataclass
class ModelRef:
    name: str
    source: str  # "file" | "bundled" | "app"
    path: str | None = None  # absolute path of the model file (source "file")
    sha256: str | None = None  # of that file's bytes
    bundled: str | None = None  # the bundled model's name (source "bundled")
    embedded: bytes | None = None  # the model as .gvm bytes

    def label(self) -> str:
        return self.path or (f"bundled:{self.bundled}" if self.bundled else self.name)


@dataclass
class Session:
    model: ModelRef
    sequence: Any  # str (text models) or a numpy array, exactly as traced
    input_name: str | None = None  # the sample's name or the file's, as the input box showed it
    layer: int = 0
    direction: str = "forward"
    pinned: list[int] = field(default_factory=lambda: [0])
    row_order: list[int] | None = None
    step: int = 0
    snapshot: int | None = None  # training snapshot index (the last: the trained model); None: no snapshots
    interventions: list[tuple[str, bool]] = field(default_factory=list)  # (canonical spec, enabled)
    gradient_output: int | None = None
    gradient_unit: tuple[int, str, int] | None = None
    show_memory: bool = False
    show_original: bool = True
    show_difference: bool = False
    layout: str = "dashboard"
    hidden_panels: list[str] = field(default_factory=list)
    splitter_sizes: dict = field(default_factory=dict)  # the dashboard's own save_layout "sizes"
    view_size: tuple[int, int] | None = None  # the dashboard's size in the window (logical pixels)
    theme: str = "light"
    presentation: bool = False
    colormap: str = "viridis"
    cell_scale: str = "shared"
    gru_convention: str = "framework"
    language: str = "en"


# --------------------------------------------------------------------------- models


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_bytes(model) -> bytes:
    """``model`` as the bytes of a .gvm file (with its training snapshots)."""
    from gateviz.formats.gateviz_file import save_model

    with tempfile.TemporaryDirectory(prefix="gateviz-session-") as folder:
        path = os.path.join(folder, "model.gvm")
        save_model(model, path)
        return Path(path).read_bytes()


def model_from_bytes(data: bytes, name: str, source: str | None):
    """The embedded model (a .gvm's bytes) as a RecurrentModel named ``name``."""
    from gateviz.formats.gateviz_file import load_gateviz_model

    with tempfile.TemporaryDirectory(prefix="gateviz-session-") as folder:
        path = os.path.join(folder, "embedded.gvm")
        Path(path).write_bytes(data)
        try:
            model = load_gateviz_model(path)
        except GatevizError as e:
            raise SessionError(f"the model embedded in the session is damaged: {str(e).replace(path, 'it')}") from None
    model.name, model.source = name, source
    return model


def model_ref(model, source: str, bundled_name: str | None = None) -> ModelRef:
    """How a session names ``model``: ``source`` is the window's model_source (a file path,
    ``bundled:NAME`` or "trained"). A .gvm file is referred to by path and hash only; anything
    else is embedded too (a bundled model may differ in another installation; another format's
    reader may need choices, a module or options, that the session should not have to repeat)."""
    name = getattr(model, "name", "") or "model"
    if bundled_name:
        return ModelRef(name, "bundled", bundled=bundled_name, embedded=model_bytes(model))
    if source and os.path.isfile(source):
        path = os.path.abspath(source)
        embedded = None if path.lower().endswith(".gvm") else model_bytes(model)
        return ModelRef(name, "file", path=path, sha256=file_sha256(path), embedded=embedded)
    return ModelRef(name, "app", embedded=model_bytes(model))


def check_model_file(ref: ModelRef, path: str | None = None) -> str | None:
    """None when ``path`` (default: the session's) is the session's model file; else "missing" or "changed"."""
    path = path or ref.path
    if not path or not os.path.isfile(path):
        return "missing"
    if ref.sha256 and file_sha256(path) != ref.sha256:
        return "changed"
    return None


def mismatch_message(ref: ModelRef, reason: str, path: str | None = None) -> str:
    path = path or ref.path
    if reason == "missing":
        return (f"the session's model file {path} is missing (moved or deleted); "
                "locate it, or put it back at that path")
    return (f"the session's model file {path} has changed since the session was saved (its sha256 differs: "
            "the session's view may not fit it); locate the original file, or re-save the session with this one")


def resolve_model(ref: ModelRef, path: str | None = None, *, allow_changed: bool = False):
    """(model, note): the session's model, from ``path`` (default: its own), else its embedded copy.

    A file that is there and unchanged (or changed, with ``allow_changed``: the user chose it) is used:
    a .gvm is read; another format's model comes from the embedded copy when the file is the one the
    session was saved with (exactly what was shown, no module or option to choose again). Without a
    usable file the embedded copy is used and ``note`` says so; with neither, ModelMismatch.
    """
    if ref.source == "bundled":
        return model_from_bytes(ref.embedded, ref.name, f"bundled:{ref.bundled}"), None
    if ref.source == "app":
        return model_from_bytes(ref.embedded, ref.name, None), None
    path = path or ref.path
    reason = check_model_file(ref, path)
    if reason is None and ref.embedded is not None and not path.lower().endswith(".gvm"):
        return model_from_bytes(ref.embedded, ref.name, path), None
    if reason is None or (reason == "changed" and allow_changed):
        from gateviz.formats import load_model

        model = load_model(path)
        if not model.name or model.name == "model":
            model.name = os.path.splitext(os.path.basename(path))[0]
        return model, None
    if ref.embedded is not None:
        what = "missing" if reason == "missing" else "changed (its sha256 differs)"
        return (model_from_bytes(ref.embedded, ref.name, ref.path),
                f"{path} is {what}; using the copy of the model embedded in the session")
    raise ModelMismatch(mismatch_message(ref, reason, path), reason, path)


# --------------------------------------------------------------------------- inputs


def encode_sequence(sequence) -> dict:
    """The input's values as JSON: {"text": str} or {"array": {"dtype", "shape", "data": base64}}."""
    if isinstance(sequence, str):
        return {"text": sequence}
    a = np.asarray(sequence)
    if a.dtype.kind not in ARRAY_KINDS or a.size == 0:
        raise SessionError(f"this input ({a.dtype}, shape {a.shape}) cannot be stored in a session; "
                           "sessions hold text or numeric arrays")
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))  # little-endian bytes, exactly
    return {"array": {"dtype": a.dtype.str.lstrip("<|="), "shape": list(a.shape),
                      "data": base64.b64encode(a.tobytes()).decode("ascii")}}


def decode_sequence(value: Any, where: str = "input"):
    _need(value, dict, where)
    if "text" in value:
        return _need(value["text"], str, f"{where}.text")
    array = _need(value.get("array"), dict, f"{where}.array (or {where}.text)")
    dtype_text = _need(array.get("dtype"), str, f"{where}.array.dtype")
    try:
        dtype = np.dtype("<" + dtype_text if dtype_text[:1] not in "<>|=" else dtype_text)
    except TypeError:
        raise SessionError(_bad(f"{where}.array.dtype", f"{dtype_text!r} is not a numpy dtype",
                                "float32, float64, int64 …")) from None
    if dtype.kind not in ARRAY_KINDS:
        raise SessionError(_bad(f"{where}.array.dtype", f"{dtype_text!r} is not numeric", "float32, int64 …"))
    shape = _need(array.get("shape"), list, f"{where}.array.shape")
    if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise SessionError(_bad(f"{where}.array.shape", repr(shape), "a list of positive integers, e.g. [20, 1]"))
    try:
        data = base64.b64decode(_need(array.get("data"), str, f"{where}.array.data"), validate=True)
    except (binascii.Error, ValueError):
        raise SessionError(_bad(f"{where}.array.data", "it is not base64", "the array's bytes in base64")) from None
    count = int(np.prod(shape))
    if len(data) != count * dtype.itemsize:
        raise SessionError(_bad(f"{where}.array.data", f"{len(data)} bytes",
                                f"{count * dtype.itemsize} bytes for shape {shape} of {dtype_text}"))
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))  # native order, writable


# --------------------------------------------------------------------------- JSON


def to_json(session: Session) -> dict:
    from gateviz import __version__

    m = session.model
    return {
        "format": FORMAT, "version": VERSION, "written_by": f"gateviz {__version__}",
        "model": {"name": m.name, "source": m.source, "path": m.path, "sha256": m.sha256, "bundled": m.bundled,
                  "embedded": None if m.embedded is None else base64.b64encode(m.embedded).decode("ascii")},
        "input": {"name": session.input_name, **encode_sequence(session.sequence)},
        "view": {"layer": session.layer, "direction": session.direction, "pinned": list(session.pinned),
                 "row_order": None if session.row_order is None else [int(u) for u in session.row_order],
                 "step": session.step, "snapshot": session.snapshot},
        "interventions": [{"spec": spec, "enabled": bool(on)} for spec, on in session.interventions],
        "gradients": {"output": session.gradient_output,
                      "unit": None if session.gradient_unit is None else list(session.gradient_unit),
                      "shade_memory": session.show_memory},
        "comparison": {"show_original": session.show_original, "show_difference": session.show_difference},
        "layout": {"name": session.layout, "hidden": list(session.hidden_panels), "sizes": session.splitter_sizes,
                   "view_size": None if session.view_size is None else list(session.view_size)},
        "theme": {"name": session.theme, "presentation": session.presentation, "colormap": session.colormap,
                  "cell_scale": session.cell_scale, "gru_convention": session.gru_convention},
        "language": session.language,
    }


def dumps(session: Session) -> str:
    return json.dumps(to_json(session), indent=2, ensure_ascii=False) + "\n"


def write_session(session: Session, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``session`` as JSON; refuses an existing file unless ``overwrite`` (the app asks first)."""
    path = Path(path)
    if path.is_dir():
        raise SessionError(f"{path} is a folder; give a file name such as lecture{EXTENSION}")
    if path.exists() and not overwrite:
        raise SessionError(f"{path} already exists; choose another name or allow replacing it")
    text = dumps(session)
    from gateviz.export.files import give_normal_mode, release_temp, temp_sibling

    tmp = None
    try:  # written next to its destination and renamed: never a half-written session
        tmp = temp_sibling(path)
        Path(tmp).write_text(text, encoding="utf-8")
        give_normal_mode(tmp, path)
        os.replace(tmp, path)
    except OSError as e:
        raise SessionError(f"cannot write {path}: {e.strerror or type(e).__name__}; "
                           "choose a folder you can write to") from None
    finally:
        if tmp is not None:
            release_temp(tmp)
    return path


def read_session(path: str | os.PathLike) -> Session:
    """Read and validate a session file. SessionError for anything that is not a valid version-1 session."""
    path = Path(path)
    if not path.exists():
        raise SessionError(f"no such file: {path}")
    if path.is_dir():
        raise SessionError(f"{path} is a folder; give a gateviz session file ({EXTENSION})")
    if path.stat().st_size > MAX_BYTES:
        raise SessionError(f"{path} is not a gateviz session file: it is larger than {MAX_BYTES >> 20} MB")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionError(f"{path} is not a gateviz session file: it is not UTF-8 text "
                           f"(a session is JSON written by File ▸ Save Session)") from None
    except (json.JSONDecodeError, RecursionError) as e:
        why = f"not valid JSON ({e})" if isinstance(e, json.JSONDecodeError) else "its JSON nests too deeply"
        raise SessionError(f"{path} is not a gateviz session file: {why}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{path} is not a gateviz session file: its \"format\" is not \"{FORMAT}\" "
                           "(sessions are written by File ▸ Save Session)")
    if isinstance(data.get("version"), int) and data["version"] > VERSION:
        raise SessionError(f"{path} was written by a newer gateviz (session format {data['version']}); this "
                           f"gateviz reads version {VERSION} — update gateviz")
    try:
        return from_json(data)
    except SessionError as e:
        raise SessionError(f"{path}: {e}") from None


def from_json(data: Any) -> Session:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"not a gateviz session file: its \"format\" is not \"{FORMAT}\"")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError(_bad("version", repr(version), "a positive integer"))
    if version > VERSION:
        raise SessionError(f"written by a newer gateviz (session format {version}); this gateviz reads version "
                           f"{VERSION} — update gateviz")
    m = _section(data, "model")
    source = _choice(m.get("source"), MODEL_SOURCES, "model.source")
    embedded = m.get("embedded")
    if embedded is not None:
        try:
            embedded = base64.b64decode(_need(embedded, str, "model.embedded"), validate=True)
        except (binascii.Error, ValueError):
            raise SessionError(_bad("model.embedded", "it is not base64", "a .gvm file's bytes in base64")) from None
    ref = ModelRef(name=_need(m.get("name"), str, "model.name"), source=source,
                   path=_optional(m.get("path"), str, "model.path"),
                   sha256=_optional(m.get("sha256"), str, "model.sha256"),
                   bundled=_optional(m.get("bundled"), str, "model.bundled"), embedded=embedded)
    if source == "file" and not ref.path:
        raise SessionError(_bad("model.path", "missing", "the model file's absolute path (model.source is \"file\")"))
    if source == "file" and ref.sha256 is not None and not _is_sha256(ref.sha256):
        raise SessionError(_bad("model.sha256", repr(ref.sha256), "64 hexadecimal digits"))
    if source in ("bundled", "app") and embedded is None:
        raise SessionError(_bad("model.embedded", "missing", f"the model's .gvm bytes (model.source is \"{source}\")"))
    if source == "bundled" and not ref.bundled:
        raise SessionError(_bad("model.bundled", "missing", "the bundled model's name (model.source is \"bundled\")"))
    inp = _section(data, "input")
    view = _section(data, "view")
    g = _section(data, "gradients")
    c = _section(data, "comparison")
    lay = _section(data, "layout")
    t = _section(data, "theme")
    unit = _optional(g.get("unit"), list, "gradients.unit")
    if unit is not None:
        if len(unit) != 3 or not _is_index(unit[0]) or unit[1] not in DIRECTIONS or not _is_index(unit[2]):
            raise SessionError(_bad("gradients.unit", repr(unit), "[layer, \"forward\"|\"backward\", unit] or null"))
        unit = (unit[0], unit[1], unit[2])
    entries = _need(data.get("interventions"), list, "interventions")
    interventions = []
    for k, e in enumerate(entries):
        _need(e, dict, f"interventions[{k}]")
        interventions.append((_need(e.get("spec"), str, f"interventions[{k}].spec"),
                              _need(e.get("enabled"), bool, f"interventions[{k}].enabled")))
    _check_specs(interventions)
    pinned = _index_list(view.get("pinned"), "view.pinned")
    if not pinned:
        raise SessionError(_bad("view.pinned", "[]", "at least one unit index, e.g. [0]"))
    row_order = view.get("row_order")
    row_order = None if row_order is None else _index_list(row_order, "view.row_order")
    sizes = lay.get("sizes", {})
    _need(sizes, dict, "layout.sizes")
    view_size = _optional(lay.get("view_size"), list, "layout.view_size")
    if view_size is not None:
        if len(view_size) != 2 or not all(_is_index(v) and v > 0 for v in view_size):
            raise SessionError(_bad("layout.view_size", repr(view_size), "[width, height] in pixels, or null"))
        view_size = (view_size[0], view_size[1])
    from gateviz.cli.export_cmd import LAYOUT_NAMES
    from gateviz.export.headless import PANEL_IDS

    hidden = _need(lay.get("hidden", []), list, "layout.hidden")
    for k, pid in enumerate(hidden):
        _choice(pid, PANEL_IDS, f"layout.hidden[{k}]")
    return Session(
        model=ref, sequence=decode_sequence(inp), input_name=_optional(inp.get("name"), str, "input.name"),
        layer=_index(view.get("layer"), "view.layer"), direction=_choice(view.get("direction"), DIRECTIONS,
                                                                         "view.direction"),
        pinned=pinned, row_order=row_order, step=_index(view.get("step"), "view.step"),
        snapshot=None if view.get("snapshot") is None else _index(view.get("snapshot"), "view.snapshot"),
        interventions=interventions,
        gradient_output=None if g.get("output") is None else _index(g.get("output"), "gradients.output"),
        gradient_unit=unit, show_memory=_need(g.get("shade_memory"), bool, "gradients.shade_memory"),
        show_original=_need(c.get("show_original"), bool, "comparison.show_original"),
        show_difference=_need(c.get("show_difference"), bool, "comparison.show_difference"),
        layout=_choice(lay.get("name"), LAYOUT_NAMES, "layout.name"), hidden_panels=[str(p) for p in hidden],
        splitter_sizes=sizes, view_size=view_size,
        theme=_choice(t.get("name"), THEMES, "theme.name"),
        presentation=_need(t.get("presentation"), bool, "theme.presentation"),
        colormap=_choice(t.get("colormap"), COLORMAPS, "theme.colormap"),
        cell_scale=_choice(t.get("cell_scale"), CELL_SCALES, "theme.cell_scale"),
        gru_convention=_choice(t.get("gru_convention"), GRU_CONVENTIONS, "theme.gru_convention"),
        language=_choice(data.get("language"), LANGUAGES, "language"))


def check_against(session: Session, model, trace) -> None:
    """Does the session's view fit the model and its trace? SessionError naming the first field that does not."""
    if session.layer >= trace.num_layers:
        raise SessionError(_bad("view.layer", str(session.layer), f"0..{trace.num_layers - 1} for {model.name}"))
    if session.direction not in trace.directions(session.layer):
        raise SessionError(_bad("view.direction", session.direction,
                                " or ".join(trace.directions(session.layer)) + f" for layer {session.layer}"))
    units = trace.units(session.layer)
    for name, values in (("view.pinned", session.pinned), ("view.row_order", session.row_order or [])):
        if any(u >= units for u in values):
            raise SessionError(_bad(name, str(values), f"units 0..{units - 1} of layer {session.layer}"))
    if session.row_order is not None and sorted(session.row_order) != list(range(units)):
        raise SessionError(_bad("view.row_order", "not every unit once", f"a permutation of 0..{units - 1}"))
    if session.step >= trace.length:
        raise SessionError(_bad("view.step", str(session.step), f"0..{trace.length - 1}"))
    count = len(getattr(model, "snapshots", None) or ())
    if session.snapshot is not None and session.snapshot >= count:
        raise SessionError(_bad("view.snapshot", str(session.snapshot),
                                f"0..{count - 1}" if count else "null (the model has no training snapshots)"))


# --------------------------------------------------------------------------- validation helpers


def _bad(field_name: str, found: str, wanted: str) -> str:
    return f"field {field_name!r} is wrong ({found}); it must be {wanted}"


def _need(value, kind, name: str):
    if value is None:
        raise SessionError(f"field {name!r} is missing; re-save the session with gateviz")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "a string", bool: "true or false", list: "a list", dict: "an object", int: "an integer"}
        raise SessionError(_bad(name, f"{type(value).__name__} {json.dumps(value)[:40]}", names.get(kind, str(kind))))
    return value


def _optional(value, kind, name: str):
    return None if value is None else _need(value, kind, name)


def _section(data: dict, name: str) -> dict:
    return _need(data.get(name), dict, name)


def _choice(value, choices, name: str) -> str:
    _need(value, str, name)
    if value not in choices:
        raise SessionError(_bad(name, repr(value), "one of " + ", ".join(choices)))
    return value


def _is_index(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _index(value, name: str) -> int:
    _need(value, int, name)
    if value < 0:
        raise SessionError(_bad(name, str(value), "0 or more"))
    return value


def _index_list(value, name: str) -> list[int]:
    _need(value, list, name)
    if not all(_is_index(v) for v in value):
        raise SessionError(_bad(name, json.dumps(value)[:60], "a list of unit indices (integers ≥ 0)"))
    return list(value)


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text.lower())


def _check_specs(entries) -> None:
    from gateviz.core.interventions import Intervention, InterventionError

    for k, (spec, _on) in enumerate(entries):
        try:
            Intervention.parse(spec)
        except InterventionError as e:
            raise SessionError(_bad(f"interventions[{k}].spec", repr(spec), f"an intervention spec ({e})")) from None


def is_session_file(path: str | os.PathLike) -> bool:
    """A session by its name (``.gvsession``) or its first bytes (a JSON object naming the format)."""
    path = Path(path)
    if path.suffix.lower() == EXTENSION:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and f'"format": "{FORMAT}"'.encode() in head.replace(b'":"', b'": "')
