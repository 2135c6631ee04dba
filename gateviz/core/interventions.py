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
from .trace import QUANTITIES

_SPEC = re.compile(r"""^\s*layer(?P<layer>\d+)\.(?P<direction>[a-z]+)\.(?P<quantity>[a-z_]+)
                       \[(?P<units>[^\]]*)\]\s*=\s*(?P<value>[^@]+?)\s*(?:@\s*(?P<steps>.+?))?\s*$""", re.VERBOSE)
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
USAGE = ("write layer{k}.{direction}.{quantity}[{units}]={value}@{steps}, e.g. "
         "layer0.forward.forget_gate[8]=0@10: (units 8, 3,5,8, 8-11 or *; value 0.5, *0.5 or +0.2; "
         "steps 10:, :20, 10:20 or 15)")
OPS = {"set": "", "scale": "*", "add": "+"}


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
            raise InterventionError(f"cannot read the intervention {text!r}; {USAGE}")
        direction = m["direction"]
        if direction not in ("forward", "backward"):
            raise InterventionError(f"{text!r}: the direction is forward or backward, not {direction!r}")
        quantity = m["quantity"]
        known = sorted({q for qs in QUANTITIES.values() for q in qs})
        if quantity not in known:
            raise InterventionError(f"{text!r}: {quantity!r} is not a trace quantity; choose one of {', '.join(known)}")
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
            raise InterventionError(f"{where}: layer {self.layer} does not exist; the model has layers "
                                    f"0..{len(layers) - 1}")
        layer = layers[self.layer]
        names = layer.direction_names()
        if self.direction not in names:
            raise InterventionError(f"{where}: layer {self.layer} has no {self.direction} direction; it has "
                                    f"{' and '.join(names)}")
        allowed = QUANTITIES[layer.cell]
        if self.quantity not in allowed:
            raise InterventionError(f"{where}: {'an' if layer.cell in ('lstm', 'rnn') else 'a'} {layer.cell.upper()} has no {self.quantity}; choose one of "
                                    f"{', '.join(allowed)}")
        width = layer.width(self.quantity)
        if self.units is not None and max(self.units) >= width:
            raise InterventionError(f"{where}: unit {max(self.units)} does not exist; this {self.quantity} has "
                                    f"units 0..{width - 1}")
        start = 0 if self.start is None else self.start
        stop = length if self.stop is None else self.stop
        if not 0 <= start < length or not start < stop <= length:
            shown = f"step {start}" if stop == start + 1 or start >= length else f"steps {start}..{stop - 1}"
            raise InterventionError(f"{where}: {shown} {'is' if shown.startswith('step ') else 'are'} outside the "
                                    f"sequence; it has steps "
                                    f"0..{length - 1}")
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
            raise InterventionError(f"{spec!r}: cannot read the units {text!r}; give 8, 3,5,8, 8-11 or *")
        lo = int(m[1])
        hi = int(m[2]) if m[2] is not None else lo
        if hi < lo:
            raise InterventionError(f"{spec!r}: the unit range {part} runs backwards; write {hi}-{lo}")
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
        raise InterventionError(f"{spec!r}: cannot read the value {text!r}; give a number (set), *0.5 (scale) "
                                "or +0.2 (add)")
    value = float(text)
    if not np.isfinite(value):
        raise InterventionError(f"{spec!r}: the value must be a finite number")
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
            raise InterventionError(f"{spec!r}: the steps {text} hold none (the end is excluded); "
                                    f"write {start}:{start + 1} for step {start} alone")
        return start, stop
    if re.fullmatch(r"\d+", text):
        return int(text), int(text) + 1
    raise InterventionError(f"{spec!r}: cannot read the steps {text!r}; give 10:, :20, 10:20 or 15")


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
