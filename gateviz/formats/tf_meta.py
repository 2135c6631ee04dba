"""What a TF1 cell's ``.meta`` graph knows and its checkpoint does not: ``forget_bias``, ``cell_clip``,
``proj_clip`` and the activation, read without TensorFlow (gate-conventions.md §4, pitfall 4).

The ``.meta`` is a MetaGraphDef; its GraphDef (field 2) holds NodeDefs, and since TF 2's control flow
v2 the while loop's body lives in ``library.function[*].node_def``. Either way each cell leaves the
same small pattern, found by name and wiring (``rnn_cell_impl.py``):

    LSTM   Add(split:2, Const)                       forget_bias (always added, even 0.0)
           Minimum(c, Const) in …/clip_by_value…     cell_clip; proj_clip when c comes from a MatMul
           Tanh|Relu|…(split:1)                      the activation
    GRU    Tanh|Relu|…(…gru_cell/BiasAdd_1)          the activation
    RNN    Tanh|Relu|…(…basic_rnn_cell/BiasAdd)       the activation

Each found value carries where it was found (function name + node scope), so the reader can give
each layer and direction its own. Gradient nodes are skipped. Only protobuf fields are decoded.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import FormatError
from .tf_bundle import DTYPES, _fields

_MAX_META = 512 * 1024 * 1024
_ACTIVATIONS = {"Tanh": "tanh", "Relu": "relu", "Sigmoid": "sigmoid", "Elu": "elu", "Softsign": "softsign",
                "Softplus": "softplus", "Identity": "linear"}
_CELL_SCOPE = re.compile(r"^(?P<scope>.*?)(?P<cell>basic_lstm_cell|lstm_cell|gru_cell|basic_rnn_cell)(?:_\d+)?/")


@dataclass
class Found:
    where: str  # "<function or graph>/<node scope>": matched against layers and directions
    cell: str
    option: str  # forget_bias | cell_clip | proj_clip | activation
    value: float | str


@dataclass
class _Node:
    name: str
    op: str
    inputs: list[str]
    raw: bytes


def _node(buf: bytes, where: str) -> _Node:
    n = _Node("", "", [], buf)
    for number, v in _fields(buf, where):
        if number == 1:
            n.name = v.decode("utf-8", "replace")
        elif number == 2:
            n.op = v.decode("utf-8", "replace")
        elif number == 3:
            n.inputs.append(v.decode("utf-8", "replace"))
    return n


def _const_scalar(node: _Node, where: str) -> float | None:
    """A Const node's single float value (attr "value" -> TensorProto), else None."""
    for number, entry in _fields(node.raw, where):
        if number != 5 or not isinstance(entry, bytes):
            continue
        fields = dict(_fields(entry, where))
        if fields.get(1) != b"value" or not isinstance(fields.get(2), bytes):
            continue
        tensor = dict((n, v) for n, v in _fields(fields[2], where) if n == 8).get(8)
        if not isinstance(tensor, bytes):
            return None
        t = _fields(tensor, where)
        dtype = next((v for n, v in t if n == 1), 1)
        for n, v in t:
            if n == 4 and dtype in DTYPES:  # tensor_content: raw bytes
                values = np.frombuffer(v, dtype=DTYPES[dtype])
                return float(values[0]) if values.size == 1 else None
            if n == 5:  # float_val: packed (bytes) or one fixed32
                values = (np.frombuffer(v, "<f4") if isinstance(v, bytes)
                          else [struct.unpack("<f", struct.pack("<I", v))[0]])
                return float(values[0]) if len(values) == 1 else None
            if n == 6:  # double_val
                values = (np.frombuffer(v, "<f8") if isinstance(v, bytes)
                          else [struct.unpack("<d", struct.pack("<Q", v))[0]])
                return float(values[0]) if len(values) == 1 else None
        return 0.0  # a Const with no values: zeros
    return None


def _source(ref: str) -> tuple[str, int]:
    """An input reference -> (node name, output index): "a/split:2" (graph), "a/split:output:2" (function)."""
    ref = ref.lstrip("^")
    parts = ref.split(":")
    if len(parts) == 1:
        return ref, 0
    return parts[0], int(parts[-1]) if parts[-1].isdigit() else 0


def _scan(nodes: list[_Node], set_name: str, where: str) -> list[Found]:
    by_name = {n.name: n for n in nodes}
    found = []
    for n in nodes:
        if "gradients" in n.name or not n.inputs:
            continue
        m = _CELL_SCOPE.match(n.name)
        if not m:
            continue
        cell, scope = m.group("cell"), m.group(0)
        place = f"{set_name}/{m.group('scope')}"
        sources = [_source(i) for i in n.inputs]
        src = [by_name.get(s) for s, _ in sources]
        if cell.endswith("lstm_cell"):
            if n.op in ("Add", "AddV2") and len(src) == 2:
                for (a, _), (b_node, k) in ((sources[1], sources[0]), (sources[0], sources[1])):
                    if k == 2 and b_node == f"{scope}split" and by_name.get(a) is not None \
                            and by_name[a].op == "Const":
                        value = _const_scalar(by_name[a], where)
                        if value is not None:
                            found.append(Found(place, cell, "forget_bias", value))
            elif n.op == "Minimum" and "clip_by_value" in n.name and len(src) == 2 and src[1] is not None \
                    and src[1].op == "Const":
                value = _const_scalar(src[1], where)
                projected = src[0] is not None and src[0].op in ("MatMul", "BatchMatMulV2")
                if value is not None:
                    found.append(Found(place, cell, "proj_clip" if projected else "cell_clip", value))
            elif n.op in _ACTIVATIONS and sources[0] == (f"{scope}split", 1):
                found.append(Found(place, cell, "activation", _ACTIVATIONS[n.op]))
        elif n.op in _ACTIVATIONS:
            feeds = f"{scope}BiasAdd_1" if cell == "gru_cell" else f"{scope}BiasAdd"
            if sources[0][0] == feeds:
                found.append(Found(place, cell, "activation", _ACTIVATIONS[n.op]))
    return found


def read_meta_options(path: str | Path) -> list[Found]:
    """Every cell option the MetaGraphDef at ``path`` shows; FormatError when it is not one."""
    try:
        return _read(Path(path))
    except FormatError:
        raise
    except (AttributeError, TypeError, ValueError, struct.error, UnicodeError, IndexError) as e:
        raise FormatError(f"{path} is not a readable MetaGraphDef ({type(e).__name__})") from None


def _read(path: Path) -> list[Found]:
    where = str(path)
    size = path.stat().st_size
    if size > _MAX_META:
        raise FormatError(f"{path} is {size:,} bytes, too large for a model's .meta graph; move it away to open "
                          "the checkpoint with TF's defaults")
    graph = next((v for n, v in _fields(path.read_bytes(), where) if n == 2 and isinstance(v, bytes)), None)
    if graph is None:
        return []
    found, top = [], []
    for number, v in _fields(graph, where):
        if number == 1 and isinstance(v, bytes):
            top.append(_node(v, where))
        elif number == 2 and isinstance(v, bytes):  # FunctionDefLibrary
            for fn_number, fn in _fields(v, where):
                if fn_number != 1 or not isinstance(fn, bytes):
                    continue
                name, nodes = "", []
                for k, part in _fields(fn, where):
                    if k == 1:  # OpDef signature: its name
                        name = next((x.decode("utf-8", "replace") for j, x in _fields(part, where) if j == 1), "")
                    elif k == 3:
                        nodes.append(_node(part, where))
                if "grad" not in name:
                    found += _scan(nodes, name, where)
    return _scan(top, "", where) + found
