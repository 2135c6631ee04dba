"""`gateviz trace` and `gateviz info`: files written, what is printed, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from reference import random_model

from gateviz.cli import main
from gateviz.core import InputStage
from gateviz.formats import save_model

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lstm_file(tmp_path):
    model = random_model(0, "lstm", units=(5, 4), input_size=2, bidirectional=True, head_out=3,
                         head_activation="softmax", head_on="final_state")
    model.task = {"name": "digits"}
    return save_model(model, tmp_path / "m.gvm")


@pytest.fixture
def seq_file(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).standard_normal((11, 2)))
    return path


def _error_line(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gateviz: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_trace_writes_the_trace_file(tmp_path, lstm_file, seq_file, capsys):
    out = tmp_path / "t.npz"
    assert main(["trace", str(lstm_file), str(seq_file), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    with np.load(out, allow_pickle=False) as data:
        assert data["layer1.backward.cell_state"].shape == (11, 4)
        assert data["layer0.forward.input_gate"].shape == (11, 5)
        assert data["output"].shape == (1, 3)
        meta = json.loads(str(data["meta"]))
    assert meta["input_file"] == str(seq_file) and meta["task"] == {"name": "digits"}


def test_trace_refuses_to_overwrite_without_force(tmp_path, lstm_file, seq_file, capsys):
    out = tmp_path / "t.npz"
    out.write_bytes(b"keep me")
    assert main(["trace", str(lstm_file), str(seq_file), "-o", str(out)]) == 2
    assert "already exists; pass --force" in _error_line(capsys)
    assert out.read_bytes() == b"keep me"
    assert main(["trace", str(lstm_file), str(seq_file), "-o", str(out), "--force", "--float64"]) == 0
    with np.load(out) as data:
        assert data["layer0.forward.hidden_state"].dtype == np.float64


def test_trace_csv_and_text_inputs(tmp_path, capsys):
    model = random_model(1, "gru", units=(3,), input_size=2)
    path = save_model(model, tmp_path / "g.gvm")
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n0.5,1\n1.5,-2\n\n3,4\n")
    assert main(["trace", str(path), str(csv), "-o", str(tmp_path / "g.npz")]) == 0
    with np.load(tmp_path / "g.npz") as data:
        assert data["layer0.forward.update_gate"].shape == (3, 3)
    text_model = random_model(2, "lstm", units=(3,), input_size=3)
    text_model.input = InputStage("onehot", vocab=list("ab "))
    tpath = save_model(text_model, tmp_path / "t.gvm")
    txt = tmp_path / "in.txt"
    txt.write_text("ab ba\n")  # the editor's final newline is not part of the input
    assert main(["trace", str(tpath), str(txt), "-o", str(tmp_path / "t.npz")]) == 0
    with np.load(tmp_path / "t.npz") as data:
        assert data["layer0.forward.cell_state"].shape == (5, 3)


def test_info_prints_the_summary(lstm_file, capsys):
    assert main(["info", str(lstm_file)]) == 0
    out = capsys.readouterr().out
    assert "format:     gateviz" in out
    assert "LSTM, 2 layer(s), units 5, 4, directions forward+backward, forward+backward, input size 2" in out
    assert "layer 1:    LSTM 4 units, input 10 (bidirectional, merge=concat)" in out
    assert "head:       linear 8 -> 3, softmax, on final state" in out
    assert "task:       digits" in out
    assert main(["info", str(lstm_file), "--json"]) == 0
    desc = json.loads(capsys.readouterr().out)
    assert desc["units"] == [5, 4] and desc["format"] == "gateviz"


def test_info_takes_a_bundled_model_as_trace_does(capsys):
    from gateviz.bundled import load_bundled

    model = load_bundled("brackets-lstm")
    assert main(["info", "bundled:brackets-lstm"]) == 0
    out = capsys.readouterr().out
    assert "format:     bundled" in out
    assert f"units {model.layers[0].units}, directions forward, input size {model.input_size}" in out
    assert main(["info", "bundled:brackets-lstm", "--json"]) == 0
    desc = json.loads(capsys.readouterr().out)
    assert desc["format"] == "bundled" and desc["units"] == [layer.units for layer in model.layers]
    assert main(["info", "bundled:no-such-model"]) == 2
    assert "brackets-lstm" in _error_line(capsys)  # names the bundled models
    assert main(["info", "bundled:brackets-lstm", "--module", "x"]) == 2
    assert "drop --module" in _error_line(capsys)


def test_info_lists_several_modules_and_module_picks_one(tmp_path, capsys):
    sd = {**{f"enc.{k}": v for k, v in torch.nn.LSTM(3, 4).state_dict().items()},
          **{f"dec.{k}": v for k, v in torch.nn.GRU(4, 2, bidirectional=True).state_dict().items()}}
    path = tmp_path / "two.pt"
    torch.save(sd, path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "holds 2 recurrent modules" in out and "enc: LSTM input 3, hidden 4" in out
    assert "dec: GRU input 4, hidden 2, 1 layer(s), bidirectional" in out
    assert main(["info", str(path), "--module", "dec"]) == 0
    assert "layer 0:    GRU 2 units, input 4" in capsys.readouterr().out
    seq = tmp_path / "x.npy"
    np.save(seq, np.zeros((4, 3)))
    assert main(["trace", str(path), str(seq), "-o", str(tmp_path / "o.npz")]) == 2
    assert "holds 2 recurrent modules" in _error_line(capsys)
    assert main(["trace", str(path), str(seq), "-o", str(tmp_path / "o.npz"), "--module", "enc"]) == 0


def _bad_inputs(tmp_path):
    """name -> (model argument, input argument, expected text in the error line)."""
    model = random_model(0, "lstm", units=(3,), input_size=2)
    good_model = str(save_model(model, tmp_path / "ok.gvm"))
    good_seq = tmp_path / "ok.npy"
    np.save(good_seq, np.zeros((3, 2)))
    cases = {}
    cases["missing model"] = (str(tmp_path / "nope.pt"), str(good_seq), "no such file")
    (tmp_path / "notes.txt").write_text("just some words\n")
    cases["unknown format"] = (str(tmp_path / "notes.txt"), str(good_seq), "unrecognised file format")
    corrupt = tmp_path / "corrupt.gvm"
    corrupt.write_bytes(Path(good_model).read_bytes()[:-30])
    cases["corrupt model"] = (str(corrupt), str(good_seq), "damaged")
    (tmp_path / "empty.pt").write_bytes(b"")
    cases["empty model"] = (str(tmp_path / "empty.pt"), str(good_seq), "empty")
    torch.save(torch.nn.LSTM(2, 3), tmp_path / "whole.pt")
    cases["pickled module"] = (str(tmp_path / "whole.pt"), str(good_seq), "torch.save(model.state_dict(), path)")
    np.save(tmp_path / "wide.npy", np.zeros((3, 5)))
    cases["feature mismatch"] = (good_model, str(tmp_path / "wide.npy"), "expects 2 feature(s) per step but the sequence has 5")
    np.save(tmp_path / "nan.npy", np.array([[0.0, 1.0], [np.nan, 2.0]]))
    cases["NaN"] = (good_model, str(tmp_path / "nan.npy"), "NaN at step 1, feature 0")
    (tmp_path / "inf.csv").write_text("1,2\n3,inf\n")
    cases["Inf"] = (good_model, str(tmp_path / "inf.csv"), "Inf at step 1, feature 1")
    np.save(tmp_path / "empty.npy", np.zeros((0, 2)))
    cases["empty sequence"] = (good_model, str(tmp_path / "empty.npy"), "empty")
    (tmp_path / "bad.csv").write_text("1,2\n3,x\n")
    cases["non-numeric csv"] = (good_model, str(tmp_path / "bad.csv"), "row 2, column 2: 'x' is not a number")
    cases["missing input"] = (good_model, str(tmp_path / "nope.npy"), "no such file")
    cases["text for numeric model"] = (good_model, str(tmp_path / "notes.txt"), "not text")
    return cases


CASE_NAMES = ["missing model", "unknown format", "corrupt model", "empty model", "pickled module",
              "feature mismatch", "NaN", "Inf", "empty sequence", "non-numeric csv", "missing input",
              "text for numeric model"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_bad_input_is_one_line_and_non_zero(tmp_path, capsys, name):
    model_arg, input_arg, expected = _bad_inputs(tmp_path)[name]
    out = tmp_path / "out.npz"
    assert main(["trace", model_arg, input_arg, "-o", str(out)]) == 2
    assert expected in _error_line(capsys)
    assert not out.exists()


def test_errors_from_a_real_process(tmp_path):
    """The installed-style entry point: python -m gateviz, exit code and stderr only."""
    model_arg, input_arg, expected = _bad_inputs(tmp_path)["pickled module"]
    env = {k: v for k, v in os.environ.items() if k != "GATEVIZ_DEBUG"}
    for argv in (["trace", model_arg, input_arg, "-o", str(tmp_path / "o.npz")], ["info", model_arg]):
        proc = subprocess.run([sys.executable, "-m", "gateviz", *argv], cwd=ROOT, capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in proc.stderr
