"""Keras .h5 / .keras files -> gateviz, checked against Keras 3 itself (torch backend).

Every fixture is built and saved at test time; gateviz's per-layer, per-direction hidden
states and the model output must equal what Keras computes to <= 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures_frameworks import (keras, keras_direction_states, keras_layer_outputs, keras_output_reversed, max_abs,
                                 merge, open_model)
from gateviz.core.engine import trace

TOL = 1e-5
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def K():
    k = keras()
    k.utils.set_random_seed(7)
    return k


def _randomise_biases(model, rng):
    """Fresh Keras biases are zeros (or ones for the forget gate): give them values so they are tested."""
    for w in model.weights:
        if "bias" in w.path:
            w.assign(rng.normal(0, 0.5, size=tuple(w.shape)).astype("float32"))


def check_keras(kmodel, path, x, *, module=None) -> dict[str, float]:
    """Open `path` with gateviz, trace x (N, T, F) and compare with kmodel. Returns the max errors."""
    gm = open_model(path, module=module)
    assert gm.framework == "keras"
    tr = trace(gm, x)
    errors = {}
    states = keras_direction_states(kmodel, x)
    assert len(states) == len(gm.layers)
    for k, (layer, dirs) in enumerate(zip(gm.layers, states)):
        assert len(dirs) == len(layer.directions)
        for name, expected in zip(layer.direction_names(), dirs):
            errors[f"layer{k}.{name}"] = max_abs(tr.states[(k, name)]["hidden_state"], expected)
    # each layer's output exactly as Keras returns it (merged; final state or the whole sequence)
    for k, (layer, out, rev) in enumerate(zip(gm.layers, keras_layer_outputs(kmodel, x), keras_output_reversed(kmodel))):
        hs = [tr.states[(k, n)]["hidden_state"] for n in layer.direction_names()]
        if out.ndim == 2:
            finals = [h[:, 0] if d.reverse else h[:, -1] for h, d in zip(hs, layer.directions)]
            got = finals[0] if len(finals) == 1 else merge(layer.merge, *finals)
        else:
            got = hs[0] if len(hs) == 1 else merge(layer.merge, *hs)
            got = got[:, ::-1] if rev else got
        errors[f"layer{k}.output"] = max_abs(got, out)
    if gm.head is not None:
        y = np.asarray(kmodel(x).detach().cpu().numpy())
        mode = tr.meta["output_mode"]
        if mode == "final":
            got = tr.output[:, 0]
        elif mode == "running":
            got = tr.output[:, -1]
        else:
            got = tr.output[:, ::-1] if keras_output_reversed(kmodel)[-1] else tr.output
        errors["output"] = max_abs(got, y)
    worst = max(errors.values())
    assert worst <= TOL, errors
    return errors


def _save_both(kmodel, tmp_path, stem):
    paths = [tmp_path / f"{stem}.h5", tmp_path / f"{stem}.keras"]
    for p in paths:
        kmodel.save(str(p))
    return paths


# --------------------------------------------------------------------------- the seed notes' models


def test_sine_demo_my_h5(K, tmp_path):
    """The seed notes: Input(50, 1) -> LSTM(128) -> Dense(1), model.save("my.h5")."""
    inp = K.Input(shape=[50, 1])
    rnn = K.layers.LSTM(units=128)(inp)
    out = K.layers.Dense(units=1)(rnn)
    model = K.Model(inputs=inp, outputs=out)
    _randomise_biases(model, np.random.default_rng(0))
    path = tmp_path / "my.h5"
    model.save(str(path))
    x = np.sin(np.linspace(-100, 100, 1000))
    windows = np.stack([x[i:i + 50] for i in (0, 137, 900)])[..., None].astype("float32")  # (3, 50, 1)
    check_keras(model, path, windows)
    gm = open_model(path)
    assert gm.head is not None and gm.head.on == "final_state" and gm.head.out_features == 1
    assert gm.layers[0].units == 128 and gm.input_size == 1


def test_seed_bidirectional_stack(K, tmp_path):
    """Bidirectional(LSTM(10, return_sequences=True)) -> Bidirectional(LSTM(10)) -> Dense(5) + softmax."""
    model = K.Sequential([K.Input((5, 10)),
                          K.layers.Bidirectional(K.layers.LSTM(10, return_sequences=True)),
                          K.layers.Bidirectional(K.layers.LSTM(10)),
                          K.layers.Dense(5), K.layers.Activation("softmax")])
    _randomise_biases(model, np.random.default_rng(1))
    x = np.random.default_rng(2).normal(size=(4, 5, 10)).astype("float32")
    for path in _save_both(model, tmp_path, "bi"):
        check_keras(model, path, x)
        gm = open_model(path)
        assert [layer.bidirectional for layer in gm.layers] == [True, True]
        assert gm.head.activation == "softmax" and gm.head.on == "final_state"


def test_custom_backward_layer_with_relu(K, tmp_path):
    fwd = K.layers.LSTM(10, return_sequences=True)
    bwd = K.layers.LSTM(10, activation="relu", return_sequences=True, go_backwards=True)
    model = K.Sequential([K.Input((5, 10)), K.layers.Bidirectional(fwd, backward_layer=bwd),
                          K.layers.Dense(5), K.layers.Activation("softmax")])
    _randomise_biases(model, np.random.default_rng(3))
    x = np.random.default_rng(4).normal(size=(3, 5, 10)).astype("float32")
    for path in _save_both(model, tmp_path, "custom_backward"):
        check_keras(model, path, x)
        layer = open_model(path).layers[0]
        assert layer.activations(0)[0].name == "tanh" and layer.activations(1)[0].name == "relu"
        assert open_model(path).head.on == "every_step"


# --------------------------------------------------------------------------- cells and options


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_reset_after(K, tmp_path, reset_after):
    model = K.Sequential([K.Input((7, 3)), K.layers.GRU(6, return_sequences=True, reset_after=reset_after),
                          K.layers.GRU(4, reset_after=reset_after), K.layers.Dense(3, activation="sigmoid")])
    _randomise_biases(model, np.random.default_rng(5))
    x = np.random.default_rng(6).normal(size=(3, 7, 3)).astype("float32")
    for path in _save_both(model, tmp_path, f"gru_{reset_after}"):
        check_keras(model, path, x)
        assert all(layer.reset_after == reset_after for layer in open_model(path).layers)


def test_simple_rnn_relu_and_tanh(K, tmp_path):
    model = K.Sequential([K.Input((9, 2)), K.layers.SimpleRNN(5, activation="relu", return_sequences=True),
                          K.layers.SimpleRNN(4), K.layers.Dense(2)])
    _randomise_biases(model, np.random.default_rng(7))
    x = np.random.default_rng(8).normal(size=(2, 9, 2)).astype("float32")
    for path in _save_both(model, tmp_path, "srnn"):
        check_keras(model, path, x)
        gm = open_model(path)
        assert gm.cell == "rnn" and [layer.activation.name for layer in gm.layers] == ["relu", "tanh"]


@pytest.mark.parametrize("mode", ["sum", "mul", "ave", "concat"])
def test_bidirectional_merge_modes(K, tmp_path, mode):
    model = K.Sequential([K.Input((6, 3)),
                          K.layers.Bidirectional(K.layers.GRU(4, return_sequences=True), merge_mode=mode),
                          K.layers.Bidirectional(K.layers.GRU(3), merge_mode=mode), K.layers.Dense(2)])
    _randomise_biases(model, np.random.default_rng(9))
    x = np.random.default_rng(10).normal(size=(2, 6, 3)).astype("float32")
    path = tmp_path / f"merge_{mode}.keras"
    model.save(str(path))
    check_keras(model, path, x)
    assert [layer.merge for layer in open_model(path).layers] == [mode, mode]


def test_go_backwards_stack(K, tmp_path):
    """A lone go_backwards layer hands the next layer a reversed sequence: that layer runs backward in input time."""
    model = K.Sequential([K.Input((8, 2)), K.layers.LSTM(5, go_backwards=True, return_sequences=True),
                          K.layers.LSTM(4, return_sequences=True), K.layers.TimeDistributed(K.layers.Dense(2))])
    _randomise_biases(model, np.random.default_rng(11))
    x = np.random.default_rng(12).normal(size=(2, 8, 2)).astype("float32")
    for path in _save_both(model, tmp_path, "backwards"):
        check_keras(model, path, x)
        assert [layer.directions[0].reverse for layer in open_model(path).layers] == [True, True]


def test_go_backwards_final_state(K, tmp_path):
    model = K.Sequential([K.Input((8, 2)), K.layers.GRU(5, go_backwards=True), K.layers.Dense(3, activation="softmax")])
    _randomise_biases(model, np.random.default_rng(13))
    x = np.random.default_rng(14).normal(size=(2, 8, 2)).astype("float32")
    path = tmp_path / "back_final.h5"
    model.save(str(path))
    check_keras(model, path, x)


def test_hard_sigmoid_and_other_activations(K, tmp_path):
    model = K.Sequential([K.Input((10, 3)),
                          K.layers.LSTM(6, recurrent_activation="hard_sigmoid", activation="softsign",
                                        return_sequences=True),
                          K.layers.LSTM(4, recurrent_activation="hard_sigmoid", activation="linear"),
                          K.layers.Dense(1, activation="tanh")])
    _randomise_biases(model, np.random.default_rng(15))
    x = 3 * np.random.default_rng(16).normal(size=(3, 10, 3)).astype("float32")  # reach the clipped region
    for path in _save_both(model, tmp_path, "hard"):
        check_keras(model, path, x)
        rec = open_model(path).layers[0].recurrent_activation
        assert rec.name == "hard_sigmoid" and rec.alpha == pytest.approx(1 / 6)  # Keras 3's definition


def test_embedding_input_stage_and_rnn_cell_wrapper(K, tmp_path):
    model = K.Sequential([K.Input((6,), dtype="int32"), K.layers.Embedding(12, 4),
                          K.layers.RNN(K.layers.GRUCell(5), return_sequences=True), K.layers.Dropout(0.3),
                          K.layers.TimeDistributed(K.layers.Dense(3, activation="softmax"))])
    _randomise_biases(model, np.random.default_rng(17))
    for path in _save_both(model, tmp_path, "emb"):
        gm = open_model(path)
        assert gm.input.kind == "embedding" and gm.input.embedding.shape == (12, 4)
        tokens = np.array([[1, 5, 11, 0, 3, 3], [2, 2, 7, 9, 10, 4]])
        tr = trace(gm, tokens)
        y = model(tokens).detach().cpu().numpy()
        assert max_abs(tr.output, y) <= TOL
        h = keras_layer_outputs(model, tokens)[0]
        assert max_abs(tr.states[(0, "forward")]["hidden_state"], h) <= TOL


def test_functional_with_dropout_between(K, tmp_path):
    inp = K.Input((7, 4))
    h = K.layers.LSTM(6, return_sequences=True, name="encoder")(inp)
    h = K.layers.Dropout(0.5)(h)
    h = K.layers.LSTM(5, name="decoder")(h)
    out = K.layers.Dense(3, activation="softmax", name="classes")(h)
    model = K.Model(inp, out)
    _randomise_biases(model, np.random.default_rng(18))
    x = np.random.default_rng(19).normal(size=(2, 7, 4)).astype("float32")
    for path in _save_both(model, tmp_path, "func"):
        check_keras(model, path, x)
        assert open_model(path).name.startswith("functional")


# --------------------------------------------------------------------------- unsupported layers, modules


def test_unsupported_layer_before_is_named_and_module_opens_raw(K, tmp_path):
    model = K.Sequential([K.Input((8, 3)), K.layers.Conv1D(4, 3, padding="same", name="conv"),
                          K.layers.LSTM(5, name="rnn"), K.layers.Dense(2)])
    path = tmp_path / "conv.keras"
    model.save(str(path))
    from gateviz.core.errors import FormatError

    with pytest.raises(FormatError, match=r"conv \(Conv1D\).*--module rnn"):
        open_model(path)
    from gateviz.formats.keras_reader import list_keras_modules

    assert list_keras_modules(path) == ["rnn"]
    gm = open_model(path, module="rnn")
    assert gm.input.kind == "raw" and gm.input_size == 4 and gm.head is not None
    x = np.random.default_rng(20).normal(size=(2, 8, 3)).astype("float32")
    conv_out = K.Model(model.inputs, model.get_layer("conv").output)(x).detach().cpu().numpy()
    tr = trace(gm, conv_out)
    assert max_abs(tr.states[(0, "forward")]["hidden_state"][:, -1],
                   keras_layer_outputs(model, x)[0]) <= TOL
    assert max_abs(tr.output[:, -1], model(x).detach().cpu().numpy()) <= TOL


def test_mixed_cells_need_a_module(K, tmp_path):
    model = K.Sequential([K.Input((5, 2)), K.layers.LSTM(4, return_sequences=True, name="first"),
                          K.layers.GRU(3, name="second")])
    path = tmp_path / "mixed.h5"
    model.save(str(path))
    from gateviz.core.errors import FormatError

    with pytest.raises(FormatError, match="different cell kinds.*--module"):
        open_model(path)
    assert open_model(path, module="second").cell == "gru"
    from gateviz.formats import describe_modules

    assert describe_modules(path) == ["first: LSTM(4)  [first]", "second: GRU(3)  [second]"]
    with pytest.raises(FormatError, match="no recurrent layers named 'nope'"):
        open_model(path, module="nope")


def test_keras_zip_without_var_names_matches_layers_by_class_order(K, tmp_path):
    """Older Keras 3 files carry no layer name on `vars`: datasets are matched to the config by the
    snake_case class name numbered in order (lstm, lstm_1, ...). Also use_bias=False."""
    import io
    import zipfile

    import h5py

    model = K.Sequential([K.Input((6, 2)), K.layers.LSTM(5, return_sequences=True, use_bias=False, name="a"),
                          K.layers.LSTM(4, return_sequences=True, name="b"), K.layers.LSTM(3, name="c"),
                          K.layers.Dense(2)])
    _randomise_biases(model, np.random.default_rng(21))
    original = tmp_path / "named.keras"
    model.save(str(original))
    stripped = tmp_path / "unnamed.keras"
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "model.weights.h5":
                buf = io.BytesIO(data)
                with h5py.File(buf, "r+") as f:
                    f.visititems(lambda name, obj: obj.attrs.__delitem__("name") if "name" in obj.attrs else None)
                data = buf.getvalue()
            dst.writestr(item, data)
    x = np.random.default_rng(22).normal(size=(2, 6, 2)).astype("float32")
    check_keras(model, stripped, x)
    assert not open_model(stripped).layers[0].directions[0].bx.any()
