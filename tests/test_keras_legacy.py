"""Keras 2 / tf.keras `.h5` files, which Keras 3 cannot write: built with h5py by hand following the
documented layout (gate-conventions.md §2), checked against a numpy forward pass written in
Keras's own weight layout (kernel (in, G*U), gate columns i|f|c|o and z|r|h), independent of
gateviz's conversion. Also the bad Keras files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from fixtures_frameworks import max_abs, open_model
from gateviz.core.engine import trace
from gateviz.core.errors import FormatError

TOL = 1e-5
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- a Keras-layout numpy reference


def hard_sigmoid_keras2(x):
    return np.clip(0.2 * x + 0.5, 0, 1)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTS = {"tanh": np.tanh, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid_keras2, "relu": lambda x: np.maximum(x, 0)}


def keras_lstm(x, kernel, rec, bias, act="tanh", rec_act="hard_sigmoid", go_backwards=False):
    """x (T, in) -> outputs (T, U) in processing order (Keras: go_backwards returns them reversed)."""
    U = rec.shape[0]
    h, c, out = np.zeros(U), np.zeros(U), []
    for xt in (x[::-1] if go_backwards else x):
        z = xt @ kernel + h @ rec + bias
        i, f, cc, o = (z[k * U:(k + 1) * U] for k in range(4))
        i, f, o = ACTS[rec_act](i), ACTS[rec_act](f), ACTS[rec_act](o)
        c = f * c + i * ACTS[act](cc)
        h = o * ACTS[act](c)
        out.append(h)
    return np.array(out)


def keras_gru_reset_before(x, kernel, rec, bias, act="tanh", rec_act="hard_sigmoid"):
    """Keras 2.0-2.1 GRU (reset_after=False): hh = act(x Kh + b_h + (r*h) Rh), h = z*h + (1-z)*hh."""
    U = rec.shape[0]
    h, out = np.zeros(U), []
    for xt in x:
        xz = xt @ kernel + bias
        z = ACTS[rec_act](xz[:U] + h @ rec[:, :U])
        r = ACTS[rec_act](xz[U:2 * U] + h @ rec[:, U:2 * U])
        hh = ACTS[act](xz[2 * U:] + (r * h) @ rec[:, 2 * U:])
        h = z * h + (1 - z) * hh
        out.append(h)
    return np.array(out)


# --------------------------------------------------------------------------- writing legacy files


def _write_layer(mw, name, weights: dict[str, np.ndarray]):
    group = mw.create_group(name)
    names = list(weights)
    group.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
    for n, value in weights.items():
        group.create_dataset(n, data=value)


def _lstm_cfg(name, units, **kw):
    cfg = {"name": name, "trainable": True, "dtype": "float32", "return_sequences": False, "return_state": False,
           "go_backwards": False, "stateful": False, "unroll": False, "time_major": False, "units": units,
           "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True, "unit_forget_bias": True,
           "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}
    cfg.update(kw)
    return cfg


def _rand(rng, *shape):
    return rng.normal(0, 0.5, shape).astype(np.float32)


def write_tf_keras2_h5(path: Path, rng) -> dict[str, np.ndarray]:
    """tf.keras 2.15 style: Sequential InputLayer -> Bidirectional(LSTM(4, rs)) -> LSTM(3) -> Dense(2, softmax);
    datasets named `<layer>/<layer>/lstm_cell/kernel:0`; hard_sigmoid is Keras 2's 0.2x+0.5."""
    w = {k: _rand(rng, *s) for k, s in {"fk": (3, 16), "fr": (4, 16), "fb": (16,), "bk": (3, 16), "br": (4, 16),
                                         "bb": (16,), "k2": (8, 12), "r2": (3, 12), "b2": (12,), "dk": (3, 2),
                                         "db": (2,)}.items()}
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 6, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "bi_input"}},
        {"class_name": "Bidirectional", "config": {"name": "bi", "trainable": True, "dtype": "float32",
                                                   "layer": {"class_name": "LSTM", "config": _lstm_cfg(
                                                       "l1", 4, return_sequences=True)},
                                                   "merge_mode": "concat"}},
        {"class_name": "LSTM", "config": _lstm_cfg("l2", 3, recurrent_activation="sigmoid")},
        {"class_name": "Dense", "config": {"name": "out", "units": 2, "activation": "softmax", "use_bias": True}},
    ]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        mw = f.create_group("model_weights")
        mw.attrs["keras_version"] = b"2.15.0"
        # a long layer list is chunked by Keras: layer_names0, layer_names1, ...
        mw.attrs["layer_names0"] = np.array([b"bi_input", b"bi"], dtype="S")
        mw.attrs["layer_names1"] = np.array([b"l2", b"out"], dtype="S")
        _write_layer(mw, "bi_input", {})
        _write_layer(mw, "bi", {"bi/forward_l1/lstm_cell/kernel:0": w["fk"],
                                "bi/forward_l1/lstm_cell/recurrent_kernel:0": w["fr"],
                                "bi/forward_l1/lstm_cell/bias:0": w["fb"],
                                "bi/backward_l1/lstm_cell/kernel:0": w["bk"],
                                "bi/backward_l1/lstm_cell/recurrent_kernel:0": w["br"],
                                "bi/backward_l1/lstm_cell/bias:0": w["bb"]})
        _write_layer(mw, "l2", {"l2/lstm_cell/kernel:0": w["k2"], "l2/lstm_cell/recurrent_kernel:0": w["r2"],
                                "l2/lstm_cell/bias:0": w["b2"]})
        _write_layer(mw, "out", {"out/kernel:0": w["dk"], "out/bias:0": w["db"]})
    return w


def test_tf_keras2_h5_bidirectional_hard_sigmoid(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tfkeras.h5"
    w = write_tf_keras2_h5(path, rng)
    x = rng.normal(0, 2, (6, 3))  # large enough to reach hard_sigmoid's flat parts
    fwd = keras_lstm(x, w["fk"], w["fr"], w["fb"])
    bwd = keras_lstm(x, w["bk"], w["br"], w["bb"], go_backwards=True)[::-1]  # realign with input time
    h2 = keras_lstm(np.concatenate([fwd, bwd], 1), w["k2"], w["r2"], w["b2"], rec_act="sigmoid")
    logits = h2[-1] @ w["dk"] + w["db"]
    probs = np.exp(logits) / np.exp(logits).sum()

    gm = open_model(path)
    rec = gm.layers[0].recurrent_activation
    assert rec.name == "hard_sigmoid" and rec.alpha == pytest.approx(0.2)  # Keras 2's definition
    assert gm.layers[1].recurrent_activation.name == "sigmoid"
    tr = trace(gm, x)
    assert max_abs(tr.states[(0, "forward")]["hidden_state"], fwd) <= TOL
    assert max_abs(tr.states[(0, "backward")]["hidden_state"], bwd) <= TOL
    assert max_abs(tr.states[(1, "forward")]["hidden_state"], h2) <= TOL
    assert max_abs(tr.output[-1], probs) <= TOL


def test_keras20_sequential_list_config_gru_without_reset_after(tmp_path):
    """Keras 2.0-2.1: the Sequential config is a bare list, GRU has no reset_after key (-> False) and
    weights have no cell scope (`gru_1/kernel:0`); no keras_version at all means Keras 2."""
    rng = np.random.default_rng(1)
    k, r, b = _rand(rng, 2, 15), _rand(rng, 5, 15), _rand(rng, 15)
    config = {"class_name": "Sequential", "config": [
        {"class_name": "GRU", "config": {"name": "gru_1", "batch_input_shape": [None, None, 2], "units": 5,
                                         "activation": "tanh", "recurrent_activation": "hard_sigmoid",
                                         "use_bias": True, "return_sequences": True, "go_backwards": False}}]}
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"gru_1"], dtype="S")
        _write_layer(mw, "gru_1", {"gru_1/kernel:0": k, "gru_1/recurrent_kernel:0": r, "gru_1/bias:0": b})
    x = rng.normal(0, 2, (7, 2))
    gm = open_model(path)
    assert gm.cell == "gru" and gm.layers[0].reset_after is False and gm.head is None
    tr = trace(gm, x)
    assert max_abs(tr.states[(0, "forward")]["hidden_state"], keras_gru_reset_before(x, k, r, b)) <= TOL


# --------------------------------------------------------------------------- bad files


@pytest.fixture(scope="module")
def dense_only_h5(tmp_path_factory):
    from fixtures_frameworks import keras

    K = keras()
    model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="relu", name="hidden"),
                          K.layers.Dense(1, name="out")])
    path = tmp_path_factory.mktemp("bad") / "dense.h5"
    model.save(str(path))
    return path


def test_keras_model_without_recurrent_layer(dense_only_h5):
    with pytest.raises(FormatError, match=r"no recurrent layer \(found hidden \(Dense\), out \(Dense\)\)"):
        open_model(dense_only_h5)


def test_truncated_h5(tmp_path):
    rng = np.random.default_rng(2)
    good = tmp_path / "good.h5"
    write_tf_keras2_h5(good, rng)
    bad = tmp_path / "truncated.h5"
    bad.write_bytes(good.read_bytes()[:1500])
    with pytest.raises(FormatError, match="truncated"):
        open_model(bad)


def test_keras_zip_missing_weights(tmp_path):
    path = tmp_path / "noweights.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": []}}))
    with pytest.raises(FormatError, match="model.weights.h5"):
        open_model(path)
    from gateviz.formats.keras_reader import read_keras

    with pytest.raises(FormatError, match="no model.weights.h5 inside"):
        read_keras(path)


def test_weights_only_h5(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"lstm"], dtype="S")
    with pytest.raises(FormatError, match="weights-only file.*model.save"):
        open_model(path)


@pytest.mark.parametrize("kind", ["dense", "truncated"])
def test_cli_info_bad_keras_file_one_line(tmp_path, dense_only_h5, kind):
    if kind == "dense":
        path = dense_only_h5
    else:
        good = tmp_path / "good.h5"
        write_tf_keras2_h5(good, np.random.default_rng(3))
        path = tmp_path / "cut.h5"
        path.write_bytes(good.read_bytes()[:3000])
    proc = subprocess.run([sys.executable, "-m", "gateviz", "info", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gateviz: error:") and "Traceback" not in proc.stderr
    assert ("no recurrent layer" if kind == "dense" else "truncated") in lines[0]


def test_cudnn_lstm_is_refused_with_a_way_out(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "CuDNNLSTM", "config": {"name": "fast", "units": 4, "batch_input_shape": [None, 5, 2]}}]}}
    path = tmp_path / "cudnn.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.2.4"
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"fast"], dtype="S")
        _write_layer(mw, "fast", {"fast/kernel:0": np.zeros((2, 16), np.float32)})
    with pytest.raises(FormatError, match=r"fast \(CuDNNLSTM\).*cuDNN layout.*rebuild the model with LSTM"):
        open_model(path)
