"""Long inputs through torch's fused forward in chunks (issue 17): oneDNN refuses a single call
whose gate buffer passes ~2^31 bytes, so the engine splits the time axis and carries each
direction's (h, c) across chunks. The chunked trace must equal the one-call trace."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gateviz.core import engine, onednn_gates
from gateviz.core.engine import Tracer
from gateviz.core.model import InputStage, RecurrentModel
from gateviz.formats.torch_state import layers_from_module


def _model(module) -> RecurrentModel:
    return RecurrentModel(layers_from_module(module), InputStage(kind="raw", features=3), name="m").validate()


@pytest.mark.parametrize("make", [
    lambda: torch.nn.LSTM(3, 8, num_layers=2),
    lambda: torch.nn.LSTM(3, 8, bidirectional=True),
    lambda: torch.nn.LSTM(3, 8, proj_size=5, bidirectional=True),
    lambda: torch.nn.GRU(3, 8, num_layers=2, bidirectional=True),
    lambda: torch.nn.RNN(3, 8, nonlinearity="relu", bidirectional=True),
], ids=["lstm2", "bilstm", "bilstm-proj", "bigru2", "birnn-relu"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_chunked_native_trace_equals_the_single_call(make, dtype, monkeypatch):
    torch.manual_seed(0)
    model = _model(make())
    x = np.random.default_rng(1).normal(size=(53, 3)).astype("float32")
    whole = Tracer(model, dtype=dtype).trace(x)
    calls = []
    real = torch.nn.modules.rnn.RNNBase.__call__

    def counting(self, *a, **k):
        calls.append(a[0].shape[0])
        return real(self, *a, **k)

    monkeypatch.setattr(torch.nn.modules.rnn.RNNBase, "__call__", counting)
    real_fused = onednn_gates._fused_forward  # a float32 LSTM's route: oneDNN's training forward

    def counting_fused(x, *a, **k):
        calls.append(x.shape[0])
        return real_fused(x, *a, **k)

    monkeypatch.setattr(onednn_gates, "_fused_forward", counting_fused)
    monkeypatch.setattr(engine, "NATIVE_CHUNK_ELEMENTS", 10 * 4 * 8 * 2)  # ~10 steps per chunk
    chunked = Tracer(model, dtype=dtype).trace(x)
    assert calls and max(calls) < 53, "the time axis was split"
    # float32: the chunks' GEMMs may round differently (MKL picks its threads by load): within 1e-5
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    for key, quantities in whole.states.items():
        for q, values in quantities.items():
            np.testing.assert_allclose(chunked.states[key][q], values, atol=tol, rtol=tol, err_msg=f"{key} {q}")


def test_chunked_decoder_start_carries_the_initial_state(monkeypatch):
    torch.manual_seed(2)
    model = _model(torch.nn.LSTM(3, 6))
    x = np.random.default_rng(3).normal(size=(40, 3)).astype("float32")
    h0, c0 = np.full(6, 0.3, "float32"), np.full(6, -0.7, "float32")
    whole = Tracer(model).trace(x, initial_state=[(h0, c0)])
    monkeypatch.setattr(engine, "NATIVE_CHUNK_ELEMENTS", 7 * 4 * 6)
    chunked = Tracer(model).trace(x, initial_state=[(h0, c0)])
    for q, values in whole.states[(0, "forward")].items():
        np.testing.assert_allclose(chunked.states[(0, "forward")][q], values, atol=1e-5, rtol=1e-5, err_msg=q)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("start", [False, True])
def test_gru_recompute_in_chunks_equals_one_block(bidirectional, start, monkeypatch):
    """The GRU's recurrent part is recomputed a chunk of steps at a time (peak memory); any chunk
    size gives the same gates, an initial state included."""
    from gateviz.core import native_gates

    torch.manual_seed(4)
    model = _model(torch.nn.GRU(3, 5, bidirectional=bidirectional))
    x = np.random.default_rng(5).normal(size=(23, 3))
    init = [(np.full(5, 0.2), None)] * (2 if bidirectional else 1) if start else None
    whole = Tracer(model, dtype=torch.float64).trace(x, initial_state=init)
    for steps in (1, 4, 22):
        monkeypatch.setattr(native_gates, "RECOMPUTE_CHUNK_ELEMENTS", steps * 3 * 5)
        chunked = Tracer(model, dtype=torch.float64).trace(x, initial_state=init)
        for key, quantities in whole.states.items():
            for q, values in quantities.items():
                np.testing.assert_allclose(chunked.states[key][q], values, atol=1e-13, rtol=0, err_msg=f"{steps} {key} {q}")


def test_a_long_native_layer_reports_progress_between_chunks_and_can_be_cancelled(monkeypatch):
    """One layer on torch's fused path used to report nothing until done, so Cancel waited for the
    whole layer; now every chunk ends with a progress report, and a raising report stops the trace."""
    torch.manual_seed(6)
    model = _model(torch.nn.GRU(3, 8, bidirectional=True))
    x = np.random.default_rng(7).normal(size=(200, 3)).astype("float32")
    monkeypatch.setattr(engine, "NATIVE_TICK_CHUNK_ELEMENTS", 20 * 3 * 8 * 2)  # 20 steps a chunk
    seen = []
    whole = Tracer(model).trace(x, progress=lambda f, msg: seen.append(f))
    assert len(seen) >= 18 and seen == sorted(seen), "reports between chunks, in order"
    np.testing.assert_allclose(whole.get(0, "backward", "hidden_state"),
                               Tracer(model).trace(x).get(0, "backward", "hidden_state"), atol=1e-5, rtol=1e-5)

    class Stop(Exception):
        pass

    calls = []

    def cancel_at_third(fraction, message):
        calls.append(fraction)
        if len(calls) == 3:
            raise Stop

    with pytest.raises(Stop):
        Tracer(model).trace(x, progress=cancel_at_third)
    assert len(calls) == 3, "nothing ran after the cancel"
