"""Keras layers -> what the reader needs to know of them (keras_reader.py assembles the model).

Which layer classes are recurrent (LSTM/GRU/SimpleRNN, RNN(cell), Bidirectional of these) and
their configs, which are inference no-ops, how the layers split into runs of one cell kind, and
the per-direction weight conversion of gate-conventions.md §2:
    Wx = kernel.T, Wh = recurrent_kernel.T; LSTM keeps i|f|c|o (= i,f,g,o), bx = bias, bh = 0;
    GRU permutes blocks z|r|h -> r|z|n, reset_after=True: bx = bias[0], bh = bias[1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError
from ..core.model import DirectionWeights
from .keras_graph import LayerSpec

RECURRENT_CLASSES = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn", "LSTMV1": "lstm", "GRUV1": "gru"}
CELL_CLASSES = {"LSTMCell": "lstm", "GRUCell": "gru", "SimpleRNNCell": "rnn"}
# Layers that do nothing at inference time: a sequence passes through unchanged.
PASSTHROUGH_CLASSES = {"InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
                       "AlphaDropout", "ActivityRegularization"}
HEAD_ACTIVATIONS = {"linear": "identity", None: "identity", "softmax": "softmax", "sigmoid": "sigmoid",
                    "tanh": "tanh", "relu": "relu"}
KERAS_ACTIVATIONS = {"tanh", "sigmoid", "relu", "linear", "hard_sigmoid", "softsign", "softplus", "elu"}
SUPPORTED_TEXT = "LSTM, GRU, SimpleRNN, RNN(LSTMCell/GRUCell/SimpleRNNCell) and Bidirectional of these"


# --------------------------------------------------------------------------- layer kinds


@dataclass
class _Recurrent:
    """One top-level recurrent layer, resolved: its cell and per-direction configs."""

    spec: LayerSpec
    cell: str
    forward: dict[str, Any]  # the (only, or forward) layer's config, cell options merged in
    backward: dict[str, Any] | None = None  # Bidirectional's backward layer config
    merge: str | None = "concat"

    @property
    def bidirectional(self) -> bool:
        return self.backward is not None

    @property
    def return_sequences(self) -> bool:
        return bool(self.forward.get("return_sequences", False))


def _nested(config: dict[str, Any], key: str, where: str) -> tuple[str, dict[str, Any]] | None:
    """(class_name, config) of a layer nested in ``config[key]`` (Bidirectional's layer, RNN's cell); None if absent."""
    value = config.get(key)
    if not value:
        return None
    inner = value.get("config") if isinstance(value, dict) else None
    inner = {} if inner is None else inner
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str) or not isinstance(inner, dict):
        raise FormatError(f"{where}: its {key!r} is not a layer (an object with class_name and config): found "
                          f"{str(value)[:60]!r}; the file is damaged: save the model again with model.save()")
    return value["class_name"], inner


def _units(cfg: dict[str, Any], where: str) -> int:
    units = cfg.get("units")
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise FormatError(f"{where}: units is {units!r}, not a positive whole number; the file is damaged: "
                          "save the model again with model.save()")
    return units


def _rnn_config(class_name: str, config: dict[str, Any], where: str) -> tuple[str, dict[str, Any]] | None:
    """(cell, config with the cell's options) for LSTM/GRU/SimpleRNN or RNN(cell); None otherwise."""
    if class_name in RECURRENT_CLASSES:
        return RECURRENT_CLASSES[class_name], config
    if class_name == "RNN":
        cell = _nested(config, "cell", where)
        kind = CELL_CLASSES.get(cell[0]) if cell else None
        if kind is None:
            return None
        merged = dict(cell[1])
        merged.update({k: v for k, v in config.items() if k != "cell"})
        return kind, merged
    return None


def _as_recurrent(spec: LayerSpec) -> _Recurrent | None:
    if spec.class_name == "Bidirectional":
        inner = _nested(spec.config, "layer", spec.where)
        fwd = _rnn_config(*inner, spec.where) if inner else None
        if fwd is None:
            return None
        back_entry = _nested(spec.config, "backward_layer", spec.where)
        if back_entry:
            bwd = _rnn_config(*back_entry, spec.where)
            if bwd is None:
                return None
            if bwd[0] != fwd[0]:
                raise FormatError(f"Bidirectional layer {spec.name!r} has a {fwd[0].upper()} forward and a "
                                  f"{bwd[0].upper()} backward layer; gateviz needs one cell kind per layer")
            back_cfg = bwd[1]
        else:  # Keras copies the forward layer with go_backwards flipped
            back_cfg = dict(fwd[1], go_backwards=not fwd[1].get("go_backwards", False))
        return _Recurrent(spec, fwd[0], fwd[1], back_cfg, spec.config.get("merge_mode", "concat"))
    found = _rnn_config(spec.class_name, spec.config, spec.where)
    if found is None:
        return None
    return _Recurrent(spec, found[0], found[1])


def _kind(spec: LayerSpec) -> str:
    if spec.class_name in PASSTHROUGH_CLASSES:
        return "pass"
    if spec.class_name in ("CuDNNLSTM", "CuDNNGRU"):
        return "other"
    if _as_recurrent(spec) is not None:
        return "rnn"
    if spec.class_name == "Embedding":
        return "embedding"
    if spec.class_name == "Masking":
        return "masking"
    if spec.class_name == "Dense" or (spec.class_name == "TimeDistributed"
                                       and (_nested(spec.config, "layer", spec.where) or ("",))[0] == "Dense"):
        return "dense"
    if spec.class_name in ("Activation", "Softmax"):
        return "activation"
    return "other"


def _describe(spec: LayerSpec) -> str:
    return f"{spec.name} ({spec.class_name})"


# --------------------------------------------------------------------------- runs


@dataclass
class _Run:
    cell: str
    indices: list[int] = field(default_factory=list)

    def names(self, chain: list[LayerSpec]) -> list[str]:
        return [chain[i].name for i in self.indices]


def _runs(chain: list[LayerSpec]) -> list[_Run]:
    runs: list[_Run] = []
    current: _Run | None = None
    for idx, spec in enumerate(chain):
        kind = _kind(spec)
        if kind == "rnn":
            cell = _as_recurrent(spec).cell
            if current is None or current.cell != cell:
                current = _Run(cell)
                runs.append(current)
            current.indices.append(idx)
        elif kind != "pass":
            current = None
    return runs


def _blockers(chain: list[LayerSpec], run: _Run) -> list[LayerSpec]:
    """Layers before the run that gateviz cannot put in front of it (an Embedding right before is fine)."""
    before = [s for s in chain[:run.indices[0]] if _kind(s) != "pass"]
    if before and _kind(before[-1]) in ("embedding", "masking"):
        before = before[:-1]
    return before


# --------------------------------------------------------------------------- activations


def _activation(value: Any, major: int, where: str) -> Activation:
    """A Keras activation from the config (a name, or Keras 3's serialized function dict)."""
    if isinstance(value, dict):
        cfg = value.get("config")
        value = cfg if isinstance(cfg, str) else value.get("class_name")
    if value is not None and not isinstance(value, str):
        raise FormatError(f"{where}: activation {str(value)[:60]!r} is not an activation name; the file is damaged: "
                          "save the model again with model.save()")
    name = (value or "linear").lower()
    if name == "hard_sigmoid":
        return Activation("hard_sigmoid_keras3" if major >= 3 else "hard_sigmoid_keras2")
    if name not in KERAS_ACTIVATIONS:
        raise FormatError(f"{where}: activation {value!r} is not supported; gateviz knows "
                          f"{', '.join(sorted(KERAS_ACTIVATIONS))}")
    return Activation(name)


# --------------------------------------------------------------------------- weights


def _direction(cell: str, cfg: dict[str, Any], arrays: list[np.ndarray], reverse: bool, where: str) -> DirectionWeights:
    """Keras kernel/recurrent_kernel/bias of one direction -> canonical DirectionWeights."""
    units = _units(cfg, where)
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    use_bias = cfg.get("use_bias", True)
    expected = 3 if use_bias else 2
    if len(arrays) != expected:
        raise FormatError(f"{where}: expected {expected} weight tensors (kernel, recurrent_kernel"
                          f"{', bias' if use_bias else ''}), found {len(arrays)}; the file is damaged")
    kernel, recurrent = arrays[0], arrays[1]
    if kernel.ndim != 2 or kernel.shape[1] != gates * units or recurrent.shape != (units, gates * units):
        raise FormatError(f"{where}: kernel {kernel.shape} / recurrent_kernel {recurrent.shape} do not fit a "
                          f"{cell.upper()} with {units} units (expected (in, {gates * units}) and "
                          f"({units}, {gates * units}))")
    Wx, Wh = np.ascontiguousarray(kernel.T), np.ascontiguousarray(recurrent.T)  # (G*U, in), (G*U, U)
    zeros = np.zeros(gates * units, dtype=Wx.dtype)
    bx, bh = zeros, zeros.copy()
    if use_bias:
        bias = arrays[2]
        if cell == "gru" and bias.ndim == 2:  # reset_after=True: row 0 input bias, row 1 recurrent bias
            bx, bh = bias[0].copy(), bias[1].copy()
        else:
            bx = bias.reshape(-1).copy()
        if bx.shape != (gates * units,):
            raise FormatError(f"{where}: bias has shape {bias.shape}, which does not fit a {cell.upper()} with "
                              f"{units} units")
    if cell == "gru":  # blocks z|r|h -> r|z|n
        perm = np.concatenate([np.arange(units, 2 * units), np.arange(units), np.arange(2 * units, 3 * units)])
        Wx, Wh, bx, bh = Wx[perm], Wh[perm], bx[perm], bh[perm]
    return DirectionWeights(Wx=Wx, Wh=Wh, bx=bx, bh=bh, reverse=reverse)


def _reset_after(cfg: dict[str, Any], arrays: list[np.ndarray]) -> bool:
    if "reset_after" in cfg:
        return bool(cfg["reset_after"])
    # key missing before Keras 2.1.5 (-> False); trust a 2-row bias if one is there
    return len(arrays) > 2 and arrays[2].ndim == 2


# --------------------------------------------------------------------------- the reader
