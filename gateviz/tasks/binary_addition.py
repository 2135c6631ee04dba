"""binary-addition: add two 8-bit numbers bit by bit, least significant bit first.

Each step reads one bit of each operand (2 features) and outputs one bit of the sum
(sigmoid). A 9th step with zero inputs lets the final carry out, so sums up to 510 are
exact. The model has to carry: the telling unit stores the carry between steps.

Metric: the fraction of exactly correct sums on 1000 held-out pairs (never trained on).

decode() keys:
    a_bits, b_bits    (steps,) int, the operands' bits, least significant first
    sum_bits          (steps,) int, the true sum's bits
    predicted_bits    (steps,) int, the model's bits (probability > 0.5)
    probabilities     (steps,) float, the model's probability of a 1 at each step
    a, b, sum         ints; predicted_sum int; correct bool
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import SequenceError
from ..core.model import InputStage, RecurrentModel
from ..core.texts import QT_TRANSLATE_NOOP
from .base import Batch, Sample, Task, best_tracking_units, generated_dataset, memory_state, trace_outputs

HELD_OUT_SEED = 20240  # the held-out pairs are the same for every training seed
# sample descriptions with numbers: module-level, so gateviz.core.texts knows the template when the
# text comes back from a sample catalogue (see texts.match_template)
RIPPLE = QT_TRANSLATE_NOOP("Tasks", "{a} + 1: a carry runs through {bits} bits")
CARRY_OUT = QT_TRANSLATE_NOOP("Tasks", "{a} + {b}: every step carries, the last bit is the carry out")
NO_CARRY = QT_TRANSLATE_NOOP("Tasks", "{a} + {b}: the bits never collide, no carry at all")
MIXED = QT_TRANSLATE_NOOP("Tasks", "{a} + {b}: carries come and go")


def to_bits(values: np.ndarray, steps: int) -> np.ndarray:
    """Integers (N,) -> bits (N, steps), least significant first."""
    values = np.asarray(values, dtype=np.int64)
    return ((values[:, None] >> np.arange(steps)[None, :]) & 1).astype(np.float32)


def carries(a_bits: np.ndarray, b_bits: np.ndarray) -> np.ndarray:
    """The carry after each step of a bitwise addition: bits (..., steps) -> (..., steps) 0/1."""
    a, b = np.asarray(a_bits, dtype=np.int64), np.asarray(b_bits, dtype=np.int64)
    out = np.zeros(np.broadcast(a, b).shape, dtype=np.int64)
    carry = np.zeros(out.shape[:-1], dtype=np.int64)
    for t in range(out.shape[-1]):
        carry = (a[..., t] + b[..., t] + carry) // 2
        out[..., t] = carry
    return out


def from_bits(bits: np.ndarray) -> np.ndarray:
    """Bits (..., steps), least significant first -> integers (...)."""
    bits = np.asarray(bits).astype(np.int64)
    return (bits << np.arange(bits.shape[-1])).sum(axis=-1)


class BinaryAdditionTask(Task):
    name = "binary-addition"
    title = QT_TRANSLATE_NOOP("Tasks", "Binary addition, bit by bit")
    description = QT_TRANSLATE_NOOP("Tasks", "Two 8-bit numbers are fed least significant bit first, one bit of "
                                    "each per step; the model outputs the sum's bit at every step and must "
                                    "remember the carry.")
    predicts_next_step = False
    head_on = "every_step"
    head_activation = "sigmoid"
    loss = "bce"
    metric = "exact_sums"
    metric_label = QT_TRANSLATE_NOOP("Tasks", "exact sums")
    metric_goal = "max"
    quality_bar = 1.0
    defaults = {"units": 16, "epochs": 8, "lr": 2e-2, "batch_size": 64}

    def __init__(self, bits: int = 8, held_out: int = 1000):
        self.bits = int(bits)
        if not 2 <= self.bits <= 16:
            raise SequenceError(f"binary addition takes 2 to 16 bits per operand, not {self.bits}")
        self.steps = self.bits + 1
        self.held_out_count = int(held_out)
        n_pairs = 1 << (2 * self.bits)
        rng = np.random.default_rng(HELD_OUT_SEED)
        held = rng.choice(n_pairs, size=min(self.held_out_count, n_pairs // 4), replace=False)
        self.held_out_pairs = held  # pair index = a << bits | b
        self._is_held = np.zeros(n_pairs, dtype=bool)
        self._is_held[held] = True

    def options(self) -> dict[str, Any]:
        return {"name": self.name, "bits": self.bits}

    def input_stage(self) -> InputStage:
        return InputStage(kind="raw", features=2, feature_names=["a bit", "b bit"])

    @property
    def output_size(self) -> int:
        return 1

    def output_labels(self) -> list[str]:
        return [QT_TRANSLATE_NOOP("Tasks", "sum bit")]

    # ---- data ------------------------------------------------------------
    def encode(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Operands (N,) -> inputs (N, steps, 2)."""
        return np.stack([to_bits(a, self.steps), to_bits(b, self.steps)], axis=-1)

    def _pairs(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return index >> self.bits, index & ((1 << self.bits) - 1)

    def training_data(self, seed: int):
        n_pairs = 1 << (2 * self.bits)

        def make_batch(rng: np.random.Generator, n: int) -> Batch:
            idx = rng.integers(0, n_pairs, size=2 * n)
            idx = idx[~self._is_held[idx]][:n]  # never train on a held-out pair
            a, b = self._pairs(idx)
            return Batch(self.encode(a, b), to_bits(a + b, self.steps)[:, :, None])

        return generated_dataset(make_batch, examples_per_epoch=4096)

    # ---- samples -----------------------------------------------------------
    def sample(self, a: int, b: int, name: str = "", description: str = "") -> Sample:
        top = (1 << self.bits) - 1
        if not (0 <= a <= top and 0 <= b <= top):
            raise SequenceError(f"operands must lie in 0..{top} for {self.bits}-bit addition; got {a} and {b}")
        seq = self.encode(np.array([a]), np.array([b]))[0]  # (steps, 2)
        return Sample(name or f"{a} + {b}", description or f"{a} + {b} = {a + b}", seq, {"a": a, "b": b})

    def samples(self) -> list[Sample]:
        top = (1 << self.bits) - 1
        half = 1 << (self.bits - 1)
        return [
            self.sample(half - 1, 1, QT_TRANSLATE_NOOP("Tasks", "carry ripple"),
                        RIPPLE.format(a=half - 1, bits=self.bits - 1)),
            self.sample(top, top, QT_TRANSLATE_NOOP("Tasks", "carry out"), CARRY_OUT.format(a=top, b=top)),
            self.sample(0b01010101 & top, 0b00101010 & top, QT_TRANSLATE_NOOP("Tasks", "no carry"), NO_CARRY.format(
                a=0b01010101 & top, b=0b00101010 & top)),
            self.sample(107 & top, 58 & top, QT_TRANSLATE_NOOP("Tasks", "mixed"),
                        MIXED.format(a=107 & top, b=58 & top)),
        ]

    # ---- model output --------------------------------------------------------
    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        seq = np.asarray(sequence, dtype=np.float32)
        a_bits, b_bits = (np.round(seq[:, 0]).astype(int), np.round(seq[:, 1]).astype(int))
        a, b = int(from_bits(a_bits)), int(from_bits(b_bits))
        total = a + b
        steps = len(seq)
        result: dict[str, Any] = {
            "a_bits": a_bits, "b_bits": b_bits, "a": a, "b": b, "sum": total,
            "sum_bits": to_bits(np.array([total]), steps)[0].astype(int),
            "probabilities": None, "predicted_bits": None, "predicted_sum": None, "correct": None,
        }
        if trace.output is not None:
            p = np.asarray(trace.output)[:, 0]
            bits = (p > 0.5).astype(int)
            result.update(probabilities=p, predicted_bits=bits, predicted_sum=int(from_bits(bits)),
                          correct=bool(from_bits(bits) == total))
        return result

    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """The carry: units whose c (h for a GRU or RNN) is high exactly while a carry is pending."""
        seq = np.round(np.asarray(sequence, dtype=np.float32)).astype(np.int64)
        chosen = []
        if seq.ndim == 2 and seq.shape[-1] == 2 and len(seq) == trace.length:
            chosen = best_tracking_units(memory_state(trace, layer, direction), carries(seq[:, 0], seq[:, 1]), count)
        if not chosen and model is not None:  # no carry in this input: look on the held-out pairs
            from ..core.engine import Tracer

            a, b = self._pairs(self.held_out_pairs[:256])
            x = self.encode(a, b)  # (N, steps, 2)
            target = carries(x[..., 0], x[..., 1])
            chosen = best_tracking_units(memory_state(Tracer(model).trace(x), layer, direction), target, count)
        return chosen or super().story_units(sequence, trace, model, layer=layer, direction=direction, count=count)

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        self.check_model(model)
        a, b = self._pairs(self.held_out_pairs)
        x = self.encode(a, b)
        target = to_bits(a + b, self.steps)  # (N, steps)
        bits = (trace_outputs(model, x)[:, :, 0] > 0.5).astype(np.float32)
        return {"exact_sums": float(np.mean(np.all(bits == target, axis=1))),
                "bit_accuracy": float(np.mean(bits == target))}
