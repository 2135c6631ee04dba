"""brackets: read a string of '(' ')' and filler letters, name the nesting depth at every step.

The model reads characters (one-hot over the vocabulary below) and classifies the
current depth 0..max_depth at each step (softmax). A trained LSTM grows a counting
cell: a unit whose c rises by a fixed amount at '(' and falls at ')', with the forget
gate held open. Strings never close more than they opened and never nest deeper than
max_depth (8).

decode() keys:
    chars          list[str], the characters
    depth          (T,) int, the true depth after each character
    predicted      (T,) int, the model's depth (argmax), None without a head
    probabilities  (T, max_depth + 1)
    correct        (T,) bool
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import SequenceError
from ..core.model import InputStage, RecurrentModel
from ..core.texts import QT_TRANSLATE_NOOP
from .base import Batch, Sample, Task, best_tracking_units, generated_dataset, memory_state, trace_outputs

# texts with numbers: module-level, so gateviz.core.texts knows the template when the text comes
# back from a model file or a sample catalogue (see texts.match_template)
DEPTH = QT_TRANSLATE_NOOP("Tasks", "depth {d}")
ALL_OPEN = QT_TRANSLATE_NOOP("Tasks", "{d} brackets open, then all close")

VOCAB = ["(", ")", "a", "b", "c"]
FILLERS = "abc"
HELD_OUT_SEED = 8080


def depth_of(text: str) -> np.ndarray:
    """The nesting depth after each character: (T,) int."""
    steps = np.array([1 if ch == "(" else -1 if ch == ")" else 0 for ch in text], dtype=np.int64)
    return np.cumsum(steps)


class BracketsTask(Task):
    name = "brackets"
    title = QT_TRANSLATE_NOOP("Tasks", "Bracket depth counting")
    description = QT_TRANSLATE_NOOP("Tasks", "Strings of '(' and ')' with filler letters; at every character the "
                                    "model names the current nesting depth (0 to 8). An LSTM solves it with a "
                                    "visible counting cell.")
    predicts_next_step = False
    head_on = "every_step"
    head_activation = "softmax"
    loss = "ce"
    metric = "depth_accuracy"
    metric_label = QT_TRANSLATE_NOOP("Tasks", "depth accuracy")
    metric_goal = "max"
    quality_bar = 0.99
    defaults = {"units": 16, "epochs": 12, "lr": 2e-2, "batch_size": 64}

    def __init__(self, max_depth: int = 8, length: int = 48, held_out: int = 500):
        self.max_depth = int(max_depth)
        self.length = int(length)
        self.held_out = int(held_out)
        if not 1 <= self.max_depth <= 32:
            raise SequenceError(f"max_depth must lie in 1..32, not {self.max_depth}")

    def options(self) -> dict[str, Any]:
        return {"name": self.name, "max_depth": self.max_depth, "length": self.length}

    def input_stage(self) -> InputStage:
        return InputStage(kind="onehot", features=len(VOCAB), vocab=list(VOCAB))

    @property
    def output_size(self) -> int:
        return self.max_depth + 1

    def output_labels(self) -> list[str]:
        return [DEPTH.format(d=d) for d in range(self.max_depth + 1)]

    # ---- data ------------------------------------------------------------
    def generate(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n random strings -> token ids (n, length) and depths (n, length).

        A random walk on the depth: each string has its own filler rate and bias towards
        opening, so shallow and deep (up to max_depth) strings are both common.
        """
        L, D = self.length, self.max_depth
        p_fill = rng.uniform(0.0, 0.4, size=n)
        p_open = rng.uniform(0.35, 0.75, size=n)
        tokens = np.empty((n, L), dtype=np.int64)
        depths = np.empty((n, L), dtype=np.int64)
        depth = np.zeros(n, dtype=np.int64)
        for t in range(L):
            u, v = rng.random(n), rng.random(n)
            filler = u < p_fill
            opening = ~filler & (v < p_open)
            opening = np.where(depth == 0, ~filler, opening)  # cannot close at depth 0
            opening = np.where(depth == D, False, opening)  # cannot open beyond max_depth
            closing = ~filler & ~opening
            filler = filler | (closing & (depth == 0))
            closing = closing & (depth > 0)
            depth = depth + opening - closing
            tokens[:, t] = np.where(opening, 0, np.where(closing, 1, 2 + rng.integers(0, len(FILLERS), size=n)))
            depths[:, t] = depth
        return tokens, depths

    def training_data(self, seed: int):
        def make_batch(rng: np.random.Generator, n: int) -> Batch:
            tokens, depths = self.generate(rng, n)
            return Batch(tokens, depths)

        return generated_dataset(make_batch, examples_per_epoch=4096)

    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        return self.generate(np.random.default_rng(HELD_OUT_SEED), self.held_out)

    # ---- samples -----------------------------------------------------------
    def samples(self) -> list[Sample]:
        D = self.max_depth
        deep = "(" * D + "a" + ")" * D
        return [
            Sample(QT_TRANSLATE_NOOP("Tasks", "deep nesting"),
                   QT_TRANSLATE_NOOP("Tasks", "climbs to depth 7, falls to 1, climbs to 8 and closes everything"),
                   _clip("((a(((b((c))))a)b)((((a(((b)))c))))a)", D)),
            Sample(DEPTH.format(d=D),
                   ALL_OPEN.format(d=D), deep),
            Sample(QT_TRANSLATE_NOOP("Tasks", "siblings"),
                   QT_TRANSLATE_NOOP("Tasks", "many shallow groups side by side"),
                   "(a)(b)((c))(a)(b(c))()(a)"),
            Sample(QT_TRANSLATE_NOOP("Tasks", "slow climb"),
                   QT_TRANSLATE_NOOP("Tasks", "open, close one, open two: a staircase"),
                   _clip("(a(b)(c(a)(b(c)(a(b)))))", D)),
        ]

    # ---- model output --------------------------------------------------------
    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        text = sequence if isinstance(sequence, str) else "".join(VOCAB[int(t)] for t in np.asarray(sequence))
        depth = depth_of(text)
        result: dict[str, Any] = {"chars": list(text), "depth": depth, "predicted": None, "probabilities": None,
                                  "correct": None}
        if trace.output is not None:
            probs = np.asarray(trace.output)
            pred = np.argmax(probs, axis=1)
            result.update(probabilities=probs, predicted=pred, correct=pred == depth)
        return result

    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """The counting cell(s): the units whose c (h for a GRU or RNN) follows the nesting depth."""
        if trace.tokens is not None and len(trace.tokens) == trace.length:
            text = "".join(VOCAB[int(t)] if 0 <= int(t) < len(VOCAB) else "a" for t in trace.tokens)
        else:
            text = sequence if isinstance(sequence, str) else "".join(VOCAB[int(t)] for t in np.asarray(sequence))
        depth = depth_of(text)
        chosen = []
        if len(depth) == trace.length:
            chosen = best_tracking_units(memory_state(trace, layer, direction), depth, count)
        if not chosen and model is not None:  # no bracket in this input: find the counter on held-out strings
            from ..core.engine import Tracer

            tokens, depths = self.generate(np.random.default_rng(HELD_OUT_SEED), 64)
            chosen = best_tracking_units(memory_state(Tracer(model).trace(tokens), layer, direction), depths, count)
        return chosen or super().story_units(sequence, trace, model, layer=layer, direction=direction, count=count)

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        self.check_model(model)
        tokens, depths = self.test_set()
        pred = np.argmax(trace_outputs(model, tokens), axis=-1)  # (N, T)
        return {"depth_accuracy": float(np.mean(pred == depths)),
                "string_accuracy": float(np.mean(np.all(pred == depths, axis=1)))}


def _clip(text: str, max_depth: int) -> str:
    """Drop brackets that would nest deeper than max_depth (and their partners)."""
    out, depth, skipped = [], 0, 0
    for ch in text:
        if ch == "(":
            if depth == max_depth:
                skipped += 1
                continue
            depth += 1
        elif ch == ")":
            if skipped:
                skipped -= 1
                continue
            depth -= 1
        out.append(ch)
    return "".join(out)
