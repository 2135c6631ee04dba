"""PyTorch cells driven by hand (nn.LSTMCell, nn.GRUCell, nn.RNNCell) read from state_dicts (issue 14).

Every number is checked against the same torch cells stepped in a Python loop, as the user's own
forward() does (pytorch/examples' time_sequence_prediction).
"""

import json

import numpy as np
import pytest
import torch

from cli_checks import error_line
from gateviz.cli import main
from gateviz.core.engine import trace
from gateviz.core.errors import FormatError, ModuleChoiceRequired
from gateviz.formats import describe_modules, list_modules, load_model
from gateviz.formats.torch_state import layers_from_module


class Sequence(torch.nn.Module):
    """pytorch/examples time_sequence_prediction: LSTMCell(1, 51) -> LSTMCell(51, 51) -> Linear(51, 1)."""

    def __init__(self, hidden=51):
        super().__init__()
        self.lstm1 = torch.nn.LSTMCell(1, hidden)
        self.lstm2 = torch.nn.LSTMCell(hidden, hidden)
        self.linear = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        """x (T, 1) -> every h and c of both cells and the Linear's output, step by step as the example does."""
        h1 = c1 = torch.zeros(1, self.lstm1.hidden_size)
        h2 = c2 = torch.zeros(1, self.lstm2.hidden_size)
        out = {"h1": [], "c1": [], "h2": [], "c2": [], "y": []}
        for xt in x.split(1, dim=0):  # xt (1, 1)
            h1, c1 = self.lstm1(xt, (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            for key, v in (("h1", h1), ("c1", c1), ("h2", h2), ("c2", c2), ("y", self.linear(h2))):
                out[key].append(v[0])
        return {k: torch.stack(v).numpy() for k, v in out.items()}


def _drive(cells, x):
    """Hidden states (and LSTM cell states) of chained cells stepped by hand: [(h (T, H), c (T, H) | None)]."""
    states = [None] * len(cells)
    outs = [([], []) for _ in cells]
    with torch.no_grad():
        for xt in torch.as_tensor(x, dtype=torch.float32).split(1, dim=0):
            inp = xt
            for k, cell in enumerate(cells):
                states[k] = cell(inp, states[k])
                h, c = states[k] if isinstance(cell, torch.nn.LSTMCell) else (states[k], None)
                outs[k][0].append(h[0])
                if c is not None:
                    outs[k][1].append(c[0])
                inp = h
    return [(torch.stack(h).numpy(), torch.stack(c).numpy() if c else None) for h, c in outs]


def test_time_sequence_prediction_matches_the_hand_driven_loop(tmp_path):
    torch.manual_seed(0)
    net = Sequence()
    path = tmp_path / "seq.pt"
    torch.save(net.state_dict(), path)
    model = load_model(path)
    assert [layer.cell for layer in model.layers] == ["lstm", "lstm"]
    assert [layer.units for layer in model.layers] == [51, 51] and model.input_size == 1
    assert model.head is not None and model.head.on == "every_step"
    x = np.sin(np.arange(40, dtype=np.float32) / 4.0)[:, None] * 0.9
    with torch.no_grad():
        want = net(torch.as_tensor(x))
    tr = trace(model, x)
    for k in (0, 1):
        np.testing.assert_allclose(tr.get(k, "forward", "hidden_state"), want[f"h{k + 1}"], atol=1e-5, rtol=0)
        np.testing.assert_allclose(tr.get(k, "forward", "cell_state"), want[f"c{k + 1}"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(tr.output, want["y"], atol=1e-5, rtol=0)
    assert list_modules(path) == ["lstm1"]
    assert describe_modules(path) == ["lstm1 -> lstm2: 2 chained LSTMCells, input 1, hidden 51, 51"]
    assert load_model(path, module="lstm2").layers[0].input_size == 1  # any cell's name picks the stack


def test_info_describes_chained_cells(tmp_path, capsys):
    torch.manual_seed(0)
    path = tmp_path / "seq.pt"
    torch.save(Sequence(hidden=6).state_dict(), path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 chained nn.LSTMCells driven step by step" in out and "head linear" in out
    assert "layer 1:    LSTM 6 units, input 6" in out and "head:       linear 6 -> 1" in out
    assert main(["info", str(path), "--json"]) == 0
    desc = json.loads(capsys.readouterr().out)
    assert desc["units"] == [6, 6] and desc["head"]["out_features"] == 1


@pytest.mark.parametrize("cls, kw, nonlinearity", [
    (torch.nn.GRUCell, {}, "tanh"),
    (torch.nn.RNNCell, {"nonlinearity": "tanh"}, "tanh"),
    (torch.nn.RNNCell, {"nonlinearity": "relu"}, "relu"),
    (torch.nn.LSTMCell, {"bias": False}, "tanh"),
    (torch.nn.GRUCell, {"bias": False}, "tanh"),
    (torch.nn.RNNCell, {"nonlinearity": "relu", "bias": False}, "relu"),
])
def test_cells_of_every_kind_match_torch(tmp_path, cls, kw, nonlinearity):
    torch.manual_seed(3)
    net = torch.nn.Module()
    net.enc = cls(3, 7, **kw)
    net.cell = cls(7, 5, **kw)
    path = tmp_path / "cells.pt"
    torch.save({"model_state_dict": net.state_dict(), "epoch": 2}, path)
    model = load_model(path, nonlinearity=nonlinearity)
    assert [layer.units for layer in model.layers] == [7, 5] and model.head is None
    if "bias" in kw:
        assert not any(layer.directions[0].bx.any() or layer.directions[0].bh.any() for layer in model.layers)
    x = np.random.default_rng(1).standard_normal((15, 3)).astype(np.float32)
    want = _drive([net.enc, net.cell], x)
    tr = trace(model, x)
    for k, (h, c) in enumerate(want):
        np.testing.assert_allclose(tr.get(k, "forward", "hidden_state"), h, atol=1e-5, rtol=0)
        if c is not None:
            np.testing.assert_allclose(tr.get(k, "forward", "cell_state"), c, atol=1e-5, rtol=0)
    if nonlinearity == "relu":  # the flag matters: a relu cell read as tanh is wrong, not silently close
        wrong = trace(load_model(path), x).get(1, "forward", "hidden_state")
        assert np.abs(wrong - want[1][0]).max() > 1e-2


def test_a_single_top_level_cell_and_a_live_one(tmp_path):
    torch.manual_seed(4)
    cell = torch.nn.RNNCell(2, 4, nonlinearity="relu")
    path = tmp_path / "cell.pt"
    torch.save(cell.state_dict(), path)
    assert describe_modules(path) == ["(top level): RNNCell input 2, hidden 4"]
    x = np.random.default_rng(2).standard_normal((9, 2)).astype(np.float32)
    want = _drive([cell], x)[0][0]
    np.testing.assert_allclose(trace(load_model(path, nonlinearity="relu"), x).get(0, "forward", "hidden_state"),
                               want, atol=1e-5, rtol=0)
    # a live cell knows its nonlinearity, and so does a live module holding chained cells
    from gateviz.core.model import InputStage, RecurrentModel

    live = RecurrentModel(layers_from_module(cell), input=InputStage(features=2)).validate()
    np.testing.assert_allclose(trace(live, x).get(0, "forward", "hidden_state"), want, atol=1e-5, rtol=0)
    net = Sequence(hidden=5)
    layers = layers_from_module(net)
    assert [layer.units for layer in layers] == [5, 5]
    got = trace(RecurrentModel(layers, input=InputStage(features=1)).validate(), x[:, :1])
    np.testing.assert_allclose(got.get(1, "forward", "hidden_state"), _drive([net.lstm1, net.lstm2], x[:, :1])[1][0],
                               atol=1e-5, rtol=0)


def test_cells_that_do_not_chain_are_separate_modules(tmp_path, capsys):
    torch.manual_seed(5)
    net = torch.nn.Module()
    net.encoder = torch.nn.LSTMCell(3, 8)
    net.decoder = torch.nn.LSTMCell(4, 6)  # reads 4 features, not the encoder's 8: not a stack
    net.norm = torch.nn.LayerNorm(6)
    net.post = torch.nn.LSTMCell(6, 6)  # its sizes chain, but the LayerNorm sits between: not a stack either
    net.fc = torch.nn.Linear(6, 2)
    path = tmp_path / "two.pt"
    torch.save(net.state_dict(), path)
    assert list_modules(path) == ["encoder", "decoder", "post"]
    with pytest.raises(ModuleChoiceRequired, match="holds 3 recurrent modules.*LSTMCell.*--module NAME"):
        load_model(path)
    dec = load_model(path, module="decoder")
    assert len(dec.layers) == 1 and dec.input_size == 4
    x = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(trace(dec, x).get(0, "forward", "hidden_state"), _drive([net.decoder], x)[0][0],
                               atol=1e-5, rtol=0)
    post = load_model(path, module="post")
    assert len(post.layers) == 1 and post.head is not None and post.head.out_features == 2
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "holds 3 recurrent modules" in out and "decoder: LSTMCell input 4, hidden 6" in out
    xs = np.random.default_rng(4).standard_normal((5, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", xs)
    args = ["trace", str(path), str(tmp_path / "x.npy"), "-o", str(tmp_path / "t.npz")]
    assert main(args) == 2
    error_line(capsys, "--module NAME")
    assert main(args + ["--module", "post"]) == 0
    with np.load(tmp_path / "t.npz") as saved:
        np.testing.assert_allclose(saved["layer0.forward.hidden_state"], _drive([net.post], xs)[0][0],
                                   atol=1e-5, rtol=0)


def test_a_damaged_cell_is_named(tmp_path, capsys):
    sd = torch.nn.GRUCell(3, 4).state_dict()
    del sd["bias_hh"]
    path = tmp_path / "bad.pt"
    torch.save({f"rnn.{k}": v for k, v in sd.items()}, path)
    with pytest.raises(FormatError, match=r"missing tensor rnn\.bias_hh.*GRUCell"):
        load_model(path)
    sd = {"cell.weight_ih": torch.zeros(10, 3), "cell.weight_hh": torch.zeros(10, 4)}
    torch.save(sd, path)
    assert main(["info", str(path)]) == 2
    error_line(capsys, "weight_ih has 10 rows", "nn.LSTMCell 4x")


@pytest.mark.parametrize("kind", ["safetensors", "compiled"])
def test_chained_cells_in_safetensors_and_under_a_prefix(tmp_path, kind):
    from safetensors.torch import save_file

    torch.manual_seed(6)
    net = Sequence(hidden=7)
    if kind == "safetensors":  # tensors listed sorted by name: lstm1.*, lstm2.*, linear.* still chain
        path = tmp_path / "seq.safetensors"
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    else:  # torch.compile's wrapper prefixes every key
        path = tmp_path / "seq.pt"
        torch.save({f"_orig_mod.{k}": v for k, v in net.state_dict().items()}, path)
    model = load_model(path)
    assert len(model.layers) == 2 and model.head is not None
    x = np.cos(np.arange(25, dtype=np.float32) / 3.0)[:, None]
    with torch.no_grad():
        want = net(torch.as_tensor(x))
    tr = trace(model, x)
    np.testing.assert_allclose(tr.get(1, "forward", "cell_state"), want["c2"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(tr.output, want["y"], atol=1e-5, rtol=0)


def test_a_custom_weight_ih_does_not_hide_a_real_module(tmp_path):
    torch.manual_seed(7)
    gru = torch.nn.GRU(3, 4)
    sd = {f"rnn.{k}": v for k, v in gru.state_dict().items()}
    sd.update({"attn.weight_ih": torch.zeros(5, 3), "attn.weight_hh": torch.zeros(5, 2)})  # no cell's shapes
    path = tmp_path / "mixed.pt"
    torch.save(sd, path)
    assert list_modules(path) == ["rnn"]
    x = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)
    with torch.no_grad():
        want = gru(torch.as_tensor(x)[:, None])[0][:, 0].numpy()
    np.testing.assert_allclose(trace(load_model(path), x).get(0, "forward", "hidden_state"), want, atol=1e-5, rtol=0)
