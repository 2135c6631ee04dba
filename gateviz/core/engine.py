"""The gate engine: a model and a sequence in, every gate and state out.

Cells torch implements natively (tanh/sigmoid LSTM incl. projection, GRU reset-after,
tanh/relu RNN) take one of two fast paths, chosen per layer by ``_use_step_loop``:

  * one sequence (or a GPU): run torch's fused nn.LSTM/GRU/RNN forward to get every
    h_t (the floor we measure against; it makes h bit-identical to torch), then
    recompute all gate pre-activations for all steps at once from x_t and h_{t-1} in
    two batched matmuls, and recover the LSTM cell state with a cheap elementwise scan
    c_t = f_t * c_{t-1} + i_t * g_t (in sqrt(T) chunks, ~3*sqrt(T) vectorised ops).
    A float32 LSTM on the CPU skips the recompute: oneDNN's fused forward, run in
    training mode, leaves every gate and cell state in its workspace (``onednn_gates``,
    checked), for one sequence and for batches up to batch x units = 8192;
  * a larger batch on the CPU: a fused step loop (seven tensor ops per step for an LSTM,
    nine for a GRU) writing every gate straight into the trace's arrays. For a batch the
    native forward is already a chain of efficient GEMMs, so repeating them in a
    recompute would cost as much again.

Both compute every gate with one sigmoid pass (tanh(a) = 2*sigmoid(2a) - 1, with the
doubling folded into the weights; see ``_gate_weights``).

Slow path (peepholes, cell/gate clipping, coupled gates, GRU reset-before, other
activations): a generic step loop over precomputed input projections. Exact, but
~15 small ops per step; such models come from TF1/ONNX/old Keras and are rarely long.

All arrays are time-major inside, (T, N, ...); the Trace gets (T, units) for one
sequence or (N, T, units) for a batch. They are views into a few large buffers (the
gates of a step share one row), so a trace costs no more memory than its arrays. The
batched loops store each step unit-major, (T, units, N), and hand out transposed views
of the same shapes (see ``fused_loops.lstm_fused_loop``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from . import onednn_gates
from .edits import DirectionEdits, Stored, UnitEdit, compile_interventions, edits_by_direction
from .encoding import encode_sequence
from .fused_loops import _TICK_EVERY, gru_fused_loop, lstm_fused_loop
from .interventions import parse_all
from .model import RecurrentLayer, RecurrentModel
from .native_gates import _ELEMENTWISE_S, _GEMM_MAC_PER_S, _STEP_LOOP_OVERHEAD_S, _gate_weights, gates_from_h
from .native_gates import _linear_scan_  # noqa: F401 (imported from here by bptt and tests)
from .seq2seq import DecoderWithEncoder, JoinedTracer
from .trace import QUANTITIES, Trace

ProgressFn = Callable[[float, str], None]
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- helpers


def _keras_mask(model: RecurrentModel, feats: np.ndarray, tokens: np.ndarray | None,
                device: torch.device) -> Tensor | None:
    """(T, N) bool, True where Keras computes the step: a Masking layer skips steps whose raw
    features (N, T, F) all equal mask_value, an Embedding(mask_zero=True) skips token 0."""
    stage = model.input
    if stage.mask_zero and tokens is not None:
        keep = tokens != 0
    elif stage.mask_value is not None and tokens is None:
        # in float32 as Keras compares (a mask_value of 0.1 is float32's 0.1 there)
        keep = np.any(np.asarray(feats, dtype=np.float32) != np.float32(stage.mask_value), axis=-1)
    else:
        return None
    return torch.from_numpy(np.ascontiguousarray(keep.T)).to(device)


def _is_native(layer: RecurrentLayer) -> bool:
    """Can torch's fused module compute this layer exactly?"""
    if layer.gate_clip is not None:
        return False
    if layer.cell == "lstm" and any(layer.output_activation_of(j) != layer.activations(j)[0]
                                    for j in range(len(layer.directions))):
        return False  # h = o*ψ(c) with ψ other than the candidate's φ: torch's LSTM has one tanh for both
    if any(d.activation is not None or d.recurrent_activation is not None for d in layer.directions):
        pairs = {(a.name, r.name) for a, r in (layer.activations(j) for j in range(len(layer.directions)))}
        if len(pairs) > 1:
            return False  # directions with different activations: one fused module cannot run both
    act, rec = (a.name for a in layer.activations(0))
    if layer.cell == "rnn":
        return act in ("tanh", "relu")
    if act != "tanh" or rec != "sigmoid":
        return False
    if layer.cell == "gru":
        return layer.reset_after
    return (not layer.has_peepholes and layer.cell_clip is None and layer.proj_clip is None
            and not layer.input_forget)


# Gate elements per native torch call (T*N*gates*units*directions); longer inputs run in chunks
# (Tracer._native_h). oneDNN fails near 2^31 bytes of gates, and torch's forward holds every step's
# input gates at once (a GRU's forward alone peaked at 1.4x the whole trace's arrays): 2^24
# elements (64 MB in float32) keep that small while each call still covers thousands of steps.
NATIVE_CHUNK_ELEMENTS = 2 ** 24
# ... and 2^22 when someone listens to progress: a cancel (a raising progress callback) is heard
# within one chunk, ~0.3 s on 2 cores, while each torch call (~5 ms of set-up) still covers
# thousands of steps (16k for 64 LSTM units, 1k for 1024)
NATIVE_TICK_CHUNK_ELEMENTS = 2 ** 22


def _native_chunk_steps(gates_per_step: int, tick) -> int:
    """Steps of one fused native call: shorter when someone listens to progress (``tick``)."""
    return max(1, (NATIVE_CHUNK_ELEMENTS if tick is None else NATIVE_TICK_CHUNK_ELEMENTS) // gates_per_step)


def _use_step_loop(layer: RecurrentLayer, batch: int, device: torch.device, dtype: torch.dtype) -> bool:
    """Native cells: a fused step loop (gates stored as they are computed) or the native
    forward followed by a batched recompute of every gate?

    The recompute repeats the recurrent matmul once more; for one sequence that is cheap
    next to the native forward's T small mat-vecs, but for a batch the native forward is
    itself a chain of efficient GEMMs, so repeating them costs as much again. The loop
    instead pays seven to nine op dispatches per step, which a batch amortises. On a GPU
    the recompute is always cheap.

    A float32 LSTM without projection is oneDNN's fused kernel in torch's CPU forward, far
    cheaper per step than our loop's dispatches and mat-vecs, and its gates are read from that
    kernel's workspace (``onednn_gates``). Measured (2 cores, T=200, 32 inputs, ratio to torch's
    forward), the workspace route against the loop: 1.3-1.7x against 5-11x for 4-8 sequences,
    1.45x against 1.77x for 64 sequences of 128 units, 1.39x against 1.47x for 32 of 512; the
    loop won from batch x units = 16,384 (64 x 256: 1.54x against 1.75x; 64 x 512, 128 x 256).
    Other native cells (GRU, float64, a projected LSTM) run torch's own per-step loop, which
    ours matches: the cost model below.
    """
    if device.type != "cpu" or layer.cell not in ("lstm", "gru"):
        return False
    if layer.cell == "lstm" and dtype == torch.float32 and not layer.proj_size and torch.backends.mkldnn.is_available():
        return batch * layer.units > 8192
    G, H, Hr = layer.gates, layer.units, layer.hidden_size
    recompute_per_step = batch * G * H * (Hr / _GEMM_MAC_PER_S + _ELEMENTWISE_S)
    return recompute_per_step > _STEP_LOOP_OVERHEAD_S


class Tracer:
    """Prepares a model's weights once; traces many sequences.

    >>> trace = Tracer(model).trace(np.sin(np.linspace(0, 10, 50)))
    """

    def __init__(self, model: RecurrentModel, *, dtype: torch.dtype | None = None, device: str | torch.device = "cpu"):
        self.model = model.validate()
        if dtype is None:
            first = model.layers[0].directions[0].Wx
            dtype = torch.float64 if first.dtype == np.float64 else torch.float32
        self.dtype = dtype
        self.device = torch.device(device)
        # a decoder with its encoder: trace() runs the encoder first (core/seq2seq.py)
        self._joined = JoinedTracer(model, self, dtype, device) if isinstance(model, DecoderWithEncoder) else None
        self._modules: dict[int, torch.nn.Module] = {}
        self._tensors: dict[tuple[int, int], dict[str, Tensor]] = {}
        for k, layer in enumerate(model.layers):
            for j, d in enumerate(layer.directions):
                t = {name: self._tensor(a) for name, a in d.arrays().items()}
                if layer.cell == "lstm" and layer.forget_bias:
                    H = layer.units
                    t["bx"] = t["bx"].clone()
                    t["bx"][H:2 * H] += layer.forget_bias  # fold the run-time forget bias in
                t["WxT"] = t["Wx"].t()
                t["WhT"] = t["Wh"].t()
                if layer.cell in ("lstm", "gru") and _is_native(layer):
                    t.update(_gate_weights(layer, t))
                self._tensors[(k, j)] = t
        head = model.head
        self._head = None
        if head is not None:
            self._head = (self._tensor(head.weight), None if head.bias is None else self._tensor(head.bias))
        self._embedding = None

    def _tensor(self, a: np.ndarray) -> Tensor:
        return torch.as_tensor(np.asarray(a), dtype=self.dtype, device=self.device)

    # ---- native modules ------------------------------------------------
    def _native_module(self, k: int, j: int | None = None) -> torch.nn.Module:
        """torch's own module for layer k (both directions), or for its direction j alone (chunked runs)."""
        key = k if j is None else (k, j)
        if key in self._modules:
            return self._modules[key]
        layer = self.model.layers[k]
        directions = list(range(len(layer.directions))) if j is None else [j]
        kw = dict(input_size=layer.input_size, hidden_size=layer.units, bidirectional=len(directions) == 2,
                  dtype=self.dtype, device=self.device)
        if layer.cell == "lstm":
            mod = torch.nn.LSTM(proj_size=layer.proj_size or 0, **kw)
        elif layer.cell == "gru":
            mod = torch.nn.GRU(**kw)
        else:
            mod = torch.nn.RNN(nonlinearity=layer.activations(0)[0].name, **kw)
        with torch.no_grad():
            for slot, jj in enumerate(directions):
                sfx = "_reverse" if slot == 1 else ""
                t = self._tensors[(k, jj)]
                getattr(mod, f"weight_ih_l0{sfx}").copy_(t["Wx"])
                getattr(mod, f"weight_hh_l0{sfx}").copy_(t["Wh"])
                getattr(mod, f"bias_ih_l0{sfx}").copy_(t["bx"])
                getattr(mod, f"bias_hh_l0{sfx}").copy_(t["bh"])
                if layer.proj_size:
                    getattr(mod, f"weight_hr_l0{sfx}").copy_(t["Whr"])
        mod.eval()
        self._modules[key] = mod
        return mod

    def _native_h(self, k: int, x: Tensor, hx, tick: Callable[[float], None] | None = None) -> Tensor:
        """h of every step from torch's fused forward: (T, N, D*Hr), time-aligned for both directions.

        oneDNN refuses a call whose gate buffer passes ~2^31 bytes ("could not create a primitive"),
        so a long input runs each direction alone, chunk by chunk in its own order, carrying its
        (h, c) from one chunk to the next: the same recurrence, split. Chunks are shorter when
        ``tick`` is given, which is called between them (progress, and the caller's chance to cancel
        by raising)."""
        layer = self.model.layers[k]
        T, N, _ = x.shape
        gates = {"lstm": 4, "gru": 3}.get(layer.cell, 1)
        per_step = N * gates * layer.units * len(layer.directions)
        chunk = _native_chunk_steps(per_step, tick)
        with warnings.catch_warnings():  # torch notes that projected LSTMs skip oneDNN: not the user's concern
            warnings.filterwarnings("ignore", message=".*projections is not supported with oneDNN")
            if T <= chunk:
                mod = self._native_module(k)
                if len(layer.directions) == 1 and layer.directions[0].reverse:
                    return mod(x.flip(0), hx)[0].flip(0)  # a lone backward direction: run reversed, realign
                return mod(x, hx)[0]
            out = []
            for j, d in enumerate(layer.directions):
                mod = self._native_module(k, j)
                state = None if hx is None else (
                    (hx[0][j:j + 1], hx[1][j:j + 1]) if isinstance(hx, tuple) else hx[j:j + 1])  # (1, N, ..)
                starts = list(range(0, T, chunk))
                pieces = []
                for n_done, s in enumerate(reversed(starts) if d.reverse else starts):
                    if tick is not None and n_done:
                        tick((j + n_done / len(starts)) / len(layer.directions))
                    xc = x[s:s + chunk]
                    if d.reverse:
                        h, state = mod(xc.flip(0), state)
                        pieces.append(h.flip(0))
                    else:
                        h, state = mod(xc, state)
                        pieces.append(h)
                out.append(torch.cat(pieces[::-1] if d.reverse else pieces))
            return out[0] if len(out) == 1 else torch.cat(out, dim=-1)

    # ---- one layer ---------------------------------------------------------
    def _layer(self, k: int, x: Tensor, tick: Callable[[float], None] | None = None,
               edits: dict[str, list[UnitEdit]] | None = None,
               init: list[tuple[Tensor, Tensor | None]] | None = None,
               mask: Tensor | None = None) -> list[dict[str, Tensor]]:
        """x (T, N, I) -> per direction a dict quantity -> (T, N, units).

        ``tick(fraction of this layer)`` is called now and then by the step loops. ``edits``
        (direction -> UnitEdits, interventions) send the layer through a step loop that applies
        them where each quantity is computed: the fused loop for native LSTM/GRU cells, else the
        generic one.
        """
        layer = self.model.layers[k]
        D = len(layer.directions)

        def direction_tick(j: int) -> Callable[[float], None] | None:
            return None if tick is None else (lambda f: tick((j + f) / D))

        # Keras masking (state carried over on masked steps) or a decoder started from its encoder's
        # final state: the exact step loop, interventions applied inside it
        if mask is not None or (init is not None and (edits or not _is_native(layer))):
            out = []
            for j, d in enumerate(layer.directions):
                es = (edits or {}).get("backward" if d.reverse else "forward")
                plan = DirectionEdits(es, layer, x.shape[1], x, None) if es else None
                out.append(self._direction_stepwise(layer, self._tensors[(k, j)], d.reverse, x, j, direction_tick(j),
                                                    plan, None if init is None else init[j], mask))
            return out
        if edits:
            return self._edited_layer(k, x, edits, direction_tick)
        if not _is_native(layer):
            return [self._direction_stepwise(layer, self._tensors[(k, j)], d.reverse, x, j, direction_tick(j))
                    for j, d in enumerate(layer.directions)]
        if init is None and _use_step_loop(layer, x.shape[1], self.device, self.dtype):
            return [self._direction_fused_loop(layer, self._tensors[(k, j)], d.reverse, x, direction_tick(j))
                    for j, d in enumerate(layer.directions)]
        if onednn_gates.usable(layer, self.dtype, self.device):
            chunk = _native_chunk_steps(x.shape[1] * 4 * layer.units, tick)  # gates of a step, one direction
            try:
                return [onednn_gates.lstm_direction(layer, self._tensors[(k, j)], d.reverse, x,
                                                    None if init is None else init[j], chunk, direction_tick(j))
                        for j, d in enumerate(layer.directions)]
            except onednn_gates.LayoutMismatch as exc:  # another oneDNN: recompute, now and from now on
                onednn_gates.disable()
                log.info("gates recomputed from h: %s", exc)
        Hr = layer.hidden_size
        hx = None  # a decoder's initial state for torch: h0 (D, N, Hr), an LSTM's c0 (D, N, H) with it
        if init is not None:
            N = x.shape[1]
            hx = torch.stack([h0.expand(N, Hr) for h0, _ in init])
            if layer.cell == "lstm":
                hx = (hx, torch.stack([c0.expand(N, layer.units) for _, c0 in init]))
        h_all = self._native_h(k, x, hx, tick)  # (T, N, D*Hr)
        out = []
        for j, d in enumerate(layer.directions):
            h = h_all[..., j * Hr:(j + 1) * Hr]
            out.append(gates_from_h(layer, self._tensors[(k, j)], d.reverse, x, h,
                                          None if init is None else init[j]))
        return out

    def _edited_layer(self, k: int, x: Tensor, edits: dict[str, list[UnitEdit]],
                      direction_tick) -> list[dict[str, Tensor]]:
        layer = self.model.layers[k]
        T, N, _ = x.shape
        fused = _is_native(layer) and layer.cell in ("lstm", "gru")
        # the fused LSTM loop keeps the candidate as s = (g + 1) / 2 and the cell state as d = -2c
        stored = {"cell_candidate": Stored(0.5, 0.5), "cell_state": Stored(-2.0, 0.0)} if fused else None
        out = []
        for j, d in enumerate(layer.directions):
            name = "backward" if d.reverse else "forward"
            plan = DirectionEdits(edits.get(name, []), layer, N, x, stored) if edits.get(name) else None
            t = self._tensors[(k, j)]
            if fused:
                out.append(self._direction_fused_loop(layer, t, d.reverse, x, direction_tick(j), plan))
            else:
                out.append(self._direction_stepwise(layer, t, d.reverse, x, j, direction_tick(j), plan))
        return out

    def _direction_fused_loop(self, layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool,
                              x: Tensor, tick: Callable[[float], None] | None = None,
                              edits: DirectionEdits | None = None) -> dict[str, Tensor]:
        """Native LSTM/GRU cells as a step loop that writes every gate straight into the
        trace's arrays, no recompute. Used for batches.

        Per-step views come from ``unbind`` (one call for all steps), since slicing inside
        the loop costs as much as a small op; tanh is computed as 2*sigmoid(2a) - 1 with
        the doubling folded into the weights (see ``_gate_weights``).
        """
        order = list(range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0]))
        if layer.cell == "lstm":
            return lstm_fused_loop(layer, t, order, x, tick, edits)
        return gru_fused_loop(layer, t, order, x, tick, edits)

    def _direction_stepwise(self, layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool,
                            x: Tensor, j: int = 0, tick: Callable[[float], None] | None = None,
                            edits: DirectionEdits | None = None,
                            init: tuple[Tensor, Tensor | None] | None = None,
                            mask: Tensor | None = None) -> dict[str, Tensor]:
        """Exact step loop for cells torch lacks (peepholes, clips, other activations...), and for
        any cell started from ``init`` = (h0 (N, Hr), c0 (N, H) or None) instead of zeros.

        ``mask`` (T, N) bool, Keras masking: where False the step is skipped as Keras skips it, h and
        c carried over from the previous step (in this direction's order) and recorded so — what
        Keras outputs there; the gates are recorded as computed on that step, though unused."""
        from .cell_step import CellStep

        T, N, _ = x.shape
        H, Hr = layer.units, layer.hidden_size
        cell = CellStep(layer, j, t)
        xs = torch.addmm(t["bx"], x.reshape(T * N, -1), t["WxT"]).view(T, N, -1)  # (T, N, G*H)
        h = x.new_zeros(N, Hr) if init is None else init[0].expand(N, Hr).clone()
        c = x.new_zeros(N, H) if init is None or init[1] is None else init[1].expand(N, H).clone()
        q = {name: x.new_empty(T, N, layer.width(name)) for name in QUANTITIES[layer.cell]}
        order = range(T - 1, -1, -1) if reverse else range(T)
        for n_done, step in enumerate(order, 1):
            if tick is not None and n_done % _TICK_EVERY == 0:
                tick(n_done / T)
            # forget_bias is already folded into bx (Tracer.__init__)
            h_new, c_new, gates = cell(xs[step], h, c, edit=None if edits is None else edits.editor(step))
            if mask is not None:
                keep = mask[step][:, None]  # (N, 1): False carries the state over
                h_new = torch.where(keep, h_new, h)
                c_new = c_new if c_new is None else torch.where(keep, c_new, c)
                gates = dict(gates, hidden_state=h_new)
                if "cell_state" in gates:
                    gates["cell_state"] = c_new
            h, c = h_new, c_new
            for name, value in gates.items():
                q[name][step] = value
        return q

    # ---- merging and head ------------------------------------------------
    @staticmethod
    def _merge(layer: RecurrentLayer, hs: list[Tensor]) -> Tensor:
        if len(hs) == 1:
            return hs[0]
        a, b = hs
        if layer.merge == "concat":
            return torch.cat([a, b], dim=-1)
        if layer.merge == "sum":
            return a + b
        if layer.merge == "mul":
            return a * b
        return (a + b) / 2  # ave

    def _apply_head(self, features: Tensor) -> Tensor:
        W, b = self._head
        y = features @ W.t()
        if b is not None:
            y = y + b
        act = self.model.head.activation
        if act == "sigmoid":
            y = torch.sigmoid(y)
        elif act == "softmax":
            y = torch.softmax(y, dim=-1)
        elif act == "tanh":
            y = torch.tanh(y)
        elif act == "relu":
            y = torch.relu(y)
        return y

    def _initial_state(self, pairs, N: int) -> list[tuple[Tensor, Tensor | None]]:
        """Layer 0's (h0, c0) per direction as (1 or N, Hr) / (1 or N, H) tensors, shapes checked."""
        layer = self.model.layers[0]
        if len(pairs) != len(layer.directions):
            raise ValueError(f"initial_state has {len(pairs)} (h0, c0) pairs; layer 0 has "
                             f"{len(layer.directions)} direction(s)")
        out = []
        for h0, c0 in pairs:
            pair = []
            for a, width, what in ((h0, layer.hidden_size, "h0"), (c0, layer.units, "c0")):
                if a is None or (what == "c0" and layer.cell != "lstm"):
                    if what == "c0" and layer.cell == "lstm":
                        raise ValueError("an LSTM's initial_state needs c0 as well as h0")
                    pair.append(None)
                    continue
                t = self._tensor(a).reshape(-1, width) if np.size(a) % width == 0 else None
                if t is None or t.shape[0] not in (1, N):
                    raise ValueError(f"initial_state {what} has shape {np.shape(a)}; expected ({width},) or "
                                     f"({N}, {width})")
                pair.append(t)
            out.append((pair[0], pair[1]))
        return out

    # ---- public ------------------------------------------------------------
    def trace(self, sequence, *, progress: ProgressFn | None = None, interventions=(),
              edits: list[UnitEdit] | None = None, initial_state=None) -> Trace:
        """Trace one sequence ((T,), (T, F), str) or a batch ((N, T, F), (N, T) tokens).

        ``interventions``: Interventions or their spec texts (``core.interventions``), applied in
        order inside the computation; the trace holds the replaced values and lists them in
        ``meta["interventions"]``. ``edits``: UnitEdits besides, e.g. different per sequence.
        ``initial_state``: per direction of layer 0 a pair (h0, c0) ((Hr,) and (H,), or (N, ..) per
        sequence; c0 None for GRU/RNN), e.g. an encoder's final states for its decoder; None: zeros.
        A DecoderWithEncoder traces its encoder first and starts from that (core/seq2seq.py).
        """
        if self._joined is not None:
            return self._joined.trace(sequence, progress=progress, interventions=interventions, edits=edits,
                                      initial_state=initial_state)
        return self._trace(sequence, progress=progress, interventions=interventions, edits=edits,
                           initial_state=initial_state)

    @torch.no_grad()
    def _trace(self, sequence, *, progress: ProgressFn | None = None, interventions=(),
               edits: list[UnitEdit] | None = None, initial_state=None) -> Trace:
        """``trace`` of this model's own layers (for a DecoderWithEncoder: the decoder alone)."""
        feats, tokens, batched = encode_sequence(self.model, sequence)
        x = self._tensor(feats).transpose(0, 1).contiguous()  # (N, T, F) -> (T, N, F)
        all_edits = compile_interventions(interventions, self.model, x.shape[0]) + list(edits or ())
        layer_edits: dict[int, dict[str, list[UnitEdit]]] = {}
        for (k, direction), es in edits_by_direction(all_edits).items():
            layer_edits.setdefault(k, {})[direction] = es
        states: dict[tuple[int, str], dict[str, Tensor]] = {}
        layers = self.model.layers
        last_hs: list[Tensor] = []
        mask = _keras_mask(self.model, feats, tokens, x.device)  # (T, N) bool, None when the model has no mask
        for k, layer in enumerate(layers):
            tick = None
            if progress:
                message = f"tracing layer {k + 1} of {len(layers)}"
                progress(k / len(layers), message)
                tick = (lambda f, k=k, message=message: progress((k + f) / len(layers), message))
            init = self._initial_state(initial_state, x.shape[1]) if k == 0 and initial_state is not None else None
            per_dir = self._layer(k, x, tick, layer_edits.get(k), init, mask)
            if mask is not None and k in self.model.input.zero_output_layers:  # Keras outputs 0 when masked
                for q in per_dir:
                    q["hidden_state"] = q["hidden_state"] * mask[:, :, None]
            for name, q in zip(layer.direction_names(), per_dir):
                states[(k, name)] = q
            last_hs = [q["hidden_state"] for q in per_dir]
            x = self._merge(layer, last_hs)
        output, output_mode = None, None
        head = self.model.head
        if head is not None:
            last = layers[-1]
            if head.on == "every_step" or (len(last.directions) == 1 and not last.directions[0].reverse):
                output = self._apply_head(x)  # (T, N, out)
                output_mode = "per_step" if head.on == "every_step" else "running"
            else:
                output_mode = "final"  # final state of each direction: forward at T-1, backward at 0
                finals = [h[0] if d.reverse else h[-1] for h, d in zip(last_hs, last.directions)]
                output = self._apply_head(self._merge(last, finals))[None]  # (1, N, out)
        if progress:
            progress(1.0, "done")

        def to_numpy(a: Tensor) -> np.ndarray:
            a = a.detach().cpu()
            # (T, N, U) -> (T, U) for one sequence, (N, T, U) for a batch; views, no copies on CPU
            return (a.transpose(0, 1) if batched else a[:, 0]).numpy()

        np_states = {key: {name: to_numpy(a) for name, a in q.items()} for key, q in states.items()}
        meta = self.model.describe()
        meta.update({"conventions": {"gru_update": "h = z*h_prev + (1-z)*n (PyTorch/Keras/ONNX)",
                                     "lstm_gate_order": "i,f,g,o", "backward_time_aligned": True},
                     "dtype": str(self.dtype).replace("torch.", ""),
                     "output_mode": output_mode})
        if interventions:
            meta["interventions"] = [str(e) for e in parse_all(interventions)]
        if mask is not None:  # the steps Keras skips: per sequence (a list of lists for a batch)
            skipped = [np.flatnonzero(~m).tolist() for m in mask.t().cpu().numpy()]
            meta["masked_steps"] = skipped if batched else skipped[0]
        return Trace(
            cell=self.model.cell,
            states=np_states,
            output=None if output is None else to_numpy(output),
            inputs=feats if batched else feats[0],
            tokens=None if tokens is None else (tokens if batched else tokens[0]),
            meta=meta,
        )


def trace(model: RecurrentModel, sequence, *, dtype: torch.dtype | None = None, device: str = "cpu",
          progress: ProgressFn | None = None, interventions=()) -> Trace:
    """Trace one sequence or a batch. See ``Tracer`` to trace many with one model."""
    return Tracer(model, dtype=dtype, device=device).trace(sequence, progress=progress, interventions=interventions)
