"""ONNX models with LSTM / GRU / RNN nodes -> the canonical RecurrentModel.

Conversion follows gate-conventions.md §3:
    W [D, G*H, in], R [D, G*H, H], B [D, 2*G*H] (input biases, then recurrent), P [D, 3H] (p_i, p_o, p_f)
    LSTM blocks i|o|f|c -> i|f|g|o, GRU z|r|h -> r|z|n, reset_after = linear_before_reset != 0.
Attributes ``activations`` (+ alpha/beta, consumed in order by the functions that take them,
as onnxruntime does), ``clip`` (gate pre-activations), ``input_forget`` (f = 1 - i) map to
the layer's options; a bidirectional node may give each direction its own activations.

Several recurrent nodes are one stack when each one's X comes from the previous one's Y
through shape-only ops (what torch.onnx.export writes: Transpose/Squeeze/Reshape). Before the
first node, a Gather from a constant matrix is an embedding (nn.Embedding); after the last,
a MatMul(+Add) or Gemm with constant weights (+ Softmax/Sigmoid/Tanh/Relu) is the head: it
reads the final state when it is reached from Y_h or through Gather/Slice (``out[:, -1]``),
every step otherwise. Weights come from initializers or Constant nodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError, GatevizError, ModuleChoiceRequired
from ..core.model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel

RECURRENT_OPS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
# ops that only move or reshape data: a stack's layers are linked through these
SHAPE_OPS = {"Transpose", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Cast", "Flatten"}
# ... and on the way to the head also ops that pick or join steps/directions
HEAD_PATH_OPS = SHAPE_OPS | {"Gather", "Slice", "Concat", "Dropout"}
HEAD_ACTIVATION_OPS = {"Softmax": "softmax", "Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu"}
DEFAULT_ACTIVATIONS = {"lstm": ["Sigmoid", "Tanh", "Tanh"], "gru": ["Sigmoid", "Tanh"], "rnn": ["Tanh"]}
# ONNX activation name -> (gateviz name, takes alpha, takes beta)
ONNX_ACTIVATIONS = {
    "sigmoid": ("sigmoid", False, False), "tanh": ("tanh", False, False), "relu": ("relu", False, False),
    "affine": ("affine", True, True), "leakyrelu": ("leaky_relu", True, False),
    "thresholdedrelu": ("thresholded_relu", True, False), "scaledtanh": ("scaled_tanh", True, True),
    "hardsigmoid": ("hard_sigmoid", True, True), "elu": ("elu", True, False),
    "softsign": ("softsign", False, False), "softplus": ("softplus", False, False),
}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:  # pragma: no cover - onnx is a dependency
        raise FormatError("reading ONNX files needs the onnx package (pip install onnx)") from None
    return onnx, numpy_helper


# --------------------------------------------------------------------------- the graph


class _Graph:
    """Producers, consumers and constant values of an ONNX graph."""

    def __init__(self, graph, numpy_helper):
        self.nodes = list(graph.node)
        self.inputs = {i.name for i in graph.input}
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.inputs -= set(self.consts)  # old exporters list initializers as inputs too
        self.producer = {}
        self.consumers: dict[str, list] = {}
        self.names = {}
        counts: dict[str, int] = {}
        for node in self.nodes:
            for out in node.output:
                self.producer[out] = node
            for inp in node.input:
                self.consumers.setdefault(inp, []).append(node)
            if node.op_type == "Constant":
                for a in node.attribute:
                    if a.name == "value":
                        self.consts[node.output[0]] = numpy_helper.to_array(a.t)
                    elif a.name in ("value_float", "value_int"):
                        self.consts[node.output[0]] = np.asarray(a.f if a.name == "value_float" else a.i)
                    elif a.name in ("value_floats", "value_ints"):
                        self.consts[node.output[0]] = np.asarray(list(a.floats if a.name == "value_floats" else a.ints))
            n = counts.get(node.op_type, 0)
            counts[node.op_type] = n + 1
            self.names[id(node)] = node.name or f"{node.op_type}_{n}"

    def name(self, node) -> str:
        return self.names[id(node)]

    def const(self, name: str) -> np.ndarray | None:
        """The value of a constant tensor (initializer, Constant, or Identity/Cast of one)."""
        if not name:
            return None
        if name in self.consts:
            return self.consts[name]
        node = self.producer.get(name)
        if node is not None and node.op_type in ("Identity", "Cast") and node.input:
            return self.const(node.input[0])
        return None

    def is_zero(self, name: str) -> bool | None:
        """True/False for a constant, computed zeros (Expand/ConstantOfShape of 0); None when unknown."""
        value = self.const(name)
        if value is not None:
            return not np.any(value)
        node = self.producer.get(name)
        if node is None:
            return None
        if node.op_type == "Expand":
            return self.is_zero(node.input[0])
        if node.op_type == "ConstantOfShape":
            attrs = _attrs(node)
            return "value" not in attrs or not np.any(attrs["value"])
        return None

    def source_of(self, name: str):
        """Follow shape-only ops back from a tensor: ("input", name) | ("rnn", node) | ("embedding", array)
        | ("other", node)."""
        while True:
            if name in self.inputs:
                return "input", name
            node = self.producer.get(name)
            if node is None:
                return "other", None
            if node.op_type in RECURRENT_OPS and node.output[0] == name:
                return "rnn", node
            if node.op_type in SHAPE_OPS and node.input:
                name = node.input[0]
                continue
            if node.op_type == "Gather" and len(node.input) == 2:
                table = self.const(node.input[0])
                if table is not None and table.ndim == 2 and _attrs(node).get("axis", 0) == 0 \
                        and self.const(node.input[1]) is None:
                    return "embedding", table
            return "other", node


def _attrs(node) -> dict:
    onnx, numpy_helper = _onnx()
    out = {}
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = [v.decode("utf-8") for v in value]
        elif hasattr(value, "dims"):  # a TensorProto
            value = numpy_helper.to_array(value)
        out[a.name] = value
    return out


# --------------------------------------------------------------------------- one node -> one layer


def _activations(cell: str, attrs: dict, directions: int, where: str) -> list[list[Activation]]:
    """Per direction, the node's activation functions (LSTM f,g,h; GRU f,g; RNN f)."""
    per = len(DEFAULT_ACTIVATIONS[cell])
    names = attrs.get("activations") or DEFAULT_ACTIVATIONS[cell] * directions
    if len(names) != per * directions:
        raise FormatError(f"{where}: {len(names)} activations for {directions} direction(s); a {cell.upper()} "
                          f"node needs {per} per direction")
    alphas = list(attrs.get("activation_alpha") or [])
    betas = list(attrs.get("activation_beta") or [])
    out = []
    for name in names:
        key = name.lower()
        if key not in ONNX_ACTIVATIONS:
            raise FormatError(f"{where}: activation {name!r} is not supported; gateviz knows "
                              f"{', '.join(sorted(ONNX_ACTIVATIONS))}")
        base, takes_alpha, takes_beta = ONNX_ACTIVATIONS[key]
        alpha = alphas.pop(0) if takes_alpha and alphas else None
        beta = betas.pop(0) if takes_beta and betas else None
        out.append(Activation(base, alpha, beta))
    return [out[d * per:(d + 1) * per] for d in range(directions)]


def _block_perm(cell: str, H: int) -> np.ndarray:
    order = {"lstm": [0, 2, 3, 1], "gru": [1, 0, 2], "rnn": [0]}[cell]  # ONNX iofc -> ifgo, zrh -> rzn
    return np.concatenate([np.arange(b * H, (b + 1) * H) for b in order])


def _layer_from_node(g: _Graph, node, where: str, notes: list[str]) -> RecurrentLayer:
    cell = RECURRENT_OPS[node.op_type]
    attrs = _attrs(node)
    inputs = list(node.input) + [""] * (8 - len(node.input))
    W, R = g.const(inputs[1]), g.const(inputs[2])
    if W is None or R is None:
        raise FormatError(f"{where}: its weights W/R are not constants (initializers or Constant nodes); "
                          "gateviz reads models whose recurrent weights are stored in the file")
    B, P = g.const(inputs[3]), g.const(inputs[7]) if cell == "lstm" else None
    if inputs[3] and B is None:
        raise FormatError(f"{where}: its bias B is computed in the graph, not stored; gateviz needs it constant")
    if cell == "lstm" and inputs[7] and P is None:
        raise FormatError(f"{where}: its peepholes P are computed in the graph, not stored")
    if inputs[4]:
        notes.append(f"{g.name(node)}: sequence_lens ignored (every step traced)")
    for k, label in ((5, "initial_h"), (6, "initial_c")):
        if inputs[k] and g.is_zero(inputs[k]) is False:
            raise FormatError(f"{where}: its {label} is a non-zero constant; gateviz starts every sequence "
                              "from zero states")
        if inputs[k] in g.inputs:
            notes.append(f"{g.name(node)}: {label} is a graph input, traced from zeros")
    G = GATES[cell]
    D, rows, in_size = W.shape
    H = int(attrs.get("hidden_size") or R.shape[-1])
    direction = attrs.get("direction", "forward")
    if rows != G * H or R.shape != (D, G * H, H) or D != (2 if direction == "bidirectional" else 1):
        raise FormatError(f"{where}: W {W.shape} / R {R.shape} do not fit a {direction} {cell.upper()} with "
                          f"hidden_size {H}")
    perm = _block_perm(cell, H)
    acts = _activations(cell, attrs, D, where)
    directions = []
    for d in range(D):
        reverse = direction == "reverse" or (direction == "bidirectional" and d == 1)
        if B is not None:
            bx, bh = B[d, :G * H], B[d, G * H:]
        else:
            bx = bh = np.zeros(G * H, dtype=W.dtype)
        peephole = None
        if P is not None:
            p = P[d].reshape(3, H)  # rows p_i, p_o, p_f
            peephole = np.ascontiguousarray(p[[0, 2, 1]])  # -> p_i, p_f, p_o
        directions.append(DirectionWeights(Wx=np.ascontiguousarray(W[d][perm]), Wh=np.ascontiguousarray(R[d][perm]),
                                           bx=np.ascontiguousarray(bx[perm]), bh=np.ascontiguousarray(bh[perm]),
                                           peephole=peephole, reverse=reverse))
    # canonical: (phi, sigma) = (candidate/output, gates); LSTM needs g == h
    roles = []
    for d, funcs in enumerate(acts):
        if cell == "lstm":
            f, gf, hf = funcs
            if gf != hf:
                raise FormatError(f"{where}: the cell-input activation {gf.label()} differs from the cell-output "
                                  f"activation {hf.label()}; gateviz draws one function for both")
            roles.append((gf, f))
        elif cell == "gru":
            roles.append((funcs[1], funcs[0]))
        else:
            roles.append((funcs[0], Activation("sigmoid")))
    act, rec = roles[0]
    if len(roles) == 2:
        if roles[1][0] != act:
            directions[1].activation = roles[1][0]
        if roles[1][1] != rec and cell != "rnn":
            directions[1].recurrent_activation = roles[1][1]
    clip = attrs.get("clip")
    return RecurrentLayer(
        cell=cell, units=H, input_size=int(in_size), directions=directions, activation=act,
        recurrent_activation=rec, reset_after=bool(attrs.get("linear_before_reset", 0)) if cell == "gru" else True,
        gate_clip=None if clip is None else float(clip), input_forget=bool(attrs.get("input_forget", 0)),
        merge="concat")


# --------------------------------------------------------------------------- stacks and head


@dataclass
class _Stack:
    nodes: list = field(default_factory=list)
    source: tuple = ("input", None)  # where the first node's X comes from


def _stacks(g: _Graph) -> list[_Stack]:
    recurrent = [n for n in g.nodes if n.op_type in RECURRENT_OPS and n.domain in ("", "ai.onnx")]
    prev = {id(n): g.source_of(n.input[0]) for n in recurrent}
    nxt = {}
    for n in recurrent:
        kind, p = prev[id(n)]
        if kind == "rnn" and p.op_type == n.op_type:
            nxt.setdefault(id(p), []).append(n)
    stacks = []
    for n in recurrent:
        kind, p = prev[id(n)]
        if kind == "rnn" and p.op_type == n.op_type and len(nxt.get(id(p), [])) == 1:
            continue  # continues the stack that p belongs to
        stack = _Stack([n], prev[id(n)])
        while len(nxt.get(id(stack.nodes[-1]), [])) == 1:
            stack.nodes.append(nxt[id(stack.nodes[-1])][0])
        stacks.append(stack)
    return stacks


def _find_head(g: _Graph, last_node, out_size: int, bidirectional: bool, notes: list[str]) -> Head | None:
    """A constant-weight MatMul(+Add)/Gemm reached from the last node's Y or Y_h through shape/pick ops."""
    # (tensor, reached from Y_h, a step was picked from Y on the way)
    frontier = [(name, idx == 1, False) for idx, name in enumerate(last_node.output[:2]) if name]
    seen = set()
    while frontier:
        name, from_yh, picked = frontier.pop(0)
        for node in g.consumers.get(name, []):
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.op_type in HEAD_PATH_OPS:
                picks = node.op_type in ("Gather", "Slice")
                frontier.extend((o, from_yh, picked or picks) for o in node.output)
                continue
            if node.op_type in ("MatMul", "Gemm"):
                # Y_h holds each direction's final state; a step picked from Y (out[:, -1]) is the final
                # state only for a forward layer: a backward direction's last step is its first state,
                # so there the head reads every step and the model's output is the last row.
                final = from_yh or (picked and not bidirectional)
                if picked and bidirectional:
                    notes.append("the head reads the last step of both directions")
                return _head_from(g, node, name, final, out_size, notes)
    return None


def _head_from(g: _Graph, node, data: str, final: bool, out_size: int, notes: list[str]) -> Head | None:
    other = node.input[1] if node.input[0] == data else node.input[0]
    if node.input[0] != data:  # the sequence must be the left operand: y = x @ W
        return None
    W = g.const(other)
    if W is None or W.ndim != 2:
        return None
    bias, out_name = None, node.output[0]
    if node.op_type == "Gemm":
        a = _attrs(node)
        weight = (W if a.get("transB", 0) else W.T) * a.get("alpha", 1.0)  # (out, in)
        if a.get("transA", 0):
            return None
        if len(node.input) > 2 and node.input[2]:
            c = g.const(node.input[2])
            if c is None:
                return None
            bias = np.broadcast_to(c * a.get("beta", 1.0), (weight.shape[0],)).copy()
    else:
        weight = W.T
        users = g.consumers.get(out_name, [])
        if len(users) == 1 and users[0].op_type == "Add":
            add = users[0]
            c = g.const(add.input[1] if add.input[0] == out_name else add.input[0])
            if c is not None and c.size == weight.shape[0]:
                bias, out_name = c.reshape(-1), add.output[0]
    activation = "identity"
    users = g.consumers.get(out_name, [])
    if len(users) == 1 and users[0].op_type in HEAD_ACTIVATION_OPS:
        activation = HEAD_ACTIVATION_OPS[users[0].op_type]
    if weight.shape[1] != out_size:
        notes.append(f"{g.name(node)} reads {weight.shape[1]} features, not the last layer's {out_size}; "
                     "not shown as the head")
        return None
    return Head(weight=np.ascontiguousarray(weight, dtype=np.float32 if weight.dtype == np.float32 else None),
                bias=bias, activation=activation, on="final_state" if final else "every_step")


# --------------------------------------------------------------------------- public


def _load(path):
    onnx, numpy_helper = _onnx()
    if not os.path.exists(path):
        raise FormatError(f"no such file: {path}")
    try:
        proto = onnx.load(str(path))
    except Exception as e:  # protobuf's DecodeError, missing external data...
        raise FormatError(f"{path}: cannot read this file as ONNX ({type(e).__name__}: {e}); "
                          "export the model again with torch.onnx.export") from None
    if not proto.graph.node:
        raise FormatError(f"{path}: this ONNX file has an empty graph (no nodes); it is not an ONNX model or is damaged")
    return _Graph(proto.graph, numpy_helper), proto


def _stack_name(g: _Graph, stack: _Stack) -> str:
    return g.name(stack.nodes[0])


def list_onnx_modules(path) -> list[str]:
    """Names that ``module=`` accepts: the first node of each stack of recurrent nodes."""
    g, _ = _load(path)
    return [_stack_name(g, s) for s in _stacks(g)]


def describe_onnx_modules(path) -> list[str]:
    """One line per stack of recurrent nodes: its --module name, cells, sizes and directions."""
    g, _ = _load(path)
    lines = []
    for s in _stacks(g):
        parts = []
        for n in s.nodes:
            a = _attrs(n)
            W = g.const(n.input[1]) if len(n.input) > 1 else None
            size = a.get("hidden_size") or (W.shape[1] // GATES[RECURRENT_OPS[n.op_type]] if W is not None else "?")
            parts.append(f"{n.op_type}({size}, {a.get('direction', 'forward')})")
        lines.append(f"{_stack_name(g, s)}: {' -> '.join(parts)}  [{', '.join(g.name(n) for n in s.nodes)}]")
    return lines


def read_onnx(path, module: str | None = None) -> RecurrentModel:
    """An ``.onnx`` file -> a validated RecurrentModel (framework "onnx")."""
    g, proto = _load(path)
    try:
        return _build(g, proto, str(path), module)
    except GatevizError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise FormatError(f"{path}: unexpected structure in this ONNX graph ({type(e).__name__}: {e})") from None


def _build(g: _Graph, proto, path: str, module: str | None) -> RecurrentModel:
    stacks = _stacks(g)
    if not stacks:
        ops = sorted({n.op_type for n in g.nodes})
        raise FormatError(f"{path}: this ONNX model has no LSTM, GRU or RNN node (it has {', '.join(ops[:12])}"
                          f"{'...' if len(ops) > 12 else ''}); gateviz opens recurrent models")
    listing = ", ".join(f"{_stack_name(g, s)} ({len(s.nodes)} {s.nodes[0].op_type} node(s))" for s in stacks)
    if module is not None:
        matches = [s for s in stacks if module in {g.name(n) for n in s.nodes}]
        if not matches:
            raise FormatError(f"{path}: no recurrent node named {module!r}; this model has: {listing}")
        stack = matches[0]
    elif len(stacks) > 1:
        raise ModuleChoiceRequired(f"{path}: this model has {len(stacks)} separate groups of recurrent nodes; pick one "
                          f"with --module NAME: {listing}")
    else:
        stack = stacks[0]
    notes: list[str] = []
    kind, src = stack.source
    if kind == "other" and module is None:
        what = f"{g.name(src)} ({src.op_type})" if src is not None else "a computed tensor"
        raise ModuleChoiceRequired(f"{path}: the recurrent nodes read the output of {what}, which gateviz cannot trace; "
                          f"open them on their raw input features with --module {_stack_name(g, stack)}")
    layers = [_layer_from_node(g, n, f"{path}: node {g.name(n)!r} ({n.op_type})", notes) for n in stack.nodes]
    if kind == "embedding":
        stage = InputStage(kind="embedding", features=int(src.shape[1]), embedding=src)
    else:
        if kind == "other":
            notes.append(f"traced on the outputs of {g.name(src) if src is not None else 'a computed tensor'}")
        stage = InputStage(kind="raw", features=layers[0].input_size)
    head = _find_head(g, stack.nodes[-1], layers[-1].output_size, layers[-1].bidirectional, notes)
    name = proto.graph.name or os.path.splitext(os.path.basename(path))[0]
    name = name + (f" ({'; '.join(notes)})" if notes else "")
    model = RecurrentModel(layers=layers, input=stage, head=head, name=name, source=path, framework="onnx")
    try:
        return model.validate()
    except GatevizError as e:
        raise FormatError(f"{path}: {e}") from None
