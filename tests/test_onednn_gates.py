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
    monkeypatch.setattr(onednn_gates, "_checked", set())  # nor a layout checked in another


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


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("inputs,units,batch", [(32, 128, 64), (200, 64, 9)], ids=["64x128", "wide-input"])
def test_cell_states_read_from_the_workspace_equal_the_step_loop(monkeypatch, inputs, units, batch, reverse):
    """The cell states come out of the workspace too (no scan): every quantity equals the fused step
    loop's, in short chunks (the c region moves with the chunk's length), for either direction and
    for an input wider than the units (the states region is as wide as the input)."""
    torch.manual_seed(5)
    module = torch.nn.LSTM(inputs, units, bidirectional=reverse).eval()
    model = _model(module, inputs)
    x = np.random.default_rng(5).standard_normal((batch, 37, inputs)).astype("float32")
    monkeypatch.setattr(onednn_gates, "workspace_steps", lambda N, I, H: 8)  # 8, 8, 8, 8 and 5 steps
    calls = _spy(monkeypatch)
    monkeypatch.setattr(engine, "_use_step_loop", lambda *a: False)
    fast = Tracer(model).trace(x)
    assert len(calls) > 2 * len(model.layers[0].directions) and len(set(calls)) == 2, "chunks of two lengths"
    monkeypatch.setattr(engine, "_use_step_loop", lambda *a: True)
    loop = Tracer(model).trace(x)
    for key, quantities in loop.states.items():
        for q, want in quantities.items():
            np.testing.assert_allclose(fast.states[key][q], want, rtol=1e-5, atol=2e-6, err_msg=f"{key} {q}")
    xt = torch.as_tensor(x).transpose(0, 1)
    with torch.no_grad():
        out = module(xt)[0].transpose(0, 1).numpy()  # (N, T, D*units)
    got = np.concatenate([fast.get(0, d, "hidden_state") for d in model.layers[0].direction_names()], -1)
    np.testing.assert_allclose(got, out, rtol=0, atol=1e-6)


@pytest.mark.parametrize("batch,inputs,units", [(64, 32, 128), (1, 32, 1024), (1, 2048, 1024), (16, 300, 64),
                                                (3, 5, 100), (8, 64, 512)])
def test_a_call_s_workspace_stays_within_its_budget(batch, inputs, units):
    """``workspace_steps`` against oneDNN's real workspace: within the budget (under glibc's 32 MB mmap
    threshold, and 8 MB while the weights are small) and not far below it."""
    steps = onednn_gates.workspace_steps(batch, inputs, units)
    weights = 4 * units * (inputs + units) * 4
    budget = min(onednn_gates.WORKSPACE_BYTES, max(onednn_gates.CACHED_WORKSPACE_BYTES, 4 * weights))
    module = torch.nn.LSTM(inputs, units)
    t = {"Wx": module.weight_ih_l0.detach(), "Wh": module.weight_hh_l0.detach(),
         "bx": module.bias_ih_l0.detach(), "bh": module.bias_hh_l0.detach()}
    x = torch.zeros(steps, batch, inputs)
    zeros = torch.zeros(1, batch, units)
    gates, h, c = (torch.empty(steps, batch, n) for n in (4 * units, units, units))
    onednn_gates._fused_forward(x, t, zeros, zeros, gates, h, c, False)
    with torch.enable_grad():
        workspace = torch.ops.aten.mkldnn_rnn_layer(
            x.requires_grad_(True), t["Wx"], t["Wh"], t["bx"], t["bh"], zeros, zeros, False, [steps], 2, units, 1,
            True, False, False, True)[3]
    assert 0.8 * budget < workspace.numel() <= budget + (64 << 10), (steps, workspace.numel(), budget)


def test_cell_states_looked_for_elsewhere_fail_the_check(monkeypatch):
    """A c region one step off is caught (the engine then recomputes, as for the gates)."""
    torch.manual_seed(6)
    model = _model(torch.nn.LSTM(3, 16), 3)
    x = torch.as_tensor(np.random.default_rng(6).standard_normal((30, 2, 3)).astype("float32"))
    real = onednn_gates._regions
    monkeypatch.setattr(onednn_gates, "_regions", lambda T, N, I, H: (real(T, N, I, H)[0], real(T, N, I, H)[1] + N * H))
    with pytest.raises(onednn_gates.LayoutMismatch, match="differ by"):
        onednn_gates.lstm_direction(model.layers[0], Tracer(model)._tensors[(0, 0)], False, x, None, 30)


def test_each_call_shape_is_checked_once_per_process(monkeypatch):
    """The layout is a function of the call's shape: checked the first time a shape runs, trusted after."""
    torch.manual_seed(7)
    model = _model(torch.nn.LSTM(3, 16), 3)
    monkeypatch.setattr(onednn_gates, "workspace_steps", lambda N, I, H: 10)
    checked = []
    real = onednn_gates._check
    monkeypatch.setattr(onednn_gates, "_check", lambda x, *a: (checked.append(x.shape[0]), real(x, *a)))
    rng = np.random.default_rng(7)
    Tracer(model).trace(rng.standard_normal((4, 25, 3)).astype("float32"))  # calls of 10, 10 and 5 steps
    assert sorted(checked) == [5, 10]
    Tracer(model).trace(rng.standard_normal((4, 25, 3)).astype("float32"))
    assert sorted(checked) == [5, 10], "the same shapes are not checked again"
    Tracer(model).trace(rng.standard_normal((4, 27, 3)).astype("float32"))
    assert sorted(checked) == [5, 7, 10], "a new shape is"


def test_a_large_trace_keeps_its_four_gates_in_separate_arrays(monkeypatch):
    """Above JOINED_GATES_BYTES each gate is its own array (freeing one blocks the GIL a quarter as
    long), with the same numbers as the joined buffer, both directions."""
    torch.manual_seed(8)
    model = _model(torch.nn.LSTM(3, 16, bidirectional=True), 3)
    x = np.random.default_rng(8).standard_normal((5, 33, 3)).astype("float32")
    monkeypatch.setattr(onednn_gates, "workspace_steps", lambda N, I, H: 10)
    joined = Tracer(model).trace(x)
    assert np.may_share_memory(joined.get(0, "forward", "input_gate"), joined.get(0, "forward", "output_gate"))
    monkeypatch.setattr(onednn_gates, "JOINED_GATES_BYTES", 0)
    split = Tracer(model).trace(x)
    gates = ("input_gate", "forget_gate", "cell_candidate", "output_gate")
    for d in ("forward", "backward"):
        arrays = [split.get(0, d, q) for q in gates]
        assert not any(np.may_share_memory(a, b) for k, a in enumerate(arrays) for b in arrays[k + 1:])
        for q in joined.quantities:
            np.testing.assert_array_equal(split.get(0, d, q), joined.get(0, d, q), err_msg=f"{d} {q}")
