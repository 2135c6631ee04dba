"""Backpropagation through time for one direction of one recurrent layer.

Given the direction's traced quantities and ``g_out`` — the gradient of a target y with respect
to this direction's output h_t that arrives from *outside* the layer (the layer above, the head,
a target placed on the unit itself) — return the total derivatives:

    dh (T, B, Hr)   dy/dh_t through every later step of the layer as well
    dc (T, B, H)    dy/dc_t (LSTM), None otherwise
    dx (T, B, I)    dy/dx_t with respect to the layer's input

B is a batch of targets (one row of the connectivity matrix each); every target shares the
forward computation, so the backward of all of them is one batched recurrence.

Cells torch runs natively (tanh/sigmoid LSTM with or without projection, reset-after GRU,
tanh/relu RNN) take hand-written recurrences over the gates the engine already traced: per
step one GEMM with the recurrent weights and three or four elementwise ops, the rest
vectorised over all steps. Exact: the same formulas autograd applies (tests compare with torch
autograd on nn.LSTM/GRU/RNN). Every other cell (peepholes, clipping, coupled gates,
reset-before GRU, other activations) re-runs its forward as a differentiable step loop and
asks autograd for the gradients of each h_t and c_t tensor.

All arrays arrive and leave in *processing order* (a backward direction is flipped by the
caller), so the recurrences here always run from the last step to the first.
"""

from __future__ import annotations

import warnings
from typing import Callable

import torch
from torch import Tensor

from .model import RecurrentLayer

Tick = Callable[[float], None] | None
_TICK_EVERY = 500  # steps between progress reports (each may raise to cancel)


def _zeros_first(a: Tensor) -> Tensor:
    """(T, ...) -> (T, ...): a shifted down one step, zero at step 0 (the previous step's value)."""
    return torch.cat([a.new_zeros((1,) + a.shape[1:]), a[:-1]])


def _ticker(tick: Tick, T: int):
    def report(n_done: int) -> None:
        if tick is not None and n_done % _TICK_EVERY == 0:
            tick(n_done / T)
    return report


# --------------------------------------------------------------------------- native cells


def lstm_bptt(q: dict[str, Tensor], w: dict[str, Tensor], g_out: Tensor, tick: Tick = None
              ) -> tuple[Tensor, Tensor, Tensor]:
    """LSTM: c_t = f⊙c_{t−1} + i⊙g, m_t = o⊙tanh(c_t), h_t = m_t (or W_hr m_t with a projection).

    q: i, f, g, o, c (T, H) and h (T, Hr); w: Wx (4H, I), Wh (4H, Hr), optional Whr (Hr, H); gate
    rows in the canonical order i, f, g, o. g_out (T, B, Hr).
    """
    i, f, g, o, c = (q[k] for k in ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell_state"))
    T, B, Hr = g_out.shape
    H = i.shape[1]
    Wh, Whr = w["Wh"], w.get("Whr")
    tc = torch.tanh(c)
    k_c = o * (1 - tc * tc)  # (T, H): dc_t += dm_t ⊙ k_c (through h_t = o⊙tanh c_t)
    k_o = tc * o * (1 - o)  # (T, H): da_o = dm_t ⊙ k_o
    # (T, 3, H): da_{i,f,g} = dc_t ⊙ k_ifg (the derivative of each gate's activation folded in)
    k_ifg = torch.stack([g * i * (1 - i), _zeros_first(c) * f * (1 - f), i * (1 - g * g)], dim=1)
    dh = g_out.clone()  # (T, B, Hr): the recurrent part is added step by step
    dc = g_out.new_empty(T, B, H)
    da = g_out.new_empty(T, B, 4, H)  # pre-activation gradients, gate blocks i, f, g, o
    dm = g_out.new_empty(B, H) if Whr is not None else None
    # per-step views, each from one unbind call (slicing inside the loop costs as much as an op)
    dh_s, dc_s, da_s = dh.unbind(0), dc.unbind(0), da.view(T, B, 4 * H).unbind(0)
    dc_rows = dc.unsqueeze(2).unbind(0)  # (B, 1, H): dc_t broadcast over the gates i, f, g
    da_ifg, da_o = da[:, :, :3].unbind(0), da[:, :, 3].unbind(0)
    k_c_s, k_o_s, k_ifg_s, f_s = k_c.unbind(0), k_o.unbind(0), k_ifg.unbind(0), f.unbind(0)
    report = _ticker(tick, T)
    for n, t in enumerate(range(T - 1, -1, -1), 1):
        report(n)
        m_grad = dh_s[t] if Whr is None else torch.mm(dh_s[t], Whr, out=dm)  # (B, H)
        torch.mul(m_grad, k_c_s[t], out=dc_s[t])
        if t + 1 < T:
            dc_s[t].addcmul_(dc_s[t + 1], f_s[t + 1])  # c_t also feeds c_{t+1} = f_{t+1}⊙c_t + ...
        torch.mul(dc_rows[t], k_ifg_s[t], out=da_ifg[t])
        torch.mul(m_grad, k_o_s[t], out=da_o[t])
        if t > 0:
            dh_s[t - 1].addmm_(da_s[t], Wh)  # (B, Hr) += (B, 4H) @ (4H, Hr)
    dx = (da.view(T * B, 4 * H) @ w["Wx"]).view(T, B, -1)
    return dh, dc, dx


def gru_bptt(q: dict[str, Tensor], w: dict[str, Tensor], g_out: Tensor, tick: Tick = None
             ) -> tuple[Tensor, None, Tensor]:
    """Reset-after GRU (PyTorch): n = tanh(Wx_n x + bx_n + r⊙(Wh_n h_{t−1} + bh_n)),
    h_t = z⊙h_{t−1} + (1−z)⊙n. w: Wx (3H, I), Wh (3H, H), bh (3H,), rows r, z, n."""
    r, z, n, h = (q[k] for k in ("reset_gate", "update_gate", "candidate", "hidden_state"))
    T, B, H = g_out.shape
    Wh = w["Wh"]
    h_prev = _zeros_first(h)
    rec_n = torch.addmm(w["bh"][2 * H:], h_prev, Wh[2 * H:].t())  # (T, H): Wh_n h_{t−1} + bh_n
    k_z = (h_prev - n) * z * (1 - z)  # da_z = dh_t ⊙ k_z
    k_n = (1 - z) * (1 - n * n)  # da_n = dh_t ⊙ k_n
    k_r = k_n * rec_n * r * (1 - r)  # da_r = dh_t ⊙ k_r
    # (T, 3, H): what multiplies Wh's blocks r, z, n on the way back to h_{t−1} (n's block sees r⊙...)
    k_rec = torch.stack([k_r, k_z, k_n * r], dim=1)
    dh = g_out.clone()
    buf = g_out.new_empty(B, 3, H)
    dh_s, k_rec_s, z_s = dh.unbind(0), k_rec.unbind(0), z.unbind(0)
    report = _ticker(tick, T)
    for n_done, t in enumerate(range(T - 1, 0, -1), 1):
        report(n_done)
        torch.mul(dh_s[t].unsqueeze(1), k_rec_s[t], out=buf)
        dh_s[t - 1].addmm_(buf.view(B, 3 * H), Wh).addcmul_(dh_s[t], z_s[t])
    k_in = torch.stack([k_r, k_z, k_n], dim=1)  # (T, 3, H) pre-activation factors, input side
    da = dh.unsqueeze(2) * k_in.unsqueeze(1)  # (T, B, 3, H)
    dx = (da.view(T * B, 3 * H) @ w["Wx"]).view(T, B, -1)
    return dh, None, dx


def rnn_bptt(q: dict[str, Tensor], w: dict[str, Tensor], g_out: Tensor, nonlinearity: str,
             tick: Tick = None) -> tuple[Tensor, None, Tensor]:
    """Elman RNN: h_t = φ(Wx x_t + bx + Wh h_{t−1} + bh), φ = tanh or relu."""
    h = q["hidden_state"]
    T, B, H = g_out.shape
    k = (1 - h * h) if nonlinearity == "tanh" else (h > 0).to(h.dtype)  # φ'(a_t) from h_t
    dh = g_out.clone()
    da = g_out.new_empty(T, B, H)
    dh_s, da_s, k_s = dh.unbind(0), da.unbind(0), k.unbind(0)
    Wh = w["Wh"]
    report = _ticker(tick, T)
    for n_done, t in enumerate(range(T - 1, -1, -1), 1):
        report(n_done)
        torch.mul(dh_s[t], k_s[t], out=da_s[t])
        if t > 0:
            dh_s[t - 1].addmm_(da_s[t], Wh)
    dx = (da.view(T * B, H) @ w["Wx"]).view(T, B, -1)
    return dh, None, dx


# --------------------------------------------------------------------------- other cells


def autograd_bptt(layer: RecurrentLayer, j: int, w: dict[str, Tensor], x: Tensor, g_out: Tensor,
                  tick: Tick = None, edits=None, reverse: bool = False) -> tuple[Tensor, Tensor | None, Tensor]:
    """Any cell the engine can trace: re-run direction j's forward differentiably over x (T, I)
    in processing order, then let autograd give dy/dh_t, dy/dc_t and dy/dx_t for each target.

    The forward mirrors the engine's exact step loop (``Tracer._direction_stepwise``). Zero probes
    are added to every h_t and c_t where they are formed (``h_t + P_t``), so dy/dP_t is the total
    derivative of y w.r.t. that value: one backward from one root gives them all (asking autograd
    for many intermediate tensors instead is several times slower). A batch of B targets runs the
    forward on B copies of the sequence, target b seeded on copy b: the same number of ops as one
    target, each B rows wide, where a vmapped or repeated backward costs B times the dispatches.
    ``edits`` (``edits.DirectionEdits``, by input position; ``reverse``: x runs from the end) replays
    the trace's interventions, so a clamped value passes no gradient and a scaled one a scaled one.
    """
    from .cell_step import CellStep

    T, B, Hr = g_out.shape
    H = layer.units
    cell = CellStep(layer, j, w)
    report = _ticker(tick, T)
    with torch.enable_grad():
        xb = x.detach()[:, None, :].expand(T, B, x.shape[1]).clone().requires_grad_(True)  # (T, B, I)
        probe_h = x.new_zeros(T, B, Hr, requires_grad=True)
        probe_c = x.new_zeros(T, B, H, requires_grad=True) if layer.cell == "lstm" else None
        xs = torch.addmm(w["bx"], xb.view(T * B, -1), w["Wx"].t()).view(T, B, -1)  # (T, B, G*H)
        h = x.new_zeros(B, Hr)
        c = x.new_zeros(B, H)
        hs: list[Tensor] = []
        for t in range(T):
            report(t + 1)
            hook = None if probe_c is None else (lambda c_new, t=t: c_new + probe_c[t])
            edit = None if edits is None else edits.editor(T - 1 - t if reverse else t)
            h, c, _ = cell(xs[t], h, c, hook, edit)
            h = h + probe_h[t]
            hs.append(h)
        wanted = [probe_h, xb] + ([probe_c] if probe_c is not None else [])
        grads = torch.autograd.grad(torch.stack(hs), wanted, grad_outputs=g_out)
    return grads[0], (grads[2] if probe_c is not None else None), grads[1]


# --------------------------------------------------------------------------- native LSTM layers


def lstm_layer_native(layer: RecurrentLayer, ws: list[dict[str, Tensor]], x: Tensor, g_out: list[Tensor],
                      q: list[dict[str, Tensor]]) -> tuple[list[Tensor], list[Tensor], Tensor]:
    """A native LSTM layer (one forward direction, or both): torch's own fused forward and
    backward give dy/dx_t and the recurrent part of dy/dh_t; dy/dc_t is then one elementwise scan.

    The trick: feed the module an input widened by one zero block per direction, e_t, whose
    input weights are that direction's recurrent weights Wh. Then e_t enters the pre-activation
    exactly as h_{t−1} does, and autograd's dy/de_t is Wh^T da_t — the part of dy/dh_{t−1} that
    flows through step t (h_{t+1} for a backward direction). What remains is elementwise:
        dh_t = g_out_t + dy/de_{t+1},  dm_t = dh_t (W_hr^T dh_t with a projection),
        dc_t = dm_t ⊙ o_t ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ dc_{t+1}   (a linear scan back in time).
    The native backward runs the whole recurrence in fused code (oneDNN on CPUs that have it), the
    floor the issue measures against; the batch of targets B is the module's batch.

    x (T, I) the layer's input, time-aligned; g_out per direction (T, B, Hr) time-aligned;
    q per direction the traced quantities, time-aligned. Returns per direction dh (T, B, Hr) and
    dc (T, B, H), and dx (T, B, I), all time-aligned.
    """
    from .engine import _linear_scan_

    T, B, Hr = g_out[0].shape
    H, I, D = layer.units, x.shape[1], len(layer.directions)
    dtype = x.dtype
    mod = torch.nn.LSTM(I + D * Hr, H, proj_size=layer.proj_size or 0, bidirectional=D == 2, dtype=dtype)
    with torch.no_grad():
        for j, w in enumerate(ws):
            sfx = "_reverse" if j == 1 else ""
            wide = torch.zeros(4 * H, I + D * Hr, dtype=dtype)  # [Wx | Wh in block j | 0]
            wide[:, :I] = w["Wx"]
            wide[:, I + j * Hr:I + (j + 1) * Hr] = w["Wh"]
            getattr(mod, f"weight_ih_l0{sfx}").copy_(wide)
            getattr(mod, f"weight_hh_l0{sfx}").copy_(w["Wh"])
            getattr(mod, f"bias_ih_l0{sfx}").copy_(w["bx"])  # the forget bias is folded in
            getattr(mod, f"bias_hh_l0{sfx}").copy_(w["bh"])
            if layer.proj_size:
                getattr(mod, f"weight_hr_l0{sfx}").copy_(w["Whr"])
    inp = x.new_zeros(T, B, I + D * Hr)
    inp[:, :, :I] = x[:, None, :]
    inp.requires_grad_(True)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*projections is not supported with oneDNN")
        out = mod(inp)[0]  # (T, B, D*Hr)
        (g_in,) = torch.autograd.grad(out, inp, torch.cat(g_out, dim=-1))
    dhs, dcs = [], []
    for j, d in enumerate(layer.directions):
        through = g_in[:, :, I + j * Hr:I + (j + 1) * Hr]  # (T, B, Hr): dy/de_t = Wh^T da_t
        dh = g_out[j].clone()
        if d.reverse:
            dh[1:] += through[:-1]  # h_{t+1} fed step t
        else:
            dh[:-1] += through[1:]  # h_{t-1} feeds step t
        dm = dh if "Whr" not in ws[j] else dh @ ws[j]["Whr"]  # (T, B, H): dy/d(o⊙tanh c_t)
        o, c, f = q[j]["output_gate"], q[j]["cell_state"], q[j]["forget_gate"]
        tc = torch.tanh(c)
        dc = dm * (o * (1 - tc * tc))[:, None, :]  # (T, B, H): the part through h_t; the scan adds c_{t+1}'s
        f_next = torch.zeros_like(f)  # the forget gate of the step that reads c_t
        if d.reverse:
            f_next[1:] = f[:-1]
        else:
            f_next[:-1] = f[1:]
        _linear_scan_(dc, f_next[:, None, :].expand_as(dc).contiguous(), reverse=not d.reverse)
        dhs.append(dh)
        dcs.append(dc)
    return dhs, dcs, g_in[:, :, :I].contiguous()

