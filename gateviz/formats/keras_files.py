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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import FormatError


def to_snake_case(name: str) -> str:
    """Keras's own ``naming.to_snake_case`` (the key of a layer in ``model.weights.h5``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def read_h5_list_attr(group, name: str) -> list[str]:
    """A list-of-strings attribute, joined from its chunks (``name0``, ``name1``...) if chunked."""
    if name in group.attrs:
        values = group.attrs[name]
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [_text(v) for v in np.atleast_1d(values) if not isinstance(v, float)] if len(values) else []


@dataclass
class KerasFile:
    """What the reader needs from either container."""

    path: str
    container: str  # "h5" or "keras"
    config: dict[str, Any]  # {"class_name": "Sequential"/"Functional"/..., "config": {...}}
    keras_version: str | None
    _h5: Any = None  # the open h5py.File holding the weights
    _zip: zipfile.ZipFile | None = None
    _keras_keys: dict[str, str] = field(default_factory=dict)  # layer name -> key under layers/

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
        root = self._h5["model_weights"] if "model_weights" in self._h5 else self._h5
        if name not in root:
            raise FormatError(f"{self.path}: the weights of layer {name!r} are missing from the file "
                              "(saved without weights, or damaged); save the model again with model.save()")
        group = root[name]
        out = []
        for wname in read_h5_list_attr(group, "weight_names"):
            key = wname if wname in group else wname[:-2] if wname.endswith(":0") and wname[:-2] in group else None
            if key is None:
                raise FormatError(f"{self.path}: layer {name!r} lists weight {wname!r} but the file lacks it (damaged?)")
            out.append(np.asarray(group[key]))
        return out

    def _zip_layer_weights(self, name: str, class_name: str, order: list[tuple[str, str]]) -> list[np.ndarray]:
        layers = self._h5.get("layers")
        if layers is None:
            return []
        if not self._keras_keys:
            for key, group in layers.items():
                vars_group = group.get("vars")
                if vars_group is not None and "name" in vars_group.attrs:
                    self._keras_keys[_text(vars_group.attrs["name"])] = key
        key = self._keras_keys.get(name)
        if key is None:  # older files: snake_case class name, numbered by order within the class
            used: dict[str, int] = {}
            for lname, lclass in order:
                base = to_snake_case(lclass)
                used[base] = used.get(base, -1) + 1
                if lname == name:
                    key = base if used[base] == 0 else f"{base}_{used[base]}"
                    break
        if key is None or key not in layers:
            return []
        return _collect_vars(layers[key])


# Sub-objects in the order Keras lists their weights (Bidirectional: forward before backward).
_CHILD_ORDER = ("cell", "layer", "forward_layer", "backward_layer")


def _collect_vars(group) -> list[np.ndarray]:
    """Every ``vars/<i>`` dataset under a layer's group, depth first, in Keras's weight order."""
    out = []
    if "vars" in group:
        vars_group = group["vars"]
        for k in sorted((k for k in vars_group if k.isdigit()), key=int):
            out.append(np.asarray(vars_group[k]))
    children = [k for k in group if k != "vars" and hasattr(group[k], "keys")]
    children.sort(key=lambda k: (_CHILD_ORDER.index(k) if k in _CHILD_ORDER else len(_CHILD_ORDER), k))
    for k in children:
        out.extend(_collect_vars(group[k]))
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


def _open_h5(path: str) -> KerasFile:
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        reason = "truncated" if "truncated" in str(e) else "damaged or not HDF5"
        raise FormatError(f"{path}: cannot open this HDF5 file ({reason}: {e}); "
                          "save the Keras model again with model.save('model.h5') or '.keras'") from None
    try:
        raw = f.attrs.get("model_config")
        if raw is None:
            what = "a weights-only file (model.save_weights)" if ("layer_names" in f.attrs or "layers" in f
                                                                   or "model_weights" in f) else "not a Keras model"
            raise FormatError(f"{path}: this HDF5 file has no model_config: it is {what}. gateviz needs the "
                              "architecture too: save the whole model with model.save('model.h5') or '.keras'")
        try:
            config = json.loads(_text(raw))
        except json.JSONDecodeError as e:
            raise FormatError(f"{path}: the model_config attribute is not valid JSON ({e})") from None
        version = f.attrs.get("keras_version")
        if version is None and "model_weights" in f:
            version = f["model_weights"].attrs.get("keras_version")
        return KerasFile(path, "h5", config, None if version is None else _text(version), _h5=f)
    except BaseException:
        f.close()
        raise


def _open_zip(path: str) -> KerasFile:
    h5py = _h5py()
    try:
        zf = zipfile.ZipFile(path)
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as e:
        raise FormatError(f"{path}: cannot open this .keras file, the zip archive is damaged ({e})") from None
    try:
        if "config.json" not in names:
            raise FormatError(f"{path}: this zip has no config.json, so it is not a Keras 3 .keras file; "
                              "save the model with model.save('model.keras')")
        weights_name = next((n for n in names if n.endswith("model.weights.h5")), None)
        if weights_name is None:
            raise FormatError(f"{path}: this .keras file has no model.weights.h5 inside (its weights are missing); "
                              "save the model again with model.save('model.keras')")
        try:
            config = json.loads(zf.read("config.json").decode("utf-8"))
            meta = json.loads(zf.read("metadata.json").decode("utf-8")) if "metadata.json" in names else {}
            weights = h5py.File(io.BytesIO(zf.read(weights_name)), "r")
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise FormatError(f"{path}: config.json or metadata.json is not valid JSON ({e})") from None
        except (OSError, zipfile.BadZipFile, EOFError) as e:
            raise FormatError(f"{path}: model.weights.h5 inside this .keras file is damaged ({e})") from None
        return KerasFile(path, "keras", config, meta.get("keras_version"), _h5=weights, _zip=zf)
    except BaseException:
        zf.close()
        raise
