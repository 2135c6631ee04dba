"""The pretrained models that ship with gateviz (resources/models/*.gvm).

``resources/models/index.json`` lists them (written by ``scripts/train_bundled.py``,
which regenerates every file deterministically); listing them reads only that JSON,
so the app can fill its menu without importing torch.

    default = default_bundled()              # what the app opens on
    model = load_bundled(default.name)
    sample = default_sample(model)           # the task's most telling input
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .core.errors import GatevizError
from .core.texts import QT_TRANSLATE_NOOP
from .paths import resource
from .tasks.base import Sample

INDEX = "index.json"
DEFAULT_MODEL = "brackets-lstm"  # its deep-nesting sample shows a counting cell climb and fall

# The words of the menu labels and of index.json's descriptions, for the interface's translation
# (gateviz.ui.i18n.localized; scripts/train_bundled.py writes the descriptions with these templates)
TASK_WORDS = {"sine": QT_TRANSLATE_NOOP("Bundled", "sine"),
              "binary-addition": QT_TRANSLATE_NOOP("Bundled", "binary-addition"),
              "digits": QT_TRANSLATE_NOOP("Bundled", "digits"),
              "brackets": QT_TRANSLATE_NOOP("Bundled", "brackets"),
              "adding": QT_TRANSLATE_NOOP("Bundled", "adding"),
              "text": QT_TRANSLATE_NOOP("Bundled", "text")}
STEPS_VARIANT = QT_TRANSLATE_NOOP("Bundled", "{steps} steps")
LONG_ADDING_DESCRIPTIONS = {
    "lstm": QT_TRANSLATE_NOOP("Bundled", "LSTM(32) on the adding problem over {steps} steps"),
    "gru": QT_TRANSLATE_NOOP("Bundled", "GRU(32) on the adding problem over {steps} steps"),
    "rnn": QT_TRANSLATE_NOOP("Bundled", "plain tanh RNN(32) on the adding problem over {steps} steps: its "
                                        "gradient vanishes long before the first marker")}


@dataclass(frozen=True)
class BundledModel:
    name: str  # e.g. "sine-lstm"
    task: str
    cell: str
    path: Path
    description: str
    units: int = 0
    metrics: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    steps: int = 0  # the length of the sequences it trained on
    meets_bar: bool = True  # a plain RNN may miss its task's quality bar (issue 12)
    variant: str = ""  # a task variant, e.g. "150 steps" for the long adding problem

    @property
    def label(self) -> str:
        """For menus: "brackets: LSTM(16)", "adding, 150 steps: RNN(32)" (a Message: it translates)."""
        if not self.units:
            return self.name
        task: str = TASK_WORDS.get(self.task, self.task)
        if self.variant:
            task = QT_TRANSLATE_NOOP("Bundled", "{task}, {variant}").format(task=task, variant=self.variant)
        cell = f"{self.cell.upper()}({self.units})"
        return QT_TRANSLATE_NOOP("Bundled", "{task}: {cell}").format(task=task, cell=cell)


def models_dir() -> Path:
    return resource("models")


@lru_cache(maxsize=1)
def _index() -> tuple[BundledModel, ...]:
    folder = models_dir()
    try:
        entries = json.loads((folder / INDEX).read_text(encoding="utf-8"))["models"]
    except FileNotFoundError:
        return ()
    return tuple(BundledModel(name=e["name"], task=e["task"], cell=e["cell"], path=folder / e["file"],
                              description=e["description"], units=int(e.get("units", 0)),
                              metrics=dict(e.get("metrics", {})), steps=int(e.get("steps", 0)),
                              meets_bar=bool(e.get("meets_bar", True)), variant=str(e.get("variant", "")))
                 for e in entries)


def list_bundled() -> list[BundledModel]:
    """Every bundled model, in menu order (by task, then LSTM, GRU, RNN)."""
    return list(_index())


def get_bundled(name: str) -> BundledModel:
    for entry in _index():
        if entry.name == name:
            return entry
    names = ", ".join(e.name for e in _index()) or "none are installed"
    raise GatevizError(f"no bundled model named {name!r}; the bundled models are: {names}")


def load_bundled(name: str):
    """A bundled model by name, as a RecurrentModel."""
    from .formats.gateviz_file import load_gateviz_model

    entry = get_bundled(name)
    model = load_gateviz_model(entry.path)
    model.name = entry.name
    return model


def default_bundled() -> BundledModel:
    """The model the app opens on: an LSTM whose trace tells a story at once."""
    entries = _index()
    if not entries:
        raise GatevizError(f"no bundled models were found in {models_dir()}; run scripts/train_bundled.py")
    for entry in entries:
        if entry.name == DEFAULT_MODEL:
            return entry
    return next((e for e in entries if e.cell == "lstm"), entries[0])


def default_sample(model) -> Sample:
    """The most telling input for a model: its task's first sample, or a generic one.

    For a model gateviz did not train: a text model gets a line of code made of its
    vocabulary's characters; a numeric model gets 100 steps of sine waves, one phase
    per feature.
    """
    from .tasks import get_task_for_model

    task = get_task_for_model(model)
    if task is not None:
        try:
            samples = task.samples()
        except GatevizError:
            samples = []
        if samples:
            return samples[0]
    stage = model.input
    if stage.takes_tokens:
        vocab = list(stage.vocab or [])
        wanted = 'def greet(name):\n    return "Hello, " + name\n'
        text = "".join(ch for ch in wanted if ch in vocab)
        if len(text) < 10:
            text = "".join(vocab[k % len(vocab)] for k in range(40)) if vocab else ""
        if not text:  # an embedding without a vocabulary: token ids
            V = stage.embedding.shape[0]
            return Sample("token ids", f"40 token ids cycling through 0..{V - 1}", (np.arange(40) % V).astype(np.int64))
        return Sample("text", "a short text in the model's vocabulary", text)
    F = stage.features
    t = np.linspace(0, 4 * np.pi, 100, dtype=np.float32)
    seq = np.stack([np.sin(t + k * np.pi / max(F, 1)) for k in range(F)], axis=1).astype(np.float32)
    return Sample("sine waves", f"100 steps of sine waves, one phase per feature ({F} feature(s))", seq)


def index_entry(model, file: str, description: str, metrics: dict[str, float]) -> dict[str, Any]:
    """One line of index.json (used by scripts/train_bundled.py)."""
    return {"name": Path(file).stem, "task": model.task["name"], "cell": model.cell, "file": file,
            "units": model.layers[0].units, "description": description,
            "metrics": {k: float(f"{v:.5g}") for k, v in metrics.items()}}


# --------------------------------------------------------------------------- the start-up trace
# The app opens on the default model's default sample. Its trace ships with the bundle (made by
# scripts/train_bundled.py, checked by tests against a fresh trace), so the window shows a traced
# model without importing torch first (~1 s of start-up; issue 17): torch loads later, when
# something is traced again.
STARTUP_TRACE = "startup-trace.npz"


def _sequence_digest(sequence) -> str:
    import hashlib

    if isinstance(sequence, str):
        return "text:" + hashlib.sha256(sequence.encode("utf-8")).hexdigest()
    a = np.ascontiguousarray(sequence)
    return f"array:{a.dtype.str}:{a.shape}:" + hashlib.sha256(a.tobytes()).hexdigest()


def _file_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_startup_trace(folder: Path | None = None) -> Path:
    """Trace the default model on its default sample and store it beside the models (torch needed)."""
    from .core.engine import Tracer

    folder = Path(folder) if folder is not None else models_dir()
    entry = default_bundled()
    model = load_bundled(entry.name)
    sequence = default_sample(model).sequence
    trace = Tracer(model).trace(sequence)
    arrays = trace.to_arrays()
    if trace.inputs is not None:
        arrays["startup.inputs"] = np.ascontiguousarray(trace.inputs)
    if trace.tokens is not None:
        arrays["startup.tokens"] = np.ascontiguousarray(trace.tokens)
    arrays["startup.key"] = np.array(json.dumps({"model": entry.name, "model_sha256": _file_digest(entry.path),
                                                 "sequence": _sequence_digest(sequence)}))
    path = folder / STARTUP_TRACE
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def startup_trace(name: str, sequence):
    """The shipped trace of bundled model ``name`` on ``sequence``, or None when none was shipped
    for exactly that model file and input (then the caller traces as usual)."""
    from .core.trace import Trace

    path = models_dir() / STARTUP_TRACE
    try:
        entry = get_bundled(name)
        with np.load(path, allow_pickle=False) as data:
            key = json.loads(str(data["startup.key"]))
            if key != {"model": name, "model_sha256": _file_digest(entry.path),
                       "sequence": _sequence_digest(sequence)}:
                return None
            inputs = data["startup.inputs"] if "startup.inputs" in data.files else None
            tokens = data["startup.tokens"] if "startup.tokens" in data.files else None
        trace = Trace.load(path)
    except (OSError, KeyError, ValueError, GatevizError):
        return None
    trace.inputs, trace.tokens = inputs, tokens
    trace.meta.pop("length", None)  # the file's own bookkeeping, not in a fresh trace's meta
    trace.meta["source"] = str(entry.path)  # where this installation's model file is, as a fresh trace says
    return trace
