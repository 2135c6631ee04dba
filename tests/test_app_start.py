"""Starting the real app in a fresh process: `python main.py` and `python -m gateviz MODEL INPUT`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _start(tmp_path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GATEVIZ_STARTUP_EXIT="1",
               GATEVIZ_SETTINGS_DIR=str(tmp_path / "settings"), GATEVIZ_STARTUP_T0=repr(time.time()))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_main_py_paints_before_loading_torch_then_shows_the_bundled_model(tmp_path):
    out = _start(tmp_path, "main.py")
    assert out.returncode == 0, out.stderr
    paint = re.search(r"first paint ([\d.]+) s after launch \(heavy modules loaded: ([^)]*)\)", out.stderr)
    ready = re.search(r"model traced and shown ([\d.]+) s", out.stderr)
    assert paint and ready, out.stderr
    assert paint.group(2) == "none", "torch and pyqtgraph stay off the path to the first paint"
    assert float(paint.group(1)) <= float(ready.group(1))
    assert "Traceback" not in out.stderr


def test_gateviz_model_and_input_from_the_command_line(tmp_path):
    from gateviz.bundled import load_bundled
    from gateviz.formats.gateviz_file import save_model

    model = load_bundled("sine-gru")
    path = tmp_path / "mine.gvm"
    save_model(model, path)
    np.save(tmp_path / "wave.npy", np.sin(np.linspace(0, 6, 40, dtype=np.float32))[:, None])
    out = _start(tmp_path, "-m", "gateviz", str(path), str(tmp_path / "wave.npy"))
    assert out.returncode == 0, out.stderr
    assert "model traced and shown" in out.stderr
    # it was remembered as a recent file
    ini = (tmp_path / "settings" / "gateviz.ini").read_text()
    assert "mine.gvm" in ini


def test_too_many_arguments_is_one_line_and_exit_2(tmp_path):
    out = _start(tmp_path, "-m", "gateviz", "a", "b", "c")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "usage" in out.stderr
