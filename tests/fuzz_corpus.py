"""The fuzz corpus: malformed and hostile files of every format gateviz reads (issue 11).

``build_corpus(root)`` writes it and returns the manifest; ``runs_for(manifest)`` lists the runs
``fuzz_runner.py`` makes of it. Everything is deterministic (fixed seeds, hand-written bytes)
and small on disk: large hostile files are sparse (``truncate``) or lie about their size.

    bases       small VALID files: .gvm (LSTM, bidirectional GRU stack, a text model), PyTorch state
                dicts (zip and legacy pickle, a module with a head), .safetensors, Keras 2 .h5
                (LSTM, GRU), Keras 3 .keras, ONNX (LSTM, GRU), and inputs .npy/.csv/.txt
    mutations   of each base: truncations, byte flips, zeroed regions, a spoiled header, the content
                under another format's extension, trailing garbage
    hostile     hand-written per format (hostile.py's cases): NaN/Inf/complex weights, missing
                tensors, strings among tensors, deep nesting, ONNX cycles and bad dims, HDF5
                external/soft links, zip members with ../ and bombs with huge declared sizes, task
                metadata naming a file outside, unknown input kinds, oversize vocabularies, lying
                npy headers, ...

Files a hostile case names outside its own folder are decoys in ``outside/<case>/``; the runner
watches them (inotify), and a case's ``must_not_exist`` paths must still not exist after it ran.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FEATURES, UNITS, STEPS = 2, 3, 6
GIB = 1 << 30


@dataclass
class Case:
    name: str
    fmt: str  # the format family the case belongs to (for the report)
    kind: str  # "model" or "sequence"
    model: str
    input: str
    folder: str
    decoys: list[str] = field(default_factory=list)
    must_not_exist: list[str] = field(default_factory=list)
    hand_written: bool = False


class Builder:
    """Writes cases, each in its own folder ``cases/NNNN-name``."""

    def __init__(self, root: Path):
        self.root = root
        self.cases: list[Case] = []
        self.inputs = root / "inputs"
        for sub in ("inputs", "base", "cases", "outside"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self.x_npy = self.inputs / "x.npy"
        self.text = self.inputs / "text.txt"
        self.valid_model = ""  # a .gvm on FEATURES raw features (sequence cases feed it)
        self.text_model = ""  # a .gvm reading characters (for .txt cases)

    def _folder(self, name: str) -> Path:
        folder = self.root / "cases" / f"{len(self.cases):04d}-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def next_folder(self, name: str) -> Path:
        """The folder the next case will get (for paths relative to it)."""
        return self.root / "cases" / f"{len(self.cases):04d}-{name}"

    def outside(self, name: str) -> Path:
        folder = self.root / "outside" / f"{len(self.cases):04d}-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def decoy(self, name: str, content: bytes = b"ZQXJ-SECRET-MARKER the password is hunter2\n" * 60,
              filename: str = "secret.txt") -> Path:
        path = self.outside(name) / filename
        path.write_bytes(content)
        return path

    def _add(self, kind, name, fmt, filename, data, writer, text, hand, decoys=(), must_not_exist=()) -> Case:
        folder = self._folder(name)
        path = folder / filename
        if writer is not None:
            writer(path)
        else:
            path.write_bytes(data)
        if kind == "model":
            model, inp = str(path), str(self.text if text else self.x_npy)
        else:
            model, inp = self.text_model if text else self.valid_model, str(path)
        case = Case(name, fmt, kind, model, inp, str(folder), [str(d) for d in decoys],
                    [str(m) for m in must_not_exist], hand)
        self.cases.append(case)
        return case

    def model(self, name: str, fmt: str, filename: str, data: bytes | None = None, *, writer=None,
              text: bool = False, hand: bool = True, decoys=(), must_not_exist=()) -> Case:
        """A model case: ``data`` written as ``filename`` (or ``writer(path)`` writes it)."""
        return self._add("model", name, fmt, filename, data, writer, text, hand, decoys, must_not_exist)

    def sequence(self, name: str, fmt: str, filename: str, data: bytes | None = None, *, writer=None,
                 text: bool = False, hand: bool = True) -> Case:
        """A sequence case: a valid model (the text model for ``text``) reads this input."""
        return self._add("sequence", name, fmt, filename, data, writer, text, hand)


# --------------------------------------------------------------------------- valid files

def torch_seeded():
    import torch

    torch.manual_seed(0)
    return torch


def lstm_state(**changes) -> dict:
    torch = torch_seeded()
    state = dict(torch.nn.LSTM(FEATURES, UNITS).state_dict())
    state.update(changes)
    return state


def gvm_model(kind="lstm"):
    from reference import random_model

    if kind == "lstm":
        return random_model(0, "lstm", units=(UNITS,), input_size=FEATURES, head_out=1)
    return random_model(1, "gru", units=(UNITS, UNITS), input_size=FEATURES, bidirectional=True)


def text_model():
    from gateviz.core.model import Head, InputStage, RecurrentModel
    from reference import random_layer

    rng = np.random.default_rng(0)
    vocab = list("abcdefgh ()\n")
    emb = rng.standard_normal((len(vocab), 4)).astype(np.float32)
    layer = random_layer(rng, "lstm", UNITS, 4)
    head = Head(weight=rng.standard_normal((len(vocab), UNITS)).astype(np.float32),
                bias=np.zeros(len(vocab), np.float32), activation="softmax")
    return RecurrentModel(layers=[layer], input=InputStage("embedding", features=4, vocab=vocab, embedding=emb),
                          head=head, name="chars").validate()


def gvm_bytes(model) -> bytes:
    import tempfile

    from gateviz.formats import save_model

    with tempfile.TemporaryDirectory() as d:
        return save_model(model, Path(d) / "m.gvm").read_bytes()


def gvm_parts(model) -> tuple[dict, dict]:
    """(description JSON, tensors) of a model's .gvm, to forge variants of it."""
    from safetensors.numpy import load

    data = gvm_bytes(model)
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    return json.loads(header["__metadata__"]["model"]), load(data)


def gvm_forged(desc, tensors, meta=None) -> bytes:
    from safetensors.numpy import save

    metadata = {"gateviz_format": "1", "model": json.dumps(desc)} if meta is None else meta
    return save({k: np.ascontiguousarray(v) for k, v in tensors.items()}, metadata=metadata)


def torch_bytes(obj, **kwargs) -> bytes:
    torch = torch_seeded()
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def safetensors_bytes(state: dict) -> bytes:
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in state.items()})


def raw_safetensors(header: bytes, data: bytes = b"\0\0\0\0") -> bytes:
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


def keras_weights(cell="lstm", seed=0):
    rng = np.random.default_rng(seed)
    g = 4 if cell == "lstm" else 3
    bias = (4 * UNITS,) if cell == "lstm" else (2, 3 * UNITS)
    return {"kernel": rng.normal(0, .5, (FEATURES, g * UNITS)).astype(np.float32),
            "recurrent_kernel": rng.normal(0, .5, (UNITS, g * UNITS)).astype(np.float32),
            "bias": rng.normal(0, .5, bias).astype(np.float32)}


def keras_layer(cell="lstm", **extra):
    cfg = {"name": cell, "units": UNITS, "activation": "tanh", "recurrent_activation": "sigmoid",
           "use_bias": True, "return_sequences": False, "batch_input_shape": [None, STEPS, FEATURES]}
    if cell == "gru":
        cfg["reset_after"] = True
    cfg.update(extra)
    return {"class_name": cell.upper(), "config": cfg}


def keras_config(*layers):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": list(layers) or [keras_layer()]}}


def write_h5(path: Path, *, cell="lstm", config=None, model_config=None, weights=None, mutate=None) -> Path:
    """A tf.keras-2 style model.h5: Sequential[LSTM or GRU(3) on 2 features]; ``mutate(file, group)`` spoils it."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = (json.dumps(config or keras_config(keras_layer(cell)))
                                   if model_config is None else model_config)
        group = f.create_group("model_weights").create_group(cell)
        w = weights or keras_weights(cell)
        group.attrs["weight_names"] = np.array([f"{cell}/{cell}_cell/{k}:0".encode() for k in w], dtype="S")
        for k, v in w.items():
            group.create_dataset(f"{cell}/{cell}_cell/{k}:0", data=v)
        if mutate is not None:
            mutate(f, group)
    return path


def weights_h5_bytes(mutate=None, weights=None) -> bytes:
    """A Keras 3 model.weights.h5 in memory: layers/lstm/cell/vars/0..2."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        vars_group = f.create_group("layers/lstm/cell/vars")
        f.create_group("layers/lstm/vars")
        for i, v in enumerate((weights or keras_weights()).values()):
            vars_group.create_dataset(str(i), data=v)
        if mutate is not None:
            mutate(f)
    return buf.getvalue()


def keras_zip(members: dict[str, bytes] | None = None, *, weights=None, extra: dict[str, bytes] | None = None) -> bytes:
    """A Keras 3 .keras zip (metadata.json, config.json, model.weights.h5) or exactly ``members``."""
    if members is None:
        members = {"metadata.json": b'{"keras_version": "3.5.0"}', "config.json": json.dumps(keras_config()).encode(),
                   "model.weights.h5": weights if weights is not None else weights_h5_bytes()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def set_declared_size(data: bytes, member: str, size: int) -> bytes:
    """The zip's local and central headers declare ``size`` uncompressed bytes for ``member``: a lying header."""
    data = bytearray(data)
    name = member.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            (n,) = struct.unpack_from("<H", data, pos + name_len_at)
            if data[pos + name_at:pos + name_at + n] == name:
                struct.pack_into("<I", data, pos + size_at, size)
            start = pos + 4
    return bytes(data)


def onnx_init(name, shape, seed=0, dtype=np.float32):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.random.default_rng(seed).normal(0, 0.5, shape).astype(dtype), name)


def onnx_bytes(cell="LSTM", *, nodes=(), inits=None, inputs=None, opset=14, **attrs) -> bytes:
    """X (T, 1, 2) -> [nodes] -> LSTM/GRU(3) -> Y; ``inits`` replaces (None: drops) or adds initializers."""
    from onnx import TensorProto, helper

    g = 4 if cell == "LSTM" else 3
    tensors = {"W": onnx_init("W", (1, g * UNITS, FEATURES), 1), "R": onnx_init("R", (1, g * UNITS, UNITS), 2),
               "B": onnx_init("B", (1, 2 * g * UNITS), 3)}
    tensors.update(inits or {})
    attrs.setdefault("hidden_size", UNITS)
    node = helper.make_node(cell, list(inputs or ("X", "W", "R", "B")), ["Y", "Y_h"], name=cell.lower(), **attrs)
    graph = helper.make_graph([*nodes, node], "g",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, FEATURES])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
                              [t for t in tensors.values() if t is not None])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def npy_header(header: str, data: bytes = b"", magic=b"\x93NUMPY", version=(1, 0)) -> bytes:
    """A .npy with a hand-written header dict (padded as numpy pads it) and ``data`` after it."""
    raw = header.encode("latin1")
    total = len(magic) + 2 + 2 + len(raw) + 1
    raw += b" " * (-total % 64) + b"\n"
    return magic + bytes(version) + struct.pack("<H", len(raw)) + raw + data


# --------------------------------------------------------------------------- mutations

EXTENSIONS = [".gvm", ".pt", ".safetensors", ".h5", ".keras", ".onnx", ".npy", ".csv", ".txt", ".pth", ".bin"]


def mutations(name: str, data: bytes, ext: str) -> list[tuple[str, bytes, str]]:
    """21 (label, bytes, extension) variants of a valid file, the same every run (seeded by the name)."""
    rng = random.Random(zlib.crc32(name.encode()))
    n = len(data)
    out: list[tuple[str, bytes, str]] = []
    for cut in sorted({0, min(7, n - 1), n // 4, n // 2, 3 * n // 4, n - n // 50 - 1}):
        out.append((f"trunc{cut}", data[:cut], ext))
    for flips in (1, 1, 3, 8, 32, 128):
        b = bytearray(data)
        for _ in range(flips):
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
        out.append((f"flip{flips}x{len(out)}", bytes(b), ext))
    for size in (16, 256, n // 10):
        b = bytearray(data)
        start = rng.randrange(max(1, n - size))
        b[start:start + size] = bytes(len(b[start:start + size]))
        out.append((f"zero{size}at{start}", bytes(b), ext))
    b = bytearray(data)
    b[:16] = bytes(rng.randrange(256) for _ in range(16))
    out.append(("header-random", bytes(b), ext))
    b = bytearray(data)
    b[:4] = b"\x89HDF" if not data.startswith(b"\x89HDF") else b"PK\x03\x04"
    out.append(("magic-swapped", bytes(b), ext))
    b = bytearray(data)
    b[8:24] = b"\xff" * 16  # sizes and lengths near the start (safetensors/npy headers, zip sizes, HDF5 superblock)
    out.append(("header-ff", bytes(b), ext))
    for e in rng.sample([e for e in EXTENSIONS if e != ext], 2):
        out.append((f"as{e}", data, e))
    out.append(("garbage-tail", data + bytes(rng.randrange(256) for _ in range(300)), ext))
    return out


# --------------------------------------------------------------------------- the corpus

def build_corpus(root: str | os.PathLike, *, mutate: bool = True) -> dict:
    """Write every case under ``root`` and return the manifest (also written as root/manifest.json)."""
    import fuzz_hostile

    root = Path(root)
    b = Builder(root)
    torch = torch_seeded()

    np.save(b.x_npy, np.sin(np.arange(STEPS * FEATURES, dtype=np.float32).reshape(STEPS, FEATURES)))
    b.text.write_text("abc (def) gh\nabc")
    gvm_lstm, gvm_text = gvm_bytes(gvm_model("lstm")), gvm_bytes(text_model())
    (root / "base" / "valid.gvm").write_bytes(gvm_lstm)
    (root / "base" / "text.gvm").write_bytes(gvm_text)
    b.valid_model, b.text_model = str(root / "base" / "valid.gvm"), str(root / "base" / "text.gvm")

    def h5_base(cell):
        path = root / "base" / f"{cell}.h5"
        return write_h5(path, cell=cell).read_bytes()

    gru2 = dict(torch.nn.GRU(FEATURES, UNITS, num_layers=2).state_dict())
    module = {**{f"rnn.{k}": v for k, v in torch.nn.LSTM(FEATURES, UNITS, batch_first=True).state_dict().items()},
              **{f"fc.{k}": v for k, v in torch.nn.Linear(UNITS, 1).state_dict().items()}}
    bases = [  # (name, fmt, ext, bytes, reads text)
        ("gvm-lstm", "gvm", ".gvm", gvm_lstm, False),
        ("gvm-gru-bi2", "gvm", ".gvm", gvm_bytes(gvm_model("gru")), False),
        ("gvm-text", "gvm", ".gvm", gvm_text, True),
        ("pt-lstm-zip", "pytorch", ".pt", torch_bytes(lstm_state()), False),
        ("pt-gru-legacy", "pytorch", ".pt", torch_bytes(gru2, _use_new_zipfile_serialization=False), False),
        ("pt-module-head", "pytorch", ".pth", torch_bytes(module), False),
        ("safetensors-lstm", "safetensors", ".safetensors", safetensors_bytes(lstm_state()), False),
        ("h5-lstm", "keras", ".h5", h5_base("lstm"), False),
        ("h5-gru", "keras", ".h5", h5_base("gru"), False),
        ("keras-lstm", "keras", ".keras", keras_zip(), False),
        ("onnx-lstm", "onnx", ".onnx", onnx_bytes("LSTM"), False),
        ("onnx-gru", "onnx", ".onnx", onnx_bytes("GRU", linear_before_reset=1), False),
    ]
    for name, fmt, ext, data, text in bases:
        b.model(f"{name}-valid", fmt, f"model{ext}", data, text=text, hand=False)
    if mutate:
        for name, fmt, ext, data, text in bases:
            for label, mutated, e in mutations(name, data, ext):
                b.model(f"{name}-{label}", fmt, f"model{e}", mutated, text=text, hand=False)

    fuzz_hostile.add_all(b, mutate)
    manifest = {"root": str(root), "cases": [c.__dict__ for c in b.cases],
                "decoys": sorted({d for c in b.cases for d in c.decoys})}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


# --------------------------------------------------------------------------- runs

DASHBOARD_CASES = re.compile(r"nan|inf|huge|overflow|values|saved-with|embedding|float16|int64|bool")

def runs_for(manifest: dict, *, export_every: int = 1) -> list[dict]:
    """The runner's work: per model case info, trace, export and the app's open (File ▸ Open: the
    model with its default input); per sequence case trace, export and the app's open with that
    input. Hand-written cases with odd values (NaN, Inf, huge) export the whole dashboard (~3 s each
    when they open), the other hand-written ones the cell diagram alone (~0.5 s), and so do mutated
    ones (they spoil the reader, not the values the panels draw), every ``export_every``-th of them."""
    root = Path(manifest["root"])
    runs = []
    for i, c in enumerate(manifest["cases"]):
        out = root / "out" / Path(c["folder"]).name
        npz, png = str(out / "trace.npz"), str(out / "figure.png")
        commands = []
        if c["kind"] == "model":
            commands.append(("info", ["info", c["model"]]))
        commands.append(("trace", ["trace", c["model"], c["input"], "-o", npz]))
        if c["hand_written"] and DASHBOARD_CASES.search(c["name"]):  # odd values: every panel draws them
            commands.append(("export", ["export", c["model"], c["input"], "-o", png, "--step", "1"]))
        elif c["hand_written"] or i % export_every == 0:  # the cell diagram (where one NaN weight crashed)
            commands.append(("export", ["export", c["model"], c["input"], "-o", png, "--panel", "cell",
                                        "--step", "1", "--size", "480x300"]))
        commands.append(("app", None))
        for command, argv in commands:
            runs.append({"id": f"{i:04d}-{command}", "case": c["name"], "fmt": c["fmt"], "command": command,
                         "argv": argv, "model": c["model"], "input": c["input"] if c["kind"] == "sequence" else None,
                         "files": [c["model"], c["input"]], "allowed": [c["folder"], str(out)],
                         "make_dirs": [str(out)], "decoys": c["decoys"], "must_not_exist": c["must_not_exist"]})
    # every case's info first, then every trace, ...: runs that run at the same time are different
    # cases (the runner tells which one read a decoy by the decoys each case names)
    order = {"info": 0, "trace": 1, "export": 2, "app": 3}
    return sorted(runs, key=lambda r: order[r["command"]])
