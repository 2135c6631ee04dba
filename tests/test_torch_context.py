"""PyTorch state_dicts with an nn.Embedding before and an nn.Linear after the recurrent module,
as .pt and as .safetensors of the same weights: opened with that embedding and head, checked
against torch itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from fixtures_frameworks import max_abs, open_model
from gateviz.core.engine import trace

TOL = 1e-5
ROOT = Path(__file__).resolve().parents[1]


class Tagger(torch.nn.Module):
    """tokens -> Embedding(20, 6) -> 2-layer bidirectional LSTM(8) -> Linear(16, 5) at every step."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(20, 6)
        self.rnn = torch.nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = torch.nn.Linear(16, 5)

    def forward(self, tokens):
        y, _ = self.rnn(self.embedding(tokens))
        return self.fc(y)


@pytest.fixture(scope="module")
def tagger_files(tmp_path_factory):
    torch.manual_seed(0)
    model = Tagger().eval()
    folder = tmp_path_factory.mktemp("torch")
    pt, st = folder / "tagger.pt", folder / "tagger.safetensors"
    torch.save(model.state_dict(), pt)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(st))
    return model, pt, st


@pytest.mark.parametrize("which", ["pt", "safetensors"])
def test_embedding_and_linear_found_and_exact(tagger_files, which):
    model, pt, st = tagger_files
    gm = open_model(pt if which == "pt" else st)
    assert gm.input.kind == "embedding" and gm.input.embedding.shape == (20, 6)
    assert gm.head is not None and gm.head.on == "every_step" and (gm.head.out_features, gm.head.in_features) == (5, 16)
    assert "embedding embedding" in gm.name and "head fc" in gm.name
    tokens = torch.tensor([[3, 19, 0, 7, 7, 12, 1], [5, 5, 2, 18, 9, 4, 11]])
    tr = trace(gm, tokens.numpy())
    with torch.no_grad():
        expected = model(tokens).numpy()
        emb = model.embedding(tokens)
        y_top, _ = model.rnn(emb)
        # layer 0 on its own: a 1-layer LSTM with the l0 weights
        l0 = torch.nn.LSTM(6, 8, bidirectional=True, batch_first=True)
        l0.load_state_dict({k: v for k, v in model.rnn.state_dict().items() if "_l0" in k})
        y0, _ = l0(emb)
    for k, y in ((0, y0), (1, y_top)):
        assert max_abs(tr.states[(k, "forward")]["hidden_state"], y[..., :8].numpy()) <= TOL
        assert max_abs(tr.states[(k, "backward")]["hidden_state"], y[..., 8:].numpy()) <= TOL
    assert max_abs(tr.output, expected) <= TOL


def test_pt_and_safetensors_give_the_same_model(tagger_files):
    _, pt, st = tagger_files
    a, b = open_model(pt), open_model(st)
    tokens = np.array([1, 2, 3, 4])
    ta, tb = trace(a, tokens), trace(b, tokens)
    np.testing.assert_array_equal(ta.output, tb.output)
    np.testing.assert_array_equal(ta.states[(1, "backward")]["cell_state"], tb.states[(1, "backward")]["cell_state"])


def test_gru_with_head_reading_the_wrong_width_is_not_a_head(tmp_path):
    """A Linear that does not read the recurrent output (here a projection of something else) is left out."""
    torch.manual_seed(1)
    state = {**{f"rnn.{k}": v for k, v in torch.nn.GRU(3, 4).state_dict().items()},
             "other.weight": torch.randn(2, 7), "other.bias": torch.randn(2)}
    path = tmp_path / "gru.safetensors"
    save_file(state, str(path))
    gm = open_model(path)
    assert gm.head is None and gm.input.kind == "raw" and gm.cell == "gru"


def test_cli_info_shows_embedding_and_head(tagger_files):
    _, _, st = tagger_files
    proc = subprocess.run([sys.executable, "-m", "gateviz", "info", str(st)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "embedding 20x6" in proc.stdout and "linear 16 -> 5" in proc.stdout
