"""ONNX graphs as converters write them (issue 14), checked against onnxruntime to <= 1e-5.

- tf2onnx writes a Keras Dense on a sequence as MatMul -> Reshape (its shape computed at run time
  from Shape/Slice/Concat) -> Add: the Add's bias is the head's bias.
- An LSTM node may give the cell input (g) and the cell output (h) different functions.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures_frameworks import onnx_recurrent_outputs, onnx_run, open_model
from gateviz.core.engine import trace

TOL = 1e-5
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _tf2onnx_dense_model(path, *, H=5, I=3, out=4, activation=None, seed=0):
    """LSTM -> Squeeze -> Reshape(-1, H) -> MatMul -> Reshape(Concat(Shape(y)[:2], [out])) -> Add [-> act]."""
    rng = np.random.default_rng(seed)
    inits = [
        _const("W", rng.normal(0, 0.6, (1, 4 * H, I)).astype(np.float32)),
        _const("R", rng.normal(0, 0.6, (1, 4 * H, H)).astype(np.float32)),
        _const("B", rng.normal(0, 0.5, (1, 8 * H)).astype(np.float32)),
        _const("axes", np.array([1], dtype=np.int64)),
        _const("flat_shape", np.array([-1, H], dtype=np.int64)),
        _const("kernel", rng.normal(0, 0.7, (H, out)).astype(np.float32)),
        _const("bias", rng.normal(0, 1.0, (out,)).astype(np.float32) + 0.5),  # far from zero: dropping it shows
        _const("zero", np.array([0], dtype=np.int64)),
        _const("two", np.array([2], dtype=np.int64)),
        _const("units", np.array([out], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H, name="lstm"),
        helper.make_node("Squeeze", ["Y", "axes"], ["seq"]),  # (T, N, H)
        helper.make_node("Shape", ["seq"], ["seq_shape"]),
        helper.make_node("Slice", ["seq_shape", "zero", "two"], ["lead"]),  # [T, N]
        helper.make_node("Concat", ["lead", "units"], ["dense_shape"], axis=0),  # [T, N, out]
        helper.make_node("Reshape", ["seq", "flat_shape"], ["flat"]),  # (T*N, H)
        helper.make_node("MatMul", ["flat", "kernel"], ["mm"], name="dense/MatMul"),  # (T*N, out)
        helper.make_node("Reshape", ["mm", "dense_shape"], ["mm3"], name="dense/Tensordot"),  # (T, N, out)
        helper.make_node("Add", ["mm3", "bias"], ["logits"], name="dense/BiasAdd"),
    ]
    result = "logits"
    if activation:
        nodes.append(helper.make_node(activation, ["logits"], ["probs"]))
        result = "probs"
    graph = helper.make_graph(nodes, "tf2onnx_dense",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, I])],
                              [helper.make_tensor_value_info(result, TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    return rng.normal(0, 1.5, (11, 1, I)).astype(np.float32), numpy_helper.to_array(inits[6]), result


@pytest.mark.parametrize("activation", [None, "Sigmoid"])
def test_tf2onnx_dense_head_keeps_its_bias(tmp_path, activation):
    path = tmp_path / "dense.onnx"
    x, bias, result = _tf2onnx_dense_model(path, activation=activation)
    model = open_model(path)
    assert model.head is not None and model.head.on == "every_step"
    assert model.head.activation == (activation or "identity").lower()
    np.testing.assert_array_equal(model.head.bias, bias)
    tr = trace(model, x[:, 0])
    want = onnx_run(path, {"X": x})[result][:, 0]  # (T, out)
    np.testing.assert_allclose(tr.output, want, atol=TOL, rtol=0)
    np.testing.assert_allclose(tr.get(0, "forward", "hidden_state"), onnx_recurrent_outputs(path, {"X": x})[0][0][0],
                               atol=TOL, rtol=0)


def _lstm_node_model(path, attrs, *, D, H=4, I=3, seed=0):
    """One LSTM node with random initializers; input X (T, 1, I), output Y (T, D, 1, H)."""
    rng = np.random.default_rng(seed)
    inits = [_const("W", rng.normal(0, 0.6, (D, 4 * H, I)).astype(np.float32)),
             _const("R", rng.normal(0, 0.5, (D, 4 * H, H)).astype(np.float32)),
             _const("B", rng.normal(0, 0.5, (D, 8 * H)).astype(np.float32))]
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H, **attrs)
    graph = helper.make_graph([node], "lstm_gh", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, I])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    return rng.normal(0, 1.5, (13, 1, I)).astype(np.float32)


GH_CASES = {  # (attributes, direction count, what `gateviz info` says of layer 0)
    "relu_output": (dict(activations=["Sigmoid", "Tanh", "Relu"]), 1, "output_activation=relu"),
    "softsign_output_reverse": (dict(activations=["Sigmoid", "Tanh", "Softsign"], direction="reverse"), 1,
                                "output_activation=softsign"),
    "bidirectional_each_its_own": (dict(direction="bidirectional",
                                        activations=["Sigmoid", "Tanh", "Relu", "Sigmoid", "Softsign", "ScaledTanh"],
                                        activation_alpha=[1.3], activation_beta=[0.8]), 2,
                                   "forward output_activation=relu"),
    "bidirectional_backward_only": (dict(direction="bidirectional",
                                         activations=["Sigmoid", "Tanh", "Tanh", "Sigmoid", "Tanh", "Relu"]), 2,
                                    "backward output_activation=relu"),
}


@pytest.mark.parametrize("case", sorted(GH_CASES))
def test_lstm_with_its_own_cell_output_activation_matches_onnxruntime(tmp_path, case, capsys):
    from gateviz.cli import main
    from gateviz.formats.gateviz_file import save_model

    attrs, D, said = GH_CASES[case]
    path = tmp_path / f"{case}.onnx"
    x = _lstm_node_model(path, attrs, D=D, seed=len(case))
    model = open_model(path)
    tr = trace(model, x[:, 0])
    want = onnx_recurrent_outputs(path, {"X": x})[0]  # per direction (N, T, H)
    for name, y in zip(model.layers[0].direction_names(), want):
        np.testing.assert_allclose(tr.get(0, name, "hidden_state"), y[0], atol=TOL, rtol=0)
    # the same model with h = o*tanh(c) differs: the output activation is what made it match
    for layer in model.layers:
        layer.output_activation = None
        for d in layer.directions:
            d.output_activation = None
    plain = trace(model, x[:, 0])
    assert max(np.abs(plain.get(0, n, "hidden_state") - y[0]).max()
               for n, y in zip(model.layers[0].direction_names(), want)) > 1e-2
    # saved as a gateviz file, it keeps its h functions
    saved = save_model(open_model(path), tmp_path / "m.gvm")
    again = trace(open_model(saved), x[:, 0])
    for name, y in zip(model.layers[0].direction_names(), want):
        np.testing.assert_allclose(again.get(0, name, "hidden_state"), y[0], atol=TOL, rtol=0)
    assert main(["info", str(path)]) == 0
    assert said in capsys.readouterr().out


def test_engine_and_reference_agree_on_an_output_activation():
    """The engine's step (core/cell_step.py) and the numpy reference (tests/reference.py) read ψ the same way:
    the layer's, a direction's own, else φ; float64 so that only the formulas can differ."""
    from gateviz.core.activations import Activation
    from reference import random_model, reference_trace

    model = random_model(7, "lstm", units=(5, 4), input_size=3, dtype=np.float64, bidirectional=True,
                         output_activation=Activation("relu"))
    model.layers[1].directions[1].output_activation = Activation("softsign")
    x = np.random.default_rng(8).standard_normal((9, 3))
    tr, ref = trace(model, x), reference_trace(model, x)
    for (k, name), q in ref.items():
        for quantity, values in q.items():
            np.testing.assert_allclose(tr.get(k, name, quantity), values, atol=1e-9, rtol=0)
    for key, psi in (((0, "forward"), lambda c: np.maximum(c, 0)), ((0, "backward"), lambda c: np.maximum(c, 0)),
                     ((1, "forward"), lambda c: np.maximum(c, 0)), ((1, "backward"), lambda c: c / (1 + np.abs(c)))):
        q = ref[key]
        np.testing.assert_allclose(q["hidden_state"], q["output_gate"] * psi(q["cell_state"]), atol=1e-12, rtol=0)
    assert ref[(0, "forward")]["cell_state"].min() < 0  # where relu and tanh part


def test_gradients_through_an_output_activation_match_finite_differences():
    """dy/dx_t for y = a unit's h at the last step, against central differences of the numpy reference."""
    from gateviz.core.activations import Activation
    from gateviz.core.gradients import GradientTarget, compute_gradients
    from reference import random_model, reference_trace

    model = random_model(9, "lstm", units=(4, 3), input_size=2, dtype=np.float64,
                         output_activation=Activation("softsign"))
    x = np.random.default_rng(10).standard_normal((7, 2))
    target = GradientTarget(unit=(1, "forward", 2))
    got = compute_gradients(model, trace(model, x), target).input  # (T, F)

    def y(xs):
        return reference_trace(model, xs)[(1, "forward")]["hidden_state"][-1, 2]

    eps, want = 1e-6, np.zeros_like(x)
    for t in range(x.shape[0]):
        for f in range(x.shape[1]):
            up, down = x.copy(), x.copy()
            up[t, f] += eps
            down[t, f] -= eps
            want[t, f] = (y(up) - y(down)) / (2 * eps)
    np.testing.assert_allclose(got, want, atol=1e-7, rtol=0)
    assert np.abs(want).max() > 1e-3
