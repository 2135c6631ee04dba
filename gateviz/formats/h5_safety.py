"""Read the HDF5 inside a Keras file without leaving it, and without trusting its declared sizes.

HDF5 can point outside the file it lives in: external links (another file's object), soft
links (a path, possibly dangling or looping), datasets whose raw data sits in external files,
virtual datasets mapping other files, and filters that load plugin libraries. A model file
must never make gateviz read another file (issue 11), so every step down the tree looks at the
link first (``links.get_info``, which never follows it) and refuses what leaves the file:

    H5Tree(file, where, file_size)
        .child(group, "a/b:0", what)   hard links, and soft links resolving inside the file
        .children(group, what)         (name, object) of a group, same rules
        .array(dataset, what)          numbers only, sizes checked before reading
        .attr(obj, name, what)         an attribute, its size checked before reading

``what`` names the thing for the message ("layer 'lstm' weight 'kernel'").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import budget
from ..core.errors import FormatError

MAX_LINK_HOPS = 16  # soft links followed to reach one object; Keras writes none
MAX_ATTR_BYTES = 64 * 2**20  # a model_config or a list of names; real ones are KiB
MAX_ATTR_ITEMS = 1_000_000
# deflate cannot inflate more than ~1032x; a weight that claims more is not what it says
MAX_INFLATE_RATIO = 1100
# HDF5's built-in filters (and h5py's lzf, which h5py registers itself): any other id makes
# HDF5 search its plugin folders and load a library, i.e. read files the user did not name
BUILTIN_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset",
                   32000: "lzf"}
# what h5py raises for a damaged file: OSError or RuntimeError from HDF5, KeyError/ValueError from h5py itself
H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError)
SAVE_HINT = "save the model with its weights inside (model.save('model.keras') or 'model.h5')"


def _h5py():
    import h5py

    return h5py


class H5Tree:
    """One open HDF5 file (a path or an in-memory copy) read link by link."""

    def __init__(self, file, where: str, file_size: int):
        self.file = file
        self.where = where
        self.file_size = max(int(file_size), 1)

    def fail(self, message: str) -> FormatError:
        return FormatError(f"{self.where}: {message}")

    # ---- links ----------------------------------------------------------------
    def child(self, group, relpath: str, what: str, *, _hops: list[int] | None = None):
        """The object at ``relpath`` under ``group`` (None if absent), each component's link checked first."""
        h5py = _h5py()
        hops = [0] if _hops is None else _hops
        obj = self.file if relpath.startswith("/") else group
        for part in relpath.split("/"):
            if part in ("", "."):
                continue
            if not isinstance(obj, h5py.Group):
                return None
            key = part.encode("utf-8", "surrogateescape")
            try:
                if not obj.id.links.exists(key):
                    return None
                kind = obj.id.links.get_info(key).type
            except H5_ERRORS as e:
                raise self.fail(f"{what}: cannot read its link {part!r} ({e}); the file is damaged") from None
            if kind == h5py.h5l.TYPE_HARD:
                try:
                    obj = obj[key]
                except H5_ERRORS as e:
                    raise self.fail(f"{what}: cannot open {part!r} ({e}); the file is damaged") from None
            elif kind == h5py.h5l.TYPE_EXTERNAL:
                try:
                    filename, target = (v.decode("utf-8", "replace") for v in obj.id.links.get_val(key))
                except H5_ERRORS:
                    filename, target = "another file", "?"
                raise self.fail(f"{what} is an HDF5 external link to {filename} (object {target}); gateviz reads "
                                f"only the file you name: {SAVE_HINT}")
            elif kind == h5py.h5l.TYPE_SOFT:
                try:
                    target = obj.id.links.get_val(key).decode("utf-8", "replace")
                except H5_ERRORS as e:
                    raise self.fail(f"{what}: cannot read its soft link {part!r} ({e}); the file is damaged") from None
                hops[0] += 1
                if hops[0] > MAX_LINK_HOPS:
                    raise self.fail(f"{what}: HDF5 soft links loop (the chain through {target!r} never ends after "
                                    f"{MAX_LINK_HOPS} hops); the file is damaged or crafted: {SAVE_HINT}")
                resolved = self.child(obj, target, what, _hops=hops)  # relative to the link's own group
                if resolved is None:
                    raise self.fail(f"{what} is an HDF5 soft link to {target!r}, which is not in the file; "
                                    f"the file is damaged: {SAVE_HINT}")
                obj = resolved
            else:
                raise self.fail(f"{what} is a user-defined HDF5 link (type {kind}), which gateviz does not follow; "
                                f"{SAVE_HINT}")
        return obj

    def children(self, group, what: str) -> list[tuple[str, Any]]:
        """(name, object) for every member of ``group``, in HDF5's name order, links checked."""
        try:
            names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else n for n in group.keys()]
        except H5_ERRORS as e:
            raise self.fail(f"{what}: cannot list its members ({e}); the file is damaged") from None
        return [(n, self.child(group, n, f"{what}/{n}")) for n in names]

    # ---- data -----------------------------------------------------------------
    def array(self, ds, what: str) -> np.ndarray:
        """The dataset's values; refused when it reaches outside the file or its declared size does not fit."""
        h5py = _h5py()
        if not isinstance(ds, h5py.Dataset):
            raise self.fail(f"{what} is an HDF5 group, not a tensor; the file is damaged")
        try:
            plist = ds.id.get_create_plist()
            if ds.is_virtual:
                raise self.fail(f"{what} is an HDF5 virtual dataset (its values live in other files); gateviz "
                                f"reads only the file you name: {SAVE_HINT}")
            if plist.get_external_count():
                name = plist.get_external(0)[0].decode("utf-8", "replace")
                raise self.fail(f"{what} keeps its values in the external file {name}; gateviz reads only the file "
                                f"you name: {SAVE_HINT}")
            filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
            storage = ds.id.get_storage_size()
            shape, dtype, chunks = ds.shape, ds.dtype, ds.chunks
        except H5_ERRORS as e:
            raise self.fail(f"{what}: cannot read its layout ({e}); the file is damaged") from None
        unknown = [f for f in filters if f not in BUILTIN_FILTERS]
        if unknown:
            raise self.fail(f"{what} is compressed with HDF5 filter {unknown[0]}, which needs a plugin library; "
                            f"gateviz reads uncompressed or deflate-compressed weights: {SAVE_HINT}")
        if shape is None or dtype.kind not in "biufc" or dtype.fields is not None:
            raise self.fail(f"{what} holds {dtype if shape is not None else 'no data (an empty dataspace)'}, "
                            "not numbers; the file is damaged")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        shown = f"{what} (shape {tuple(shape)}, {dtype}: {budget.format_bytes(nbytes)})"
        if nbytes:
            compressed = any(f in (1, 4, 6, 32000) for f in filters)
            if not compressed and storage < nbytes:
                raise self.fail(f"{shown} has only {budget.format_bytes(storage)} of data in the file; its declared "
                                f"size is beyond the file (damaged or crafted): {SAVE_HINT}")
            if compressed and nbytes > MAX_INFLATE_RATIO * max(storage, 1):
                raise self.fail(f"{shown} would inflate from {budget.format_bytes(storage)} in the file, more than "
                                f"compression can give; the file is damaged or crafted: {SAVE_HINT}")
        chunk_bytes = math.prod(chunks) * dtype.itemsize if chunks else 0  # HDF5's buffer for one chunk
        budget.require(nbytes + chunk_bytes, f"{self.where}: reading {shown}",
                       "a recurrent layer this large cannot be traced here")
        try:
            return np.asarray(ds[()])
        except H5_ERRORS as e:
            raise self.fail(f"{what}: its values cannot be read ({e}); the file is damaged") from None

    def attr(self, obj, name: str, what: str, default: Any = None) -> Any:
        """An attribute's value (``default`` when absent), its declared size checked before reading."""
        try:
            if name not in obj.attrs:
                return default
            aid = obj.attrs.get_id(name)
            shape, dtype = aid.shape, aid.dtype
        except H5_ERRORS as e:
            raise self.fail(f"{what}: cannot read attribute {name!r} ({e}); the file is damaged") from None
        count = math.prod(shape) if shape is not None else 0
        if count > MAX_ATTR_ITEMS or count * dtype.itemsize > MAX_ATTR_BYTES:
            raise self.fail(f"{what}: attribute {name!r} declares {count} values of {dtype} "
                            f"({budget.format_bytes(count * dtype.itemsize)}); gateviz reads at most "
                            f"{budget.format_bytes(MAX_ATTR_BYTES)}: the file is damaged or crafted")
        try:
            return obj.attrs[name]
        except H5_ERRORS as e:
            raise self.fail(f"{what}: cannot read attribute {name!r} ({e}); the file is damaged") from None
