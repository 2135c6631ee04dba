"""The Trace: everything a panel draws, time-aligned with the input.

Per layer and direction, each gate and state as an array ``(T, units)`` (or
``(N, T, units)`` for a traced batch), float32 unless traced in float64. A backward
direction is stored time-aligned: its final state is at index 0.

The trace file (design.md, "Contracts") is an ``.npz`` with keys
``layer{k}.{forward|backward}.{quantity}``, ``output`` and ``meta`` (a JSON string); with
gradients through time (``gateviz.core.gradients``) also ``gradient.layer{k}.{dir}.hidden_state``,
``gradient.layer{k}.{dir}.cell_state`` (LSTM), ``gradient.input``, ``connectivity`` and, when
asked for, ``connectivity_matrix``, with the target's definition under ``meta["gradients"]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

QUANTITIES: dict[str, tuple[str, ...]] = {
    "lstm": ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell_state", "hidden_state"),
    "gru": ("reset_gate", "update_gate", "candidate", "hidden_state"),
    "rnn": ("hidden_state",),
}
# Short symbols used in panel titles and formulas.
SYMBOLS = {
    "input_gate": "i", "forget_gate": "f", "cell_candidate": "g", "output_gate": "o",
    "cell_state": "c", "hidden_state": "h", "reset_gate": "r", "update_gate": "z", "candidate": "n",
}
# Gates squashed by the recurrent activation (σ): the ones the saturation scatter uses.
SIGMOID_GATES = ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate")


def trace_key(layer: int, direction: str, quantity: str) -> str:
    return f"layer{layer}.{direction}.{quantity}"


@dataclass
class Trace:
    """Gates and states of one traced sequence (or batch).

    ``states[(layer, direction)][quantity]`` -> array (T, units) or (N, T, units).
    ``output`` is the head's output: (T, out) when the head runs at every step (or is
    a running prediction of a unidirectional final-state head), (1, out) when only the
    final state makes sense (bidirectional final-state head); None without a head.
    ``inputs`` holds the features the first layer saw, (T, F); ``tokens`` the token ids
    of a text input.
    """

    cell: str
    states: dict[tuple[int, str], dict[str, np.ndarray]]
    output: np.ndarray | None = None
    inputs: np.ndarray | None = None
    tokens: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    gradients: Any = None  # gateviz.core.gradients.Gradients of one target, when asked for

    # ---- shape -----------------------------------------------------------
    @property
    def batched(self) -> bool:
        any_array = next(iter(next(iter(self.states.values())).values()))
        return any_array.ndim == 3

    @property
    def length(self) -> int:
        any_array = next(iter(next(iter(self.states.values())).values()))
        return int(any_array.shape[-2])

    @property
    def num_layers(self) -> int:
        return 1 + max(layer for layer, _ in self.states)

    def directions(self, layer: int = 0) -> list[str]:
        return [d for (k, d) in self.states if k == layer]

    @property
    def quantities(self) -> tuple[str, ...]:
        return QUANTITIES[self.cell]

    def units(self, layer: int = 0, quantity: str = "hidden_state") -> int:
        direction = self.directions(layer)[0]
        return int(self.states[(layer, direction)][quantity].shape[-1])

    def get(self, layer: int, direction: str, quantity: str) -> np.ndarray:
        try:
            return self.states[(layer, direction)][quantity]
        except KeyError:
            raise KeyError(f"the trace has no {trace_key(layer, direction, quantity)}; it holds "
                           f"{', '.join(self.keys())}") from None

    def keys(self) -> Iterator[str]:
        for (layer, direction), quantities in self.states.items():
            for q in quantities:
                yield trace_key(layer, direction, q)

    def sample(self, index: int) -> "Trace":
        """One sequence of a batched trace, as an unbatched Trace."""
        if not self.batched:
            raise ValueError("this trace is not a batch")
        states = {k: {q: a[index] for q, a in v.items()} for k, v in self.states.items()}
        output = None if self.output is None else self.output[index]
        inputs = None if self.inputs is None else self.inputs[index]
        tokens = None if self.tokens is None else self.tokens[index]
        meta = dict(self.meta)
        if "masked_steps" in meta:  # a batch lists the masked steps per sequence
            meta["masked_steps"] = meta["masked_steps"][index]
        return Trace(self.cell, states, output, inputs, tokens, meta)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for v in self.states.values() for a in v.values())

    # ---- the trace file ------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The trace-file contents: one entry per key, plus output and meta."""
        if self.batched:
            raise ValueError("a trace file holds one sequence; write trace.sample(i)")
        out: dict[str, np.ndarray] = {}
        for (layer, direction), quantities in self.states.items():
            for q, a in quantities.items():
                out[trace_key(layer, direction, q)] = np.ascontiguousarray(a)
        if self.output is not None:
            out["output"] = np.ascontiguousarray(self.output)
        meta = dict(self.meta)
        meta.setdefault("cell", self.cell)
        meta["length"] = self.length
        if self.gradients is not None:
            out.update(self.gradients.to_arrays())
            meta["gradients"] = self.gradients.meta
        out["meta"] = np.array(json.dumps(meta))
        return out

    def save(self, path: str | Path) -> None:
        """Write the trace file (``np.savez``; no pickled objects inside)."""
        with open(path, "wb") as fh:
            np.savez(fh, **self.to_arrays())

    @classmethod
    def load(cls, path: str | Path) -> "Trace":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
            states: dict[tuple[int, str], dict[str, np.ndarray]] = {}
            cell = meta.get("cell")
            for key in data.files:
                if not key.startswith("layer"):
                    continue
                layer_s, direction, quantity = key.split(".")
                states.setdefault((int(layer_s[5:]), direction), {})[quantity] = data[key]
            if cell is None:
                found = {q for v in states.values() for q in v}
                cell = "lstm" if "cell_state" in found else "gru" if "update_gate" in found else "rnn"
            # keep the canonical quantity order
            states = {k: {q: v[q] for q in QUANTITIES[cell] if q in v} for k, v in sorted(states.items())}
            output = data["output"] if "output" in data.files else None
            from .gradients import Gradients

            extra = {key: data[key] for key in data.files
                     if key.startswith("gradient.") or key.startswith("connectivity")}
            gradients = Gradients.from_arrays(extra, meta.get("gradients", {}))
        return cls(cell, states, output, meta=meta, gradients=gradients)
