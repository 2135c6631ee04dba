"""sine: predict the next value of sin(x) from a window of 50 steps (the seed notes' demo).

The series is sin(x) sampled at 1000 points on [-100, 100] (a step of about 0.2, so one
period spans about 31 samples). The model reads a window and predicts, at every step,
the next value; after the window, its prediction can be fed back to roll the wave out.
Windows from the first 80 % of the series train, those from the last 20 % test.

decode() keys:
    window      (T,) the input values
    prediction  float, the model's prediction of the value after the window
    predictions (T,) the one-step prediction at every step (for step t: value t+1)
    target      float or None, the true value after the window (when the sample knows it)
    rollout     (rollout_steps,) the autoregressive continuation (needs the model)
    truth       (rollout_steps,) the true continuation, when the sample knows it
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.model import InputStage, RecurrentModel
from ..core.texts import QT_TRANSLATE_NOOP
from .base import Sample, Task, best_tracking_units, fixed_dataset, trace_outputs

POINTS = 1000
X_RANGE = (-100.0, 100.0)
WARMUP = 5  # early steps of a window have too little context to predict; they do not count in the loss


def sine_series(points: int = POINTS) -> np.ndarray:
    """sin(x) at ``points`` evenly spaced x on [-100, 100] (float32, (points,))."""
    return np.sin(np.linspace(*X_RANGE, points)).astype(np.float32)


class SineTask(Task):
    name = "sine"
    title = QT_TRANSLATE_NOOP("Tasks", "Sine wave: predict the next value")
    description = QT_TRANSLATE_NOOP("Tasks", "Windows of 50 steps of sin(x) sampled at 1000 points on [-100, 100]; "
                                    "the model predicts the next value at every step and can roll the wave out "
                                    "by feeding its predictions back.")
    predicts_next_step = True
    head_on = "every_step"
    head_activation = "identity"
    loss = "mse"
    metric = "test_mse"
    metric_label = QT_TRANSLATE_NOOP("Tasks", "test MSE")
    metric_goal = "min"
    quality_bar = 1e-3
    defaults = {"units": 32, "epochs": 8, "lr": 1e-2, "batch_size": 32}

    def __init__(self, window: int = 50, rollout_steps: int = 50):
        self.window = int(window)
        self.rollout_steps = int(rollout_steps)
        self.series = sine_series()
        self.split = int(0.8 * POINTS)

    def options(self) -> dict[str, Any]:
        return {"name": self.name, "window": self.window, "rollout_steps": self.rollout_steps}

    def input_stage(self) -> InputStage:
        return InputStage(kind="raw", features=1, feature_names=["sin(x)"])

    @property
    def output_size(self) -> int:
        return 1

    def output_labels(self) -> list[str]:
        return [QT_TRANSLATE_NOOP("Tasks", "next value")]

    # ---- data ------------------------------------------------------------
    def _windows(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Every window whose inputs and next-step targets lie in series[start:stop].

        -> x (N, W, 1), y (N, W, 1) with y[:, t] = series[i + t + 1].
        """
        W, s = self.window, self.series
        starts = np.arange(start, stop - W)
        idx = starts[:, None] + np.arange(W + 1)[None, :]  # (N, W+1)
        seq = s[idx]
        return seq[:, :-1, None], seq[:, 1:, None]

    def training_data(self, seed: int):
        x, y = self._windows(0, self.split)
        mask = np.ones(x.shape[:2], dtype=np.float32)
        mask[:, :WARMUP] = 0.0
        return fixed_dataset(x, y, mask)

    def test_windows(self) -> tuple[np.ndarray, np.ndarray]:
        return self._windows(self.split, POINTS)

    # ---- samples -----------------------------------------------------------
    def samples(self) -> list[Sample]:
        s, W, R = self.series, self.window, self.rollout_steps
        out = []
        for name, start, text in (
            (QT_TRANSLATE_NOOP("Tasks", "held-out window"), self.split + 40,
             QT_TRANSLATE_NOOP("Tasks", "a window the model never trained on; watch the rollout continue it")),
            (QT_TRANSLATE_NOOP("Tasks", "first window"), 0,
             QT_TRANSLATE_NOOP("Tasks", "the very start of the series, x from -100")),
            (QT_TRANSLATE_NOOP("Tasks", "around x = 0"), POINTS // 2 - W // 2,
             QT_TRANSLATE_NOOP("Tasks", "a window centred on x = 0")),
        ):
            stop = min(POINTS, start + W + R)
            out.append(Sample(name, text, s[start:start + W, None].copy(),
                              {"start": start, "continuation": s[start + W:stop].copy()}))
        return out

    # ---- model output --------------------------------------------------------
    def rollout(self, model: RecurrentModel, windows: np.ndarray, steps: int | None = None,
                interventions=()) -> np.ndarray:
        """Feed the model's predictions back: windows (N, W, 1) -> (N, steps) continuations.

        Steps the model with its state kept (``Stepper``) where it can; otherwise re-traces
        the growing sequence (exact for any cell, one trace per value). ``interventions`` (issue 13,
        spec texts) apply to every trace of the growing sequence, so a clamp "from step 10" holds
        through the rollout too.
        """
        from .stepper import Stepper

        steps = self.rollout_steps if steps is None else steps
        seq = np.asarray(windows, dtype=np.float32)
        if seq.ndim == 2:
            seq = seq[None]
        preds = np.empty((seq.shape[0], steps), dtype=np.float32)
        if Stepper.supports(model) and not interventions:
            stepper = Stepper(model)
            stepper.reset(seq.shape[0])
            for t in range(seq.shape[1]):
                out = stepper.step(seq[:, t, :])  # (N, 1)
            for k in range(steps):
                preds[:, k] = out[:, 0]
                out = stepper.step(out)
            return preds
        from ..core.engine import Tracer

        tracer = Tracer(model)
        for k in range(steps):
            nxt = np.asarray(tracer.trace(seq, interventions=interventions).output)[:, -1, 0]  # (N,)
            preds[:, k] = nxt
            seq = np.concatenate([seq, nxt[:, None, None]], axis=1)
        return preds

    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        window = np.asarray(sequence, dtype=np.float32).reshape(-1)
        out = np.asarray(trace.output)[:, 0] if trace.output is not None else None
        result: dict[str, Any] = {
            "window": window,
            "predictions": out,
            "prediction": None if out is None else float(out[-1]),
            "target": None, "rollout": None, "truth": None,
        }
        start = _find_in_series(self.series, window)
        if start is not None:
            stop = min(POINTS, start + len(window) + self.rollout_steps)
            truth = self.series[start + len(window):stop]
            result["truth"] = truth
            result["target"] = float(truth[0]) if len(truth) else None
        if model is not None and model.head is not None:
            # the run's own interventions hold through the rollout (meta lists their spec texts)
            result["rollout"] = self.rollout(model, window[None, :, None],
                                             interventions=tuple(trace.meta.get("interventions") or ()))[0]
        return result

    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """The units whose h follows the model's prediction (the head reads h), else the input wave."""
        h = trace.get(layer, direction, "hidden_state")  # (T, U)
        output = None if trace.output is None else np.asarray(trace.output)
        if output is not None and output.shape[0] == trace.length:
            target = output[:, 0]
        else:
            target = np.asarray(sequence, dtype=np.float32).reshape(-1)
        chosen = best_tracking_units(h, target, count) if len(target) == trace.length else []
        return chosen or super().story_units(sequence, trace, model, layer=layer, direction=direction, count=count)

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        self.check_model(model)
        x, y = self.test_windows()
        pred = trace_outputs(model, x)[:, -1, 0]  # prediction after each full window
        mse = float(np.mean((pred - y[:, -1, 0]) ** 2))
        # rollout from a few held-out windows whose true continuation is known
        W, R = self.window, self.rollout_steps
        starts = np.arange(self.split, POINTS - W - R + 1, 20)
        windows = self.series[starts[:, None] + np.arange(W)][:, :, None]
        truth = self.series[starts[:, None] + W + np.arange(R)]
        roll = self.rollout(model, windows)
        rmse = float(np.sqrt(np.mean((roll - truth) ** 2)))
        return {"test_mse": mse, "rollout_rmse": rmse}


def _find_in_series(series: np.ndarray, window: np.ndarray) -> int | None:
    """Where a window was cut from the series (exactly), or None for a user's own signal."""
    W = len(window)
    if W == 0 or W > len(series):
        return None
    first = np.flatnonzero(series[: len(series) - W + 1] == window[0])
    for start in first:
        if np.array_equal(series[start:start + W], window):
            return int(start)
    return None
