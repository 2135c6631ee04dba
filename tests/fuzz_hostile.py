"""The fuzz corpus's hand-written hostile cases: .gvm, PyTorch, safetensors and input sequences
(fuzz_hostile_graphs.py: Keras and ONNX), issue 11's list and more.

Each function adds cases through ``fuzz_corpus.Builder``; large files are sparse or lie in a
header, files named outside a case's folder are decoys the runner watches.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from fuzz_corpus import (FEATURES, GIB, STEPS, UNITS, Builder, gvm_bytes, gvm_forged, gvm_model, gvm_parts,
                         lstm_state, npy_bytes, npy_header, raw_safetensors, safetensors_bytes, set_declared_size,
                         text_model, torch_bytes, torch_seeded)


def add_all(b: Builder, mutate: bool = True) -> None:
    import fuzz_hostile_graphs

    gvm(b)
    pytorch(b)
    safetensors(b)
    fuzz_hostile_graphs.keras_h5(b)
    fuzz_hostile_graphs.keras_zips(b)
    fuzz_hostile_graphs.onnx(b)
    sequences(b, mutate)


def sparse(data: bytes, size: int):
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
    b.model("gvm-sparse-3g", "gvm", "model.gvm", writer=sparse(good, 3 * GIB))
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
    b.model("pt-sparse-3g", "pytorch", "model.pt", writer=sparse(good, 3 * GIB))


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
    st("sparse-3g", None, writer=sparse(safetensors_bytes(state), 3 * GIB))


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
    b.sequence("npy-shape-10m-steps", "npy", "x.npy", writer=sparse(head, len(head) + 10_000_000 * FEATURES * 8))
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
    b.sequence("csv-sparse-2g-nul", "csv", "x.csv", writer=sparse(b"", 2 * GIB))
    b.sequence("csv-2g-rows", "csv", "x.csv", writer=sparse(b"1.0,2.0\n" * 1000, 2 * GIB))
    txts = {"unknown-chars": "xyz€!".encode(), "empty": b"", "binary": bytes(range(256)), "not-utf8": b"ab\xff\xfe(",
            "utf16": "abc".encode("utf-16")}
    for label, data in txts.items():
        b.sequence(f"txt-{label}", "txt", "x.txt", data, text=True)
    b.sequence("txt-sparse-1g", "txt", "x.txt", writer=sparse(b"abc", GIB), text=True)
    b.sequence("txt-for-a-raw-model", "txt", "x.txt", txt)
    b.sequence("npy-for-a-text-model", "npy", "x.npy", npy, text=True)
    b.sequence("seq-unknown-extension", "seq", "x.dat", npy)
    b.sequence("seq-npy-named-csv", "seq", "x.csv", npy)
    b.sequence("seq-a-folder", "seq", "x.npy", writer=lambda p: p.mkdir())
    b.sequence("seq-missing", "seq", "x.npy", writer=lambda p: None)
