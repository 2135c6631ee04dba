"""A float32 LSTM's gates read from oneDNN's training workspace (issue 17): the same numbers as the
recompute from h and as torch's own forward, a checked layout with a fallback, progress and
cancel between chunks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gateviz.core import engine, onednn_gates
from gateviz.core.engine import Tracer
from gateviz.core.model import InputStage, RecurrentModel
from gateviz.formats.torch_state import layers_from_module

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="torch built without oneDNN")


def _model(module, features) -> RecurrentModel:
    return RecurrentModel(layers_from_module(module), InputStage(kind="raw", features=features), name="m").validate()


def _recomputed(model, x, monkeypatch, **kw):
    """The same trace by the recompute route (native forward, gates from h)."""
    with monkeypatch.context() as m:
        m.setattr(onednn_gates, "usable", lambda *a: False)
        return Tracer(model).trace(x, **kw)


def _spy(monkeypatch) -> list[int]:
    """Count oneDNN training forwards (their lengths) from now on."""
    calls = []
    real = onednn_gates._fused_forward

    def counting(x, *a, **k):
        calls.append(x.shape[0])
        return real(x, *a, **k)

    monkeypatch.setattr(onednn_gates, "_fused_forward", counting)
    return calls


@pytest.fixture(autouse=True)
def _enabled(monkeypatch):
    monkeypatch.setattr(onednn_gates, "_disabled", False)  # a fallback in one test must not leak into others


@pytest.mark.parametrize("batch", [None, 3], ids=["one", "batch3"])
def test_a_big_bidirectional_stack_reads_the_same_gates_as_the_recompute_and_torch(batch, monkeypatch):
    """2 layers of 1024 units, both directions: every quantity equals the recompute route's, and h
    equals torch's own module (both layers), within float32 rounding."""
    torch.manual_seed(0)
    module = torch.nn.LSTM(5, 1024, num_layers=2, bidirectional=True).eval()
    model = _model(module, 5)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 5) if batch is None else (batch, 12, 5)).astype("float32")
    calls = _spy(monkeypatch)
    fast = Tracer(model).trace(x)
    assert len(calls) == 4, "each layer and direction went through oneDNN's training forward"
    slow = _recomputed(model, x, monkeypatch)
    for key, quantities in slow.states.items():
        for q, want in quantities.items():
            np.testing.assert_allclose(fast.states[key][q], want, rtol=0, atol=2e-6, err_msg=f"{key} {q}")
    xt = torch.as_tensor(x)
    xt = xt[:, None] if batch is None else xt.transpose(0, 1)  # (T, N, 5)
    with torch.no_grad():
        out = module(xt)[0]  # (T, N, 2048): the last layer, both directions
    out = out[:, 0] if batch is None else out.transpose(0, 1)
    last = np.concatenate([fast.get(1, d, "hidden_state") for d in ("forward", "backward")], -1)
    np.testing.assert_allclose(last, out.numpy(), rtol=0, atol=1e-6)


def test_a_projected_lstm_float64_or_a_gru_is_not_sent_there():
    cpu = torch.device("cpu")
    lstm = layers_from_module(torch.nn.LSTM(3, 8))[0]
    assert onednn_gates.usable(lstm, torch.float32, cpu)
    assert not onednn_gates.usable(lstm, torch.float64, cpu)
    assert not onednn_gates.usable(layers_from_module(torch.nn.LSTM(3, 8, proj_size=4))[0], torch.float32, cpu)
    assert not onednn_gates.usable(layers_from_module(torch.nn.GRU(3, 8))[0], torch.float32, cpu)


def test_a_layout_that_does_not_check_out_falls_back_to_the_recompute(monkeypatch):
    """Gates looked for at the wrong offsets fail the check: the trace is recomputed (same numbers)
    and the process stops asking for the workspace."""
    torch.manual_seed(1)
    model = _model(torch.nn.LSTM(3, 16, num_layers=2, bidirectional=True), 3)
    x = np.random.default_rng(1).standard_normal((40, 3)).astype("float32")
    want = _recomputed(model, x, monkeypatch)
    monkeypatch.setattr(onednn_gates, "_good_ld", lambda width: width + 3)  # not where oneDNN put them
    with pytest.raises(onednn_gates.LayoutMismatch, match="differ by"):
        onednn_gates.lstm_direction(model.layers[0], Tracer(model)._tensors[(0, 0)], False,
                                    torch.as_tensor(x)[:, None], None, 40)
    got = Tracer(model).trace(x)
    assert onednn_gates._disabled
    for key, quantities in want.states.items():
        for q, values in quantities.items():
            np.testing.assert_array_equal(got.states[key][q], values, err_msg=f"{key} {q}")


def test_a_decoder_start_and_chunks_carry_h_and_c(monkeypatch):
    """An initial state (a decoder started from its encoder) and any chunk length: the same trace."""
    torch.manual_seed(2)
    model = _model(torch.nn.LSTM(3, 6, bidirectional=True), 3)
    x = np.random.default_rng(3).standard_normal((41, 3)).astype("float32")
    init = [(np.full(6, 0.4, "float32"), np.full(6, -0.9, "float32")),
            (np.full(6, -0.2, "float32"), np.full(6, 0.5, "float32"))]
    want = _recomputed(model, x, monkeypatch, initial_state=init)
    calls = _spy(monkeypatch)
    for steps in (1, 7, 41):
        calls.clear()
        monkeypatch.setattr(engine, "NATIVE_CHUNK_ELEMENTS", steps * 4 * 6)
        got = Tracer(model).trace(x, initial_state=init)
        assert calls and max(calls) == steps
        for key, quantities in want.states.items():
            for q, values in quantities.items():
                np.testing.assert_allclose(got.states[key][q], values, rtol=0, atol=1e-6, err_msg=f"{steps} {key} {q}")


def test_progress_between_chunks_and_a_cancel_stops_the_next_chunk(monkeypatch):
    torch.manual_seed(4)
    model = _model(torch.nn.LSTM(3, 8, bidirectional=True), 3)
    x = np.random.default_rng(5).standard_normal((200, 3)).astype("float32")
    monkeypatch.setattr(engine, "NATIVE_TICK_CHUNK_ELEMENTS", 20 * 4 * 8)  # 20 steps a chunk
    calls = _spy(monkeypatch)
    seen = []
    Tracer(model).trace(x, progress=lambda f, msg: seen.append(f))
    assert len(calls) == 20 and len(seen) >= 18 and seen == sorted(seen), "reports between chunks, in order"

    class Stop(Exception):
        pass

    def cancel_at_third(fraction, message):
        if len(calls) >= 3:
            raise Stop

    calls.clear()
    with pytest.raises(Stop):
        Tracer(model).trace(x, progress=cancel_at_third)
    assert len(calls) == 3, "no chunk ran after the cancel"
