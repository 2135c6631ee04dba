"""Issue 11, hostile model and sequence files (PyTorch, safetensors, .gvm, .npy/.csv).

Each case makes its own small file and runs it through the command line: exit status 2, one
stderr line "gateviz: error: ..." naming the problem, no "unexpected", no traceback. A task named
in a model file never makes gateviz read a file the user did not name.
"""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from cli_checks import Opens as _Opens
from cli_checks import error_line as _error_line
from reference import random_layer, random_model
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save as np_save
from safetensors.torch import save_file

from gateviz.cli import main
from gateviz.core import InputStage
from gateviz.core.model import Head, RecurrentModel
from gateviz.formats import save_model
from gateviz.formats.detect import read_safetensors_header


def _refused(capsys, argv, *needles: str) -> str:
    assert main(argv) == 2
    return _error_line(capsys, *needles)


# --------------------------------------------------------------------------- a task names a file




def _text_model(vocab: list[str]) -> RecurrentModel:
    rng = np.random.default_rng(0)
    V = len(vocab)
    layer = random_layer(rng, "lstm", 6, V)
    head = Head(weight=rng.standard_normal((V, 6)).astype(np.float32), bias=np.zeros(V, np.float32),
                activation="softmax")
    return RecurrentModel(layers=[layer], input=InputStage("onehot", features=V, vocab=vocab), head=head,
                          name="char").validate()


@pytest.fixture
def secret_and_model(tmp_path):
    marker = "ZQXJ-SECRET-MARKER"
    secret = tmp_path / "secret.txt"
    secret.write_text((marker + " the password is hunter2\n") * 200)
    vocab = sorted(set(secret.read_text()))
    model = _text_model(vocab)
    model.task = {"name": "text", "corpus": "file", "path": str(secret), "seq_len": 50}
    return secret, marker, save_model(model, tmp_path / "char.gvm")


def _assert_not_read(opened: list, secret) -> None:
    assert not [p for p in opened if os.path.basename(p) == secret.name], opened


@pytest.mark.parametrize("fmt", ["csv", "svg"])
def test_a_task_in_a_model_file_never_reads_the_file_it_names(tmp_path, secret_and_model, fmt, capsys):
    secret, marker, model_file = secret_and_model
    out = tmp_path / f"out.{fmt}"
    _Opens.active = opened = []
    try:
        rc = main(["export", str(model_file), "-o", str(out), "--panel", "io"])
    finally:
        _Opens.active = None
    assert rc == 0, capsys.readouterr().err
    _assert_not_read(opened, secret)
    data = out.read_bytes()
    assert marker.encode() not in data and b"hunter2" not in data


def test_the_app_open_path_never_reads_the_file_a_task_names(secret_and_model):
    from gateviz.ui.workers import load_and_trace

    secret, marker, model_file = secret_and_model
    _Opens.active = opened = []
    try:
        loaded = load_and_trace(str(model_file))
    finally:
        _Opens.active = None
    _assert_not_read(opened, secret)
    assert loaded.samples == [] and marker not in str(loaded.sequence)
    assert loaded.task is not None and loaded.task.path is None


def test_a_text_model_trained_on_a_file_carries_its_samples(tmp_path, secret_and_model):
    """What the task shows travels in the model file: stored passages, the vocabulary."""
    from gateviz.tasks import get_task, get_task_for_model
    from gateviz.ui.workers import load_and_trace

    secret, marker, _ = secret_and_model
    task = get_task("text", path=str(secret))  # named by the user: read
    model = _text_model(task.vocab)
    model.task = task.options()
    assert model.task["stored_samples"] and model.task["corpus"] == "file"
    saved = save_model(model, tmp_path / "trained.gvm")
    _Opens.active = opened = []
    try:
        loaded = load_and_trace(str(saved))
    finally:
        _Opens.active = None
    _assert_not_read(opened, secret)
    assert [s.sequence for s in loaded.samples] == model.task["stored_samples"]
    assert loaded.sequence == model.task["stored_samples"][0]
    rebuilt = get_task_for_model(loaded.model)
    assert rebuilt.path is None and rebuilt.options()["stored_samples"] == model.task["stored_samples"]


def test_a_digits_task_never_reads_the_folder_it_names(tmp_path):
    from gateviz.tasks import get_task_for_model

    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 12)
    model = random_model(0, "lstm", units=(4,), input_size=8, head_out=10)
    model.task = {"name": "digits", "source": "mnist", "mnist_dir": str(folder)}
    _Opens.active = opened = []
    try:
        task = get_task_for_model(model)
        samples = []
        try:
            samples = task.samples()
        except Exception:
            pass
    finally:
        _Opens.active = None
    assert task.mnist_dir is None and samples == []
    assert not [p for p in opened if str(folder) in p], opened


# --------------------------------------------------------------------------- .gvm descriptions of the wrong shape


def _forged_gvm(tmp_path, edit_desc=lambda d: d, edit_tensors=lambda t: t, name="forged.gvm"):
    """A gvm file whose JSON description (or tensors) were changed after save_model wrote it."""
    base = save_model(random_model(0, "lstm", units=(4,), input_size=2), tmp_path / "base.gvm", overwrite=True)
    desc = json.loads(read_safetensors_header(base)["__metadata__"]["model"])
    tensors = edit_tensors(np_load_file(str(base)))
    path = tmp_path / name
    path.write_bytes(np_save(tensors, metadata={"gateviz_format": "1", "model": json.dumps(edit_desc(desc))}))
    return path


def _with_input(**changes):
    return lambda d: {**d, "input": {**d["input"], **changes}}


def _with_layer(**changes):
    return lambda d: {**d, "layers": [{**d["layers"][0], **changes}]}


GVM_CASES = {
    "model a list": (lambda d: [d], "the model description is a list, expected an object"),
    "layers an object": (lambda d: {**d, "layers": {"0": d["layers"][0]}}, '"layers" is an object, expected a'),
    "a layer a number": (lambda d: {**d, "layers": [3]}, "layer 0 of the model description is a number"),
    "task a string": (lambda d: {**d, "task": "text"}, '"task" is a string, expected an object'),
    "unknown input kind": (_with_input(kind="weird"), "unknown input kind 'weird'; expected one of raw, embedding"),
    "units a string": (_with_layer(units="four"), "layer 0: units is 'four', expected a positive whole number"),
    "input_size a list": (_with_layer(input_size=[2]), "layer 0: input_size is [2]"),
    "directions sideways": (_with_layer(directions=["sideways"]), "layer 0: directions is ['sideways']"),
    "activation a number": (_with_layer(activation=3), "layer 0: activation is 3, expected an activation"),
    "feature names too few": (_with_input(feature_names=["a"]), "names 1 feature(s) but reads 2"),
    "feature names a number": (_with_input(feature_names=5), "feature names must be a list of strings"),
    "vocabulary a string": (_with_input(vocab="ab"), "vocabulary must be a list of strings"),
}


@pytest.mark.parametrize("case", list(GVM_CASES))
@pytest.mark.parametrize("command", ["info", "trace"])
def test_a_gvm_description_of_the_wrong_shape_is_named(tmp_path, case, command, capsys):
    edit, message = GVM_CASES[case]
    path = _forged_gvm(tmp_path, edit)
    np.save(tmp_path / "x.npy", np.zeros((5, 2)))
    argv = ["info", str(path)] if command == "info" else ["trace", str(path), str(tmp_path / "x.npy"),
                                                          "-o", str(tmp_path / "t.npz")]
    _refused(capsys, argv, str(path), message)


def test_a_vocabulary_longer_than_the_embedding_is_refused_before_the_trace(tmp_path, capsys):
    def embedding(d):
        return {**d, "input": {"kind": "embedding", "features": 2, "vocab": list("abcdefgh")}}

    path = _forged_gvm(tmp_path, embedding, lambda t: {**t, "input.embedding": np.zeros((3, 2), np.float32)})
    (tmp_path / "t.txt").write_text("abcdefgh")
    _refused(capsys, ["trace", str(path), str(tmp_path / "t.txt"), "-o", str(tmp_path / "t.npz")],
             "the vocabulary has 8 entries but the embedding only 3 rows")


# --------------------------------------------------------------------------- complex weights


def _lstm_state(**changes):
    torch.manual_seed(0)
    state = dict(torch.nn.LSTM(2, 3).state_dict())
    state.update(changes)
    return state


def test_complex_weights_are_refused_in_every_format(tmp_path, capsys):
    state = _lstm_state()
    state["weight_hh_l0"] = state["weight_hh_l0"].to(torch.complex64)
    torch.save(state, tmp_path / "c.pt")
    _refused(capsys, ["info", str(tmp_path / "c.pt")], "c.pt", "weight_hh_l0", "complex")
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / "c.safetensors")
    _refused(capsys, ["info", str(tmp_path / "c.safetensors")], "c.safetensors", "weight_hh_l0", "complex")
    path = _forged_gvm(tmp_path, edit_tensors=lambda t: {**t, "layers.0.dir0.Wh": t["layers.0.dir0.Wh"] * 1j})
    _refused(capsys, ["info", str(path)], str(path), "layer 0 forward: Wh holds complex values")


# --------------------------------------------------------------------------- PyTorch and safetensors files


def _torch_zip_with_pickle(path, data_pkl: bytes):
    """A torch.save zip whose data.pkl is replaced (torch.save itself cannot write a 3,000-deep dict)."""
    small = path.with_suffix(".small")
    torch.save({"x": 1}, small)
    with zipfile.ZipFile(small) as zin, zipfile.ZipFile(path, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, data_pkl if name.endswith("data.pkl") else zin.read(name))
    return path


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("missing", ["bias_hh_l0", "bias_ih_l0", "weight_hh_l1"])
def test_a_missing_tensor_is_named(tmp_path, suffix, missing, capsys):
    torch.manual_seed(0)
    state = dict(torch.nn.LSTM(2, 3, num_layers=2).state_dict())
    del state[missing]
    path = tmp_path / f"m{suffix}"
    torch.save(state, path) if suffix == ".pt" else save_file(state, path)
    for command in ("info", "trace"):
        _refused(capsys, [command, str(path), str(tmp_path / "x.npy"), "-o", str(tmp_path / "t.npz")][:2 if command == "info" else 5],
                 str(path), f"missing tensor {missing}", "incomplete")


@pytest.mark.parametrize("value", ["hello", [1.0, 2.0], 7])
def test_a_non_tensor_where_a_weight_belongs_is_named(tmp_path, value, capsys):
    torch.save(_lstm_state(bias_hh_l0=value), tmp_path / "m.pt")
    _refused(capsys, ["info", str(tmp_path / "m.pt")], "m.pt: bias_hh_l0 is a", "not a tensor")


def test_torch_content_named_safetensors_and_the_reverse_are_read_by_content(tmp_path, capsys):
    state = _lstm_state()
    torch.save(state, tmp_path / "torch.safetensors")
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / "safe.pt")
    for name in ("torch.safetensors", "safe.pt"):
        assert main(["info", str(tmp_path / name)]) == 0
        assert "LSTM" in capsys.readouterr().out
    (tmp_path / "junk.safetensors").write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    _refused(capsys, ["info", str(tmp_path / "junk.safetensors")], "junk.safetensors")


def test_a_pt_nested_3000_deep_or_holding_itself_is_a_message(tmp_path, capsys):
    deep = b"\x80\x02}" + b"X\x01\x00\x00\x00a}" * 3000 + b"s" * 3000 + b"."
    _refused(capsys, ["info", str(_torch_zip_with_pickle(tmp_path / "deep.pt", deep))], "deep.pt nests dicts more than")
    itself = b"\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s."  # d = {}; d["a"] = d
    _refused(capsys, ["info", str(_torch_zip_with_pickle(tmp_path / "loop.pt", itself))], "loop.pt holds no nn.RNN")


@pytest.mark.parametrize("protocol", [4, 5])
def test_a_pickle_of_a_newer_protocol_gives_one_line(tmp_path, protocol, capsys):
    """torch warns in three lines about the protocol before failing: gateviz's one line only."""
    (tmp_path / "p.pt").write_bytes(pickle.dumps({"weight_ih_l0": np.zeros(3), "note": "x"}, protocol=protocol))
    _refused(capsys, ["info", str(tmp_path / "p.pt")], "p.pt ")
    torch.save(_lstm_state(), tmp_path / "new.pt", pickle_protocol=protocol)  # torch's safe loader stops at FRAME
    _refused(capsys, ["info", str(tmp_path / "new.pt")], f"new.pt was pickled with protocol {protocol}",
             "default pickle_protocol")


# --------------------------------------------------------------------------- sequences: bad headers, sizes


@pytest.fixture
def small_model(tmp_path):
    return save_model(random_model(0, "lstm", units=(4,), input_size=2), tmp_path / "m.gvm")


def _trace_refused(capsys, model_file, sequence, *needles):
    return _refused(capsys, ["trace", str(model_file), str(sequence), "-o", str(sequence.parent / "t.npz")],
                    str(sequence), *needles)


@pytest.mark.parametrize("header", [
    b"\x93NUMPY\x01\x00\x10\x00{'descr': garbage}\n",  # numpy's parser: TokenError
    b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}   \n",  # keys missing
    b"\x93NUMPY\x09\x00\x10\x00{'descr': '<f8'}   \n",  # unknown version
    b"\x93NUMPX\x01\x00",  # not the magic
])
def test_a_bad_npy_header_is_a_message(tmp_path, small_model, header, capsys):
    (tmp_path / "x.npy").write_bytes(header)
    _trace_refused(capsys, small_model, tmp_path / "x.npy")


def _declared_npy(path, shape, dtype="<f8", data_bytes=None):
    """An .npy file whose header declares ``shape``; its data is a hole (sparse) or cut short."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": dtype, "fortran_order": False, "shape": shape})
        size = fh.tell() + (int(np.prod(shape)) * np.dtype(dtype).itemsize if data_bytes is None else data_bytes)
        fh.truncate(size)
    return path


def test_a_npy_header_declaring_more_than_the_file_holds_is_refused(tmp_path, small_model, capsys):
    path = _declared_npy(tmp_path / "x.npy", (10**15, 2), data_bytes=64)
    _trace_refused(capsys, small_model, path, "declares shape (1000000000000000, 2)", "holds only 64 bytes")


def test_a_ten_million_step_npy_is_refused_before_it_is_read(tmp_path, small_model, capsys, monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "100M")
    path = _declared_npy(tmp_path / "long.npy", (10_000_000, 2))  # 160 MB, sparse: costs no disk
    _trace_refused(capsys, small_model, path, "10,000,000 steps", "would need about", "shorter sequence")


def test_a_huge_csv_is_refused_in_its_first_rows(tmp_path, small_model, capsys, monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "100M")
    path = tmp_path / "long.csv"
    with open(path, "w") as fh:
        fh.write("a,b\n" + "0.5,-0.25\n" * 70_000)
        fh.truncate(2 * 2**30)  # 2 GiB, the rest a hole: refused after 65,536 rows
    _trace_refused(capsys, small_model, path, "would need about", "shorter sequence")


def test_a_csv_still_reads_with_a_header_and_blank_lines(tmp_path, small_model, capsys):
    from gateviz.formats import load_model, read_sequence

    path = tmp_path / "x.csv"
    path.write_text("\ufeffa,b\n1,2\n\n3.5, -4\n")
    seq = read_sequence(path, load_model(small_model))
    assert seq.tolist() == [[1.0, 2.0], [3.5, -4.0]] and seq.dtype == np.float64
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3\n")
    _trace_refused(capsys, small_model, tmp_path / "bad.csv", "row 3 has 1 value(s) but earlier rows have 2")


def _raw_safetensors(path, header: bytes):
    header += b" " * (-len(header) % 8)
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0\0\0\0")
    return path


def _header(meta) -> bytes:
    return json.dumps({"__metadata__": meta, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()


@pytest.mark.parametrize("name, header, message", [
    ("num.gvm", _header({"gateviz_format": "1", "model": 5}), "metadata must map names to strings"),
    ("list.gvm", _header({"gateviz_format": ["1"], "model": "{}"}), "metadata must map names to strings"),
    ("deep.gvm", _header({"gateviz_format": "1", "model": "[" * 100_000 + "]" * 100_000}), "nests too deeply"),
    ("deep.safetensors", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "header nests too deeply"),
])
def test_damaged_safetensors_metadata_is_a_message(tmp_path, name, header, message, capsys):
    path = _raw_safetensors(tmp_path / name, header)
    _refused(capsys, ["info", str(path)], str(path), message)
