"""Edits inside the step loops: interventions compiled for the engine (issue 13).

An ``Intervention`` (the spec text) says what to replace for every sequence alike. A
``UnitEdit`` is the engine's form of it, and can also differ per sequence of a batch: the
ablation runs one copy of the input per unit and silences a different unit in each copy,
all in one batched trace (``samples``).

The loops hand each quantity to ``DirectionEdits.apply_`` right after computing it, as a
unit-major view (units, N), before anything reads it; the loops' own storage may hold a
rescaled value (the fused LSTM loop keeps s = (tanh(a) + 1) / 2 for the candidate and
d = −2c for the cell state), so every edit is written as stored' = A·stored + B on the
chosen entries, with A and B worked out for that representation (``Stored``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .interventions import Intervention, parse_all


@dataclass(frozen=True)
class UnitEdit:
    """Replace ``quantity`` of ``units`` (None: all) at the steps where ``steps`` is True.

    ``samples``: None (every sequence alike) or (N, len(units)) bool, True where sequence n
    gets the edit of that unit.
    """

    layer: int
    direction: str
    quantity: str
    op: str  # set | scale | add
    value: float
    steps: np.ndarray  # (T,) bool, input positions
    units: np.ndarray | None = None  # (k,) int64
    samples: np.ndarray | None = None  # (N, k) bool

    @classmethod
    def from_intervention(cls, iv: Intervention, model, length: int) -> "UnitEdit":
        iv.check(model, length)
        units = None if iv.units is None else np.asarray(iv.units, dtype=np.int64)
        return cls(iv.layer, iv.direction, iv.quantity, iv.op, iv.value, iv.step_mask(length), units)


@dataclass(frozen=True)
class Stored:
    """How a loop stores a quantity: stored = scale·value + offset."""

    scale: float = 1.0
    offset: float = 0.0


DIRECT = Stored()


class _Compiled:
    """One edit, ready for a direction's loop: its rows, and A, B (scalars or (k, N) tensors)."""

    def __init__(self, edit: UnitEdit, width: int, batch: int, stored: Stored, like: Tensor):
        units = edit.units
        if units is None:
            self.rows: slice | Tensor = slice(None)
            k = width
        elif len(units) and np.all(np.diff(units) == 1):
            self.rows = slice(int(units[0]), int(units[-1]) + 1)  # a view: edits in place
            k = len(units)
        else:
            self.rows = torch.as_tensor(units, device=like.device)
            k = len(units)
        alpha, beta = stored.scale, stored.offset
        if edit.op == "set":
            A, B = 0.0, alpha * edit.value + beta
        elif edit.op == "scale":
            A, B = edit.value, beta * (1.0 - edit.value)
        else:
            A, B = 1.0, alpha * edit.value
        if edit.samples is None:
            self.mul: float | Tensor = A
            self.add: float | Tensor = B
            self.masked = False
        else:
            mask = torch.as_tensor(np.asarray(edit.samples, dtype=np.float64).T, dtype=like.dtype,
                                   device=like.device)  # (N, k) -> (k, N), unit-major like the loops
            if mask.shape != (k, batch):
                raise ValueError(f"edit samples have shape {tuple(edit.samples.shape)}, expected {(batch, k)}")
            self.mul = 1.0 + mask * (A - 1.0)  # 1 where the edit does not apply
            self.add = mask * B
            self.masked = True
        self.steps = edit.steps

    def apply_(self, x: Tensor) -> None:
        """x (units, N), edited in place."""
        if isinstance(self.rows, slice):
            part = x[self.rows]
            if self.masked:
                part.mul_(self.mul).add_(self.add)
            elif self.mul == 0.0:
                part.fill_(self.add)
            else:
                if self.mul != 1.0:
                    part.mul_(self.mul)
                if self.add != 0.0:
                    part.add_(self.add)
            return
        x[self.rows] = x[self.rows] * self.mul + self.add


class DirectionEdits:
    """The edits of one direction of one layer, by quantity, in the order they were given."""

    def __init__(self, edits: list[UnitEdit], layer, batch: int, like: Tensor,
                 stored: dict[str, Stored] | None = None):
        """``layer``: the RecurrentLayer edited (its quantities' widths); ``like``: dtype and device."""
        stored = stored or {}
        self.by_quantity: dict[str, list[_Compiled]] = {}
        for e in edits:
            self.by_quantity.setdefault(e.quantity, []).append(
                _Compiled(e, layer.width(e.quantity), batch, stored.get(e.quantity, DIRECT), like))
        T = len(edits[0].steps) if edits else 0
        any_step = np.zeros(T, dtype=bool)
        for e in edits:
            any_step |= e.steps
        self.any_step = any_step

    def at(self, step: int) -> bool:
        return bool(self.any_step[step])

    def apply_(self, quantity: str, x: Tensor, step: int) -> Tensor:
        """Edit x (units, N) in place if an edit of ``quantity`` covers ``step``; returns x."""
        for c in self.by_quantity.get(quantity, ()):
            if c.steps[step]:
                c.apply_(x)
        return x

    def editor(self, step: int):
        """For ``CellStep``: edit(name, x (N, units)) -> x, or None when nothing applies at ``step``."""
        if not self.any_step[step]:
            return None

        def edit(name: str, x: Tensor) -> Tensor:
            if name in self.by_quantity:
                x = x.clone()  # CellStep's outputs may be views of one another
                self.apply_(name, x.t(), step)
            return x
        return edit


def edits_by_direction(edits: list[UnitEdit]) -> dict[tuple[int, str], list[UnitEdit]]:
    out: dict[tuple[int, str], list[UnitEdit]] = {}
    for e in edits:
        out.setdefault((e.layer, e.direction), []).append(e)
    return out


def compile_interventions(interventions, model, length: int) -> list[UnitEdit]:
    """Spec texts or Interventions -> UnitEdits, each checked against the model and the length."""
    return [UnitEdit.from_intervention(iv, model, length) for iv in parse_all(interventions)]
