"""TensorFlow 1 checkpoints (``tf.train.Saver``) of rnn_cell models -> RecurrentModel (gate-conventions.md §4).

The cells are recognised by their variable names, under any scope (``rnn/`` for dynamic_rnn):

    …/basic_lstm_cell/{kernel,bias}                       BasicLSTMCell
    …/lstm_cell/{kernel,bias[,w_i_diag,w_f_diag,w_o_diag][,projection/kernel]}   LSTMCell
    …/gru_cell/{gates,candidate}/{kernel,bias}             GRUCell
    …/basic_rnn_cell/{kernel,bias}                        BasicRNNCell
    …/multi_rnn_cell/cell_k/…                             layer k of a MultiRNNCell stack
    …/bidirectional_rnn/{fw,bw}/…                         the two directions of bidirectional_dynamic_rnn
    …/cell_k/bidirectional_rnn/{fw,bw}/…                  layer k of stack_bidirectional_dynamic_rnn

TF1 kernels are ``[x; h]`` stacked, ``(I + Hr, G·H)``, gates ``i, j, f, o`` (j the candidate) for
LSTMs and ``r, u`` + a separate candidate for GRUs (reset before the matmul), one bias. What the
checkpoint does not store — ``forget_bias`` (added to f at run time), ``cell_clip``, ``proj_clip``,
the activation — is read from the ``.meta`` graph next to it (tf_meta.py), else takes TF's defaults
(forget_bias 1.0, no clipping, tanh), unless given; the model's name says which. Plain variables
that fit a dense read-out of the last layer (seed note 002's ``weights['out']``, ``biases['out']``;
``dense/kernel``) become the head; one that fits a dense
projection in front of the first layer (``weights['in']``) is folded into layer 0's input weights
(``Wx·(W_inᵀx + b_in) = (Wx W_inᵀ)x + Wx b_in``, exact), so the model reads the raw input; one named
``embedding`` (``tf.nn.embedding_lookup``) becomes the input stage, so the model reads ids.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError, ModuleChoiceRequired
from ..core.model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel
from .tf_bundle import TensorBundle, checkpoint_prefix
from .tf_meta import Found, read_meta_options

_CELL = re.compile(r"^(?P<scope>(?:.*/)?)(?P<cell>basic_lstm_cell|lstm_cell|gru_cell|basic_rnn_cell)/"
                   r"(?P<var>kernel|bias|w_i_diag|w_f_diag|w_o_diag|projection/kernel|"
                   r"(?:gates|candidate)/(?:kernel|bias))$")
KINDS = {"basic_lstm_cell": "lstm", "lstm_cell": "lstm", "gru_cell": "gru", "basic_rnn_cell": "rnn"}
# optimizer slots and bookkeeping: never weights of the model
_SLOT = re.compile(r"(^|/)(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|Adadelta|Adadelta_\d+|Ftrl|"
                   r"Ftrl_\d+|ExponentialMovingAverage|AdamW|Nadam)$|^(global_step|beta[12]_power)$")
TF_FORGET_BIAS = 1.0  # BasicLSTMCell's and LSTMCell's default


@dataclass
class _Module:
    """One recurrent module: its cells by (layer, direction) -> (TF cell scope name, {var: tensor name})."""

    name: str
    cells: dict[tuple[int, str], tuple[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def kinds(self) -> set[str]:
        return {KINDS[c] for c, _ in self.cells.values()}

    @property
    def num_layers(self) -> int:
        return 1 + max(k for k, _ in self.cells)

    @property
    def bidirectional(self) -> bool:
        return any(d == "bw" for _, d in self.cells)


def _place(scope: str, full: str) -> tuple[str, int, str]:
    """A cell's scope -> (module, layer, direction fw|bw)."""
    s, inner, outer, direction = scope, None, None, "fw"
    m = re.search(r"(?:^|/)multi_rnn_cell/cell_(\d+)/$", s)
    if m:
        inner, s = int(m.group(1)), s[:m.start() + (1 if m.group(0).startswith("/") else 0)]
    m = re.search(r"(?:^|/)(fw|bw)/$", s)
    if m:
        direction, s = m.group(1), s[:m.start(1)]
        m = re.search(r"(?:^|/)cell_(\d+)/bidirectional_rnn/$", s)  # stack_bidirectional_dynamic_rnn
        if m:
            outer, s = int(m.group(1)), s[:m.start() + (1 if m.group(0).startswith("/") else 0)]
        if inner is not None and inner > 0:
            raise FormatError(f"{full}: each direction of this bidirectional_dynamic_rnn is a MultiRNNCell stack of "
                              "its own (the backward stack never reads the forward one's outputs); gateviz traces "
                              "stacks whose layers read both directions (stack_bidirectional_dynamic_rnn)")
    layer = outer if outer is not None else (inner or 0)
    return s.rstrip("/") or "(top level)", layer, direction


def _modules(bundle: TensorBundle) -> dict[str, _Module]:
    modules: dict[str, _Module] = {}
    for name in bundle.entries:
        m = _CELL.match(name)
        if not m:
            continue
        module, layer, direction = _place(m.group("scope"), name)
        mod = modules.setdefault(module, _Module(module))
        cell, tensors = mod.cells.setdefault((layer, direction), (m.group("cell"), {}))
        if cell != m.group("cell"):
            raise FormatError(f"{bundle.prefix}: layer {layer} of {module} holds both a {cell} and a "
                              f"{m.group('cell')}; the checkpoint mixes two models under one scope")
        tensors[m.group("var")] = name
    return modules


# a SavedModel's variables/ copied without its saved_model.pb (detect opens it when that file is next to it)
_SAVEDMODEL_HINT = {"variables": "; if it is a SavedModel's variables/ folder, open the whole SavedModel folder, "
                                 "saved_model.pb included"}


def _pick(path, modules: dict[str, _Module], module: str | None, bundle: TensorBundle) -> _Module:
    if not modules and ("_CHECKPOINTABLE_OBJECT_GRAPH" in bundle.entries
                        or any(n.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for n in bundle.entries)):
        raise FormatError(f"{path} is a TensorFlow 2 object-based checkpoint (tf.train.Checkpoint, "
                          "model.save_weights): its variables are named after the Python objects that held them, "
                          "not the model's layers; save the Keras model itself (model.save('model.keras') or "
                          "'model.h5') and open that" + _SAVEDMODEL_HINT.get(Path(bundle.prefix).name, ""))
    if not modules:
        raise FormatError(f"{path} is a TensorFlow checkpoint without any rnn_cell variables (…/basic_lstm_cell/, "
                          "…/lstm_cell/, …/gru_cell/, …/basic_rnn_cell/); gateviz reads TF1 rnn_cell models from "
                          "checkpoints, and Keras models from .h5/.keras files")
    if module is None:
        if len(modules) > 1:
            raise ModuleChoiceRequired(f"{path} holds {len(modules)} recurrent modules ({', '.join(modules)}); "
                                       "choose one with --module NAME")
        return next(iter(modules.values()))
    if module not in modules:
        raise FormatError(f"{path} has no recurrent module {module!r}; it holds {', '.join(modules)}")
    return modules[module]


def _float(bundle: TensorBundle, name: str) -> np.ndarray:
    a = bundle.tensor(name)
    if a.dtype.kind != "f":
        raise FormatError(f"{bundle.prefix}: {name} holds {a.dtype} values, not floats; it is no cell weight")
    return a.astype(np.float32)


def _need(bundle: TensorBundle, tensors: dict[str, str], var: str, cell: str, ndim: int) -> np.ndarray:
    if var not in tensors:
        have = ", ".join(sorted(tensors))
        raise FormatError(f"{bundle.prefix}: the {cell} has no {var} (it has {have}); the checkpoint lacks part "
                          "of the cell")
    a = _float(bundle, tensors[var])
    if a.ndim != ndim:
        raise FormatError(f"{bundle.prefix}: {tensors[var]} has shape {a.shape}; a {cell} {var} is {ndim}-D")
    return a


def _direction(bundle: TensorBundle, cell: str, t: dict[str, str],
               reverse: bool) -> tuple[str, int, int, DirectionWeights]:
    """One direction of one layer -> (kind, units, input size, canonical weights)."""
    kind = KINDS[cell]
    where = f"{bundle.prefix}: {cell}"
    if kind == "gru":
        kg, bg = _need(bundle, t, "gates/kernel", cell, 2), _need(bundle, t, "gates/bias", cell, 1)
        kc, bc = _need(bundle, t, "candidate/kernel", cell, 2), _need(bundle, t, "candidate/bias", cell, 1)
        H = kc.shape[1]
        I = kc.shape[0] - H
        if I < 1 or kg.shape != (I + H, 2 * H) or bg.shape != (2 * H,) or bc.shape != (H,):
            raise FormatError(f"{where} tensors do not fit one GRU (gates/kernel {kg.shape}, "
                              f"candidate/kernel {kc.shape})")
        # gates kernel columns r|u (u = z: high keeps the old state), candidate apart: canonical [r, z, n]
        W = np.concatenate([kg, kc], axis=1)  # (I+H, 3H)
        b = np.concatenate([bg, bc])
        return kind, H, I, DirectionWeights(Wx=W[:I].T.copy(), Wh=W[I:].T.copy(), bx=b, bh=np.zeros_like(b),
                                            reverse=reverse)
    kernel, bias = _need(bundle, t, "kernel", cell, 2), _need(bundle, t, "bias", cell, 1)
    G = 4 if kind == "lstm" else 1
    H = bias.shape[0] // G
    Whr = None
    if "projection/kernel" in t:
        proj = _need(bundle, t, "projection/kernel", cell, 2)  # (H, P)
        if proj.shape[0] != H:
            raise FormatError(f"{where}: projection/kernel has shape {proj.shape}, expected ({H}, P)")
        Whr = proj.T.copy()  # (P, H)
    Hr = H if Whr is None else Whr.shape[0]
    I = kernel.shape[0] - Hr
    if bias.shape[0] != G * H or kernel.shape[1] != G * H or I < 1:
        raise FormatError(f"{where} tensors do not fit one {kind.upper()} (kernel {kernel.shape}, bias {bias.shape})")
    Wx, Wh = kernel[:I].T, kernel[I:].T  # (G*H, I), (G*H, Hr): x rows first, then h rows
    peephole = None
    if kind == "lstm":
        order = np.concatenate([np.arange(H) + k * H for k in (0, 2, 1, 3)])  # TF i,j,f,o -> i,f,g(=j),o
        Wx, Wh, bias = Wx[order], Wh[order], bias[order]
        diags = [t.get(f"w_{g}_diag") for g in "ifo"]
        if any(diags):
            if not all(diags):
                raise FormatError(f"{where}: has only some of w_i_diag, w_f_diag, w_o_diag; a peephole "
                                  "LSTMCell has all three")
            peephole = np.stack([_need(bundle, t, f"w_{g}_diag", cell, 1) for g in "ifo"])  # (3, H): p_i, p_f, p_o
            if peephole.shape != (3, H):
                raise FormatError(f"{where}: peephole weights of shape {peephole.shape[1:]}, expected ({H},)")
    return kind, H, I, DirectionWeights(Wx=np.ascontiguousarray(Wx), Wh=np.ascontiguousarray(Wh), bx=bias,
                                        bh=np.zeros_like(bias), peephole=peephole, Whr=Whr, reverse=reverse)


def _layers(bundle: TensorBundle, mod: _Module) -> list[RecurrentLayer]:
    if len(mod.kinds) > 1:
        raise FormatError(f"{bundle.prefix}: {mod.name} stacks different cells ({', '.join(sorted(mod.kinds))}); "
                          "gateviz traces stacks of one cell kind")
    layers = []
    for k in range(mod.num_layers):
        dirs = [d for d in ("fw", "bw") if (k, d) in mod.cells]
        if "fw" not in dirs:
            raise FormatError(f"{bundle.prefix}: {mod.name} has no layer {k} (it has layers "
                              f"{sorted({layer for layer, _ in mod.cells})}); the checkpoint lacks part of the stack")
        if mod.bidirectional and dirs != ["fw", "bw"]:
            raise FormatError(f"{bundle.prefix}: layer {k} of {mod.name} has only its {dirs[0]} direction")
        built = [_direction(bundle, mod.cells[(k, d)][0], mod.cells[(k, d)][1], d == "bw") for d in dirs]
        kind, H, I, _ = built[0]
        if any(b[:3] != built[0][:3] for b in built):
            raise FormatError(f"{bundle.prefix}: the two directions of layer {k} of {mod.name} differ in size")
        layer = RecurrentLayer(cell=kind, units=H, input_size=I, directions=[b[3] for b in built])
        if kind == "gru":
            layer.reset_after = False  # TF1 GRUCell: [x, r⊙h]·candidate/kernel, r before the matmul
        layers.append(layer)
    return layers


def _options(prefix: Path, mod: _Module, layers: list[RecurrentLayer], given: dict) -> str:
    """Set what the checkpoint does not store on every layer: given by the caller, else read from the
    .meta graph (per layer and direction where they differ), else TF's default. Returns the note."""
    meta = Path(f"{prefix}.meta")
    found, why = None, "the .meta was not read"
    if meta.is_file():
        try:
            found, why = read_meta_options(meta), "not found in the .meta"
        except FormatError as e:
            why = f"the .meta could not be read: {e}"
    sources: dict[str, set[str]] = {"given": set(), "meta": set(), "default": set()}
    for k, layer in enumerate(layers):
        cell = mod.cells[(k, "fw")][0]
        wanted = {"activation": "tanh"}
        if layer.cell == "lstm":
            wanted["forget_bias"] = TF_FORGET_BIAS
            if cell == "lstm_cell":
                wanted["cell_clip"] = None
                if layer.proj_size:
                    wanted["proj_clip"] = None
        for option, default in wanted.items():
            if given.get(option) is not None:
                value, source = given[option], "given"
            else:
                value = _from_meta(found, mod, k, layer, option) if found is not None else None
                value, source = (default, "default") if value is None else (value, "meta")
            if option == "activation":
                layer.activation = Activation(value)
            else:
                setattr(layer, option, None if value is None else float(np.float32(value)))
            if value is not None:
                shown = value if isinstance(value, str) else f"{float(np.float32(value)):g}"
                shown += ".0" if shown.lstrip("-").isdigit() else ""  # "forget_bias 1.0", as TF writes it
                sources[source].add(f"{option} {shown}")
    notes = []
    for source, text in (("given", "given"), ("meta", "read from the .meta"), ("default", f"TF's default; {why}")):
        if sources[source]:
            notes.append(f"{', '.join(sorted(sources[source]))} ({text})")
    return "; ".join(notes)


def _from_meta(found: list[Found], mod: _Module, k: int, layer: RecurrentLayer, option: str):
    """The value the .meta shows for layer k (every direction): matched by cell_k/ and fw/bw in where it
    was found; else the one value the whole graph shows. None when absent or ambiguous."""
    kinds = {c for c, _ in mod.cells.values()}
    mine = [f for f in found if f.option == option and f.cell in kinds]
    # the module's scope: "encoder/rnn/while/…" in a TF 1.x graph, function "encoder_rnn_while_body_7" in TF 2's
    scope = mod.name.replace("/", "_")
    mine = [f for f in mine if scope in f.where.replace("/", "_")] or mine
    per_direction = []
    for d in ("fw", "bw") if layer.bidirectional else ("fw",):
        near = [f for f in mine
                if (mod.num_layers == 1 or f"cell_{k}/" in f.where)
                and (not layer.bidirectional or re.search(rf"(^|[/_]){d}([/_]|$)", f.where))]
        values = {f.value for f in (near or mine)}
        if len(values) != 1:
            return None
        per_direction += values
    if len(set(per_direction)) != 1:
        raise FormatError(f"the two directions of layer {k} of {mod.name} use different {option} "
                          f"({', '.join(map(str, per_direction))}); gateviz keeps one per layer")
    return per_direction[0]


def _others(bundle: TensorBundle) -> dict[str, np.ndarray]:
    """Float variables outside every recurrent cell and optimizer slot: head and input projection candidates."""
    out = {}
    for name, e in bundle.entries.items():
        if _CELL.match(name) or _SLOT.search(name) or e.dtype not in (1, 2, 19) or len(e.shape) not in (1, 2):
            continue
        out[name] = e
    return out


_HEAD_WORDS = re.compile(r"out|dense|logit|softmax|fc|classif|read_?out|head", re.I)
_IN_WORDS = re.compile(r"(^|[/_\b])in(put)?($|[/_\d])|embed|proj", re.I)


def _choose(names: list[str], words: re.Pattern) -> str | None:
    if len(names) == 1:
        return names[0]
    named = [n for n in names if words.search(n)]
    return named[0] if len(named) == 1 else None


def _bias_for(weight: str, size: int, others: dict, taken: set) -> str | None:
    """The bias variable of a dense weight: its sibling (…/kernel → …/bias, W_x → b_x), else the one
    free 1-D variable of its width."""
    scope, _, last = weight.rpartition("/")
    siblings = [f"{scope}/{b}" if scope else b for b in ("bias", "biases", "b")]
    siblings += [weight.replace("weight", "bias"), re.sub(r"(^|/)W", r"\1b", weight), re.sub(r"_[wW]$", "_b", weight)]
    for s in siblings:
        if s != weight and s in others and others[s].shape == (size,) and s not in taken:
            return s
    free = [n for n, e in others.items() if e.shape == (size,) and n not in taken]
    return free[0] if len(free) == 1 else None


def read_tf_checkpoint(path: str | os.PathLike, *, module: str | None = None, forget_bias: float | None = None,
                       cell_clip: float | None = None, proj_clip: float | None = None,
                       activation: str | None = None) -> RecurrentModel:
    """Any file of a TF1 checkpoint (or its folder, or its prefix) -> RecurrentModel. ``forget_bias``,
    ``cell_clip``, ``proj_clip`` and ``activation`` give what the checkpoint does not store; otherwise
    they are read from the .meta next to it, else TF's defaults."""
    prefix = checkpoint_prefix(path)
    if prefix is None:
        raise FormatError(f"{path} is not part of a TensorFlow checkpoint (no .index file next to it)")
    bundle = TensorBundle(prefix)
    mod = _pick(path, _modules(bundle), module, bundle)
    layers = _layers(bundle, mod)
    notes = [f"TensorFlow 1 {', '.join(sorted({c for c, _ in mod.cells.values()}))}"]
    notes.append(_options(prefix, mod, layers, {"forget_bias": forget_bias, "cell_clip": cell_clip,
                                                "proj_clip": proj_clip, "activation": activation}))

    others, taken = _others(bundle), set()
    head = None
    out_size = layers[-1].output_size
    heads = [n for n, e in others.items() if len(e.shape) == 2 and e.shape[0] == out_size]
    inputs = [n for n, e in others.items() if len(e.shape) == 2 and e.shape[1] == layers[0].input_size]
    w_out = _choose([n for n in heads if n not in inputs] or heads, _HEAD_WORDS)
    if w_out is not None:
        taken.add(w_out)
        weight = _float(bundle, w_out)  # (out_size, C): x·W
        b_out = _bias_for(w_out, weight.shape[1], others, taken)
        bias = None if b_out is None else _float(bundle, b_out)
        taken.update([b_out] if b_out else [])
        head = Head(weight=weight.T.copy(), bias=bias)
        # the activation after it (softmax, sigmoid) is graph code, not a variable: the head gives logits
        notes.append(f"head {w_out}" + (f" + {b_out}" if b_out else " (no bias variable)") + ", linear")
    elif heads:
        notes.append(f"no head: {len(heads)} variables could be it ({', '.join(heads[:4])})")

    inputs = [n for n in inputs if n not in taken]
    w_in = _choose(inputs, _IN_WORDS)
    stage = InputStage(kind="raw", features=layers[0].input_size)
    if w_in is not None and re.search(r"embed", w_in, re.I):  # tf.nn.embedding_lookup(embedding, ids)
        table = _float(bundle, w_in)  # (V, E)
        stage = InputStage(kind="embedding", features=int(table.shape[1]), embedding=table)
        notes.append(f"input embedding {w_in} ({table.shape[0]} ids)")
    elif w_in is not None:
        taken.add(w_in)
        proj = _float(bundle, w_in).astype(np.float64)  # (F, I): x_in = x·W_in + b_in
        b_in = _bias_for(w_in, proj.shape[1], others, taken)
        b = np.zeros(proj.shape[1]) if b_in is None else _float(bundle, b_in).astype(np.float64)
        first = layers[0]
        for d in first.directions:  # Wx·(W_inᵀx + b) = (Wx W_inᵀ)x + Wx b
            wx = d.Wx.astype(np.float64)
            d.Wx = (wx @ proj.T).astype(np.float32)  # (G*H, F)
            d.bx = (d.bx.astype(np.float64) + wx @ b).astype(np.float32)
        first.input_size = stage.features = int(proj.shape[0])
        notes.append(f"input projection {w_in}" + (f" + {b_in}" if b_in else "") + " folded into layer 0")
    elif inputs:
        notes.append(f"no input projection: {len(inputs)} variables could be it ({', '.join(inputs[:4])})")

    return RecurrentModel(layers=layers, input=stage, head=head, name=f"{mod.name} ({'; '.join(notes)})",
                          source=str(prefix), framework="tensorflow")


def list_tf_modules(path: str | os.PathLike) -> list[str]:
    prefix = checkpoint_prefix(path)
    if prefix is None:
        return []
    return list(_modules(TensorBundle(prefix)))


def describe_tf_modules(path: str | os.PathLike) -> list[str]:
    """One line per recurrent module: its name, cells and layers."""
    prefix = checkpoint_prefix(path)
    if prefix is None:
        return []
    lines = []
    bundle = TensorBundle(prefix)
    for name, mod in _modules(bundle).items():
        cells = ", ".join(sorted({c for c, _ in mod.cells.values()}))
        units = []  # from the shapes the index lists: no tensor is read
        for k in range(mod.num_layers):
            cell, t = mod.cells.get((k, "fw"), ("", {}))
            shape = bundle.entries[t["candidate/kernel"]].shape if "candidate/kernel" in t else (
                bundle.entries[t["bias"]].shape if "bias" in t else ())
            if shape:
                units.append(str(shape[-1] // (4 if KINDS[cell] == "lstm" else 1)))
        lines.append(f"{name}: {cells}, {mod.num_layers} layer(s)" + (f" of {', '.join(units)} units" if units else "")
                     + (", bidirectional" if mod.bidirectional else ""))
    return lines
