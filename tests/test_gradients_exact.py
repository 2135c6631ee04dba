"""Exactness of gradients through time (issue 12) against references that share no code with them.

1. torch autograd on torch's own modules. nn.LSTM/GRU/RNN (stacked, bidirectional, projected, without
   bias, RNN tanh and relu) with and without an nn.Linear head are saved as a state_dict and opened with
   ``load_model`` as a user would; ``compute_gradients`` must equal autograd over a per-step loop with
   the module's weights (tests/gradient_reference.py) for dy/dh_t, dy/dc_t, dy/dx_t and connectivity:
   1e-5 relative to each array's largest value in float32, 1e-10 in float64. The loop itself is tied
   to the fused modules: its outputs and dy/dx_t equal the whole module's, and its dy/dh_t equal
   those of the fused modules split at every step.
2. Central differences for what torch has no module for (peepholes, clips, coupled gates, GRU
   reset-before, hard sigmoids, relu, merge modes, a lone backward direction, heads on the final
   state), through an independent float64 step forward that perturbs h_t, c_t or x_t.
   eps = 1e-5: the truncation error is ~eps²·|y'''| ≈ 1e-10 and the rounding error ~1e-16/eps ≈
   1e-11 (relative), so agreement is asked to 1e-7 of the array's largest value; measured 1e-11 to
   2e-9. A central difference is not a derivative where it straddles a kink of a piecewise function
   (clip, relu, hard sigmoid), so each case checks that no such input came within 10·eps of one.
3. The tests can fail: with each option removed (no peepholes, no clip, ...) the reference moves by
   far more than the tolerance, and a target one step off or a different class does not match.
"""

import copy

import numpy as np
import pytest
import torch
from gradient_reference import (DIRS, assert_close, cell_loop_reference, central_differences, native_input_grad,
                                native_state_grads)
from reference import random_model

from gateviz.core.activations import Activation
from gateviz.core.engine import Tracer
from gateviz.core.gradients import GradientTarget, compute_gradients
from gateviz.formats import load_model

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}
NP = {torch.float32: np.float32, torch.float64: np.float64}
T = 24

# --------------------------------------------------------------------------- 1. torch modules

MODULES = {
    # name: (cell, hidden, layers, bidirectional, extra)
    "lstm-1": ("lstm", 7, 1, False, {}),
    "lstm-2-bi": ("lstm", 6, 2, True, {}),
    "lstm-2-proj": ("lstm", 6, 2, False, {"proj_size": 3}),
    "lstm-2-bi-proj": ("lstm", 6, 2, True, {"proj_size": 4}),
    "lstm-3-bi-nobias": ("lstm", 5, 3, True, {"bias": False}),
    "gru-1": ("gru", 7, 1, False, {}),
    "gru-2-bi": ("gru", 6, 2, True, {}),
    "gru-2-nobias": ("gru", 5, 2, False, {"bias": False}),
    "rnn-tanh-2-bi": ("rnn", 6, 2, True, {}),
    "rnn-relu-2": ("rnn", 6, 2, False, {"nonlinearity": "relu"}),
}

# name: (head activation or None for no head, GradientTarget fields)
TARGETS = {
    "top-last": (None, dict()),
    "top-middle": (None, dict(step=9)),
    "identity-last": ("identity", dict()),
    "softmax-predicted": ("softmax", dict(step=17)),
    "softmax-class": ("softmax", dict(output=2)),
    "sigmoid-output": ("sigmoid", dict(step=5, output=1)),
    "unit-below": (None, dict(step=12, unit=(0, "backward", 2))),
    "unit-top": (None, dict(step=20, unit=(-1, "forward", 1))),
}


def torch_module(cell, hidden, layers, bidirectional, extra, dtype, input_size=3, seed=0):
    torch.manual_seed(seed)
    kw = dict(input_size=input_size, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
              dtype=dtype, bias=extra.get("bias", True))
    if cell == "lstm":
        mod = torch.nn.LSTM(proj_size=extra.get("proj_size", 0), **kw)
    elif cell == "gru":
        mod = torch.nn.GRU(**kw)
    else:
        mod = torch.nn.RNN(nonlinearity=extra.get("nonlinearity", "tanh"), **kw)
    with torch.no_grad():  # twice the default init: gates leave their linear region, gradients vary in size
        for p in mod.parameters():
            p.mul_(2.0)
    return mod.eval()


def out_width(mod) -> int:
    D = 2 if mod.bidirectional else 1
    return D * ((getattr(mod, "proj_size", 0) or 0) or mod.hidden_size)


class Net(torch.nn.Module):
    """What a user saves: a recurrent module, maybe an embedding before it and a linear head after it."""

    def __init__(self, rnn, fc=None, emb=None):
        super().__init__()
        if emb is not None:
            self.emb = emb
        self.rnn = rnn
        if fc is not None:
            self.fc = fc


def user_model(tmp_path, mod, head=None, head_activation=None, emb=None):
    """Save a state_dict to a .pt and open it the way the app does; a state_dict cannot say which
    activation forward() applied after the head, so it is set on the loaded model (as a user would)."""
    path = tmp_path / "net.pt"
    torch.save(Net(mod, head, emb).state_dict(), path)
    model = load_model(path, nonlinearity=getattr(mod, "nonlinearity", "tanh"))  # --nonlinearity relu
    assert (model.head is None) == (head is None)
    if head is not None:
        model.head.activation = head_activation
    return model


def resolve_unit(unit, mod):
    if unit is None:
        return None
    k, d, u = unit
    return (k % mod.num_layers, d if mod.bidirectional else "forward", u)


def unreachable(g, step, unit=None):
    """(key, rows) where h_t cannot reach y: in the layer y reads, a forward direction after t* and a
    backward one before it (and the other direction of a unit's layer, and the layers above it, all
    through); in every layer of a forward-only stack, every step after t*."""
    top = max(k for k, _ in g.hidden)
    K = top if unit is None else unit[0]
    forward_only = all(d == "forward" for _, d in g.hidden)
    for k, d in g.hidden:
        far = slice(step + 1, None) if d == "forward" else slice(0, step)
        if k > K or (unit is not None and k == K and d != unit[1]):
            yield (k, d), slice(None)
        elif k == K or forward_only:
            yield (k, d), far


def check_against(g, ref, dtype, step, what="", unit=None):
    """Every array of ``g`` against the reference, and exact zeros where h_t cannot reach y."""
    tol = TOL[dtype] if isinstance(dtype, torch.dtype) else dtype
    assert set(g.hidden) == set(ref.hidden), what
    assert set(g.cell) == set(ref.cell), what
    for key, want in ref.hidden.items():
        assert_close(g.hidden[key], want, tol, f"{what} dy/dh {key}")
    for key, want in ref.cell.items():
        assert_close(g.cell[key], want, tol, f"{what} dy/dc {key}")
    for key, rows in unreachable(g, step, unit):
        for arrays in (g.hidden, g.cell):
            if key in arrays:
                assert not arrays[key][rows].any(), f"{what} {key}: nonzero gradient where h_t cannot reach y"
    assert_close(g.input, ref.input, tol, f"{what} dy/dx")
    assert_close(g.connectivity, np.linalg.norm(ref.input.astype(np.float64), axis=1), tol, f"{what} connectivity")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("target_name", list(TARGETS))
@pytest.mark.parametrize("name", list(MODULES))
def test_equals_autograd_on_torch_modules(tmp_path, name, target_name, dtype):
    cell, hidden, layers, bidirectional, extra = MODULES[name]
    mod = torch_module(cell, hidden, layers, bidirectional, extra, dtype, seed=layers * 7 + hidden)
    head_activation, fields = TARGETS[target_name]
    head = None
    if head_activation is not None:
        torch.manual_seed(1)
        head = torch.nn.Linear(out_width(mod), 4, dtype=dtype)
    model = user_model(tmp_path, mod, head, head_activation)
    fields = dict(fields, unit=resolve_unit(fields.get("unit"), mod))
    x = np.random.default_rng(hidden).standard_normal((T, 3))
    trace = Tracer(model).trace(x)
    g = compute_gradients(model, trace, GradientTarget(**fields))

    kw = dict(head=head, head_activation=head_activation or "identity", step=fields.get("step"),
              output=fields.get("output"))
    ref = cell_loop_reference(mod, x, unit=fields["unit"], **kw)
    # the step loop is torch's module: the same outputs and, through the whole fused module, the same dy/dx
    y_native, dx_native, out_native = native_input_grad(mod, x, **kw)
    top = np.concatenate([ref.outputs[(layers - 1, d)] for d in DIRS[:2 if bidirectional else 1]], axis=1)
    assert_close(top, out_native, TOL[dtype], "the step loop's outputs vs the fused module")
    traced = np.concatenate([trace.get(layers - 1, d, "hidden_state") for d in DIRS[:2 if bidirectional else 1]], 1)
    assert_close(traced, out_native, TOL[dtype], "gateviz's trace vs the fused module")
    if fields["unit"] is None:
        assert_close(ref.input, dx_native, TOL[dtype], "the step loop's dy/dx vs the fused module's")

    step = T - 1 if fields.get("step") is None else fields["step"]
    assert g.target.step == step
    for a in (*g.hidden.values(), *g.cell.values(), g.input, g.connectivity):
        assert a.dtype == NP[dtype]
    assert g.input.shape == (T, 3) and g.connectivity.shape == (T,)
    if head_activation == "softmax":
        k = fields.get("output")
        assert g.definition.startswith("log p(")
        assert g.meta["output"] == (k if k is not None else int(np.argmax(trace.output[step])))
    check_against(g, ref, dtype, step, f"{name} {target_name}", fields["unit"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("target_name", ["top-middle", "softmax-predicted", "unit-below"])
@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("lstm")])
def test_lstm_without_the_fused_backward_too(monkeypatch, tmp_path, name, target_name, dtype):
    """Narrow LSTM layers take torch's fused backward for one target; wide ones (and the connectivity
    matrix) the hand-written recurrence: check that one on the same cases."""
    from gateviz.core import backward

    monkeypatch.setattr(backward, "_FUSED_MAX_UNITS", 0)
    test_equals_autograd_on_torch_modules(tmp_path, name, target_name, dtype)


@pytest.mark.parametrize("name", ["lstm-2-bi-proj", "lstm-3-bi-nobias", "gru-2-bi", "rnn-tanh-2-bi", "rnn-relu-2"])
def test_step_loop_reference_equals_the_fused_modules_split_at_each_step(name):
    """The reference's dy/dh_t (and dy/dc_t through c_{t+1}) against nn.LSTM/GRU/RNN themselves."""
    cell, hidden, layers, bidirectional, extra = MODULES[name]
    mod = torch_module(cell, hidden, layers, bidirectional, extra, torch.float64, seed=3)
    torch.manual_seed(2)
    head = torch.nn.Linear(out_width(mod), 3, dtype=torch.float64)
    x = np.random.default_rng(0).standard_normal((9, 3))
    for kw in (dict(step=5), dict(head=head, head_activation="softmax")):
        ref = cell_loop_reference(mod, x, **kw)
        hidden_native, cell_native = native_state_grads(mod, x, **kw)
        for key, want in hidden_native.items():
            assert_close(ref.hidden[key], want, 1e-12, f"dy/dh {key}")
        for key, want in cell_native.items():
            assert_close(ref.cell_next[key], want, 1e-12, f"dy/dc through c_t+1 {key}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_embedding_model_gradient_is_wrt_the_embedding_vector(tmp_path, dtype):
    V, E = 7, 4
    torch.manual_seed(4)
    emb = torch.nn.Embedding(V, E, dtype=dtype)
    mod = torch_module("lstm", 5, 2, True, {}, dtype, input_size=E, seed=4)
    head = torch.nn.Linear(10, V, dtype=dtype)
    model = user_model(tmp_path, mod, head, "softmax", emb=emb)
    assert model.input.kind == "embedding"
    tokens = np.random.default_rng(0).integers(0, V, size=T)
    trace = Tracer(model).trace(tokens)
    for step in (None, 8):
        g = compute_gradients(model, trace, GradientTarget(step=step))
        assert g.input.shape == (T, E) and g.meta["input"] == "embedding vector"
        x = emb.weight.detach().numpy()[tokens]  # (T, E): the vectors the LSTM read
        ref = cell_loop_reference(mod, x, head=head, head_activation="softmax", step=step)
        check_against(g, ref, dtype, T - 1 if step is None else step, f"embedding step {step}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,head_activation", [("lstm-2-bi-proj", "softmax"), ("gru-2-bi", None),
                                                  ("rnn-relu-2", "sigmoid"), ("lstm-1", "identity")])
def test_connectivity_matrix_rows(tmp_path, name, head_activation, dtype):
    """Row s of the matrix: ||dy_s/dx_t|| with the same target definition placed at step s."""
    cell, hidden, layers, bidirectional, extra = MODULES[name]
    mod = torch_module(cell, hidden, layers, bidirectional, extra, dtype, seed=5)
    head = None
    if head_activation:
        torch.manual_seed(6)
        head = torch.nn.Linear(out_width(mod), 4, dtype=dtype)
    model = user_model(tmp_path, mod, head, head_activation)
    n = 14
    x = np.random.default_rng(1).standard_normal((n, 3))
    g = compute_gradients(model, Tracer(model).trace(x), matrix=True)
    assert g.matrix.shape == (n, n) and g.matrix.dtype == NP[dtype]
    for s in range(n):
        ref = cell_loop_reference(mod, x, head=head, head_activation=head_activation or "identity", step=s)
        assert_close(g.matrix[s], np.linalg.norm(ref.input.astype(np.float64), axis=1), TOL[dtype], f"row {s}")
        if not bidirectional:
            assert not g.matrix[s, s + 1:].any()  # causal: x after s cannot reach y_s
    assert_close(g.matrix[-1], g.connectivity, TOL[dtype], "the last row is the default target's connectivity")


# --------------------------------------------------------------------------- 2. finite differences

EPS = 1e-5
FD_TOL = 1e-7

FD_CASES = {
    # name: (cell, units, options); clips are set so that 15-60% of their inputs are clipped on fd_input()
    "lstm-peepholes": ("lstm", (5,), dict(peepholes=True)),
    "lstm-peepholes-bi": ("lstm", (5, 4), dict(peepholes=True, bidirectional=True)),
    "lstm-cell_clip": ("lstm", (6,), dict(cell_clip=0.4, scale=1.5)),
    "lstm-forget_bias": ("lstm", (6,), dict(forget_bias=1.0)),
    "lstm-proj_clip": ("lstm", (6,), dict(proj_size=3, proj_clip=0.35, peepholes=True)),
    "lstm-tf1": ("lstm", (6, 5), dict(peepholes=True, forget_bias=1.0, cell_clip=2.0, proj_size=4, proj_clip=0.5)),
    "lstm-gate_clip": ("lstm", (6,), dict(gate_clip=1.5, scale=1.0)),
    "lstm-input_forget": ("lstm", (6,), dict(input_forget=True)),
    "lstm-hard_sigmoid-keras2": ("lstm", (6,), dict(recurrent_activation="hard_sigmoid_keras2", scale=1.5)),
    "lstm-relu": ("lstm", (6,), dict(activation="relu")),
    "lstm-backward-only": ("lstm", (5,), dict(backward_only=True)),
    "lstm-merge-sum": ("lstm", (5, 5), dict(bidirectional=True, merge="sum")),
    "gru-reset_before": ("gru", (5,), dict(reset_after=False)),
    "gru-reset_before-bi": ("gru", (4, 4), dict(reset_after=False, bidirectional=True)),
    "gru-hard_sigmoid-keras3": ("gru", (6,), dict(recurrent_activation="hard_sigmoid_keras3")),
    "gru-gate_clip": ("gru", (6,), dict(gate_clip=1.5, scale=1.0)),
    "gru-merge-mul": ("gru", (5, 5), dict(bidirectional=True, merge="mul")),
    "rnn-softsign-clip": ("rnn", (6,), dict(activation="softsign", gate_clip=1.0)),
    "rnn-merge-ave": ("rnn", (5, 5), dict(bidirectional=True, merge="ave")),
}

FD_TARGETS = {
    "top": (dict(), GradientTarget()),
    "softmax-middle": (dict(head_out=3, head_activation="softmax"), GradientTarget(step=5)),
    "softmax-class": (dict(head_out=3, head_activation="softmax", head_on="final_state"), GradientTarget(output=0)),
    "final-state-middle": (dict(head_out=3, head_activation="tanh", head_on="final_state"),
                           GradientTarget(step=7, output=1)),
    "unit": (dict(), GradientTarget(step=8, unit=(0, "forward", 1))),
}
FD_T = 12


def fd_input():
    """(FD_T, 3); a seed whose forward keeps every clip/hard-sigmoid input ≥ 2.9e-3 (290·eps) from its
    kink in every case (seed 3 came within 8e-6 in lstm-tf1: a central difference there can straddle it)."""
    return np.random.default_rng(5).standard_normal((FD_T, 3)) * 2


def fd_model(name, head_kw):
    cell, units, options = FD_CASES[name]
    return random_model(11, cell, units=units, input_size=3, dtype=np.float64, **head_kw, **options)


def fd_compare(model, x, target, tol=FD_TOL, what=""):
    """compute_gradients against central differences; returns the largest relative error."""
    unit = target.unit
    if unit is not None and unit[1] not in model.layers[unit[0]].direction_names():
        unit = (unit[0], model.layers[unit[0]].direction_names()[0], unit[2])
        target = GradientTarget(step=target.step, unit=unit)
    hidden, cell, dx, min_kink = central_differences(model, x, step=target.step, output=target.output,
                                                     unit=target.unit, eps=EPS)
    g = compute_gradients(model, Tracer(model).trace(x), target)
    worst = 0.0
    for key, want in hidden.items():
        worst = max(worst, assert_close(g.hidden[key], want, tol, f"{what} dy/dh {key}"))
    for key, want in cell.items():
        mask = np.ones(want.shape, dtype=bool)
        if model.layers[key[0]].activation.name == "relu":
            # h_t = o·relu(c_t): at |c_t| < 100·eps a central difference in c_t straddles relu's kink
            # (exact zeros are common: c_0 = i·relu(a_g) = 0 wherever a_g < 0); compare the rest
            c = Tracer(model).trace(x).get(*key, "cell_state")
            mask = np.abs(c) >= 100 * EPS
            assert mask.mean() > 0.6
        worst = max(worst, assert_close(g.cell[key][mask], want[mask], tol, f"{what} dy/dc {key}"))
    worst = max(worst, assert_close(g.input, dx, tol, f"{what} dy/dx"))
    return worst, min_kink


@pytest.mark.parametrize("target_name", list(FD_TARGETS))
@pytest.mark.parametrize("name", list(FD_CASES))
def test_equals_central_differences_for_cells_torch_lacks(name, target_name):
    head_kw, target = FD_TARGETS[target_name]
    model = fd_model(name, head_kw)
    x = fd_input()
    worst, min_kink = fd_compare(model, x, target, what=f"{name} {target_name}")
    if FD_CASES[name][2].get("activation") != "relu":
        assert min_kink > 10 * EPS, f"an input of a piecewise function came within {min_kink:.2g} of its kink"


def test_central_differences_equal_autograd_on_a_torch_module(tmp_path):
    """The finite-difference harness (its target definitions, where it perturbs) against part 1."""
    mod = torch_module("lstm", 5, 2, True, {"proj_size": 3}, torch.float64, seed=8)
    torch.manual_seed(9)
    head = torch.nn.Linear(out_width(mod), 4, dtype=torch.float64)
    model = user_model(tmp_path, mod, head, "softmax")
    x = np.random.default_rng(2).standard_normal((10, 3))
    for step in (None, 4):
        hidden, cell, dx, _ = central_differences(model, x, step=step, eps=EPS)
        ref = cell_loop_reference(mod, x, head=head, head_activation="softmax", step=step)
        for key in ref.hidden:
            assert_close(hidden[key], ref.hidden[key], FD_TOL, f"dy/dh {key}")
            assert_close(cell[key], ref.cell[key], FD_TOL, f"dy/dc {key}")
        assert_close(dx, ref.input, FD_TOL, "dy/dx")


# --------------------------------------------------------------------------- 3. the checks can fail

ABLATIONS = {
    # FD case: what an implementation that ignored the option would compute (the model without it)
    "lstm-peepholes": lambda m: [setattr(d, "peephole", None) for d in m.layers[0].directions],
    "lstm-cell_clip": lambda m: setattr(m.layers[0], "cell_clip", None),
    "lstm-forget_bias": lambda m: setattr(m.layers[0], "forget_bias", 0.0),
    "lstm-proj_clip": lambda m: setattr(m.layers[0], "proj_clip", None),
    "lstm-gate_clip": lambda m: setattr(m.layers[0], "gate_clip", None),
    "lstm-input_forget": lambda m: setattr(m.layers[0], "input_forget", False),
    "lstm-hard_sigmoid-keras2": lambda m: setattr(m.layers[0], "recurrent_activation", Activation("sigmoid")),
    "lstm-relu": lambda m: setattr(m.layers[0], "activation", Activation("tanh")),
    "gru-reset_before": lambda m: setattr(m.layers[0], "reset_after", True),
    "gru-hard_sigmoid-keras3": lambda m: setattr(m.layers[0], "recurrent_activation",
                                                 Activation("hard_sigmoid_keras2")),
    "gru-gate_clip": lambda m: setattr(m.layers[0], "gate_clip", None),
    "rnn-softsign-clip": lambda m: setattr(m.layers[0], "gate_clip", None),
    "gru-merge-mul": lambda m: setattr(m.layers[0], "merge", "sum"),
}


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_each_option_changes_the_gradients_far_beyond_the_tolerance(name):
    """Gradients computed as if the option were absent disagree with the true model's central
    differences: the comparison above would catch an implementation that ignored it."""
    head_kw, target = FD_TARGETS["softmax-middle"]
    model = fd_model(name, head_kw)
    x = fd_input()
    wrong = copy.deepcopy(model)
    ABLATIONS[name](wrong)
    wrong.validate()
    hidden, cell, dx, _ = central_differences(model, x, step=target.step, eps=EPS)
    true_trace = Tracer(model).trace(x)
    predicted = int(np.argmax(true_trace.output[5]))
    # the backward of the true trace with the option ignored
    g = compute_gradients(wrong, true_trace, GradientTarget(step=5, output=predicted))
    errors = [np.abs(g.input - dx).max() / np.abs(dx).max()]
    errors += [np.abs(g.hidden[k] - v).max() / np.abs(v).max() for k, v in hidden.items()]
    assert max(errors) > 1000 * FD_TOL, f"{name}: the option hardly matters here ({max(errors):.2g})"

    def compare():
        assert_close(g.input, dx, FD_TOL)
        for k, v in hidden.items():
            assert_close(g.hidden[k], v, FD_TOL)

    with pytest.raises(AssertionError):
        compare()


@pytest.mark.parametrize("wrong", [GradientTarget(step=6), GradientTarget(step=4), GradientTarget(step=5, output=1)])
def test_a_wrong_target_fails_the_comparison(tmp_path, wrong):
    mod = torch_module("gru", 6, 2, True, {}, torch.float32, seed=1)
    torch.manual_seed(3)
    head = torch.nn.Linear(out_width(mod), 3)
    model = user_model(tmp_path, mod, head, "softmax")
    x = np.random.default_rng(0).standard_normal((T, 3))
    trace = Tracer(model).trace(x)
    predicted = int(np.argmax(trace.output[5]))
    ref = cell_loop_reference(mod, x, head=head, head_activation="softmax", step=5)
    check_against(compute_gradients(model, trace, GradientTarget(step=5)), ref, torch.float32, 5)
    if wrong.output == predicted:
        wrong = GradientTarget(step=5, output=(predicted + 1) % 3)
    with pytest.raises(AssertionError):
        check_against(compute_gradients(model, trace, wrong), ref, torch.float32, 5)
