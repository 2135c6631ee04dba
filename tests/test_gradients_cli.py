"""`gateviz trace --gradients`: the arrays, their shapes and meaning, the target flags, bad input.

Exactness against torch autograd on torch's own modules is in test_gradients_exact.py; here the
engine's own forward (float64) checks dy/dx_t by central differences for the target definitions
the CLI offers, on a model torch has no module for as a whole (two bidirectional layers and a
softmax head on the final states).
"""

import json

import numpy as np
import pytest
import torch
from cli_checks import error_line
from reference import random_model

from gateviz.cli import main
from gateviz.core.engine import Tracer
from gateviz.core.errors import SequenceError
from gateviz.core.gradients import GradientTarget, compute_gradients, forget_product
from gateviz.core.trace import Trace
from gateviz.export.data import read_csv, save_csv
from gateviz.formats import save_model

T = 11


@pytest.fixture
def bidir_model():
    model = random_model(0, "lstm", units=(5, 4), input_size=2, bidirectional=True, head_out=3,
                         head_activation="softmax", head_on="final_state")
    model.task = {"name": "digits"}
    return model


@pytest.fixture
def files(tmp_path, bidir_model):
    seq = tmp_path / "x.npy"
    np.save(seq, np.random.default_rng(0).standard_normal((T, 2)))
    return save_model(bidir_model, tmp_path / "m.gvm"), seq


def _y(model, x, target_fn):
    tr = Tracer(model, dtype=torch.float64).trace(x)
    return target_fn(tr)


def _numeric_dx(model, x, target_fn, eps=1e-6):
    """Central differences of y w.r.t. every input value, through the engine's float64 forward."""
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (_y(model, xp, target_fn) - _y(model, xm, target_fn)) / (2 * eps)
    return g


def test_trace_file_holds_every_gradient_array(tmp_path, files, capsys):
    model_file, seq = files
    out = tmp_path / "t.npz"
    assert main(["trace", str(model_file), str(seq), "--gradients", "--connectivity-matrix", "-o", str(out)]) == 0
    assert "gradients of log p(" in capsys.readouterr().out
    with np.load(out, allow_pickle=False) as data:
        for k, units in ((0, 5), (1, 4)):
            for d in ("forward", "backward"):
                assert data[f"gradient.layer{k}.{d}.hidden_state"].shape == (T, units)
                assert data[f"gradient.layer{k}.{d}.cell_state"].shape == (T, units)
        assert data["gradient.input"].shape == (T, 2)
        assert data["connectivity"].shape == (T,)
        assert data["connectivity_matrix"].shape == (T, T)
        np.testing.assert_allclose(data["connectivity"], np.linalg.norm(data["gradient.input"], axis=1), rtol=1e-6)
        # the last row of the matrix is the default target (the last step)
        np.testing.assert_allclose(data["connectivity_matrix"][-1], data["connectivity"], rtol=1e-5, atol=1e-9)
        meta = json.loads(str(data["meta"]))["gradients"]
    assert meta["kind"] == "head" and meta["step"] == T - 1 and meta["predicted_class"] is True
    assert meta["definition"].startswith("log p(") and "(predicted) at step 10" in meta["definition"]
    back = Trace.load(out)
    assert back.gradients.definition == meta["definition"]
    assert back.gradients.target == GradientTarget(step=T - 1)


def test_final_state_head_matches_finite_differences(bidir_model):
    """The head reads the forward direction's last state and the backward one's first: dy/dx_t by differences."""
    x = np.random.default_rng(1).standard_normal((T, 2))
    trace = Tracer(bidir_model, dtype=torch.float64).trace(x)
    g = compute_gradients(bidir_model, trace)
    k = g.meta["output"]
    numeric = _numeric_dx(bidir_model, x, lambda tr: np.log(tr.output[0, k]))
    np.testing.assert_allclose(g.input, numeric, rtol=1e-6, atol=1e-9)
    # every step reaches a head on both final states
    assert (g.connectivity > 0).all()


@pytest.mark.parametrize("target, fn", [
    (GradientTarget(step=4), lambda tr: sum(tr.get(1, d, "hidden_state")[4].sum() for d in ("forward", "backward"))),
    (GradientTarget(step=6, unit=(0, "backward", 3)), lambda tr: tr.get(0, "backward", "hidden_state")[6, 3]),
    (GradientTarget(output=2), lambda tr: np.log(tr.output[0, 2])),
])
def test_other_targets_match_finite_differences(bidir_model, target, fn):
    x = np.random.default_rng(2).standard_normal((T, 2))
    trace = Tracer(bidir_model, dtype=torch.float64).trace(x)
    g = compute_gradients(bidir_model, trace, target)
    np.testing.assert_allclose(g.input, _numeric_dx(bidir_model, x, fn), rtol=1e-6, atol=1e-9)
    if target.unit is not None:
        # layer 1 lies above the unit: nothing there reaches y
        assert not g.hidden[(1, "forward")].any() and not g.hidden[(1, "backward")].any()
        # a backward unit at step 6 reads inputs 6.. only
        assert not g.input[:6].any() and g.input[6:].any()
        assert "h of unit 3 (layer 0 backward) at step 6" == g.definition
    if target.step == 4:
        assert g.definition == "sum of layer 1's output at step 4 (the head reads only the final states)"


def test_forward_model_cannot_see_the_future():
    model = random_model(3, "gru", units=(6,), input_size=2, head_out=2, head_activation="identity")
    x = np.random.default_rng(3).standard_normal((9, 2))
    trace = Tracer(model).trace(x)
    g = compute_gradients(model, trace, GradientTarget(step=5))
    assert not g.input[6:].any() and not g.hidden[(0, "forward")][6:].any()
    assert g.input[:6].any()
    assert g.definition == "sum of the model's outputs at step 5"
    assert g.cell == {}


def test_forget_product():
    f = np.array([[0.5, 1.0], [0.9, 0.5], [0.8, 0.25], [0.1, 0.1]])
    p = forget_product(f, 2)
    np.testing.assert_allclose(p[:3], [[0.9 * 0.8, 0.125], [0.8, 0.25], [1, 1]])
    assert np.isnan(p[3]).all()
    r = forget_product(f, 1, reverse=True)  # a backward direction: c_t reaches c_1 through f_1 .. f_{t-1}
    np.testing.assert_allclose(r[1:], [[1, 1], [0.9, 0.5], [0.9 * 0.8, 0.125]])
    assert np.isnan(r[0]).all()


def test_csv_carries_the_gradients(tmp_path, bidir_model):
    x = np.random.default_rng(4).standard_normal((T, 2))
    trace = Tracer(bidir_model).trace(x)
    trace.gradients = compute_gradients(bidir_model, trace, GradientTarget(step=7))
    rows = save_csv(trace, tmp_path / "t.csv")
    columns, values, directions = read_csv(tmp_path / "t.csv")
    assert columns[-4:] == ["gradient.hidden_state", "gradient.cell_state", "gradient.input", "connectivity"]
    directions = np.array(directions)
    assert rows == len(values) == 2 * T * 5 + 2 * T * 4 + T * 2
    col = {name: i - 1 for i, name in enumerate(columns)}  # read_csv drops the direction column
    block = values[(directions == "backward") & (values[:, 0] == 1)]
    np.testing.assert_allclose(block[:, col["gradient.cell_state"]].reshape(T, 4),
                               trace.gradients.cell[(1, "backward")], rtol=1e-6, atol=1e-12)
    inputs = values[directions == "input"]
    assert (inputs[:, 0] == -1).all()
    np.testing.assert_allclose(inputs[:, col["gradient.input"]].reshape(T, 2), trace.gradients.input,
                               rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(inputs[::2, col["connectivity"]], trace.gradients.connectivity, rtol=1e-6)


def test_bundled_model_and_default_sample(tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert main(["trace", "bundled:brackets-lstm", "--gradients", "--target-unit", "0.f.3", "--target-step", "10",
                 "-o", str(out)]) == 0
    assert "h of unit 3 (layer 0 forward) at step 10" in capsys.readouterr().out
    with np.load(out) as data:
        assert not data["gradient.input"][11:].any()
        assert data["gradient.layer0.forward.hidden_state"][10, 3] == 1.0  # dy/dh of y itself


@pytest.mark.parametrize("argv, needles", [
    (["--gradients", "--target-step", "11"], ("target step 11 is outside the sequence", "0..10")),
    (["--gradients", "--target-class", "3"], ("target class 3 does not exist", "3 output(s), 0..2")),
    (["--gradients", "--target-unit", "2.forward.0"], ("layer 2 does not exist", "0..1")),
    (["--gradients", "--target-unit", "1.forward.4"], ("unit 4 does not exist", "units 0..3")),
    (["--gradients", "--target-unit", "one.forward.4"], ("is not LAYER.DIRECTION.UNIT", "0.forward.8")),
    (["--gradients", "--target-unit", "0.f.1", "--target-class", "1"], ("either a head output (class) or a unit",)),
    (["--target-step", "3"], ("add --gradients",)),
    (["--connectivity-matrix"], ("add --gradients",)),
])
def test_bad_targets_get_one_clear_line(tmp_path, files, capsys, argv, needles):
    model_file, seq = files
    out = tmp_path / "t.npz"
    assert main(["trace", str(model_file), str(seq), "-o", str(out), *argv]) == 2
    error_line(capsys, *needles)
    assert not out.exists()


def test_a_batch_is_refused(bidir_model):
    trace = Tracer(bidir_model).trace(np.zeros((3, T, 2)))
    with pytest.raises(SequenceError, match="gradients are computed for one sequence"):
        compute_gradients(bidir_model, trace)


def test_model_without_a_head_has_no_class(tmp_path, capsys):
    model = random_model(5, "rnn", units=(4,), input_size=2)
    path = save_model(model, tmp_path / "r.gvm")
    np.save(tmp_path / "x.npy", np.zeros((5, 2)))
    assert main(["trace", str(path), str(tmp_path / "x.npy"), "--gradients", "--target-class", "0",
                 "-o", str(tmp_path / "t.npz")]) == 2
    error_line(capsys, "has no head", "choose a unit")
