"""ONNX files -> gateviz, checked against onnxruntime (and torch for exported models).

Fixtures come from torch.onnx.export (the TorchScript exporter, dynamo=False, which torch
2.13 still ships and which is ~10x faster here; one test uses the dynamo exporter too) and
from onnx.helper for the options torch never writes (peepholes, clip, input_forget, other
activations). Per-node, per-direction hidden states and the model output must equal
onnxruntime's to <= 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures_frameworks import max_abs, onnx_recurrent_outputs, onnx_run, open_model
from gateviz.core.engine import trace
from gateviz.core.errors import FormatError

TOL = 1e-5
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def check_against_ort(path, feeds: dict, sequence, *, module=None) -> dict[str, float]:
    """Trace `sequence` (a batch (N, T, F) or tokens (N, T)) with gateviz; compare every node's Y per direction and the graph output with onnxruntime."""
    gm = open_model(path, module=module)
    assert gm.framework == "onnx"
    tr = trace(gm, sequence)
    errors = {}
    for k, (layer, dirs) in enumerate(zip(gm.layers, onnx_recurrent_outputs(path, feeds))):
        for name, y in zip(layer.direction_names(), dirs):
            errors[f"layer{k}.{name}"] = max_abs(tr.states[(k, name)]["hidden_state"], y)
    if gm.head is not None:
        y = onnx_run(path, feeds)[onnx.load(str(path)).graph.output[0].name]
        mode = tr.meta["output_mode"]
        got = {"final": lambda: tr.output[:, 0], "running": lambda: tr.output[:, -1]}.get(mode, lambda: tr.output)()
        if mode == "per_step" and y.ndim == got.ndim - 1:  # the graph keeps only the last step's output
            got = got[:, -1]
        errors["output"] = max_abs(got, y)
    assert max(errors.values()) <= TOL, errors
    return errors


# --------------------------------------------------------------------------- torch.onnx.export


class EmbedBiLSTM(torch.nn.Module):
    """nn.Embedding -> 2-layer bidirectional LSTM -> Linear + softmax at every step."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, 4)
        self.rnn = torch.nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = torch.nn.Linear(10, 3)

    def forward(self, x):
        y, _ = self.rnn(self.emb(x))
        return torch.softmax(self.fc(y), -1)


@pytest.mark.parametrize("dynamo", [False, True])
def test_torch_export_bidirectional_lstm(tmp_path, dynamo):
    torch.manual_seed(0)
    model = EmbedBiLSTM().eval()
    tokens = torch.randint(0, 10, (2, 7))
    path = tmp_path / "bilstm.onnx"
    torch.onnx.export(model, (tokens,), str(path), dynamo=dynamo, input_names=["tokens"], output_names=["probs"])
    gm = open_model(path)
    from gateviz.formats import describe_modules

    assert ": LSTM(5, bidirectional) -> LSTM(5, bidirectional)  [" in describe_modules(path)[0]
    assert gm.input.kind == "embedding" and gm.input.embedding.shape == (10, 4)
    assert len(gm.layers) == 2 and all(layer.bidirectional for layer in gm.layers)
    assert gm.head.activation == "softmax" and gm.head.on == "every_step"
    check_against_ort(path, {"tokens": tokens.numpy()}, tokens.numpy())
    with torch.no_grad():
        expected = model(tokens).numpy()
    assert max_abs(trace(gm, tokens.numpy()).output, expected) <= TOL


class GRUFinal(torch.nn.Module):
    """2-layer GRU, classifier on the last layer's final state h_n[-1] (+ sigmoid)."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(3, 6, num_layers=2)
        self.fc = torch.nn.Linear(6, 2)

    def forward(self, x):
        _, h = self.rnn(x)
        return torch.sigmoid(self.fc(h[-1]))


def test_torch_export_gru_final_state_head(tmp_path):
    torch.manual_seed(1)
    model = GRUFinal().eval()
    x = torch.randn(9, 1, 3)  # (T, N, F), time-major like nn.GRU's default
    path = tmp_path / "gru.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=False, input_names=["x"], output_names=["p"])
    gm = open_model(path)
    assert gm.cell == "gru" and len(gm.layers) == 2 and gm.layers[0].reset_after
    assert gm.head.on == "final_state" and gm.head.activation == "sigmoid"
    check_against_ort(path, {"x": x.numpy()}, x.numpy().transpose(1, 0, 2))  # batched (N, T, F)
    tr = trace(gm, x.numpy()[:, 0])
    with torch.no_grad():
        h_all, _ = model.rnn(x)
        assert max_abs(tr.states[(1, "forward")]["hidden_state"], h_all[:, 0].numpy()) <= TOL
        assert max_abs(tr.output[-1], model(x)[0].numpy()) <= TOL


def test_torch_export_relu_rnn_batch_first_last_step(tmp_path):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.RNN(2, 4, nonlinearity="relu", batch_first=True, bidirectional=True)
            self.fc = torch.nn.Linear(8, 3)

        def forward(self, x):
            y, _ = self.rnn(x)
            return self.fc(y)

    torch.manual_seed(2)
    model = M().eval()
    x = torch.randn(2, 6, 2)
    path = tmp_path / "rnn.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=False, input_names=["x"], output_names=["y"])
    gm = open_model(path)
    assert gm.cell == "rnn" and gm.layers[0].activation.name == "relu"
    check_against_ort(path, {"x": x.numpy()}, x.numpy())


# --------------------------------------------------------------------------- hand-built nodes


def _node_model(path, op, attrs, *, D, H, I, seed, peepholes=False, bias=True, scale=0.6, as_constants=False):
    """One LSTM/GRU/RNN node with random initializers; input X (T, 1, I); outputs Y."""
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(rng.normal(0, 0.6, (D, G * H, I)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(0, scale, (D, G * H, H)).astype(np.float32), "R")]
    inputs = ["X", "W", "R", ""]
    if bias:
        inits.append(numpy_helper.from_array(rng.normal(0, 0.5, (D, 2 * G * H)).astype(np.float32), "B"))
        inputs[3] = "B"
    if peepholes:
        inits.append(numpy_helper.from_array(rng.normal(0, 0.5, (D, 3 * H)).astype(np.float32), "P"))
        inputs += ["", "", "", "P"]
    nodes = [helper.make_node(op, inputs, ["Y", "Y_h"], hidden_size=H, **attrs)]
    if as_constants:  # weights as Constant nodes instead of initializers
        nodes = [helper.make_node("Constant", [], [t.name], value=t) for t in inits] + nodes
        inits = []
    graph = helper.make_graph(nodes, f"{op.lower()}_node",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, I])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    return rng.normal(0, 1.5, (12, 1, I)).astype(np.float32)


HAND_BUILT = {
    "lstm_peepholes_bidirectional": ("LSTM", dict(direction="bidirectional"), dict(peepholes=True)),
    "lstm_clip": ("LSTM", dict(clip=0.7), {}),
    "lstm_input_forget_reverse": ("LSTM", dict(input_forget=1, direction="reverse"), dict(peepholes=True)),
    "lstm_activations": ("LSTM", dict(activations=["HardSigmoid", "Softsign", "Softsign"],
                                      activation_alpha=[0.3], activation_beta=[0.4]), {}),
    "lstm_per_direction_activations": ("LSTM", dict(direction="bidirectional",
                                                    activations=["Sigmoid", "Tanh", "Tanh",
                                                                 "HardSigmoid", "ScaledTanh", "ScaledTanh"],
                                                    activation_alpha=[0.25, 1.5, 1.5],
                                                    activation_beta=[0.5, 0.7, 0.7]), {}),
    "gru_linear_before_reset_0_clip": ("GRU", dict(linear_before_reset=0, direction="bidirectional", clip=0.8), {}),
    "gru_weights_in_constant_nodes": ("GRU", dict(linear_before_reset=1), dict(as_constants=True)),
    "gru_linear_before_reset_1_clip": ("GRU", dict(linear_before_reset=1, clip=0.9), {}),
    "gru_activations": ("GRU", dict(activations=["HardSigmoid", "LeakyRelu"], activation_alpha=[0.3, 0.05],
                                    activation_beta=[0.45]), {}),
    "rnn_affine_no_bias": ("RNN", dict(activations=["Affine"], activation_alpha=[0.5], activation_beta=[0.1]),
                           dict(bias=False)),
    "rnn_scaled_tanh_bidirectional": ("RNN", dict(direction="bidirectional", activations=["ScaledTanh", "Relu"],
                                                  activation_alpha=[1.7], activation_beta=[0.6]),
                                      dict(scale=0.3)),  # keep the relu direction from growing large
    "rnn_softsign_clip": ("RNN", dict(activations=["Softsign"], clip=0.5), {}),
}


@pytest.mark.parametrize("case", sorted(HAND_BUILT))
def test_hand_built_node_matches_onnxruntime(tmp_path, case):
    op, attrs, extra = HAND_BUILT[case]
    path = tmp_path / f"{case}.onnx"
    D = 2 if attrs.get("direction") == "bidirectional" else 1
    x = _node_model(path, op, attrs, D=D, H=5, I=3, seed=len(case), **extra)
    check_against_ort(path, {"X": x}, x.transpose(1, 0, 2))  # batched (N, T, F)
    layer = open_model(path).layers[0]
    if "clip" in attrs:
        assert layer.gate_clip == pytest.approx(attrs["clip"])
    if extra.get("peepholes"):
        assert layer.has_peepholes
    assert layer.input_forget == bool(attrs.get("input_forget", 0))


def test_lstm_with_different_cell_input_and_output_activations(tmp_path):
    # issue 14: opened (h = o*relu(c)) and exact; more cases in test_onnx_converters.py
    path = tmp_path / "gh.onnx"
    x = _node_model(path, "LSTM", dict(activations=["Sigmoid", "Tanh", "Relu"]), D=1, H=3, I=2, seed=0)
    layer = open_model(path).layers[0]
    assert layer.activation.name == "tanh" and layer.output_activation.name == "relu"
    check_against_ort(path, {"X": x}, x.transpose(1, 0, 2))


def test_onnx_without_recurrent_node(tmp_path):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=(3, 2)).astype(np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [w])
    path = tmp_path / "mlp.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(FormatError, match="no LSTM, GRU or RNN node.*MatMul"):
        open_model(path)


def test_cli_info_onnx(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    good = tmp_path / "node.onnx"
    _node_model(good, "GRU", dict(linear_before_reset=1, direction="bidirectional"), D=2, H=4, I=3, seed=0)
    proc = subprocess.run([sys.executable, "-m", "gateviz", "info", str(good)], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "GRU 4 units, input 3 (bidirectional, merge=concat; reset_after=True)" in proc.stdout
    bad = tmp_path / "mlp.onnx"
    w = numpy_helper.from_array(np.ones((3, 2), np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [w])
    onnx.save(helper.make_model(graph), str(bad))
    proc = subprocess.run([sys.executable, "-m", "gateviz", "info", str(bad)], cwd=root, capture_output=True,
                          text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and "no LSTM, GRU or RNN node" in lines[0]


class Classifier(torch.nn.Module):
    """A classifier head on the final state, in the two ways people write it."""

    def __init__(self, cell, bidirectional, use_h_n):
        super().__init__()
        rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
        self.rnn = rnn(3, 5, batch_first=True, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(10 if bidirectional else 5, 4)
        self.use_h_n = use_h_n

    def forward(self, x):
        y, h = self.rnn(x)
        h = h[0] if isinstance(h, tuple) else h
        if self.use_h_n:  # each direction's final state
            last = torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1]
        else:  # the last step of y
            last = y[:, -1]
        return torch.softmax(self.fc(last), -1)


@pytest.mark.parametrize("cell,bidirectional,use_h_n,expected_on", [
    ("gru", True, True, "final_state"),
    ("lstm", False, False, "final_state"),
    ("lstm", True, False, "every_step"),  # a backward direction's last step is not its final state
])
def test_torch_export_classifier_heads(tmp_path, cell, bidirectional, use_h_n, expected_on):
    torch.manual_seed(3)
    model = Classifier(cell, bidirectional, use_h_n).eval()
    x = torch.randn(2, 8, 3)
    path = tmp_path / "clf.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=False, input_names=["x"], output_names=["p"])
    gm = open_model(path)
    assert gm.head.on == expected_on and gm.head.activation == "softmax"
    check_against_ort(path, {"x": x.numpy()}, x.numpy())
    tr = trace(gm, x.numpy())
    got = tr.output[:, 0] if tr.meta["output_mode"] == "final" else tr.output[:, -1]
    with torch.no_grad():
        assert max_abs(got, model(x).numpy()) <= TOL


def test_untraceable_op_before_the_node_needs_module(tmp_path):
    rng = np.random.default_rng(5)
    H, I = 3, 2
    inits = [numpy_helper.from_array(rng.normal(size=(1, 4 * H, I)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(size=(1, 4 * H, H)).astype(np.float32), "R")]
    nodes = [helper.make_node("Relu", ["X"], ["Xr"], name="rectify"),
             helper.make_node("LSTM", ["Xr", "W", "R"], ["Y"], hidden_size=H, name="lstm_a")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, I])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    path = tmp_path / "relu_lstm.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    with pytest.raises(FormatError, match=r"rectify \(Relu\).*--module lstm_a"):
        open_model(path)
    gm = open_model(path, module="lstm_a")
    x = rng.normal(size=(6, 1, I)).astype(np.float32)
    y = onnx_run(path, {"X": x})["Y"]  # (T, 1, 1, H)
    assert max_abs(trace(gm, np.maximum(x[:, 0], 0)).states[(0, "forward")]["hidden_state"], y[:, 0, 0]) <= TOL
