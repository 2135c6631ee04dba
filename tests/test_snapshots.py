"""Training snapshots (issue 16): kept while training, stored in the .gvm, traced per snapshot, exported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from gateviz.cli import main
from gateviz.core.engine import Tracer
from gateviz.core.snapshots import (SnapshotTraces, model_at_snapshot, snapshot_steps, weight_arrays)
from gateviz.formats.detect import read_safetensors_header
from gateviz.formats.gateviz_file import load_gateviz_model, save_model
from gateviz.training import TrainConfig, Trainer, build_network

from cli_checks import error_line

BUNDLED = Path(__file__).resolve().parents[1] / "resources" / "models"


@pytest.fixture(scope="module")
def trained():
    """A small LSTM on binary addition, 2 epochs (128 steps), 8 snapshots."""
    trainer = Trainer(TrainConfig(task="binary-addition", units=8, epochs=2, snapshots=8, seed=1))
    for _ in trainer.run():
        pass
    return trainer, trainer.model()


def _states_equal(a, b) -> None:
    assert a.states.keys() == b.states.keys()
    for key in a.states:
        assert a.states[key].keys() == b.states[key].keys()
        for q in a.states[key]:
            np.testing.assert_array_equal(a.states[key][q], b.states[key][q])
    np.testing.assert_array_equal(a.output, b.output)


def test_snapshot_steps_are_log_spaced_distinct_and_include_both_ends():
    steps = snapshot_steps(192, 20)
    assert len(steps) == 20 and steps[0] == 0 and steps[-1] == 192
    assert all(b > a for a, b in zip(steps, steps[1:]))
    gaps = np.diff(steps)
    assert gaps[:5].max() < gaps[-5:].min()  # denser early
    assert snapshot_steps(5, 20) == [0, 1, 2, 3, 4, 5]  # a short run: every step
    assert snapshot_steps(100, 0) == [] and snapshot_steps(100, 1) == [100] and snapshot_steps(100, 2) == [0, 100]
    for total in range(1, 60):
        for count in range(2, 25):
            s = snapshot_steps(total, count)
            assert len(s) == min(count, total + 1) and s[0] == 0 and s[-1] == total and s == sorted(set(s))


def test_trainer_keeps_snapshots_at_the_planned_steps(trained):
    trainer, model = trained
    total = trainer.history[-1].total_steps
    snaps = model.snapshots
    assert [s.step for s in snaps] == snapshot_steps(total, 8)
    per_epoch = total // 2
    assert [s.epoch for s in snaps] == [-(-s.step // per_epoch) for s in snaps]
    assert snaps[0].epoch == 0 and snaps[-1].epoch == 2
    # the last snapshot is the trained model itself; its metric is the final evaluation's
    for name, a in weight_arrays(model).items():
        np.testing.assert_array_equal(snaps[-1].weights[name], a)
    assert snaps[-1].metric == trainer.metrics[trainer.task.metric] and snaps[-1].metric_step == total
    assert snaps[0].metric is None and snaps[0].metric_name == trainer.task.metric
    assert all(s.loss is not None and np.isfinite(s.loss) for s in snaps)
    assert snaps[-1].loss < snaps[0].loss
    # snapshot 0 is torch's own untrained network (PyTorch's gate layout is the canonical one)
    torch.manual_seed(1)
    net = build_network(trainer.task, trainer.config)
    np.testing.assert_array_equal(snaps[0].weights["layers.0.dir0.Wx"], net.rnn.weight_ih_l0.detach().numpy())
    np.testing.assert_array_equal(snaps[0].weights["layers.0.dir0.bh"], net.rnn.bias_hh_l0.detach().numpy())
    np.testing.assert_array_equal(snaps[0].weights["head.weight"], net.head.weight.detach().numpy())
    assert not np.array_equal(snaps[0].weights["layers.0.dir0.Wh"], snaps[-1].weights["layers.0.dir0.Wh"])


def test_snapshots_do_not_change_training(trained):
    """The same seed trains to the same weights with or without snapshots, and snapshots=0 keeps none."""
    trainer, model = trained
    plain = Trainer(TrainConfig(task="binary-addition", units=8, epochs=2, snapshots=0, seed=1))
    for _ in plain.run():
        pass
    other = plain.model()
    assert other.snapshots == [] and plain.snapshots == []
    for name, a in weight_arrays(model).items():
        np.testing.assert_array_equal(weight_arrays(other)[name], a)
    assert "snapshots" not in model.task["trained_with"]


def test_snapshots_stored_and_read_back_exactly(trained, tmp_path):
    _, model = trained
    path = save_model(model, tmp_path / "m.gvm")
    back = load_gateviz_model(path)
    assert len(back.snapshots) == len(model.snapshots)
    for a, b in zip(model.snapshots, back.snapshots):
        assert b.info() == a.info() and b.dtype == "float32"
        assert b.weights.keys() == a.weights.keys()
        for name in a.weights:
            assert b.weights[name].dtype == np.float32
            np.testing.assert_array_equal(b.weights[name], a.weights[name])
    meta = read_safetensors_header(path)["__metadata__"]
    assert [s["step"] for s in json.loads(meta["snapshots"])] == [s.step for s in model.snapshots]
    # the same model, saved again, gives the same bytes
    again = save_model(back, tmp_path / "again.gvm")
    assert again.read_bytes() == path.read_bytes()


def test_model_without_snapshots_writes_the_same_bytes_as_before(tmp_path):
    """text-rnn.gvm was written before snapshots existed: reading and saving it gives its bytes."""
    original = BUNDLED / "text-rnn.gvm"
    model = load_gateviz_model(original)
    assert model.snapshots == []
    out = save_model(model, tmp_path / "same.gvm")
    assert out.read_bytes() == original.read_bytes()
    header = read_safetensors_header(out)
    assert "snapshots" not in header["__metadata__"] and not any(k.startswith("snapshots.") for k in header)


def test_old_files_open_without_snapshots():
    """The text models were written before snapshots existed (the others carry 16 since)."""
    old = sorted(BUNDLED.glob("text-*.gvm"))
    assert old
    for path in old:
        assert load_gateviz_model(path).snapshots == [], path


def test_bundled_models_carry_their_training_snapshots():
    """The time-lapse works out of the box: every bundled model but the text ones keeps 16 float16
    snapshots, from the untrained weights to exactly the trained ones (rounded to float16)."""
    import numpy as np

    for path in sorted(set(BUNDLED.glob("*.gvm")) - set(BUNDLED.glob("text-*.gvm"))):
        model = load_gateviz_model(path)
        assert len(model.snapshots) == 16 and {s.dtype for s in model.snapshots} == {"float16"}, path
        assert model.snapshots[0].step == 0 and model.snapshots[0].loss is not None
        last = model.snapshots[-1].weights["layers.0.dir0.Wx"]
        np.testing.assert_array_equal(last, model.layers[0].directions[0].Wx.astype(np.float16), err_msg=str(path))


def test_float16_snapshots_are_marked(trained, tmp_path):
    _, model = trained
    back = load_gateviz_model(save_model(model, tmp_path / "half.gvm", snapshot_dtype="float16"))
    assert (tmp_path / "half.gvm").stat().st_size < 0.7 * save_model(model, tmp_path / "full.gvm").stat().st_size
    for a, b in zip(model.snapshots, back.snapshots):
        assert b.dtype == "float16"
        for name in a.weights:
            np.testing.assert_array_equal(b.weights[name], a.weights[name].astype(np.float16))
    # the model's own weights stay float32 and exact
    for name, w in weight_arrays(model).items():
        np.testing.assert_array_equal(weight_arrays(back)[name], w)
    at = model_at_snapshot(back, 2)
    assert "float16 weights" in at.name and at.layers[0].directions[0].Wx.dtype == np.float32
    sequence = _sample(back)
    trace = SnapshotTraces(back, sequence).get(2)
    assert trace.meta["snapshot"]["dtype"] == "float16" and "float16 weights" in trace.meta["name"]
    assert "float16 weights" in back.snapshots[2].title()
    # saving again as float32 cannot undo the rounding: the snapshots stay float16, and say so
    again = load_gateviz_model(save_model(back, tmp_path / "again.gvm", snapshot_dtype="float32"))
    assert {s.dtype for s in again.snapshots} == {"float16"}


def _sample(model):
    from gateviz.tasks import get_task_for_model

    return get_task_for_model(model).samples()[0].sequence


def test_traces_at_snapshots_are_the_engines_and_cached(trained):
    _, model = trained
    sequence = _sample(model)
    traces = SnapshotTraces(model, sequence)
    for k in range(len(model.snapshots)):
        at = model_at_snapshot(model, k)
        assert model_at_snapshot(model, k) is at  # built once
        _states_equal(traces.get(k), Tracer(at).trace(sequence))
        assert traces.get(k).meta["snapshot"]["step"] == model.snapshots[k].step
    first, last = traces.get(0), traces.get(-1)
    assert traces.get(0) is first  # a cached lookup is the same object
    early, late = first.states[(0, "forward")]["cell_state"], last.states[(0, "forward")]["cell_state"]
    assert not np.allclose(early, late, atol=1e-3)
    _states_equal(last, Tracer(model).trace(sequence))  # the last snapshot is the model


def test_trace_cache_is_bounded(trained):
    _, model = trained
    traces = SnapshotTraces(model, _sample(model), max_bytes=1)  # room for one trace only
    a = traces.get(0)
    traces.get(1)
    assert traces.cached(1) and not traces.cached(0)
    again = traces.get(0)
    assert again is not a
    _states_equal(again, a)


def test_snapshot_errors_are_clear(trained):
    from gateviz.core.errors import GatevizError

    _, model = trained
    with pytest.raises(GatevizError, match="snapshots 0..7"):
        model_at_snapshot(model, 8)
    plain = load_gateviz_model(BUNDLED / "text-rnn.gvm")
    with pytest.raises(GatevizError, match="no training snapshots.*--snapshots"):
        model_at_snapshot(plain, 0)


def test_cli_train_snapshots_and_dtype(tmp_path, capsys):
    out = tmp_path / "m.gvm"
    code = main(["train", "binary-addition", "--units", "4", "--epochs", "1", "--quiet", "--snapshots", "5",
                 "--snapshot-dtype", "float16", "-o", str(out)])
    assert code == 0
    assert "5 float16 snapshots" in capsys.readouterr().out
    model = load_gateviz_model(out)
    assert [s.step for s in model.snapshots] == snapshot_steps(64, 5)
    assert {s.dtype for s in model.snapshots} == {"float16"}
    capsys.readouterr()
    assert main(["info", str(out)]) == 0  # gateviz info says what the file holds
    assert "snapshots:  5 from training steps 0 to 64 (float16 weights)" in capsys.readouterr().out
    assert main(["info", str(out), "--json"]) == 0
    import json

    listed = json.loads(capsys.readouterr().out)["snapshots"]
    assert [(s["step"], s["dtype"]) for s in listed] == [(s.step, "float16") for s in model.snapshots]
    none = tmp_path / "none.gvm"
    assert main(["train", "binary-addition", "--units", "4", "--epochs", "1", "--quiet", "--snapshots", "0",
                 "-o", str(none)]) == 0
    assert load_gateviz_model(none).snapshots == []
    assert "snapshots" not in read_safetensors_header(none)["__metadata__"]
    measured = tmp_path / "measured.gvm"
    assert main(["train", "binary-addition", "--units", "4", "--epochs", "1", "--quiet", "--snapshots", "3",
                 "--snapshot-metrics", "-o", str(measured)]) == 0
    assert "measured exact_sums on 3 snapshots" in capsys.readouterr().err
    assert all(s.metric_step == s.step and s.metric is not None for s in load_gateviz_model(measured).snapshots)
    assert main(["train", "binary-addition", "--snapshots", "-1", "-o", str(tmp_path / "x.gvm")]) == 2
    error_line(capsys, "--snapshots", "0")


def test_damaged_snapshot_metadata_is_refused(trained, tmp_path):
    """A snapshot whose tensor is missing gets a one-line FormatError naming it."""
    from safetensors.numpy import load_file, save

    from gateviz.core.errors import FormatError

    _, model = trained
    path = save_model(model, tmp_path / "m.gvm")
    meta = read_safetensors_header(path)["__metadata__"]
    tensors = load_file(str(path))
    del tensors["snapshots.3.head.bias"]
    broken = tmp_path / "broken.gvm"
    broken.write_bytes(save(tensors, metadata=meta))
    with pytest.raises(FormatError, match=r"snapshot 3 lacks .*snapshots\.3\.head\.bias"):
        load_gateviz_model(broken)
    shutil.copy(path, tmp_path / "ok.gvm")
    assert len(load_gateviz_model(tmp_path / "ok.gvm").snapshots) == 8


def test_cli_timelapse_one_titled_frame_per_snapshot(trained, tmp_path, capsys):
    from PIL import Image, ImageSequence

    _, model = trained
    path = save_model(model, tmp_path / "m.gvm")
    gif = tmp_path / "grow.gif"
    assert main(["export", str(path), "--timelapse", "--step", "3", "-o", str(gif)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "8 frames (one per training snapshot) of the heatmaps at step 3" in out[0]
    last = model.snapshots[-1].step
    titles = [f"{model.name} · {s.title(total_steps=last)}" for s in model.snapshots]
    assert [line.strip() for line in out[1:]] == titles
    assert out[1].strip().startswith(f"{model.name} · step 0/128 · epoch 0 · loss ")
    frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(gif))]
    assert len(frames) == 8
    band = slice(0, 30)  # the title line: its text changes from frame to frame
    assert not np.array_equal(frames[0][band], frames[1][band])
    assert not np.array_equal(frames[0][60:], frames[-1][60:])  # and so do the heatmaps


def test_cli_timelapse_refusals(trained, tmp_path, capsys):
    assert main(["export", str(BUNDLED / "text-rnn.gvm"), "--timelapse", "-o", str(tmp_path / "a.gif")]) == 2
    error_line(capsys, "no training snapshots", "--snapshots N")
    _, model = trained
    path = save_model(model, tmp_path / "m.gvm")
    assert main(["export", str(path), "--timelapse", "--range", "0:4", "-o", str(tmp_path / "b.gif")]) == 2
    error_line(capsys, "--range", "--step T")
    assert main(["export", str(path), "--timelapse", "-o", str(tmp_path / "c.png")]) == 2
    error_line(capsys, ".gif or .mp4")
    assert not any(tmp_path.glob("*.gif")) and not (tmp_path / "c.png").exists()


def test_evaluate_snapshots_measures_each_snapshots_own_weights():
    trainer = Trainer(TrainConfig(task="binary-addition", units=4, epochs=1, snapshots=4, seed=2))
    for _ in trainer.run():
        pass
    before = [s.metric_step for s in trainer.snapshots]
    assert before[0] is None and before[-1] == 64
    trainer.evaluate_snapshots()
    model = trainer.model()
    metric = trainer.task.metric
    for k, snap in enumerate(model.snapshots):
        assert snap.metric_step == snap.step
        assert snap.metric == trainer.task.evaluate(model_at_snapshot(model, k))[metric]
    assert model.snapshots[-1].metric == trainer.metrics[metric]
    assert metric in model.snapshots[0].title() and "at step" not in model.snapshots[0].title()


def test_snapshots_so_far_are_available_while_training():
    """The app can show the newest snapshot live: model() mid-run carries the snapshots taken so far."""
    trainer = Trainer(TrainConfig(task="binary-addition", units=4, epochs=2, snapshots=6, seed=3))
    plan = snapshot_steps(128, 6)
    seen = []
    for progress in trainer.run():
        if not progress.done:
            steps = [s.step for s in trainer.model().snapshots]
            assert steps == [s for s in plan if s < progress.step][:len(steps)]
            seen.append(len(steps))
    assert [s.step for s in trainer.snapshots] == plan
    assert max(seen) < 6  # the last one comes with the end of the run


def test_a_bundled_models_time_lapse_works_out_of_the_box(tmp_path, capsys):
    """The default size is narrower than a long title: the title is elided, the export is written."""
    from PIL import Image

    out = tmp_path / "grow.gif"
    assert main(["export", "bundled:brackets-lstm", "--timelapse", "-o", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 16
    assert "step 768/768" in capsys.readouterr().out, "the full titles are reported"
