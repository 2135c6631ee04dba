"""Recognise a model file by its content (magic bytes), not by its extension.

    safetensors  8-byte little-endian header length, then a JSON header starting with "{"
                 -> "gateviz" when its metadata carries ``gateviz_format``, else "safetensors"
    zip          ``*/data.pkl`` inside -> "pytorch" (torch.save's zip format)
                 ``config.json`` + ``model.weights.h5`` -> "keras-zip"
    HDF5         ``\\x89HDF\\r\\n\\x1a\\n`` -> "keras-h5"
    pickle       ``\\x80\\x02``.. (legacy torch.save) -> "pytorch"
    ONNX         protobuf, no magic: tried last, by extension or a cheap parse of the first field
    TensorFlow   checkpoint: any file of PREFIX.index / .data-* / .meta, the ``checkpoint`` state file,
                 the folder holding them, or PREFIX itself -> "tf-checkpoint" (tried first: a folder)
    SavedModel   a folder with saved_model.pb (or that file, or its variables/) -> "tf-savedmodel" when
                 tf.keras wrote it (keras_metadata.pb, or before TF 2.5 the Keras JSON in saved_model.pb's
                 object graph); other SavedModels are refused with a message saying which kind they are

Nothing here executes or unpickles anything; at most a few KiB and the zip directory are read (and a
SavedModel's saved_model.pb when it has no keras_metadata.pb).
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path

from ..core.errors import FormatError
from ..core.texts import QT_TRANSLATE_NOOP

FORMATS = ("gateviz", "safetensors", "pytorch", "keras-h5", "keras-zip", "onnx", "tf-checkpoint", "tf-savedmodel")
SUPPORTED_TEXT = QT_TRANSLATE_NOOP("CoreErrors", "a gateviz model (.gvm), PyTorch state_dict (.pt/.pth/.bin), "
                                                 ".safetensors, Keras (.h5/.keras), a tf.keras SavedModel folder, "
                                                 "ONNX (.onnx) or a TensorFlow 1 checkpoint (.index/.meta/.data-*, "
                                                 "its checkpoint file or folder)")
# the refusals a user meets first, as Messages (gateviz.core.texts): the app shows them translated
_NO_FILE = QT_TRANSLATE_NOOP("CoreErrors", "no such file: {path}")
_A_FOLDER = QT_TRANSLATE_NOOP("CoreErrors", "{path} is a folder; give a model file ({supported})")
_EMPTY = QT_TRANSLATE_NOOP("CoreErrors", "{path} is empty (0 bytes); expected {supported}")
_OTHER_ZIP = QT_TRANSLATE_NOOP("CoreErrors", "{path} is a zip archive but neither a PyTorch file (no data.pkl "
                                             "inside) nor a Keras .keras file (no config.json + model.weights.h5); "
                                             "expected {supported}")
_DAMAGED_ZIP = QT_TRANSLATE_NOOP("CoreErrors", "{path} looks like a zip archive but it is damaged (truncated?); "
                                               "expected {supported}")
_UNKNOWN = QT_TRANSLATE_NOOP("CoreErrors", "{path}: unrecognised file format; gateviz reads {supported}")

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024  # safetensors itself refuses larger headers


def _check_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise FormatError(_NO_FILE.format(path=str(p)))
    if p.is_dir():
        raise FormatError(_A_FOLDER.format(path=str(p), supported=SUPPORTED_TEXT))
    if p.stat().st_size == 0:
        raise FormatError(_EMPTY.format(path=str(p), supported=SUPPORTED_TEXT))
    return p


def read_safetensors_header(path: str | os.PathLike) -> dict | None:
    """The JSON header of a safetensors file, or None when the file is not one."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return None
        (n,) = struct.unpack("<Q", head)
        size = os.fstat(fh.fileno()).st_size
        if n < 2 or n > _MAX_SAFETENSORS_HEADER or 8 + n > size:
            return None
        first = fh.read(1)
        if first != b"{":
            return None
        raw = first + fh.read(n - 1)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    except RecursionError:  # valid safetensors headers are two levels deep
        raise FormatError(f"{path}: the safetensors header nests too deeply to read; the file is damaged") from None
    return header if isinstance(header, dict) else None


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):  # ValueError: member names not UTF-8
        return None
    if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        return "pytorch"
    if "config.json" in names and any(n.endswith("model.weights.h5") for n in names):
        return "keras-zip"
    return "zip"


def _looks_like_onnx(path: Path, head: bytes) -> bool:
    """A cheap check of the ModelProto's first field: onnx writes ir_version (field 1, varint)."""
    if path.suffix.lower() == ".onnx":
        return True
    # 0x08 = field 1, wire type 0 (varint); ir_version is a small number (3..20 today)
    return len(head) >= 2 and head[0] == 0x08 and 1 <= head[1] <= 30


def _savedmodel_folder(path: Path) -> Path | None:
    """The TensorFlow SavedModel folder ``path`` names: the folder, its saved_model.pb, or anything in
    its variables/ (a checkpoint in the SavedModel's own object-graph form); else None."""
    for folder in (path, path.parent, path.parent.parent):
        if (folder / "saved_model.pb").is_file():
            first = path.relative_to(folder).parts[:1]
            if first in ((), ("saved_model.pb",), ("variables",)):
                return folder
    return None


def _looks_like_savedmodel(head: bytes) -> bool:
    """SavedModel's first fields: saved_model_schema_version = 1 (field 1, varint), then meta_graphs
    (field 2, a message). ONNX also starts with field 1 (ir_version), but never 1 in files written
    since 2017, so a lone saved_model.pb is not taken for a damaged ONNX file."""
    return len(head) >= 3 and head[:3] == b"\x08\x01\x12"


def refuse_savedmodel(path: Path) -> None:
    """FormatError saying which kind of SavedModel ``path`` (a folder or a lone saved_model.pb) is and what to
    open instead, unless gateviz reads it."""
    from .tf_savedmodel import check_savedmodel, object_graph, refuse_unreadable

    if path.is_dir():
        check_savedmodel(path)
    else:
        refuse_unreadable(path, object_graph(path))


def detect_format(path: str | os.PathLike) -> str:
    """One of FORMATS. FormatError for a missing, empty or unrecognised file."""
    from .tf_bundle import checkpoint_prefix

    folder = _savedmodel_folder(Path(path))
    if folder is not None:  # refused unless tf.keras wrote it with its layer configs; read by tf_savedmodel
        refuse_savedmodel(folder)
        return "tf-savedmodel"
    if checkpoint_prefix(path) is not None:
        return "tf-checkpoint"
    p = _check_file(path)
    with open(p, "rb") as fh:
        head = fh.read(16)
    header = read_safetensors_header(p)
    if header is not None:
        meta = header.get("__metadata__") or {}
        return "gateviz" if isinstance(meta, dict) and "gateviz_format" in meta else "safetensors"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(p)
        if kind in ("pytorch", "keras-zip"):
            return kind
        if kind == "zip":
            raise FormatError(_OTHER_ZIP.format(path=str(p), supported=SUPPORTED_TEXT))
        raise FormatError(_DAMAGED_ZIP.format(path=str(p), supported=SUPPORTED_TEXT))
    if head.startswith(HDF5_MAGIC):
        return "keras-h5"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pytorch"  # a pickle protocol 2..5 stream: legacy torch.save
    if _looks_like_savedmodel(head) and p.suffix.lower() == ".pb":
        refuse_savedmodel(p)  # a saved_model.pb renamed: readable only in its folder, as saved_model.pb
        raise FormatError(f"{p} is a TensorFlow SavedModel's graph under another name; rename it saved_model.pb "
                          "inside its SavedModel folder (next to variables/) and open the folder")
    if _looks_like_onnx(p, head):
        return "onnx"
    raise FormatError(_UNKNOWN.format(path=str(p), supported=SUPPORTED_TEXT))


def check_safetensors_data(path: str | os.PathLike, header: dict) -> None:
    """FormatError when the tensors a safetensors header declares do not lie inside the file; ResourceError
    when they would not fit in memory. Checked before loading: the safetensors library maps the whole
    file first, so a sparse 3 GB file with a small header failed with an allocator error."""
    from ..core import budget

    size = os.path.getsize(path)
    (n,) = struct.unpack("<Q", open(path, "rb").read(8))
    data = size - 8 - n
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(v, int) and v >= 0 for v in offsets) or offsets[0] > offsets[1]):
            raise FormatError(f"{path}: tensor {name!r} has no valid data_offsets in the safetensors header; "
                              "the file is damaged")
        end = max(end, offsets[1])
    if end != data:
        raise FormatError(f"{path}: the safetensors header declares {end:,} bytes of tensor data but the file "
                          f"holds {data:,}; the file is damaged or truncated")
    budget.require(data, f"reading {path}", "the file is larger than this machine can hold")
