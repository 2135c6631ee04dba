"""The backward pass behind ``gradients.compute_gradients``: seeds, layers from the top down.

A target y reads the network somewhere (the head at t*, the top layer's output, one unit): that
gives each direction of the top (or the target's) layer a gradient from outside, ``seeds``. Each
layer's backward recurrence (``bptt``) turns what arrives from outside into total derivatives of
its h_t and c_t and into a gradient of its input, which, split the way the directions were
merged, arrives at the layer below. A batch of targets (rows of the connectivity matrix) shares
every recurrence.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from . import bptt
from .errors import SequenceError
from .gradients import GradientTarget, _head_feature_grad, _Resolved
from .model import RecurrentModel
from .trace import Trace


def _split_merged(layer, hs: list[Tensor], g: Tensor) -> list[Tensor]:
    """The gradient w.r.t. a merged output -> one per direction. hs: each direction's h (..., Hr)
    at the same positions as g (..., merged)."""
    if len(hs) == 1:
        return [g]
    Hr = layer.hidden_size
    if layer.merge == "concat":
        return [g[..., :Hr], g[..., Hr:]]
    if layer.merge == "sum":
        return [g, g]
    if layer.merge == "mul":
        return [g * hs[1], g * hs[0]]
    return [g / 2, g / 2]  # ave


_FUSED_MAX_UNITS = 192


class Backward:
    """Per model and trace: weights and traced quantities as tensors, the backward of a batch of targets."""

    def __init__(self, model: RecurrentModel, trace: Trace, dtype: torch.dtype | None = None):
        from .engine import Tracer, _is_native

        if getattr(model, "encoder", None) is not None:  # a DecoderWithEncoder (core/seq2seq.py)
            raise SequenceError("gradients of a decoder traced with its encoder are not computed: the encoder's "
                                "final state links the two runs; open the encoder or the decoder module alone "
                                "to see its memory")
        if trace.batched:
            raise SequenceError("gradients are computed for one sequence; this trace holds a batch — "
                                "trace one sequence of it")
        if trace.meta.get("masked_steps"):  # the recurrences below assume every step is computed
            raise SequenceError(f"gradients through the steps a Keras mask skips are not computed (this sequence "
                                f"has {len(trace.meta['masked_steps'])} masked step(s)); trace it without its "
                                "padding to see its memory")
        self.model, self.trace = model, trace
        any_array = trace.get(0, trace.directions(0)[0], "hidden_state")
        self.dtype = dtype or (torch.float64 if any_array.dtype == np.float64 else torch.float32)
        tracer = Tracer(model, dtype=self.dtype)
        self.weights = tracer._tensors  # (layer, direction index) -> Wx, Wh, bx (forget bias folded), ...
        self.native = [_is_native(layer) for layer in model.layers]
        self.T = trace.length
        self._q: dict[tuple[int, int], dict[str, Tensor]] = {}
        self.use_fused = True  # native LSTM layers: torch's fused backward (False: the hand-written recurrence)
        # interventions the trace was made with (meta["interventions"]): a clamped quantity is a
        # different function of its inputs, so the directions they touch are differentiated by
        # re-running them with the same edits (autograd); the others' traced gates stay valid
        from .edits import compile_interventions, edits_by_direction

        specs = trace.meta.get("interventions") or []
        self.edits = edits_by_direction(compile_interventions(specs, model, self.T)) if specs else {}

    def tensor(self, a) -> Tensor:
        return torch.as_tensor(np.asarray(a), dtype=self.dtype)

    def quantities(self, k: int, j: int) -> dict[str, Tensor]:
        """Direction j of layer k's traced arrays as tensors in processing order (a backward one flipped)."""
        key = (k, j)
        if key not in self._q:
            layer = self.model.layers[k]
            d = layer.directions[j]
            arrays = self.trace.states[(k, layer.direction_names()[j])]
            q = {name: self.tensor(a) for name, a in arrays.items()}
            self._q[key] = {name: a.flip(0) for name, a in q.items()} if d.reverse else q
        return self._q[key]

    def layer_input(self, k: int) -> Tensor:
        """(T, I) what layer k read: the input features, or the merged output of layer k − 1."""
        if k == 0:
            return self.tensor(self.trace.inputs)
        below = self.model.layers[k - 1]
        hs = [self.tensor(self.trace.states[(k - 1, name)]["hidden_state"]) for name in below.direction_names()]
        from .engine import Tracer

        return Tracer._merge(below, hs)

    def top_h(self, k: int) -> list[Tensor]:
        layer = self.model.layers[k]
        return [self.tensor(self.trace.states[(k, name)]["hidden_state"]) for name in layer.direction_names()]

    def seeds(self, resolved: list[_Resolved], target: GradientTarget) -> dict[tuple[int, int], Tensor]:
        """(layer, direction index) -> g (T, B, Hr) time-aligned: where each target b reads the network."""
        model, T, B = self.model, self.T, len(resolved)
        seeds: dict[tuple[int, int], Tensor] = {}

        def seed(k: int, j: int) -> Tensor:
            if (k, j) not in seeds:
                seeds[(k, j)] = torch.zeros(T, B, model.layers[k].hidden_size, dtype=self.dtype)
            return seeds[(k, j)]

        top = len(model.layers) - 1
        top_layer = model.layers[top]
        hs = None
        for b, r in enumerate(resolved):
            if r.kind == "unit":
                k, d, u = target.unit
                seed(k, model.layers[k].direction_names().index(d))[r.step, b, u] = 1.0
                continue
            if r.kind == "top":
                g_feat = torch.ones(top_layer.output_size, dtype=self.dtype)
            else:
                g_feat = torch.as_tensor(_head_feature_grad(model, self.trace, r, np.float64), dtype=self.dtype)
            if hs is None:
                hs = self.top_h(top)
            if r.kind == "head_final":
                # the head read each direction's final state: forward at T−1, backward at 0
                positions = [0 if d.reverse else T - 1 for d in top_layer.directions]
            else:
                positions = [r.step] * len(top_layer.directions)
            at = [h[p] for h, p in zip(hs, positions)]
            for j, (g, p) in enumerate(zip(_split_merged(top_layer, at, g_feat), positions)):
                seed(top, j)[p, b] += g
        return seeds

    def run(self, resolved: list[_Resolved], target: GradientTarget, keep_states: bool,
            tick: Callable[[float], None] | None = None):
        """Backward of a batch of targets. Returns (dh, dc, dx): dh/dc map (layer, direction name) to
        (T, B, ·) time-aligned tensors when ``keep_states``; dx (T, B, F) for the input."""
        model, T = self.model, self.T
        incoming = self.seeds(resolved, target)  # (k, j) -> (T, B, Hr) from outside the layer
        B = len(resolved)
        dh_out: dict[tuple[int, str], Tensor] = {}
        dc_out: dict[tuple[int, str], Tensor] = {}
        dx_below: Tensor | None = None
        n_layers = len(model.layers)
        for k in range(n_layers - 1, -1, -1):
            layer = model.layers[k]
            names = layer.direction_names()
            dx_total = None
            if self.fused_lstm(k, B):
                g = [incoming.get((k, j)) for j in range(len(layer.directions))]
                g = [torch.zeros(T, B, layer.hidden_size, dtype=self.dtype) if a is None else a for a in g]
                q = [{name: self.tensor(a) for name, a in self.trace.states[(k, name_)].items()} for name_ in names]
                dhs, dcs, dx_total = bptt.lstm_layer_native(layer, [self.weights[(k, j)] for j in range(len(g))],
                                                            self.layer_input(k), g, q)
                if keep_states:
                    for name, dh, dc in zip(names, dhs, dcs):
                        dh_out[(k, name)], dc_out[(k, name)] = dh, dc
            for j, d in enumerate(() if dx_total is not None else layer.directions):
                g = incoming.get((k, j))
                if g is None:
                    g = torch.zeros(T, B, layer.hidden_size, dtype=self.dtype)
                g = g.flip(0) if d.reverse else g  # processing order
                part = (n_layers - 1 - k) * len(layer.directions) + j
                sub = None if tick is None else (lambda f, part=part: tick((part + f) /
                                                                            (n_layers * len(layer.directions))))
                dh, dc, dx = self._direction(k, j, g, sub)
                if d.reverse:
                    dh, dx = dh.flip(0), dx.flip(0)
                    dc = None if dc is None else dc.flip(0)
                if keep_states:
                    dh_out[(k, names[j])] = dh
                    if dc is not None:
                        dc_out[(k, names[j])] = dc
                dx_total = dx if dx_total is None else dx_total + dx
            if k > 0:
                below = model.layers[k - 1]
                hs = self.top_h(k - 1)
                hs = [h[:, None, :] for h in hs]  # (T, 1, Hr) against (T, B, merged)
                for j, g in enumerate(_split_merged(below, hs, dx_total)):
                    incoming[(k - 1, j)] = g if (k - 1, j) not in incoming else incoming[(k - 1, j)] + g
            else:
                dx_below = dx_total
        return dh_out, dc_out, dx_below

    def fused_lstm(self, k: int, batch: int) -> bool:
        """Does layer k run its backward through torch's fused LSTM (``bptt.lstm_layer_native``)?

        For one target and narrow layers, where the hand-written recurrence pays more for its ~6
        op dispatches per step than for its arithmetic (measured on 2 cores: 128 units, 500 steps,
        1.8x torch's forward+backward fused vs 2.3x by hand; 2 layers, 2,000 steps 1.4x vs 2.6x).
        Wider layers are compute-bound, and the fused module's wider input costs more than the
        dispatches it saves (512 units: 1.2–1.5x fused vs 1.0–1.2x by hand); a batch of targets (the
        connectivity matrix) would repeat the forward for every target.
        """
        layer = self.model.layers[k]
        if any(key[0] == k for key in self.edits):
            return False
        return (self.native[k] and layer.cell == "lstm" and self.use_fused and batch == 1
                and layer.units <= _FUSED_MAX_UNITS
                and not (len(layer.directions) == 1 and layer.directions[0].reverse))

    def _direction(self, k: int, j: int, g: Tensor, tick):
        layer = self.model.layers[k]
        w = self.weights[(k, j)]
        edits = self.edits.get((k, layer.direction_names()[j]))
        if not self.native[k] or edits:
            x = self.layer_input(k)
            reverse = layer.directions[j].reverse
            x = x.flip(0) if reverse else x
            plan = None
            if edits:
                from .edits import DirectionEdits

                plan = DirectionEdits(edits, layer, g.shape[1], x)
            return bptt.autograd_bptt(layer, j, w, x, g, tick, edits=plan, reverse=reverse)
        q = self.quantities(k, j)
        if layer.cell == "lstm":
            return bptt.lstm_bptt(q, w, g, tick)
        if layer.cell == "gru":
            return bptt.gru_bptt(q, w, g, tick)
        return bptt.rnn_bptt(q, w, g, layer.activations(j)[0].name, tick)


def matrix_chunk(model: RecurrentModel, T: int, itemsize: int) -> int:
    """How many targets one batched backward carries (its buffers ~ T·B·(widest layer's 6H))."""
    from .budget import usable_memory

    widest = max(layer.gates * layer.units + layer.hidden_size + layer.units + layer.input_size
                 for layer in model.layers)
    per_target = T * widest * itemsize * 3
    room = min(usable_memory() // 4, 512 * 2**20)
    return int(max(1, min(T, room // max(per_target, 1))))


