"""ONNX models with LSTM / GRU / RNN nodes -> the canonical RecurrentModel.

Conversion follows gate-conventions.md §3:
    W [D, G*H, in], R [D, G*H, H], B [D, 2*G*H] (input biases, then recurrent), P [D, 3H] (p_i, p_o, p_f)
    LSTM blocks i|o|f|c -> i|f|g|o, GRU z|r|h -> r|z|n, reset_after = linear_before_reset != 0.
Attributes ``activations`` (+ alpha/beta, consumed in order by the functions that take them,
as onnxruntime does), ``clip`` (gate pre-activations), ``input_forget`` (f = 1 - i) map to
the layer's options; a bidirectional node may give each direction its own activations, and an
LSTM's cell-output function h may differ from its cell-input g (the layer's output_activation).

Several recurrent nodes are one stack when each one's X comes from the previous one's Y
through shape-only ops (what torch.onnx.export writes: Transpose/Squeeze/Reshape). Before the
first node, a Gather from a constant matrix is an embedding (nn.Embedding); after the last,
a MatMul(+Add) or Gemm with constant weights (+ Softmax/Sigmoid/Tanh/Relu) is the head: it
reads the final state when it is reached from Y_h or through Gather/Slice (``out[:, -1]``),
every step otherwise. Weights come from initializers or Constant nodes.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..core.activations import Activation
from ..core.errors import FormatError, GatevizError, ModuleChoiceRequired
from ..core.model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel
from .onnx_graph import RECURRENT_OPS, SHAPE_OPS, Graph, attrs, load_proto

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
DIRECTIONS = ("forward", "reverse", "bidirectional")

_Graph = Graph
_attrs = attrs


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


def _check_node(cell: str, a: dict, W, R, B, P, where: str) -> tuple[str, int, int, int]:
    """(direction, directions, hidden_size, input_size) once the node's attributes and tensors fit the
    ONNX operator: a damaged or hand-made file gets a message, never a layer built from nonsense."""
    direction = a.get("direction", "forward")
    if direction not in DIRECTIONS:
        raise FormatError(f"{where}: direction {direction!r} is not an ONNX direction; it must be forward, "
                          "reverse or bidirectional")
    for key in ("layout", "input_forget", "linear_before_reset"):
        if key in a and a[key] not in (0, 1):
            raise FormatError(f"{where}: attribute {key} is {a[key]!r}; ONNX allows 0 or 1")
    clip = a.get("clip")
    if clip is not None and not (isinstance(clip, float) and np.isfinite(clip) and clip > 0):
        raise FormatError(f"{where}: clip is {clip!r}; the cell clip threshold must be a positive number")
    for label, t in (("W", W), ("R", R), ("B", B), ("P", P)):
        if t is not None and t.dtype.kind in "biuOSUcV" and str(t.dtype) != "bfloat16":
            raise FormatError(f"{where}: {label} holds {t.dtype} values; recurrent weights must be real "
                              "floating-point numbers (float32)")
    G, D = GATES[cell], 2 if direction == "bidirectional" else 1
    shapes = (f"ONNX's {cell.upper()} takes W [{D}, {G}*hidden_size, input_size] and R [{D}, {G}*hidden_size, "
              f"hidden_size] for a {direction} node")
    if W.ndim != 3 or R.ndim != 3:
        raise FormatError(f"{where}: W has shape {list(W.shape)} and R {list(R.shape)}; {shapes}")
    hidden = a.get("hidden_size")
    if hidden is not None and (not isinstance(hidden, int) or hidden <= 0):
        raise FormatError(f"{where}: hidden_size is {hidden!r}; it must be a positive number of units")
    H = int(hidden) if hidden is not None else int(R.shape[-1])
    if H <= 0 or W.shape[2] <= 0:
        raise FormatError(f"{where}: W has shape {list(W.shape)} and R {list(R.shape)}: no units or no inputs")
    if W.shape[:2] != (D, G * H) or R.shape != (D, G * H, H):
        raise FormatError(f"{where}: W {list(W.shape)} / R {list(R.shape)} do not fit a {direction} {cell.upper()} "
                          f"with hidden_size {H}; {shapes}")
    if B is not None and B.shape != (D, 2 * G * H):
        raise FormatError(f"{where}: B has shape {list(B.shape)}; a {direction} {cell.upper()} with hidden_size {H} "
                          f"takes B [{D}, {2 * G * H}]")
    if P is not None and P.shape != (D, 3 * H):
        raise FormatError(f"{where}: P has shape {list(P.shape)}; an LSTM with hidden_size {H} takes P [{D}, {3 * H}]")
    return direction, D, H, int(W.shape[2])


def _layer_from_node(g: _Graph, node, where: str, notes: list[str]) -> RecurrentLayer:
    cell = RECURRENT_OPS[node.op_type]
    attrs = _attrs(node, where)
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
    direction, D, H, in_size = _check_node(cell, attrs, W, R, B, P, where)
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
    # canonical: (phi, sigma) = (candidate, gates); an LSTM's h function is psi = phi unless it differs
    roles, outs = [], []
    for d, funcs in enumerate(acts):
        if cell == "lstm":
            f, gf, hf = funcs
            roles.append((gf, f))
            outs.append(hf)
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
    output_activation = outs[0] if outs and outs[0] != act else None
    if len(outs) == 2 and outs[1] != (output_activation or roles[1][0]):  # what direction 1 would use otherwise
        directions[1].output_activation = outs[1]
    clip = attrs.get("clip")
    return RecurrentLayer(
        cell=cell, units=H, input_size=int(in_size), directions=directions, activation=act,
        recurrent_activation=rec, reset_after=bool(attrs.get("linear_before_reset", 0)) if cell == "gru" else True,
        gate_clip=None if clip is None else float(clip), input_forget=bool(attrs.get("input_forget", 0)),
        merge="concat", output_activation=output_activation)


# --------------------------------------------------------------------------- stacks and head


@dataclass
class _Stack:
    nodes: list = field(default_factory=list)
    source: tuple = ("input", None)  # where the first node's X comes from


def _stacks(g: _Graph) -> list[_Stack]:
    recurrent = [n for n in g.nodes if n.op_type in RECURRENT_OPS and n.domain in ("", "ai.onnx")]
    for n in recurrent:
        if not n.input or not n.input[0] or not n.output:
            raise FormatError(f"{g.where}: node {g.name(n)!r} ({n.op_type}) has no input X or no output; "
                              "the file is damaged (re-export the model)")
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
        # bounded: the graph is acyclic, so a stack holds each recurrent node at most once
        while len(nxt.get(id(stack.nodes[-1]), [])) == 1 and len(stack.nodes) <= len(recurrent):
            stack.nodes.append(nxt[id(stack.nodes[-1])][0])
        stacks.append(stack)
    return stacks


def _find_head(g: _Graph, last_node, out_size: int, bidirectional: bool, notes: list[str]) -> Head | None:
    """A constant-weight MatMul(+Add)/Gemm reached from the last node's Y or Y_h through shape/pick ops."""
    # (tensor, reached from Y_h, a step was picked from Y on the way)
    frontier = deque((name, idx == 1, False) for idx, name in enumerate(last_node.output[:2]) if name)
    seen = set()  # each node is looked at once: the walk ends, cycle or not
    while frontier:
        name, from_yh, picked = frontier.popleft()
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


def _data_users(g: _Graph, name: str) -> list:
    """The nodes reading a tensor's values (Shape/Size read only its shape: tf2onnx's run-time shapes)."""
    return [n for n in g.consumers.get(name, []) if n.op_type not in ("Shape", "Size")]


def _past_reshapes(g: _Graph, name: str) -> str:
    """Follow a tensor through its only reader while that is a Reshape/Squeeze/Unsqueeze/Identity/Flatten
    (they keep the values and the last axis's order, so a bias added after them is the head's bias)."""
    for _ in range(g.limit):
        users = _data_users(g, name)
        if len(users) != 1 or users[0].op_type not in ("Reshape", "Squeeze", "Unsqueeze", "Identity", "Flatten") \
                or users[0].input[0] != name or not users[0].output:
            return name
        name = users[0].output[0]
    return name


def _head_from(g: _Graph, node, data: str, final: bool, out_size: int, notes: list[str]) -> Head | None:
    other = node.input[1] if node.input[0] == data else node.input[0]
    if node.input[0] != data:  # the sequence must be the left operand: y = x @ W
        return None
    W = g.const(other)
    if W is None or W.ndim != 2:
        return None
    bias, out_name = None, node.output[0]
    if node.op_type == "Gemm":
        a = _attrs(node, g.where)
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
        # tf2onnx puts a Reshape (its shape computed from Shape/Concat at run time) between MatMul and Add
        reshaped = _past_reshapes(g, out_name)
        users = _data_users(g, reshaped)
        if len(users) == 1 and users[0].op_type == "Add":
            add = users[0]
            c = g.const(add.input[1] if add.input[0] == reshaped else add.input[0])
            if c is not None and c.size == weight.shape[0] and c.shape[-1:] in ((weight.shape[0],), ()):
                bias, out_name = c.reshape(-1), add.output[0]
    activation = "identity"
    users = _data_users(g, _past_reshapes(g, out_name))
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
    path = str(path)
    proto = load_proto(path)
    return _Graph(proto.graph, path), proto


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
            a = _attrs(n, g.where)
            W = g.const(n.input[1]) if len(n.input) > 1 else None
            known = W is not None and W.ndim == 3
            size = a.get("hidden_size") or (W.shape[1] // GATES[RECURRENT_OPS[n.op_type]] if known else "?")
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
