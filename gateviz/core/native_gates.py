"""The native cells' gates from h: torch's fused forward gives only h, so every gate is recomputed
from x_t and h_{t-1} in a few batched matmuls and one scan (Tracer's path for one sequence).

Qt-free; split from engine.py.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .model import RecurrentLayer

# What one step of a Python loop of small tensor ops costs beyond its arithmetic (the
# dispatches), and the rate of the work a recompute adds per step (one big GEMM, an
# elementwise pass): measured on a 2-core AVX2 CPU; only their ratio matters below.
_STEP_LOOP_OVERHEAD_S = 40e-6
_GEMM_MAC_PER_S = 8e10
_ELEMENTWISE_S = 2.5e-9


def _gate_weights(layer: RecurrentLayer, t: dict[str, Tensor]) -> dict[str, Tensor]:
    """Weights laid out so that one sigmoid pass computes every gate of a native cell.

    tanh(a) = 2*sigmoid(2a) - 1, and doubling is exact in floating point, so the
    candidate's rows are doubled here; a sigmoid over the whole pre-activation block,
    then ``g*2 - 1`` on the candidate, is about twice as fast as sigmoid + tanh.
        LSTM  gWxT (I, 4H), gWhT (Hr, 4H), gb (4H,): blocks [i, f, o, 2g], both biases summed
        GRU   gWxT (I, 3H), gWhT (H, 3H), gbx, gbh (3H,): blocks [r, z, 2n], biases apart
              (r multiplies the recurrent part of n)
    """
    H = layer.units
    if layer.cell == "lstm":
        order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
        scale = torch.ones(4 * H, dtype=t["Wx"].dtype, device=t["Wx"].device)
        scale[3 * H:] = 2.0
        return {"gWxT": (t["Wx"][order] * scale[:, None]).t(), "gWhT": (t["Wh"][order] * scale[:, None]).t(),
                "gb": (t["bx"] + t["bh"])[order] * scale}
    scale = torch.ones(3 * H, dtype=t["Wx"].dtype, device=t["Wx"].device)
    scale[2 * H:] = 2.0
    return {"gWxT": (t["Wx"] * scale[:, None]).t(), "gWhT": (t["Wh"] * scale[:, None]).t(),
            "gbx": t["bx"] * scale, "gbh": t["bh"] * scale}


def _linear_scan_(c: Tensor, f: Tensor, reverse: bool = False) -> Tensor:
    """In place: c[t] <- f[t] * c[t-1] + c[t]  (c holds u = i*g on entry), c[-1] = 0.

    Shapes: c (T, ...) contiguous, f (T, ...). When a step holds many values (a batch,
    wide layers) a plain loop of T vectorised ops is cheapest. Otherwise it runs in
    chunks of K = sqrt(T/2) steps: a local scan inside every chunk at once (K ops), the
    running product of f inside each chunk (K ops), then one carry per chunk (T/K ops),
    ~2*sqrt(2T) ops instead of T. ``reverse`` scans from the end (backward LSTM).
    Per-step views come from ``unbind`` (one call), cheaper than indexing in the loop.
    """
    T = c.shape[0]
    per_step = c[0].numel() if T else 0
    K = max(1, int(math.sqrt(T / 2)))
    n_chunks = T // K
    if n_chunks < 2 or per_step * _ELEMENTWISE_S * 3 > _STEP_LOOP_OVERHEAD_S:
        cs, fs = c.unbind(0), f.unbind(0)
        steps = range(T - 2, -1, -1) if reverse else range(1, T)
        for t in steps:
            cs[t].addcmul_(fs[t], cs[t + 1] if reverse else cs[t - 1])
        return c
    if reverse:
        cr, fr = c.flip(0), f.flip(0)  # (T, ...) copies in processing order
        _linear_scan_(cr, fr)
        c.copy_(cr.flip(0))
        return c
    main = n_chunks * K
    cm = c[:main].view((n_chunks, K) + tuple(c.shape[1:]))  # (chunks, K, ...)
    fm = f[:main].unflatten(0, (n_chunks, K))
    decay = fm.clone()  # (chunks, K, ...): product of f inside the chunk up to k
    cols, f_cols, decay_cols = cm.unbind(1), fm.unbind(1), decay.unbind(1)
    for k in range(1, K):  # local scans, every chunk at once
        cols[k].addcmul_(f_cols[k], cols[k - 1])
        decay_cols[k].mul_(decay_cols[k - 1])
    chunks, decays, chunk_ends = cm.unbind(0), decay.unbind(0), cm[:, -1:].unbind(0)
    for j in range(1, n_chunks):  # carry the previous chunk's (already final) end state in
        chunks[j].addcmul_(decays[j], chunk_ends[j - 1])
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


# Elements of the GRU's recurrent part held at once: it is recomputed a chunk of steps at a time,
# so the trace's peak memory stays near its own arrays' (one (T, N, 3H) block was 75% more)
RECOMPUTE_CHUNK_ELEMENTS = 2 ** 22


def _gru_gates_chunk_(xs: Tensor, h: Tensor, t: dict[str, Tensor], reverse: bool, init, s0: int, s1: int) -> None:
    """Steps s0..s1-1 of xs (T, N, [r, z, 2n]), input parts on entry, r and z and 2*(x part + r * rec
    part of n) on return; the recurrent part bh + Wh h_{t-1} made for these steps only."""
    T, N, G = xs.shape
    H = G // 3
    WhT = t["gWhT"]
    rec = xs.new_empty(s1 - s0, N, G).copy_(t["gbh"])  # (C, N, 3H); h_{-1} = 0 leaves bh
    if reverse:  # h_{t+1} for t in [s0, min(s1, T-1)); the first step taken (T-1) starts from h0
        lo, hi = s0 + 1, min(s1 + 1, T)
        if hi > lo:
            rec[:hi - lo].view(-1, G).addmm_(h[lo:hi].reshape((hi - lo) * N, -1), WhT)
        if s1 == T and init is not None:
            rec[-1].addmm_(init[0].expand(N, -1), WhT)
    else:  # h_{t-1} for t in [max(s0, 1), s1); step 0 starts from h0
        first = 1 if s0 == 0 else 0
        lo, hi = s0 + first - 1, s1 - 1
        if hi > lo:
            rec[first:].view(-1, G).addmm_(h[lo:hi].reshape((hi - lo) * N, -1), WhT)
        if s0 == 0 and init is not None:
            rec[0].addmm_(init[0].expand(N, -1), WhT)
    part = xs[s0:s1]
    part[..., :2 * H] += rec[..., :2 * H]
    torch.sigmoid_(part[..., :2 * H])
    part[..., 2 * H:].addcmul_(part[..., :H], rec[..., 2 * H:])  # 2 * (input part + r * recurrent part)


def gates_from_h(layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool, x: Tensor,
                  h: Tensor, init: tuple[Tensor, Tensor | None] | None = None) -> dict[str, Tensor]:
    """Recompute every gate from x_t and h_{t-1} in batched matmuls (native cells).

    ``init`` (h0, c0): the state before the first step this direction takes (t = 0, or T-1
    backward) instead of zeros: h_{-1} = h0 in its recurrent term, c_{-1} = c0 in the scan."""
    if layer.cell == "rnn":
        return {"hidden_state": h}  # h is all an RNN has
    T, N, _ = x.shape
    H = layer.units
    x2 = x.reshape(T * N, -1)
    if layer.cell == "gru":
        # r and z may sum both biases; n needs the recurrent part apart (r multiplies it).
        xs = torch.addmm(t["gbx"], x2, t["gWxT"]).view(T, N, 3 * H)  # (T, N, [r, z, 2n]) input part
        steps = max(1, RECOMPUTE_CHUNK_ELEMENTS // (N * 3 * H))
        for s0 in range(0, T, steps):
            _gru_gates_chunk_(xs, h, t, reverse, init, s0, min(T, s0 + steps))
        r, z, n = xs[..., :H], xs[..., H:2 * H], xs[..., 2 * H:]
        torch.sigmoid_(n).mul_(2).sub_(1)  # tanh(a) = 2*sigmoid(2a) - 1
        return {"reset_gate": r, "update_gate": z, "candidate": n, "hidden_state": h}
    pre = torch.addmm(t["gb"], x2, t["gWxT"]).view(T, N, 4 * H)  # (T, N, [i, f, o, 2g])
    _shifted_recurrent_(pre, h, t["gWhT"], reverse)
    first = T - 1 if reverse else 0  # the step this direction takes first
    if init is not None:
        pre[first].addmm_(init[0].expand(N, -1), t["gWhT"])  # h_{-1} = h0
    torch.sigmoid_(pre)
    i, f, o, g = (pre[..., q * H:(q + 1) * H] for q in range(4))
    g.mul_(2).sub_(1)  # tanh(a) = 2*sigmoid(2a) - 1
    return lstm_quantities(i, f, g, o, h, reverse, None if init is None else init[1])


def lstm_quantities(i: Tensor, f: Tensor, g: Tensor, o: Tensor, h: Tensor, reverse: bool,
                    c0: Tensor | None) -> dict[str, Tensor]:
    """An LSTM direction's quantities from its activated gates and h, all (T, N, H): the cell state
    is scanned from them, c_t = f_t * c_{t-1} + i_t * g_t, starting from ``c0`` (else zeros) before
    the first step taken (t = 0, or T-1 backward)."""
    T, N = i.shape[:2]
    c = torch.mul(i, g)  # (T, N, H) holds u = i*g, scanned in place into c
    if c0 is not None:
        first = T - 1 if reverse else 0
        c[first].addcmul_(f[first], c0.expand(N, -1))  # c_first = f*c0 + u: the scan goes on from it
    _linear_scan_(c, f, reverse)
    return {"input_gate": i, "forget_gate": f, "cell_candidate": g, "output_gate": o,
            "cell_state": c, "hidden_state": h}
