"""Issue 11, hostile ONNX files: graph cycles, damaged tensors, bad attributes, files too large, external
data; and the app's open, which a slow or stuck load must never block.

Every graph is built here with onnx.helper and kept tiny (the large files are sparse). Each case runs
through the command line in-process (info, trace, export): exit status 2, one stderr line
"gateviz: error: ..." naming the problem, no "unexpected", no traceback, and it returns within a
time limit (run in a thread joined with a timeout: a hang fails the test instead of stalling it).
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from cli_checks import error_line

from gateviz.cli import main

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

H, I = 3, 2
CLI_TIMEOUT_S = 60  # generous for a shared machine; a fixed file is refused in well under a second


def _init(name, shape, seed=0, dtype=np.float32):
    return numpy_helper.from_array(np.random.default_rng(seed).normal(0, 0.5, shape).astype(dtype), name)


def write_lstm(path, *, nodes=(), inits=None, lstm_inputs=("X", "W", "R"), **attrs):
    """X (T, 1, 2) -> [nodes] -> LSTM(3) -> Y; ``inits`` replaces/extends W and R."""
    tensors = {"W": _init("W", (1, 4 * H, I), 1), "R": _init("R", (1, 4 * H, H), 2)}
    tensors.update(inits or {})
    attrs.setdefault("hidden_size", H)
    lstm = helper.make_node("LSTM", list(lstm_inputs), ["Y", "Y_h"], name="lstm", **attrs)
    graph = helper.make_graph([*nodes, lstm], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1, I])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
                              [t for t in tensors.values() if t is not None])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    return path


def run_cli(argv, timeout=CLI_TIMEOUT_S) -> tuple[int, float]:
    """(exit status, seconds) of gateviz.cli.main(argv) in a thread: a hang fails after ``timeout``."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("rc", main(argv)), daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"gateviz {' '.join(argv)} still running after {timeout} s"
    assert "rc" in result, "main raised instead of returning an exit status"
    return result["rc"], time.monotonic() - started




def refused_everywhere(tmp_path, capsys, path, *needles):
    """info, trace and export each refuse ``path`` in one line naming ``needles`` and the file."""
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((5, I), np.float32))
    commands = [["info", str(path)], ["trace", str(path), str(x), "-o", str(tmp_path / "t.npz")],
                ["export", str(path), str(x), "-o", str(tmp_path / "f.png")]]
    for argv in commands:
        rc, _ = run_cli(argv)
        assert rc == 2, argv
        error_line(capsys, str(path), *needles)
    assert not (tmp_path / "t.npz").exists() and not (tmp_path / "f.png").exists()


# --------------------------------------------------------------------------- cycles (hung or RecursionError before)


def _transpose_cycle(path):
    nodes = [helper.make_node("Transpose", ["b"], ["a"], name="t1", perm=[0, 1, 2]),
             helper.make_node("Transpose", ["a"], ["b"], name="t2", perm=[0, 1, 2])]
    return write_lstm(path, nodes=nodes, lstm_inputs=("a", "W", "R"))


def _identity_cycle(path):  # W computed by Identity <-> Identity
    nodes = [helper.make_node("Identity", ["w2"], ["w1"], name="i1"), helper.make_node("Identity", ["w1"], ["w2"], name="i2")]
    return write_lstm(path, nodes=nodes, inits={"W": None}, lstm_inputs=("X", "w1", "R"))


def _expand_cycle(path):  # initial_h = Expand(Expand(initial_h))
    shape = numpy_helper.from_array(np.array([1, 1, H], np.int64), "shape")
    nodes = [helper.make_node("Expand", ["h1", "shape"], ["h0"], name="e1"),
             helper.make_node("Expand", ["h0", "shape"], ["h1"], name="e2")]
    return write_lstm(path, nodes=nodes, inits={"shape": shape}, lstm_inputs=("X", "W", "R", "", "", "h0"))


def _self_loop(path):
    return write_lstm(path, nodes=[helper.make_node("Identity", ["a"], ["a"], name="loop")], lstm_inputs=("a", "W", "R"))


CYCLES = {"transpose": (_transpose_cycle, "t1 → t2 → t1"), "identity": (_identity_cycle, "i1 → i2 → i1"),
          "expand": (_expand_cycle, "e1 → e2 → e1"), "self_loop": (_self_loop, "loop → loop")}


@pytest.mark.parametrize("case", sorted(CYCLES))
def test_a_graph_cycle_is_named_not_hung(tmp_path, capsys, case):
    make, path_text = CYCLES[case]
    path = make(tmp_path / f"{case}.onnx")
    refused_everywhere(tmp_path, capsys, path, f"the ONNX graph has a cycle through nodes {path_text}",
                       "must be acyclic")


def test_a_long_chain_and_nodes_out_of_order_still_open(tmp_path, capsys):
    """Walks are iterative: 3,000 Identity nodes before W (a RecursionError before) and a file that
    lists its nodes in reverse (acyclic, just not sorted) open normally."""
    n = 3000
    chain = [helper.make_node("Identity", [f"w{k + 1}" if k + 1 < n else "W"], [f"w{k}"], name=f"id{k}")
             for k in range(n)]
    path = write_lstm(tmp_path / "chain.onnx", nodes=chain[::-1], lstm_inputs=("X", "w0", "R"))
    rc, _ = run_cli(["info", str(path)])
    assert rc == 0, capsys.readouterr().err
    assert "LSTM 3 units, input 2" in capsys.readouterr().out


# --------------------------------------------------------------------------- tensors


def _with_w(mutate):
    def make(path):
        w = _init("W", (1, 4 * H, I), 1)
        mutate(w)
        return write_lstm(path, inits={"W": w})
    return make


def _negative(w):
    w.dims[0] = -1


def _absurd(w):
    w.dims[:] = [10**5, 10**5, 10**5]  # 10^15 values


def _large(w):
    w.dims[:] = [1, 4 * H, 10**7]  # 1.2e8 values (480 MB) for 96 bytes


def _short_raw(w):
    w.raw_data = w.raw_data[:-4]


def _short_floats(w):
    values = numpy_helper.to_array(w).ravel().tolist()
    w.ClearField("raw_data")
    w.float_data[:] = values[:-1]


TENSORS = {
    "negative_dims": (_with_w(_negative), ["tensor 'W' has a negative dimension (dims [-1, 12, 2])"]),
    "absurd_dims": (_with_w(_absurd), ["tensor 'W' declares dims [100000, 100000, 100000]", "1e+15 values"]),
    "dims_beyond_data": (_with_w(_large), ["tensor 'W' declares dims [1, 12, 10000000]", "holds 96 bytes",
                                           "damaged or truncated"]),
    "raw_data_short": (_with_w(_short_raw), ["(24 values, 96 bytes) but holds 92 bytes"]),
    "float_data_short": (_with_w(_short_floats), ["(24 values, 24 values in float_data) but holds 23 values"]),
}


@pytest.mark.parametrize("case", sorted(TENSORS))
def test_a_damaged_initializer_is_named_before_anything_is_allocated(tmp_path, capsys, case):
    make, needles = TENSORS[case]
    refused_everywhere(tmp_path, capsys, make(tmp_path / f"{case}.onnx"), *needles)


def test_a_damaged_constant_node_tensor_is_named(tmp_path, capsys):
    w = _init("W", (1, 4 * H, I), 1)
    _negative(w)
    path = write_lstm(tmp_path / "const.onnx", nodes=[helper.make_node("Constant", [], ["W"], value=w, name="c")],
                      inits={"W": None})
    refused_everywhere(tmp_path, capsys, path, "negative dimension")


# --------------------------------------------------------------------------- attributes


ATTRIBUTES = {
    "sideways": (dict(direction="sideways"), {}, "direction 'sideways' is not an ONNX direction; it must be forward, "
                                                 "reverse or bidirectional"),
    "hidden_size_0": (dict(hidden_size=0), {}, "hidden_size is 0; it must be a positive number of units"),
    "hidden_size_negative": (dict(hidden_size=-3), {}, "hidden_size is -3"),
    "hidden_size_disagrees": (dict(hidden_size=4), {}, "W [1, 12, 2] / R [1, 12, 3] do not fit a forward LSTM "
                                                       "with hidden_size 4"),
    "unknown_activation": (dict(activations=["Sigmoid", "Swish", "Swish"]), {}, "activation 'Swish' is not supported"),
    "layout_2": (dict(layout=2), {}, "attribute layout is 2; ONNX allows 0 or 1"),
    "clip_negative": (dict(clip=-1.0), {}, "clip is -1.0; the cell clip threshold must be a positive number"),
    "bias_shape": ({}, {"B": _init("B", (1, 5), 3)}, "B has shape [1, 5]; a forward LSTM with hidden_size 3 takes B [1, 24]"),
    "int_weights": ({}, {"W": numpy_helper.from_array(np.ones((1, 4 * H, I), np.int64), "W")}, "W holds int64 values"),
    "w_rank_2": ({}, {"W": _init("W", (4 * H, I), 1)}, "W has shape [12, 2] and R [1, 12, 3]"),
}


@pytest.mark.parametrize("case", sorted(ATTRIBUTES))
def test_a_bad_attribute_or_weight_shape_is_named(tmp_path, capsys, case):
    attrs, inits, needle = ATTRIBUTES[case]
    inputs = ("X", "W", "R", "B") if "B" in inits else ("X", "W", "R")
    path = write_lstm(tmp_path / f"{case}.onnx", inits=inits, lstm_inputs=inputs, **attrs)
    refused_everywhere(tmp_path, capsys, path, "node 'lstm' (LSTM)", needle)


def test_a_recurrent_node_without_input_is_named(tmp_path, capsys):
    path = write_lstm(tmp_path / "nox.onnx", lstm_inputs=("", "W", "R"))
    refused_everywhere(tmp_path, capsys, path, "node 'lstm' (LSTM) has no input X")


# --------------------------------------------------------------------------- size


def test_a_sparse_3_gb_onnx_is_refused_before_it_is_read(tmp_path, capsys):
    path = write_lstm(tmp_path / "big.onnx")
    with open(path, "r+b") as fh:
        fh.truncate(3 * 2**30)  # sparse: no disk, and no memory unless someone reads it
    rc, took = run_cli(["info", str(path)])
    assert rc == 2
    error_line(capsys, "3.0 GiB", "an ONNX file holds at most 2 GiB (protobuf's limit)", "external data")
    assert took < 10


def test_an_onnx_beyond_the_memory_budget_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "100M")
    path = write_lstm(tmp_path / "mid.onnx")
    with open(path, "r+b") as fh:
        fh.truncate(200 * 2**20)
    rc, _ = run_cli(["info", str(path)])
    assert rc == 2
    error_line(capsys, f"reading {path} (200.0 MiB) would need about 600.0 MiB of memory")


# --------------------------------------------------------------------------- external data


def _external(tmp_path, *, location="w.bin", length=None, offset=None, data_bytes=None, dims=None):
    """An LSTM whose W lives in an external file ``location`` (relative to the model's folder)."""
    model_dir = tmp_path / "model"
    model_dir.mkdir(exist_ok=True)
    w = _init("W", (1, 4 * H, I), 1)
    raw = w.raw_data
    target = model_dir / location
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw if data_bytes is None else data_bytes)
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": offset, "length": len(raw) if length is None else length}
    for key, value in entries.items():
        if value is not None:
            entry = w.external_data.add()
            entry.key, entry.value = key, str(value)
    if dims is not None:
        w.dims[:] = dims
    return write_lstm(model_dir / "m.onnx", inits={"W": w}), target


def test_external_data_beside_the_model_is_read(tmp_path, capsys):
    path, _ = _external(tmp_path)
    rc, _ = run_cli(["info", str(path)])
    assert rc == 0, capsys.readouterr().err


def test_external_data_outside_the_folder_is_refused_unread(tmp_path, capsys):
    secret = tmp_path / "secret.bin"
    path, _ = _external(tmp_path, location="../secret.bin")
    os.utime(secret, (1_000_000, 1_000_000))
    refused_everywhere(tmp_path, capsys, path, "tensor 'W' keeps its data in '../secret.bin', outside the model's folder")
    assert secret.stat().st_atime == 1_000_000, "the file outside the model's folder was read"


def test_external_data_through_a_symlink_out_of_the_folder_is_refused(tmp_path, capsys):
    path, target = _external(tmp_path, location="w.bin")
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    refused_everywhere(tmp_path, capsys, path, "outside the model's folder")


@pytest.mark.parametrize("kw,needle", [
    (dict(length=40), "declares dims [1, 12, 2] (96 bytes) but its external data in 'w.bin' is 40 bytes"),
    (dict(data_bytes=b"\0" * 50), "needs bytes 0..96 of 'w.bin', which has only 50"),
    (dict(offset=80), "needs bytes 80..176 of 'w.bin', which has only 96"),
    (dict(location="missing.bin"), "'missing.bin', which is not a file in"),
    (dict(dims=[1, 12, -2]), "negative dimension"),
])
def test_external_data_that_does_not_fit_its_tensor_is_named(tmp_path, capsys, kw, needle):
    path, target = _external(tmp_path, **kw)
    if kw.get("location") == "missing.bin":
        target.unlink()
    refused_everywhere(tmp_path, capsys, path, needle)


def test_external_data_beyond_the_memory_budget_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "100M")
    big = 4 * H * 10**7  # W (1, 12, 10^7) float32: 480 MB in a sparse file
    path, target = _external(tmp_path, dims=[1, 4 * H, 10**7], length=big * 4, data_bytes=b"")
    with open(target, "r+b") as fh:
        fh.truncate(big * 4)
    rc, _ = run_cli(["info", str(path)])
    assert rc == 2
    error_line(capsys, "reading the external weights of", "(457.8 MiB) would need about")


# --------------------------------------------------------------------------- the app: a stuck open


@pytest.fixture
def stuck_loader(monkeypatch):
    """Files named stuck*.onnx hang in the reader until ``release`` is set (a hostile file that
    hangs a reader, as a Transpose cycle did); other files load as usual."""
    import gateviz.ui.workers as workers

    real = workers.load_model_file
    release, entered = threading.Event(), threading.Event()

    def load(path, module=None):
        if os.path.basename(str(path)).startswith("stuck"):
            entered.set()
            release.wait(300)
            from gateviz.core.errors import FormatError

            raise FormatError(f"{path}: released")  # a late result that nobody may show
        return real(path, module)

    monkeypatch.setattr(workers, "load_model_file", load)
    yield release, entered
    release.set()


def test_a_stuck_open_can_be_cancelled_and_never_blocks_the_next(window, qtbot, tmp_path, stuck_loader):
    from PySide6.QtCore import Qt

    from app_helpers import WINDOW_WAIT_MS

    release, entered = stuck_loader
    stuck, good = write_lstm(tmp_path / "stuck.onnx"), write_lstm(tmp_path / "good.onnx")
    before = window.state.model
    # Cancel (the button beside the progress): the model shown before stays, the status says so
    window.open_model(str(stuck))
    assert window.statusBar().currentMessage() == "Opening stuck.onnx…"
    assert entered.wait(30) and window.runner.is_busy
    qtbot.waitUntil(window.status.cancel_button.isVisible, timeout=WINDOW_WAIT_MS)
    window.status.cancel_button.click()
    assert not window.runner.is_busy and not window.status.cancel_button.isVisible()
    assert window.state.model is before
    assert window.statusBar().currentMessage() == f"Cancelled opening stuck.onnx; kept {before.name}"
    # Esc cancels too, only while a job runs
    entered.clear()
    window.open_model(str(stuck))
    assert entered.wait(30) and window._cancel_shortcut.isEnabled()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.runner.is_busy and not window._cancel_shortcut.isEnabled()
    # a new open while one is stuck starts at once and is shown
    window.open_model(str(stuck))
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_model(str(good))
    assert window.state.model.source == str(good) and window.windowTitle() == "gateviz — g"
    assert not window.runner.is_busy and window.statusBar().currentMessage() == ""
    # the stuck readers end at last: their results are dropped, no dialog, the good model stays
    release.set()
    qtbot.waitUntil(lambda: not window.runner._abandoned, timeout=WINDOW_WAIT_MS)
    assert window.state.model.source == str(good) and window.shown_errors == []


def test_the_app_names_a_graph_cycle_and_keeps_its_model(window, qtbot, tmp_path):
    from app_helpers import WINDOW_WAIT_MS

    before = window.state.model
    path = _transpose_cycle(tmp_path / "cycle.onnx")
    with qtbot.waitSignal(window.loadFailed, timeout=WINDOW_WAIT_MS) as blocker:
        window.open_model(str(path))
    assert "the ONNX graph has a cycle through nodes t1 → t2 → t1" in blocker.args[0]
    assert window.shown_errors[0][0] == "Cannot open cycle.onnx"
    assert window.state.model is before and not window.runner.is_busy
