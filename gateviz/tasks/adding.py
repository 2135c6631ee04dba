"""adding: Hochreiter & Schmidhuber's adding problem.

Each step carries a random value in [0, 1) and a marker (0 or 1); exactly two steps are
marked. After the last step the model outputs the sum of the two marked values. A
trained LSTM opens its input gate at the markers and holds its forget gate near 1 in
between. Predicting the mean (1.0) gives a test MSE of about 0.17.

decode() keys:
    values       (T,) the value channel
    markers      (T,) the marker channel (0/1)
    marked       list[int], the marked steps
    target       float, the true sum of the marked values
    prediction   float, the model's output after the last step
    running      (T,) the running prediction after each step (a unidirectional model)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import SequenceError
from ..core.model import InputStage, RecurrentModel
from ..core.texts import QT_TRANSLATE_NOOP
from .base import Batch, Sample, Task, best_tracking_units, final_outputs, generated_dataset, memory_state

HELD_OUT_SEED = 4242
# sample descriptions with numbers: module-level, so gateviz.core.texts knows the template when the
# text comes back from a sample catalogue (see texts.match_template)
FAR_APART = QT_TRANSLATE_NOOP("Tasks", "marked at steps 2 and {second}: hold the first value for {hold} steps")


class AddingTask(Task):
    name = "adding"
    title = QT_TRANSLATE_NOOP("Tasks", "The adding problem")
    description = QT_TRANSLATE_NOOP("Tasks", "A value channel and a marker channel; exactly two steps are marked and "
                                    "the model outputs the sum of their values after the last step: it has to "
                                    "store a value and hold it.")
    predicts_next_step = False
    head_on = "final_state"
    head_activation = "identity"
    loss = "mse"
    metric = "test_mse"
    metric_label = QT_TRANSLATE_NOOP("Tasks", "test MSE")
    metric_goal = "min"
    quality_bar = 0.01
    defaults = {"units": 32, "epochs": 10, "lr": 2e-2, "batch_size": 64}

    def __init__(self, length: int = 50, held_out: int = 1000):
        self.length = int(length)
        if self.length < 2:
            raise SequenceError(f"the adding problem needs at least 2 steps, not {self.length}")
        self.held_out = int(held_out)

    def options(self) -> dict[str, Any]:
        return {"name": self.name, "length": self.length}

    def input_stage(self) -> InputStage:
        return InputStage(kind="raw", features=2, feature_names=["value", "marker"])

    @property
    def output_size(self) -> int:
        return 1

    def output_labels(self) -> list[str]:
        return [QT_TRANSLATE_NOOP("Tasks", "sum of marked values")]

    # ---- data ------------------------------------------------------------
    def generate(self, rng: np.random.Generator, n: int, length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """-> inputs (n, T, 2) float32, targets (n, 1) float32."""
        T = self.length if length is None else length
        values = rng.random((n, T), dtype=np.float32)
        first = rng.integers(0, T, size=n)
        second = (first + rng.integers(1, T, size=n)) % T  # a different step
        markers = np.zeros((n, T), dtype=np.float32)
        rows = np.arange(n)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        target = values[rows, first] + values[rows, second]
        return np.stack([values, markers], axis=-1), target[:, None].astype(np.float32)

    def training_data(self, seed: int):
        def make_batch(rng: np.random.Generator, n: int) -> Batch:
            # batches of mixed lengths up to T: in short sequences the markers' role is found fast,
            # and the same gating then carries over to long ones (no plateau at the mean)
            length = int(rng.integers(min(10, self.length), self.length + 1))
            x, y = self.generate(rng, n, length)
            return Batch(x, y)

        return generated_dataset(make_batch, examples_per_epoch=6400)

    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        return self.generate(np.random.default_rng(HELD_OUT_SEED), self.held_out)

    # ---- samples -----------------------------------------------------------
    def sample(self, first: int, second: int, name: str, description: str, seed: int = 7) -> Sample:
        T = self.length
        first, second = first % T, second % T
        values = np.random.default_rng(seed).random(T).astype(np.float32)
        markers = np.zeros(T, dtype=np.float32)
        markers[[first, second]] = 1.0
        total = float(values[first] + values[second])
        return Sample(name, description, np.stack([values, markers], axis=-1),
                      {"marked": sorted({first, second}), "target": total})

    def samples(self) -> list[Sample]:
        T = self.length
        return [
            self.sample(2, T - 4, QT_TRANSLATE_NOOP("Tasks", "markers far apart"), FAR_APART.format(
                second=T - 4, hold=T - 6), seed=7),
            self.sample(T // 2, T // 2 + 1, QT_TRANSLATE_NOOP("Tasks", "markers adjacent"),
                        QT_TRANSLATE_NOOP("Tasks", "two neighbouring marked steps in the middle"), seed=8),
            self.sample(0, 1, QT_TRANSLATE_NOOP("Tasks", "markers at the start"),
                        QT_TRANSLATE_NOOP("Tasks", "both values come first; then only the forget gate works"), seed=9),
            self.sample(T - 2, T - 1, QT_TRANSLATE_NOOP("Tasks", "markers at the end"),
                        QT_TRANSLATE_NOOP("Tasks", "both values arrive in the last two steps"), seed=10),
        ]

    # ---- model output --------------------------------------------------------
    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        seq = np.asarray(sequence, dtype=np.float32)
        values, markers = seq[:, 0], seq[:, 1]
        marked = [int(t) for t in np.flatnonzero(markers > 0.5)]
        result: dict[str, Any] = {"values": values, "markers": markers, "marked": marked,
                                  "target": float(values[marked].sum()), "prediction": None, "running": None}
        if trace.output is not None:
            out = np.asarray(trace.output)[:, 0]
            result["prediction"] = float(out[-1])
            result["running"] = out if len(out) == len(seq) else None
        return result

    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """The memory: units whose c (h for a GRU or RNN) follows the running sum of the marked values,
        i.e. they store the first value at its marker and hold it until the second."""
        seq = np.asarray(sequence, dtype=np.float32)
        chosen = []
        if seq.ndim == 2 and seq.shape[-1] == 2 and len(seq) == trace.length:
            running = np.cumsum(seq[:, 0] * (seq[:, 1] > 0.5))  # (T,)
            chosen = best_tracking_units(memory_state(trace, layer, direction), running, count)
        if not chosen and model is not None:  # no marker in this input: look on held-out sequences
            from ..core.engine import Tracer

            x, _ = self.generate(np.random.default_rng(HELD_OUT_SEED), 64)
            running = np.cumsum(x[..., 0] * x[..., 1], axis=1)  # (N, T)
            chosen = best_tracking_units(memory_state(Tracer(model).trace(x), layer, direction), running, count)
        return chosen or super().story_units(sequence, trace, model, layer=layer, direction=direction, count=count)

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        self.check_model(model)
        x, y = self.test_set()
        pred = final_outputs(model, x)  # (N, 1)
        return {"test_mse": float(np.mean((pred - y) ** 2))}
