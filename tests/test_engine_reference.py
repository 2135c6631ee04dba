"""The engine against the plain numpy step reference, for what torch modules cannot do:
peepholes, cell_clip, forget_bias, proj_clip, GRU reset_after=False, both hard_sigmoids,
ONNX gate clip and coupled input/forget gates, other activations, merge modes, a lone
backward direction, heads, and text input stages."""

import numpy as np
import pytest
import torch
from reference import random_model, reference_trace

from gateviz.core import Activation, InputStage, SequenceError
from gateviz.core.engine import Tracer, _linear_scan_, trace

TOL = {np.float32: 1e-5, np.float64: 1e-10}

OPTIONS = {
    "lstm-peepholes": ("lstm", dict(peepholes=True)),
    "lstm-peepholes-bi": ("lstm", dict(peepholes=True, bidirectional=True, units=(5, 4))),
    "lstm-cell_clip": ("lstm", dict(cell_clip=0.4, scale=1.5)),
    "lstm-forget_bias": ("lstm", dict(forget_bias=1.0)),
    "lstm-forget_bias-native": ("lstm", dict(forget_bias=-0.7, units=(6, 6))),  # stays on the fast path
    "lstm-proj_clip": ("lstm", dict(proj_size=3, proj_clip=0.2, peepholes=True)),
    "lstm-tf1": ("lstm", dict(peepholes=True, forget_bias=1.0, cell_clip=2.0, proj_size=4, proj_clip=0.5)),
    "lstm-hard_sigmoid-keras2": ("lstm", dict(recurrent_activation="hard_sigmoid_keras2", scale=1.5)),
    "lstm-hard_sigmoid-keras3": ("lstm", dict(recurrent_activation="hard_sigmoid_keras3", scale=1.5)),
    "lstm-relu": ("lstm", dict(activation="relu")),
    "lstm-onnx-clip": ("lstm", dict(gate_clip=0.5, scale=1.5)),
    "lstm-input_forget": ("lstm", dict(input_forget=True)),
    "gru-reset_before": ("gru", dict(reset_after=False)),
    "gru-reset_before-bi": ("gru", dict(reset_after=False, bidirectional=True, units=(4, 4))),
    "gru-hard_sigmoid-keras2": ("gru", dict(recurrent_activation="hard_sigmoid_keras2", reset_after=False)),
    "gru-hard_sigmoid-keras3": ("gru", dict(recurrent_activation="hard_sigmoid_keras3")),
    "gru-clip": ("gru", dict(gate_clip=0.3, scale=1.5)),
    "rnn-linear": ("rnn", dict(activation="linear", scale=0.3)),
    "rnn-softsign-clip": ("rnn", dict(activation="softsign", gate_clip=0.5)),
    "lstm-backward-only": ("lstm", dict(backward_only=True)),
    "gru-backward-only": ("gru", dict(backward_only=True, units=(3, 3))),
    "lstm-merge-sum": ("lstm", dict(bidirectional=True, merge="sum", units=(5, 5))),
    "gru-merge-mul": ("gru", dict(bidirectional=True, merge="mul", units=(5, 5))),
    "rnn-merge-ave": ("rnn", dict(bidirectional=True, merge="ave", units=(5, 5))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(OPTIONS))
def test_engine_matches_step_reference(name, dtype):
    cell, kw = OPTIONS[name]
    kw = dict(kw)
    units = kw.pop("units", (6,))
    model = random_model(11, cell, units=units, input_size=3, dtype=dtype, **kw)
    x = np.random.default_rng(3).standard_normal((29, 3)) * 2
    tr = trace(model, x)
    ref = reference_trace(model, x)
    assert set(ref) == set(tr.states)
    for key, quantities in ref.items():
        assert list(tr.states[key]) == list(quantities)
        for q, want in quantities.items():
            got = tr.get(*key, q)
            assert got.dtype == dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=0, atol=TOL[dtype], err_msg=f"{name} {key} {q}")


def test_cell_clip_really_clips_and_hard_sigmoid_saturates():
    model = random_model(1, "lstm", units=(6,), input_size=3, dtype=np.float64, cell_clip=0.25, scale=2.0,
                         recurrent_activation="hard_sigmoid_keras2")
    tr = trace(model, np.random.default_rng(0).standard_normal((40, 3)) * 3)
    c = tr.get(0, "forward", "cell_state")
    assert np.abs(c).max() == pytest.approx(0.25)
    f = tr.get(0, "forward", "forget_gate")
    assert (f == 0).any() and (f == 1).any()  # the hard sigmoid really reaches its bounds


def test_per_direction_activation_override():
    model = random_model(2, "lstm", units=(4,), input_size=2, dtype=np.float64, bidirectional=True)
    model.layers[0].directions[1].activation = Activation("relu")
    x = np.random.default_rng(0).standard_normal((12, 2))
    tr = trace(model, x)
    ref = reference_trace(model, x)
    for q, want in ref[(0, "backward")].items():
        np.testing.assert_allclose(tr.get(0, "backward", q), want, atol=1e-10)
    assert (tr.get(0, "backward", "cell_candidate") >= 0).all()


@pytest.mark.parametrize("head_on,bidirectional,activation", [
    ("every_step", False, "identity"), ("every_step", True, "sigmoid"),
    ("final_state", False, "softmax"), ("final_state", True, "softmax"), ("every_step", False, "tanh"),
])
def test_head_output(head_on, bidirectional, activation):
    model = random_model(5, "gru", units=(4, 3), input_size=2, dtype=np.float64, bidirectional=bidirectional,
                         head_out=3, head_activation=activation, head_on=head_on)
    x = np.random.default_rng(0).standard_normal((15, 2))
    tr = trace(model, x)
    ref = reference_trace(model, x)
    dirs = ["forward", "backward"] if bidirectional else ["forward"]
    hs = [ref[(1, d)]["hidden_state"] for d in dirs]
    W, b = model.head.weight, model.head.bias
    if head_on == "final_state" and bidirectional:
        feats = np.concatenate([hs[0][-1], hs[1][0]])[None]  # forward ends at T-1, backward at 0
        assert tr.meta["output_mode"] == "final"
    else:
        feats = np.concatenate(hs, axis=1)
        assert tr.meta["output_mode"] == ("per_step" if head_on == "every_step" else "running")
    y = feats @ W.T + b
    if activation == "sigmoid":
        y = 1 / (1 + np.exp(-y))
    elif activation == "softmax":
        y = np.exp(y - y.max(-1, keepdims=True))
        y /= y.sum(-1, keepdims=True)
    elif activation == "tanh":
        y = np.tanh(y)
    np.testing.assert_allclose(tr.output, y, atol=1e-10)


def test_text_input_stages():
    vocab = list("ab()")
    model = random_model(3, "lstm", units=(4,), input_size=4, dtype=np.float64)
    model.input = InputStage("onehot", vocab=vocab)
    tr = trace(model, "(ab)")
    np.testing.assert_array_equal(tr.tokens, [2, 0, 1, 3])
    ref = reference_trace(model, np.eye(4)[[2, 0, 1, 3]])
    np.testing.assert_allclose(tr.get(0, "forward", "hidden_state"), ref[(0, "forward")]["hidden_state"], atol=1e-10)
    emb = np.random.default_rng(0).standard_normal((4, 4))
    model.input = InputStage("embedding", vocab=vocab, embedding=emb)
    tr = trace(model, "ba")
    ref = reference_trace(model, emb[[1, 0]])
    np.testing.assert_allclose(tr.get(0, "forward", "cell_state"), ref[(0, "forward")]["cell_state"], atol=1e-10)
    with pytest.raises(Exception, match="vocabulary lacks"):
        trace(model, "abc")
    with pytest.raises(SequenceError, match="empty"):
        trace(model, "")


def test_batch_equals_one_by_one():
    model = random_model(9, "lstm", units=(5, 5), input_size=2, bidirectional=True, dtype=np.float64,
                         peepholes=True)
    x = np.random.default_rng(0).standard_normal((3, 11, 2))
    batch = Tracer(model).trace(x)
    assert batch.batched and batch.get(1, "backward", "cell_state").shape == (3, 11, 5)
    for n in range(3):
        one = trace(model, x[n])
        for key in one.states:
            for q in one.states[key]:
                np.testing.assert_allclose(batch.sample(n).get(*key, q), one.get(*key, q), atol=1e-12)


@pytest.mark.parametrize("T", [1, 2, 3, 17, 100, 1000, 2501])
@pytest.mark.parametrize("reverse", [False, True])
def test_chunked_linear_scan(T, reverse):
    rng = np.random.default_rng(T)
    f = torch.as_tensor(rng.uniform(0.5, 1.0, (T, 2, 3)))
    u = torch.as_tensor(rng.standard_normal((T, 2, 3)))
    want = np.zeros((T, 2, 3))
    c = np.zeros((2, 3))
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        c = f[t].numpy() * c + u[t].numpy()
        want[t] = c
    got = _linear_scan_(u.clone(), f, reverse)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("bad,message", [
    (np.zeros((0, 3)), "empty"),
    (np.zeros((5, 2)), "expects 3 feature"),
    (np.array([[0, 1, np.inf]] * 4), "Inf at step 0, feature 2"),
    (np.array([[0, 1, 2], [0, np.nan, 2]]), "NaN at step 1, feature 1"),
    (np.zeros((2, 3, 4, 5)), "shape"),
    ("text", "not text"),
])
def test_bad_sequences(bad, message):
    model = random_model(0, "lstm", units=(3,), input_size=3)
    with pytest.raises(SequenceError, match=message):
        trace(model, bad)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("shape", [(1, 1, 2), (1, 7, 2), (64, 9, 2)], ids=["T1", "single", "batch64"])
def test_tracing_twice_gives_the_same_arrays(cell, shape):
    """Nothing in the Tracer's prepared weights may be written to while tracing."""
    model = random_model(4, cell, units=(32,), input_size=2, bidirectional=True)
    tracer = Tracer(model)
    x = np.random.default_rng(0).standard_normal(shape)
    x = x[0] if shape[0] == 1 else x
    first = tracer.trace(x)
    first = {k: {q: a.copy() for q, a in v.items()} for k, v in first.states.items()}
    second = tracer.trace(x)
    for key, quantities in first.items():
        for q, a in quantities.items():
            np.testing.assert_array_equal(second.states[key][q], a)


@pytest.mark.parametrize("name,kw,shape", [
    ("native single", dict(), (2500, 2)),
    ("step path", dict(peepholes=True), (2500, 2)),
    ("fused loop", dict(), (64, 1200, 2)),
])
def test_progress_reports_rise_to_one(name, kw, shape):
    model = random_model(0, "lstm", units=(64, 64), input_size=2, bidirectional=True, **kw)
    seen = []
    Tracer(model).trace(np.zeros(shape), progress=lambda f, message: seen.append((f, message)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert "tracing layer 2 of 2" in [m for _, m in seen]
    if name != "native single":  # the step loops report inside a layer, not just between layers
        assert len(fractions) > 4 and any(0 < f < 0.5 for f in fractions)


def test_progress_can_cancel():
    """A progress callback that raises stops the trace (how a GUI cancels)."""
    model = random_model(0, "lstm", units=(8,), input_size=2, peepholes=True)

    def cancel(fraction, message):
        if 0 < fraction < 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Tracer(model).trace(np.zeros((3000, 2)), progress=cancel)
