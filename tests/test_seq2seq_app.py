"""Opening a decoder in the app (issue 14): it asks for the encoder's input and shows the encoder's
steps, then the decoder's, on one time axis; interventions there are exact (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")
keras = pytest.importorskip("keras")

from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.seq2seq import DecoderWithEncoder  # noqa: E402
from gateviz.formats import load_model  # noqa: E402

WAIT_MS = 60000
ENC_F, DEC_F, UNITS, TE, TD = 4, 5, 6, 7, 5


@pytest.fixture
def seq2seq_file(tmp_path):
    keras.utils.set_random_seed(3)
    enc_in = keras.Input((None, ENC_F))
    _, *states = keras.layers.LSTM(UNITS, return_state=True, name="encoder")(enc_in)
    dec_in = keras.Input((None, DEC_F))
    dec_h = keras.layers.LSTM(UNITS, return_sequences=True, name="decoder")(dec_in, initial_state=states)
    out = keras.layers.Dense(DEC_F, activation="softmax", name="dense")(dec_h)
    model = keras.Model([enc_in, dec_in], out)
    path = tmp_path / "s2s.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    x_enc, x_dec = rng.normal(size=(TE, ENC_F)).astype("float32"), rng.normal(size=(TD, DEC_F)).astype("float32")
    np.save(tmp_path / "enc.npy", x_enc)
    np.save(tmp_path / "dec.npy", x_dec)
    keras_y = np.asarray(model.predict([x_enc[None], x_dec[None]], verbose=0))[0]
    return path, tmp_path / "enc.npy", tmp_path / "dec.npy", keras_y


def _open_decoder(window, qtbot, monkeypatch, path, answer, input_path=None):
    from gateviz.ui import errors

    asked = []
    monkeypatch.setattr(errors, "choose_module", lambda parent, filename, names, descriptions: "decoder")
    monkeypatch.setattr(errors, "ask_encoder_input",
                        lambda parent, decoder, encoder, start="": asked.append((decoder, encoder)) or answer)
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.open_model(str(path), None if input_path is None else str(input_path))
    return asked


def test_a_decoder_opens_after_its_encoder_on_one_time_axis(window, qtbot, monkeypatch, seq2seq_file):
    path, enc, dec, keras_y = seq2seq_file
    asked = _open_decoder(window, qtbot, monkeypatch, path, ("file", str(enc)), dec)
    assert asked == [("decoder", "encoder")]
    s = window.state
    assert isinstance(s.model, DecoderWithEncoder) and s.model.encoder_input_name == "enc.npy"
    assert s.trace.length == TE + TD and s.trace.meta["encoder_steps"] == TE
    assert np.abs(s.trace.output[TE:] - keras_y).max() <= 1e-5, "Keras's own decoder output"
    assert "decoder after encoder on enc.npy" in window.windowTitle()
    assert window.shown_errors == [], "no NaN warning for the encoder's steps without output"
    # the boundary: a labelled dashed line between step TE-1 and TE in the heatmaps, traces and io views
    heat = window.panels["heatmaps"]
    assert all(r.boundary.isVisible() and r.boundary.value() == TE - 0.5 for r in heat.rows)
    assert getattr(heat.rows[0].boundary, "label", None) is not None
    assert getattr(heat.rows[1].boundary, "label", None) is None, "labelled once, on the top row"
    traces = window.panels["traces"]
    assert all(p.boundary.isVisible() and p.boundary.value() == TE - 0.5 for p in traces.plots)

    # an intervention on an encoder step: the decoder changes exactly as the engine computes it
    spec = "layer0.forward.forget_gate[*]=0@3:5"
    with qtbot.waitSignal(window.traceReady, timeout=WAIT_MS):
        window.interventions.add(spec)
    qtbot.waitUntil(lambda: not window.runner.is_busy, timeout=WAIT_MS)
    want = Tracer(s.model).trace(np.load(dec), interventions=[spec])
    np.testing.assert_array_equal(s.trace.output[TE:], want.output[TE:])
    assert np.abs(s.trace.output[TE:] - keras_y).max() > 1e-4
    assert s.original is not None and np.abs(s.original.output[TE:] - keras_y).max() <= 1e-5


def test_open_the_encoder_instead_or_cancel(window, qtbot, monkeypatch, seq2seq_file):
    path, *_ = seq2seq_file
    _open_decoder(window, qtbot, monkeypatch, path, ("encoder", ""))
    assert window.state.model.initial_state_from is None and window.state.model.input_size == ENC_F
    assert "encoder_steps" not in window.state.trace.meta
    assert not window.panels["heatmaps"].rows[0].boundary.isVisible()
    before = window.state.model
    from gateviz.ui import errors

    monkeypatch.setattr(errors, "ask_encoder_input", lambda *a, **k: None)
    window.open_model(str(path), module="decoder")
    qtbot.waitUntil(lambda: not window.runner.is_busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Kept"), timeout=WAIT_MS)
    assert window.state.model is before, "Cancel keeps the current model"


def test_a_decoder_saved_alone_says_where_its_encoder_is(window, qtbot, monkeypatch, seq2seq_file, tmp_path):
    from gateviz.formats import save_model

    path, enc, *_ = seq2seq_file
    save_model(load_model(path, module="decoder"), tmp_path / "dec.gvm")
    from gateviz.ui import errors

    monkeypatch.setattr(errors, "ask_encoder_input", lambda *a, **k: ("file", str(enc)))
    with qtbot.waitSignal(window.loadFailed, timeout=WAIT_MS) as failed:
        window.open_model(str(tmp_path / "dec.gvm"))
    assert "holds only the decoder" in failed.args[0] and "original encoder-decoder file" in failed.args[0]
