"""An LSTM's gates as oneDNN's fused forward computed them, read from its training workspace.

torch's CPU LSTM forward (float32, no projection) is oneDNN's fused kernel, which returns only h.
Run for training, the kernel also keeps every step's activated gates in a workspace for its
backward pass. Reading them there costs one forward in training mode plus a copy, where
recomputing them from h (``native_gates.gates_from_h``) repeats every matmul once more:
measured on 2 cores against torch's inference forward, a 2x1024 LSTM over 5,000 steps traced
in 1.2x instead of 1.45x, one sequence of 128 units in 1.2x instead of 1.5x, 8 sequences of
512 units in 1.55x instead of 2.2x.

The workspace is oneDNN's private buffer, so its layout is checked on every chunk, not
trusted: the gates of the chunk's first and last steps are computed here from x_t and h_{t-1}
and must agree with what was read. Any disagreement (another oneDNN, another layout, no
workspace at all) raises ``LayoutMismatch``; the engine then recomputes the gates as before and
stops asking for the workspace in this process.

The layout read (oneDNN's RNN primitive as torch 2.x builds it for one layer and direction):
the workspace starts with the gates, (T, N, ld) float32 in processing order, each row holding
i, f, g, o (H each, activated) and padding up to ld, where ld is 4H rounded up to 16 floats
and 16 more when that is a multiple of 256 (oneDNN's ``get_good_ld``, against cache aliasing).
The cell state is scanned from the gates as on the recompute path (``native_gates.lstm_quantities``).

Qt-free; the engine (``Tracer._layer``) decides when to use it.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from .model import RecurrentLayer
from .native_gates import lstm_quantities

_LSTM_MODE = 2  # ideep::rnn_kind::LSTM (torch/_decomp/decompositions.py calls the same op with it)
# How far a gate read from the workspace may be from the one computed here: float32 sums of a
# few thousand products in another order differ by ~1e-6; a wrong offset reads other numbers
_CHECK_ATOL = 1e-4

_disabled = False  # set after a mismatch: this process recomputes from then on


class LayoutMismatch(RuntimeError):
    """The workspace did not hold the gates where they were looked for (the engine recomputes)."""


def usable(layer: RecurrentLayer, dtype: torch.dtype, device: torch.device) -> bool:
    """Does torch run this layer through oneDNN's fused LSTM, whose workspace can be read?"""
    return (not _disabled and device.type == "cpu" and dtype == torch.float32 and layer.cell == "lstm"
            and not layer.proj_size and torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.aten, "mkldnn_rnn_layer"))


def disable() -> None:
    global _disabled
    _disabled = True


def _good_ld(width: int) -> int:
    """oneDNN's leading dimension for a row of ``width`` float32 values (its get_good_ld)."""
    ld = -(-width // 16) * 16
    return ld + 16 if ld % 256 == 0 else ld


def _fused_forward(x: Tensor, t: dict[str, Tensor], h0: Tensor, c0: Tensor, gates_out: Tensor,
                   h_out: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One forward pass of oneDNN's LSTM in training mode over x (T, N, I), given in processing order.

    Writes the gates copied out of its workspace into ``gates_out`` (T, N, 4H: i, f, g, o) and h
    into ``h_out`` (T, N, H), both in time order (reversed back when ``reverse``); returns the
    state after the last step, h_T and c_T (1, N, H)."""
    T, N, _ = x.shape
    H = h0.shape[-1]
    ld = _good_ld(4 * H)
    with torch.enable_grad():  # the kernel fills its workspace only when a gradient may follow
        xg = x.detach().requires_grad_(True)
        try:
            h, hT, cT, workspace = torch.ops.aten.mkldnn_rnn_layer(
                xg, t["Wx"], t["Wh"], t["bx"], t["bh"], h0, c0, False, [T], _LSTM_MODE, H, 1, True, False, False,
                True)
        except RuntimeError as exc:  # e.g. a torch whose op takes other arguments
            raise LayoutMismatch(f"oneDNN's training forward failed: {exc}") from exc
    if workspace is None or workspace.dtype != torch.uint8 or workspace.numel() < T * N * ld * 4:
        raise LayoutMismatch("no workspace, or one too small to hold the gates")
    rows = workspace[: T * N * ld * 4].view(torch.float32).view(T, N, ld)[..., : 4 * H]  # (T, N, 4H), no copy
    h = h.detach()
    if reverse:  # one copy each, straight into time order
        back = torch.arange(T - 1, -1, -1)
        torch.index_select(rows, 0, back, out=gates_out)
        torch.index_select(h, 0, back, out=h_out)
    else:
        gates_out.copy_(rows)
        h_out.copy_(h)
    return hT.detach(), cT.detach()  # the workspace (~3.8x the gates) goes with the graph


def _expected_gates(x_t: Tensor, h_prev: Tensor, t: dict[str, Tensor]) -> Tensor:
    """The activated gates (N, 4H: i, f, g, o) of one step, computed here from x_t (N, I) and h_{t-1} (N, H)."""
    pre = torch.addmm(t["bx"] + t["bh"], x_t, t["Wx"].t()).addmm_(h_prev, t["Wh"].t())
    H = pre.shape[-1] // 4
    i, f, g, o = pre.split(H, dim=-1)
    return torch.cat([i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()], dim=-1)


def _check(x: Tensor, h: Tensor, h0: Tensor, gates: Tensor, t: dict[str, Tensor], reverse: bool) -> None:
    """The gates read from the workspace for the first and last steps taken, against the same steps
    computed here. x (T, N, I) in processing order; h and gates in time order."""
    T = x.shape[0]
    for s in {0, T - 1}:  # processing order
        at = T - 1 - s if reverse else s
        before = at + 1 if reverse else at - 1
        h_prev = h0[0] if s == 0 else h[before]
        want = _expected_gates(x[s], h_prev, t)
        if not torch.allclose(gates[at], want, rtol=0, atol=_CHECK_ATOL):
            worst = (gates[at] - want).abs().max().item()
            raise LayoutMismatch(f"step {s} of a chunk: gates read from the workspace differ by {worst:.3g}")


def lstm_direction(layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool, x: Tensor,
                   init: tuple[Tensor, Tensor | None] | None, chunk_steps: int,
                   tick: Callable[[float], None] | None = None) -> dict[str, Tensor]:
    """Every gate and state of one LSTM direction: x (T, N, I) -> quantity -> (T, N, H), time-aligned.

    Runs the input in chunks of ``chunk_steps`` steps in the direction's own order (a backward
    direction reversed, then realigned), carrying (h, c) across them; ``tick(fraction)`` between
    chunks (progress, and the caller's chance to cancel by raising). ``init`` (h0, c0): the state
    before the first step taken, else zeros. Raises ``LayoutMismatch`` (see the module docstring).
    """
    T, N, _ = x.shape
    H = layer.units
    if init is None:
        h0 = c0 = x.new_zeros(1, N, H)
    else:
        h0 = init[0].expand(N, H)[None].contiguous()  # (1, N, H)
        c0 = init[1].expand(N, H)[None].contiguous()
    gates = x.new_empty(T, N, 4 * H)  # (T, N, [i, f, g, o]), time-aligned
    h_all = x.new_empty(T, N, H)
    starts = list(range(0, T, chunk_steps))
    for n_done, s in enumerate(reversed(starts) if reverse else starts):
        if tick is not None and n_done:
            tick(n_done / len(starts))
        xc = x[s:s + chunk_steps]
        xc = xc.flip(0) if reverse else xc.contiguous()  # (Tc, N, I) in processing order
        gates_c, h_c = gates[s:s + chunk_steps], h_all[s:s + chunk_steps]  # contiguous views
        h0_next, c0_next = _fused_forward(xc, t, h0, c0, gates_c, h_c, reverse)
        _check(xc, h_c, h0, gates_c, t, reverse)
        h0, c0 = h0_next, c0_next
    i, f, g, o = gates.split(H, dim=-1)
    return lstm_quantities(i, f, g, o, h_all, reverse, None if init is None else init[1])
