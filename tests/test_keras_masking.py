"""Keras masking (issue 14): Masking(mask_value) and Embedding(mask_zero=True) traced as Keras
computes them — masked steps skipped, h and c carried over, zero outputs where Bidirectional (or
zero_output_for_mask) zeros them — against Keras 3 itself (torch backend), from .keras and .h5."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.errors import FormatError, SequenceError  # noqa: E402
from gateviz.formats.gateviz_file import load_gateviz_model, save_model  # noqa: E402
from gateviz.formats.keras_reader import read_keras  # noqa: E402

TOL = 1e-5
LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}


def padded_batch(mask_value: float = 0.0) -> tuple[np.ndarray, list[list[int]]]:
    """(3, 9, 3) float32: padding at the end, in the middle, and none."""
    x = np.random.default_rng(1).normal(size=(3, 9, 3)).astype("float32")
    x[0, 6:] = mask_value
    x[1, 2:5] = mask_value
    x[2, 4, 1] = mask_value  # one feature equal to the mask value: not masked
    return x, [[6, 7, 8], [2, 3, 4], []]


def keras_out(model, x) -> list[np.ndarray]:
    out = model.predict(x, verbose=0)
    return [keras.ops.convert_to_numpy(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def h_seq(model, tr, k: int = 0) -> np.ndarray:
    """Layer k's output as Keras returns it: directions concatenated (N, T, D*H)."""
    return np.concatenate([tr.states[(k, n)]["hidden_state"] for n in model.layers[k].direction_names()], -1)


def save(model, tmp_path, ext: str) -> str:
    path = str(tmp_path / f"m.{ext}")
    model.save(path)
    return path


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_masking_sequence_and_final_state_equal_keras(tmp_path, cell, ext):
    x, masked = padded_batch()
    inp = keras.Input((9, 3))
    seq = LAYERS[cell](5, return_sequences=True, seed=2)(keras.layers.Masking(0.0)(inp))
    model = keras.Model(inp, seq)
    g = read_keras(save(model, tmp_path, ext))
    assert g.input.mask_value == 0.0
    tr = Tracer(g).trace(x)
    assert tr.meta["masked_steps"] == masked
    want = keras_out(model, x)[0]
    np.testing.assert_allclose(h_seq(g, tr), want, atol=TOL)
    # masked steps repeat the last output (state carried over), so the padding shows flat lines
    np.testing.assert_array_equal(tr.states[(0, "forward")]["hidden_state"][1, 2:5],
                                  np.repeat(tr.states[(0, "forward")]["hidden_state"][1, 1:2], 3, 0))


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_masked_lstm_final_h_and_c_equal_keras_return_state(tmp_path, ext):
    x, _ = padded_batch(mask_value=-1.0)
    inp = keras.Input((9, 3))
    seq, h, c = keras.layers.LSTM(4, return_sequences=True, return_state=True, seed=3)(
        keras.layers.Masking(-1.0)(inp))
    model = keras.Model(inp, [seq, h, c])
    g = read_keras(save(model, tmp_path, ext))
    tr = Tracer(g).trace(x)
    want_seq, want_h, want_c = keras_out(model, x)
    q = tr.states[(0, "forward")]
    np.testing.assert_allclose(q["hidden_state"], want_seq, atol=TOL)
    np.testing.assert_allclose(q["hidden_state"][:, -1], want_h, atol=TOL)  # carried over through the end padding
    np.testing.assert_allclose(q["cell_state"][:, -1], want_c, atol=TOL)


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_bidirectional_masking_equals_keras(tmp_path, cell, ext):
    x, masked = padded_batch()
    inp = keras.Input((9, 3))
    m = keras.layers.Masking(0.0)(inp)
    seq = keras.layers.Bidirectional(LAYERS[cell](4, return_sequences=True, seed=4))(m)
    last = keras.layers.Bidirectional(LAYERS[cell](3, seed=5), merge_mode="sum")(seq)
    model = keras.Model(inp, last)
    g = read_keras(save(model, tmp_path, ext))
    assert g.input.zero_output_layers == [0]  # Bidirectional forces zero_output_for_mask with sequences
    tr = Tracer(g).trace(x)
    want_seq, want_last = keras_out(keras.Model(inp, seq), x)[0], keras_out(model, x)[0]
    np.testing.assert_allclose(h_seq(g, tr, 0), want_seq, atol=TOL)
    assert np.all(h_seq(g, tr, 0)[1, 2:5] == 0)
    # final states: forward carried over to the last step, backward after reaching step 0
    fwd = tr.states[(1, "forward")]["hidden_state"][:, -1]
    bwd = tr.states[(1, "backward")]["hidden_state"][:, 0]
    np.testing.assert_allclose(fwd + bwd, want_last, atol=TOL)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_embedding_mask_zero_with_stacked_layers_and_head_equals_keras(tmp_path, ext):
    tokens = np.array([[3, 5, 1, 0, 0, 0, 0], [2, 0, 0, 4, 6, 1, 0], [1, 2, 3, 4, 5, 6, 7]])
    inp = keras.Input((7,), dtype="int32")
    e = keras.layers.Embedding(8, 5, mask_zero=True)(inp)
    s = keras.layers.LSTM(6, return_sequences=True, seed=6)(e)
    s = keras.layers.LSTM(4, return_sequences=True, seed=7)(s)
    out = keras.layers.Dense(3, activation="softmax")(s)
    model = keras.Model(inp, out)
    g = read_keras(save(model, tmp_path, ext))
    assert g.input.mask_zero and g.input.kind == "embedding"
    tr = Tracer(g).trace(tokens)
    assert tr.meta["masked_steps"] == [[3, 4, 5, 6], [1, 2, 6], []]
    np.testing.assert_allclose(tr.output, keras_out(model, tokens)[0], atol=TOL)
    # one sequence alone traces the same as in the batch
    one = Tracer(g).trace(tokens[1])
    np.testing.assert_allclose(one.output, tr.output[1], atol=TOL)
    assert one.meta["masked_steps"] == [1, 2, 6] == tr.sample(1).meta["masked_steps"]


def test_mask_survives_gvm_and_unpadded_gradients_still_work(tmp_path):
    x, _ = padded_batch(mask_value=0.1)  # not exact in float32: compared as Keras does
    inp = keras.Input((9, 3))
    seq = keras.layers.GRU(4, return_sequences=True, seed=8)(keras.layers.Masking(0.1)(inp))
    model = keras.Model(inp, seq)
    g = read_keras(save(model, tmp_path, "keras"))
    back = load_gateviz_model(save_model(g, tmp_path / "m.gvm"))
    assert back.input.mask_value == 0.1
    np.testing.assert_allclose(h_seq(back, Tracer(back).trace(x)), keras_out(model, x)[0], atol=TOL)

    from gateviz.core.backward import Backward
    with pytest.raises(SequenceError, match="mask"):
        Backward(back, Tracer(back).trace(x[1]))
    Backward(back, Tracer(back).trace(x[2]))  # nothing masked: the usual gradients


def test_mask_through_an_untraced_layer_is_refused(tmp_path):
    inp = keras.Input((9, 3))
    d = keras.layers.Dense(3)(keras.layers.Masking(0.0)(inp))  # Dense passes the mask on
    model = keras.Model(inp, keras.layers.LSTM(4, return_sequences=True)(d))
    path = save(model, tmp_path, "keras")
    with pytest.raises(FormatError, match="mask"):
        read_keras(path, module="lstm")


def _grey_columns(panel, plot, steps, y) -> list[bool]:
    """For each step: is the grabbed pixel at (step, y) of ``plot`` changed by the masked-step shading?"""
    from PySide6.QtCore import QPointF

    def pixels():
        img = panel.view.grab().toImage()
        out = []
        for t in steps:
            p = panel.view.mapFromScene(plot.vb.mapViewToScene(QPointF(t, y)))
            out.append(img.pixelColor(p.x(), p.y()))
        return out

    return pixels


def test_panels_grey_the_masked_steps(tmp_path, qtbot):
    from gateviz.ui.panels.heatmaps import HeatmapPanel
    from gateviz.ui.panels.traces import TracesPanel
    from gateviz.ui.state import ViewState

    x, _ = padded_batch()
    inp = keras.Input((9, 3))
    model = keras.Model(inp, keras.layers.LSTM(4, return_sequences=True, seed=9)(keras.layers.Masking(0.0)(inp)))
    g = read_keras(save(model, tmp_path, "keras"))
    sequence = x[1]  # steps 2, 3, 4 masked
    state = ViewState()
    state.set_trace(g, Tracer(g).trace(sequence), sequence, None)
    state.pinned = [0]
    steps = list(range(9))

    heat = HeatmapPanel(state)
    heat.resize(700, 900)
    heat.rebuild()
    row = heat.rows[0]
    shown = _grey_columns(heat, row.plot, steps, 2.0)()
    for r in heat.rows:
        r.masked.setVisible(False)
    hidden = _grey_columns(heat, row.plot, steps, 2.0)()
    changed = [a.rgb() != b.rgb() for a, b in zip(shown, hidden)]
    assert changed == [t in (2, 3, 4) for t in steps]
    for t in (2, 3, 4):  # greyer: the overlay pulls the colour's channels together
        spread = lambda c: max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue())  # noqa: E731
        assert spread(shown[t]) < spread(hidden[t]) or spread(hidden[t]) < 20

    traces = TracesPanel(state)
    traces.resize(700, 700)
    traces.rebuild()
    p = traces.plots[0]
    assert p.quantity == "input_gate"
    y = 0.1  # inside the band (the sigmoid's range 0..1), away from the line (i near 0.5 here)
    shown = _grey_columns(traces, p.plot, steps, y)()
    for q in traces.plots:
        q.mask_band.setVisible(False)
    hidden = _grey_columns(traces, p.plot, steps, y)()
    assert [a.rgb() != b.rgb() for a, b in zip(shown, hidden)] == [t in (2, 3, 4) for t in steps]



def test_masking_after_other_layers_opens_with_module_on_their_outputs(tmp_path):
    """Dense -> Masking -> GRU: --module opens the GRU on the Dense's outputs, masked as Keras masks them."""
    x, _ = padded_batch()
    inp = keras.Input((9, 3))
    dense, masking, gru = keras.layers.Dense(3), keras.layers.Masking(-1.0), keras.layers.GRU(4, return_sequences=True)
    model = keras.Model(inp, gru(masking(dense(inp))))
    g = read_keras(save(model, tmp_path, "keras"), module=gru.name)
    assert g.input.mask_value == -1.0
    feats = keras_out(keras.Model(inp, dense(inp)), x)[0]  # (3, 9, 3) the GRU's features
    feats[1, 2:5] = -1.0  # padded in the middle
    inner = keras.Input((9, 3))
    want = keras_out(keras.Model(inner, gru(masking(inner))), feats)[0]  # the same layers, same weights
    tr = Tracer(g).trace(feats)
    assert tr.meta["masked_steps"] == [[], [2, 3, 4], []]
    np.testing.assert_allclose(h_seq(g, tr), want, atol=TOL)
