"""A decoder traced with its encoder, on one time axis (issue 14, core/seq2seq.py).

Keras computes the numbers (Keras 3, torch backend): lstm_seq2seq's decoder started from the
encoder's final h and c, addition_rnn's decoder reading the encoder's final h repeated. The joined
trace must hold the encoder's steps and then exactly what Keras computes for the decoder; an
intervention on an encoder step must reach the decoder through the final state.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gateviz.core.ablation import ablate  # noqa: E402
from gateviz.core.backward import Backward  # noqa: E402
from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.errors import SequenceError  # noqa: E402
from gateviz.core.seq2seq import DecoderWithEncoder, join_problem  # noqa: E402
from gateviz.formats import load_model  # noqa: E402

ENC_F, DEC_F, UNITS, TE, TD = 4, 5, 6, 7, 5


@pytest.fixture(scope="module")
def s2s(tmp_path_factory):
    """lstm_seq2seq in miniature, saved; Keras's decoder h and softmax output for one input pair."""
    keras.utils.set_random_seed(3)
    enc_in = keras.Input((None, ENC_F))
    _, *states = keras.layers.LSTM(UNITS, return_state=True, name="encoder")(enc_in)
    dec_in = keras.Input((None, DEC_F))
    dec_h, *_ = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True, name="decoder")(
        dec_in, initial_state=states)
    out = keras.layers.Dense(DEC_F, activation="softmax", name="dense")(dec_h)
    model = keras.Model([enc_in, dec_in], out)
    path = tmp_path_factory.mktemp("s2s") / "s2s.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    x_enc = rng.normal(size=(TE, ENC_F)).astype("float32")
    x_dec = rng.normal(size=(TD, DEC_F)).astype("float32")
    keras_h = np.asarray(keras.Model([enc_in, dec_in], dec_h).predict([x_enc[None], x_dec[None]], verbose=0))[0]
    keras_y = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    encoder, decoder = load_model(path, module="encoder"), load_model(path, module="decoder")
    return encoder, decoder, x_enc, x_dec, keras_h, keras_y


def test_joined_trace_is_the_encoder_then_what_keras_computes_for_the_decoder(s2s):
    encoder, decoder, x_enc, x_dec, keras_h, keras_y = s2s
    joined = DecoderWithEncoder.attach(decoder, encoder, x_enc, "enc.npy")
    assert join_problem(encoder, joined) is None and joined.encoder_steps == TE
    assert joined.name.endswith("(decoder after encoder on enc.npy)")
    trace = Tracer(joined).trace(x_dec)
    assert trace.length == TE + TD and trace.meta["encoder_steps"] == TE
    enc_trace = Tracer(encoder).trace(x_enc)
    for q, values in enc_trace.states[(0, "forward")].items():
        np.testing.assert_array_equal(trace.get(0, "forward", q)[:TE], values, err_msg=q)
    assert np.abs(trace.get(0, "forward", "hidden_state")[TE:] - keras_h).max() <= 1e-5
    assert np.isnan(trace.output[:TE]).all() and trace.meta["output_from_step"] == TE
    assert np.abs(trace.output[TE:] - keras_y).max() <= 1e-5
    # the inputs side by side: the encoder's 4 features, then the decoder's 5, NaN where a part has none
    assert trace.inputs.shape == (TE + TD, ENC_F + DEC_F)
    np.testing.assert_array_equal(trace.inputs[:TE, :ENC_F], x_enc)
    np.testing.assert_array_equal(trace.inputs[TE:, ENC_F:], x_dec)
    assert np.isnan(trace.inputs[:TE, ENC_F:]).all() and np.isnan(trace.inputs[TE:, :ENC_F]).all()
    assert trace.meta["input_names"][0] == "encoder x0" and trace.meta["input_names"][-1] == "decoder x4"
    assert trace.meta["encoder"] == {"name": encoder.name, "input": "enc.npy", "steps": TE}
    from gateviz.core.nonfinite import first_nonfinite

    assert first_nonfinite(trace) is None, "the encoder's steps having no output is no NaN to warn about"


def test_an_intervention_on_an_encoder_step_reaches_the_decoder(s2s):
    encoder, decoder, x_enc, x_dec, *_ = s2s
    joined = DecoderWithEncoder.attach(decoder, encoder, x_enc)
    spec = "layer0.forward.forget_gate[*]=0@5:9"  # encoder steps 5, 6 and decoder steps 0, 1
    got = Tracer(joined).trace(x_dec, interventions=[spec])
    assert got.meta["interventions"] == [spec]
    enc = Tracer(encoder).trace(x_enc, interventions=["layer0.forward.forget_gate[*]=0@5:"])
    q = enc.states[(0, "forward")]
    dec = Tracer(decoder).trace(x_dec, interventions=["layer0.forward.forget_gate[*]=0@:2"],
                                initial_state=[(q["hidden_state"][-1], q["cell_state"][-1])])
    for name in q:
        np.testing.assert_array_equal(got.get(0, "forward", name)[:TE], q[name], err_msg=name)
        np.testing.assert_array_equal(got.get(0, "forward", name)[TE:], dec.get(0, "forward", name), err_msg=name)
    np.testing.assert_array_equal(got.output[TE:], dec.output)
    plain = Tracer(joined).trace(x_dec)
    assert np.abs(got.output[TE + 3:] - plain.output[TE + 3:]).max() > 1e-4, "a later decoder step changed too"
    only_encoder = Tracer(joined).trace(x_dec, interventions=["layer0.forward.hidden_state[2]=0.5@3"])
    assert np.abs(only_encoder.output[TE:] - plain.output[TE:]).max() > 1e-6, "through the final state"


def test_stacks_of_different_shapes_give_the_decoder_alone_and_say_why(s2s, tmp_path):
    keras.utils.set_random_seed(5)
    enc_in = keras.Input((None, ENC_F))
    x = keras.layers.LSTM(UNITS, return_sequences=True, name="enc1")(enc_in)
    _, *states = keras.layers.LSTM(UNITS, return_state=True, name="enc2")(x)
    dec_in = keras.Input((None, DEC_F))
    dec_h = keras.layers.LSTM(UNITS, return_sequences=True, name="dec")(dec_in, initial_state=states)
    model = keras.Model([enc_in, dec_in], dec_h)
    model.save(tmp_path / "deep.keras")
    encoder, decoder = (load_model(tmp_path / "deep.keras", module=m) for m in ("enc1", "dec"))
    x_enc, x_dec = s2s[2], s2s[3]
    joined = DecoderWithEncoder.attach(decoder, encoder, x_enc)
    assert "the encoder has 2 layer(s), the decoder 1" in join_problem(encoder, joined)
    trace = Tracer(joined).trace(x_dec)
    assert trace.length == TD and "encoder_steps" not in trace.meta
    assert trace.meta["encoder_not_shown"] == join_problem(encoder, joined)
    want = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    assert np.abs(trace.get(0, "forward", "hidden_state") - want).max() <= 1e-5
    # interventions then address the decoder's own steps
    clamped = Tracer(joined).trace(x_dec, interventions=["layer0.forward.hidden_state[0]=0@1"])
    assert clamped.get(0, "forward", "hidden_state")[1, 0] == 0


def test_addition_rnn_joined(tmp_path):
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((None, ENC_F)), keras.layers.LSTM(UNITS, name="enc"),
                              keras.layers.RepeatVector(3, name="repeat"),
                              keras.layers.LSTM(UNITS, return_sequences=True, name="dec"),
                              keras.layers.Dense(ENC_F, activation="softmax", name="out")])
    model.save(tmp_path / "add.keras")
    encoder, decoder = (load_model(tmp_path / "add.keras", module=m) for m in ("enc", "dec"))
    x_enc = np.random.default_rng(5).normal(size=(TE, ENC_F)).astype("float32")
    joined = DecoderWithEncoder.attach(decoder, encoder, x_enc)
    assert joined.input_repeat == 3
    h = Tracer(encoder).trace(x_enc).get(0, "forward", "hidden_state")[-1]
    trace = Tracer(joined).trace(np.repeat(h[None], 3, axis=0))
    assert trace.length == TE + 3
    assert np.abs(trace.output[TE:] - np.asarray(model.predict(x_enc[None], verbose=0))[0]).max() <= 1e-5
    # the decoder reads the encoder's final h: an intervention on it changes the decoder's input
    changed = Tracer(joined).trace(np.repeat(h[None], 3, axis=0), interventions=["layer0.forward.hidden_state[*]=0@6"])
    np.testing.assert_array_equal(changed.inputs[TE:, ENC_F:], np.zeros((3, UNITS)))


def test_ablation_runs_the_batch_through_encoder_and_decoder(s2s):
    encoder, decoder, x_enc, x_dec, *_ = s2s
    joined = DecoderWithEncoder.attach(decoder, encoder, x_enc)
    result = ablate(joined, x_dec)
    assert len(result.scores) == UNITS
    # silencing unit u (h and c at every step, encoder's and decoder's) equals the interventions
    u = int(np.argmax(result.scores))
    one = Tracer(joined).trace(x_dec, interventions=[f"layer0.forward.hidden_state[{u}]=0",
                                                     f"layer0.forward.cell_state[{u}]=0"])
    plain = Tracer(joined).trace(x_dec)
    change = np.abs(one.output[TE:] - plain.output[TE:]).mean()
    assert change == pytest.approx(result.scores[u], rel=1e-5)


def test_gradients_refuse_a_joined_decoder(s2s):
    encoder, decoder, x_enc, x_dec, *_ = s2s
    joined = DecoderWithEncoder.attach(decoder, encoder, x_enc)
    with pytest.raises(SequenceError, match="decoder traced with its encoder"):
        Backward(joined, Tracer(joined).trace(x_dec))


def test_cli_export_and_ablate_take_the_encoder_input(s2s, tmp_path, capsys):
    from cli_checks import error_line

    from gateviz.cli import main

    encoder, decoder, x_enc, x_dec, *_ = s2s
    path = decoder.source
    np.save(tmp_path / "enc.npy", x_enc)
    np.save(tmp_path / "dec.npy", x_dec)
    enc, dec = str(tmp_path / "enc.npy"), str(tmp_path / "dec.npy")
    for command in (["export", path, dec, "--module", "decoder", "-o", str(tmp_path / "a.png")],
                    ["ablate", path, dec, "--module", "decoder"]):
        assert main(command) == 2, "a decoder never silently starts from zeros"
        error_line(capsys, "is a decoder", "--encoder-input FILE")
    assert main(["export", path, dec, "--module", "decoder", "--encoder-input", enc, "-o", str(tmp_path / "a.csv")]) == 0
    import csv

    with open(tmp_path / "a.csv") as f:
        rows = list(csv.reader(f))
    assert len(rows) - 1 >= TE + TD, "the exported data covers the encoder's steps and the decoder's"
    capsys.readouterr()
    assert main(["ablate", path, dec, "--module", "decoder", "--encoder-input", enc, "--top", "2"]) == 0
    assert "rank" in capsys.readouterr().out
    assert main(["ablate", path, dec, "--module", "encoder", "--encoder-input", enc]) == 2
    error_line(capsys, "starts from zeros", "drop --encoder-input")
