"""What an ablation measures (issue 13): the task's own metric, applied to the ablated outputs.

Each built-in task scores itself in ``evaluate`` (depth accuracy, bits per character, test MSE,
exact sums, test accuracy). ``task_measure`` builds the same metric as a ``Measure`` over the
task's held-out sequences (no input given) or over the user's input when the task can judge it
(the bracket depth follows from the string, the next character of a text is the text itself, the
sine's next value is the window's own next value, a binary sum's bits follow from its operands,
the adding problem's target from its marked values). Otherwise None: the ablation then ranks by
the mean |change| of the output alone.

Every metric here is a mean of per-item values (a correct step, a sequence's bits, a squared
error), so a group's score is a per-copy sum and a count, and groups of different lengths add up.
Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import GatevizError
from .texts import QT_TRANSLATE_NOOP

# Held-out sequences an ablation scores (each copied once per unit): enough to rank units, few
# enough that ranking 128 units stays interactive.
MAX_SEQUENCES = 256
# the words of results, shown by the CLI as they are and translated by the window (gateviz.core.texts)
THE_INPUT = QT_TRANSLATE_NOOP("Measures", "the input")
DEPTH_ACCURACY = QT_TRANSLATE_NOOP("Measures", "depth accuracy")
DEPTH_DEFINITION = QT_TRANSLATE_NOOP("Measures", "share of steps whose predicted depth is right")
TEST_MSE = QT_TRANSLATE_NOOP("Measures", "test MSE")
SUM_ERROR = QT_TRANSLATE_NOOP("Measures", "mean squared error of the sum at the last step")

# outputs (C, S, T', out) -> per-copy sums (C,) and how many items they hold
ScoreFn = Callable[[np.ndarray], tuple[np.ndarray, int]]


@dataclass
class Group:
    """Sequences of one length, traced together: ``x`` (S, T, F) floats or (S, T) token ids."""

    x: np.ndarray
    score: ScoreFn | None = None


@dataclass
class Measure:
    name: str  # the metric's key, e.g. "depth_accuracy"
    label: str  # "depth accuracy"
    definition: str  # in words, for tables and tooltips
    goal: str  # "max" (higher is better) or "min"
    groups: list[Group] = field(default_factory=list)
    source: str = ""  # what was scored: "500 held-out strings of the brackets task"


def _evenly(n: int, limit: int = MAX_SEQUENCES) -> np.ndarray:
    """At most ``limit`` indices spread evenly over range(n)."""
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).round().astype(np.int64)


def _input_array(model, sequence) -> tuple[np.ndarray, np.ndarray | None]:
    """The input as one sequence: features (T, F) and token ids (T,) or None."""
    from .engine import encode_sequence

    feats, tokens, batched = encode_sequence(model, sequence)
    if batched:
        raise GatevizError("ablation takes one input sequence, not a batch; give a (T, features) array or a text")
    return feats[0], None if tokens is None else tokens[0]


# --------------------------------------------------------------------------- scores


def _accuracy(target: np.ndarray) -> ScoreFn:
    """Argmax of the output equals ``target`` (S, T') at every step."""
    def score(out):
        pred = np.argmax(out, axis=-1)  # (C, S, T')
        return (pred == target[None]).sum(axis=(1, 2)).astype(np.float64), int(target.size)
    return score


def _final_accuracy(labels: np.ndarray) -> ScoreFn:
    def score(out):
        pred = np.argmax(out[:, :, -1, :], axis=-1)  # (C, S)
        return (pred == labels[None]).sum(axis=1).astype(np.float64), int(labels.size)
    return score


def _final_squared_error(target: np.ndarray) -> ScoreFn:
    """(out[last step, 0] - target)² per sequence; target (S,)."""
    def score(out):
        err = (out[:, :, -1, 0].astype(np.float64) - target[None]) ** 2  # (C, S)
        return err.sum(axis=1), int(target.size)
    return score


def _bits(next_tokens: np.ndarray) -> ScoreFn:
    """−log2 p(next character) at steps 0..T−2; next_tokens (S, T−1)."""
    def score(out):
        p = np.take_along_axis(out[:, :, :-1, :], next_tokens[None, :, :, None], axis=3)[..., 0]  # (C, S, T-1)
        bits = -np.log2(np.maximum(p.astype(np.float64), 1e-12))
        return bits.sum(axis=(1, 2)), int(next_tokens.size)
    return score


def _next_value_error(x: np.ndarray, first: int) -> ScoreFn:
    """(out[t] − x[t+1])² for t >= first; x (S, T)."""
    def score(out):
        err = (out[:, :, first:-1, 0].astype(np.float64) - x[None, :, first + 1:]) ** 2  # (C, S, T-1-first)
        return err.sum(axis=(1, 2)), int(x[:, first + 1:].size)
    return score


def _exact_sums(target_bits: np.ndarray) -> ScoreFn:
    """Every bit of a sequence's sum right; target_bits (S, T)."""
    def score(out):
        bits = out[..., 0] > 0.5  # (C, S, T)
        exact = np.all(bits == (target_bits[None] > 0.5), axis=2)
        return exact.sum(axis=1).astype(np.float64), int(target_bits.shape[0])
    return score


def _bit_accuracy(target_bits: np.ndarray) -> ScoreFn:
    def score(out):
        bits = out[..., 0] > 0.5
        return (bits == (target_bits[None] > 0.5)).sum(axis=(1, 2)).astype(np.float64), int(target_bits.size)
    return score


# --------------------------------------------------------------------------- per task


def task_measure(task, model, sequence=None) -> Measure | None:
    """The task's metric as a Measure (None when the task cannot judge this input or model)."""
    if task is None or model.head is None:
        return None
    try:
        task.check_model(model)
        build = _BUILDERS.get(task.name)
        return None if build is None else build(task, model, sequence)
    except GatevizError:
        return None  # a foreign model, a corpus or data set not here: rank by the output change


def _brackets(task, model, sequence):
    from ..tasks.brackets import VOCAB, depth_of

    if sequence is None:
        tokens, depths = task.test_set()
        idx = _evenly(len(tokens))
        return Measure("depth_accuracy", DEPTH_ACCURACY, DEPTH_DEFINITION, "max",
                       [Group(tokens[idx], _accuracy(depths[idx]))],
                       QT_TRANSLATE_NOOP("Measures", "{n} held-out strings of the brackets task").format(n=len(idx)))
    _, tokens = _input_array(model, sequence)
    vocab = list(model.input.vocab or [])
    if tokens is None or vocab != VOCAB:
        return None
    depth = depth_of("".join(VOCAB[int(t)] for t in tokens))
    if depth.min() < 0 or depth.max() > task.max_depth:
        return None  # the input closes more than it opened, or nests deeper than the model names
    return Measure("depth_accuracy", DEPTH_ACCURACY, DEPTH_DEFINITION, "max",
                   [Group(tokens[None], _accuracy(depth[None]))], THE_INPUT)


def _text(task, model, sequence):
    if sequence is None:
        texts = [s.sequence for s in task.samples() if isinstance(s.sequence, str) and len(s.sequence) > 1]
        source = QT_TRANSLATE_NOOP("Measures", "the text task's {n} sample passages").format(n=len(texts))
    else:
        texts, source = [sequence], THE_INPUT
    groups = []
    for text in texts:
        _, tokens = _input_array(model, text)
        if tokens is None or len(tokens) < 2:
            return None
        groups.append(Group(tokens[None], _bits(tokens[None, 1:])))
    if not groups:
        return None
    return Measure("bits_per_char", QT_TRANSLATE_NOOP("Measures", "bits per character"),
                   QT_TRANSLATE_NOOP("Measures", "mean −log2 p(next character) the model gives the text's own next "
                                                 "character"), "min", groups, source)


def _sine(task, model, sequence):
    from ..tasks.sine import WARMUP

    if sequence is None:
        x, y = task.test_windows()
        idx = _evenly(len(x))
        return Measure("test_mse", TEST_MSE, QT_TRANSLATE_NOOP(
                       "Measures", "mean squared error of the prediction after each held-out window"),
                       "min", [Group(x[idx], _final_squared_error(y[idx, -1, 0].astype(np.float64)))],
                       QT_TRANSLATE_NOOP("Measures", "{n} held-out windows of the sine task").format(n=len(idx)))
    feats, _ = _input_array(model, sequence)
    T = len(feats)
    first = WARMUP if T > WARMUP + 1 else 0
    if T < 2:
        return None
    values = feats[None, :, 0].astype(np.float64)  # (1, T)
    return Measure("next_value_mse", QT_TRANSLATE_NOOP("Measures", "next-value MSE"), QT_TRANSLATE_NOOP(
                   "Measures", "mean squared error of each step's prediction of the input's next value (from step "
                               "{first})").format(first=first),
                   "min", [Group(feats[None], _next_value_error(values, first))], THE_INPUT)


def _adding(task, model, sequence):
    if sequence is None:
        x, y = task.test_set()
        idx = _evenly(len(x))
        return Measure("test_mse", TEST_MSE, SUM_ERROR, "min",
                       [Group(x[idx], _final_squared_error(y[idx, 0].astype(np.float64)))],
                       QT_TRANSLATE_NOOP("Measures", "{n} held-out sequences of the adding task").format(n=len(idx)))
    feats, _ = _input_array(model, sequence)
    if feats.shape[1] != 2 or not np.any(feats[:, 1] > 0.5):
        return None
    target = np.array([feats[feats[:, 1] > 0.5, 0].sum()], dtype=np.float64)
    return Measure("squared_error", QT_TRANSLATE_NOOP("Measures", "squared error"),
                   QT_TRANSLATE_NOOP("Measures", "squared error of the sum at the last step"), "min",
                   [Group(feats[None], _final_squared_error(target))], THE_INPUT)


def _binary_addition(task, model, sequence):
    from ..tasks.binary_addition import from_bits, to_bits

    if sequence is None:
        a, b = task._pairs(task.held_out_pairs[_evenly(len(task.held_out_pairs))])
        x = task.encode(a, b)  # (S, steps, 2)
        target = to_bits(a + b, task.steps)  # (S, steps)
        return Measure("exact_sums", QT_TRANSLATE_NOOP("Measures", "exact sums"),
                       QT_TRANSLATE_NOOP("Measures", "share of sums with every bit right"), "max",
                       [Group(x, _exact_sums(target))],
                       QT_TRANSLATE_NOOP("Measures", "{n} held-out pairs of the binary-addition task").format(n=len(a)))
    feats, _ = _input_array(model, sequence)
    bits = np.round(feats).astype(np.int64)
    if feats.shape[1] != 2 or not np.all((bits == 0) | (bits == 1)):
        return None
    total = from_bits(bits[:, 0]) + from_bits(bits[:, 1])
    target = to_bits(np.array([total]), len(feats))  # (1, T)
    return Measure("bit_accuracy", QT_TRANSLATE_NOOP("Measures", "bit accuracy"),
                   QT_TRANSLATE_NOOP("Measures", "share of the sum's bits the model gets right"), "max",
                   [Group(feats[None], _bit_accuracy(target))], THE_INPUT)


def _digits(task, model, sequence):
    if sequence is None:
        try:
            d = task.data()
            x, y = d["test_x"], d["test_y"]
            source = QT_TRANSLATE_NOOP("Measures", "{n} held-out images of the digits task")
        except GatevizError:  # MNIST not here: the images stored in the model file
            samples = task.samples()
            x = np.stack([np.asarray(s.sequence, dtype=np.float32) for s in samples])
            y = np.array([s.extra["label"] for s in samples])
            source = QT_TRANSLATE_NOOP("Measures", "{n} sample images of the digits task")
        idx = _evenly(len(x))
        return Measure("test_accuracy", QT_TRANSLATE_NOOP("Measures", "test accuracy"),
                       QT_TRANSLATE_NOOP("Measures", "share of images whose digit is named right"), "max",
                       [Group(x[idx], _final_accuracy(np.asarray(y)[idx]))], source.format(n=len(idx)))
    feats, _ = _input_array(model, sequence)
    for s in task.samples():  # a sample image: its label is known
        if np.array_equal(np.asarray(s.sequence, dtype=np.float32), feats.astype(np.float32)):
            return Measure("accuracy", QT_TRANSLATE_NOOP("Measures", "accuracy"),
                           QT_TRANSLATE_NOOP("Measures", "whether the digit is named right"), "max",
                           [Group(feats[None], _final_accuracy(np.array([s.extra["label"]])))], THE_INPUT)
    return None


_BUILDERS = {"brackets": _brackets, "text": _text, "sine": _sine, "adding": _adding,
             "binary-addition": _binary_addition, "digits": _digits}
