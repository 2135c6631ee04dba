"""NaN and Inf weights (issue 11): named by `info`, warned about by `trace` and `export` (exit 0), drawn in
their own colour by every panel, and never a crash (a NaN in the cell diagram's colour lookup raised inside
paintEvent and PySide6 died with signal 11)."""

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
from gateviz.core.nonfinite import first_nonfinite, nonfinite_tensors, warning_text
from gateviz.core.trace import Trace
from gateviz.formats import load_model, save_model

ROOT = Path(__file__).resolve().parent.parent
MAGENTA = (255, 0, 255)  # common.NAN_COLOUR
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras on numpy 2


def _nan_model(**kwargs):
    model = random_model(0, "lstm", units=(6,), input_size=2, **kwargs)
    model.layers[0].directions[0].Wh[3, 1] = np.nan
    return model


@pytest.fixture
def seq_file(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).standard_normal((9, 2)).astype(np.float32))
    return path


def _warning_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("gateviz: warning: ")]


# --------------------------------------------------------------------------- core


def test_nonfinite_tensors_names_and_counts():
    model = random_model(0, "gru", units=(4, 3), input_size=2, bidirectional=True, head_out=2)
    assert nonfinite_tensors(model) == []
    model.layers[1].directions[1].bx[:2] = np.inf
    model.layers[0].directions[0].Wh[0, 0] = np.nan
    model.head.weight[0, 0] = -np.inf
    found = {t.name: (t.nan, t.inf) for t in nonfinite_tensors(model)}
    assert found == {"layer 0 forward Wh": (1, 0), "layer 1 backward bx": (0, 2), "the head's weight": (0, 1)}
    assert nonfinite_tensors(model)[0].describe() == "layer 0 forward Wh: 1 NaN of 48 values"


def test_pytorch_models_name_the_files_own_tensors():
    lstm = torch.nn.LSTM(2, 3, bidirectional=True)
    with torch.no_grad():
        lstm.weight_hh_l0_reverse[1, 1] = float("nan")
    from gateviz.formats.pytorch import model_from_state_dict

    model = model_from_state_dict(lstm.state_dict())
    assert [t.name for t in nonfinite_tensors(model)] == ["layer 0 backward Wh (weight_hh_l0_reverse)"]


def test_first_nonfinite_finds_the_earliest_step_and_quantity():
    T, H = 6, 3
    finite = {q: np.zeros((T, H), np.float32) for q in ("reset_gate", "update_gate", "candidate", "hidden_state")}
    states = {(0, "forward"): {q: a.copy() for q, a in finite.items()},
              (1, "forward"): {q: a.copy() for q, a in finite.items()}}
    assert first_nonfinite(Trace("gru", {k: {q: a.copy() for q, a in v.items()} for k, v in states.items()})) is None
    trace = Trace("gru", states)  # a trace's arrays never change once made (their extremes are remembered)
    states[(1, "forward")]["reset_gate"][2, 0] = np.nan
    states[(0, "forward")]["hidden_state"][4, 1] = np.inf
    first = first_nonfinite(trace)
    assert (first.step, first.layer, first.direction, first.quantity, first.kind) == (2, 1, "forward", "reset_gate",
                                                                                      "NaN")
    assert first.describe() == "NaN first appears at step 2 in layer 1 (forward), reset gate r"


def test_warning_text_says_where_and_why(seq_file):
    from gateviz.core.engine import Tracer

    model = _nan_model()
    trace = Tracer(model).trace(np.load(seq_file))
    text = warning_text(model, trace)
    assert text.startswith("NaN first appears at step ") and "in layer 0 (forward)" in text
    assert text.endswith("; the model has NaN in layer 0 forward Wh (1 NaN)")
    # weights that are finite but overflow still get a warning; an all-finite model gets none
    assert warning_text(random_model(0, "lstm", units=(6,), input_size=2), trace).endswith(
        "(every weight is finite: the values overflowed)")
    clean = random_model(0, "lstm", units=(6,), input_size=2)
    assert warning_text(clean, Tracer(clean).trace(np.load(seq_file))) is None
    # an infinite input-gate bias saturates the gate (σ(inf) = 1): named, though the trace stays finite
    clean.layers[0].directions[0].bx[0] = np.inf
    assert warning_text(clean, Tracer(clean).trace(np.load(seq_file))) == (
        "the model has Inf in layer 0 forward bx (1 Inf); this input's gates and states stay finite")


# --------------------------------------------------------------------------- every format reaches it


def _gvm(tmp_path):
    return save_model(_nan_model(), tmp_path / "m.gvm"), "layer 0 forward Wh"


def _pt(tmp_path):
    lstm = torch.nn.LSTM(2, 6)
    with torch.no_grad():
        lstm.weight_hh_l0[3, 1] = float("nan")
    torch.save(lstm.state_dict(), tmp_path / "m.pt")
    return tmp_path / "m.pt", "layer 0 forward Wh (weight_hh_l0)"


def _safetensors(tmp_path):
    from safetensors.torch import save_file

    lstm = torch.nn.LSTM(2, 6)
    with torch.no_grad():
        lstm.weight_hh_l0[3, 1] = float("inf")
    save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, str(tmp_path / "m.safetensors"))
    return tmp_path / "m.safetensors", "layer 0 forward Wh (weight_hh_l0)"


def _keras(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    model = keras.Sequential([keras.Input(shape=(None, 2)), keras.layers.LSTM(6, return_sequences=True)])
    weights = model.get_weights()  # kernel (2, 24), recurrent_kernel (6, 24), bias (24,)
    weights[1][1, 3] = np.nan
    model.set_weights(weights)
    model.save(str(tmp_path / "m.keras"))
    return tmp_path / "m.keras", "layer 0 forward Wh (recurrent_kernel)"


def _onnx(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.5, (1, 24, 2)).astype(np.float32)
    R = rng.normal(0, 0.5, (1, 24, 6)).astype(np.float32)
    R[0, 3, 1] = np.nan
    graph = helper.make_graph([helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=6)], "lstm",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, 2])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(tmp_path / "m.onnx"))
    return tmp_path / "m.onnx", "layer 0 forward Wh (R)"


@pytest.mark.parametrize("make", [_gvm, _pt, _safetensors, _keras, _onnx], ids=lambda f: f.__name__[1:])
def test_every_format_names_the_tensor_and_warns(make, tmp_path, seq_file, capsys):
    path, tensor = make(tmp_path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "NaN/Inf:    1 tensor(s) hold NaN or Inf values" in out and f"  {tensor}: 1 " in out
    assert main(["info", str(path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["nonfinite"]
    assert [t["tensor"] for t in listed] == [tensor]

    assert main(["trace", str(path), str(seq_file), "-o", str(tmp_path / "t.npz")]) == 0
    err = capsys.readouterr().err
    warnings = _warning_lines(err)
    assert len(warnings) == 1 and len(err.strip().splitlines()) == 1, err
    assert f"the model has " in warnings[0] and tensor in warnings[0] and "first appears at step" in warnings[0]
    assert (tmp_path / "t.npz").exists()

    assert main(["export", str(path), str(seq_file), "-o", str(tmp_path / "h.png"), "--panel", "heatmaps"]) == 0
    captured = capsys.readouterr()
    assert _warning_lines(captured.err) == warnings and "wrote " in captured.out


def test_finite_models_print_no_warning(tmp_path, seq_file, capsys):
    path = save_model(random_model(0, "lstm", units=(6,), input_size=2), tmp_path / "m.gvm")
    assert main(["trace", str(path), str(seq_file), "-o", str(tmp_path / "t.npz")]) == 0
    assert main(["info", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "NaN" not in captured.out


# --------------------------------------------------------------------------- drawing NaN


def _magenta_pixels(path) -> int:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    a = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * h).reshape(h, -1)[:, :3 * w]
    a = a.reshape(h, w, 3)
    return int(np.all(a == MAGENTA, axis=2).sum())


@pytest.fixture
def nan_brackets(tmp_path):
    """The bundled bracket counter with one NaN weight (its task gives the default input)."""
    from gateviz.bundled import load_bundled

    model = load_bundled("brackets-lstm")
    model.layers[0].directions[0].Wh[3, 2] = np.nan
    return save_model(model, tmp_path / "nan.gvm")


def test_export_cell_panel_in_a_subprocess_does_not_crash(nan_brackets, tmp_path):
    """The issue's reproduction: it died with signal 11 (returncode -11)."""
    out = tmp_path / "cell.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "gateviz", "export", str(nan_brackets), "-o", str(out),
                           "--panel", "cell", "--step", "1"], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=240)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1 and _warning_lines(done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert _magenta_pixels(out) > 500  # gate boxes and wires in the NaN colour


def test_dashboard_draws_nan_cells_in_their_colour_and_says_so(nan_brackets, tmp_path, capsys):
    clean = tmp_path / "clean.png"
    assert main(["export", "bundled:brackets-lstm", "-o", str(clean), "--layout", "dashboard"]) == 0
    assert _magenta_pixels(clean) == 0  # no colour map of the figure uses the NaN colour
    capsys.readouterr()

    out = tmp_path / "nan.png"
    assert main(["export", str(nan_brackets), "-o", str(out), "--layout", "dashboard"]) == 0
    assert len(_warning_lines(capsys.readouterr().err)) == 1
    assert _magenta_pixels(out) > 5000  # whole heatmap columns

    # the heatmaps' titles explain the colour; the panels' text says NaN
    from gateviz.ui.panels.cell import CellDiagramPanel
    from gateviz.ui.panels.heatmaps import HeatmapPanel
    from gateviz.ui.state import ViewState
    from gateviz.ui.workers import default_sequence, find_task, task_samples, trace_model

    model = load_model(nan_brackets)
    task = find_task(model)
    sequence, _ = default_sequence(model, task, task_samples(task))
    state = ViewState()
    state.set_trace(model, trace_model(model, sequence), sequence, task)
    state.set_step(2)
    heat = HeatmapPanel(state)
    assert all("NaN: " in row.nan_note and row.nan_back.isVisible() for row in heat.rows)
    cell = CellDiagramPanel(state)
    cell.resize(900, 600)
    cell.grab()  # paints: NaN values take the NaN colour, never an int() of NaN
    assert cell.labels["c"] == "c_t = NaN" and cell.colour_of("i", float("nan")).name() == "#ff00ff"


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_exports_of_a_nan_model(nan_brackets, tmp_path, fmt, capsys):
    out = tmp_path / f"x.{fmt}"
    assert main(["export", str(nan_brackets), "-o", str(out), "--layout", "dashboard"]) == 0
    assert out.stat().st_size > 1000


def test_a_panel_that_fails_to_draw_writes_no_picture(nan_brackets, tmp_path, capsys, monkeypatch):
    """The guard keeps the exception out of Qt; the export then refuses to write a half-drawn figure."""
    from gateviz.ui.panels.cell import CellDiagramPanel

    def broken(self, step):
        raise RuntimeError("boom")

    monkeypatch.setattr(CellDiagramPanel, "_compute_values", broken)
    out = tmp_path / "x.png"
    assert main(["export", str(nan_brackets), "-o", str(out), "--panel", "cell"]) == 2
    err = capsys.readouterr().err
    assert not out.exists()
    assert err.strip().splitlines()[-1].startswith(f"gateviz: error: {out} was not written: drawing the figure "
                                                   "failed (")
