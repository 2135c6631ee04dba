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

from ..core.budget import format_bytes, require
from ..core.errors import GatevizError, SequenceError
from ..core.model import RecurrentModel
from ..core.texts import QT_TRANSLATE_NOOP

SEQUENCE_SUFFIXES = (".npy", ".csv", ".txt")
SEQUENCE_FILE_FILTER = "Sequences (*.npy *.csv *.txt);;All files (*)"
_NPY_MAGIC = b"\x93NUMPY"


SHORTER = "give a shorter sequence (fewer steps)"
_CSV_CHECK_LINES = 65_536  # rows between two looks at the memory a .csv is heading for
_CSV_MAX_LINE = 16 * 2**20  # one step per row: a longer "row" is not a sequence

# what is wrong with an input file, as Messages (gateviz.core.texts): the app shows them translated
_NOT_NUMBERS = QT_TRANSLATE_NOOP("CoreErrors", "{path}: expected a numeric array, found dtype {dtype}")
_SHAPE = QT_TRANSLATE_NOOP("CoreErrors", "{path}: a sequence file holds one sequence of shape (T, features) or "
                                         "(T,); found shape {shape}")
_CSV_NOT_TEXT = QT_TRANSLATE_NOOP("CoreErrors", "{path}: not a text file; a .csv sequence holds rows of "
                                                "comma-separated numbers")
_CSV_CELL = QT_TRANSLATE_NOOP("CoreErrors", "{path}: row {row}, column {column}: {cell} is not a number")
_CSV_WIDTH = QT_TRANSLATE_NOOP("CoreErrors", "{path}: row {row} has {n} value(s) but earlier rows have {width}; "
                                             "every row needs the same number of features")
_CSV_EMPTY = QT_TRANSLATE_NOOP("CoreErrors", "{path}: the sequence is empty (no numeric rows); give one row per step")
_TXT_NOT_UTF8 = QT_TRANSLATE_NOOP("CoreErrors", "{path}: not UTF-8 text")
_NO_FILE = QT_TRANSLATE_NOOP("CoreErrors", "no such file: {path}")
_A_FOLDER = QT_TRANSLATE_NOOP("CoreErrors", "{path} is a folder; give a .npy, .csv or .txt sequence file")
_TOKENS_SHAPE = QT_TRANSLATE_NOOP("CoreErrors", "{path}: a text model takes token ids of shape (T,) or a .txt "
                                                "file; found shape {shape}")
_NUMBERS_NOT_TEXT = QT_TRANSLATE_NOOP("CoreErrors", "{path}: this model reads {n} numeric feature(s) per step, not "
                                                    "text; give a .npy or .csv sequence")
_SUFFIX = QT_TRANSLATE_NOOP("CoreErrors", "{path}: unknown sequence file type {suffix}; give .npy (T, features), "
                                          ".csv (one row per step) or .txt (text models)")


def _encode_bytes(model: RecurrentModel, steps: int, features: int) -> int:
    """What encode_sequence makes of ``steps`` rows: a float64 copy and its finiteness mask, or
    int64 token ids and their one-hot / embedded features (read_sequence runs it as a check)."""
    if model.input.takes_tokens:
        width = model.input.output_size
        return steps * (8 + width * 8)
    return steps * features * (8 + 1)


def _npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, bytes of data in the file after the header), read without loading the array."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = fmt.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, _, dtype = fmt.read_array_header_2_0(fh)
            else:
                raise SequenceError(f"{path}: .npy format version {version[0]}.{version[1]} is not supported; "
                                    "save the array with numpy.save")
            data_bytes = os.fstat(fh.fileno()).st_size - fh.tell()
    except SequenceError:
        raise
    except OSError as e:
        raise SequenceError(f"{path}: cannot read the .npy file ({e.strerror or e})") from None
    except Exception as e:  # numpy's header parser raises ValueError, SyntaxError, TokenError...: all "bad header"
        detail = f" ({str(e).strip().splitlines()[0][:120]})" if isinstance(e, ValueError) and str(e).strip() else ""
        raise SequenceError(f"{path}: the .npy header is damaged{detail}; save the array again with "
                            "numpy.save") from None
    return tuple(int(n) for n in shape), dtype, data_bytes


def _read_npy(path: Path, model: RecurrentModel) -> np.ndarray:
    shape, dtype, data_bytes = _npy_header(path)
    if dtype.hasobject or dtype.kind not in "biuf":
        raise SequenceError(_NOT_NUMBERS.format(path=str(path), dtype=str(dtype)))
    if len(shape) not in (1, 2):
        raise SequenceError(_SHAPE.format(path=str(path), shape=str(shape)))
    steps, features = shape[0], (shape[1] if len(shape) == 2 else 1)
    declared = steps * features * dtype.itemsize  # Python ints: no overflow for absurd shapes
    if declared > data_bytes:
        raise SequenceError(f"{path}: the header declares shape {shape} ({format_bytes(declared)}) but the file "
                            f"holds only {format_bytes(data_bytes)} of data; it is truncated or its header is wrong")
    require(declared + _encode_bytes(model, steps, features),
            f"reading {path} ({steps:,} steps x {features} feature(s))", SHORTER)
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:  # object arrays need pickle; also malformed headers
        raise SequenceError(f"{path}: not a plain numeric .npy array ({e})") from None
    except (OSError, EOFError) as e:
        raise SequenceError(f"{path}: cannot read the .npy file, it is damaged ({e})") from None
    return arr


def _read_csv(path: Path, model: RecurrentModel) -> np.ndarray:
    """Streamed row by row into one float64 buffer, with a look every so many rows at what the whole
    file will need (rows so far scaled by the file's size): a huge .csv is refused in its first MiB."""
    from array import array

    size = path.stat().st_size
    values = array("d")
    width, steps, line_no, done = None, 0, 0, 0
    with open(path, "rb") as fh:
        while True:
            raw = fh.readline(_CSV_MAX_LINE + 1)
            if not raw:
                break
            line_no += 1
            done += len(raw)
            if len(raw) > _CSV_MAX_LINE:
                raise SequenceError(f"{path}: row {line_no} is longer than {format_bytes(_CSV_MAX_LINE)}; a .csv "
                                    "sequence holds one step per row")
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                raise SequenceError(_CSV_NOT_TEXT.format(path=str(path))) from None
            if not line.strip():
                continue
            cells = [c.strip() for c in line.split(",")]
            try:
                row = [float(c) for c in cells]
            except ValueError:
                bad_col = next(j for j, c in enumerate(cells) if not _is_float(c))
                if steps == 0 and width is None:  # the first non-empty line may be a header
                    width = len(cells)
                    continue
                raise SequenceError(_CSV_CELL.format(path=str(path), row=line_no, column=bad_col + 1,
                                                     cell=repr(cells[bad_col]))) from None
            if width is not None and len(row) != width:
                raise SequenceError(_CSV_WIDTH.format(path=str(path), row=line_no, n=len(row), width=width))
            width = len(row)
            values.extend(row)
            steps += 1
            if steps % _CSV_CHECK_LINES == 0:
                expected = int(steps * size / done)
                require(expected * width * 8 + _encode_bytes(model, expected, width),
                        f"reading {path} (about {expected:,} steps x {width} feature(s))", SHORTER)
    if not steps:
        raise SequenceError(_CSV_EMPTY.format(path=str(path)))
    return np.frombuffer(values, dtype=np.float64).reshape(steps, width)


def _is_float(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _read_text(path: Path, model: RecurrentModel) -> str:
    chars = path.stat().st_size  # at most one character per byte
    require(chars * 4 + _encode_bytes(model, chars, 1), f"reading {path} ({chars:,} characters)", SHORTER)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SequenceError(_TXT_NOT_UTF8.format(path=str(path))) from None
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
        raise SequenceError(_NO_FILE.format(path=str(path)))
    if path.is_dir():
        raise SequenceError(_A_FOLDER.format(path=str(path)))
    suffix = path.suffix.lower()
    if suffix not in SEQUENCE_SUFFIXES:
        with open(path, "rb") as fh:
            suffix = ".npy" if fh.read(6) == _NPY_MAGIC else suffix
    if suffix == ".npy":
        sequence: np.ndarray | str = _read_npy(path, model)
        if model.input.takes_tokens and sequence.ndim != 1:
            raise SequenceError(_TOKENS_SHAPE.format(path=str(path), shape=str(sequence.shape)))
    elif suffix == ".csv":
        sequence = _read_csv(path, model)
    elif suffix == ".txt":
        if not model.input.takes_tokens:
            raise SequenceError(_NUMBERS_NOT_TEXT.format(path=str(path), n=model.input.features))
        sequence = _read_text(path, model)
    else:
        raise SequenceError(_SUFFIX.format(path=str(path), suffix=repr(path.suffix or "(no extension)")))
    from ..core.engine import encode_sequence

    try:
        encode_sequence(model, sequence)  # the engine's checks: features, NaN/Inf, empty, vocabulary
    except GatevizError as e:
        detail = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else str(e)  # a Message stays one
        raise SequenceError(QT_TRANSLATE_NOOP("CoreErrors", "{path}: {error}").format(path=str(path), error=detail)) \
            from None
    return sequence
