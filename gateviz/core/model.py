"""The canonical description of a recurrent model (gate-conventions.md §0).

Every reader (gateviz files, PyTorch, Keras, ONNX) turns a foreign file into these
dataclasses; the engine knows nothing else. Weights are numpy arrays in PyTorch
orientation (a gate block is ``W @ x``), always with two biases.

Gate block order inside ``Wx``/``Wh``/``bx``/``bh``:
    LSTM  [i, f, g, o]      GRU  [r, z, n]      RNN  [h]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import Activation
from .errors import ModelError
from .texts import QT_TRANSLATE_NOOP

CELL_KINDS = ("rnn", "lstm", "gru")
GATES_PER_CELL = {"rnn": 1, "lstm": 4, "gru": 3}
MERGE_MODES = ("concat", "sum", "mul", "ave")
HEAD_ACTIVATIONS = ("identity", "sigmoid", "softmax", "tanh", "relu")
INPUT_KINDS = ("raw", "embedding", "onehot")
HEAD_READS = ("every_step", "final_state")


def _check_weights(a: Any, what: str) -> None:
    """Every reader's arrays pass here: real numbers only. A complex tensor would lose its imaginary
    part silently in the engine's float cast; strings and objects fail somewhere deep inside it."""
    dtype = getattr(a, "dtype", None)
    if dtype is None or not hasattr(a, "shape"):
        raise ModelError(f"{what} is a {type(a).__name__}, not an array of numbers")
    if np.dtype(dtype).kind not in "fiu":
        kind = "complex" if np.dtype(dtype).kind == "c" else "non-numeric"
        raise ModelError(f"{what} holds {kind} values ({dtype}); gateviz traces real-valued weights "
                         "(float or integer): convert or drop that tensor")


def _check_size(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ModelError(f"{what} must be a positive whole number, not {value!r}")



@dataclass
class DirectionWeights:
    """Weights of one direction of one layer.

    Shapes (G gates, H units, Hr = P if projected else H, I = layer input size):
        Wx (G*H, I)   Wh (G*H, Hr)   bx (G*H,)   bh (G*H,)
        peephole (3, H) rows p_i, p_f, p_o  (LSTM only, optional)
        Whr (P, H)  projection (LSTM only, optional)
    """

    Wx: np.ndarray
    Wh: np.ndarray
    bx: np.ndarray
    bh: np.ndarray
    peephole: np.ndarray | None = None
    Whr: np.ndarray | None = None
    reverse: bool = False  # processes the sequence from the end; stored time-aligned
    # Per-direction overrides of the layer's activations (None = the layer's): a Keras
    # Bidirectional with its own backward_layer, ONNX per-direction `activations`.
    activation: Activation | None = None
    recurrent_activation: Activation | None = None
    output_activation: Activation | None = None  # LSTM h = o*this(c); see RecurrentLayer.output_activation

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"Wx": self.Wx, "Wh": self.Wh, "bx": self.bx, "bh": self.bh}
        if self.peephole is not None:
            out["peephole"] = self.peephole
        if self.Whr is not None:
            out["Whr"] = self.Whr
        return out


@dataclass
class RecurrentLayer:
    """One recurrent layer: one or two directions of the same cell.

    ``activation`` is φ (LSTM candidate and output squashing, GRU candidate, RNN
    nonlinearity); ``recurrent_activation`` is σ (the gates). ``output_activation`` is an LSTM's
    output squashing h = o⊙ψ(c) when it differs from the candidate's φ (ONNX's separate g and h
    functions); None means φ, as in every other framework.
    """

    cell: str
    units: int
    input_size: int
    directions: list[DirectionWeights]
    activation: Activation = field(default_factory=lambda: Activation("tanh"))
    recurrent_activation: Activation = field(default_factory=lambda: Activation("sigmoid"))
    reset_after: bool = True  # GRU: r multiplies (Wh_n h + bh_n)  (PyTorch, Keras 3 default)
    forget_bias: float = 0.0  # LSTM: added to f's pre-activation at run time (TF1)
    cell_clip: float | None = None  # LSTM: c clipped to ±cell_clip after the update
    proj_clip: float | None = None  # LSTM: projected h clipped to ±proj_clip
    gate_clip: float | None = None  # ONNX `clip`: gate pre-activations clipped to ±clip
    input_forget: bool = False  # ONNX coupled gates: f = 1 - i
    merge: str = "concat"  # how the directions' outputs are combined for the next layer
    output_activation: Activation | None = None  # LSTM: ψ in h = o*ψ(c) when it is not φ (ONNX's h)

    # ---- derived sizes -------------------------------------------------
    @property
    def gates(self) -> int:
        return GATES_PER_CELL[self.cell]

    @property
    def bidirectional(self) -> bool:
        return len(self.directions) == 2

    @property
    def proj_size(self) -> int | None:
        whr = self.directions[0].Whr
        return None if whr is None else int(whr.shape[0])

    @property
    def hidden_size(self) -> int:
        """Width of h (the projection size for a projected LSTM)."""
        return self.proj_size or self.units

    def width(self, quantity: str) -> int:
        """Units of a trace quantity: h is ``hidden_size`` wide, every gate and c ``units``."""
        return self.hidden_size if quantity == "hidden_state" else self.units

    @property
    def output_size(self) -> int:
        """Width of what the next layer receives after merging directions."""
        h = self.hidden_size
        return h * len(self.directions) if self.merge == "concat" else h

    @property
    def has_peepholes(self) -> bool:
        return self.directions[0].peephole is not None

    def activations(self, j: int) -> tuple[Activation, Activation]:
        """(φ, σ) of direction j: its own override, else the layer's."""
        d = self.directions[j]
        return (d.activation or self.activation, d.recurrent_activation or self.recurrent_activation)

    def output_activation_of(self, j: int) -> Activation:
        """ψ of direction j, the function of c in an LSTM's h = o⊙ψ(c): its own, the layer's, else its φ."""
        d = self.directions[j]
        return d.output_activation or self.output_activation or self.activations(j)[0]

    def direction_names(self) -> list[str]:
        return ["backward" if d.reverse else "forward" for d in self.directions]

    def validate(self, index: int) -> None:
        where = f"layer {index}"
        _check_size(self.units, f"{where}: units")
        _check_size(self.input_size, f"{where}: input_size")
        if self.cell not in CELL_KINDS:
            raise ModelError(f"{where}: unknown cell kind {self.cell!r}; expected one of {', '.join(CELL_KINDS)}")
        if self.merge not in MERGE_MODES:
            raise ModelError(f"{where}: unknown merge mode {self.merge!r}; expected one of {', '.join(MERGE_MODES)}")
        if not 1 <= len(self.directions) <= 2:
            raise ModelError(f"{where}: expected 1 or 2 directions, found {len(self.directions)}")
        if len(self.directions) == 2 and (self.directions[0].reverse or not self.directions[1].reverse):
            raise ModelError(f"{where}: a bidirectional layer lists its forward direction first, then its backward one")
        if self.cell != "lstm" and (self.output_activation or any(d.output_activation for d in self.directions)):
            raise ModelError(f"{where}: an output activation (h = o*psi(c)) belongs to an LSTM, not a "
                             f"{self.cell.upper()}")
        G, H, Hr = self.gates, self.units, self.hidden_size
        for d, name in zip(self.directions, self.direction_names()):
            for key, a in d.arrays().items():
                _check_weights(a, f"{where} {name}: {key}")
            expect = {"Wx": (G * H, self.input_size), "Wh": (G * H, Hr), "bx": (G * H,), "bh": (G * H,)}
            for key, shape in expect.items():
                got = tuple(getattr(d, key).shape)
                if got != shape:
                    raise ModelError(f"{where} {name}: {key} has shape {got}, expected {shape} for a {self.cell.upper()} "
                                     f"with {H} units and input size {self.input_size}")
            if d.peephole is not None and (self.cell != "lstm" or tuple(d.peephole.shape) != (3, H)):
                raise ModelError(f"{where} {name}: peepholes need an LSTM and shape (3, {H}), got {tuple(d.peephole.shape)}")
            if d.Whr is not None and (self.cell != "lstm" or d.Whr.ndim != 2 or d.Whr.shape[1] != H):
                raise ModelError(f"{where} {name}: a projection needs an LSTM and shape (P, {H}), got {tuple(d.Whr.shape)}")
            if (d.peephole is None) != (self.directions[0].peephole is None):
                raise ModelError(f"{where}: both directions must agree on peepholes")

    # ---- (de)serialisation of the non-array options -------------------
    def options(self) -> dict[str, Any]:
        return {
            "cell": self.cell, "units": self.units, "input_size": self.input_size,
            "directions": self.direction_names(),
            "activation": self.activation.to_dict(),
            "recurrent_activation": self.recurrent_activation.to_dict(),
            "reset_after": self.reset_after, "forget_bias": self.forget_bias,
            "cell_clip": self.cell_clip, "proj_clip": self.proj_clip, "gate_clip": self.gate_clip,
            "input_forget": self.input_forget, "merge": self.merge,
            **({"direction_activations": [
                {"activation": None if d.activation is None else d.activation.to_dict(),
                 "recurrent_activation": None if d.recurrent_activation is None else d.recurrent_activation.to_dict(),
                 **({"output_activation": None if d.output_activation is None else d.output_activation.to_dict()}
                    if any(e.output_activation for e in self.directions) else {})}
                for d in self.directions]}
               if any(d.activation or d.recurrent_activation or d.output_activation for d in self.directions) else {}),
            # only when set: the options of every other layer stay as they were
            **({"output_activation": self.output_activation.to_dict()} if self.output_activation else {}),
        }


@dataclass
class InputStage:
    """How a user's sequence becomes the first layer's features.

    kind:
        "raw"       - the sequence is already (T, features)
        "embedding" - tokens -> rows of ``embedding`` (V, E)
        "onehot"    - tokens -> one-hot vectors of length len(vocab)
    ``vocab`` lists the characters (or tokens) of a text model in index order.
    """

    kind: str = "raw"
    features: int = 1
    vocab: list[str] | None = None
    embedding: np.ndarray | None = None  # (V, E)
    feature_names: list[str] | None = None
    # Keras masking (issue 14): a step is masked (skipped, its state carried over) when all its raw
    # features equal ``mask_value`` (a Masking layer), or when its token id is 0 (Embedding mask_zero).
    mask_value: float | None = None
    mask_zero: bool = False
    # layers whose outputs Keras sets to 0 on masked steps (zero_output_for_mask; Bidirectional with
    # return_sequences forces it) instead of repeating the last output; the state is carried over still
    zero_output_layers: list[int] = field(default_factory=list)

    @property
    def masked(self) -> bool:
        return self.mask_value is not None or self.mask_zero

    @property
    def output_size(self) -> int:
        if self.kind == "embedding":
            return int(self.embedding.shape[1])
        if self.kind == "onehot":
            return len(self.vocab)
        return self.features

    @property
    def takes_tokens(self) -> bool:
        return self.kind in ("embedding", "onehot")

    def encode_text(self, text: str) -> np.ndarray:
        """Characters -> token ids (T,). Unknown characters get a clear error."""
        if self.vocab is None:
            raise ModelError("this model reads numeric features, not text; give a .npy or .csv sequence")
        index = {ch: i for i, ch in enumerate(self.vocab)}
        missing = sorted({ch for ch in text if ch not in index})
        if missing:
            shown = ", ".join(repr(c) for c in missing[:10])
            raise ModelError(QT_TRANSLATE_NOOP("CoreErrors", "the text contains characters the model's vocabulary "
                                                             "lacks: {shown} (vocabulary has {n} characters)").format(
                shown=shown, n=len(self.vocab)))
        return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))

    def options(self) -> dict[str, Any]:
        out = {"kind": self.kind, "features": self.features, "vocab": self.vocab,
               "feature_names": self.feature_names}
        if self.masked:
            out.update(mask_value=self.mask_value, mask_zero=self.mask_zero,
                       zero_output_layers=list(self.zero_output_layers))
        return out

    def validate(self) -> None:
        """What the engine and the panels rely on: a known kind, a vocabulary that fits the table."""
        if self.kind not in INPUT_KINDS:
            raise ModelError(f"unknown input kind {self.kind!r}; expected one of {', '.join(INPUT_KINDS)} "
                             "(raw features, an embedding table, one-hot characters)")
        _check_size(self.features, "the input's features")
        if self.vocab is not None and not (isinstance(self.vocab, list)
                                           and all(isinstance(t, str) for t in self.vocab)):
            raise ModelError("the input's vocabulary must be a list of strings (characters or tokens)")
        if self.kind == "onehot" and not self.vocab:
            raise ModelError("a one-hot input needs its vocabulary (the characters in index order)")
        if self.kind == "embedding":
            if self.embedding is None:
                raise ModelError("an embedding input needs its embedding table")
            _check_weights(self.embedding, "the input embedding")
            if self.embedding.ndim != 2:
                raise ModelError(f"the input embedding must be 2-D (vocabulary, features), got shape "
                                 f"{tuple(self.embedding.shape)}")
            rows = int(self.embedding.shape[0])
            if self.vocab is not None and len(self.vocab) > rows:
                raise ModelError(f"the vocabulary has {len(self.vocab)} entries but the embedding only {rows} rows; "
                                 "every vocabulary entry needs a row (shorten the vocabulary or give the full table)")
        if self.mask_zero and not self.takes_tokens:
            raise ModelError("mask_zero masks token 0, so it needs a text (token) input; use mask_value for features")
        if self.mask_value is not None and (self.takes_tokens or not np.isfinite(self.mask_value)):
            raise ModelError("mask_value masks steps whose raw features all equal it: it needs a raw-feature input "
                             "and a finite number")
        if self.feature_names is not None:
            if not (isinstance(self.feature_names, list) and all(isinstance(n, str) for n in self.feature_names)):
                raise ModelError("the input's feature names must be a list of strings")
            if self.kind == "raw" and len(self.feature_names) != self.features:
                raise ModelError(f"the input names {len(self.feature_names)} feature(s) but reads {self.features}; "
                                 "give one name per feature")


@dataclass
class Head:
    """A linear read-out after the last recurrent layer.

    weight (out, in), bias (out,). ``on`` says what it reads:
        "every_step"  - the merged output at every step (sequence labelling, next-step prediction)
        "final_state" - the final state (Keras return_sequences=False; classifiers). For a
                        unidirectional model the engine still evaluates it at every step, so the
                        app can show the running prediction; the model's real output is the last row.
    """

    weight: np.ndarray
    bias: np.ndarray | None = None
    activation: str = "identity"
    on: str = "every_step"
    labels: list[str] | None = None

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1])

    def options(self) -> dict[str, Any]:
        return {"activation": self.activation, "on": self.on, "labels": self.labels,
                "out_features": self.out_features, "in_features": self.in_features}


@dataclass
class RecurrentModel:
    """A whole traceable model: input stage -> recurrent layers -> optional head."""

    layers: list[RecurrentLayer]
    input: InputStage = field(default_factory=InputStage)
    head: Head | None = None
    task: dict[str, Any] | None = None  # e.g. {"name": "sine", ...} for models gateviz trained
    name: str = "model"
    source: str = ""  # where it came from (file path, framework)
    framework: str = ""  # "gateviz", "pytorch", "keras", "onnx"
    # A decoder of an encoder-decoder file: where layer 0's initial state comes from, e.g.
    # {"module": "lstm", "states": ["h", "c"]} (that module's final h and c, traced first);
    # "input_repeat": n when its input is that module's final h repeated n times (RepeatVector).
    initial_state_from: dict[str, Any] | None = None
    # Training snapshots (issue 16): gateviz.core.snapshots.Snapshot, oldest first; [] for most models
    snapshots: list[Any] = field(default_factory=list, repr=False)

    @property
    def cell(self) -> str:
        return self.layers[0].cell

    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    def validate(self) -> "RecurrentModel":
        if not self.layers:
            raise ModelError("the model has no recurrent layer")
        if self.task is not None and not isinstance(self.task, dict):
            raise ModelError(f"the task must be a JSON object such as {{\"name\": \"sine\"}}, not a "
                             f"{type(self.task).__name__}")
        self.input.validate()
        for k, layer in enumerate(self.layers):
            layer.validate(k)
            if layer.cell != self.layers[0].cell:
                raise ModelError(f"layer {k} is a {layer.cell.upper()} but layer 0 is a {self.layers[0].cell.upper()}; "
                                 "gateviz traces stacks of one cell kind")
            if k > 0 and layer.input_size != self.layers[k - 1].output_size:
                raise ModelError(f"layer {k} expects {layer.input_size} inputs but layer {k - 1} gives "
                                 f"{self.layers[k - 1].output_size}")
        if self.input.output_size != self.layers[0].input_size:
            raise ModelError(f"the input stage gives {self.input.output_size} features but layer 0 expects "
                             f"{self.layers[0].input_size}")
        if self.head is not None:
            _check_weights(self.head.weight, "the head's weight")
            if self.head.weight.ndim != 2:
                raise ModelError(f"the head's weight must be 2-D (out, in), got shape {tuple(self.head.weight.shape)}")
            if self.head.bias is not None:
                _check_weights(self.head.bias, "the head's bias")
                if tuple(self.head.bias.shape) != (self.head.out_features,):
                    raise ModelError(f"the head's bias has shape {tuple(self.head.bias.shape)}, expected "
                                     f"({self.head.out_features},)")
            labels = self.head.labels
            if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
                raise ModelError("the head's labels must be a list of strings")
            if self.head.on not in HEAD_READS:
                raise ModelError(f"the head reads {self.head.on!r}; expected one of {', '.join(HEAD_READS)}")
            if self.head.activation not in HEAD_ACTIVATIONS:
                raise ModelError(f"unknown head activation {self.head.activation!r}; expected one of "
                                 f"{', '.join(HEAD_ACTIVATIONS)}")
            last = self.layers[-1]
            expect = last.output_size
            if self.head.in_features != expect:
                raise ModelError(f"the head reads {self.head.in_features} features but the last layer gives {expect}")
        return self

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary: what `gateviz info` prints and the trace's meta carries."""
        return {
            "name": self.name,
            "framework": self.framework,
            "source": self.source,
            "cell": self.cell,
            "num_layers": len(self.layers),
            "units": [layer.units for layer in self.layers],
            "directions": [layer.direction_names() for layer in self.layers],
            "input_size": self.input_size,
            "input": self.input.options(),
            "layers": [layer.options() for layer in self.layers],
            "head": None if self.head is None else self.head.options(),
            "task": self.task,
            **({"initial_state_from": self.initial_state_from} if self.initial_state_from else {}),
        }

    def summary_lines(self) -> list[str]:
        """Human-readable lines for `gateviz info` and the app's model box."""
        lines = [f"model:      {self.name}" + (f"  ({self.framework})" if self.framework else "")]
        for k, layer in enumerate(self.layers):
            extras = []
            if layer.bidirectional:
                extras.append(f"bidirectional, merge={layer.merge}")
            elif layer.directions[0].reverse:
                extras.append("backward")
            if layer.proj_size:
                extras.append(f"projection {layer.proj_size}")
            if layer.has_peepholes:
                extras.append("peepholes")
            if layer.cell == "gru":
                extras.append(f"reset_after={layer.reset_after}")
            if layer.cell == "rnn" or layer.activation.name != "tanh":
                extras.append(f"activation={layer.activation.label()}")
            if layer.cell != "rnn" and layer.recurrent_activation.name != "sigmoid":
                extras.append(f"recurrent_activation={layer.recurrent_activation.label()}")
            for j, (d, dname) in enumerate(zip(layer.directions, layer.direction_names())):
                act, rec = layer.activations(j)
                if d.activation is not None and act != layer.activation:
                    extras.append(f"{dname} activation={act.label()}")
                if d.recurrent_activation is not None and rec != layer.recurrent_activation:
                    extras.append(f"{dname} recurrent_activation={rec.label()}")
            for j, dname in enumerate(layer.direction_names()):
                psi = layer.output_activation_of(j)
                if psi != layer.activations(j)[0]:
                    extras.append(f"{dname + ' ' if layer.bidirectional else ''}output_activation={psi.label()}")
            if layer.forget_bias:
                extras.append(f"forget_bias={layer.forget_bias:g}")
            if layer.cell_clip is not None:
                extras.append(f"cell_clip={layer.cell_clip:g}")
            if layer.gate_clip is not None:
                extras.append(f"clip={layer.gate_clip:g}")
            if layer.input_forget:
                extras.append("input_forget")
            lines.append(f"layer {k}:    {layer.cell.upper()} {layer.units} units, input {layer.input_size}"
                         + (f" ({'; '.join(extras)})" if extras else ""))
        inp = self.input
        if inp.kind == "raw":
            lines.append(f"input:      {inp.features} feature(s) per step")
        elif inp.kind == "onehot":
            lines.append(f"input:      one-hot text, vocabulary of {len(inp.vocab)}")
        else:
            lines.append(f"input:      embedding {inp.embedding.shape[0]}x{inp.embedding.shape[1]}"
                         + (f", vocabulary of {len(inp.vocab)}" if inp.vocab else ""))
        if self.head is None:
            lines.append("head:       none")
        else:
            lines.append(f"head:       linear {self.head.in_features} -> {self.head.out_features}, "
                         f"{self.head.activation}, on {self.head.on.replace('_', ' ')}")
        if self.task:
            lines.append(f"task:       {self.task.get('name', '?')}")
        if self.source:
            lines.append(f"source:     {self.source}")
        return lines

    def to_json(self) -> str:
        return json.dumps(self.describe())
