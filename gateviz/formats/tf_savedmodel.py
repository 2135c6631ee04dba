"""TF2 Keras SavedModel folders (issue 14), read without TensorFlow.

``model.save("dir")`` in tf.keras (Keras 2) writes
    dir/keras_metadata.pb   SavedMetadata: one SavedObject per Keras object (node_id 2, node_path 3,
                            identifier 4, metadata 5 = the object's Keras JSON; the root's holds
                            model_config and keras_version)
    dir/variables/          a tensor bundle whose keys follow the object graph, e.g.
                            layer_with_weights-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE
The root's model_config is what a .h5 file stores, so the Keras reader's own _Builder turns it into a
RecurrentModel; only where a layer's arrays come from differs.

Without keras_metadata.pb, saved_model.pb's object graph decides (SavedModel.meta_graphs[0] field 2 ->
MetaGraphDef.object_graph_def field 7 -> SavedObjectGraph.nodes field 1 -> SavedObject: children 1,
user_object 4 = SavedUserObject: identifier 1, metadata 3):
    TF 2.0-2.4 (model.save or tf.saved_model.save of a tf.keras model): every "_tf_keras_*" node's
        metadata holds the JSON keras_metadata.pb holds since 2.5 (tf_keras reads it the same way,
        load.py _read_legacy_metadata) -> read like keras_metadata.pb
    TF >= 2.5 tf.saved_model.save of a tf.keras model: "_tf_keras_*" nodes, empty metadata -> refused
    Keras 3 export(), a tf.Module: no "_tf_keras_*" node, only traced functions -> refused
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..core.errors import FormatError
from ..core.model import RecurrentModel
from .keras_files import KerasFile, load_json
from .tf_bundle import TensorBundle, _fields

_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
# Keras's get_weights() order inside one layer (what the .h5 reader hands the builder)
_LEAF_ORDER = {"embeddings": 0, "kernel": 1, "recurrent_kernel": 2, "bias": 3}


# tf_keras saving/saved_model/constants.py KERAS_OBJECT_IDENTIFIERS
KERAS_IDENTIFIERS = frozenset({"_tf_keras_input_layer", "_tf_keras_layer", "_tf_keras_metric", "_tf_keras_model",
                               "_tf_keras_network", "_tf_keras_rnn_layer", "_tf_keras_sequential"})
_MAX_PB = 1024 * 1024 * 1024  # protobuf's own limit is 2 GB; a model's saved_model.pb is far smaller


class GraphNode(NamedTuple):
    identifier: str  # a user object's ("_tf_keras_layer", "_generic_user_object", ...), else ""
    metadata: bytes  # its Keras JSON (TF <= 2.4), else b""
    children: list[tuple[int, str]]  # (node id, local name)


def object_graph(pb: Path) -> list[GraphNode]:
    """saved_model.pb's SavedObjectGraph nodes, by node id ([] when it has none)."""
    where = str(pb)
    size = pb.stat().st_size
    if size > _MAX_PB:
        raise FormatError(f"{pb} is {size:,} bytes, too large for a SavedModel's graph; it is not one gateviz can read")
    try:
        top = _fields(pb.read_bytes(), where)
        meta_graph = next((v for f, v in top if f == 2 and isinstance(v, bytes)), b"")
        graph = next((v for f, v in _fields(meta_graph, where) if f == 7 and isinstance(v, bytes)), b"")
        nodes = []
        for f, raw in _fields(graph, where):
            if f != 1 or not isinstance(raw, bytes):
                continue
            identifier, metadata, children = "", b"", []
            for k, v in _fields(raw, where):
                if k == 1 and isinstance(v, bytes):  # ObjectReference: node_id 1, local_name 2
                    ref = dict(_fields(v, where))
                    local = ref.get(2, b"")
                    if isinstance(ref.get(1, 0), int) and isinstance(local, bytes):
                        children.append((ref.get(1, 0), local.decode("utf-8", "replace")))
                elif k == 4 and isinstance(v, bytes):  # SavedUserObject
                    user = dict(_fields(v, where))
                    name, meta = user.get(1, b""), user.get(3, b"")
                    identifier = name.decode("utf-8", "replace") if isinstance(name, bytes) else ""
                    metadata = meta if isinstance(meta, bytes) else b""
            nodes.append(GraphNode(identifier, metadata, children))
        return nodes
    except FormatError:
        raise FormatError(f"{pb} is a TensorFlow SavedModel whose saved_model.pb cannot be decoded; the file is "
                          "damaged or truncated: save the model again") from None


def refuse_unreadable(folder: Path, nodes: list[GraphNode]) -> None:
    """FormatError naming the kind of SavedModel, unless its object graph holds Keras layer configs."""
    keras = [n for n in nodes if n.identifier in KERAS_IDENTIFIERS]
    if keras and all(n.metadata for n in keras):
        return  # TF 2.0-2.4: read as keras_metadata.pb
    if keras:
        raise FormatError(f"{folder} is a TensorFlow SavedModel; tf.saved_model.save wrote it from a tf.keras model, "
                          "which since TF 2.5 keeps no layer configs (only model.save writes them, to "
                          "keras_metadata.pb), so its activations and options are unknown. Save the model with "
                          "tf.keras model.save('dir'), model.save('model.keras') or model.save('model.h5') and open "
                          "that")
    raise FormatError(f"{folder} is a TensorFlow SavedModel; Keras 3 export() or tf.saved_model.save of a non-Keras "
                      "object wrote it: it holds no layer structure, only traced TensorFlow functions. Save the model "
                      "with model.save('model.keras') or model.save('model.h5') (tf.keras 2 also model.save('dir')) "
                      "and open that; from TensorFlow 1 code open the tf.train.Saver checkpoint (its .index file)")


def check_savedmodel(folder: Path) -> None:
    """FormatError unless gateviz reads this SavedModel folder (keras_metadata.pb, or TF <= 2.4's layout)."""
    if not (folder / "keras_metadata.pb").is_file():
        refuse_unreadable(folder, object_graph(folder / "saved_model.pb"))


def _folder(path: str | os.PathLike) -> Path:
    from .detect import _savedmodel_folder

    folder = _savedmodel_folder(Path(path))
    if folder is None:
        raise FormatError(f"{path} is not part of a TensorFlow SavedModel folder (no saved_model.pb next to it)")
    check_savedmodel(folder)
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


def _metadata(folder: Path, graph: list[GraphNode]) -> tuple[dict, dict[int, dict]]:
    """The root's Keras JSON and every node's JSON by its object-graph node id: from keras_metadata.pb, else
    (TF <= 2.4) from the object graph's user objects."""
    root, nodes = None, {}
    if not (folder / "keras_metadata.pb").is_file():
        where = str(folder / "saved_model.pb")
        for node_id, node in enumerate(graph):
            if node.identifier in KERAS_IDENTIFIERS and node.metadata:
                nodes[node_id] = load_json(node.metadata, where, "a Keras object's metadata")
        root = nodes.get(0)
    else:
        where = str(folder / "keras_metadata.pb")
        for field, value in _fields((folder / "keras_metadata.pb").read_bytes(), where):
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
    if not isinstance(root, dict) or not isinstance(root.get("model_config"), dict):
        raise FormatError(f"{where} holds no Keras model config (a subclassed model?); gateviz reads Sequential and "
                          "functional models: save the model with model.save('model.keras') and open that")
    return root, nodes


def _layer_prefixes(graph: list[GraphNode], nodes: dict[int, dict]) -> dict[str, str]:
    """Top-level layer name -> 'layer_with_weights-N' (the bundle's key prefix), from the root's children in
    saved_model.pb's object graph, whose node ids the Keras metadata uses (tf_keras save.py)."""
    out = {}
    for node_id, local in graph[0].children if graph else []:
        meta = nodes.get(node_id)
        name = meta.get("name") if isinstance(meta, dict) else None
        if local.startswith("layer_with_weights-") and isinstance(name, str):
            out[name] = local
    return out


def open_savedmodel(path: str | os.PathLike) -> SavedModelKeras:
    folder = _folder(path)
    graph = object_graph(folder / "saved_model.pb")
    root, nodes = _metadata(folder, graph)
    if not (folder / "variables" / "variables.index").is_file():
        raise FormatError(f"{folder} is a Keras SavedModel without its weights (variables/variables.index is "
                          "missing); copy the whole folder that model.save() wrote, variables/ included")
    bundle = TensorBundle(folder / "variables" / "variables")
    kf = SavedModelKeras(path=str(folder), container="savedmodel", config=root["model_config"],
                         keras_version=root.get("keras_version"))
    kf.bundle = bundle
    kf.prefixes = _layer_prefixes(graph, nodes)
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
