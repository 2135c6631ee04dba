"""NaN and Inf in a model and its trace, found and named for the user (Qt-free).

One NaN weight turns most of a layer's gates into NaN within a step or two, silently. The CLI
(``info``, ``trace``, ``export``) and the app report it with these helpers:

    nonfinite_tensors(model) -> [TensorReport(name, nan, inf)]   the weights holding NaN/Inf
    first_nonfinite(trace)   -> FirstNonFinite | None             where the trace first turns non-finite
    warning_text(model, trace) -> str | None                      the one-line warning both print

Tensors are named as a user would recognise them: "layer 0 forward Wh" (gate-conventions.md's
names), with the name the file's own framework gives it where one exists ("weight_hh_l0",
"recurrent_kernel", ONNX "R").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .trace import QUANTITIES, SYMBOLS, Trace

# what each framework calls the canonical arrays (a layer's suffix added where the name carries it)
_FILE_NAMES = {
    "pytorch": {"Wx": "weight_ih_l{k}{rev}", "Wh": "weight_hh_l{k}{rev}", "bx": "bias_ih_l{k}{rev}",
                "bh": "bias_hh_l{k}{rev}", "Whr": "weight_hr_l{k}{rev}"},
    "keras": {"Wx": "kernel", "Wh": "recurrent_kernel", "bx": "bias", "bh": "bias"},
    "onnx": {"Wx": "W", "Wh": "R", "bx": "B", "bh": "B", "peephole": "P"},
}
_QUANTITY_NAMES = {
    "input_gate": "input gate", "forget_gate": "forget gate", "cell_candidate": "cell candidate",
    "output_gate": "output gate", "cell_state": "cell state", "hidden_state": "hidden state",
    "reset_gate": "reset gate", "update_gate": "update gate", "candidate": "candidate", "output": "output",
}


@dataclass(frozen=True)
class TensorReport:
    """One tensor of the model that holds NaN or Inf values."""

    name: str  # "layer 0 forward Wh (weight_hh_l0)"
    nan: int
    inf: int
    size: int

    def describe(self) -> str:
        """'layer 0 forward Wh (weight_hh_l0): 1 NaN of 256 values'."""
        counts = [f"{n} {what}" for n, what in ((self.nan, "NaN"), (self.inf, "Inf")) if n]
        return f"{self.name}: {' and '.join(counts)} of {self.size} value{'s' if self.size != 1 else ''}"

    def short(self) -> str:
        """'layer 0 forward Wh (1 NaN)'."""
        counts = [f"{n} {what}" for n, what in ((self.nan, "NaN"), (self.inf, "Inf")) if n]
        return f"{self.name} ({', '.join(counts)})"


@dataclass(frozen=True)
class FirstNonFinite:
    """The first step at which the trace holds a NaN or Inf, and where."""

    step: int
    layer: int | None  # None: the head's output
    direction: str | None
    quantity: str  # a trace quantity ("input_gate", ...) or "output"
    kind: str  # "NaN" or "Inf"

    def describe(self) -> str:
        """'NaN first appears at step 3 in layer 0 (forward), input gate i'."""
        if self.layer is None:
            where = "the model's output"
        else:
            symbol = SYMBOLS.get(self.quantity, "")
            where = (f"layer {self.layer} ({self.direction}), {_QUANTITY_NAMES.get(self.quantity, self.quantity)}"
                     + (f" {symbol}" if symbol else ""))
        return f"{self.kind} first appears at step {self.step} in {where}"


def _named_arrays(model) -> Iterator[tuple[str, np.ndarray]]:
    """(user-facing name, array) of every weight the model holds."""
    file_names = _FILE_NAMES.get(getattr(model, "framework", "") or "", {})
    for k, layer in enumerate(model.layers):
        names = layer.direction_names()
        for d, dname in zip(layer.directions, names):
            where = f"layer {k} {dname}"
            for key, a in d.arrays().items():
                own = file_names.get(key)
                own = own.format(k=k, rev="_reverse" if d.reverse else "") if own else ""
                yield f"{where} {key}" + (f" ({own})" if own else ""), a
    if model.input.embedding is not None:
        yield "the input embedding", model.input.embedding
    if model.head is not None:
        yield "the head's weight", model.head.weight
        if model.head.bias is not None:
            yield "the head's bias", model.head.bias


def _counts(a) -> tuple[int, int]:
    a = np.asarray(a)
    if a.dtype.kind not in "fc" or not a.size:
        return 0, 0  # integers cannot hold NaN
    finite = np.isfinite(a)
    if finite.all():  # the common case: one pass, no counting
        return 0, 0
    nan = int(np.count_nonzero(np.isnan(a)))
    return nan, int(a.size - np.count_nonzero(finite)) - nan


_EXTREMES: dict[int, tuple] = {}  # id(array) -> (weakref to it, (min, max)); a trace's arrays never change


def extremes(a: np.ndarray) -> tuple[float, float]:
    """(min, max) of a float array, NaN when it holds NaN; remembered per array object, since every
    panel asks about the same trace arrays (two passes over a 100k-step trace's gate cost ~15 ms)."""
    import weakref

    hit = _EXTREMES.get(id(a))
    if hit is not None and hit[0]() is a:
        return hit[1]
    value = _min_max(a)
    try:
        ref = weakref.ref(a)
    except TypeError:  # not an ndarray (a list): nothing to remember it by
        return value
    if len(_EXTREMES) > 256:
        _EXTREMES.clear()
    _EXTREMES[id(a)] = (ref, value)
    return value


# rows of a large (T, units) array read in one pass, so that the pass stays in cache (min and max
# here, the saturation counts in analysis)
ROWS_PER_PASS = 256


def _min_max(a) -> tuple[float, float]:
    """(min, max), NaN when there is one. A large 2-d array ROWS_PER_PASS rows at a time, each read
    once for both while in cache: a strided 100k x 1024 gate took ~95 ms in two passes."""
    a = np.asarray(a)
    if a.ndim != 2 or a.size < 1 << 20:
        return float(np.min(a)), float(np.max(a))
    rows = ROWS_PER_PASS
    n = -(-a.shape[0] // rows)
    lows, highs = np.empty(n, a.dtype), np.empty(n, a.dtype)
    for k in range(n):
        part = a[k * rows:(k + 1) * rows]
        lows[k], highs[k] = np.min(part), np.max(part)  # the second pass reads the part from cache
    return float(np.min(lows)), float(np.max(highs))  # NaN propagates through both, as before


def max_abs_finite(a: np.ndarray, default: float = 0.0) -> float:
    """The largest |value| among the finite ones; ``default`` when there is none (empty, or all NaN/Inf):
    what a range or a label width is sized from, since NaN and Inf have no size of their own."""
    a = np.asarray(a)
    if not a.size:
        return default
    # the common case, everything finite: max and min in two passes, no boolean mask or copy
    # (a 100k-step trace's gates: 10 ms instead of 120 ms per array)
    bottom, top = extremes(a)
    if np.isfinite(top) and np.isfinite(bottom):
        return max(abs(top), abs(bottom))
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else default


def nonfinite_tensors(model) -> list[TensorReport]:
    """Every tensor of ``model`` that holds NaN or Inf, in the model's order (empty when all are finite)."""
    out = []
    for name, a in _named_arrays(model):
        nan, inf = _counts(a)
        if nan or inf:
            out.append(TensorReport(name, nan, inf, int(np.asarray(a).size)))
    return out


def _first_bad_step(a: np.ndarray) -> tuple[int, str] | None:
    """(first step index, "NaN"/"Inf") of an array (T, units) or a batch (N, T, units); None if all finite."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc" or not a.size:
        return None
    if all(np.isfinite(extremes(a))):  # remembered per trace array: no pass (100 ms at 100k steps) when finite
        return None
    finite = np.isfinite(a)
    per_step = ~finite.reshape(-1, a.shape[-2], a.shape[-1]).all(axis=(0, 2)) if a.ndim == 3 else \
        ~finite.reshape(a.shape[0], -1).all(axis=1)
    step = int(np.argmax(per_step))
    row = a[..., step, :] if a.ndim == 3 else a[step]
    return step, "NaN" if np.isnan(row).any() else "Inf"


def first_nonfinite(trace: Trace) -> FirstNonFinite | None:
    """The earliest step (by time index) where any gate, state or the output is NaN or Inf; within a step
    the first layer, direction and quantity in the trace's order (gates before the states they feed)."""
    best: FirstNonFinite | None = None
    for (layer, direction), quantities in trace.states.items():
        for q in QUANTITIES.get(trace.cell, tuple(quantities)):
            if q not in quantities:
                continue
            found = _first_bad_step(quantities[q])
            if found is not None and (best is None or found[0] < best.step):
                best = FirstNonFinite(found[0], layer, direction, q, found[1])
    if best is None and trace.output is not None:
        start = trace.meta.get("output_from_step", 0)  # an encoder's steps have no output (core/seq2seq.py)
        found = _first_bad_step(trace.output[..., start:, :])
        if found is not None:
            best = FirstNonFinite(found[0] + start, None, None, "output", found[1])
    return best


def warning_text(model, trace: Trace | None, tensors: list[TensorReport] | None = None) -> str | None:
    """The one-line warning for a model (and its trace) with NaN or Inf; None when everything is finite.

    'NaN first appears at step 1 in layer 0 (forward), input gate i; the model has NaN in layer 0 forward Wh
    (1 NaN)'. ``tensors``: ``nonfinite_tensors(model)`` when the caller has it already.
    """
    tensors = nonfinite_tensors(model) if tensors is None and model is not None else (tensors or [])
    first = first_nonfinite(trace) if trace is not None else None
    if first is None and not tensors:
        return None
    kinds = "NaN" if all(t.nan for t in tensors) and tensors else \
        "Inf" if all(not t.nan for t in tensors) and tensors else "NaN/Inf"
    shown = "; ".join(t.short() for t in tensors[:3]) + (f"; and {len(tensors) - 3} more" if len(tensors) > 3 else "")
    has = f"the model has {kinds} in {shown}" if tensors else ""
    if first is None:
        return has + "; this input's gates and states stay finite"
    if not tensors:
        return first.describe() + " (every weight is finite: the values overflowed)"
    return f"{first.describe()}; {has}"


def warn_nonfinite(model, trace: Trace | None, file=None) -> str | None:
    """The CLI's report: one 'gateviz: warning: …' line on stderr when the model or trace holds NaN/Inf."""
    import sys

    text = warning_text(model, trace)
    if text is not None:
        print(f"gateviz: warning: {text}", file=file or sys.stderr, flush=True)
    return text
