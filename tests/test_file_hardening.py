"""Issue 11, hostile model and sequence files (PyTorch, safetensors, .gvm, .npy/.csv).

Each case makes its own small file and runs it through the command line: exit status 2, one
stderr line "gateviz: error: ..." naming the problem, no "unexpected", no traceback. A task named
in a model file never makes gateviz read a file the user did not name.
"""

import json
import os
import pickle
import sys
import zipfile

import numpy as np
import pytest
import torch
from reference import random_layer, random_model
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save as np_save
from safetensors.torch import save_file

from gateviz.cli import main
from gateviz.core import InputStage
from gateviz.core.model import Head, RecurrentModel
from gateviz.formats import save_model
from gateviz.formats.detect import read_safetensors_header


def _error_line(capsys, *needles: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gateviz: error: "), err
    assert "Traceback" not in err and "unexpected" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _refused(capsys, argv, *needles: str) -> str:
    assert main(argv) == 2
    return _error_line(capsys, *needles)


# --------------------------------------------------------------------------- a task names a file


class _Opens:
    """Every path this process opens (sys.addaudithook cannot be removed, so it records into a switchable list)."""

    active: list | None = None

    @classmethod
    def hook(cls, event, args):
        if cls.active is not None and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            cls.active.append(os.fsdecode(args[0]))


sys.addaudithook(_Opens.hook)


def _text_model(vocab: list[str]) -> RecurrentModel:
    rng = np.random.default_rng(0)
    V = len(vocab)
    layer = random_layer(rng, "lstm", 6, V)
    head = Head(weight=rng.standard_normal((V, 6)).astype(np.float32), bias=np.zeros(V, np.float32),
                activation="softmax")
    return RecurrentModel(layers=[layer], input=InputStage("onehot", features=V, vocab=vocab), head=head,
                          name="char").validate()


@pytest.fixture
def secret_and_model(tmp_path):
    marker = "ZQXJ-SECRET-MARKER"
    secret = tmp_path / "secret.txt"
    secret.write_text((marker + " the password is hunter2\n") * 200)
    vocab = sorted(set(secret.read_text()))
    model = _text_model(vocab)
    model.task = {"name": "text", "corpus": "file", "path": str(secret), "seq_len": 50}
    return secret, marker, save_model(model, tmp_path / "char.gvm")


def _assert_not_read(opened: list, secret) -> None:
    assert not [p for p in opened if os.path.basename(p) == secret.name], opened


@pytest.mark.parametrize("fmt", ["csv", "svg"])
def test_a_task_in_a_model_file_never_reads_the_file_it_names(tmp_path, secret_and_model, fmt, capsys):
    secret, marker, model_file = secret_and_model
    out = tmp_path / f"out.{fmt}"
    _Opens.active = opened = []
    try:
        rc = main(["export", str(model_file), "-o", str(out), "--panel", "io"])
    finally:
        _Opens.active = None
    assert rc == 0, capsys.readouterr().err
    _assert_not_read(opened, secret)
    data = out.read_bytes()
    assert marker.encode() not in data and b"hunter2" not in data


def test_the_app_open_path_never_reads_the_file_a_task_names(secret_and_model):
    from gateviz.ui.workers import load_and_trace

    secret, marker, model_file = secret_and_model
    _Opens.active = opened = []
    try:
        loaded = load_and_trace(str(model_file))
    finally:
        _Opens.active = None
    _assert_not_read(opened, secret)
    assert loaded.samples == [] and marker not in str(loaded.sequence)
    assert loaded.task is not None and loaded.task.path is None


def test_a_text_model_trained_on_a_file_carries_its_samples(tmp_path, secret_and_model):
    """What the task shows travels in the model file: stored passages, the vocabulary."""
    from gateviz.tasks import get_task, get_task_for_model
    from gateviz.ui.workers import load_and_trace

    secret, marker, _ = secret_and_model
    task = get_task("text", path=str(secret))  # named by the user: read
    model = _text_model(task.vocab)
    model.task = task.options()
    assert model.task["stored_samples"] and model.task["corpus"] == "file"
    saved = save_model(model, tmp_path / "trained.gvm")
    _Opens.active = opened = []
    try:
        loaded = load_and_trace(str(saved))
    finally:
        _Opens.active = None
    _assert_not_read(opened, secret)
    assert [s.sequence for s in loaded.samples] == model.task["stored_samples"]
    assert loaded.sequence == model.task["stored_samples"][0]
    rebuilt = get_task_for_model(loaded.model)
    assert rebuilt.path is None and rebuilt.options()["stored_samples"] == model.task["stored_samples"]


def test_a_digits_task_never_reads_the_folder_it_names(tmp_path):
    from gateviz.tasks import get_task_for_model

    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 12)
    model = random_model(0, "lstm", units=(4,), input_size=8, head_out=10)
    model.task = {"name": "digits", "source": "mnist", "mnist_dir": str(folder)}
    _Opens.active = opened = []
    try:
        task = get_task_for_model(model)
        samples = []
        try:
            samples = task.samples()
        except Exception:
            pass
    finally:
        _Opens.active = None
    assert task.mnist_dir is None and samples == []
    assert not [p for p in opened if str(folder) in p], opened
