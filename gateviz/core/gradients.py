"""Gradients through time: which earlier inputs and states a chosen output depends on.

For a scalar target y at step t* (``GradientTarget``):
  * a model with a head: for a softmax head the log-probability of the class predicted at t*
    (or of class K); for any other head the sum of its outputs at t* (or output K);
  * a model without a head: the sum of the top layer's output at t*, all directions merged as
    the next layer would see them;
  * a unit: that unit's hidden state at t*.

``compute_gradients`` returns dy/dh_t and (LSTM) dy/dc_t for every layer, direction and step —
total derivatives through every later step and every upper layer — and dy/dx_t for the input
(the embedding vector of each token for an embedding model), with the connectivity ||dy/dx_t||
per step (Madsen, "Visualizing memorization in RNNs", Distill 2019) and, on request, the whole
connectivity matrix (row s: the target placed at step s).

It starts from the trace the engine already computed (every gate, c and h), seeds the gradient
of y where y reads the network, and runs each layer's backward recurrence (``bptt``) from the top
layer down: a layer's input gradient, split the way its input was merged, is what arrives at the
layer below (``backward.py``; this module stays free of torch so a trace file opens without it).
Rows of the matrix are batched targets of one recurrence, in chunks that fit memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .errors import SequenceError
from .model import RecurrentModel
from .trace import Trace

ProgressFn = Callable[[float, str], None]
DIRECTION_ALIASES = {"f": "forward", "fw": "forward", "forward": "forward",
                     "b": "backward", "bw": "backward", "backward": "backward"}


@dataclass(frozen=True)
class GradientTarget:
    """What y is. ``step``: t* (None = the last step); ``output``: the head's class/output K (None =
    the predicted class for a softmax head, the sum of the outputs otherwise); ``unit``: (layer,
    direction, unit) to take that unit's hidden state at t* instead of the head."""

    step: int | None = None
    output: int | None = None
    unit: tuple[int, str, int] | None = None

    @staticmethod
    def parse_unit(text: str) -> tuple[int, str, int]:
        """``"1.forward.8"`` (or ``1.f.8``, ``1.backward.8``) -> (1, "forward", 8)."""
        parts = str(text).strip().split(".")
        usage = "give LAYER.DIRECTION.UNIT, e.g. 0.forward.8 (direction forward or backward)"
        if len(parts) != 3:
            raise SequenceError(f"target unit {text!r} is not LAYER.DIRECTION.UNIT; {usage}")
        layer_s, direction_s, unit_s = parts
        direction = DIRECTION_ALIASES.get(direction_s.lower())
        if not (layer_s.isdigit() and unit_s.isdigit()) or direction is None:
            raise SequenceError(f"target unit {text!r} is not LAYER.DIRECTION.UNIT; {usage}")
        return int(layer_s), direction, int(unit_s)

    def to_json(self) -> dict:
        return {"step": self.step, "output": self.output, "unit": None if self.unit is None else list(self.unit)}

    @classmethod
    def from_json(cls, d: dict) -> "GradientTarget":
        unit = d.get("unit")
        return cls(step=d.get("step"), output=d.get("output"), unit=None if unit is None else
                   (int(unit[0]), str(unit[1]), int(unit[2])))


@dataclass
class Gradients:
    """The gradients of one target (arrays indexed by input position, backward directions time-aligned)."""

    target: GradientTarget  # step resolved to an int
    definition: str  # one line: what y is
    hidden: dict[tuple[int, str], np.ndarray]  # (layer, direction) -> (T, units) dy/dh_t
    cell: dict[tuple[int, str], np.ndarray]  # LSTM: (layer, direction) -> (T, H) dy/dc_t
    input: np.ndarray  # (T, F) dy/dx_t
    connectivity: np.ndarray  # (T,) ||dy/dx_t||_2
    matrix: np.ndarray | None = None  # (T, T): row s = ||dy_s/dx_t||_2
    meta: dict = field(default_factory=dict)  # the target's definition, for the trace file

    def __repr__(self) -> str:  # the arrays would fill a screen
        return f"Gradients({self.definition!r}, {len(self.connectivity)} steps, {len(self.hidden)} layer-direction(s))"

    def norms(self, layer: int, direction: str, which: str = "hidden") -> np.ndarray:
        """(T,) ||dy/dh_t||_2 (``which="cell"``: ||dy/dc_t||_2) of one layer and direction."""
        arrays = self.hidden if which == "hidden" else self.cell
        return np.linalg.norm(arrays[(layer, direction)], axis=1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The trace file's gradient keys."""
        out = {}
        for (k, d), a in self.hidden.items():
            out[f"gradient.layer{k}.{d}.hidden_state"] = np.ascontiguousarray(a)
        for (k, d), a in self.cell.items():
            out[f"gradient.layer{k}.{d}.cell_state"] = np.ascontiguousarray(a)
        out["gradient.input"] = np.ascontiguousarray(self.input)
        out["connectivity"] = np.ascontiguousarray(self.connectivity)
        if self.matrix is not None:
            out["connectivity_matrix"] = np.ascontiguousarray(self.matrix)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> "Gradients | None":
        """Back from a trace file's keys (None when it holds no gradients)."""
        if "connectivity" not in arrays:
            return None
        hidden, cell = {}, {}
        for key, a in arrays.items():
            if key.startswith("gradient.layer"):
                layer_s, direction, quantity = key[len("gradient."):].split(".")
                (hidden if quantity == "hidden_state" else cell)[(int(layer_s[5:]), direction)] = a
        return cls(target=GradientTarget.from_json(meta.get("target", {})), definition=meta.get("definition", ""),
                   hidden=dict(sorted(hidden.items())), cell=dict(sorted(cell.items())),
                   input=arrays.get("gradient.input"), connectivity=arrays["connectivity"],
                   matrix=arrays.get("connectivity_matrix"), meta=dict(meta))


def forget_product(forget: np.ndarray, step: int, reverse: bool = False) -> np.ndarray:
    """(T, H) forget gates -> (T, H): how much of c_t is still in c_{t*} along the carousel alone.

    Forward: prod_{s=t+1..t*} f_s for t < t*, 1 at t*, NaN after (c_t comes later than t*).
    ``reverse`` (a backward direction, time-aligned): prod_{s=t*..t−1} f_s for t > t*, NaN before.
    """
    f = np.asarray(forget, dtype=np.float64)
    T = f.shape[0]
    out = np.full(f.shape, np.nan)
    out[step] = 1.0
    if reverse:
        if step + 1 < T:
            out[step + 1:] = np.cumprod(f[step:T - 1], axis=0)  # t = step+1.. : f_step ... f_{t-1}
    elif step > 0:
        out[:step] = np.cumprod(f[step:0:-1], axis=0)[::-1]  # t = step-1 .. 0: f_step ... f_{t+1}
    return out


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class _Resolved:
    kind: str  # "head", "head_final", "top" or "unit"
    step: int
    output: int | None  # the head output/class y reads; None: the sum of the head's outputs
    predicted: bool  # a softmax head's class chosen as the prediction at that step


def check_target(model: RecurrentModel, trace: Trace, target: GradientTarget) -> None:
    T = trace.length
    if target.step is not None and not -T <= target.step < T:
        raise SequenceError(f"target step {target.step} is outside the sequence, which has steps 0..{T - 1}; "
                            f"choose a step in 0..{T - 1}")
    head = model.head
    if target.output is not None:
        if target.unit is not None:
            raise SequenceError("a target is either a head output (class) or a unit, not both; choose one")
        if head is None:
            raise SequenceError(f"this model has no head, so there is no output {target.output} to choose; "
                                "leave out the target class, or choose a unit (LAYER.DIRECTION.UNIT)")
        if not 0 <= target.output < head.out_features:
            raise SequenceError(f"target class {target.output} does not exist: the head has {head.out_features} "
                                f"output(s), 0..{head.out_features - 1}")
    if target.unit is not None:
        k, d, u = target.unit
        if not 0 <= k < trace.num_layers:
            raise SequenceError(f"target unit {k}.{d}.{u}: layer {k} does not exist; the model has layers "
                                f"0..{trace.num_layers - 1}")
        if d not in trace.directions(k):
            raise SequenceError(f"target unit {k}.{d}.{u}: layer {k} has no {d} direction; it has "
                                f"{' and '.join(trace.directions(k))}")
        units = trace.units(k)
        if not 0 <= u < units:
            raise SequenceError(f"target unit {k}.{d}.{u}: unit {u} does not exist; layer {k} has units 0..{units - 1}")


def _resolve(model: RecurrentModel, trace: Trace, target: GradientTarget, step: int) -> _Resolved:
    if target.unit is not None:
        return _Resolved("unit", step, None, False)
    head = model.head
    if head is None or trace.output is None:
        return _Resolved("top", step, None, False)
    final_only = trace.meta.get("output_mode") == "final"  # a bidirectional head on the final states
    if final_only and step != trace.length - 1:
        # the head reads only the final states: at other steps y is the top layer's output
        return _Resolved("top", step, None, False)
    row = trace.output[0] if final_only else trace.output[step]
    output, predicted = target.output, False
    if output is None and head.activation == "softmax":
        output, predicted = int(np.nanargmax(row)) if np.isfinite(row).any() else 0, True
    return _Resolved("head_final" if final_only else "head", step, output, predicted)


def _definition(model: RecurrentModel, r: _Resolved, target: GradientTarget) -> str:
    where = f"at step {r.step}"
    if r.kind == "unit":
        k, d, u = target.unit
        return f"h of unit {u} (layer {k} {d}) {where}"
    if r.kind == "top":
        top = len(model.layers) - 1
        note = " (the head reads only the final states)" if model.head is not None else ""
        return f"sum of layer {top}'s output {where}{note}"
    head = model.head
    labels = head.labels or []
    if r.output is None:
        return f"sum of the model's outputs {where}"
    name = labels[r.output] if r.output < len(labels) else str(r.output)
    if not name.isprintable() or name.isspace():
        name = repr(name)  # a newline or a space class of a text model, visible in a title
    if head.activation == "softmax":
        return f"log p({name}){' (predicted)' if r.predicted else ''} {where}"
    return f"output {name} {where}"


def _head_feature_grad(model: RecurrentModel, trace: Trace, r: _Resolved, dtype) -> np.ndarray:
    """dy/d(features the head reads) (in,), from the traced output y = act(W·feat + b)."""
    head = model.head
    y = np.asarray(trace.output[0] if r.kind == "head_final" else trace.output[r.step], dtype=np.float64)
    act = head.activation
    if act == "softmax":
        dz = -y.copy()  # d log p_K / dz = e_K − p
        dz[r.output] += 1.0
    else:
        if act == "sigmoid":
            dz = y * (1 - y)
        elif act == "tanh":
            dz = 1 - y * y
        elif act == "relu":
            dz = (y > 0).astype(np.float64)
        else:  # identity
            dz = np.ones_like(y)
        if r.output is not None:
            keep = np.zeros_like(dz)
            keep[r.output] = dz[r.output]
            dz = keep
    return (dz @ np.asarray(head.weight, dtype=np.float64)).astype(dtype)


def compute_gradients(model: RecurrentModel, trace: Trace, target: GradientTarget = GradientTarget(), *,
                      matrix: bool = False, progress: ProgressFn | None = None,
                      dtype=None) -> Gradients:
    """The gradients of ``target`` for ``trace`` (one traced sequence of ``model``).

    ``progress(fraction, message)`` is called now and then; it may raise to cancel. ``dtype``: a
    torch dtype for the backward (default: the trace's).
    """
    import math

    import torch

    from .backward import Backward, matrix_chunk
    check_target(model, trace, target)
    T = trace.length
    step = T - 1 if target.step is None else target.step % T
    target = replace(target, step=step)
    resolved = _resolve(model, trace, target, step)
    back = Backward(model, trace, dtype)
    from .budget import format_bytes, require

    itemsize = torch.finfo(back.dtype).bits // 8
    per_step = sum((layer.gates + 2) * layer.units * len(layer.directions) for layer in model.layers)
    require(T * (per_step + model.layers[0].input_size) * itemsize * 2, f"gradients over {T:,} steps",
            "give a shorter input")
    if matrix:
        require(T * T * 8, f"a {T:,} x {T:,} connectivity matrix ({format_bytes(T * T * 8)})",
                "leave out the connectivity matrix or give a shorter input")

    def tick_for(start: float, span: float, message: str):
        if progress is None:
            return None
        return lambda f: progress(start + span * f, message)

    with torch.no_grad():
        dh, dc, dx = back.run([resolved], target, keep_states=True,
                              tick=tick_for(0.0, 0.2 if matrix else 1.0, "gradients through time"))
        rows = None
        if matrix:
            rows = np.zeros((T, T), dtype=np.float64)
            chunk = matrix_chunk(model, T, itemsize)
            n_chunks = math.ceil(T / chunk)
            for c in range(n_chunks):
                steps = range(c * chunk, min(T, (c + 1) * chunk))
                batch = [_resolve(model, trace, target, s) for s in steps]
                _, _, dx_b = back.run(batch, target, keep_states=False,
                                      tick=tick_for(0.2 + 0.8 * c / n_chunks, 0.8 / n_chunks,
                                                    "connectivity matrix"))
                rows[steps.start:steps.stop] = torch.linalg.vector_norm(dx_b, dim=2).t().double().numpy()
    np_dtype = np.float64 if back.dtype == torch.float64 else np.float32
    hidden = {key: a[:, 0].numpy().astype(np_dtype, copy=False) for key, a in dh.items()}
    cell = {key: a[:, 0].numpy().astype(np_dtype, copy=False) for key, a in dc.items()}
    grad_input = dx[:, 0].numpy().astype(np_dtype, copy=False)
    connectivity = np.linalg.norm(grad_input.astype(np.float64), axis=1).astype(np_dtype)
    # layers above a unit target cannot reach it: report zeros for them too (every key present)
    for k, layer in enumerate(model.layers):
        for name in layer.direction_names():
            shape = trace.states[(k, name)]["hidden_state"].shape
            hidden.setdefault((k, name), np.zeros(shape, dtype=np_dtype))
            if layer.cell == "lstm":
                cell.setdefault((k, name), np.zeros((T, layer.units), dtype=np_dtype))
    definition = _definition(model, resolved, target)
    if trace.meta.get("interventions"):
        definition += " (intervened run)"  # differentiated with its clamps (backward.Backward)
    meta = {"target": target.to_json(), "definition": definition, "kind": resolved.kind.replace("_final", ""),
            "step": step, "output": resolved.output, "predicted_class": resolved.predicted,
            "input": "embedding vector" if model.input.kind == "embedding" else "input features"}
    if matrix:
        meta["matrix_rows"] = "row s: ||dy_s/dx_t||_2 with the same target definition placed at step s"
    if progress is not None:
        progress(1.0, "done")
    order = [(k, name) for k, layer in enumerate(model.layers) for name in layer.direction_names()]
    return Gradients(target=target, definition=definition,
                     hidden={key: hidden[key] for key in order},
                     cell={key: cell[key] for key in order if key in cell},
                     input=grad_input, connectivity=connectivity,
                     matrix=None if rows is None else rows.astype(np_dtype), meta=meta)
