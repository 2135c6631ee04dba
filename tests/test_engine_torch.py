"""Exactness of the gate engine against torch.nn.RNN / LSTM / GRU themselves.

Every layer's hidden states at every step are compared with the torch module run layer by
layer, the final states with the full module's h_n / c_n, and the recomputed gates with
the numpy step reference. Bounds: 1e-5 in float32, 1e-10 in float64 (issue 2).
"""

import numpy as np
import pytest
import torch
from reference import reference_trace

from gateviz.core import engine
from gateviz.core.engine import Tracer
from gateviz.core.model import InputStage, RecurrentModel
from gateviz.formats.torch_state import layers_from_module

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def _torch_module(cell, input_size, hidden, num_layers, bidirectional, dtype, seed, proj_size=0, bias=True,
                  nonlinearity="tanh"):
    torch.manual_seed(seed)
    kw = dict(input_size=input_size, hidden_size=hidden, num_layers=num_layers, bidirectional=bidirectional,
              bias=bias, dtype=dtype)
    if cell == "lstm":
        mod = torch.nn.LSTM(proj_size=proj_size, **kw)
    elif cell == "gru":
        mod = torch.nn.GRU(**kw)
    else:
        mod = torch.nn.RNN(nonlinearity=nonlinearity, **kw)
    with torch.no_grad():  # larger than the default init so gates leave the linear region
        for p in mod.parameters():
            p.mul_(2.0)
    return mod.eval()


def _model_of(mod) -> RecurrentModel:
    layers = layers_from_module(mod)
    return RecurrentModel(layers=layers, input=InputStage("raw", features=layers[0].input_size)).validate()


def _single_layer(mod, k):
    """A 1-layer copy of layer k of ``mod`` (same weights), to get that layer's outputs from torch."""
    D = 2 if mod.bidirectional else 1
    in_size = mod.input_size if k == 0 else D * (getattr(mod, "proj_size", 0) or mod.hidden_size)
    kw = dict(input_size=in_size, hidden_size=mod.hidden_size, num_layers=1, bidirectional=mod.bidirectional,
              bias=mod.bias, dtype=mod.weight_ih_l0.dtype)
    if isinstance(mod, torch.nn.LSTM):
        one = torch.nn.LSTM(proj_size=mod.proj_size, **kw)
    elif isinstance(mod, torch.nn.GRU):
        one = torch.nn.GRU(**kw)
    else:
        one = torch.nn.RNN(nonlinearity=mod.nonlinearity, **kw)
    sd = {name.replace(f"_l{k}", "_l0"): t for name, t in mod.state_dict().items() if f"_l{k}" in name}
    one.load_state_dict(sd)
    return one.eval()


CASES = [
    # cell, hidden, layers, bidirectional, extra
    ("lstm", 7, 1, False, {}),
    ("lstm", 6, 2, True, {}),
    ("lstm", 5, 4, True, {}),
    ("lstm", 6, 3, False, {"proj_size": 3}),
    ("lstm", 6, 2, True, {"proj_size": 4}),
    ("lstm", 5, 2, True, {"bias": False}),
    ("gru", 7, 1, False, {}),
    ("gru", 6, 4, True, {}),
    ("gru", 5, 2, False, {"bias": False}),
    ("rnn", 8, 1, False, {}),
    ("rnn", 6, 3, True, {}),
    ("rnn", 6, 2, True, {"nonlinearity": "relu"}),
    ("rnn", 5, 4, False, {"nonlinearity": "relu", "bias": False}),
]


CASE_IDS = [f"{c}-H{h}-L{n}-{'bi' if b else 'uni'}-{'-'.join(f'{k}={v}' for k, v in e.items())}"
            for c, h, n, b, e in CASES]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("cell,hidden,num_layers,bidirectional,extra", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("batch", [None, 3], ids=["single", "batch3"])
def test_hidden_and_final_states_match_torch(cell, hidden, num_layers, bidirectional, extra, dtype, batch):
    _check_against_torch(cell, hidden, num_layers, bidirectional, extra, dtype, batch)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("cell,hidden,num_layers,bidirectional,extra", [c for c in CASES if c[0] != "rnn"],
                         ids=[i for c, i in zip(CASES, CASE_IDS) if c[0] != "rnn"])
@pytest.mark.parametrize("batch", [None, 5], ids=["single", "batch5"])
def test_fused_step_loop_matches_torch(monkeypatch, cell, hidden, num_layers, bidirectional, extra, dtype, batch):
    """Batches on the CPU take the fused step loop instead of native forward + recompute."""
    monkeypatch.setattr(engine, "_use_step_loop", lambda layer, batch, device, dtype: True)
    _check_against_torch(cell, hidden, num_layers, bidirectional, extra, dtype, batch)
    _check_gates_against_reference(cell, hidden, num_layers, bidirectional, extra, dtype)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_batched_input_part_by_either_route_matches_torch(monkeypatch, cell):
    """Issue 17: a wide batch's input part through small weights is one batched product written
    unit-major, otherwise one GEMM and a transposing copy; both match torch, and each other to float32
    rounding (the sums run in another order: ~3e-7 apart)."""
    from gateviz.core import fused_loops

    monkeypatch.setattr(engine, "_use_step_loop", lambda layer, batch, device, dtype: True)
    mod = _torch_module(cell, 4, 6, 2, True, torch.float32, seed=3)
    x = np.random.default_rng(3).standard_normal((5, 23, 4))
    traces = []
    for cached, batched_from in ((0, 1 << 30), (1 << 30, 2)):  # the GEMM always, the batched products always
        monkeypatch.setattr(fused_loops, "_CACHED_WEIGHTS", cached)
        monkeypatch.setattr(fused_loops, "_BATCHED_FROM", batched_from)
        _check_against_torch(cell, 6, 2, True, {}, torch.float32, 5)
        traces.append(Tracer(_model_of(mod)).trace(x))
    for key, quantities in traces[0].states.items():
        for q, a in quantities.items():
            np.testing.assert_allclose(traces[1].states[key][q], a, rtol=1e-6, atol=1e-6, err_msg=f"{key} {q}")


def test_strategy_choice():
    cpu, f32, f64 = torch.device("cpu"), torch.float32, torch.float64
    one = _model_of(torch.nn.LSTM(32, 256)).layers[0]
    assert not engine._use_step_loop(one, 1, cpu, f32)
    assert engine._use_step_loop(_model_of(torch.nn.LSTM(28, 128)).layers[0], 128, cpu, f32)
    assert engine._use_step_loop(_model_of(torch.nn.GRU(28, 128)).layers[0], 64, cpu, f32)
    assert not engine._use_step_loop(one, 64, torch.device("cuda"), f32)
    # issue 17: one sequence through a wide float32 LSTM recomputes after oneDNN's forward (the loop
    # was 2.7x torch's forward at 1024 units), as do small batches (5-9x); float64 keeps the cost model
    wide = _model_of(torch.nn.LSTM(32, 1024)).layers[0]
    assert not engine._use_step_loop(wide, 1, cpu, f32) and not engine._use_step_loop(wide, 4, cpu, f32)
    assert engine._use_step_loop(wide, 1, cpu, f64)
    assert not engine._use_step_loop(_model_of(torch.nn.LSTM(28, 128)).layers[0], 16, cpu, f32)
    # ... and a float32 LSTM's batch reads oneDNN's workspace up to batch x units = 8192 (64 x 128:
    # 1.45x torch's forward against the loop's 1.77x), where the loop takes over
    assert not engine._use_step_loop(_model_of(torch.nn.LSTM(28, 128)).layers[0], 64, cpu, f32)
    assert engine._use_step_loop(_model_of(torch.nn.LSTM(28, 256)).layers[0], 64, cpu, f32)


def _check_against_torch(cell, hidden, num_layers, bidirectional, extra, dtype, batch):
    T, F = 23, 4
    mod = _torch_module(cell, F, hidden, num_layers, bidirectional, dtype, seed=num_layers * 7 + hidden, **extra)
    model = _model_of(mod)
    rng = np.random.default_rng(hidden)
    x = rng.standard_normal((T, F) if batch is None else (batch, T, F))
    trace = Tracer(model, dtype=dtype).trace(x)
    tol = TOL[dtype]

    xt = torch.as_tensor(x, dtype=dtype)
    xt = xt[:, None] if batch is None else xt.transpose(0, 1)  # (T, N, F)
    with torch.no_grad():
        full = mod(xt)
    h_n = full[1][0] if cell == "lstm" else full[1]
    c_n = full[1][1] if cell == "lstm" else None
    D = 2 if bidirectional else 1

    def ours(k, direction, quantity):
        a = trace.get(k, direction, quantity)
        return a[:, None] if batch is None else np.swapaxes(a, 0, 1)  # -> (T, N, U)

    layer_in = xt
    for k in range(num_layers):
        with torch.no_grad():
            out_k = _single_layer(mod, k)(layer_in)[0]  # (T, N, D*Hr)
        Hr = out_k.shape[-1] // D
        for j, direction in enumerate(["forward", "backward"][:D]):
            h = ours(k, direction, "hidden_state")
            np.testing.assert_allclose(h, out_k[..., j * Hr:(j + 1) * Hr].numpy(), rtol=0, atol=tol)
            final = h[-1] if direction == "forward" else h[0]  # backward's final state sits at t=0
            np.testing.assert_allclose(final, h_n[k * D + j].numpy(), rtol=0, atol=tol)
            if c_n is not None:
                c = ours(k, direction, "cell_state")
                c_final = c[-1] if direction == "forward" else c[0]
                np.testing.assert_allclose(c_final, c_n[k * D + j].numpy(), rtol=0, atol=tol)
        layer_in = out_k
    # the whole stack's output equals the last layer's states, concatenated
    last = np.concatenate([ours(num_layers - 1, d, "hidden_state") for d in ["forward", "backward"][:D]], -1)
    np.testing.assert_allclose(last, full[0].numpy(), rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("cell,hidden,num_layers,bidirectional,extra",
                         [c for c in CASES if c[0] != "rnn"], ids=lambda v: str(v))
def test_recomputed_gates_match_step_reference(cell, hidden, num_layers, bidirectional, extra, dtype):
    _check_gates_against_reference(cell, hidden, num_layers, bidirectional, extra, dtype)


def _check_gates_against_reference(cell, hidden, num_layers, bidirectional, extra, dtype):
    mod = _torch_module(cell, 3, hidden, num_layers, bidirectional, dtype, seed=5, **extra)
    model = _model_of(mod)
    x = np.random.default_rng(1).standard_normal((31, 3))
    trace = Tracer(model).trace(x)
    assert trace.meta["dtype"] == str(dtype).replace("torch.", "")
    ref = reference_trace(model, x)  # float64 from the same weights
    for key, quantities in ref.items():
        for q, want in quantities.items():
            np.testing.assert_allclose(trace.get(*key, q), want, rtol=0, atol=TOL[dtype], err_msg=f"{key} {q}")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_stepwise_path_equals_torch_too(cell):
    """A huge gate clip changes nothing numerically but forces the step loop: it must agree with torch."""
    mod = _torch_module(cell, 3, 6, 2, True, torch.float64, seed=2)
    model = _model_of(mod)
    for layer in model.layers:
        layer.gate_clip = 1e9
    x = np.random.default_rng(2).standard_normal((19, 3))
    trace = Tracer(model).trace(x)
    with torch.no_grad():
        out = mod(torch.as_tensor(x)[:, None])[0][:, 0].numpy()
    ours = np.concatenate([trace.get(1, d, "hidden_state") for d in ("forward", "backward")], -1)
    np.testing.assert_allclose(ours, out, rtol=0, atol=1e-10)


def test_float32_weights_trace_in_float32_and_can_be_forced_to_float64():
    mod = _torch_module("lstm", 2, 4, 1, False, torch.float32, seed=0)
    model = _model_of(mod)
    x = np.random.default_rng(0).standard_normal((5, 2))
    t32 = Tracer(model).trace(x)
    t64 = Tracer(model, dtype=torch.float64).trace(x)
    assert t32.get(0, "forward", "cell_state").dtype == np.float32
    assert t64.get(0, "forward", "cell_state").dtype == np.float64
    np.testing.assert_allclose(t32.get(0, "forward", "hidden_state"), t64.get(0, "forward", "hidden_state"),
                               atol=1e-5)
