"""Interventions (issue 13): the spec text that says which quantity of which units to replace, and how.

    layer{k}.{direction}.{quantity}[{units}]={value}@{steps}

    quantity  a trace quantity of the cell: LSTM input_gate, forget_gate, cell_candidate,
              output_gate, cell_state, hidden_state; GRU reset_gate, update_gate, candidate,
              hidden_state; RNN hidden_state
    units     8 | 3,5,8 | 8-11 | * (every unit)
    value     a number (set it), *0.5 (scale it), +0.2 (add to it)
    steps     10: | :20 | 10:20 (half-open) | 15; input positions as in the trace file (also for a
              backward direction); "@..." left out means every step

    >>> Intervention.parse("layer0.forward.forget_gate[8]=0@10:")

The text is parsed once here and used alike by the CLI, the app, exports and sessions; ``str()``
gives it back in canonical form. ``check`` holds it against a model and a sequence length and says
what would be valid when it does not fit. Qt-free and torch-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import SequenceError
from .texts import QT_TRANSLATE_NOOP
from .trace import QUANTITIES

_SPEC = re.compile(r"""^\s*layer(?P<layer>\d+)\.(?P<direction>[a-z]+)\.(?P<quantity>[a-z_]+)
                       \[(?P<units>[^\]]*)\]\s*=\s*(?P<value>[^@]+?)\s*(?:@\s*(?P<steps>.+?))?\s*$""", re.VERBOSE)
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
USAGE = ("write layer{k}.{direction}.{quantity}[{units}]={value}@{steps}, e.g. "
         "layer0.forward.forget_gate[8]=0@10: (units 8, 3,5,8, 8-11 or *; value 0.5, *0.5 or +0.2; "
         "steps 10:, :20, 10:20 or 15)")
OPS = {"set": "", "scale": "*", "add": "+"}

# What goes wrong, as Messages (gateviz.core.texts): English here and in the CLI; the app's dialogs,
# the Add-intervention one as the user types, show them in the interface language
_UNREADABLE = QT_TRANSLATE_NOOP("CoreErrors", "cannot read the intervention {spec}; write "
                                "layer{{k}}.{{direction}}.{{quantity}}[{{units}}]={{value}}@{{steps}}, e.g. "
                                "layer0.forward.forget_gate[8]=0@10: (units 8, 3,5,8, 8-11 or *; value 0.5, *0.5 "
                                "or +0.2; steps 10:, :20, 10:20 or 15)")
_BAD_DIRECTION = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: the direction is forward or backward, not {direction}")
_BAD_QUANTITY = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: {quantity} is not a trace quantity; choose one of {known}")
_NO_LAYER = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: layer {layer} does not exist; the model has layers 0..{last}")
_NO_DIRECTION = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: layer {layer} has no {direction} direction; it has {names}")
_AN_CELL = QT_TRANSLATE_NOOP("CoreErrors", "an {cell}")
_A_CELL = QT_TRANSLATE_NOOP("CoreErrors", "a {cell}")
_NO_QUANTITY = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: {a_cell} has no {quantity}; choose one of {allowed}")
_NO_UNIT = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: unit {unit} does not exist; this {quantity} has units 0..{last}")
_STEP_OUTSIDE = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: step {start} is outside the sequence; it has steps 0..{last}")
_STEPS_OUTSIDE = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: steps {start}..{end} are outside the sequence; it has "
                                                 "steps 0..{last}")
_BAD_UNITS = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: cannot read the units {units}; give 8, 3,5,8, 8-11 or *")
_BACKWARD_RANGE = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: the unit range {part} runs backwards; write {hi}-{lo}")
_BAD_VALUE = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: cannot read the value {value}; give a number (set), *0.5 "
                                             "(scale) or +0.2 (add)")
_NOT_FINITE = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: the value must be a finite number")
_EMPTY_STEPS = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: the steps {steps} hold none (the end is excluded); write "
                                               "{start}:{next} for step {start} alone")
_BAD_STEPS = QT_TRANSLATE_NOOP("CoreErrors", "{spec}: cannot read the steps {steps}; give 10:, :20, 10:20 or 15")


QUANTITY_WORDS = {"input_gate": "input gate i", "forget_gate": "forget gate f", "cell_candidate": "candidate g",
                  "output_gate": "output gate o", "cell_state": "cell state c", "hidden_state": "hidden state h",
                  "reset_gate": "reset gate r", "update_gate": "update gate z", "candidate": "candidate n"}


def describe_all(interventions, *, with_layer: bool = True) -> str:
    """Several interventions in words, joined by "; "."""
    return "; ".join(iv.describe(with_layer=with_layer) for iv in parse_all(interventions))


class InterventionError(SequenceError):
    """A spec that cannot be parsed or does not fit the model or the sequence."""


@dataclass(frozen=True)
class Intervention:
    layer: int
    direction: str  # "forward" | "backward"
    quantity: str
    units: tuple[int, ...] | None  # None: every unit
    op: str  # "set" | "scale" | "add"
    value: float
    start: int | None = None  # first step (None: from the first)
    stop: int | None = None  # one past the last step (None: to the end)

    # ---- text -----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> "Intervention":
        m = _SPEC.match(str(text))
        if m is None:
            raise InterventionError(_UNREADABLE.format(spec=repr(text)))
        direction = m["direction"]
        if direction not in ("forward", "backward"):
            raise InterventionError(_BAD_DIRECTION.format(spec=repr(text), direction=repr(direction)))
        quantity = m["quantity"]
        known = sorted({q for qs in QUANTITIES.values() for q in qs})
        if quantity not in known:
            raise InterventionError(_BAD_QUANTITY.format(spec=repr(text), quantity=repr(quantity),
                                                         known=", ".join(known)))
        units = _parse_units(m["units"], text)
        op, value = _parse_value(m["value"], text)
        start, stop = _parse_steps(m["steps"], text)
        return cls(int(m["layer"]), direction, quantity, units, op, value, start, stop)

    def __str__(self) -> str:
        if self.units is None:
            units = "*"
        else:
            units = ",".join(_runs(self.units))
        value = f"{OPS[self.op]}{self.value:g}"
        steps = ""
        if self.start is not None or self.stop is not None:
            if self.start is not None and self.stop == self.start + 1:
                steps = f"@{self.start}"
            else:
                steps = f"@{'' if self.start is None else self.start}:{'' if self.stop is None else self.stop}"
        return f"layer{self.layer}.{self.direction}.{self.quantity}[{units}]={value}{steps}"

    def describe(self, *, with_layer: bool = True) -> str:
        """In words, for titles, captions and tooltips: "forget gate f of unit 8 = 0 from step 10"."""
        what = QUANTITY_WORDS.get(self.quantity, self.quantity)
        if self.units is None:
            units = "every unit"
        else:
            units = ("unit " if len(self.units) == 1 else "units ") + ", ".join(_runs(self.units))
        value = {"set": "= ", "scale": "× ", "add": "+ "}[self.op] + f"{self.value:g}"
        if self.start is None and self.stop is None:
            steps = "at every step"
        elif self.stop is not None and self.start is not None and self.stop == self.start + 1:
            steps = f"at step {self.start}"
        elif self.stop is None:
            steps = f"from step {self.start}"
        elif self.start is None:
            steps = f"before step {self.stop}"
        else:
            steps = f"at steps {self.start}–{self.stop - 1}"
        where = f" (layer {self.layer} {self.direction})" if with_layer else ""
        return f"{what} of {units} {value} {steps}{where}"

    # ---- against a model and a sequence -------------------------------------------------
    def check(self, model, length: int) -> "Intervention":
        """Raise InterventionError unless this fits ``model`` (a RecurrentModel) and a sequence of ``length``."""
        where = repr(str(self))
        layers = model.layers
        if not 0 <= self.layer < len(layers):
            raise InterventionError(_NO_LAYER.format(spec=where, layer=self.layer, last=len(layers) - 1))
        layer = layers[self.layer]
        names = layer.direction_names()
        if self.direction not in names:
            raise InterventionError(_NO_DIRECTION.format(spec=where, layer=self.layer, direction=self.direction,
                                                         names=" and ".join(names)))
        allowed = QUANTITIES[layer.cell]
        if self.quantity not in allowed:
            a_cell = (_AN_CELL if layer.cell in ("lstm", "rnn") else _A_CELL).format(cell=layer.cell.upper())
            raise InterventionError(_NO_QUANTITY.format(spec=where, a_cell=a_cell, quantity=self.quantity,
                                                        allowed=", ".join(allowed)))
        width = layer.width(self.quantity)
        if self.units is not None and max(self.units) >= width:
            raise InterventionError(_NO_UNIT.format(spec=where, unit=max(self.units), quantity=self.quantity,
                                                    last=width - 1))
        start = 0 if self.start is None else self.start
        stop = length if self.stop is None else self.stop
        if not 0 <= start < length or not start < stop <= length:
            one = stop == start + 1 or start >= length
            raise InterventionError((_STEP_OUTSIDE if one else _STEPS_OUTSIDE).format(
                spec=where, start=start, end=stop - 1, last=length - 1))
        return self

    def step_mask(self, length: int) -> np.ndarray:
        """(length,) bool: the steps this replaces (input positions)."""
        mask = np.zeros(length, dtype=bool)
        mask[slice(self.start, self.stop)] = True
        return mask

    def unit_index(self, width: int) -> np.ndarray:
        """The units this replaces, as indices into a quantity of ``width`` units."""
        return np.arange(width) if self.units is None else np.asarray(self.units, dtype=np.int64)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """The replaced values of the chosen units (``values``: what the cell computed there)."""
        if self.op == "set":
            return np.full_like(values, self.value)
        if self.op == "scale":
            return values * self.value
        return values + self.value


def parse_all(texts) -> list[Intervention]:
    """Every spec of a repeated ``--clamp``, in order (later ones act after earlier ones).
    Interventions among them are taken as they are."""
    return [t if isinstance(t, Intervention) else Intervention.parse(t) for t in texts or ()]


# --------------------------------------------------------------------------- pieces


def _parse_units(text: str, spec: str) -> tuple[int, ...] | None:
    text = text.strip()
    if text == "*":
        return None
    units: list[int] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if m is None:
            raise InterventionError(_BAD_UNITS.format(spec=repr(spec), units=repr(text)))
        lo = int(m[1])
        hi = int(m[2]) if m[2] is not None else lo
        if hi < lo:
            raise InterventionError(_BACKWARD_RANGE.format(spec=repr(spec), part=part, hi=hi, lo=lo))
        units.extend(range(lo, hi + 1))
    return tuple(sorted(set(units)))


def _parse_value(text: str, spec: str) -> tuple[str, float]:
    text = text.strip()
    op = "set"
    if text[:1] == "*":
        op, text = "scale", text[1:].strip()
    elif text[:1] == "+":
        op, text = "add", text[1:].strip()
    if not re.fullmatch(_NUMBER, text):
        raise InterventionError(_BAD_VALUE.format(spec=repr(spec), value=repr(text)))
    value = float(text)
    if not np.isfinite(value):
        raise InterventionError(_NOT_FINITE.format(spec=repr(spec)))
    return op, value


def _parse_steps(text: str | None, spec: str) -> tuple[int | None, int | None]:
    if text is None:
        return None, None
    text = text.strip()
    m = re.fullmatch(r"(\d*)\s*:\s*(\d*)", text)
    if m is not None:
        start = int(m[1]) if m[1] else None
        stop = int(m[2]) if m[2] else None
        if start is not None and stop is not None and stop <= start:
            raise InterventionError(_EMPTY_STEPS.format(spec=repr(spec), steps=text, start=start, next=start + 1))
        return start, stop
    if re.fullmatch(r"\d+", text):
        return int(text), int(text) + 1
    raise InterventionError(_BAD_STEPS.format(spec=repr(spec), steps=repr(text)))


def _runs(units: tuple[int, ...]) -> list[str]:
    """(3, 5, 8, 9, 10, 11) -> ["3", "5", "8-11"]."""
    out: list[str] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1] == units[j] + 1:
            j += 1
        out.append(str(units[i]) if j == i else f"{units[i]}-{units[j]}")
        i = j + 1
    return out
