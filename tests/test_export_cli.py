"""``gateviz export``: headless in a subprocess with QT_QPA_PLATFORM unset, every format, no overwrite, errors."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from gateviz.cli import main

from export_helpers import distinct_colours, image_array, small_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A PyTorch state_dict of a 2-layer LSTM (no task: needs INPUT), its input, and a sine-task gateviz model."""
    import torch

    from gateviz.formats.gateviz_file import save_model

    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(2, 10, num_layers=2)
    torch.save(lstm.state_dict(), folder / "lstm.pt")
    t = np.linspace(0, 8, 24)
    np.save(folder / "seq.npy", np.stack([np.sin(t), np.cos(t)], axis=1).astype(np.float32))
    sine = small_model("gru", units=5)
    sine.task = {"name": "sine", "window": 50, "rollout_steps": 50}
    save_model(sine, folder / "sine.gvm")
    return folder


def _headless_env():
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _gateviz(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gateviz", "export", *map(str, args)], capture_output=True,
                          text=True, env=_headless_env(), cwd=cwd or ROOT, timeout=300)


def test_png_headless_without_qt_platform_set(files, tmp_path):
    out = tmp_path / "fig.png"
    r = _gateviz(files / "lstm.pt", files / "seq.npy", "-o", out, "--size", "960x540", "--step", "5",
                 "--units", "2", "4", "--layer", "1", "--theme", "dark")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no Qt noise
    assert "960x540" in r.stdout and "step 5" in r.stdout
    rgb = image_array(out)
    assert rgb.shape[:2] == (540, 960)
    assert distinct_colours(rgb) > 50 and np.median(rgb[..., :3]) < 100  # drawn, on the dark theme


def test_refuses_to_overwrite_without_force(files, tmp_path):
    out = tmp_path / "keep.svg"
    out.write_text("mine")
    r = _gateviz(files / "lstm.pt", files / "seq.npy", "-o", out)
    assert r.returncode == 2
    assert r.stderr.strip() == f"gateviz: error: {out} already exists; choose another name or pass --force to overwrite it"
    assert out.read_text() == "mine"
    r = _gateviz(files / "lstm.pt", files / "seq.npy", "-o", out, "--force", "--panel", "traces")
    assert r.returncode == 0, r.stderr
    assert out.read_text().lstrip().startswith("<?xml") and "<path" in out.read_text()


def test_every_format_in_process(files, tmp_path, qapp, capsys):
    import imageio.v3 as iio

    from gateviz.export.data import read_csv

    model, seq = files / "lstm.pt", files / "seq.npy"
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "a.pdf"), "--panel", "heatmaps"]) == 0
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "a.gif"), "--panel", "traces",
                 "--size", "200x150", "--range", "3:7", "--fps", "4"]) == 0
    assert iio.imread(tmp_path / "a.gif", index=None).shape[:3] == (4, 150, 200)
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "clip.bin"), "--format", "mp4",
                 "--panel", "heatmaps", "--size", "161x121", "--range", "0:3"]) == 0
    assert "3 frames of the heatmaps, 160x120 px at 10 fps" in capsys.readouterr().out
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(tmp_path / "clip.bin"))
    meta = next(reader)
    assert meta["size"] == (160, 120) and len(list(reader)) == 3
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "t.csv"), "--layer", "0",
                 "--units", "1", "2", "3"]) == 0
    columns, values, _ = read_csv(tmp_path / "t.csv")
    assert len(values) == 24 * 3 and columns[-1] == "hidden_state"
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "t.npz")]) == 0
    with np.load(tmp_path / "t.npz") as data:
        assert data["layer1.forward.cell_state"].shape == (24, 10)
    # no INPUT: the model's task's default sample
    assert main(["export", str(files / "sine.gvm"), "-o", str(tmp_path / "sine.png"), "--panel", "heatmaps",
                 "--dpi", "150", "--presentation"]) == 0
    assert image_array(tmp_path / "sine.png").shape[:2] == (1125, 1500)  # 960x720 layout at 150 dpi
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "slide.png"), "--preset", "slide",
                 "--panel", "io"]) == 0
    assert image_array(tmp_path / "slide.png").shape[:2] == (1080, 1920)
    out = capsys.readouterr().out
    assert out.count("wrote ") == 4


@pytest.mark.parametrize("extra, message", [
    (["--step", "24"], "step 24 is outside the sequence; it has steps 0..23"),
    (["--size", "big"], "bad size 'big'; give WIDTHxHEIGHT in pixels, e.g. 1920x1080"),
    (["--units", "10"], "unit 10 does not exist; this layer has units 0..9"),
    (["--layer", "2"], "layer 2 does not exist; the model has layers 0..1"),
    (["--direction", "backward"], "layer 0 has no backward direction; it has forward"),
    (["--range", "0:5"], "--range applies to gif, mp4 and csv; use --step T for a figure"),
    (["--dpi", "5000"], "bad dpi 5000; give a resolution between 10 and 2400"),
])
def test_bad_options_one_clear_line(files, tmp_path, qapp, capsys, extra, message):
    out = tmp_path / "x.png"
    code = main(["export", str(files / "lstm.pt"), str(files / "seq.npy"), "-o", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err == f"gateviz: error: {message}\n"
    assert not out.exists()


def test_no_input_and_no_task_and_unknown_extension(files, tmp_path, qapp, capsys):
    assert main(["export", str(files / "lstm.pt"), "-o", str(tmp_path / "x.png")]) == 2
    assert "has no built-in task, so there is no default input; give INPUT" in capsys.readouterr().err
    assert main(["export", str(files / "lstm.pt"), "-o", str(tmp_path / "x.jpg")]) == 2
    assert "cannot tell the format from" in capsys.readouterr().err


def test_cli_pins_the_task_story_units_by_default():
    """Without --units, figures pin what the app pins: brackets-lstm's counting cell (unit 8)."""
    from gateviz.bundled import default_sample, load_bundled
    from gateviz.core.engine import Tracer
    from gateviz.tasks import get_task_for_model
    from gateviz.tasks.base import story_units_for

    model = load_bundled("brackets-lstm")
    sample = default_sample(model)
    trace = Tracer(model).trace(sample.sequence)
    units = story_units_for(model, get_task_for_model(model), sample.sequence, trace, layer=0, direction="forward")
    assert units[0] == 8


def test_cell_scale_unit_recolours_only_the_cell_state_heatmap(files, tmp_path, qapp):
    """--cell-scale unit: each unit of c against its own max |c|; the gate heatmaps stay as they are."""
    model, seq = files / "lstm.pt", files / "seq.npy"
    common = [str(model), str(seq), "--panel", "heatmaps", "--size", "600x600", "--layer", "1"]
    assert main(["export", *common, "-o", str(tmp_path / "shared.png")]) == 0
    assert main(["export", *common, "-o", str(tmp_path / "unit.png"), "--cell-scale", "unit"]) == 0
    shared, unit = image_array(tmp_path / "shared.png"), image_array(tmp_path / "unit.png")
    rows = np.nonzero((shared != unit).any(axis=(1, 2)))[0]
    assert rows.size > 20, "the cell-state heatmap did not change"
    # LSTM heatmaps stack i, f, g, o, c, h: only the fifth band (c, its title and colour bar) may change
    assert rows.min() > 0.55 * shared.shape[0] and rows.max() < 0.85 * shared.shape[0]


@pytest.fixture
def umask():
    """Set the process umask for a test (mkstemp's 0600 must not leak into the user's files)."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_mask(mask):
        os.umask(mask)

    yield set_mask
    os.umask(saved)


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_written_files_get_the_users_normal_permissions(files, tmp_path, qapp, umask):
    """Figures, animations, data, saved models and trace files: 0666 less the umask, like any
    program's new files (they were 0600, unreadable to a web server or a colleague)."""
    from gateviz.formats.gateviz_file import load_gateviz_model, save_model

    model, seq = files / "lstm.pt", files / "seq.npy"
    umask(0o022)
    for name, extra in (("f.png", []), ("f.svg", []), ("f.pdf", []), ("t.csv", []), ("t.npz", []),
                        ("a.gif", ["--size", "120x90", "--range", "0:2"])):
        assert main(["export", str(model), str(seq), "-o", str(tmp_path / name), "--panel", "traces", *extra]
                    if name.endswith(("png", "svg", "pdf", "gif")) else
                    ["export", str(model), str(seq), "-o", str(tmp_path / name)]) == 0
        assert _mode(tmp_path / name) == 0o644, name
    assert main(["trace", str(model), str(seq), "-o", str(tmp_path / "trace.npz")]) == 0
    assert _mode(tmp_path / "trace.npz") == 0o644
    save_model(load_gateviz_model(files / "sine.gvm"), tmp_path / "m.gvm")
    assert _mode(tmp_path / "m.gvm") == 0o644
    umask(0o027)  # a stricter umask is honoured too
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "group.csv")]) == 0
    save_model(load_gateviz_model(files / "sine.gvm"), tmp_path / "group.gvm")
    assert _mode(tmp_path / "group.csv") == _mode(tmp_path / "group.gvm") == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_force_keeps_the_replaced_files_mode(files, tmp_path, qapp, umask):
    from gateviz.formats.gateviz_file import load_gateviz_model, save_model

    umask(0o022)
    model, seq = files / "lstm.pt", files / "seq.npy"
    for name, mode in (("shared.png", 0o664), ("private.csv", 0o600)):
        target = tmp_path / name
        target.write_text("old")
        os.chmod(target, mode)
        assert main(["export", str(model), str(seq), "-o", str(target), "--force"]) == 0
        assert target.read_bytes() != b"old" and _mode(target) == mode, name
    gvm = tmp_path / "kept.gvm"
    gvm.write_text("old")
    os.chmod(gvm, 0o660)
    save_model(load_gateviz_model(files / "sine.gvm"), gvm, overwrite=True)
    assert _mode(gvm) == 0o660


def test_default_step_is_the_last_and_the_files_title_names_it(files, tmp_path, qapp, capsys):
    from PySide6.QtGui import QImage

    model, seq = files / "lstm.pt", files / "seq.npy"
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "h.png"), "--panel", "heatmaps"]) == 0
    assert "heatmaps at step 23," in capsys.readouterr().out
    assert QImage(str(tmp_path / "h.png")).text("Title") == "lstm: heatmaps, layer 0 forward, step 23 of 0..23"
    assert main(["export", str(model), str(seq), "-o", str(tmp_path / "h.svg"), "--panel", "heatmaps",
                 "--step", "4", "--layer", "1"]) == 0
    title = ET.parse(tmp_path / "h.svg").getroot().find("{http://www.w3.org/2000/svg}title").text
    assert title == "lstm: heatmaps, layer 1 forward, step 4 of 0..23"
