"""Keras encoder-decoder models (issue 14): keras-io's lstm_seq2seq, built small.

The encoder LSTM returns its states; the decoder LSTM starts from them (initial_state=) and a
softmax Dense reads it. gateviz opens each as a module; tracing the decoder with the encoder's
input must give Keras's own decoder states and outputs (Keras 3, torch backend, float32).
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_checks import error_line

keras = pytest.importorskip("keras")

from gateviz.cli import main  # noqa: E402
from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.errors import ModuleChoiceRequired  # noqa: E402
from gateviz.formats import load_model  # noqa: E402
from gateviz.formats.gateviz_file import load_gateviz_model, save_model  # noqa: E402

ENC_F, DEC_F, UNITS = 4, 5, 6


def _seq2seq(cell=keras.layers.LSTM):
    """lstm_seq2seq in miniature: (training model, encoder -> states, model -> decoder h)."""
    keras.utils.set_random_seed(3)
    enc_in = keras.Input((None, ENC_F))
    _, *states = cell(UNITS, return_state=True, name="encoder")(enc_in)
    dec_in = keras.Input((None, DEC_F))
    dec_h, *_ = cell(UNITS, return_sequences=True, return_state=True, name="decoder")(dec_in, initial_state=states)
    out = keras.layers.Dense(DEC_F, activation="softmax", name="dense")(dec_h)
    return (keras.Model([enc_in, dec_in], out), keras.Model(enc_in, states),
            keras.Model([enc_in, dec_in], dec_h))


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(7, ENC_F)).astype("float32"), rng.normal(size=(5, DEC_F)).astype("float32")


@pytest.fixture(scope="module", params=[".keras", ".h5"])
def saved(request, tmp_path_factory):
    model, enc, dec = _seq2seq()
    path = tmp_path_factory.mktemp("s2s") / f"s2s{request.param}"
    model.save(path)
    return path, model, enc, dec


def test_encoder_and_decoder_match_keras(saved):
    path, model, enc, dec = saved
    x_enc, x_dec = _inputs()
    with pytest.raises(ModuleChoiceRequired, match="encoder-decoder"):
        load_model(path)
    encoder = load_model(path, module="encoder")
    assert encoder.initial_state_from is None and encoder.input_size == ENC_F
    decoder = load_model(path, module="decoder")
    assert decoder.initial_state_from == {"module": "encoder", "states": ["h", "c"]}
    assert decoder.input_size == DEC_F and decoder.head.activation == "softmax"

    enc_trace = Tracer(encoder).trace(x_enc)
    q = enc_trace.states[(0, "forward")]
    want_h, want_c = (np.asarray(a)[0] for a in enc.predict(x_enc[None], verbose=0))
    assert np.abs(q["hidden_state"][-1] - want_h).max() <= 1e-5
    assert np.abs(q["cell_state"][-1] - want_c).max() <= 1e-5

    trace = Tracer(decoder).trace(x_dec, initial_state=[(q["hidden_state"][-1], q["cell_state"][-1])])
    keras_h = np.asarray(dec.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    keras_y = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    assert np.abs(trace.states[(0, "forward")]["hidden_state"] - keras_h).max() <= 1e-5
    assert np.abs(trace.output - keras_y).max() <= 1e-5
    # from zeros the decoder is a different computation: the initial state really is used
    assert np.abs(Tracer(decoder).trace(x_dec).output - keras_y).max() > 1e-3
    # an intervention on the decoder still starts it from the encoder's state: with the value it
    # already has (h at step 2, set to itself) the trace is unchanged
    h2 = trace.states[(0, "forward")]["hidden_state"][2]
    spec = f"layer0.forward.hidden_state[0]={float(h2[0])!r}@2"
    clamped = Tracer(decoder).trace(x_dec, initial_state=[(q["hidden_state"][-1], q["cell_state"][-1])],
                                    interventions=[spec])
    assert np.abs(clamped.output - keras_y).max() <= 1e-5


def test_cli_traces_the_decoder_from_the_encoder_input(saved, tmp_path, capsys):
    path, model, _, _ = saved
    x_enc, x_dec = _inputs(1)
    np.save(tmp_path / "enc.npy", x_enc)
    np.save(tmp_path / "dec.npy", x_dec)
    out = tmp_path / "t.npz"
    assert main(["trace", str(path), str(tmp_path / "dec.npy"), "--module", "decoder",
                 "--encoder-input", str(tmp_path / "enc.npy"), "-o", str(out)]) == 0
    with np.load(out) as z:
        got = z["output"]
    keras_y = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    assert np.abs(got - keras_y).max() <= 1e-5
    capsys.readouterr()

    assert main(["info", str(path), "--module", "decoder"]) == 0
    assert "--encoder-input" in capsys.readouterr().out
    assert main(["trace", str(path), str(tmp_path / "dec.npy"), "--module", "decoder", "-o",
                 str(tmp_path / "u.npz")]) == 2
    error_line(capsys, "decoder", "'encoder'", "--encoder-input")
    assert main(["trace", str(path), str(tmp_path / "enc.npy"), "--module", "encoder", "--encoder-input",
                 str(tmp_path / "enc.npy"), "-o", str(tmp_path / "v.npz")]) == 2
    error_line(capsys, "drop --encoder-input")


def test_gru_seq2seq_and_gvm_round_trip(tmp_path):
    model, enc, dec = _seq2seq(keras.layers.GRU)
    path = tmp_path / "gru.keras"
    model.save(path)
    decoder = load_model(path, module="decoder")
    assert decoder.initial_state_from == {"module": "encoder", "states": ["h"]}
    kept = load_gateviz_model(save_model(decoder, tmp_path / "dec.gvm"))
    assert kept.initial_state_from == decoder.initial_state_from
    x_enc, x_dec = _inputs(2)
    h0 = np.asarray(enc.predict(x_enc[None], verbose=0)).reshape(UNITS)  # one state: Keras may unwrap the list
    got = Tracer(kept).trace(x_dec, initial_state=[(h0, None)])
    keras_y = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    assert np.abs(got.output - keras_y).max() <= 1e-5


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_addition_rnn_decoder_reads_the_repeated_encoder_state(suffix, tmp_path, capsys):
    """keras-io addition_rnn: LSTM -> RepeatVector(n) -> LSTM -> Dense softmax. The decoder's input
    is the encoder's final h repeated n times, so --encoder-input alone traces it."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((None, ENC_F)), keras.layers.LSTM(UNITS, name="enc"),
                              keras.layers.RepeatVector(3, name="repeat"),
                              keras.layers.LSTM(UNITS, return_sequences=True, name="dec"),
                              keras.layers.Dense(ENC_F, activation="softmax", name="out")])
    path = tmp_path / f"add{suffix}"
    model.save(path)
    decoder = load_model(path, module="dec")
    assert decoder.initial_state_from == {"module": "enc", "states": [], "input_repeat": 3}
    x_enc = _inputs(5)[0]
    np.save(tmp_path / "enc.npy", x_enc)
    out = tmp_path / "t.npz"
    assert main(["trace", str(path), "--module", "dec", "--encoder-input", str(tmp_path / "enc.npy"),
                 "-o", str(out)]) == 0
    with np.load(out) as z:
        got = z["output"]
    assert got.shape == (3, ENC_F)
    assert np.abs(got - np.asarray(model.predict(x_enc[None], verbose=0))[0]).max() <= 1e-5
    capsys.readouterr()
    assert main(["trace", str(path), str(tmp_path / "enc.npy"), "--module", "dec", "--encoder-input",
                 str(tmp_path / "enc.npy"), "-o", str(tmp_path / "u.npz")]) == 2
    error_line(capsys, "repeated 3 times", "drop")


def test_keras2_node_format(saved, tmp_path):
    """tf.keras 2 writes a decoder's initial states as extra inbound tensors of its node:
    [[["input_2", 0, 0, {}], ["encoder", 0, 1, {}], ["encoder", 0, 2, {}]]]."""
    path, model, _, _ = saved
    if path.suffix != ".h5":
        pytest.skip("Keras 2 wrote .h5 files")
    import json
    import shutil

    import h5py

    k2 = tmp_path / "k2.h5"
    shutil.copy(path, k2)
    with h5py.File(k2, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            nodes = []
            for node in layer.get("inbound_nodes") or []:
                tensors = [a["config"]["keras_history"] for a in node["args"]]
                tensors += [t["config"]["keras_history"] for t in node["kwargs"].get("initial_state") or []]
                nodes.append([[*hist, {}] for hist in tensors])
            layer["inbound_nodes"] = nodes
        f.attrs["model_config"] = json.dumps(cfg)
        f.attrs["keras_version"] = "2.13.1"
    decoder = load_model(k2, module="decoder")
    assert decoder.initial_state_from == {"module": "encoder", "states": ["h", "c"]}
    x_enc, x_dec = _inputs(3)
    q = Tracer(load_model(k2, module="encoder")).trace(x_enc).states[(0, "forward")]
    got = Tracer(decoder).trace(x_dec, initial_state=[(q["hidden_state"][-1], q["cell_state"][-1])])
    keras_y = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    assert np.abs(got.output - keras_y).max() <= 1e-5


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch", [1, 4])
def test_initial_state_native_paths_equal_torch_and_the_step_loop(cell, bidirectional, batch, tmp_path):
    """Tracer.trace(initial_state=): torch's own h (and final c) from (h0, c0); every gate of the
    native recompute equals the exact step loop (an identity intervention sends it there)."""
    import torch

    torch.manual_seed(5)
    m = getattr(torch.nn, cell)(3, 5, bidirectional=bidirectional)
    torch.save(m.state_dict(), tmp_path / "m.pt")
    model = load_model(tmp_path / "m.pt")
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(6)
    x = rng.normal(size=(batch, 9, 3)).astype("float32")  # (N, T, F)
    h0, c0 = rng.normal(size=(2, D, batch, 5)).astype("float32")
    init = [(h0[j], c0[j] if cell == "LSTM" else None) for j in range(D)]
    seq = x[0] if batch == 1 else x
    got = Tracer(model).trace(seq, initial_state=init)
    with torch.no_grad():
        hx = torch.from_numpy(h0)
        y, state = m(torch.from_numpy(x).transpose(0, 1), (hx, torch.from_numpy(c0)) if cell == "LSTM" else hx)
    for j, name in enumerate(model.layers[0].direction_names()):
        want = y[..., j * 5:(j + 1) * 5].transpose(0, 1).numpy()  # (N, T, 5)
        h = got.states[(0, name)]["hidden_state"].reshape(batch, 9, 5)
        assert np.abs(h - want).max() <= 1e-5
        if cell == "LSTM":  # the final c: step T-1 forward, step 0 backward
            c = got.states[(0, name)]["cell_state"].reshape(batch, 9, 5)[:, -1 if j == 0 else 0]
            assert np.abs(c - state[1][j].numpy()).max() <= 1e-5
    stepped = Tracer(model).trace(seq, initial_state=init, interventions=["layer0.forward.hidden_state[0]=*1@0"])
    for key, quantities in got.states.items():
        for q, a in quantities.items():
            assert np.abs(a - stepped.states[key][q]).max() <= 1e-5, (key, q)
