"""The fuzz corpus's hand-written hostile cases, per format (issue 11's list and more).

Each function adds cases through ``fuzz_corpus.Builder``; large files are sparse or lie in a
header, files named outside a case's folder are decoys the runner watches.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np

from fuzz_corpus import (FEATURES, GIB, STEPS, UNITS, Builder, gvm_bytes, gvm_forged, gvm_model, gvm_parts,
                         keras_config, keras_layer, keras_weights, keras_zip, lstm_state, npy_bytes, npy_header,
                         onnx_bytes, onnx_init, raw_safetensors, safetensors_bytes, set_declared_size, text_model,
                         torch_bytes, torch_seeded, weights_h5_bytes, write_h5)


def add_all(b: Builder, mutate: bool = True) -> None:
    gvm(b)
    pytorch(b)
    safetensors(b)
    keras_h5(b)
    keras_zips(b)
    onnx(b)
    sequences(b, mutate)


def _sparse(data: bytes, size: int):
    """A writer: ``data`` then a hole up to ``size`` bytes (no disk used for the hole)."""
    def write(path: Path) -> None:
        path.write_bytes(data)
        os.truncate(path, size)
    return write


# --------------------------------------------------------------------------- .gvm

def gvm(b: Builder) -> None:
    from gateviz.formats import save_model

    desc, tensors = gvm_parts(gvm_model("lstm"))

    def tweak_input(**c):
        return {**desc, "input": {**desc["input"], **c}}

    def tweak_layer(**c):
        return {**desc, "layers": [{**desc["layers"][0], **c}]}

    described = {
        "model-a-list": [desc], "model-a-number": 5, "model-null": None,
        "layers-an-object": {**desc, "layers": {"0": desc["layers"][0]}}, "layers-empty": {**desc, "layers": []},
        "layer-a-number": {**desc, "layers": [3]}, "task-a-string": {**desc, "task": "text"},
        "task-a-list": {**desc, "task": ["brackets"]}, "task-unknown": {**desc, "task": {"name": "nope"}},
        "unknown-input-kind": tweak_input(kind="weird"), "input-a-list": {**desc, "input": [1]},
        "features-negative": tweak_input(features=-2), "features-huge": tweak_input(features=10 ** 12),
        "units-a-string": tweak_layer(units="four"), "units-zero": tweak_layer(units=0),
        "units-mismatch": tweak_layer(units=7), "input-size-a-list": tweak_layer(input_size=[2]),
        "directions-sideways": tweak_layer(directions=["sideways"]), "cell-unknown": tweak_layer(cell="transformer"),
        "activation-a-number": tweak_layer(activation=3), "activation-unknown": tweak_layer(activation="swish9"),
        "feature-names-few": tweak_input(feature_names=["a"]), "feature-names-number": tweak_input(feature_names=5),
        "vocab-a-string": tweak_input(vocab="ab"), "head-a-string": {**desc, "head": "linear"},
        "name-an-object": {**desc, "name": {"x": 1}}, "unknown-keys": {**desc, "evil": {"__class__": "os.system"}},
    }
    for name, d in described.items():
        b.model(f"gvm-{name}", "gvm", "model.gvm", gvm_forged(d, tensors))
    for name, meta in {"metadata-not-json": {"gateviz_format": "1", "model": "{oops"},
                       "metadata-deep": {"gateviz_format": "1", "model": "[" * 100_000 + "]" * 100_000},
                       "format-version-99": {"gateviz_format": "99", "model": json.dumps(desc)},
                       "no-model-metadata": {"gateviz_format": "1"}}.items():
        b.model(f"gvm-{name}", "gvm", "model.gvm", gvm_forged(None, tensors, meta))
    b.model("gvm-metadata-not-strings", "gvm", "model.gvm",
            raw_safetensors(json.dumps({"__metadata__": {"gateviz_format": "1", "model": 5},
                                        "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()))
    key, bx = "layers.0.dir0.Wh", "layers.0.dir0.bx"
    one_nan = tensors[key].copy()
    one_nan.flat[1] = np.nan
    edits = {
        "nan-weight": {key: one_nan}, "inf-weight": {key: np.full_like(tensors[key], np.inf)},
        "all-nan-bias": {bx: np.full_like(tensors[bx], np.nan)}, "complex-weight": {key: tensors[key] * 1j},
        "missing-tensor": {"layers.0.dir0.bh": None}, "missing-head": {"head.weight": None},
        "wrong-shape": {key: np.zeros((5, 5), np.float32)}, "int-weights": {key: tensors[key].astype(np.int32)},
        "float16-weights": {key: tensors[key].astype(np.float16)}, "bool-weights": {key: tensors[key] > 0},
        "scalar-weight": {key: np.float32(1.0).reshape(())}, "huge-values": {key: np.full_like(tensors[key], 3e38)},
        "extra-tensor": {"layers.7.dir3.Wx": np.zeros((2, 2), np.float32)},
    }
    for label, edit in edits.items():
        t = {**tensors, **edit}
        b.model(f"gvm-{label}", "gvm", "model.gvm", gvm_forged(desc, {k: v for k, v in t.items() if v is not None}))
    # a text model: its vocabulary longer than its embedding; its task naming a file or folder outside
    tdesc, ttensors = gvm_parts(text_model())
    b.model("gvm-vocab-longer-than-embedding", "gvm", "model.gvm",
            gvm_forged({**tdesc, "input": {**tdesc["input"], "vocab": list("abcdefghijklmnopqrstuvwxyz ()\n")}},
                       ttensors), text=True)
    b.model("gvm-embedding-nan", "gvm", "model.gvm",
            gvm_forged(tdesc, {**ttensors, "input.embedding": np.full_like(ttensors["input.embedding"], np.nan)}),
            text=True)
    secret = b.decoy("gvm-task-names-a-file")
    task = {"name": "text", "corpus": "file", "path": str(secret), "seq_len": 50}
    b.model("gvm-task-names-a-file", "gvm", "model.gvm", gvm_forged({**tdesc, "task": task}, ttensors), text=True,
            decoys=[secret])
    secret = b.decoy("gvm-task-names-a-relative-file")
    rel = os.path.relpath(secret, b.next_folder("gvm-task-names-a-relative-file"))
    b.model("gvm-task-names-a-relative-file", "gvm", "model.gvm",
            gvm_forged({**tdesc, "task": {**task, "path": rel}}, ttensors), text=True, decoys=[secret])
    mnist = b.decoy("gvm-task-names-a-folder", b"\x00\x00\x08\x03" + b"\x00" * 12, "train-images-idx3-ubyte")
    digits = {**desc, "task": {"name": "digits", "source": "mnist", "mnist_dir": str(mnist.parent)}}
    b.model("gvm-task-names-a-folder", "gvm", "model.gvm", gvm_forged(digits, tensors), decoys=[mnist])
    # sizes that lie
    good = gvm_bytes(gvm_model("lstm"))
    b.model("gvm-header-length-huge", "gvm", "model.gvm", struct.pack("<Q", 1 << 60) + good[8:])
    b.model("gvm-header-length-past-end", "gvm", "model.gvm", struct.pack("<Q", len(good) + 10) + good[8:])
    b.model("gvm-header-length-zero", "gvm", "model.gvm", struct.pack("<Q", 0) + good[8:])
    b.model("gvm-empty", "gvm", "model.gvm", b"")
    b.model("gvm-sparse-3g", "gvm", "model.gvm", writer=_sparse(good, 3 * GIB))
    b.model("gvm-a-folder", "gvm", "model.gvm", writer=lambda p: p.mkdir())
    b.model("gvm-missing", "gvm", "model.gvm", writer=lambda p: None)
    # saved by gateviz itself with one NaN weight (the crash in the cell diagram's colours)
    nan_model = gvm_model("lstm")
    nan_model.layers[0].directions[0].Wh[1, 1] = np.nan
    b.model("gvm-saved-with-nan", "gvm", "model.gvm", writer=lambda p: save_model(nan_model, p))


# --------------------------------------------------------------------------- PyTorch

def torch_zip_with_pickle(data_pkl: bytes) -> bytes:
    """A torch.save zip whose data.pkl is replaced (torch.save itself cannot write such pickles)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(torch_bytes({"x": 1}))) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, data_pkl if name.endswith("data.pkl") else zin.read(name))
    return out.getvalue()


def _pickle_call(module: str, name: str, arg: str) -> bytes:
    """A protocol-2 pickle that calls module.name(arg) when loaded by an unrestricted unpickler."""
    raw = arg.encode()
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X" + struct.pack("<I", len(raw)) + raw + b"\x85R."


def pytorch(b: Builder) -> None:
    torch = torch_seeded()
    lstm2 = dict(torch.nn.LSTM(FEATURES, UNITS, num_layers=2).state_dict())
    state = lstm_state()

    def pt(name, obj, **kw):
        b.model(f"pt-{name}", "pytorch", "model.pt", torch_bytes(obj, **kw))

    for missing in ("bias_hh_l0", "weight_hh_l1", "weight_ih_l0"):
        pt(f"missing-{missing}", {k: v for k, v in lstm2.items() if k != missing})
    for label, value in {"string": "hello", "list": [1.0, 2.0], "int": 7, "none": None, "dict": {"a": 1}}.items():
        pt(f"{label}-among-tensors", {**state, "bias_hh_l0": value})
    nan = state["weight_hh_l0"].clone()
    nan[0, 0] = float("nan")
    pt("nan-weight", {**state, "weight_hh_l0": nan})
    pt("inf-bias", {**state, "bias_ih_l0": torch.full((4 * UNITS,), float("inf"))})
    pt("complex-weight", {**state, "weight_hh_l0": state["weight_hh_l0"].to(torch.complex64)})
    for dtype in ("int64", "bool", "float16", "bfloat16", "uint8", "float64"):
        pt(f"{dtype}-weight", {**state, "weight_ih_l0": state["weight_ih_l0"].to(getattr(torch, dtype))})
    pt("wrong-shape", {**state, "weight_ih_l0": torch.zeros(5, 7)})
    pt("zero-size", {**state, "weight_ih_l0": torch.zeros(0, FEATURES)})
    pt("3d-weight", {**state, "weight_hh_l0": torch.zeros(2, 4 * UNITS, UNITS)})
    pt("noncontiguous", {**state, "weight_hh_l0": torch.zeros(UNITS, 4 * UNITS).t()})
    pt("empty-dict", {})
    pt("a-list", [state["weight_ih_l0"]])
    pt("a-tensor", torch.zeros(3))
    pt("checkpoint-nested", {"epoch": 3, "model_state_dict": {"encoder": {f"lstm.{k}": v for k, v in state.items()}},
                             "optimizer": {"lr": 0.1}})
    pt("layer-gap", {**{k: v for k, v in lstm2.items() if k.endswith("l0")},
                     **{k.replace("l1", "l5"): v for k, v in lstm2.items() if k.endswith("l1")}})
    pt("huge-layer-index", {**state, **{k.replace("l0", "l99999999"): v for k, v in state.items()}})
    pt("pickle-protocol-5", lstm_state(), pickle_protocol=5)
    # pickles torch.save cannot write
    zipped = {
        "nested-3000": b"\x80\x02}" + b"X\x01\x00\x00\x00a}" * 3000 + b"s" * 3000 + b".",
        "list-nested-100000": b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".",
        "holds-itself": b"\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s.",
    }
    for label, pkl in zipped.items():
        b.model(f"pt-{label}", "pytorch", "model.pt", torch_zip_with_pickle(pkl))
    b.model("pt-raw-pickle-p4", "pytorch", "model.pt", pickle.dumps({"weight_ih_l0": np.zeros(3), "note": "x"}, protocol=4))
    b.model("pt-raw-pickle-p2-numpy", "pytorch", "model.pt", pickle.dumps({"weight_ih_l0": np.zeros(3)}, protocol=2))
    # code in a pickle: builtins.open(decoy) or os.system("touch marker") must never run
    secret = b.decoy("pt-pickle-opens-a-file")
    b.model("pt-pickle-opens-a-file", "pytorch", "model.pt",
            torch_zip_with_pickle(_pickle_call("builtins", "open", str(secret))), decoys=[secret])
    marker = b.outside("pt-pickle-runs-a-command") / "pwned"
    b.model("pt-pickle-runs-a-command", "pytorch", "model.pt",
            torch_zip_with_pickle(_pickle_call("os", "system", f"touch {marker}")), must_not_exist=[marker])
    marker = b.outside("pt-raw-pickle-runs-a-command") / "pwned"
    b.model("pt-raw-pickle-runs-a-command", "pytorch", "model.pt", _pickle_call("os", "system", f"touch {marker}"),
            must_not_exist=[marker])
    # zip-level: a member with ../, declared sizes that lie, a storage that inflates to 64 MiB
    good = torch_bytes(state)
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    escape = b.outside("pt-zip-member-escapes") / "escaped.bin"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)
        zout.writestr(f"../../outside/{escape.parent.name}/escaped.bin", b"x" * 10)
    b.model("pt-zip-member-escapes", "pytorch", "model.pt", out.getvalue(), must_not_exist=[escape])
    storage = next(n for n in members if "/data/" in n)
    pkl = next(n for n in members if n.endswith("data.pkl"))
    b.model("pt-zip-storage-declared-4g", "pytorch", "model.pt", set_declared_size(good, storage, 0xFFFFFFF0))
    b.model("pt-zip-pickle-declared-4g", "pytorch", "model.pt", set_declared_size(good, pkl, 0xFFFFFFF0))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data if name != storage else b"\0" * (64 << 20))
    b.model("pt-zip-storage-bomb-64m", "pytorch", "model.pt", bomb.getvalue())
    b.model("pt-sparse-3g", "pytorch", "model.pt", writer=_sparse(good, 3 * GIB))


# --------------------------------------------------------------------------- safetensors

def safetensors(b: Builder) -> None:
    torch = torch_seeded()
    state = lstm_state()

    def st(name, data, **kw):
        b.model(f"st-{name}", "safetensors", "model.safetensors", data, **kw)

    for missing in ("bias_hh_l0", "weight_ih_l0"):
        st(f"missing-{missing}", safetensors_bytes({k: v for k, v in state.items() if k != missing}))
    st("nan-weight", safetensors_bytes({**state, "weight_hh_l0": torch.full((4 * UNITS, UNITS), float("nan"))}))
    st("complex-weight", safetensors_bytes({**state, "weight_hh_l0": state["weight_hh_l0"].to(torch.complex64)}))
    st("int-weight", safetensors_bytes({**state, "weight_hh_l0": state["weight_hh_l0"].to(torch.int32)}))
    st("wrong-shape", safetensors_bytes({**state, "bias_ih_l0": torch.zeros(5)}))
    t = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}

    def one(**entry):
        return raw_safetensors(json.dumps({"weight_ih_l0": {**t, **entry}}).encode())

    headers = {
        "length-huge": struct.pack("<Q", 1 << 62) + b"{}",
        "not-json": raw_safetensors(b"{not json"), "a-list": raw_safetensors(b"[1, 2, 3]"),
        "deep": raw_safetensors(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        "dtype-unknown": one(dtype="X99"), "dtype-string": one(dtype="STR"),
        "shape-huge": one(shape=[1 << 40, 1 << 40]), "shape-negative": one(shape=[-1, 4]),
        "offsets-past-end": one(data_offsets=[0, 1 << 40]), "offsets-reversed": one(data_offsets=[4, 0]),
        "metadata-not-strings": raw_safetensors(json.dumps({"__metadata__": {"a": [1]}, "w": t}).encode()),
        "tensor-a-string": raw_safetensors(json.dumps({"weight_ih_l0": "hello"}).encode()),
        "empty-object": raw_safetensors(b"{}", b""), "non-utf8": raw_safetensors(b'{"\xff\xfe": 1}'),
    }
    for label, data in headers.items():
        st(label, data)
    st("pt-content", torch_bytes(state))
    st("zip-junk", b"PK\x03\x04" + b"\x00" * 60)
    st("sparse-3g", None, writer=_sparse(safetensors_bytes(state), 3 * GIB))


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
    keras("sparse-3g", writer=_sparse(keras_zip(), 3 * GIB))


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
    case("sparse-3g", writer=_sparse(good, 3 * GIB))
    case("sparse-1g", writer=_sparse(good, GIB))


# --------------------------------------------------------------------------- input sequences

def sequences(b: Builder, mutate: bool) -> None:
    from fuzz_corpus import mutations

    x = np.load(b.x_npy)
    npy = b.x_npy.read_bytes()
    csv = "\n".join(",".join(f"{v:.4f}" for v in row) for row in x).encode() + b"\n"
    txt = b.text.read_bytes()
    b.sequence("npy-valid", "npy", "x.npy", npy, hand=False)
    b.sequence("csv-valid", "csv", "x.csv", csv, hand=False)
    b.sequence("txt-valid", "txt", "x.txt", txt, text=True, hand=False)
    if mutate:
        for name, data, ext, text in (("npy", npy, ".npy", False), ("csv", csv, ".csv", False), ("txt", txt, ".txt", True)):
            for label, mutated, e in mutations(f"seq-{name}", data, ext)[::2]:  # every other: inputs are short
                b.sequence(f"{name}-{label}", name, f"x{e}", mutated, text=text, hand=False)
    f8 = np.zeros(8 * FEATURES, "<f8").tobytes()

    def hdr(shape, descr="<f8", fortran=False):
        return f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"

    npys = {
        "bad-magic": b"\x93NUMPX\x01\x00" + npy[8:],
        "header-length-huge": b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{",
        "header-not-a-dict": npy_header("[1, 2, 3]"),
        "header-python-code": npy_header("__import__('os').system('true')"),
        "header-missing-shape": npy_header("{'descr': '<f8', 'fortran_order': False}"),
        "shape-beyond-data": npy_header(hdr((1000, FEATURES)), f8),
        "shape-negative": npy_header(hdr((-5, FEATURES)), f8),
        "shape-huge-product": npy_header(hdr((1 << 32, 1 << 32))),
        "dtype-object": npy_header(hdr((2, FEATURES), "|O"), pickle.dumps([1, 2])),
        "dtype-unknown": npy_header(hdr((2, FEATURES), "<q9"), f8),
        "dtype-complex": npy_bytes((x * 1j).astype(np.complex64)),
        "dtype-string": npy_bytes(np.array([["a", "b"]] * STEPS)),
        "dtype-structured": npy_bytes(np.zeros(STEPS, dtype=[("a", "f4"), ("b", "f4")])),
        "dtype-bool": npy_bytes(x > 0),
        "fortran-order": npy_header(hdr((8, FEATURES), fortran=True), f8),
        "4d": npy_bytes(np.zeros((2, STEPS, FEATURES, 2), np.float32)),
        "0d": npy_bytes(np.float32(1.0)),
        "zero-steps": npy_bytes(np.zeros((0, FEATURES), np.float32)),
        "wrong-features": npy_bytes(np.zeros((STEPS, 7), np.float32)),
        "nan-values": npy_bytes(np.full((STEPS, FEATURES), np.nan, np.float32)),
        "inf-values": npy_bytes(np.full((STEPS, FEATURES), np.inf, np.float32)),
        "huge-values": npy_bytes(np.full((STEPS, FEATURES), 1e308, np.float64)),
        "version-9": b"\x93NUMPY\x09\x00" + npy[8:],
        "pickle": pickle.dumps(x),
    }
    for label, data in npys.items():
        b.sequence(f"npy-{label}", "npy", "x.npy", data)
    head = npy_header(hdr((10_000_000, FEATURES)))  # 10 million steps, held as a hole
    b.sequence("npy-shape-10m-steps", "npy", "x.npy", writer=_sparse(head, len(head) + 10_000_000 * FEATURES * 8))
    b.sequence("npy-npz-archive", "npy", "x.npy", writer=lambda p: np.savez(open(p, "wb"), a=x))
    csvs = {
        "ragged": b"1,2\n3\n4,5\n", "words": b"a,b\nc,d\n", "empty": b"", "header-only": b"x,y\n",
        "nan-text": b"nan,nan\nnan,inf\n", "overflow": b"1e999,1\n2,3\n", "binary": bytes(range(256)) * 4,
        "bom-semicolons": "\ufeff1;2\n3;4\n".encode(), "one-long-line": b"1," * 1_000_000 + b"1\n",
        "wrong-features": b"1,2,3,4,5\n" * 4, "quotes": b'"1","2"\n"3","4"\n', "nul-bytes": b"1,\x002\n\x00\x00\n",
        "latin1": "1,2\n3,4 é\n".encode("latin1"), "blank-lines": b"\n\n\n",
    }
    for label, data in csvs.items():
        b.sequence(f"csv-{label}", "csv", "x.csv", data)
    b.sequence("csv-sparse-2g-nul", "csv", "x.csv", writer=_sparse(b"", 2 * GIB))
    b.sequence("csv-2g-rows", "csv", "x.csv", writer=_sparse(b"1.0,2.0\n" * 1000, 2 * GIB))
    txts = {"unknown-chars": "xyz€!".encode(), "empty": b"", "binary": bytes(range(256)), "not-utf8": b"ab\xff\xfe(",
            "utf16": "abc".encode("utf-16")}
    for label, data in txts.items():
        b.sequence(f"txt-{label}", "txt", "x.txt", data, text=True)
    b.sequence("txt-sparse-1g", "txt", "x.txt", writer=_sparse(b"abc", GIB), text=True)
    b.sequence("txt-for-a-raw-model", "txt", "x.txt", txt)
    b.sequence("npy-for-a-text-model", "npy", "x.npy", npy, text=True)
    b.sequence("seq-unknown-extension", "seq", "x.dat", npy)
    b.sequence("seq-npy-named-csv", "seq", "x.csv", npy)
    b.sequence("seq-a-folder", "seq", "x.npy", writer=lambda p: p.mkdir())
    b.sequence("seq-missing", "seq", "x.npy", writer=lambda p: None)
