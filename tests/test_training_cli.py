"""``gateviz train``: help, end-to-end training to a model file, refusals with one-line errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gateviz.cli import main
from gateviz.core.engine import Tracer
from gateviz.formats.gateviz_file import load_gateviz_model
from gateviz.tasks import get_task_for_model

ROOT = Path(__file__).resolve().parent.parent


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as done:
        main(["train", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--cell", "--units", "--layers", "--bidirectional", "--dropout", "--epochs", "--time-budget",
                   "--lr", "--batch-size", "--seed", "--mnist", "--text", "--force", "-o MODEL", "--threads"):
        assert option in text, option
    for task in ("sine", "binary-addition", "digits", "brackets", "adding", "text"):
        assert task in text
    assert "refused for next-step tasks" in " ".join(text.split())


def test_train_end_to_end_in_a_subprocess(tmp_path):
    out = tmp_path / "adder"
    proc = subprocess.run([sys.executable, "-m", "gateviz", "train", "binary-addition", "--units", "8",
                           "--epochs", "2", "--seed", "4", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "[#" in proc.stderr and "100.0%" in proc.stderr  # the progress bar
    assert "exact_sums" in proc.stdout and "quality bar" in proc.stdout
    path = tmp_path / "adder.gvm"
    model = load_gateviz_model(path)
    assert model.name == "adder" and model.layers[0].units == 8 and model.head.activation == "sigmoid"
    task = get_task_for_model(model)
    assert task.name == "binary-addition"
    printed = float(proc.stdout.split("exact_sums ")[1].split(",")[0])
    assert task.evaluate(model)["exact_sums"] == pytest.approx(printed, abs=1e-5)
    # never overwrite without --force
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "gateviz", "train", "binary-addition", "--epochs", "1",
                           "-o", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "exists; pass --force" in proc.stderr
    assert path.read_bytes() == before


def test_force_overwrites_and_options_reach_the_model(tmp_path, capsys):
    path = tmp_path / "b.gvm"
    path.write_bytes(b"old")
    code = main(["train", "brackets", "--cell", "gru", "--units", "6", "--layers", "2", "--dropout", "0.2",
                 "--bidirectional", "--epochs", "1", "--batch-size", "128", "--lr", "0.01", "--quiet",
                 "-o", str(path), "--force"])
    assert code == 0
    model = load_gateviz_model(path)
    assert model.cell == "gru" and len(model.layers) == 2 and model.layers[1].bidirectional
    trained = model.task["trained_with"]
    assert (trained["dropout"], trained["batch_size"], trained["lr"], trained["epochs"]) == (0.2, 128, 0.01, 1)
    tr = Tracer(model).trace("(a(b))")
    assert tr.output.shape == (6, 9)
    assert "[#" not in capsys.readouterr().err  # --quiet


@pytest.mark.parametrize("argv,message", [
    (["sine", "--bidirectional"], "predicts the next step"),
    (["sine", "--mnist", "/tmp"], "--mnist only applies to the digits task"),
    (["digits", "--text", "x.txt"], "--text only applies to the text task"),
    (["text", "--text", "/no/such/file.txt"], "no such text file"),
    (["adding", "--dropout", "0.5"], "add --layers 2"),
    (["adding", "--units", "0"], "units must be a whole number"),
    (["digits", "--mnist", "/no/such/folder"], "is not a folder"),
])
def test_bad_requests_get_one_line(tmp_path, capsys, argv, message):
    code = main(["train", *argv, "--epochs", "1", "-o", str(tmp_path / "m.gvm")])
    err = capsys.readouterr().err
    assert code == 2 and message in err
    assert err.startswith("gateviz: error:") and "Traceback" not in err
    assert not (tmp_path / "m.gvm").exists()


def test_time_budget_stops_training(tmp_path, capsys):
    code = main(["train", "adding", "--units", "8", "--epochs", "1000", "--time-budget", "1", "--quiet",
                 "-o", str(tmp_path / "a.gvm")])
    assert code == 0
    model = load_gateviz_model(tmp_path / "a.gvm")
    steps = model.task["trained_with"]["steps"]
    assert 0 < steps < 1000 * 100
    assert np.isfinite(model.task["metrics"]["test_mse"])


def test_train_digits_on_mnist_idx_files(tmp_path, capsys):
    import gzip

    rng = np.random.default_rng(0)
    data = tmp_path / "mnist"
    data.mkdir()
    for split, n in (("train", 40), ("t10k", 20)):
        for kind, array in (("images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28))),
                            ("labels-idx1-ubyte", np.arange(n) % 10)):
            raw = (bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
                   + array.astype(np.uint8).tobytes())
            (data / f"{split}-{kind}.gz").write_bytes(gzip.compress(raw))
    out = tmp_path / "mnist.gvm"
    assert main(["train", "digits", "--mnist", str(data), "--units", "8", "--epochs", "1", "--quiet",
                 "-o", str(out)]) == 0
    model = load_gateviz_model(out)
    assert model.input.features == 28 and model.task["source"] == "mnist"
    task = get_task_for_model(model)
    sample = task.samples()[0]
    assert sample.sequence.shape == (28, 28)
    assert Tracer(model).trace(sample.sequence).output.shape == (28, 10)
    assert "test_accuracy" in capsys.readouterr().out
