"""Reader for the IDX files MNIST ships in (``train-images-idx3-ubyte[.gz]`` and friends).

Format: a 4-byte magic (0, 0, dtype code, number of dimensions), one big-endian
uint32 per dimension, then the data in C order. Only unsigned bytes (0x08) are used
by MNIST; the other codes are read too.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..core.errors import FormatError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (optionally gzipped) -> numpy array."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise FormatError(f"{path}: the gzip stream is damaged ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise FormatError(f"{path} is not an IDX file (MNIST's format): it does not start with the IDX magic number")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise FormatError(f"{path}: the IDX header is cut short")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    count = int(np.prod(shape)) if shape else 0
    if len(raw) - header < count * dtype.itemsize:
        raise FormatError(f"{path}: the file holds fewer values than its header's shape {shape} promises "
                          "(truncated download?)")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def find_mnist_file(folder: Path, stem: str) -> Path:
    """``stem`` or ``stem.gz`` (also the ``stem.idx3-ubyte`` spelling some mirrors use) in ``folder``."""
    candidates = [stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"]
    for name in candidates:
        if (folder / name).is_file():
            return folder / name
    raise FormatError(f"{folder} has no {stem} or {stem}.gz; point --mnist at the folder holding MNIST's four IDX "
                      "files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                      "t10k-labels-idx1-ubyte.gz)")


def load_mnist(folder: str | Path) -> dict[str, np.ndarray]:
    """The four MNIST arrays from a folder: images uint8 (N, 28, 28), labels uint8 (N,)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FormatError(f"{folder} is not a folder; --mnist takes the folder holding MNIST's IDX files")
    data = {key: read_idx(find_mnist_file(folder, stem)) for key, stem in MNIST_FILES.items()}
    for split in ("train", "test"):
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise FormatError(f"{folder}: the {split} images {images.shape} and labels {labels.shape} do not match "
                              "(expected (N, rows, cols) images and N labels)")
    return data
