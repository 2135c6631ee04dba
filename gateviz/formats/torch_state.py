"""PyTorch nn.RNN / nn.LSTM / nn.GRU (and *Cell) weights -> canonical layers (gate-conventions.md §1).

Works on a plain mapping of names to arrays (a state_dict's tensors, or numpy arrays
read from safetensors), so the same code serves ``.pt`` files, ``.safetensors`` files
and live modules. Sizes, layer count, direction and projection are inferred from the
tensors; only an RNN's nonlinearity (tanh or relu) is invisible in the weights.

Cells driven by hand (nn.LSTMCell, nn.GRUCell, nn.RNNCell: keys ``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh`` without ``_l0``) are one layer each. Cells listed one after another
whose shapes chain (the same kind, each one's input size the previous one's hidden size, as
pytorch/examples' time_sequence_prediction: LSTMCell(1, 51) -> LSTMCell(51, 51)) are one stack;
a cell that does not chain starts a module of its own (``--module``), never stacked silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError
from ..core.model import DirectionWeights, RecurrentLayer

# nn.RNN/LSTM/GRU keys carry _l{k}[_reverse]; the *Cell modules' keys do not (layer is None then)
_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                  r"(?:_l(?P<layer>\d+)(?P<rev>_reverse)?)?$")
CELL_CLASSES = {"lstm": "LSTMCell", "gru": "GRUCell", "rnn": "RNNCell"}


def _module_name(prefix: str) -> str:
    return prefix[:-1] if prefix.endswith(".") else prefix or "(top level)"


@dataclass
class RecurrentModuleInfo:
    """What one recurrent module in a state_dict looks like: an nn.RNN/LSTM/GRU, or a stack of
    hand-driven cells (``cells`` lists their prefixes, first to last; ``hidden_size`` is the last's)."""

    prefix: str  # "" or e.g. "encoder.rnn."; a cell stack's first cell
    cell: str
    num_layers: int
    hidden_size: int
    input_size: int
    bidirectional: bool
    proj_size: int
    bias: bool
    cells: tuple[str, ...] = ()
    cell_sizes: tuple[int, ...] = ()  # each cell's hidden size

    @property
    def name(self) -> str:
        return _module_name(self.prefix)

    @property
    def names(self) -> list[str]:
        """Every name ``--module`` accepts for this module (any cell of a stack)."""
        return [_module_name(p) for p in self.cells] or [self.name]

    def describe(self) -> str:
        if self.cells:
            kind = CELL_CLASSES[self.cell]
            extras = "" if self.bias else ", bias=False"
            if len(self.cells) == 1:
                return f"{self.name}: {kind} input {self.input_size}, hidden {self.hidden_size}{extras}"
            return (f"{' -> '.join(self.names)}: {len(self.cells)} chained {kind}s, input {self.input_size}, "
                    f"hidden {', '.join(map(str, self.cell_sizes))}{extras}")
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
    """Every nn.RNN/LSTM/GRU-shaped group of tensors in a state_dict, and every stack of chained
    cells, in file order."""
    groups: dict[str, dict[str, object]] = {}
    cells: dict[str, dict[str, object]] = {}
    span: dict[str, list[int]] = {}  # a cell's first and last key position in the file
    for pos, (key, value) in enumerate(state.items()):
        m = _KEY.match(key)
        if m:
            target = groups if m["layer"] is not None else cells
            target.setdefault(m["prefix"], {})[key[len(m["prefix"]):]] = value
            if m["layer"] is None:
                span.setdefault(m["prefix"], [pos, pos])[1] = pos
    found: list[tuple[int, RecurrentModuleInfo]] = []
    for prefix, tensors in groups.items():
        if "weight_ih_l0" not in tensors or "weight_hh_l0" not in tensors:
            continue
        found.append((_first_position(state, prefix), _inspect(prefix, tensors)))
    stack: list[tuple[str, RecurrentModuleInfo]] = []
    misfits: list[FormatError] = []
    for prefix, tensors in cells.items():
        if "weight_ih" not in tensors or "weight_hh" not in tensors or "weight_hr" in tensors:
            continue  # not a torch cell (a cell has no projection)
        try:
            one = _inspect_cell(prefix, tensors)
        except FormatError as e:  # a custom module's own weight_ih: no reason to refuse the others
            misfits.append(e)
            continue
        if stack and not _chains(stack[-1], (prefix, one), span):
            found.append((span[stack[0][0]][0], _stack_info(stack)))
            stack = []
        stack.append((prefix, one))
    if stack:
        found.append((span[stack[0][0]][0], _stack_info(stack)))
    if misfits and not found:
        raise misfits[0]
    return [info for _, info in sorted(found, key=lambda f: f[0])]


def _first_position(state: Mapping[str, object], prefix: str) -> int:
    return next(i for i, k in enumerate(state) if k.startswith(prefix) and _KEY.match(k[len(prefix):]))


def _chains(prev: tuple[str, RecurrentModuleInfo], nxt: tuple[str, RecurrentModuleInfo],
            span: Mapping[str, list[int]]) -> bool:
    """The next cell reads the previous one's h: the same kind, sizes that fit, and nothing stored
    between them (a LayerNorm or Linear there would sit between the two in forward())."""
    (p, a), (n, b) = prev, nxt
    return a.cell == b.cell and b.input_size == a.hidden_size and span[n][0] == span[p][1] + 1


def _stack_info(stack: list[tuple[str, RecurrentModuleInfo]]) -> RecurrentModuleInfo:
    first, last = stack[0][1], stack[-1][1]
    return RecurrentModuleInfo(first.prefix, first.cell, len(stack), last.hidden_size, first.input_size,
                               bidirectional=False, proj_size=0, bias=all(c.bias for _, c in stack),
                               cells=tuple(p for p, _ in stack), cell_sizes=tuple(c.hidden_size for _, c in stack))


def _inspect_cell(prefix: str, t: Mapping[str, object]) -> RecurrentModuleInfo:
    """One nn.LSTMCell/GRUCell/RNNCell: weight_ih (G*H, in), weight_hh (G*H, H)."""
    where = prefix[:-1] if prefix else "the state_dict"
    w_ih, w_hh = _np(t["weight_ih"], prefix + "weight_ih"), _np(t["weight_hh"], prefix + "weight_hh")
    if w_ih.ndim != 2 or w_hh.ndim != 2:
        raise FormatError(f"{where}: weight_ih and weight_hh must be 2-D, got {w_ih.shape} and {w_hh.shape}")
    hidden, rows = int(w_hh.shape[1]), int(w_ih.shape[0])
    cell = {1: "rnn", 3: "gru", 4: "lstm"}.get(rows // hidden if hidden and rows % hidden == 0 else 0)
    if cell is None:
        raise FormatError(f"{where}: weight_ih has {rows} rows for a hidden size of {hidden}; nn.RNNCell has 1x, "
                          "nn.GRUCell 3x, nn.LSTMCell 4x the hidden size")
    return RecurrentModuleInfo(prefix, cell, 1, hidden, int(w_ih.shape[1]), bidirectional=False, proj_size=0,
                               bias="bias_ih" in t or "bias_hh" in t, cells=(prefix,), cell_sizes=(hidden,))


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


def layers_from_info(state: Mapping[str, object], info: RecurrentModuleInfo, *,
                     nonlinearity: str = "tanh") -> list[RecurrentLayer]:
    """Canonical layers of one module that find_recurrent_modules found (a module or a cell stack)."""
    if info.cells:
        return [_cell_layer(_own(state, p), p, nonlinearity) for p in info.cells]
    return layers_from_state_dict(state, info.prefix, nonlinearity=nonlinearity)


def _own(state: Mapping[str, object], prefix: str) -> dict[str, object]:
    """The recurrent tensors stored exactly under ``prefix`` (not in a module nested deeper), unprefixed."""
    sub = {}
    for key, value in state.items():
        m = _KEY.match(key)
        if m and m["prefix"] == prefix:
            sub[key[len(prefix):]] = value
    return sub


def _cell_layer(sub: Mapping[str, object], prefix: str, nonlinearity: str) -> RecurrentLayer:
    """One hand-driven cell -> one layer (its tensors carry the same layout as nn.LSTM's layer 0)."""
    info = _inspect_cell(prefix, sub)
    G, H = {"rnn": 1, "gru": 3, "lstm": 4}[info.cell], info.hidden_size
    if info.bias and not ("bias_ih" in sub and "bias_hh" in sub):
        raise FormatError(f"missing tensor {prefix}{'bias_hh' if 'bias_ih' in sub else 'bias_ih'}; this "
                          f"nn.{CELL_CLASSES[info.cell]} is incomplete (it needs weight_ih, weight_hh, bias_ih and "
                          "bias_hh, or no bias at all; save the whole module's state_dict)")
    Wx, Wh = _np(sub["weight_ih"], prefix + "weight_ih"), _np(sub["weight_hh"], prefix + "weight_hh")
    zeros = np.zeros(G * H, dtype=Wx.dtype)
    bx = _np(sub["bias_ih"], prefix + "bias_ih") if info.bias else zeros
    bh = _np(sub["bias_hh"], prefix + "bias_hh") if info.bias else zeros.copy()
    return RecurrentLayer(cell=info.cell, units=H, input_size=info.input_size,
                          directions=[DirectionWeights(Wx=Wx, Wh=Wh, bx=bx, bh=bh)],
                          activation=Activation(nonlinearity if info.cell == "rnn" else "tanh"))


def layers_from_state_dict(state: Mapping[str, object], prefix: str = "", *,
                           nonlinearity: str = "tanh") -> list[RecurrentLayer]:
    """Canonical layers of the recurrent module (or the one cell) stored under ``prefix``."""
    sub = _own(state, prefix)
    if "weight_ih" in sub and "weight_ih_l0" not in sub:  # an nn.*Cell
        return [_cell_layer(sub, prefix, nonlinearity)]
    sub = {k: v for k, v in sub.items() if _KEY.match(k)["layer"] is not None}
    if "weight_ih_l0" not in sub or "weight_hh_l0" not in sub:
        raise FormatError(f"{_module_name(prefix)} holds no nn.RNN/LSTM/GRU or *Cell weights (weight_ih_l0 and "
                          "weight_hh_l0, or weight_ih and weight_hh)")
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
    """Canonical layers of a live torch.nn.RNN / LSTM / GRU or *Cell (knows an RNN's nonlinearity), or of
    a module holding exactly one of them or one stack of chained cells (each RNNCell's own nonlinearity)."""
    state = module.state_dict()
    if any(_KEY.match(k) and "." not in k for k in state):  # the module itself
        return layers_from_state_dict(state, "", nonlinearity=getattr(module, "nonlinearity", "tanh"))
    found = find_recurrent_modules(state)
    if len(found) != 1:
        listed = "; ".join(i.describe() for i in found) or "none"
        raise FormatError(f"{type(module).__name__} holds {len(found)} recurrent modules ({listed}); pass the one to "
                          "trace (an nn.RNN/LSTM/GRU, or a module whose cells chain)")
    info = found[0]
    prefixes = info.cells or (info.prefix,)
    layers = []
    for p in prefixes:
        sub = module.get_submodule(p[:-1]) if p else module
        layers += layers_from_state_dict(state, p, nonlinearity=getattr(sub, "nonlinearity", "tanh"))
    return layers
