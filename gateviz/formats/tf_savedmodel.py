"""TF2 Keras SavedModel folders (issue 14), read without TensorFlow.

``model.save("dir")`` in tf.keras (Keras 2) writes
    dir/keras_metadata.pb   SavedMetadata: one SavedObject per Keras object (node_id 2, node_path 3,
                            identifier 4, metadata 5 = the object's Keras JSON; the root's holds
                            model_config and keras_version)
    dir/variables/          a tensor bundle whose keys follow the object graph, e.g.
                            layer_with_weights-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE
The root's model_config is what a .h5 file stores, so the Keras reader's own _Builder turns it into a
RecurrentModel; only where a layer's arrays come from differs. A SavedModel without keras_metadata.pb
(tf.saved_model.save of a tf.Module) keeps detect.refuse_savedmodel's message.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import FormatError
from ..core.model import RecurrentModel
from .keras_files import KerasFile, load_json
from .tf_bundle import TensorBundle, _fields

_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
# Keras's get_weights() order inside one layer (what the .h5 reader hands the builder)
_LEAF_ORDER = {"embeddings": 0, "kernel": 1, "recurrent_kernel": 2, "bias": 3}


def _folder(path: str | os.PathLike) -> Path:
    from .detect import _savedmodel_folder

    folder = _savedmodel_folder(Path(path))
    if folder is None:
        raise FormatError(f"{path} is not part of a TensorFlow SavedModel folder (no saved_model.pb next to it)")
    if not (folder / "keras_metadata.pb").is_file():
        from .detect import refuse_savedmodel

        refuse_savedmodel(folder)
    return folder


class SavedModelKeras(KerasFile):
    """A KerasFile whose weights come from the SavedModel's variables/ bundle."""

    bundle: TensorBundle
    prefixes: dict[str, str]  # top-level layer name -> its key in the bundle (layer_with_weights-N)

    def layer_weights(self, name, class_name, order):
        prefix = self.prefixes.get(name)
        if prefix is None:
            return []  # a layer without weights (InputLayer, Dropout, ...)
        keys = [k for k in self.bundle.entries if k.startswith(prefix + "/") and k.endswith(_SUFFIX)]

        def rank(key: str):
            parts = key[len(prefix) + 1:-len(_SUFFIX)].split("/")
            side = 1 if "backward_layer" in parts else 0  # Bidirectional: forward arrays first
            return side, _LEAF_ORDER.get(parts[-1], 9), key

        return [np.asarray(self.bundle.tensor(k)) for k in sorted(keys, key=rank)]


def _metadata(folder: Path) -> tuple[dict, dict[int, dict]]:
    """The root's Keras JSON and every node's JSON by its object-graph node id."""
    where = str(folder / "keras_metadata.pb")
    data = (folder / "keras_metadata.pb").read_bytes()
    root, nodes = None, {}
    for field, value in _fields(data, where):
        if field != 1 or not isinstance(value, bytes):
            continue
        sub = {f: v for f, v in _fields(value, where)}
        if not isinstance(sub.get(5), bytes):
            continue
        meta = load_json(sub[5], where, "a Keras object's metadata")
        node_id = sub.get(2, 0)
        nodes[node_id if isinstance(node_id, int) else -1] = meta
        if sub.get(3) == b"root":
            root = meta
    if root is None or not isinstance(root.get("model_config"), dict):
        raise FormatError(f"{where} holds no Keras model config (a subclassed model?); gateviz reads Sequential and "
                          "functional models: save the model with model.save('model.keras') and open that")
    return root, nodes


def _layer_prefixes(bundle: TensorBundle, nodes: dict[int, dict], where: str) -> dict[str, str]:
    """Top-level layer name -> 'layer_with_weights-N', from the root's children in the object graph
    (node 0 of TrackableObjectGraph: children = field 1, ObjectReference node_id 1, local_name 2)."""
    graph = bundle.string("_CHECKPOINTABLE_OBJECT_GRAPH")
    first = next((v for f, v in _fields(graph, where) if f == 1 and isinstance(v, bytes)), None)
    out = {}
    for field, value in _fields(first or b"", where):
        if field != 1 or not isinstance(value, bytes):
            continue
        ref = {f: v for f, v in _fields(value, where)}
        local = ref.get(2, b"")
        if isinstance(local, bytes) and local.startswith(b"layer_with_weights-"):
            name = nodes.get(ref.get(1, -1), {}).get("name")
            if isinstance(name, str):
                out[name] = local.decode()
    return out


def open_savedmodel(path: str | os.PathLike) -> SavedModelKeras:
    folder = _folder(path)
    root, nodes = _metadata(folder)
    if not (folder / "variables" / "variables.index").is_file():
        raise FormatError(f"{folder} is a Keras SavedModel without its weights (variables/variables.index is "
                          "missing); copy the whole folder that model.save() wrote, variables/ included")
    bundle = TensorBundle(folder / "variables" / "variables")
    kf = SavedModelKeras(path=str(folder), container="savedmodel", config=root["model_config"],
                         keras_version=root.get("keras_version"))
    kf.bundle = bundle
    kf.prefixes = _layer_prefixes(bundle, nodes, str(folder / "variables"))
    return kf


def _run(path, fn):
    from .keras_reader import _Builder, _guard

    return _guard(path, lambda: fn(_Builder(open_savedmodel(path))))


def read_tf_savedmodel(path: str | os.PathLike, module: str | None = None) -> RecurrentModel:
    """A TF2 Keras SavedModel folder (or its saved_model.pb, or a file in its variables/) -> RecurrentModel."""
    return _run(path, lambda b: b.build(module))


def describe_savedmodel_modules(path: str | os.PathLike) -> list[str]:
    return _run(path, lambda b: b.module_lines())


def list_savedmodel_modules(path: str | os.PathLike) -> list[str]:
    return _run(path, lambda b: b.module_names())
