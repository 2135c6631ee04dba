"""The gateviz model file: safe, self-describing, exact round trip."""

import json
import struct

import numpy as np
import pytest
from reference import random_model

from gateviz.core import Activation, FormatError, Head, InputStage
from gateviz.core.engine import trace
from gateviz.formats.detect import detect_format
from gateviz.formats.gateviz_file import load_gateviz_model, save_model


def _assert_same_trace(a, b):
    assert list(a.keys()) == list(b.keys())
    for key in a.states:
        for q in a.states[key]:
            np.testing.assert_array_equal(a.states[key][q], b.states[key][q])
    if a.output is None:
        assert b.output is None
    else:
        np.testing.assert_array_equal(a.output, b.output)


@pytest.mark.parametrize("cell,kwargs", [
    ("lstm", dict(units=(6, 5), bidirectional=True, head_out=3, head_activation="softmax", head_on="final_state")),
    ("gru", dict(units=(4,), reset_after=False, recurrent_activation="hard_sigmoid_keras3", dtype=np.float64)),
    ("rnn", dict(units=(5, 5), activation="relu", merge="sum", bidirectional=True, head_out=1)),
    ("lstm", dict(units=(4,), peepholes=True, forget_bias=1.0, cell_clip=3.0, proj_size=2, proj_clip=0.5,
                  gate_clip=4.0)),
])
def test_round_trip_gives_identical_trace(tmp_path, cell, kwargs):
    model = random_model(3, cell, input_size=3, **kwargs)
    model.task = {"name": "sine", "window": 50}
    path = save_model(model, tmp_path / "m.gvm")
    assert detect_format(path) == "gateviz"
    loaded = load_gateviz_model(path)
    assert loaded.task == {"name": "sine", "window": 50}
    assert loaded.describe()["layers"] == model.describe()["layers"]
    for la, lb in zip(model.layers, loaded.layers):
        for da, db in zip(la.directions, lb.directions):
            for name, arr in da.arrays().items():
                assert db.arrays()[name].dtype == arr.dtype
                np.testing.assert_array_equal(db.arrays()[name], arr)
            assert da.reverse == db.reverse
    x = np.random.default_rng(0).standard_normal((17, 3))
    _assert_same_trace(trace(model, x), trace(loaded, x))


def test_text_model_keeps_vocabulary_and_embedding(tmp_path):
    vocab = list("()ab ")
    model = random_model(1, "lstm", units=(4,), input_size=3, head_out=5, head_activation="softmax")
    model.input = InputStage("embedding", features=1, vocab=vocab,
                             embedding=np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32))
    model.head.labels = vocab
    path = save_model(model, tmp_path / "text.gvm")
    loaded = load_gateviz_model(path)
    assert loaded.input.vocab == vocab
    assert loaded.input.kind == "embedding"
    assert loaded.head.labels == vocab
    np.testing.assert_array_equal(loaded.input.embedding, model.input.embedding)
    _assert_same_trace(trace(model, "(ab)"), trace(loaded, "(ab)"))


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    model = random_model(0, "gru", units=(3,), input_size=2, head_out=1)
    path = save_model(model, tmp_path / "m.gvm")
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__")
    assert meta["gateviz_format"] == "1"
    desc = json.loads(meta["model"])
    assert desc["layers"][0]["cell"] == "gru" and desc["input"]["features"] == 2
    assert set(header) == {"layers.0.dir0.Wx", "layers.0.dir0.Wh", "layers.0.dir0.bx", "layers.0.dir0.bh",
                           "head.weight", "head.bias"}
    assert header["layers.0.dir0.Wx"]["shape"] == [9, 2] and header["layers.0.dir0.Wx"]["dtype"] == "F32"


def test_refuses_to_overwrite(tmp_path):
    model = random_model(0, "rnn", units=(3,), input_size=1)
    path = tmp_path / "m.gvm"
    path.write_bytes(b"precious")
    with pytest.raises(FormatError, match="already exists"):
        save_model(model, path)
    assert path.read_bytes() == b"precious"
    save_model(model, path, overwrite=True)
    assert load_gateviz_model(path).cell == "rnn"
    assert [p.name for p in tmp_path.iterdir()] == ["m.gvm"]  # no temporary file left behind


def test_corrupt_and_foreign_files(tmp_path):
    model = random_model(0, "lstm", units=(3,), input_size=1)
    good = save_model(model, tmp_path / "m.gvm").read_bytes()
    truncated = tmp_path / "t.gvm"
    truncated.write_bytes(good[: len(good) - 20])
    with pytest.raises(FormatError, match="t.gvm"):
        load_gateviz_model(truncated)
    empty = tmp_path / "e.gvm"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        load_gateviz_model(empty)
    with pytest.raises(FormatError, match="no such file"):
        load_gateviz_model(tmp_path / "missing.gvm")


def test_unknown_activation_in_file_is_a_format_error(tmp_path):
    model = random_model(0, "lstm", units=(3,), input_size=1)
    model.layers[0].activation = Activation("softsign")
    path = save_model(model, tmp_path / "m.gvm")
    raw = bytearray(path.read_bytes())
    idx = raw.find(b"softsign")
    raw[idx:idx + 8] = b"softsigX"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="softsigX"):
        load_gateviz_model(path)


def test_head_without_bias_round_trips(tmp_path):
    model = random_model(0, "lstm", units=(3,), input_size=1)
    model.head = Head(weight=np.ones((2, 3), np.float32), bias=None, activation="sigmoid", on="final_state",
                      labels=["no", "yes"])
    loaded = load_gateviz_model(save_model(model, tmp_path / "m.gvm"))
    assert loaded.head.bias is None and loaded.head.labels == ["no", "yes"] and loaded.head.on == "final_state"


def test_per_direction_activations_round_trip(tmp_path):
    model = random_model(4, "lstm", units=(3,), input_size=2, bidirectional=True)
    model.layers[0].directions[1].activation = Activation("relu")
    model.layers[0].directions[1].recurrent_activation = Activation("hard_sigmoid_keras2")
    loaded = load_gateviz_model(save_model(model, tmp_path / "m.gvm"))
    back = loaded.layers[0].directions[1]
    assert back.activation == Activation("relu") and back.recurrent_activation == Activation("hard_sigmoid", 0.2, 0.5)
    assert loaded.layers[0].directions[0].activation is None
    x = np.random.default_rng(1).standard_normal((9, 2))
    _assert_same_trace(trace(model, x), trace(loaded, x))


def test_saving_the_same_model_gives_identical_bytes(tmp_path):
    """Byte-identical files: sorted JSON and a fixed safetensors header order (its metadata map is unordered)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    model = random_model(2, "lstm", units=(4, 3), bidirectional=True, head_out=2)
    model.task = {"name": "sine", "window": 50, "trained_with": {"seed": 1, "lr": 0.01, "epochs": 3}}
    paths = [save_model(model, tmp_path / f"m{k}.gvm") for k in range(6)]
    first = paths[0].read_bytes()
    assert all(p.read_bytes() == first for p in paths[1:])
    # the same description in another key order is the same file
    model.task = {"trained_with": {"epochs": 3, "lr": 0.01, "seed": 1}, "window": 50, "name": "sine"}
    assert save_model(model, tmp_path / "reordered.gvm").read_bytes() == first
    # ... and so is a save by another process (another hash seed for Python and for safetensors' Rust maps)
    root = Path(__file__).resolve().parent.parent
    code = ("import sys; from reference import random_model; from gateviz.formats.gateviz_file import save_model; "
            "m = random_model(2, 'lstm', units=(4, 3), bidirectional=True, head_out=2); "
            "m.task = {'window': 50, 'name': 'sine', 'trained_with': {'lr': 0.01, 'seed': 1, 'epochs': 3}}; "
            "save_model(m, sys.argv[1])")
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "other.gvm")], cwd=root, check=True, env=env)
    assert (tmp_path / "other.gvm").read_bytes() == first
    # the header is still what safetensors and gateviz read
    (n,) = struct.unpack("<Q", first[:8])
    assert n % 8 == 0 and json.loads(first[8:8 + n])["__metadata__"]["gateviz_format"] == "1"
    _assert_same_trace(trace(model, np.ones((5, model.layers[0].input_size), np.float32)),
                       trace(load_gateviz_model(paths[3]), np.ones((5, model.layers[0].input_size), np.float32)))
