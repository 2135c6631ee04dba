"""Input sequence files -> what the engine takes.

    .npy   a numeric array (T, features) or (T,); integer token ids (T,) for text models
    .csv   T rows of comma-separated numbers; a header line (any non-numeric cell) is skipped
    .txt   text models only: the file's characters

The checks that do not depend on the file (feature count, NaN/Inf, empty, unknown
characters) are the engine's own (``engine.encode_sequence``): every caller gets the
same messages.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import GatevizError, SequenceError
from ..core.model import RecurrentModel

SEQUENCE_SUFFIXES = (".npy", ".csv", ".txt")
SEQUENCE_FILE_FILTER = "Sequences (*.npy *.csv *.txt);;All files (*)"
_NPY_MAGIC = b"\x93NUMPY"


def _read_npy(path: Path) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:  # object arrays need pickle; also malformed headers
        raise SequenceError(f"{path}: not a plain numeric .npy array ({e})") from None
    except (OSError, EOFError) as e:
        raise SequenceError(f"{path}: cannot read the .npy file, it is damaged ({e})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise SequenceError(f"{path}: expected a numeric array, found dtype {getattr(arr, 'dtype', type(arr))}")
    if arr.ndim not in (1, 2):
        raise SequenceError(f"{path}: a sequence file holds one sequence of shape (T, features) or (T,); "
                            f"found shape {arr.shape}")
    return arr


def _read_csv(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SequenceError(f"{path}: not a text file; a .csv sequence holds rows of comma-separated numbers") from None
    rows: list[list[float]] = []
    width = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        try:
            values = [float(c) for c in cells]
        except ValueError:
            bad_col = next(j for j, c in enumerate(cells) if not _is_float(c))
            if not rows and width is None:  # the first non-empty line may be a header
                width = len(cells)
                continue
            raise SequenceError(f"{path}: row {line_no}, column {bad_col + 1}: {cells[bad_col]!r} is not a number") from None
        if width is not None and len(values) != width:
            raise SequenceError(f"{path}: row {line_no} has {len(values)} value(s) but earlier rows have {width}; "
                                "every row needs the same number of features")
        width = len(values)
        rows.append(values)
    if not rows:
        raise SequenceError(f"{path}: the sequence is empty (no numeric rows); give one row per step")
    return np.asarray(rows, dtype=np.float64)


def _is_float(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _read_text(path: Path, model: RecurrentModel) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SequenceError(f"{path}: not UTF-8 text") from None
    vocab = model.input.vocab or []
    if text.endswith("\n") and "\n" not in vocab:  # an editor's final newline, not part of the input
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def read_sequence(path: str | os.PathLike, model: RecurrentModel) -> np.ndarray | str:
    """A sequence file -> a numeric array (T, F) / (T,) or, for text models, a str (or token ids).

    SequenceError (naming the file) for anything the model cannot take.
    """
    path = Path(path)
    if not path.exists():
        raise SequenceError(f"no such file: {path}")
    if path.is_dir():
        raise SequenceError(f"{path} is a folder; give a .npy, .csv or .txt sequence file")
    suffix = path.suffix.lower()
    if suffix not in SEQUENCE_SUFFIXES:
        with open(path, "rb") as fh:
            suffix = ".npy" if fh.read(6) == _NPY_MAGIC else suffix
    if suffix == ".npy":
        sequence: np.ndarray | str = _read_npy(path)
        if model.input.takes_tokens and sequence.ndim != 1:
            raise SequenceError(f"{path}: a text model takes token ids of shape (T,) or a .txt file; "
                                f"found shape {sequence.shape}")
    elif suffix == ".csv":
        sequence = _read_csv(path)
    elif suffix == ".txt":
        if not model.input.takes_tokens:
            raise SequenceError(f"{path}: this model reads {model.input.features} numeric feature(s) per step, "
                                "not text; give a .npy or .csv sequence")
        sequence = _read_text(path, model)
    else:
        raise SequenceError(f"{path}: unknown sequence file type {path.suffix or '(no extension)'!r}; "
                            "give .npy (T, features), .csv (one row per step) or .txt (text models)")
    from ..core.engine import encode_sequence

    try:
        encode_sequence(model, sequence)  # the engine's checks: features, NaN/Inf, empty, vocabulary
    except GatevizError as e:
        raise SequenceError(f"{path}: {e}") from None
    return sequence
