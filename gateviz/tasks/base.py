"""What every built-in task provides: data, samples, decoding and a quality metric.

A task knows how its sequences are encoded (the model's ``InputStage``), what the
read-out head looks like (size, activation, whether it reads every step or the final
state), which loss trains it, and how to judge a trained model. Training
(``gateviz.training``) is generic over these; the app uses ``samples()`` and
``decode()``.

Batches handed to the trainer are numpy arrays:
    x     float32 (N, T, F) for numeric tasks, int64 token ids (N, T) for text-like tasks
    y     every-step head: (N, T, out) float32 targets (mse/bce) or (N, T) int64 classes (ce)
          final-state head: (N, out) float32 targets or (N,) int64 classes
    mask  optional float32 (N, T): which steps count in an every-step loss
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ..core.errors import GatevizError
from ..core.model import InputStage, RecurrentModel


@dataclass
class Sample:
    """A named input for the app's sample list.

    ``sequence`` is a (T, F) float array for numeric tasks and a str for tasks whose
    model reads characters (text, brackets). ``extra`` carries what a panel needs beyond
    the sequence itself (binary addition: the two operands; sine: the true continuation).
    """

    name: str
    description: str
    sequence: np.ndarray | str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Batch:
    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray | None = None


class TrainingData:
    """Yields the batches of one epoch; fixed datasets shuffle, generated tasks draw fresh data."""

    def __init__(self, batches_fn, steps_per_epoch_fn):
        self._batches = batches_fn
        self._steps = steps_per_epoch_fn

    def steps_per_epoch(self, batch_size: int) -> int:
        return max(1, int(self._steps(batch_size)))

    def epoch(self, rng: np.random.Generator, batch_size: int) -> Iterator[Batch]:
        return self._batches(rng, batch_size)


def fixed_dataset(x: np.ndarray, y: np.ndarray, mask: np.ndarray | None = None) -> TrainingData:
    """Shuffled mini-batches over arrays whose first axis is the example."""
    n = len(x)

    def batches(rng: np.random.Generator, batch_size: int) -> Iterator[Batch]:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            yield Batch(x[idx], y[idx], None if mask is None else mask[idx])

    return TrainingData(batches, lambda bs: -(-n // bs))


def generated_dataset(make_batch, examples_per_epoch: int) -> TrainingData:
    """Fresh examples drawn from ``make_batch(rng, n) -> Batch`` every step."""

    def batches(rng: np.random.Generator, batch_size: int) -> Iterator[Batch]:
        for _ in range(max(1, examples_per_epoch // batch_size)):
            yield make_batch(rng, batch_size)

    return TrainingData(batches, lambda bs: examples_per_epoch // bs)


class Task:
    """Base class of the built-in tasks. Subclasses fill in the class attributes and methods."""

    name: str = ""
    title: str = ""
    description: str = ""
    predicts_next_step: bool = False  # bidirectional models are refused for these
    head_on: str = "every_step"  # or "final_state"
    head_activation: str = "identity"  # applied by the saved model's head, not during training
    loss: str = "mse"  # "mse", "bce" (logits) or "ce" (logits, class indices)
    metric: str = ""  # the key of evaluate() that the quality bar is about
    metric_label: str = ""  # how a plot titles it, e.g. "test MSE"
    metric_goal: str = "min"  # "min": lower is better, "max": higher is better
    quality_bar: float = 0.0  # the bar an LSTM of the default size must meet
    # Hyper-parameters that reach the bar quickly on a CPU (overridable by TrainConfig).
    defaults: dict[str, Any] = {"units": 32, "epochs": 10, "lr": 1e-2, "batch_size": 32}

    # ---- description --------------------------------------------------
    def options(self) -> dict[str, Any]:
        """The model file's ``task`` dict: everything needed to rebuild this task."""
        return {"name": self.name}

    def input_stage(self) -> InputStage:
        raise NotImplementedError

    @property
    def input_size(self) -> int:
        return self.input_stage().output_size

    @property
    def output_size(self) -> int:
        raise NotImplementedError

    def output_labels(self) -> list[str] | None:
        return None

    def meets_bar(self, metrics: dict[str, float]) -> bool:
        value = metrics.get(self.metric)
        if value is None or not np.isfinite(value):
            return False
        return value < self.quality_bar if self.metric_goal == "min" else value >= self.quality_bar

    # ---- data ------------------------------------------------------------
    def training_data(self, seed: int) -> TrainingData:
        raise NotImplementedError

    def samples(self) -> list[Sample]:
        raise NotImplementedError

    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        raise NotImplementedError

    # ---- the story ---------------------------------------------------------
    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """The units that tell this task's story on ``sequence`` (the app pins them when a model opens).

        The default: the units whose h varies most over the trace. Tasks override it with the
        unit that tracks what the task is about (brackets: the depth; adding: the running sum).
        """
        return highest_variance_units(trace.get(layer, direction, "hidden_state"), count)

    # ---- helpers -----------------------------------------------------------
    def check_model(self, model: RecurrentModel) -> None:
        """A clear error when a model cannot be judged on this task."""
        if model.head is None:
            raise GatevizError(f"the model has no read-out head, so it cannot be evaluated on the {self.name} task")
        if model.input.output_size != self.input_size:
            raise GatevizError(f"the {self.name} task feeds {self.input_size} feature(s) per step but the model "
                               f"takes {model.input.output_size}")
        if model.head.out_features != self.output_size:
            raise GatevizError(f"the {self.name} task needs {self.output_size} output(s) but the model's head "
                               f"gives {model.head.out_features}")

    def __repr__(self) -> str:
        return f"<Task {self.name} {self.options()}>"


def memory_state(trace, layer: int = 0, direction: str = "forward") -> np.ndarray:
    """The quantity a cell keeps between steps: c for an LSTM, h otherwise. (T, units) or (N, T, units)."""
    quantities = trace.states[(layer, direction)]
    return quantities["cell_state"] if "cell_state" in quantities else quantities["hidden_state"]


def unit_correlations(states: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson correlation of each unit with a target over time: states (..., T, U), target (..., T) -> (U,).

    A unit (or a target) that never changes gets 0, not NaN.
    """
    a = np.asarray(states, dtype=np.float64).reshape(-1, states.shape[-1])  # (steps, U)
    y = np.asarray(target, dtype=np.float64).reshape(-1)  # (steps,)
    a = a - a.mean(axis=0)
    y = y - y.mean()
    denominator = np.sqrt((a * a).sum(axis=0) * (y * y).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * y[:, None]).sum(axis=0) / denominator
    return np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=0.0)


def story_units_for(model, task, sequence, trace, *, layer: int = 0, direction: str | None = None,
                    count: int = 2) -> list[int]:
    """The units to pin when a model opens (app) or is exported without ``--units`` (CLI).

    The task's choice (the counting cell, the carry, ...); for a model without a task, or a
    task that cannot judge this input, the units whose h varies most.
    """
    direction = direction or trace.directions(layer)[0]
    if task is not None:
        try:
            units = task.story_units(sequence, trace, model, layer=layer, direction=direction, count=count)
        except Exception:  # a foreign-shaped input the task cannot read: fall back, never fail the caller
            units = []
        if units:
            return [int(u) for u in units]
    return highest_variance_units(trace.get(layer, direction, "hidden_state"), count)


def highest_variance_units(states: np.ndarray, count: int = 2) -> list[int]:
    """The ``count`` units whose value varies most over time (ties: the lower index first)."""
    a = np.asarray(states, dtype=np.float64).reshape(-1, states.shape[-1])
    order = np.argsort(-a.var(axis=0), kind="stable")
    return [int(u) for u in order[:count]]


def best_tracking_units(states: np.ndarray, target: np.ndarray, count: int = 2, *,
                        min_correlation: float = 0.5) -> list[int]:
    """Units whose value follows ``target`` best (|correlation|, either sign), strongest first.

    Only units with |r| >= ``min_correlation`` count, but the best one is always returned;
    [] when the target never changes (there is nothing to track).
    """
    if np.ptp(np.asarray(target, dtype=np.float64)) == 0:
        return []
    r = np.abs(unit_correlations(states, target))
    order = np.argsort(-r, kind="stable")
    chosen = [int(u) for u in order[:count] if r[u] >= min_correlation]
    return chosen or [int(order[0])]


def trace_outputs(model: RecurrentModel, x: np.ndarray, *, chunk: int = 512) -> np.ndarray:
    """The saved model's head output for a batch, traced with the gateviz engine.

    x (N, T, F) float or (N, T) int tokens -> (N, T, out) (every-step or running head).
    Traced in chunks of ``chunk`` sequences to bound memory.
    """
    from ..core.engine import Tracer

    tracer = Tracer(model)
    parts = []
    for start in range(0, len(x), chunk):
        tr = tracer.trace(x[start:start + chunk])
        parts.append(np.asarray(tr.output))  # (n, T, out)
    return np.concatenate(parts, axis=0)


def final_outputs(model: RecurrentModel, x: np.ndarray, *, chunk: int = 512) -> np.ndarray:
    """The model's real (final-state) output per sequence: (N, out).

    A unidirectional final-state head is evaluated at every step by the engine (the
    running prediction); its last row is the model's output. A bidirectional one gives
    only the final row.
    """
    out = trace_outputs(model, x, chunk=chunk)  # (N, T or 1, out)
    return out[:, -1, :]
