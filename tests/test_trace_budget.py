"""Memory for a trace is estimated from the model's sizes and the input's length before tracing:
the CLI refuses in one line saying what it needs and what would fit, the app offers a shorter range."""

import subprocess
import sys

import numpy as np
import pytest

from gateviz.core import budget
from gateviz.core.budget import TraceTooLong, format_bytes, require_trace, sequence_steps, trace_bytes

from export_helpers import small_model


def test_the_estimate_grows_with_every_size_and_covers_the_trace():
    from gateviz.core.engine import Tracer

    model = small_model("lstm", units=16, layers=2, bidirectional=True)
    steps = 500
    trace = Tracer(model).trace(np.zeros((steps, 1), np.float32))
    held = sum(a.nbytes for q in trace.states.values() for a in q.values())
    est = trace_bytes(model, steps)
    assert held < est < 3 * held  # the arrays plus the engine's working tensors, not a wild guess
    assert trace_bytes(model, 2 * steps) > 1.9 * est
    assert trace_bytes(model, steps, batch=4) > 3.9 * est
    assert trace_bytes(model, steps, dtype_size=8) > 1.9 * est
    assert trace_bytes(small_model("lstm", units=32), steps) > trace_bytes(small_model("lstm", units=16), steps)
    assert trace_bytes(model, steps, job="csv") > trace_bytes(model, steps, job="npz") > est


def test_sequence_steps_reads_the_shape_without_encoding():
    model = small_model("gru", units=4)
    assert sequence_steps(model, np.zeros((7, 1))) == (1, 7)
    assert sequence_steps(model, np.zeros(9)) == (1, 9)
    assert sequence_steps(model, np.zeros((3, 11, 1))) == (3, 11)


def test_require_trace_says_how_much_and_how_many_steps_fit(monkeypatch):
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "10M")
    model = small_model("lstm", units=64)
    with pytest.raises(TraceTooLong) as caught:
        require_trace(model, 10_000_000, hint="give a shorter input")
    e = caught.value
    assert e.steps == 10_000_000 and 0 < e.fit < 10_000_000
    assert trace_bytes(model, e.fit) <= budget.usable_memory() < trace_bytes(model, e.fit + 1)
    assert format_bytes(e.needed) in str(e) and f"at most {e.fit:,} steps would fit" in str(e)
    require_trace(model, e.fit)  # what it offers does fit


def _cli(tmp_path, *args, limit="60M"):
    import os

    env = dict(os.environ, GATEVIZ_MEMORY_LIMIT=limit)
    return subprocess.run([sys.executable, "-m", "gateviz", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


@pytest.fixture
def long_input(tmp_path):
    """A model and a 2-million-step input, written sparsely (no 8 MB of data to make)."""
    from gateviz.formats.gateviz_file import save_model

    save_model(small_model("lstm", units=32), tmp_path / "m.gvm")
    arr = np.lib.format.open_memmap(tmp_path / "long.npy", mode="w+", dtype=np.float32, shape=(2_000_000, 1))
    del arr
    return tmp_path / "m.gvm", tmp_path / "long.npy"


@pytest.mark.parametrize("command", ["trace", "export"])
def test_cli_refuses_a_trace_that_cannot_fit_before_tracing(tmp_path, long_input, command):
    model, seq = long_input
    out = tmp_path / ("t.npz" if command == "trace" else "t.png")
    proc = _cli(tmp_path, command, model, seq, "-o", out)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gateviz: error: tracing")
    assert "2,000,000 steps" in lines[0] and "would need about" in lines[0] and "steps would fit" in lines[0]
    assert "Traceback" not in proc.stderr and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gateviz-")]


def test_cli_traces_what_fits(tmp_path, long_input):
    model, _ = long_input
    np.save(tmp_path / "short.npy", np.zeros((1000, 1), np.float32))
    proc = _cli(tmp_path, "trace", model, tmp_path / "short.npy", "-o", tmp_path / "t.npz")
    assert proc.returncode == 0, proc.stderr


def test_app_offers_the_first_steps_that_fit(qtbot, monkeypatch):
    from app_helpers import WINDOW_WAIT_MS, open_window

    from gateviz.ui import window_loading

    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "40M")  # below what the machine has: the same figure throughout
    window = open_window(qtbot)
    model = window.state.model
    long_steps = 4 * budget.usable_memory() // trace_bytes(model, 1, job="figure")  # four times what fits
    asked = []
    monkeypatch.setattr(window_loading, "ask_trace_shorter", lambda parent, *args: asked.append(args) or True)
    sequence = window.state.sequence
    long = (sequence * (long_steps // len(sequence) + 1))[:long_steps] if isinstance(sequence, str) else \
        np.resize(np.asarray(sequence), (long_steps,) + np.shape(sequence)[1:])
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.set_sequence(long, "long")
    steps, fit, needed, offered_usable = asked[0]
    assert steps == long_steps and 0 < fit < steps and needed > offered_usable
    assert window.state.trace.length == fit
