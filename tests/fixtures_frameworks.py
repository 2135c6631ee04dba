"""Helpers that build real framework fixtures at test time and read the frameworks' own answers.

Keras runs on the torch backend (conftest sets KERAS_BACKEND=torch); ONNX files come from
torch.onnx.export or onnx.helper and are run with onnxruntime. Everything is small so the
tests stay fast; keras is imported lazily (it takes seconds).
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")


def keras():
    import keras as _keras

    return _keras


def open_model(path, module=None):
    """Through the app's dispatcher when it exists (content detection), else the readers directly."""
    try:
        from gateviz.formats import load_model
    except ImportError:
        load_model = None
    if load_model is not None:
        return load_model(path, module=module)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\x89HDF") or head.startswith(b"PK"):
        from gateviz.formats.keras_reader import read_keras

        return read_keras(path, module=module)
    from gateviz.formats.onnx_reader import read_onnx

    return read_onnx(path, module=module)


# --------------------------------------------------------------------------- Keras


def _np(t) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t)


def is_keras_recurrent(layer) -> bool:
    k = keras()
    return isinstance(layer, (k.layers.RNN, k.layers.Bidirectional))


def _full_sequence(layer, xin: np.ndarray) -> np.ndarray:
    """A recurrent Keras layer's whole output sequence (N, T, U) in its processing order, even when
    the layer itself returns only the last state: a clone with return_sequences=True, same weights."""
    cfg = layer.get_config()
    cfg["return_sequences"] = True
    clone = type(layer).from_config(cfg)
    clone(xin)  # build
    clone.set_weights(layer.get_weights())
    return _np(clone(xin))


def keras_direction_states(model, x: np.ndarray) -> list[list[np.ndarray]]:
    """Per recurrent layer, per direction (forward, backward): hidden states (N, T, U) aligned with
    the model's input time, computed by Keras itself."""
    k = keras()
    out = []
    reversed_in = False  # is the layer's input in reversed time (after a lone go_backwards layer)?
    for layer in model.layers:
        if not is_keras_recurrent(layer):
            continue
        xin = _np(k.Model(model.inputs, layer.input)(x))
        if isinstance(layer, k.layers.Bidirectional):
            fwd = _full_sequence(layer.forward_layer, xin)
            bwd = _full_sequence(layer.backward_layer, xin)[:, ::-1]  # processing order -> input order
            dirs = [fwd, bwd]
        else:
            seq = _full_sequence(layer, xin)
            if layer.go_backwards:
                seq = seq[:, ::-1]
            dirs = [seq]
            reversed_next = reversed_in != layer.go_backwards
        dirs = [d[:, ::-1] if reversed_in else d for d in dirs]
        out.append([np.ascontiguousarray(d) for d in dirs])
        if not isinstance(layer, k.layers.Bidirectional):
            reversed_in = reversed_next if layer.return_sequences else False
    return out


def keras_output_reversed(model) -> list[bool]:
    """Per recurrent layer: does Keras return its sequence in reversed input time (go_backwards parity)?"""
    k = keras()
    flags, reversed_in = [], False
    for layer in model.layers:
        if not is_keras_recurrent(layer):
            continue
        if isinstance(layer, k.layers.Bidirectional):
            flags.append(reversed_in)
        else:
            rev = reversed_in != layer.go_backwards
            flags.append(rev)
            reversed_in = rev if layer.return_sequences else False
    return flags


def keras_layer_outputs(model, x: np.ndarray) -> list[np.ndarray]:
    """Each recurrent layer's own output as Keras returns it (merged, final state or sequence)."""
    k = keras()
    return [_np(k.Model(model.inputs, layer.output)(x)) for layer in model.layers if is_keras_recurrent(layer)]


def merge(mode: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return {"concat": lambda: np.concatenate([a, b], -1), "sum": lambda: a + b, "mul": lambda: a * b,
            "ave": lambda: (a + b) / 2}[mode]()


def max_abs(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)))


# --------------------------------------------------------------------------- ONNX


def onnx_run(path, feeds: dict, extra_outputs: list[str] = ()) -> dict[str, np.ndarray]:
    """Run an ONNX file with onnxruntime on the CPU; extra_outputs exposes intermediate tensors too."""
    import onnx
    import onnxruntime as ort

    proto = onnx.load(str(path))
    present = {o.name for o in proto.graph.output}
    for name in extra_outputs:
        if name not in present:
            proto.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def onnx_recurrent_outputs(path, feeds: dict) -> list[list[np.ndarray]]:
    """Per recurrent node (graph order), per direction: Y as (N, T, H), computed by onnxruntime."""
    import onnx

    proto = onnx.load(str(path))
    nodes = [n for n in proto.graph.node if n.op_type in ("LSTM", "GRU", "RNN")]
    outs = onnx_run(path, feeds, [n.output[0] for n in nodes])
    result = []
    for n in nodes:
        y = outs[n.output[0]]
        layout = next((a.i for a in n.attribute if a.name == "layout"), 0)
        # layout 0: (T, D, N, H); layout 1: (N, T, D, H) -> (D, N, T, H)
        y = y.transpose(1, 2, 0, 3) if layout == 0 else y.transpose(2, 0, 1, 3)
        result.append(list(y))
    return result
