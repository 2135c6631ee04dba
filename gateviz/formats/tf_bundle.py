"""TensorFlow's tensor-bundle checkpoint (``tf.train.Saver``, ``tf.train.Checkpoint``, a SavedModel's
``variables/``), read without TensorFlow.

A checkpoint ``PREFIX`` is ``PREFIX.index`` plus shards ``PREFIX.data-00000-of-0000N``:

* the ``.index`` is a LevelDB table (``table/format.cc`` in leveldb and tensorflow/core/lib/io):
  data blocks of prefix-compressed ``key → value`` entries with restart points, an index block
  pointing at them, a 48-byte footer (metaindex handle, index handle, magic
  ``0xdb4775248b80fb57``); each block is followed by a compression byte (0 none, 1 snappy) and a
  CRC, and may be snappy-compressed;
* key ``""`` holds a ``BundleHeaderProto`` (num_shards, endianness), every other key is a tensor's
  name with a ``BundleEntryProto`` (dtype, shape, shard_id, offset, size, masked crc32c);
* the shards hold the raw little-endian tensors at those offsets.

The protobuf messages are decoded by hand (``_fields``): the message classes are TensorFlow's.
Nothing here runs code from the files; every offset is checked against the file it points into.
"""

from __future__ import annotations

import math
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import FormatError

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # two block handles padded to 40 bytes, then the 8-byte magic
_BLOCK_TRAILER = 5  # compression type (1 byte) + crc32c (4 bytes) after every block
_MAX_INDEX = 256 * 1024 * 1024
_CRC_CHECK_LIMIT = 4 * 1024 * 1024  # pure-Python crc32c runs at a few MB/s: larger tensors are size-checked

# tensorflow/core/framework/types.proto -> numpy (little-endian); DT_STRING (7) is read apart
DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?", 17: "<u2",
          19: "<f2", 22: "<u4", 23: "<u8"}
DTYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
               8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16", 17: "uint16", 18: "complex128",
               19: "float16", 22: "uint32", 23: "uint64"}
DT_STRING = 7


# ---- protobuf wire format ---------------------------------------------------
def _varint(buf: bytes, pos: int, where: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise FormatError(f"{where}: a number runs past the end of its record; the checkpoint is damaged")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes, where: str) -> list[tuple[int, int | bytes]]:
    """A protobuf message -> [(field number, value)]: varints as int, fixed32/64 as int, bytes as bytes."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos, where)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, where)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise FormatError(f"{where}: a record is cut short; the checkpoint is damaged")
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos, where)
            if pos + n > len(buf):
                raise FormatError(f"{where}: a record is cut short; the checkpoint is damaged")
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 5:
            if pos + 4 > len(buf):
                raise FormatError(f"{where}: a record is cut short; the checkpoint is damaged")
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise FormatError(f"{where}: unknown protobuf wire type {wire}; the checkpoint is damaged")
        out.append((number, value))
    return out


# ---- snappy and crc32c (pure Python: no compiled dependency for a few KB of index) -----------------------
def snappy_decompress(data: bytes) -> bytes:
    """Raw snappy (the block format LevelDB uses, no framing)."""
    where = "snappy block"
    n, pos = _varint(data, 0, where)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal: length-1 in the tag, or in 1-4 following bytes
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            length += 1
            if pos + length > len(data):
                raise FormatError("a snappy-compressed block of the checkpoint index is cut short")
            out += data[pos:pos + length]
            pos += length
            continue
        if kind == 1:  # copy, 11-bit offset
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos] if pos < len(data) else 0
            pos += 1
        else:  # copy, 16- or 32-bit offset
            width = 2 if kind == 2 else 4
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + width], "little")
            pos += width
        if offset == 0 or offset > len(out) or pos > len(data):
            raise FormatError("a snappy-compressed block of the checkpoint index is damaged (bad copy offset)")
        for _ in range(length):  # byte by byte: a copy may overlap what it writes
            out.append(out[-offset])
    if len(out) != n:
        raise FormatError(f"a snappy-compressed block of the checkpoint index decompresses to {len(out)} bytes, "
                          f"not the {n} it declares; the index is damaged")
    return bytes(out)


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """LevelDB's and TensorFlow's stored form of a CRC (crc32c::Mask)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ---- the LevelDB table ---------------------------------------------------------------------------
def _block(buf: bytes, handle: bytes, where: str) -> bytes:
    offset, pos = _varint(handle, 0, where)
    size, _ = _varint(handle, pos, where)
    end = offset + size
    if end + _BLOCK_TRAILER > len(buf):
        raise FormatError(f"{where} points past the end of the file ({end + _BLOCK_TRAILER:,} > {len(buf):,} bytes); "
                          "the .index file is truncated or damaged")
    data, kind = buf[offset:end], buf[end]
    (stored,) = struct.unpack_from("<I", buf, end + 1)
    if masked_crc32c(data + bytes([kind])) != stored:
        raise FormatError(f"{where}: a block of the .index fails its checksum; the file is damaged")
    if kind == 1:
        return snappy_decompress(data)
    if kind != 0:
        raise FormatError(f"{where}: unknown block compression {kind} (0 none and 1 snappy are known)")
    return data


def _block_entries(block: bytes, where: str) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of a block: entries share key prefixes with their predecessor."""
    if len(block) < 4:
        raise FormatError(f"{where}: a block of the .index is too short; the file is damaged")
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * restarts
    if limit < 0:
        raise FormatError(f"{where}: a block of the .index declares {restarts} restart points it cannot hold")
    out, pos, key = [], 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos, where)
        unshared, pos = _varint(block, pos, where)
        size, pos = _varint(block, pos, where)
        if shared > len(key) or pos + unshared + size > limit:
            raise FormatError(f"{where}: an entry of the .index runs past its block; the file is damaged")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        out.append((key, block[pos:pos + size]))
        pos += size
    return out


def read_table(buf: bytes, where: str) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs of a LevelDB table held in ``buf``, in key order."""
    if len(buf) < FOOTER_SIZE:
        raise FormatError(f"{where} is {len(buf)} bytes, shorter than a checkpoint index's {FOOTER_SIZE}-byte footer; "
                          "it is truncated or not a TensorFlow checkpoint index")
    footer = buf[-FOOTER_SIZE:]
    if int.from_bytes(footer[-8:], "little") != TABLE_MAGIC:
        raise FormatError(f"{where} does not end with a TensorFlow checkpoint index's magic number; "
                          "it is truncated or not a checkpoint .index file")
    _, pos = _varint(footer, 0, where)  # metaindex handle: unused by bundles
    _, pos = _varint(footer, pos, where)
    start = pos
    _, pos = _varint(footer, pos, where)
    _, pos = _varint(footer, pos, where)
    index = _block(buf, footer[start:pos], f"{where} (index block)")
    entries = []
    for _, handle in _block_entries(index, where):
        entries += _block_entries(_block(buf, handle, f"{where} (data block)"), where)
    return entries


# ---- the bundle ------------------------------------------------------------------------------------
@dataclass
class BundleEntry:
    name: str
    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    crc: int | None
    sliced: bool = False

    @property
    def dtype_name(self) -> str:
        return DTYPE_NAMES.get(self.dtype, f"dtype #{self.dtype}")


def _shape(buf: bytes, where: str) -> tuple[int, ...]:
    dims = []
    for number, value in _fields(buf, where):
        if number == 2:  # TensorShapeProto.dim -> Dim.size (field 1)
            size = next((v for n, v in _fields(value, where) if n == 1), 0)
            dims.append(int(size))
        elif number == 3 and value:
            raise FormatError(f"{where}: a tensor of unknown rank; the checkpoint is damaged")
    return tuple(dims)


def _entry(name: str, value: bytes, where: str) -> BundleEntry:
    e = BundleEntry(name, 0, (), 0, 0, 0, None)
    for number, v in _fields(value, where):
        if number == 1:
            e.dtype = v
        elif number == 2:
            e.shape = _shape(v, where)
        elif number == 3:
            e.shard = v
        elif number == 4:
            e.offset = v
        elif number == 5:
            e.size = v
        elif number == 6:
            e.crc = v
        elif number == 7:
            e.sliced = True
    return e


def checkpoint_prefix(path: str | os.PathLike) -> Path | None:
    """The checkpoint PREFIX a path names: PREFIX itself, PREFIX.index, PREFIX.meta, a data shard, the
    ``checkpoint`` state file or a folder holding one checkpoint; None when it names none."""
    p = Path(path)
    if p.is_dir():
        state = p / "checkpoint"
        if state.is_file():
            named = _state_prefix(state)
            if named is not None:
                return named
        indexes = sorted(p.glob("*.index"))
        if len(indexes) == 1:
            return indexes[0].with_suffix("")
        if len(indexes) > 1:
            listed = ", ".join(i.name for i in indexes[:5])
            raise FormatError(f"{p} holds {len(indexes)} checkpoints ({listed}); open one of their .index files")
        return None
    if p.name == "checkpoint" and p.is_file():
        return _state_prefix(p)
    m = re.fullmatch(r"(.+)\.(index|meta|data-\d{5}-of-\d{5})", p.name)
    if m:
        prefix = p.with_name(m.group(1))
        return prefix if Path(f"{prefix}.index").is_file() else None
    if not p.exists() and Path(f"{p}.index").is_file():
        return p
    return None


def _state_prefix(state: Path) -> Path | None:
    """The newest checkpoint the ``checkpoint`` file names (``model_checkpoint_path: "..."``); relative
    paths are against its folder, and an absolute one that moved is looked up there by its name."""
    try:
        text = state.read_text(encoding="utf-8", errors="replace")[:65536]
    except OSError:
        return None
    m = re.search(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', text, re.M)
    if not m:
        return None
    named = Path(m.group(1))
    for candidate in ((named if named.is_absolute() else state.parent / named), state.parent / named.name):
        if Path(f"{candidate}.index").is_file():
            return candidate
    raise FormatError(f"{state} names the checkpoint {m.group(1)!r}, but {named.name}.index is not in "
                      f"{state.parent}; copy the checkpoint's .index and .data files next to it")


class TensorBundle:
    """The tensors of one checkpoint: names, dtypes and shapes at once, values read on demand."""

    def __init__(self, prefix: str | os.PathLike):
        self.prefix = Path(prefix)
        index = Path(f"{self.prefix}.index")
        where = str(index)
        try:
            size = index.stat().st_size
            if size > _MAX_INDEX:
                raise FormatError(f"{index} is {size:,} bytes; a checkpoint's .index lists names and offsets and "
                                  f"stays far below {_MAX_INDEX >> 20} MiB: this is not one")
            buf = index.read_bytes()
        except OSError as e:
            raise FormatError(f"cannot read {index}: {e.strerror or e}") from None
        self.num_shards = 1
        self.entries: dict[str, BundleEntry] = {}
        for key, value in read_table(buf, where):
            if key == b"":
                for number, v in _fields(value, where):
                    if number == 1:
                        self.num_shards = v
                    elif number == 2 and v != 0:
                        raise FormatError(f"{where}: the checkpoint was written big-endian; gateviz reads "
                                          "little-endian checkpoints (every x86 and ARM machine writes those)")
                continue
            name = key.decode("utf-8", errors="replace")
            self.entries[name] = _entry(name, value, f"{where} ({name})")
        if not 1 <= self.num_shards <= 100000:
            raise FormatError(f"{where}: the header declares {self.num_shards} data shards; the index is damaged")

    def shard_path(self, shard: int) -> Path:
        return Path(f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}")

    def tensor(self, name: str) -> np.ndarray:
        """One tensor's values (float and integer dtypes), checked against its size and crc32c."""
        e = self.entries[name]
        if e.sliced:
            raise FormatError(f"{self.prefix}: {name} is saved in slices (a partitioned variable); gateviz reads "
                              "whole tensors: save the model without partitioners")
        if e.dtype not in DTYPES:
            raise FormatError(f"{self.prefix}: {name} holds {e.dtype_name} values; gateviz reads float and "
                              "integer tensors")
        dtype = np.dtype(DTYPES[e.dtype])
        count = math.prod(e.shape)  # Python ints: a hostile shape cannot wrap around to fit the size
        if count * dtype.itemsize != e.size:
            raise FormatError(f"{self.prefix}: {name} declares shape {e.shape} ({e.dtype_name}) but {e.size:,} "
                              "bytes; the index is damaged")
        raw = self._raw(e)
        return np.frombuffer(raw, dtype=dtype).reshape(e.shape).astype(dtype.newbyteorder("="))

    def _raw(self, e: BundleEntry, check: bool = True) -> bytes:
        path = self.shard_path(e.shard)
        if not path.is_file():
            raise FormatError(f"{e.name} lies in {path.name}, which is missing; copy every file of the checkpoint "
                              f"({self.prefix.name}.index and its .data-* shards) into one folder")
        with open(path, "rb") as fh:
            total = os.fstat(fh.fileno()).st_size
            if e.offset + e.size > total:
                raise FormatError(f"{path} holds {total:,} bytes but {e.name} lies at "
                                  f"{e.offset:,}..{e.offset + e.size:,}; "
                                  "the data file is truncated")
            fh.seek(e.offset)
            raw = fh.read(e.size)
        if check and e.crc is not None and e.size <= _CRC_CHECK_LIMIT and masked_crc32c(raw) != e.crc:
            raise FormatError(f"{path}: the bytes of {e.name} fail their checksum; the data file is damaged")
        return raw

    def string(self, name: str) -> bytes:
        """A scalar DT_STRING tensor (a TF2 checkpoint's object graph): its varint length, a masked crc32c of
        that length, then the bytes. The entry's crc32c covers the length as a uint32 (not the varint), the
        length's crc and the bytes (tensor_bundle.cc WriteStringTensor)."""
        e = self.entries[name]
        if e.dtype != DT_STRING or e.shape not in ((), (1,)):
            raise FormatError(f"{self.prefix}: {name} is not a single string")
        raw = self._raw(e, check=False)
        n, pos = _varint(raw, 0, name)
        if pos + 4 + n != len(raw) or n >= 1 << 32:
            raise FormatError(f"{self.prefix}: the string {name} declares {n:,} bytes in a {len(raw):,}-byte record; "
                              "the checkpoint is damaged")
        if e.crc is not None and masked_crc32c(struct.pack("<I", n) + raw[pos:]) != e.crc:
            raise FormatError(f"{self.prefix}: the bytes of {name} fail their checksum; the data file is damaged")
        return raw[pos + 4:]
