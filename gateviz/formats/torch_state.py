"""PyTorch nn.RNN / nn.LSTM / nn.GRU weights -> canonical layers (gate-conventions.md §1).

Works on a plain mapping of names to arrays (a state_dict's tensors, or numpy arrays
read from safetensors), so the same code serves ``.pt`` files, ``.safetensors`` files
and live modules. Sizes, layer count, direction and projection are inferred from the
tensors; only an RNN's nonlinearity (tanh or relu) is invisible in the weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError
from ..core.model import DirectionWeights, RecurrentLayer

_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)(?P<rev>_reverse)?$")


@dataclass
class RecurrentModuleInfo:
    """What one recurrent module in a state_dict looks like."""

    prefix: str  # "" or e.g. "encoder.rnn."
    cell: str
    num_layers: int
    hidden_size: int
    input_size: int
    bidirectional: bool
    proj_size: int
    bias: bool

    @property
    def name(self) -> str:
        return self.prefix[:-1] if self.prefix.endswith(".") else self.prefix or "(top level)"

    def describe(self) -> str:
        extras = ", bidirectional" if self.bidirectional else ""
        extras += f", proj_size={self.proj_size}" if self.proj_size else ""
        extras += "" if self.bias else ", bias=False"
        return (f"{self.name}: {self.cell.upper()} input {self.input_size}, hidden {self.hidden_size}, "
                f"{self.num_layers} layer(s){extras}")


def _np(value, name: str = "a tensor") -> np.ndarray:
    """A tensor (torch or numpy) -> a real-valued numpy array; FormatError naming ``name`` otherwise."""
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        raise FormatError(f"{name} is a {type(value).__name__}, not a tensor")
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16" or str(value.dtype) == "torch.float16":
            value = value.float()
        try:
            value = value.numpy()
        except (TypeError, RuntimeError) as e:  # quantised, sparse, float8...: numpy cannot hold it
            raise FormatError(f"{name} is a {value.dtype} tensor, which gateviz cannot read ({e}); save it "
                              "as float32") from None
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        kind = "complex" if arr.dtype.kind == "c" else "non-numeric"
        raise FormatError(f"{name} holds {kind} values ({arr.dtype}); gateviz traces real-valued weights "
                          "(float or integer)")
    return arr


def find_recurrent_modules(state: Mapping[str, object]) -> list[RecurrentModuleInfo]:
    """Every nn.RNN/LSTM/GRU-shaped group of tensors in a state_dict, in file order."""
    groups: dict[str, dict[str, object]] = {}
    for key, value in state.items():
        m = _KEY.match(key)
        if m:
            groups.setdefault(m["prefix"], {})[key[len(m["prefix"]):]] = value
    found = []
    for prefix, tensors in groups.items():
        if "weight_ih_l0" not in tensors or "weight_hh_l0" not in tensors:
            continue
        found.append(_inspect(prefix, tensors))
    return found


def _inspect(prefix: str, t: Mapping[str, object]) -> RecurrentModuleInfo:
    where = prefix[:-1] if prefix else "the state_dict"
    w_ih, w_hh = _np(t["weight_ih_l0"], prefix + "weight_ih_l0"), _np(t["weight_hh_l0"], prefix + "weight_hh_l0")
    if w_ih.ndim != 2 or w_hh.ndim != 2:
        raise FormatError(f"{where}: weight_ih_l0 and weight_hh_l0 must be 2-D, got {w_ih.shape} and {w_hh.shape}")
    if "weight_hr_l0" in t:
        w_hr = _np(t["weight_hr_l0"], prefix + "weight_hr_l0")
        if w_hr.ndim != 2:
            raise FormatError(f"{where}: weight_hr_l0 must be 2-D (proj_size, hidden_size), got {w_hr.shape}")
        hidden, proj = int(w_hr.shape[1]), int(w_hr.shape[0])
    else:
        hidden, proj = int(w_hh.shape[1]), 0
    rows = int(w_ih.shape[0])
    if hidden == 0 or rows % hidden:
        raise FormatError(f"{where}: weight_ih_l0 has {rows} rows, not a multiple of the hidden size {hidden}")
    gates = rows // hidden
    cell = {1: "rnn", 3: "gru", 4: "lstm"}.get(gates)
    if cell is None:
        raise FormatError(f"{where}: weight_ih_l0 has {gates}x the hidden size in rows; nn.RNN has 1, nn.GRU 3, "
                          "nn.LSTM 4")
    layers = 1 + max(int(_KEY.match(k)["layer"]) for k in t)
    # bias=False drops both biases; one of the two alone is a damaged file (layers_from_state_dict names it)
    return RecurrentModuleInfo(prefix, cell, layers, hidden, int(w_ih.shape[1]),
                               bidirectional="weight_ih_l0_reverse" in t, proj_size=proj,
                               bias="bias_ih_l0" in t or "bias_hh_l0" in t)


def layers_from_state_dict(state: Mapping[str, object], prefix: str = "", *,
                           nonlinearity: str = "tanh") -> list[RecurrentLayer]:
    """Canonical layers of the recurrent module stored under ``prefix``."""
    sub = {}
    for key, value in state.items():
        m = _KEY.match(key)
        if m and m["prefix"] == prefix:  # exactly this module, not one nested deeper under it
            sub[key[len(prefix):]] = value
    info = _inspect(prefix, sub)
    G, H = {"rnn": 1, "gru": 3, "lstm": 4}[info.cell], info.hidden_size
    expected = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if info.bias else []) \
        + (["weight_hr"] if info.proj_size else [])

    def need(key: str, k: int) -> np.ndarray:
        if key not in sub:
            raise FormatError(f"missing tensor {prefix}{key}; layer {k} of this "
                              f"{info.cell.upper()} is incomplete (each layer needs "
                              f"{', '.join(expected)}; save the whole module's state_dict)")
        return _np(sub[key], prefix + key)

    layers = []
    for k in range(info.num_layers):
        directions = []
        for rev in ([False, True] if info.bidirectional else [False]):
            sfx = f"_l{k}" + ("_reverse" if rev else "")
            Wx, Wh = need("weight_ih" + sfx, k), need("weight_hh" + sfx, k)
            zeros = np.zeros(G * H, dtype=Wx.dtype)
            bx = need("bias_ih" + sfx, k) if info.bias else zeros
            bh = need("bias_hh" + sfx, k) if info.bias else zeros.copy()
            Whr = need("weight_hr" + sfx, k) if info.proj_size else None
            if Wx.ndim != 2:
                raise FormatError(f"{prefix}weight_ih{sfx} must be 2-D, got shape {Wx.shape}")
            directions.append(DirectionWeights(Wx=Wx, Wh=Wh, bx=bx, bh=bh, Whr=Whr, reverse=rev))
        layer = RecurrentLayer(
            cell=info.cell, units=H, input_size=int(directions[0].Wx.shape[1]), directions=directions,
            activation=Activation(nonlinearity if info.cell == "rnn" else "tanh"),
        )
        layers.append(layer)
    return layers


def layers_from_module(module) -> list[RecurrentLayer]:
    """Canonical layers of a live torch.nn.RNN / LSTM / GRU (knows an RNN's nonlinearity)."""
    nonlinearity = getattr(module, "nonlinearity", "tanh")
    return layers_from_state_dict(module.state_dict(), "", nonlinearity=nonlinearity)
