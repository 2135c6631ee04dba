"""Training snapshots (issue 16): a model's weights at chosen steps of its training run.

    model.snapshots                        # [Snapshot(step, epoch, loss, metric, ..., weights)], oldest first
    early = model_at_snapshot(model, 0)    # the same layers and head, that snapshot's weights (cached)
    traces = SnapshotTraces(model, sequence)
    traces.get(k)                          # the trace of ``sequence`` at snapshot k, computed once

A snapshot holds only arrays: ``weights`` maps the names the .gvm file uses for the model's own
tensors (``layers.{k}.dir{j}.Wx``, ``input.embedding``, ``head.weight`` ...; see
``weight_arrays``) to arrays of the same shapes. Everything else (cells, activations, task, head's
read-out) is the model's. ``Snapshot.dtype`` says how the weights were stored: a "float16" snapshot
is traced in float32 from float16-rounded weights, and its model's name and trace meta say so.

Qt-free: the app's training slider and ``gateviz export --timelapse`` both sit on this.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import GatevizError
from .model import RecurrentModel

SNAPSHOT_DTYPES = ("float32", "float16")
DEFAULT_SNAPSHOTS = 20
DEFAULT_TRACE_CACHE_BYTES = 512 * 2**20  # SnapshotTraces keeps at most this much trace data


@dataclass
class Snapshot:
    """The weights after ``step`` optimizer steps (step 0: the untrained initial weights).

    ``loss``: the training loss of exactly these weights on one training batch (the batch the next
    step trained on; for the last snapshot, the last batch); None when unknown. ``metric``: the task's
    metric (``metric_name``) from the latest evaluation on held-out data, made at ``metric_step``
    (evaluations happen once per epoch, so an early snapshot's metric may be older than its weights,
    or None before the first evaluation)."""

    step: int
    epoch: int  # the 1-based epoch the step belongs to (0 for the untrained weights)
    loss: float | None
    metric: float | None
    weights: dict[str, np.ndarray]
    metric_name: str = ""
    metric_step: int | None = None
    dtype: str = "float32"  # as stored: "float32" or "float16"
    _built: Any = field(default=None, repr=False, compare=False)  # (weakref to model, model at this snapshot)

    def info(self) -> dict[str, Any]:
        """The JSON-able metadata (everything but the weights)."""
        return {"step": self.step, "epoch": self.epoch, "loss": self.loss, "metric": self.metric,
                "metric_name": self.metric_name, "metric_step": self.metric_step}

    def title(self, total_steps: int | None = None) -> str:
        """One line for a frame or a slider's label: "step 96/192 · epoch 4 · loss 0.0123 · mse 0.0101"."""
        parts = [f"step {self.step}" + (f"/{total_steps}" if total_steps else ""), f"epoch {self.epoch}"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4g}")
        if self.metric_name:
            if self.metric is None:
                parts.append(f"{self.metric_name} not yet measured")
            else:
                at = "" if self.metric_step == self.step else f" (at step {self.metric_step})"
                parts.append(f"{self.metric_name} {self.metric:.4g}{at}")
        if self.dtype != "float32":
            parts.append(f"{self.dtype} weights")
        return " · ".join(parts)


def weight_arrays(model: RecurrentModel) -> dict[str, np.ndarray]:
    """Every weight array of ``model`` under its .gvm tensor name (one naming for file and snapshots)."""
    out: dict[str, np.ndarray] = {}
    for k, layer in enumerate(model.layers):
        for j, d in enumerate(layer.directions):
            for name, a in d.arrays().items():
                out[f"layers.{k}.dir{j}.{name}"] = np.ascontiguousarray(a)
    if model.input.embedding is not None:
        out["input.embedding"] = np.ascontiguousarray(model.input.embedding)
    if model.head is not None:
        out["head.weight"] = np.ascontiguousarray(model.head.weight)
        if model.head.bias is not None:
            out["head.bias"] = np.ascontiguousarray(model.head.bias)
    return out


def check_snapshot(model: RecurrentModel, snapshot: Snapshot, index: int) -> None:
    """The snapshot has exactly the model's arrays, with the same shapes (GatevizError otherwise)."""
    want = {name: a.shape for name, a in weight_arrays(model).items()}
    have = {name: a.shape for name, a in snapshot.weights.items()}
    if set(want) != set(have):
        missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
        raise GatevizError(f"snapshot {index} (step {snapshot.step}) does not match the model's weights"
                           + (f"; missing {', '.join(missing[:4])}" if missing else "")
                           + (f"; unexpected {', '.join(extra[:4])}" if extra else "")
                           + "; save the model again to drop its snapshots")
    for name, shape in want.items():
        if have[name] != shape:
            raise GatevizError(f"snapshot {index} (step {snapshot.step}): {name} has shape {have[name]}, the model's "
                               f"has {shape}; save the model again to drop its snapshots")
    if snapshot.dtype not in SNAPSHOT_DTYPES:
        raise GatevizError(f"snapshot {index}: dtype {snapshot.dtype!r}, expected one of {', '.join(SNAPSHOT_DTYPES)}")


def snapshot_steps(total: int, count: int) -> list[int]:
    """``count`` distinct training steps in 0..total, spaced log-uniformly (dense early, where the
    weights change most), always including 0 (untrained) and ``total`` (the end).

    Step s_k = round((total+1)^(k/(count-1)) - 1), then nudged apart so no two coincide.
    Fewer than ``count`` only when the run has fewer steps: then every step.
    """
    if count <= 0 or total < 0:
        return []
    if count == 1:
        return [total]
    if count >= total + 1:
        return list(range(total + 1))
    steps = [int(round((total + 1) ** (k / (count - 1)) - 1)) for k in range(count)]
    steps[0], steps[-1] = 0, total
    for k in range(1, count):  # strictly increasing: steps[k] >= k
        steps[k] = max(steps[k], steps[k - 1] + 1)
    for k in range(count - 2, -1, -1):  # and within reach of the end: steps[k] <= total - (count-1-k)
        steps[k] = min(steps[k], steps[k + 1] - 1)
    return steps


def model_at_snapshot(model: RecurrentModel, index: int) -> RecurrentModel:
    """``model`` with snapshot ``index``'s weights (float32 arrays): same layers, input stage,
    head and task; no snapshots of its own. Built once per snapshot and model, then cached."""
    snaps = getattr(model, "snapshots", None) or []
    if not snaps:
        raise GatevizError(f"{model.name} has no training snapshots; train it with gateviz train --snapshots N")
    if not -len(snaps) <= index < len(snaps):
        raise GatevizError(f"snapshot {index} does not exist; {model.name} has snapshots 0..{len(snaps) - 1}")
    index %= len(snaps)
    snap = snaps[index]
    if snap._built is not None and snap._built[0]() is model:
        return snap._built[1]
    check_snapshot(model, snap, index)
    w = {name: np.asarray(a, dtype=np.float32) for name, a in snap.weights.items()}
    layers = []
    for k, layer in enumerate(model.layers):
        directions = [dataclasses.replace(d, **{n: w[f"layers.{k}.dir{j}.{n}"] for n in d.arrays()})
                      for j, d in enumerate(layer.directions)]
        layers.append(dataclasses.replace(layer, directions=directions))
    stage = model.input
    if stage.embedding is not None:
        stage = dataclasses.replace(stage, embedding=w["input.embedding"])
    head = model.head
    if head is not None:
        head = dataclasses.replace(head, weight=w["head.weight"], bias=w.get("head.bias"))
    marks = [f"snapshot {index + 1}/{len(snaps)}", f"step {snap.step}"]
    if snap.dtype != "float32":
        marks.append(f"{snap.dtype} weights")
    built = dataclasses.replace(model, layers=layers, input=stage, head=head, snapshots=[],
                                name=f"{model.name} ({', '.join(marks)})").validate()
    snap._built = (weakref.ref(model), built)
    return built


def _trace_bytes(trace) -> int:
    arrays = [a for quantities in trace.states.values() for a in quantities.values()]
    arrays += [a for a in (trace.output, trace.inputs, trace.tokens) if a is not None]
    return sum(int(a.nbytes) for a in arrays)


class SnapshotTraces:
    """Traces of one input at each snapshot of one model, each computed once.

    ``get(k)`` traces on first use and keeps the result; the least recently used traces are
    dropped when they hold more than ``max_bytes`` together (the one just asked for always stays).
    A trace carries ``meta["snapshot"]`` (index, step, epoch, loss, metric, dtype). Thread-safe: a
    worker may fill the cache ahead (``trace_all``) while the GUI thread asks for snapshots."""

    def __init__(self, model: RecurrentModel, sequence, *, max_bytes: int = DEFAULT_TRACE_CACHE_BYTES):
        if not getattr(model, "snapshots", None):
            raise GatevizError(f"{model.name} has no training snapshots; train it with gateviz train --snapshots N")
        self.model, self.sequence, self.max_bytes = model, sequence, max_bytes
        self._traces: OrderedDict[int, Any] = OrderedDict()
        self._bytes: dict[int, int] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.model.snapshots)

    def cached(self, index: int) -> bool:
        return index % len(self) in self._traces if -len(self) <= index < len(self) else False

    def get(self, index: int):
        """The Trace of the sequence at snapshot ``index`` (the same object on every later call
        while it stays cached)."""
        from .engine import Tracer

        snaps = self.model.snapshots
        if not -len(snaps) <= index < len(snaps):
            raise GatevizError(f"snapshot {index} does not exist; {self.model.name} has snapshots 0..{len(snaps) - 1}")
        index %= len(snaps)
        with self._lock:
            trace = self._traces.get(index)
            if trace is not None:
                self._traces.move_to_end(index)
                return trace
            trace = Tracer(model_at_snapshot(self.model, index)).trace(self.sequence)
            snap = snaps[index]
            trace.meta["snapshot"] = {"index": index, "count": len(snaps), **snap.info(), "dtype": snap.dtype}
            self._traces[index] = trace
            self._bytes[index] = _trace_bytes(trace)
            while sum(self._bytes.values()) > self.max_bytes and len(self._traces) > 1:
                old, _ = self._traces.popitem(last=False)
                del self._bytes[old]
            return trace

    def trace_all(self) -> list:
        """Every snapshot's trace (as many stay cached as ``max_bytes`` allows)."""
        return [self.get(k) for k in range(len(self))]


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: a loss or metric that is not a finite number is stored as null."""
    return None if value is None or not math.isfinite(value) else float(value)
