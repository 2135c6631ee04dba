"""The gate engine: a model and a sequence in, every gate and state out.

Fast path (cells torch implements natively):
  1. run torch's fused nn.LSTM/GRU/RNN forward to get every h_t (the floor we measure
     against; it is also what makes h bit-identical to torch),
  2. recompute all gate pre-activations for all steps at once from x_t and h_{t-1}
     with two batched matmuls,
  3. recover the LSTM cell state with a cheap elementwise linear scan
     c_t = f_t * c_{t-1} + i_t * g_t, done in sqrt(T) chunks so the Python loop runs
     ~2*sqrt(T) vectorised ops instead of T.

Slow path (peepholes, cell/gate clipping, coupled gates, GRU reset-before, other
activations): a step loop over precomputed input projections. Exact, but ~10 small
ops per step; such models come from TF1/ONNX/old Keras and are rarely long.

All arrays are time-major inside, (T, N, ...); the Trace gets (T, units) for one
sequence or (N, T, units) for a batch.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from .errors import SequenceError
from .model import RecurrentLayer, RecurrentModel
from .trace import QUANTITIES, Trace

ProgressFn = Callable[[float, str], None]


# --------------------------------------------------------------------------- input


def encode_sequence(model: RecurrentModel, sequence) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Check a user's sequence and turn it into features.

    Returns (features (N, T, F), tokens (N, T) or None, batched).
    Accepts: a str (text models), token ids (T,) / (N, T) for text models,
    numeric (T,), (T, F) or (N, T, F) for raw-feature models.
    """
    stage = model.input
    tokens = None
    if isinstance(sequence, str):
        if not stage.takes_tokens:
            raise SequenceError(f"this model reads {stage.features} numeric feature(s) per step, not text; "
                                "give a .npy or .csv sequence")
        if len(sequence) == 0:
            raise SequenceError("the text is empty; type at least one character")
        tokens = stage.encode_text(sequence)[None, :]
        batched = False
    elif stage.takes_tokens:
        arr = np.asarray(sequence)
        if arr.size == 0:
            raise SequenceError("the sequence is empty; give at least one token")
        if arr.ndim not in (1, 2) or not np.issubdtype(arr.dtype, np.integer):
            raise SequenceError(f"this text model takes a string or integer token ids of shape (T,) or (N, T); "
                                f"got {arr.dtype} array of shape {arr.shape}")
        batched = arr.ndim == 2
        tokens = arr.reshape(-1, arr.shape[-1]).astype(np.int64)
        vocab = stage.embedding.shape[0] if stage.kind == "embedding" else len(stage.vocab)
        if tokens.min() < 0 or tokens.max() >= vocab:
            raise SequenceError(f"token ids must lie in 0..{vocab - 1} (the vocabulary size is {vocab}); "
                                f"found {int(tokens.min())}..{int(tokens.max())}")
    else:
        try:
            arr = np.asarray(sequence, dtype=np.float64)
        except (TypeError, ValueError):
            raise SequenceError("the sequence is not numeric; give numbers of shape (T, features)") from None
        F = stage.features
        if arr.ndim == 1:
            if F != 1:
                raise SequenceError(f"the model expects {F} features per step but the sequence is 1-D "
                                    f"(one value per step); give an array of shape (T, {F})")
            arr = arr[:, None]
        if arr.ndim not in (2, 3):
            raise SequenceError(f"a sequence has shape (T, features) or (N, T, features); got shape {arr.shape}")
        batched = arr.ndim == 3
        arr = arr.reshape((int(np.prod(arr.shape[:-2])),) + arr.shape[-2:])  # (N, T, F), also when empty
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise SequenceError("the sequence is empty (0 steps); give at least one step")
        if arr.shape[2] != F:
            raise SequenceError(f"the model expects {F} feature(s) per step but the sequence has {arr.shape[2]}; "
                                f"give an array of shape (T, {F})")
        bad = ~np.isfinite(arr)
        if bad.any():
            n, t, f = (int(v) for v in np.argwhere(bad)[0])
            kind = "NaN" if np.isnan(arr[n, t, f]) else "Inf"
            where = f"step {t}, feature {f}" + (f", sequence {n}" if batched else "")
            raise SequenceError(f"the sequence contains {kind} at {where} ({int(bad.sum())} non-finite value(s)); "
                                "replace them with finite numbers")
        return arr, None, batched

    if stage.kind == "embedding":
        feats = stage.embedding[tokens]  # (N, T, E)
    else:
        feats = np.eye(len(stage.vocab), dtype=np.float32)[tokens]  # (N, T, V)
    return feats, tokens, batched


# --------------------------------------------------------------------------- helpers


def _is_native(layer: RecurrentLayer) -> bool:
    """Can torch's fused module compute this layer exactly?"""
    if layer.gate_clip is not None:
        return False
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


def _linear_scan_(c: Tensor, f: Tensor, reverse: bool = False) -> Tensor:
    """In place: c[t] <- f[t] * c[t-1] + c[t]  (c holds u = i*g on entry), c[-1] = 0.

    Shapes: c, f (T, ...). Runs in sqrt(T) chunks: a local scan inside every chunk at
    once, then one carry per chunk. ``reverse`` scans from the end (backward LSTM).
    """
    if reverse:
        cr, fr = c.flip(0), f.flip(0)  # (T, ...) copies in processing order
        _linear_scan_(cr, fr)
        c.copy_(cr.flip(0))
        return c
    T = c.shape[0]
    K = max(1, int(math.sqrt(T)))
    n_chunks = T // K
    if n_chunks < 2:
        for t in range(1, T):
            c[t].addcmul_(f[t], c[t - 1])
        return c
    main = n_chunks * K
    cm = c[:main].view((n_chunks, K) + tuple(c.shape[1:]))  # (chunks, K, ...)
    fm = f[:main].unflatten(0, (n_chunks, K))
    for k in range(1, K):  # local scans, every chunk at once
        cm[:, k].addcmul_(fm[:, k], cm[:, k - 1])
    decay = torch.cumprod(fm, dim=1)  # (chunks, K, ...): product of f inside the chunk up to k
    for j in range(1, n_chunks):  # carry the previous chunk's end state in
        cm[j].addcmul_(decay[j], cm[j - 1, -1].unsqueeze(0))
    del decay
    for t in range(main, T):
        c[t].addcmul_(f[t], c[t - 1])
    return c


def _shifted_recurrent_(pre: Tensor, h: Tensor, WhT: Tensor, reverse: bool) -> None:
    """pre[t] += h[t-1] @ Wh^T for t >= 1 (forward) or h[t+1] (backward); h_{-1} = 0.

    pre (T, N, G*H) contiguous, h (T, N, Hr).
    """
    T, N = pre.shape[:2]
    if T < 2:
        return
    pre2 = pre.view(T * N, -1)
    h2 = h.reshape(T * N, -1)
    if reverse:
        pre2[: (T - 1) * N].addmm_(h2[N:], WhT)
    else:
        pre2[N:].addmm_(h2[: (T - 1) * N], WhT)


# --------------------------------------------------------------------------- tracer


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
                self._tensors[(k, j)] = t
        head = model.head
        self._head = None
        if head is not None:
            self._head = (self._tensor(head.weight), None if head.bias is None else self._tensor(head.bias))
        self._embedding = None

    def _tensor(self, a: np.ndarray) -> Tensor:
        return torch.as_tensor(np.asarray(a), dtype=self.dtype, device=self.device)

    # ---- native modules ------------------------------------------------
    def _native_module(self, k: int) -> torch.nn.Module:
        if k in self._modules:
            return self._modules[k]
        layer = self.model.layers[k]
        kw = dict(input_size=layer.input_size, hidden_size=layer.units, bidirectional=layer.bidirectional,
                  dtype=self.dtype, device=self.device)
        if layer.cell == "lstm":
            mod = torch.nn.LSTM(proj_size=layer.proj_size or 0, **kw)
        elif layer.cell == "gru":
            mod = torch.nn.GRU(**kw)
        else:
            mod = torch.nn.RNN(nonlinearity=layer.activations(0)[0].name, **kw)
        with torch.no_grad():
            for j, d in enumerate(layer.directions):
                sfx = "_reverse" if (layer.bidirectional and j == 1) else ""
                t = self._tensors[(k, j)]
                getattr(mod, f"weight_ih_l0{sfx}").copy_(t["Wx"])
                getattr(mod, f"weight_hh_l0{sfx}").copy_(t["Wh"])
                getattr(mod, f"bias_ih_l0{sfx}").copy_(t["bx"])
                getattr(mod, f"bias_hh_l0{sfx}").copy_(t["bh"])
                if layer.proj_size:
                    getattr(mod, f"weight_hr_l0{sfx}").copy_(t["Whr"])
        mod.eval()
        self._modules[k] = mod
        return mod

    # ---- one layer ---------------------------------------------------------
    def _layer(self, k: int, x: Tensor) -> list[dict[str, Tensor]]:
        """x (T, N, I) -> per direction a dict quantity -> (T, N, units)."""
        layer = self.model.layers[k]
        if not _is_native(layer):
            return [self._direction_stepwise(layer, self._tensors[(k, j)], d.reverse, x, j)
                    for j, d in enumerate(layer.directions)]
        mod = self._native_module(k)
        Hr = layer.hidden_size
        if len(layer.directions) == 1 and layer.directions[0].reverse:
            h_all = mod(x.flip(0))[0].flip(0)  # a lone backward direction: run reversed, realign
        else:
            h_all = mod(x)[0]  # (T, N, D*Hr), time-aligned for both directions
        out = []
        for j, d in enumerate(layer.directions):
            h = h_all[..., j * Hr:(j + 1) * Hr]
            out.append(self._gates_from_h(layer, self._tensors[(k, j)], d.reverse, x, h))
        return out

    def _gates_from_h(self, layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool, x: Tensor,
                      h: Tensor) -> dict[str, Tensor]:
        """Recompute every gate from x_t and h_{t-1} in batched matmuls (native cells)."""
        T, N, _ = x.shape
        H = layer.units
        x2 = x.reshape(T * N, -1)
        if layer.cell == "gru":
            # r and z may sum both biases; n needs the recurrent part apart (r multiplies it).
            xs = torch.addmm(t["bx"], x2, t["WxT"]).view(T, N, 3 * H)  # (T, N, 3H) input part
            rec = t["bh"].expand(T, N, 3 * H).contiguous()  # recurrent part, h_{-1}=0 gives bh
            _shifted_recurrent_(rec, h, t["WhT"], reverse)
            xs[..., :2 * H] += rec[..., :2 * H]
            rz = torch.sigmoid_(xs[..., :2 * H])
            r, z = rz[..., :H], rz[..., H:]
            n = xs[..., 2 * H:]
            n.addcmul_(r, rec[..., 2 * H:]).tanh_()
            del rec
            return {"reset_gate": r, "update_gate": z, "candidate": n, "hidden_state": h}
        pre = torch.addmm(t["bx"] + t["bh"], x2, t["WxT"]).view(T, N, -1)  # (T, N, G*H)
        _shifted_recurrent_(pre, h, t["WhT"], reverse)
        if layer.cell == "rnn":
            return {"hidden_state": h}
        torch.sigmoid_(pre[..., :2 * H])
        torch.tanh_(pre[..., 2 * H:3 * H])
        torch.sigmoid_(pre[..., 3 * H:])
        i, f, g, o = (pre[..., q * H:(q + 1) * H] for q in range(4))
        c = torch.mul(i, g)  # (T, N, H) holds u = i*g, scanned in place into c
        _linear_scan_(c, f, reverse)
        return {"input_gate": i, "forget_gate": f, "cell_candidate": g, "output_gate": o,
                "cell_state": c, "hidden_state": h}

    def _direction_stepwise(self, layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool,
                            x: Tensor, j: int = 0) -> dict[str, Tensor]:
        """Exact step loop for cells torch lacks (peepholes, clips, other activations...)."""
        T, N, _ = x.shape
        H, Hr = layer.units, layer.hidden_size
        phi, sigma = layer.activations(j)
        sig, act = sigma.torch, phi.torch
        clip = layer.gate_clip

        def clipped(a: Tensor) -> Tensor:
            return a if clip is None else a.clamp(-clip, clip)

        xs = torch.addmm(t["bx"], x.reshape(T * N, -1), t["WxT"]).view(T, N, -1)  # (T, N, G*H)
        h = x.new_zeros(N, Hr)
        c = x.new_zeros(N, H)
        q = {name: x.new_empty(T, N, Hr if name == "hidden_state" else H) for name in QUANTITIES[layer.cell]}
        peep = t.get("peephole")
        order = range(T - 1, -1, -1) if reverse else range(T)
        for step in order:
            xt = xs[step]
            if layer.cell == "rnn":
                h = act(clipped(xt + h @ t["WhT"] + t["bh"]))
                q["hidden_state"][step] = h
                continue
            if layer.cell == "gru":
                Wh, bh = t["Wh"], t["bh"]
                rz_rec = h @ Wh[:2 * H].t() + bh[:2 * H]
                r = sig(clipped(xt[:, :H] + rz_rec[:, :H]))
                z = sig(clipped(xt[:, H:2 * H] + rz_rec[:, H:]))
                if layer.reset_after:
                    n = act(clipped(xt[:, 2 * H:] + r * (h @ Wh[2 * H:].t() + bh[2 * H:])))
                else:
                    n = act(clipped(xt[:, 2 * H:] + (r * h) @ Wh[2 * H:].t() + bh[2 * H:]))
                h = z * h + (1 - z) * n
                q["reset_gate"][step], q["update_gate"][step], q["candidate"][step] = r, z, n
                q["hidden_state"][step] = h
                continue
            a = xt + h @ t["WhT"] + t["bh"]  # (N, 4H)
            ai, af, ag, ao = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            if peep is not None:
                ai = ai + peep[0] * c
                af = af + peep[1] * c
            # forget_bias is already folded into bx (Tracer.__init__)
            i = sig(clipped(ai))
            f = 1 - i if layer.input_forget else sig(clipped(af))
            g = act(clipped(ag))
            c = f * c + i * g
            if layer.cell_clip is not None:
                c = c.clamp(-layer.cell_clip, layer.cell_clip)
            if peep is not None:
                ao = ao + peep[2] * c  # the output peephole looks at the new c
            o = sig(clipped(ao))
            h = o * act(c)
            if "Whr" in t:
                h = h @ t["Whr"].t()
                if layer.proj_clip is not None:
                    h = h.clamp(-layer.proj_clip, layer.proj_clip)
            q["input_gate"][step], q["forget_gate"][step], q["cell_candidate"][step] = i, f, g
            q["output_gate"][step], q["cell_state"][step], q["hidden_state"][step] = o, c, h
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

    # ---- public ------------------------------------------------------------
    @torch.no_grad()
    def trace(self, sequence, *, progress: ProgressFn | None = None) -> Trace:
        """Trace one sequence ((T,), (T, F), str) or a batch ((N, T, F), (N, T) tokens)."""
        feats, tokens, batched = encode_sequence(self.model, sequence)
        x = self._tensor(feats).transpose(0, 1).contiguous()  # (N, T, F) -> (T, N, F)
        states: dict[tuple[int, str], dict[str, Tensor]] = {}
        layers = self.model.layers
        last_hs: list[Tensor] = []
        for k, layer in enumerate(layers):
            if progress:
                progress(k / len(layers), f"tracing layer {k + 1} of {len(layers)}")
            per_dir = self._layer(k, x)
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
        return Trace(
            cell=self.model.cell,
            states=np_states,
            output=None if output is None else to_numpy(output),
            inputs=feats if batched else feats[0],
            tokens=None if tokens is None else (tokens if batched else tokens[0]),
            meta=meta,
        )


def trace(model: RecurrentModel, sequence, *, dtype: torch.dtype | None = None, device: str = "cpu",
          progress: ProgressFn | None = None) -> Trace:
    """Trace one sequence or a batch. See ``Tracer`` to trace many with one model."""
    return Tracer(model, dtype=dtype, device=device).trace(sequence, progress=progress)
