"""Open a Keras model file with h5py/zipfile only: its config, version and weights.

Two containers (gate-conventions.md §2, "On disk"):

- legacy HDF5 (``model.save("x.h5")``, Keras 2.x, tf.keras, Keras 3): root attribute
  ``model_config`` (JSON), ``keras_version``; group ``model_weights`` with one group per
  layer whose attribute ``weight_names`` lists the layer's datasets in order (names may
  end in ``:0``; long attributes are chunked as ``name0``, ``name1``, ...).
- Keras 3 ``.keras`` zip: ``metadata.json``, ``config.json`` and ``model.weights.h5``
  with ``layers/<key>/.../vars/0|1|2``, where ``<key>`` is the snake_case class name made
  unique by order (``lstm``, ``lstm_1``); ``vars`` groups also carry the layer's own name.

Neither TensorFlow nor keras is imported. A ``KerasFile`` answers one question for the
reader: the weights of a top-level layer, as arrays in the order Keras saves them.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import budget
from ..core.errors import FormatError
from .h5_safety import H5Tree

MAX_JSON_BYTES = 64 * 2**20  # config.json / metadata.json / model_config; real ones are KiB to a few MiB
MAX_JSON_DEPTH = 200  # Keras nests a config about 10 levels; walks below stay far from Python's recursion limit
# Keras stores model.weights.h5 uncompressed and itself refuses members over 100x their packed size
BOMB_FLOOR, BOMB_RATIO = 256 * 2**20, 100
MAX_GROUP_DEPTH = 12  # layers/<key>/<wrapper>/<cell>/vars is 4 deep


def to_snake_case(name: str) -> str:
    """Keras's own ``naming.to_snake_case`` (the key of a layer in ``model.weights.h5``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _names(values: Any, tree: H5Tree, name: str, what: str) -> list[str]:
    arr = np.asarray(values)
    if arr.size == 0:  # Keras writes an empty float64 array for a layer without weights
        return []
    if arr.ndim > 1 or arr.dtype.kind not in "SUO" or not all(isinstance(v, (bytes, str)) for v in arr.reshape(-1)):
        raise tree.fail(f"{what}: its {name!r} attribute holds {arr.dtype} values of shape {arr.shape}, not a list "
                        f"of names; the file is damaged: save the model again with model.save()")
    try:
        return [_text(v) for v in arr.reshape(-1)]
    except UnicodeDecodeError:
        raise tree.fail(f"{what}: its {name!r} attribute is not UTF-8 text; the file is damaged") from None


def read_h5_list_attr(tree: H5Tree, group, name: str, what: str) -> list[str]:
    """A list-of-strings attribute, joined from its chunks (``name0``, ``name1``...) if chunked."""
    value = tree.attr(group, name, what)
    if value is not None:
        return _names(value, tree, name, what)
    values: list[str] = []
    chunk = 0
    while (part := tree.attr(group, f"{name}{chunk}", what)) is not None:
        values.extend(_names(part, tree, f"{name}{chunk}", what))
        chunk += 1
    return values


def _json_depth_of_text(data: bytes) -> int:
    """How deep brackets nest in JSON text, strings skipped: numpy over 1 MiB slices (the text may be 64 MiB)."""
    depth = best = 0
    in_string = False
    carry = 0  # backslashes at the end of the previous slice
    step = 1 << 20
    for start in range(0, len(data), step):
        b = np.frombuffer(data, np.uint8, count=min(step, len(data) - start), offset=start)
        pos = np.arange(len(b))
        last_plain = np.maximum.accumulate(np.where(b != 92, pos, -1 - carry))  # last non-backslash up to i
        run_before = pos - 1 - np.concatenate(([-1 - carry], last_plain[:-1]))  # backslashes right before i
        quotes = (b == 34) & (run_before % 2 == 0)  # an odd run escapes the quote
        inside = (np.cumsum(quotes) % 2 == 1) != in_string
        opens = ((b == 91) | (b == 123)) & ~inside
        closes = ((b == 93) | (b == 125)) & ~inside
        level = depth + np.cumsum(opens.astype(np.int64) - closes)
        best, depth = max(best, int(level.max())), int(level[-1])
        in_string = bool(inside[-1])  # the slice ends inside a string after an opening quote
        carry = int(len(b) - 1 - last_plain[-1])
    return best


def _object_depth(obj: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, stopping early past ``limit`` (iterative: no recursion)."""
    best, stack = 0, [(obj, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, (dict, list)):
            best = max(best, level)
            if best > limit:
                return best
            stack.extend((v, level + 1) for v in (value.values() if isinstance(value, dict) else value))
    return best


def load_json(data: Any, where: str, what: str, *, kind: type = dict) -> Any:
    """JSON text (bytes or str) -> a ``kind`` object, or FormatError saying what is wrong with it."""
    if isinstance(data, np.ndarray) and data.shape == () and data.dtype.kind in "SUO":
        data = data[()]
    if isinstance(data, np.bytes_):
        data = bytes(data)
    if not isinstance(data, (bytes, str)):
        shape = f" of shape {data.shape}" if isinstance(data, np.ndarray) else ""
        raise FormatError(f"{where}: {what} holds {type(data).__name__}{shape}, not JSON text; the file is damaged: "
                          "save the model again with model.save()")
    if len(data) > MAX_JSON_BYTES:
        raise FormatError(f"{where}: {what} is {budget.format_bytes(len(data))}; a Keras config is at most a few MiB "
                          f"and gateviz reads at most {budget.format_bytes(MAX_JSON_BYTES)}: the file is damaged or crafted")
    raw = data if isinstance(data, bytes) else None  # kept for counting the depth without a second copy
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FormatError(f"{where}: {what} is not UTF-8 text (byte {e.start} is {data[e.start:e.start + 1]!r}); "
                              "the file is damaged: save the model again with model.save()") from None
    try:
        value = json.loads(data)
        depth = _object_depth(value, MAX_JSON_DEPTH)
    except RecursionError:  # deeper than Python's recursion limit
        value, depth = None, _json_depth_of_text(raw if raw is not None else data.encode("utf-8", "surrogatepass"))
    except json.JSONDecodeError as e:
        raise FormatError(f"{where}: {what} is not valid JSON ({e}); the file is damaged: "
                          "save the model again with model.save()") from None
    if depth > MAX_JSON_DEPTH:
        if value is not None:  # the walk stopped early: count the real depth for the message
            depth = _json_depth_of_text(raw if raw is not None else data.encode("utf-8", "surrogatepass"))
        raise FormatError(f"{where}: {what} is nested {depth} levels deep; gateviz reads at most {MAX_JSON_DEPTH} "
                          "(Keras writes about 10): the file is damaged or crafted")
    if not isinstance(value, kind):
        raise FormatError(f"{where}: {what} holds a JSON {type(value).__name__}, not an "
                          f"{'object' if kind is dict else kind.__name__}; the file is damaged: save the model again "
                          "with model.save()")
    return value


def _version(value: Any) -> str | None:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", "replace")
    return str(value) if isinstance(value, (str, int, float)) else None


@dataclass
class KerasFile:
    """What the reader needs from either container."""

    path: str
    container: str  # "h5" or "keras"
    config: dict[str, Any]  # {"class_name": "Sequential"/"Functional"/..., "config": {...}}
    keras_version: str | None
    _h5: Any = None  # the open h5py.File holding the weights
    _zip: zipfile.ZipFile | None = None
    _keras_keys: dict[str, str] | None = None  # layer name -> key under layers/
    _tree: H5Tree | None = None  # reads _h5 link by link, never leaving it

    @property
    def major_version(self) -> int:
        """2 for Keras 2.x / tf.keras (and files too old to say), 3 for Keras 3."""
        v = self.keras_version or ""
        m = re.match(r"\s*(\d+)", v)
        return int(m.group(1)) if m else 2

    def close(self) -> None:
        if self._h5 is not None:
            self._h5.close()
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> "KerasFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- weights ------------------------------------------------------------
    def layer_weights(self, name: str, class_name: str, layer_names_in_order: list[tuple[str, str]]) -> list[np.ndarray]:
        """Arrays of the top-level layer ``name`` in Keras's saving order (kernel, recurrent_kernel, bias...).

        ``layer_names_in_order`` lists (name, class_name) of the model's top-level layers in config order;
        a ``.keras`` file needs it to find a layer's key when its ``vars`` group carries no name.
        """
        if self.container == "h5":
            return self._h5_layer_weights(name)
        return self._zip_layer_weights(name, class_name, layer_names_in_order)

    def _h5_layer_weights(self, name: str) -> list[np.ndarray]:
        tree = self._tree
        root = tree.child(self._h5, "model_weights", "the model_weights group")
        root = self._h5 if root is None else root
        what = f"layer {name!r}"
        group = tree.child(root, name, what)
        if group is None:
            raise FormatError(f"{self.path}: the weights of layer {name!r} are missing from the file "
                              "(saved without weights, or damaged); save the model again with model.save()")
        out = []
        for wname in read_h5_list_attr(tree, group, "weight_names", what):
            shown = f"{what} weight {wname!r}"
            obj = tree.child(group, wname, shown)
            if obj is None and wname.endswith(":0"):
                obj = tree.child(group, wname[:-2], shown)
            if obj is None:
                raise FormatError(f"{self.path}: layer {name!r} lists weight {wname!r} but the file lacks it (damaged?)")
            out.append(tree.array(obj, shown))
        return out

    def _zip_layer_weights(self, name: str, class_name: str, order: list[tuple[str, str]]) -> list[np.ndarray]:
        tree = self._tree
        layers = tree.child(self._h5, "layers", "model.weights.h5 group 'layers'")
        if layers is None:
            return []
        if self._keras_keys is None:
            self._keras_keys = {}
            for key, group in tree.children(layers, "model.weights.h5 layers"):
                vars_group = tree.child(group, "vars", f"layer {key!r} vars") if _is_group(group) else None
                label = tree.attr(vars_group, "name", f"layer {key!r}") if _is_group(vars_group) else None
                if isinstance(label, (bytes, np.bytes_, str)):
                    self._keras_keys[_version(label)] = key
        key = self._keras_keys.get(name)
        if key is None:  # older files: snake_case class name, numbered by order within the class
            used: dict[str, int] = {}
            for lname, lclass in order:
                base = to_snake_case(lclass)
                used[base] = used.get(base, -1) + 1
                if lname == name:
                    key = base if used[base] == 0 else f"{base}_{used[base]}"
                    break
        group = None if key is None else tree.child(layers, key, f"layer {name!r}")
        if not _is_group(group):
            return []
        return _collect_vars(tree, group, f"layer {name!r}", 0)


def _is_group(obj) -> bool:
    return obj is not None and hasattr(obj, "keys")


# Sub-objects in the order Keras lists their weights (Bidirectional: forward before backward).
_CHILD_ORDER = ("cell", "layer", "forward_layer", "backward_layer")


def _collect_vars(tree: H5Tree, group, what: str, depth: int) -> list[np.ndarray]:
    """Every ``vars/<i>`` dataset under a layer's group, depth first, in Keras's weight order."""
    if depth > MAX_GROUP_DEPTH:  # Keras nests 4 deep; a hard link back up the tree would never end
        raise tree.fail(f"{what}: its groups nest more than {MAX_GROUP_DEPTH} deep (a link back up the tree?); "
                        "the file is damaged: save the model again with model.save('model.keras')")
    out = []
    members = dict(tree.children(group, what))
    vars_group = members.get("vars")
    if _is_group(vars_group):
        for k, obj in sorted(((k, o) for k, o in tree.children(vars_group, f"{what}/vars") if k.isdigit()),
                             key=lambda item: int(item[0])):
            out.append(tree.array(obj, f"{what} weight vars/{k}"))
    children = [k for k, obj in members.items() if k != "vars" and _is_group(obj)]
    children.sort(key=lambda k: (_CHILD_ORDER.index(k) if k in _CHILD_ORDER else len(_CHILD_ORDER), k))
    for k in children:
        out.extend(_collect_vars(tree, members[k], f"{what}/{k}", depth + 1))
    return out


# --------------------------------------------------------------------------- opening


def _h5py():
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise FormatError("reading Keras files needs the h5py package (pip install h5py)") from None
    return h5py


def open_keras_file(path: str | os.PathLike) -> KerasFile:
    """A KerasFile for a legacy ``.h5`` or a ``.keras`` zip; FormatError when it is neither or damaged."""
    path = str(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        return _open_zip(path)
    return _open_h5(path)


def _model_config(config: Any, where: str, what: str) -> dict[str, Any]:
    if not isinstance(config.get("class_name"), str):
        raise FormatError(f"{where}: {what} names no model class (class_name); the file is damaged: save the "
                          "model again with model.save()")
    return config


def _open_h5(path: str) -> KerasFile:
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except (OSError, RuntimeError, ValueError) as e:
        reason = "truncated" if "truncated" in str(e) else "damaged or not HDF5"
        raise FormatError(f"{path}: cannot open this HDF5 file ({reason}: {e}); "
                          "save the Keras model again with model.save('model.h5') or '.keras'") from None
    try:
        tree = H5Tree(f, path, os.path.getsize(path))
        raw = tree.attr(f, "model_config", "the file")
        if raw is None:
            weights_only = "layer_names" in f.attrs or any(f.id.links.exists(n) for n in (b"layers", b"model_weights"))
            what = "a weights-only file (model.save_weights)" if weights_only else "not a Keras model"
            raise FormatError(f"{path}: this HDF5 file has no model_config: it is {what}. gateviz needs the "
                              "architecture too: save the whole model with model.save('model.h5') or '.keras'")
        config = _model_config(load_json(raw, path, "the model_config attribute"), path, "the model_config attribute")
        version = tree.attr(f, "keras_version", "the file")
        if version is None:
            weights = tree.child(f, "model_weights", "the model_weights group")
            version = None if weights is None else tree.attr(weights, "keras_version", "the model_weights group")
        return KerasFile(path, "h5", config, _version(version), _h5=f, _tree=tree)
    except BaseException:
        f.close()
        raise


def _zip_member(zf: zipfile.ZipFile, name: str, path: str, limit: int | None) -> bytes:
    """A member's bytes, its declared size checked first and never inflated past it (a lying header)."""
    info = zf.getinfo(name)
    if limit is not None and info.file_size > limit:
        raise FormatError(f"{path}: {name} inside this .keras file declares {budget.format_bytes(info.file_size)} "
                          f"uncompressed; a Keras config is at most a few MiB and gateviz reads at most "
                          f"{budget.format_bytes(limit)}: the archive is damaged or a zip bomb")
    ratio = info.file_size / max(info.compress_size, 1)
    if limit is None and info.file_size > BOMB_FLOOR and ratio > BOMB_RATIO:
        raise FormatError(f"{path}: {name} inside this .keras file would inflate {ratio:.0f} times, from "
                          f"{budget.format_bytes(info.compress_size)} to {budget.format_bytes(info.file_size)}; Keras "
                          "stores weights uncompressed, so this is a zip bomb or a damaged archive")
    if limit is None:
        budget.require(info.file_size, f"{path}: inflating {name} ({budget.format_bytes(info.file_size)} declared)",
                       "a model this large cannot be traced here")
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)  # zipfile stops at the declared size and then checks the CRC
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as e:
        raise FormatError(f"{path}: {name} inside this .keras file cannot be read ({e}); the archive is damaged: "
                          "save the model again with model.save('model.keras')") from None
    if len(data) != info.file_size:
        raise FormatError(f"{path}: {name} inside this .keras file holds {len(data)} bytes, not the "
                          f"{info.file_size} its header declares; the archive is damaged")
    return data


def _open_zip(path: str) -> KerasFile:
    h5py = _h5py()
    try:
        zf = zipfile.ZipFile(path)
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise FormatError(f"{path}: cannot open this .keras file, the zip archive is damaged ({e})") from None
    try:
        if "config.json" not in names:
            raise FormatError(f"{path}: this zip has no config.json, so it is not a Keras 3 .keras file; "
                              "save the model with model.save('model.keras')")
        weights_name = next((n for n in names if n.endswith("model.weights.h5")), None)
        if weights_name is None:
            raise FormatError(f"{path}: this .keras file has no model.weights.h5 inside (its weights are missing); "
                              "save the model again with model.save('model.keras')")
        config = load_json(_zip_member(zf, "config.json", path, MAX_JSON_BYTES), path, "config.json")
        config = _model_config(config, path, "config.json")
        meta = {}
        if "metadata.json" in names:
            meta = load_json(_zip_member(zf, "metadata.json", path, MAX_JSON_BYTES), path, "metadata.json")
        data = _zip_member(zf, weights_name, path, None)
        try:
            weights = h5py.File(io.BytesIO(data), "r")
        except (OSError, ValueError, RuntimeError, OverflowError) as e:  # h5py's file-object driver on a bad superblock
            raise FormatError(f"{path}: model.weights.h5 inside this .keras file is damaged ({e})") from None
        tree = H5Tree(weights, f"{path} (model.weights.h5)", len(data))
        return KerasFile(path, "keras", config, _version(meta.get("keras_version")), _h5=weights, _zip=zf,
                         _tree=tree)
    except BaseException:
        zf.close()
        raise
