"""A Keras model config -> the chain of layers a sequence flows through, in order.

Handles every config shape Keras has written:
- Sequential: Keras 3 / tf.keras ``{"layers": [...]}``, Keras 2.0-2.2 a bare list of layers;
- Functional (``Functional``, ``Model``): walked from the (first) output back to the input
  along each layer's inbound node, Keras 3 (``{"args": [{"config": {"keras_history": [...]}}]}``)
  and Keras 2 (``[[["name", node, tensor, {}]]]``) node formats.
A graph that merges several tensors (Concatenate, Add, a second input) is not a chain:
FormatError naming the layer. One exception, encoder-decoder models (keras-io lstm_seq2seq): a
recurrent layer called with ``initial_state=`` other layers' states follows its own input, and
the states' sources go into ``links`` (decoder layer -> (source layer, output indices)); the
encoder's chain is then read by walking back from its layer (``end=``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import FormatError

MODEL_CLASSES = ("Sequential", "Functional", "Model")
# Layers whose extra inbound tensors (Keras 2) are initial states, not merged inputs.
_STATEFUL_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "LSTMV1", "GRUV1"}


@dataclass
class LayerSpec:
    name: str
    class_name: str
    config: dict[str, Any]
    where: str = ""  # "file: layer 'name'", for messages about this layer
    mask_from: str | None = None  # Keras 3: the op whose tensor is passed as this layer's mask= (issue 14)


SAVE_AGAIN = "save the model again with model.save()"


def _spec(entry: Any, index: int, where: str) -> LayerSpec:
    """A layer entry of the config, its shape checked: an object with a class name, a name and a config object."""
    if not isinstance(entry, dict):
        raise FormatError(f"{where}: layer {index} of the model config is a JSON {type(entry).__name__}, not an "
                          f"object with class_name and config; the file is damaged: {SAVE_AGAIN}")
    cfg = entry.get("config")
    cfg = {} if cfg is None else cfg
    class_name = entry.get("class_name")
    if not isinstance(class_name, str):
        raise FormatError(f"{where}: layer {index} of the model config has no class_name (found {class_name!r}); "
                          f"the file is damaged: {SAVE_AGAIN}")
    if not isinstance(cfg, dict):
        raise FormatError(f"{where}: layer {index} ({class_name}) has a config that is a JSON "
                          f"{type(cfg).__name__}, not an object; the file is damaged: {SAVE_AGAIN}")
    name = entry.get("name") or cfg.get("name") or class_name
    if not isinstance(name, str):
        raise FormatError(f"{where}: layer {index} ({class_name}) has the name {name!r}, not a string; "
                          f"the file is damaged: {SAVE_AGAIN}")
    return LayerSpec(name=name, class_name=class_name, config=cfg, where=f"{where}: layer {name!r}")


def _mask_source(entry: dict[str, Any]) -> str | None:
    """Keras 3: the layer or op named by node 0's mask= tensor, None when no mask is passed."""
    nodes = entry.get("inbound_nodes")
    node = nodes[0] if isinstance(nodes, list) and nodes else None
    kwargs = node.get("kwargs") if isinstance(node, dict) else None
    mask = kwargs.get("mask") if isinstance(kwargs, dict) else None
    cfg = mask.get("config") if isinstance(mask, dict) else None
    hist = cfg.get("keras_history") if isinstance(cfg, dict) else None
    return (hist[0] if isinstance(hist, list) and hist else str(hist)) if hist else None


def _inbound_names(entry: dict[str, Any], name: str, where: str) -> list[str]:
    """Names of the layers feeding this layer's first call (node 0)."""
    nodes = entry.get("inbound_nodes") or []
    if not isinstance(nodes, list):
        raise FormatError(f"{where}: layer {name!r} has inbound_nodes that are a JSON {type(nodes).__name__}, not a "
                          f"list; the file is damaged: {SAVE_AGAIN}")
    if not nodes:
        return []
    node = nodes[0]
    names: list[str] = []

    def visit(obj: Any) -> None:  # Keras 3: tensors nested anywhere in args/kwargs carry keras_history
        if isinstance(obj, dict):
            tensor_cfg = obj.get("config") if obj.get("class_name") == "__keras_tensor__" else None
            hist = tensor_cfg.get("keras_history") if isinstance(tensor_cfg, dict) else None
            if hist:
                names.append(hist[0] if isinstance(hist, list) else hist)
                return
            for v in obj.values():
                visit(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                visit(v)

    if isinstance(node, dict):  # Keras 3
        visit(node.get("args", []))
        kwargs = node.get("kwargs", {})
        # the mask= tensor (Masking's any(x != v), Embedding's x != 0) is no data input: the reader
        # recomputes it from the Masking/Embedding layer and refuses masks it cannot
        visit({k: v for k, v in kwargs.items() if k != "mask"} if isinstance(kwargs, dict) else kwargs)
    elif isinstance(node, list):  # Keras 2: a list of [layer_name, node_index, tensor_index, kwargs]
        for item in node:
            if isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
                names.append(item[0])
    else:
        raise FormatError(f"{where}: layer {name!r} has an inbound node that is a JSON {type(node).__name__}; "
                          f"the file is damaged: {SAVE_AGAIN}")
    odd = [n for n in names if not isinstance(n, str)]
    if odd:
        raise FormatError(f"{where}: layer {name!r} is fed by {odd[0]!r}, which is not a layer name; "
                          f"the file is damaged: {SAVE_AGAIN}")
    return names


def _initial_states(entry: dict[str, Any], class_name: str) -> list[tuple[str, int]]:
    """(source layer, output index) of each initial_state tensor of a recurrent layer's first call."""
    nodes = entry.get("inbound_nodes") or []
    node = nodes[0] if isinstance(nodes, list) and nodes else None
    out = []
    if isinstance(node, dict):  # Keras 3: kwargs {"initial_state": [tensor, ...]}
        kwargs = node.get("kwargs")
        states = kwargs.get("initial_state") if isinstance(kwargs, dict) else None
        for t in states if isinstance(states, list) else []:
            cfg = t.get("config") if isinstance(t, dict) else None
            hist = cfg.get("keras_history") if isinstance(cfg, dict) else None
            if isinstance(hist, list) and len(hist) == 3 and isinstance(hist[0], str) and isinstance(hist[2], int):
                out.append((hist[0], hist[2]))
    elif isinstance(node, list) and class_name in _STATEFUL_CLASSES:  # Keras 2: input, then the states
        for item in node[1:]:
            if isinstance(item, (list, tuple)) and len(item) >= 3 and isinstance(item[0], str):
                out.append((item[0], int(item[2])))
    return out


def layer_order(model_config: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, class name) of every top-level layer in config order (how .keras files number them)."""
    cfg = model_config.get("config") if isinstance(model_config, dict) else None
    entries = cfg if isinstance(cfg, list) else (cfg or {}).get("layers") or []
    return [(s.name, s.class_name) for s in (_spec(e, i, "") for i, e in enumerate(entries))]


def layer_chain(model_config: dict[str, Any], where: str, end: str | None = None,
                links: dict[str, tuple[str, list[int]]] | None = None) -> tuple[str, list[LayerSpec], list[str]]:
    """(model name, layers from input to output, notes). Nested models are not flattened.

    ``end``: walk back from this layer instead of the model's output (an encoder); ``links``, if
    given, receives decoder layer -> (source layer, [output index of each initial state]).
    """
    if not isinstance(model_config, dict):
        raise FormatError(f"{where}: the model config is a JSON {type(model_config).__name__}, not an object; "
                          f"the file is damaged: {SAVE_AGAIN}")
    class_name = model_config.get("class_name")
    cfg = model_config.get("config")
    notes: list[str] = []
    if not isinstance(class_name, str) or class_name not in MODEL_CLASSES:
        raise FormatError(f"{where}: the saved object is a {class_name!r}, not a Keras model "
                          "(Sequential or functional); save the whole model with model.save()")
    if isinstance(cfg, list):  # Keras 2.0-2.2 Sequential
        return "sequential", [_spec(e, i, where) for i, e in enumerate(cfg)], notes
    if not isinstance(cfg, dict) or not isinstance(cfg.get("layers"), list):
        raise FormatError(f"{where}: the model config has no list of layers; the file is damaged or from an "
                          "unsupported Keras version")
    name = cfg.get("name") or class_name.lower()
    name = name if isinstance(name, str) else class_name.lower()
    entries = cfg["layers"]
    if class_name == "Sequential":
        chain = [_spec(e, i, where) for i, e in enumerate(entries)]
    else:
        chain = _functional_chain(entries, cfg, where, notes, end, {} if links is None else links)
    for spec in chain:
        if spec.class_name in MODEL_CLASSES:
            raise FormatError(f"{where}: layer {spec.name!r} is a nested {spec.class_name} model; gateviz reads one "
                              "level of layers. Rebuild the model flat (add the inner layers directly) and save again")
    return name, chain, notes


def _functional_chain(entries: list[dict[str, Any]], cfg: dict[str, Any], where: str,
                      notes: list[str], end: str | None, links: dict[str, tuple[str, list[int]]]) -> list[LayerSpec]:
    by_name = {}
    for i, e in enumerate(entries):
        spec = _spec(e, i, where)
        by_name[spec.name] = (spec, e)
    outputs = cfg.get("output_layers") or []
    # Keras 3 may store a single output as ["dense", 0, 0]; Keras 2 always as [["dense", 0, 0]]
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], str):
        outputs = [outputs]
    if not outputs:
        raise FormatError(f"{where}: the functional model config names no output layer")
    if not isinstance(outputs, list) or not all(isinstance(o, list) and o and isinstance(o[0], str) for o in outputs):
        raise FormatError(f"{where}: the functional model config's output_layers ({str(outputs)[:80]}) are not "
                          f"[layer name, node, tensor] lists; the file is damaged: {SAVE_AGAIN}")
    if len(outputs) > 1 and end is None:
        notes.append(f"model output {outputs[0][0]} of {len(outputs)} shown")
    chain: list[LayerSpec] = []
    current = outputs[0][0] if end is None else end
    seen = set()
    while current is not None:
        if current not in by_name:
            raise FormatError(f"{where}: the model config refers to layer {current!r} but does not define it")
        if current in seen:
            raise FormatError(f"{where}: layer {current!r} is used twice on the path to the output; "
                              "gateviz follows a simple chain of layers")
        seen.add(current)
        spec, entry = by_name[current]
        chain.append(spec)
        inbound = list(dict.fromkeys(_inbound_names(entry, spec.name, where)))
        spec.mask_from = _mask_source(entry)
        states = _initial_states(entry, spec.class_name)
        if states and len({src for src, _ in states}) == 1:  # a decoder: its states come from one encoder
            links[spec.name] = (states[0][0], [index for _, index in states])
            inbound = [n for n in inbound if n != states[0][0]]
        if len(inbound) > 1:
            raise FormatError(f"{where}: layer {spec.name!r} ({spec.class_name}) combines several inputs "
                              f"({', '.join(inbound)}); gateviz follows a single chain input -> recurrent "
                              "layers -> Dense")
        current = inbound[0] if inbound else None
    chain.reverse()
    return chain
