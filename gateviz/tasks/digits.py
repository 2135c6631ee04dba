"""digits: classify a handwritten digit read row by row (one row per step).

Default data: scikit-learn's bundled 8x8 digits (1797 images, no download), so T = 8
steps of 8 features. With ``mnist_dir`` the task reads MNIST's IDX files instead
(28 steps of 28 features). Pixels are scaled to [0, 1]. The head reads the final
state (softmax over 10 classes); the engine also evaluates it after every row, so the
app can show how the model's belief forms as the rows arrive.

decode() keys:
    image          (rows, cols) float in [0, 1] (the sequence itself: row t = step t)
    probabilities  (T, 10) class probabilities after each row (None without a head)
    predicted      int, the class after the last row
    confidence     float, its probability
    label          int or None, the true class when the sample knows it
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import GatevizError
from ..core.model import InputStage, RecurrentModel
from ..core.texts import QT_TRANSLATE_NOOP
from .base import Sample, Task, best_tracking_units, final_outputs, fixed_dataset

# texts with numbers: module-level, so gateviz.core.texts knows the template when the text comes
# back from a model file or a sample catalogue (see texts.match_template)
COLUMN = QT_TRANSLATE_NOOP("Tasks", "column {c}")
A_DIGIT = QT_TRANSLATE_NOOP("Tasks", "a {digit}")
MNIST_IMAGE = QT_TRANSLATE_NOOP("Tasks", "an MNIST test image of a {digit}")
HELD_OUT_8X8 = QT_TRANSLATE_NOOP("Tasks", "a held-out 8x8 test image of a {digit}, read one row per step")
HELD_OUT_MNIST = QT_TRANSLATE_NOOP("Tasks", "a held-out MNIST test image of a {digit}, read one row per step")

SPLIT_SEED = 1797  # the train/test split of the 8x8 digits is the same for every training seed
TEST_FRACTION = 0.2
SAMPLE_ORDER = (7, 3, 0, 4, 9, 1)  # a 7 looks like a 1 until its top bar; a 3 and 9 change their mind
STORED_SAMPLES = 6  # MNIST models carry this many test images so their samples work without the files


def load_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: images float32 (1797, 8, 8) in [0, 1], labels int64 (1797,)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


class DigitsTask(Task):
    name = "digits"
    title = QT_TRANSLATE_NOOP("Tasks", "Handwritten digits, row by row")
    description = QT_TRANSLATE_NOOP("Tasks", "A handwritten digit is read one pixel row per step; after the last row "
                                    "the model names the digit. Default data: scikit-learn's 8x8 digits "
                                    "(offline); MNIST from its IDX files on request.")
    predicts_next_step = False
    head_on = "final_state"
    head_activation = "softmax"
    loss = "ce"
    metric = "test_accuracy"
    metric_label = QT_TRANSLATE_NOOP("Tasks", "test accuracy")
    metric_goal = "max"
    quality_bar = 0.95
    defaults = {"units": 64, "epochs": 15, "lr": 1e-2, "batch_size": 32}

    def __init__(self, source: str = "sklearn", mnist_dir: str | None = None, train_limit: int | None = None,
                 stored_samples: list | None = None):
        if mnist_dir is not None:
            source = "mnist"
        if source not in ("sklearn", "mnist"):
            raise GatevizError(f"unknown digits source {source!r}; use 'sklearn' (the bundled 8x8 digits) or "
                               "'mnist' with the folder of MNIST's IDX files")
        self.source = source
        self.mnist_dir = None if mnist_dir is None else str(Path(mnist_dir).expanduser())
        self.train_limit = train_limit
        self._stored = stored_samples  # [[label, [[row], ...]], ...] from a model file
        self._data: dict[str, np.ndarray] | None = None

    # ---- data ------------------------------------------------------------
    def data(self) -> dict[str, np.ndarray]:
        """train_x (N, rows, cols) float32, train_y (N,), test_x, test_y."""
        if self._data is not None:
            return self._data
        if self.source == "sklearn":
            images, labels = load_sklearn_digits()
            order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
            n_test = int(round(TEST_FRACTION * len(images)))
            test, train = order[:n_test], order[n_test:]
            self._data = {"train_x": images[train], "train_y": labels[train],
                          "test_x": images[test], "test_y": labels[test]}
        else:
            if self.mnist_dir is None or not Path(self.mnist_dir).is_dir():
                raise GatevizError(f"MNIST's IDX files are not available here ({self.mnist_dir or 'no folder given'} "
                                   "is not a folder); give the folder holding train-images-idx3-ubyte[.gz] and "
                                   "friends")
            from .idx import load_mnist

            raw = load_mnist(self.mnist_dir)
            self._data = {"train_x": (raw["train_images"] / 255.0).astype(np.float32),
                          "train_y": raw["train_labels"].astype(np.int64),
                          "test_x": (raw["test_images"] / 255.0).astype(np.float32),
                          "test_y": raw["test_labels"].astype(np.int64)}
        if self.train_limit:
            self._data["train_x"] = self._data["train_x"][: self.train_limit]
            self._data["train_y"] = self._data["train_y"][: self.train_limit]
        return self._data

    @property
    def image_shape(self) -> tuple[int, int]:
        if self.source == "sklearn":
            return (8, 8)
        if self._stored:
            img = np.asarray(self._stored[0][1])
            return (int(img.shape[0]), int(img.shape[1]))
        return tuple(self.data()["test_x"].shape[1:])  # type: ignore[return-value]

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"name": self.name, "source": self.source}
        if self.source == "mnist":
            opts["mnist_dir"] = self.mnist_dir
            opts["image_shape"] = list(self.image_shape)
            # a few test images travel with the model, so its samples work on any machine
            opts["stored_samples"] = [[s.extra["label"], np.round(np.asarray(s.sequence) * 255).astype(int).tolist()]
                                      for s in self.samples()]
        return opts

    def input_stage(self) -> InputStage:
        rows, cols = self.image_shape
        return InputStage(kind="raw", features=cols, feature_names=[COLUMN.format(c=c) for c in range(cols)])

    @property
    def output_size(self) -> int:
        return 10

    def output_labels(self) -> list[str]:
        return [str(d) for d in range(10)]

    def training_data(self, seed: int):
        d = self.data()
        return fixed_dataset(d["train_x"], d["train_y"])

    # ---- samples -----------------------------------------------------------
    def samples(self) -> list[Sample]:
        if self._stored and (self.mnist_dir is None or not Path(self.mnist_dir).is_dir()):
            return [Sample(A_DIGIT.format(digit=label), MNIST_IMAGE.format(digit=label),
                           (np.asarray(img, dtype=np.float32) / 255.0), {"label": int(label)})
                    for label, img in self._stored]
        d = self.data()
        held_out = HELD_OUT_8X8 if self.source == "sklearn" else HELD_OUT_MNIST
        out = []
        for digit in SAMPLE_ORDER:
            hits = np.flatnonzero(d["test_y"] == digit)
            if len(hits):
                k = int(hits[0])
                out.append(Sample(A_DIGIT.format(digit=digit), held_out.format(digit=digit),
                                  d["test_x"][k].copy(), {"label": digit, "index": k}))
        return out[:STORED_SAMPLES]

    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """The units whose h grows with the evidence for the final answer, row by row."""
        output = None if trace.output is None else np.asarray(trace.output)
        chosen = []
        if output is not None and output.shape[0] == trace.length and trace.length > 2:
            answer = int(np.argmax(output[-1]))
            chosen = best_tracking_units(trace.get(layer, direction, "hidden_state"), output[:, answer], count)
        return chosen or super().story_units(sequence, trace, model, layer=layer, direction=direction, count=count)

    def image(self, sequence) -> np.ndarray:
        return np.asarray(sequence, dtype=np.float32)

    # ---- model output --------------------------------------------------------
    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        image = self.image(sequence)
        result: dict[str, Any] = {"image": image, "probabilities": None, "predicted": None, "confidence": None,
                                  "label": None}
        for sample in self.samples() if self._stored or self._data is not None else []:
            if np.array_equal(np.asarray(sample.sequence), image):
                result["label"] = sample.extra.get("label")
                break
        if trace.output is not None:
            probs = np.asarray(trace.output)  # (T, 10) running, or (1, 10) for a bidirectional model
            result["probabilities"] = probs
            result["predicted"] = int(np.argmax(probs[-1]))
            result["confidence"] = float(probs[-1].max())
        return result

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        self.check_model(model)
        d = self.data()
        probs = final_outputs(model, d["test_x"])  # (N, 10)
        return {"test_accuracy": float(np.mean(np.argmax(probs, axis=1) == d["test_y"]))}
