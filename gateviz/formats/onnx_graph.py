"""The ONNX file and graph as gateviz walks them: producers, consumers, constants, checked before use.

A file can hold anything, so nothing here trusts it:
    load_proto(path)                    a file of 2 GiB or more (protobuf's limit) or one that would not fit
                                        in memory is refused before it is read; external data only from the
                                        model's folder, its lengths checked against dims and files
    check_acyclic(nodes, name, where)   a cycle (Transpose <-> Transpose, Identity -> itself, ...) is a
                                        FormatError naming its nodes; ONNX graphs must be acyclic
    tensor_array(t, where)              a TensorProto -> numpy array, after checking its dims and that its
                                        data holds exactly what the dims declare (no allocation first)
    Graph                               producers/consumers/constants; every walk is iterative and
                                        bounded by the number of nodes, so even a cycle that slipped
                                        past check_acyclic ends in a message, never a hang or a
                                        RecursionError
"""

from __future__ import annotations

import os

import numpy as np

from ..core.errors import FormatError

RECURRENT_OPS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
# ops that only move or reshape data: a stack's layers are linked through these
SHAPE_OPS = {"Transpose", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Cast", "Flatten"}
# Python ints beyond this many elements are not a tensor anyone can hold (2^40 float32 = 4 TiB)
MAX_ELEMENTS = 1 << 40
CYCLE_NAMES_SHOWN = 8


def onnx_modules():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:  # pragma: no cover - onnx is a dependency
        raise FormatError("reading ONNX files needs the onnx package (pip install onnx)") from None
    return onnx, numpy_helper


def node_names(nodes) -> dict[int, str]:
    """id(node) -> its name, or OpType_k for unnamed nodes (what messages and --module use)."""
    names, counts = {}, {}
    for node in nodes:
        n = counts.get(node.op_type, 0)
        counts[node.op_type] = n + 1
        names[id(node)] = node.name or f"{node.op_type}_{n}"
    return names


def cycle_error(where: str, cycle: list[str]) -> FormatError:
    shown = cycle if len(cycle) <= CYCLE_NAMES_SHOWN else cycle[:CYCLE_NAMES_SHOWN - 1] + ["…"]
    path = " → ".join(shown + [cycle[0]])
    return FormatError(f"{where}: the ONNX graph has a cycle through nodes {path}; an ONNX graph must be acyclic "
                       "(re-export the model)")


def find_cycle(nodes) -> list | None:
    """The nodes of one cycle in producer -> consumer order, or None when the graph is acyclic.

    Kahn's topological sort (iterative, O(nodes + edges), whatever order the file lists the nodes
    in); what it cannot sort contains a cycle, found by walking producers among those nodes.
    """
    producer: dict[str, int] = {}
    for i, node in enumerate(nodes):
        for out in node.output:
            if out:
                producer[out] = i
    deps = [{producer[x] for x in node.input if x in producer} for node in nodes]
    waiting = [len(d) for d in deps]
    users: list[list[int]] = [[] for _ in nodes]
    for i, d in enumerate(deps):
        for j in d:
            users[j].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    while ready:
        i = ready.pop()
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    stuck = [i for i, w in enumerate(waiting) if w > 0]
    if not stuck:
        return None
    # every stuck node waits for a stuck producer: walking back must come round to a node seen before
    stuck_set, path, seen_at = set(stuck), [], {}
    i = stuck[0]
    while i not in seen_at:
        seen_at[i] = len(path)
        path.append(i)
        i = next(j for j in sorted(deps[i]) if j in stuck_set)
    cycle = path[seen_at[i]:]
    cycle.reverse()  # the walk went consumer -> producer
    first = cycle.index(min(cycle))  # start the message at the node the file lists first
    return [nodes[k] for k in cycle[first:] + cycle[:first]]


def check_acyclic(nodes, names: dict[int, str], where: str) -> None:
    cycle = find_cycle(nodes)
    if cycle is not None:
        raise cycle_error(where, [names[id(n)] for n in cycle])


# --------------------------------------------------------------------------- tensors

_BITS_NAMES = {"INT4": 4, "UINT4": 4, "FLOAT4E2M1": 4, "INT2": 2, "UINT2": 2, "FLOAT6E2M3": 6, "FLOAT6E3M2": 6}


def _element_bits(onnx, data_type: int) -> int | None:
    """Bits per element of an ONNX element type; None for strings or a type this onnx does not know."""
    for name, bits in _BITS_NAMES.items():
        if getattr(onnx.TensorProto, name, None) == data_type:
            return bits
    if data_type == onnx.TensorProto.STRING:
        return None
    try:
        return 8 * np.dtype(onnx.helper.tensor_dtype_to_np_dtype(data_type)).itemsize
    except (KeyError, TypeError, ValueError):
        return None


def declared_size(t, where: str) -> tuple[int, int | None]:
    """(elements, bytes of raw data) that a TensorProto's dims declare; checked, nothing allocated.
    bytes is None for strings."""
    onnx, _ = onnx_modules()
    label = f"{where}: tensor {t.name!r}" if t.name else f"{where}: a tensor"
    dims = list(t.dims)
    if any(d < 0 for d in dims):
        raise FormatError(f"{label} has a negative dimension (dims {dims}); every ONNX dimension is 0 or more: "
                          "the file is damaged (re-export the model)")
    n = 1
    for d in dims:
        n *= d
    if n > MAX_ELEMENTS:
        raise FormatError(f"{label} declares dims {dims}, {n:.3g} values, far more than any model holds: the file "
                          "is damaged (re-export the model)")
    if t.data_type == onnx.TensorProto.UNDEFINED:
        raise FormatError(f"{label} has no element type (UNDEFINED): the file is damaged (re-export the model)")
    if t.data_type == onnx.TensorProto.STRING:
        return n, None
    bits = _element_bits(onnx, t.data_type)
    if bits is None:
        raise FormatError(f"{label} has element type {t.data_type}, which this onnx package does not know; "
                          "store the weights as float32 (or update onnx)")
    return n, (n * bits + 7) // 8


def tensor_array(t, where: str) -> np.ndarray:
    """A TensorProto held in the file (not external data) -> numpy, once its data fits its dims."""
    onnx, numpy_helper = onnx_modules()
    label = f"{where}: tensor {t.name!r}" if t.name else f"{where}: a tensor"
    n, nbytes = declared_size(t, where)
    if t.HasField("segment"):
        raise FormatError(f"{label} is stored in segments, which gateviz does not read; re-export the model")
    if t.data_location == onnx.TensorProto.EXTERNAL:
        raise FormatError(f"{label} keeps its data in an external file that was not loaded")
    if t.HasField("raw_data"):
        have, what = len(t.raw_data), "bytes"
        want = nbytes
    else:
        field_name = onnx.helper.tensor_dtype_to_field(t.data_type)
        have, what = len(getattr(t, field_name)), f"values in {field_name}"
        complex_ = t.data_type in (onnx.TensorProto.COMPLEX64, onnx.TensorProto.COMPLEX128)
        want = 2 * n if complex_ else n
        bits = _element_bits(onnx, t.data_type)
        if bits is not None and bits < 8 and have * 32 >= n * bits:
            want = None  # sub-byte types pack several values into each int32: enough data is all we ask
    if want is not None and have != want:
        raise FormatError(f"{label} declares dims {list(t.dims)} ({n:,} values, {want:,} {what}) but holds "
                          f"{have:,} {what}: the file is damaged or truncated (re-export the model)")
    try:
        return numpy_helper.to_array(t)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as e:
        raise FormatError(f"{label} cannot be read ({type(e).__name__}: {e}); re-export the model") from None


def attrs(node, where: str = "") -> dict:
    """A node's attributes as Python values (strings decoded, tensors checked and converted)."""
    onnx, _ = onnx_modules()
    out = {}
    for a in node.attribute:
        if a.type == onnx.AttributeProto.TENSOR:
            out[a.name] = tensor_array(a.t, where or f"node {node.name or node.op_type}")
            continue
        value = onnx.helper.get_attribute_value(a)
        try:
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            elif isinstance(value, list) and value and isinstance(value[0], bytes):
                value = [v.decode("utf-8") for v in value]
        except UnicodeDecodeError:
            raise FormatError(f"{where or node.op_type}: attribute {a.name!r} is not UTF-8 text; "
                              "the file is damaged (re-export the model)") from None
        out[a.name] = value
    return out


# --------------------------------------------------------------------------- the graph


class Graph:
    """Producers, consumers and constant values of an ONNX graph (checked acyclic first)."""

    def __init__(self, graph, where: str):
        self.where = where
        self.nodes = list(graph.node)
        self.names = node_names(self.nodes)
        check_acyclic(self.nodes, self.names, where)
        # no chain of producers is longer than the graph: a walk past this many steps is a cycle
        self.limit = len(self.nodes) + 1
        self.inputs = {i.name for i in graph.input}
        self.consts: dict[str, np.ndarray] = {t.name: tensor_array(t, where) for t in graph.initializer}
        self.inputs -= set(self.consts)  # old exporters list initializers as inputs too
        self.producer = {}
        self.consumers: dict[str, list] = {}
        for node in self.nodes:
            for out in node.output:
                self.producer[out] = node
            for inp in node.input:
                self.consumers.setdefault(inp, []).append(node)
            if node.op_type == "Constant" and node.output:
                for a in node.attribute:
                    if a.name == "value":
                        self.consts[node.output[0]] = tensor_array(a.t, f"{where}: node {self.name(node)!r}")
                    elif a.name in ("value_float", "value_int"):
                        self.consts[node.output[0]] = np.asarray(a.f if a.name == "value_float" else a.i)
                    elif a.name in ("value_floats", "value_ints"):
                        self.consts[node.output[0]] = np.asarray(list(a.floats if a.name == "value_floats" else a.ints))

    def name(self, node) -> str:
        return self.names[id(node)]

    def _walk_cycle(self, start: str) -> FormatError:
        """The error for a walk that ran past ``limit`` (a cycle check_acyclic did not see)."""
        return FormatError(f"{self.where}: the ONNX graph has a cycle through the producers of {start!r}; "
                           "an ONNX graph must be acyclic (re-export the model)")

    def const(self, name: str) -> np.ndarray | None:
        """The value of a constant tensor (initializer, Constant, or Identity/Cast of one)."""
        start = name
        for _ in range(self.limit):
            if not name:
                return None
            if name in self.consts:
                return self.consts[name]
            node = self.producer.get(name)
            if node is None or node.op_type not in ("Identity", "Cast") or not node.input:
                return None
            name = node.input[0]
        raise self._walk_cycle(start)

    def is_zero(self, name: str) -> bool | None:
        """True/False for a constant, computed zeros (Expand/ConstantOfShape of 0); None when unknown."""
        start = name
        for _ in range(self.limit):
            value = self.const(name)
            if value is not None:
                return not np.any(value)
            node = self.producer.get(name)
            if node is None:
                return None
            if node.op_type in ("Expand", "Identity", "Cast") and node.input:
                name = node.input[0]
                continue
            if node.op_type == "ConstantOfShape":
                a = attrs(node, f"{self.where}: node {self.name(node)!r}")
                return "value" not in a or not np.any(a["value"])
            return None
        raise self._walk_cycle(start)

    def source_of(self, name: str):
        """Follow shape-only ops back from a tensor: ("input", name) | ("rnn", node) | ("embedding", array)
        | ("other", node)."""
        start = name
        for _ in range(self.limit):
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
                if table is not None and table.ndim == 2 and attrs(node).get("axis", 0) == 0 \
                        and self.const(node.input[1]) is None:
                    return "embedding", table
            return "other", node
        raise self._walk_cycle(start)


# --------------------------------------------------------------------------- the file

# protobuf cannot parse a message of 2 GiB or more: a larger .onnx file is not a valid model
PROTOBUF_LIMIT = 2**31
# onnx.load holds the file's bytes and the parsed message, then the initializers become arrays:
# reading a 60 MB LSTM(1500) raised peak RSS by 176 MB (2.9x the file)
LOAD_FACTOR = 3
TOO_LARGE = "a model this large cannot be traced here"


def load_proto(path: str):
    """The file's ModelProto, refused before reading when it cannot be an ONNX model or would not fit
    in memory; external data is checked (beside the model, lengths that fit dims and file) and loaded."""
    onnx, _ = onnx_modules()
    from ..core import budget

    if not os.path.exists(path):
        raise FormatError(f"no such file: {path}")
    if not os.path.isfile(path):
        raise FormatError(f"{path}: not a file; open the .onnx file itself")
    size = os.path.getsize(path)
    if size >= PROTOBUF_LIMIT:
        raise FormatError(f"{path}: this file is {budget.format_bytes(size)}, but an ONNX file holds at most 2 GiB "
                          "(protobuf's limit), so it is not a valid ONNX model or it is damaged; larger models keep "
                          "their weights as external data beside the .onnx file "
                          "(onnx.save(model, path, save_as_external_data=True))")
    budget.require(size * LOAD_FACTOR, f"reading {path} ({budget.format_bytes(size)})", TOO_LARGE)
    # not onnx.checker: it refuses files that onnxruntime and torch's exporters accept (a value_info
    # without a shape), and check_acyclic below is what the walks need
    try:
        proto = onnx.load(path, load_external_data=False)
    except Exception as e:  # protobuf's DecodeError on anything that is not a ModelProto
        raise FormatError(f"{path}: cannot read this file as ONNX ({type(e).__name__}: {e}); "
                          "export the model again with torch.onnx.export") from None
    if not proto.graph.node:
        raise FormatError(f"{path}: this ONNX file has an empty graph (no nodes); it is not an ONNX model or is damaged")
    _load_external_data(onnx, proto, path)
    return proto


def _inside(target: str, folder: str) -> bool:
    try:
        return os.path.commonpath([target, folder]) == folder
    except ValueError:  # Windows: another drive
        return False


def _load_external_data(onnx, proto, path: str) -> None:
    """Weights kept in files beside the model: only there, each as long as its dims say and within
    its file, all of them within the memory budget; then onnx reads them (with its own checks too)."""
    from ..core import budget

    graph = proto.graph
    tensors = list(graph.initializer) + [a.t for node in graph.node for a in node.attribute
                                         if a.type == onnx.AttributeProto.TENSOR]
    external = [t for t in tensors if t.data_location == onnx.TensorProto.EXTERNAL]
    if not external:
        return
    base = os.path.dirname(os.path.abspath(path))
    real_base = os.path.realpath(base)
    total = 0
    for t in external:
        label = f"{path}: tensor {t.name!r}"
        info = {e.key: e.value for e in t.external_data}
        location = info.get("location", "")
        target = os.path.realpath(os.path.join(base, location)) if location else ""
        if not location or os.path.isabs(location) or not _inside(target, real_base):
            raise FormatError(f"{label} keeps its data in {location!r}, outside the model's folder {base}; gateviz "
                              "reads external data only from files in the model's folder")
        if not os.path.isfile(target):
            raise FormatError(f"{label} keeps its data in {location!r}, which is not a file in {base}; copy it "
                              "there with the model")
        n, nbytes = declared_size(t, path)
        if nbytes is None:
            raise FormatError(f"{label} is a string tensor kept as external data, which ONNX does not allow")
        file_size = os.path.getsize(target)
        try:
            offset = int(info.get("offset") or 0)
            length = int(info["length"]) if info.get("length") else file_size - offset
        except ValueError:
            raise FormatError(f"{label}: its external data offset/length are not numbers; the file is damaged") from None
        if offset < 0 or length != nbytes:
            raise FormatError(f"{label} declares dims {list(t.dims)} ({nbytes:,} bytes) but its external data in "
                              f"{location!r} is {length:,} bytes from offset {offset:,}; the file is damaged")
        if offset + length > file_size:
            raise FormatError(f"{label} needs bytes {offset:,}..{offset + length:,} of {location!r}, which has only "
                              f"{file_size:,}; the data file is truncated or not this model's")
        total += length
    budget.require(total * 2, f"reading the external weights of {path} ({budget.format_bytes(total)})", TOO_LARGE)
    for t in external:
        try:
            onnx.external_data_helper.load_external_data_for_tensor(t, base)
        except Exception as e:  # onnx's own checks (links, bounds) and OSError
            raise FormatError(f"{path}: tensor {t.name!r}: its external data cannot be read "
                              f"({type(e).__name__}: {e})") from None
