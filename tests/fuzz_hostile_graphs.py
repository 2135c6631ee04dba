"""The fuzz corpus's hand-written hostile Keras (.h5, .keras) and ONNX cases (see fuzz_hostile.py).

Files these cases name outside their own folder are decoys the runner watches: HDF5 external
links, external raw data and virtual datasets, zip members with ../, ONNX external data.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from fuzz_corpus import (FEATURES, GIB, UNITS, Builder, keras_config, keras_layer, keras_weights, keras_zip,
                         onnx_bytes, onnx_init, set_declared_size, weights_h5_bytes, write_h5)
from fuzz_hostile import sparse


# --------------------------------------------------------------------------- Keras .h5

def keras_h5(b: Builder) -> None:
    import h5py

    def h5(name, decoys=(), **kw):
        b.model(f"h5-{name}", "keras", "model.h5", writer=lambda p: write_h5(p, **kw), decoys=decoys)

    w = keras_weights()
    h5("nan-weight", weights={**w, "recurrent_kernel": np.full_like(w["recurrent_kernel"], np.nan)})
    h5("complex-weight", weights={**w, "kernel": w["kernel"].astype(np.complex64)})
    h5("string-weight", weights={**w, "bias": np.array([b"x"] * (4 * UNITS))})
    h5("wrong-shape", weights={**w, "kernel": np.zeros((7, 5), np.float32)})
    h5("config-deep", model_config="[" * 5000 + "]" * 5000)
    h5("config-a-list", model_config=json.dumps([1, 2]))
    h5("config-not-json", model_config="{oops")
    h5("config-not-utf8", model_config=np.void(b"\xff\xfe{\x80"))
    h5("layer-unknown-class", config=keras_config({"class_name": "LSTMFoo", "config": {"units": UNITS}}))
    h5("units-negative", config=keras_config(keras_layer(units=-3)))
    h5("units-huge", config=keras_config(keras_layer(units=10 ** 9)))
    h5("activation-unknown", config=keras_config(keras_layer(activation="evil")))
    h5("layers-a-string", config={"class_name": "Sequential", "config": {"layers": "lstm"}})
    h5("no-weight-names", mutate=lambda f, g: g.attrs.__delitem__("weight_names"))
    h5("weight-names-wrong", mutate=lambda f, g: g.attrs.__setitem__("weight_names", np.array([b"nope:0"], dtype="S")))
    h5("no-model-weights", mutate=lambda f, g: f.__delitem__("model_weights"))
    cell = "/model_weights/lstm/lstm/lstm_cell"

    def relink(name, link):
        def mutate(f, g):
            del g[f"lstm/lstm_cell/{name}"]
            g[f"lstm/lstm_cell/{name}"] = link
        return mutate

    def soft_loop(f, g):
        relink("kernel:0", h5py.SoftLink(f"{cell}/loop"))(f, g)
        g["lstm/lstm_cell/loop"] = h5py.SoftLink(f"{cell}/kernel:0")

    h5("soft-link-loop", mutate=soft_loop)
    h5("soft-link-self", mutate=relink("bias:0", h5py.SoftLink(f"{cell}/bias:0")))
    h5("soft-link-dangling", mutate=relink("bias:0", h5py.SoftLink("/nowhere/at/all")))

    def huge_dataset(f, g):  # declares 64 GiB, chunked, never written: the file stays small
        del g["lstm/lstm_cell/kernel:0"]
        g.create_dataset("lstm/lstm_cell/kernel:0", shape=(1 << 20, 1 << 14), dtype="f4", chunks=(64, 64))

    h5("dataset-declared-64g", mutate=huge_dataset)

    def bomb(f, g):  # 256 MiB of zeros, gzip: a few hundred KiB
        g.create_dataset("lstm/lstm_cell/extra:0", data=np.zeros((1 << 26,), np.float32), chunks=(1 << 20,),
                         compression="gzip", compression_opts=9)
        g.attrs["weight_names"] = np.array([*g.attrs["weight_names"], b"lstm/lstm_cell/extra:0"], dtype="S")

    h5("compressed-bomb-256m", mutate=bomb)
    # links out of the file: to a valid model.h5 with other weights, to a text file, the whole weights group
    other = b.outside("h5-external-link-h5") / "other.h5"
    write_h5(other, weights={k: v + 1 for k, v in w.items()})
    h5("external-link-h5", decoys=[other],
       mutate=relink("kernel:0", h5py.ExternalLink(str(other), f"{cell}/kernel:0")))
    secret = b.decoy("h5-external-link-text")
    h5("external-link-text", decoys=[secret], mutate=relink("kernel:0", h5py.ExternalLink(str(secret), "/x")))
    other = b.outside("h5-external-link-group") / "other.h5"
    write_h5(other)

    def ext_group(f, g):
        del f["model_weights"]
        f["model_weights"] = h5py.ExternalLink(str(other), "/model_weights")

    h5("external-link-group", decoys=[other], mutate=ext_group)
    raw = b.decoy("h5-external-raw-data", np.ones(FEATURES * 4 * UNITS, np.float32).tobytes(), "raw.bin")

    def external_raw(f, g):
        del g["lstm/lstm_cell/kernel:0"]
        g.create_dataset("lstm/lstm_cell/kernel:0", shape=(FEATURES, 4 * UNITS), dtype="f4",
                         external=[(str(raw), 0, h5py.h5f.UNLIMITED)])

    h5("external-raw-data", decoys=[raw], mutate=external_raw)
    source = b.outside("h5-virtual-dataset") / "source.h5"
    with h5py.File(source, "w") as f:
        f["k"] = np.ones((FEATURES, 4 * UNITS), np.float32)

    def virtual(f, g):
        del g["lstm/lstm_cell/kernel:0"]
        layout = h5py.VirtualLayout(shape=(FEATURES, 4 * UNITS), dtype="f4")
        layout[:] = h5py.VirtualSource(str(source), "k", shape=(FEATURES, 4 * UNITS))
        g.create_virtual_dataset("lstm/lstm_cell/kernel:0", layout)

    h5("virtual-dataset", decoys=[source], mutate=virtual)

    def sparse_h5(p):
        write_h5(p)
        os.truncate(p, 3 * GIB)

    b.model("h5-sparse-3g", "keras", "model.h5", writer=sparse_h5)


# --------------------------------------------------------------------------- Keras .keras zips

def keras_zips(b: Builder) -> None:
    import h5py

    def keras(name, data=None, **kw):
        b.model(f"keras-{name}", "keras", "model.keras", data, **kw)

    w = keras_weights()
    config = json.dumps(keras_config()).encode()
    meta = b'{"keras_version": "3.5.0"}'
    keras("config-declared-3g", set_declared_size(keras_zip(), "config.json", 3 * GIB))
    keras("weights-declared-4g", set_declared_size(keras_zip(), "model.weights.h5", 0xFFFFFFF0))
    keras("config-bomb-70m", keras_zip({"metadata.json": meta, "config.json": b" " * (70 << 20),
                                        "model.weights.h5": weights_h5_bytes()}))
    keras("config-deep", keras_zip({"metadata.json": meta, "config.json": b"[" * 50_000 + b"]" * 50_000,
                                    "model.weights.h5": weights_h5_bytes()}))
    keras("config-not-utf8", keras_zip({"metadata.json": meta, "config.json": b"\xff\xfe\x80{",
                                        "model.weights.h5": weights_h5_bytes()}))
    keras("metadata-a-list", keras_zip({"metadata.json": b"[1]", "config.json": config,
                                        "model.weights.h5": weights_h5_bytes()}))
    keras("no-weights", keras_zip({"metadata.json": meta, "config.json": config}))
    keras("no-config", keras_zip({"metadata.json": meta, "model.weights.h5": weights_h5_bytes()}))
    keras("weights-not-hdf5", keras_zip(weights=b"not an hdf5 file at all"))
    keras("weights-nan", keras_zip(weights=weights_h5_bytes(weights={**w, "kernel": np.full_like(w["kernel"], np.nan)})))
    keras("weights-missing-var", keras_zip(weights=weights_h5_bytes(mutate=lambda f: f.__delitem__("layers/lstm/cell/vars/2"))))
    escape = b.outside("keras-member-escapes") / "evil.json"
    absolute = f"/tmp/gateviz-fuzz-absolute-{os.getpid()}.json"
    keras("member-escapes", keras_zip(extra={f"../../outside/{escape.parent.name}/evil.json": b"{}", absolute: b"{}"}),
          must_not_exist=[escape, absolute])
    with warnings.catch_warnings():  # zipfile warns of the duplicate it is asked to write
        warnings.simplefilter("ignore")
        keras("duplicate-members", keras_zip(extra={"config.json": b"{}"}))
    other = b.outside("keras-weights-external-link") / "other.h5"
    write_h5(other)

    def weights_ext(f):
        del f["layers/lstm/cell/vars/0"]
        f["layers/lstm/cell/vars/0"] = h5py.ExternalLink(str(other), "/model_weights/lstm/lstm/lstm_cell/kernel:0")

    keras("weights-external-link", keras_zip(weights=weights_h5_bytes(mutate=weights_ext)), decoys=[other])
    target = b.decoy("keras-symlink-member")  # a member whose unix mode says "symlink to the decoy"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("metadata.json", meta)
        info = zipfile.ZipInfo("config.json")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, str(target))
        zf.writestr("model.weights.h5", weights_h5_bytes())
    keras("symlink-member", out.getvalue(), decoys=[target])
    enc = bytearray(keras_zip())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = 0
        while (pos := enc.find(sig, pos)) >= 0:
            enc[pos + flag_at] |= 1  # "encrypted"
            pos += 4
    keras("encrypted-flag", bytes(enc))
    keras("sparse-3g", writer=sparse(keras_zip(), 3 * GIB))


# --------------------------------------------------------------------------- ONNX

def _pb_field(number: int, wire: int, payload: bytes | int) -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)
    if wire == 0:
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def deep_if_node(levels: int) -> bytes:
    """Protobuf bytes that, appended to a serialized ModelProto, add to its graph an If node whose
    then-branch nests ``levels`` deep (by hand: onnx's helpers refuse to build it)."""
    graph = b""
    for i in range(levels):
        attr = _pb_field(1, 2, b"then_branch") + _pb_field(6, 2, graph) + _pb_field(20, 0, 5)
        node = _pb_field(1, 2, b"cond") + _pb_field(2, 2, f"z{i}".encode()) + _pb_field(4, 2, b"If") + _pb_field(5, 2, attr)
        graph = _pb_field(1, 2, node)
    return _pb_field(7, 2, graph)  # ModelProto.graph: merged into the existing graph


def onnx(b: Builder) -> None:
    import onnx as onnx_
    from onnx import TensorProto, helper, numpy_helper

    def case(name, data=None, **kw):
        b.model(f"onnx-{name}", "onnx", "model.onnx", data, **kw)

    shape = numpy_helper.from_array(np.array([1, 1, UNITS], np.int64), "shape")
    case("cycle-transpose", onnx_bytes(nodes=[helper.make_node("Transpose", ["b"], ["a"], name="t1", perm=[0, 1, 2]),
                                              helper.make_node("Transpose", ["a"], ["b"], name="t2", perm=[0, 1, 2])],
                                       inputs=("a", "W", "R", "B")))
    case("cycle-identity", onnx_bytes(nodes=[helper.make_node("Identity", ["w2"], ["w1"], name="i1"),
                                             helper.make_node("Identity", ["w1"], ["w2"], name="i2")],
                                      inits={"W": None}, inputs=("X", "w1", "R", "B")))
    case("cycle-expand", onnx_bytes(nodes=[helper.make_node("Expand", ["h1", "shape"], ["h0"], name="e1"),
                                           helper.make_node("Expand", ["h0", "shape"], ["h1"], name="e2")],
                                    inits={"shape": shape}, inputs=("X", "W", "R", "B", "", "h0")))
    case("self-loop", onnx_bytes(nodes=[helper.make_node("Identity", ["a"], ["a"], name="loop")], inputs=("a", "W", "R", "B")))
    chain = [helper.make_node("Identity", [f"c{i + 1}"], [f"c{i}"], name=f"n{i}") for i in range(5000)]
    case("identity-chain-5000", onnx_bytes(nodes=chain + [helper.make_node("Identity", ["X"], ["c5000"], name="last")],
                                           inputs=("c0", "W", "R", "B")))
    for label, dims in {"dims-negative": (1, -12, FEATURES), "dims-absurd": (1 << 20, 1 << 20, 1 << 20),
                        "dims-zero": (1, 0, FEATURES)}.items():
        t = onnx_.TensorProto(name="W", data_type=TensorProto.FLOAT, dims=list(dims))
        t.raw_data = np.zeros(4 * UNITS * FEATURES, np.float32).tobytes()
        case(label, onnx_bytes(inits={"W": t}))
    t = onnx_.TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1, 4 * UNITS, FEATURES])
    t.raw_data = b"\0" * 8
    case("dims-beyond-data", onnx_bytes(inits={"W": t}))
    for label, attrs in {"direction-sideways": {"direction": "sideways"}, "hidden-size-zero": {"hidden_size": 0},
                         "hidden-size-negative": {"hidden_size": -3}, "hidden-size-huge": {"hidden_size": 1 << 40},
                         "layout-2": {"layout": 2}, "clip-negative": {"clip": -1.0},
                         "activations-unknown": {"activations": ["Evil", "Tanh", "Tanh"]},
                         "input-forget": {"input_forget": 1}}.items():
        case(label, onnx_bytes(**attrs))
    case("gru-sideways", onnx_bytes("GRU", direction="sideways"))
    case("gru-unknown-activation", onnx_bytes("GRU", activations=["Foo", "Bar"]))
    case("nan-weight", onnx_bytes(inits={"R": numpy_helper.from_array(np.full((1, 4 * UNITS, UNITS), np.nan, np.float32), "R")}))
    case("complex-weight", onnx_bytes(inits={"W": numpy_helper.from_array(np.ones((1, 4 * UNITS, FEATURES), np.complex64), "W")}))
    case("string-weight", onnx_bytes(inits={"W": helper.make_tensor("W", TensorProto.STRING, [1], [b"hello"])}))
    case("int-weight", onnx_bytes(inits={"W": numpy_helper.from_array(np.ones((1, 4 * UNITS, FEATURES), np.int32), "W")}))
    case("float64-weight", onnx_bytes(inits={"W": onnx_init("W", (1, 4 * UNITS, FEATURES), 1, np.float64)}))
    case("missing-R", onnx_bytes(inits={"R": None}))
    case("no-recurrent-node", helper.make_model(helper.make_graph(
        [helper.make_node("Relu", ["X"], ["Y"])], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1])])).SerializeToString())
    case("empty-graph", helper.make_model(helper.make_graph([], "g", [], [])).SerializeToString())
    case("opset-999", onnx_bytes(opset=999))
    case("if-nested-3000", onnx_bytes() + deep_if_node(3000))  # past protobuf's own depth limit
    case("if-nested-30", onnx_bytes() + deep_if_node(30))
    # external data: the model's own folder is fine; outside it (.., absolute, /proc) never read
    weights = np.random.default_rng(5).normal(0, .5, (1, 4 * UNITS, FEATURES)).astype(np.float32)

    def external(location, offset=0, length=None):
        t = onnx_.TensorProto(name="W", data_type=TensorProto.FLOAT, dims=list(weights.shape))
        t.data_location = onnx_.TensorProto.EXTERNAL
        for k, v in (("location", location), ("offset", str(offset)),
                     ("length", str(weights.nbytes if length is None else length))):
            entry = t.external_data.add()
            entry.key, entry.value = k, v
        return onnx_bytes(inits={"W": t})

    for label, kwargs in {"sidecar": {}, "length-lies": {"length": 1 << 40}, "offset-past-end": {"offset": 1 << 40}}.items():
        c = b.model(f"onnx-external-data-{label}", "onnx", "model.onnx", external("weights.bin", **kwargs))
        Path(c.folder, "weights.bin").write_bytes(weights.tobytes())
    secret = b.decoy("onnx-external-data-parent", weights.tobytes(), "weights.bin")
    case("external-data-parent", external(os.path.relpath(secret, b.next_folder("onnx-external-data-parent"))),
         decoys=[secret])
    secret = b.decoy("onnx-external-data-absolute", weights.tobytes(), "weights.bin")
    case("external-data-absolute", external(str(secret)), decoys=[secret])
    case("external-data-proc", external("/proc/self/environ"))
    case("external-data-missing", external("nothere.bin"))
    c = b.model("onnx-external-data-a-folder", "onnx", "model.onnx", external("sub"))
    Path(c.folder, "sub").mkdir()
    good = onnx_bytes()
    case("sparse-3g", writer=sparse(good, 3 * GIB))
    case("sparse-1g", writer=sparse(good, GIB))
