"""An LSTM's gates and cell states as oneDNN's fused forward computed them, read from its training workspace.

torch's CPU LSTM forward (float32, no projection) is oneDNN's fused kernel, which returns only h.
Run for training, the kernel also keeps every step's activated gates and cell state in a workspace
for its backward pass. Reading them there costs one forward in training mode plus a copy, where
recomputing them from h (``native_gates.gates_from_h``) repeats every matmul once more and scans c:
measured on 2 cores against torch's inference forward, a 2x1024 LSTM over 5,000 steps traced in
1.1-1.2x instead of 1.45x, one sequence of 128 units in 1.2x instead of 1.5x, 64 sequences of 128
units in 1.45x against the step loop's 1.77x (``engine._use_step_loop``).

The workspace is oneDNN's private buffer, so its layout is checked, not trusted: the first time a
call shape (steps, sequences, inputs, units) is run in this process, the gates and c of the call's
first and last steps are computed here, for its first and last sequence, and must agree with what
was read. Any disagreement (another oneDNN, another layout, no workspace at all) raises
``LayoutMismatch``; the engine then recomputes the gates as before and stops asking for the
workspace in this process.

The layout read (oneDNN's RNN primitive as torch 2.x builds it for one layer and direction, offsets
in float32 elements, each region starting on a 4 KB page):
  * the gates, (T, N, ld) in processing order, each row holding i, f, g, o (H each, activated) and
    padding up to ld, where ld is 4H rounded up to 16 floats and 16 more when that is a multiple
    of 256 (oneDNN's ``get_good_ld``, against cache aliasing);
  * two regions of states, (2, T+1, N, ld') with ld' the good ld of max(input, H), and (T, N, ld(H));
  * the cell states, (2, T+1, N, H): c after step t at slot (1, t+1), for every step but the last,
    whose c is the c_T the kernel returns.
Each call's workspace is held under 8 MB while the weights are small (it is then still in the cache
when the next call reuses it) and under 28 MB at most (glibc's heap, ``heap``).

Qt-free; the engine (``Tracer._layer``) decides when to use it.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from . import heap
from .model import RecurrentLayer

_LSTM_MODE = 2  # ideep::rnn_kind::LSTM (torch/_decomp/decompositions.py calls the same op with it)
# How far a gate or cell state read from the workspace may be from the one computed here: float32
# sums of a few thousand products in another order differ by ~1e-6 (c by that relative to its size);
# a wrong offset reads other numbers
_CHECK_ATOL = 1e-4
_CHECK_RTOL = 1e-5
# One training forward's workspace stays under the heap's 32 MB mmap threshold (``heap``): above it
# every call faulted its pages in again, 1.5-2x the forward's time for 64 sequences of 128 units
WORKSPACE_BYTES = 28 << 20
# ... and near 8 MB while the weights are small: the next call then reuses a workspace still in the
# cache. Measured (2 cores, 32 MB L3, 64 sequences of 128 units, T=200, ratio to torch's forward):
# 1.45-1.47x at 8 MB, 1.47-1.61x at 12-16, 1.58-1.63x at 28. Each call also lays the weights out
# anew (~3 ms for 1024 units), so large weights keep calls long: 1.14-1.18x at 28 MB, 1.25-1.35x at 8
CACHED_WORKSPACE_BYTES = 8 << 20
# The gates of a trace larger than this are four arrays rather than one: torch frees a tensor with
# the GIL held, ~60 ms a GB, and a replaced or cancelled trace's 1.6 GB of gates (100k steps of
# 1024 units) blocked the window ~100 ms (``release`` frees one array at a time)
JOINED_GATES_BYTES = 256 << 20
_PAGE = 1024  # float32 elements: oneDNN starts each region of a workspace on a 4 KB page

_disabled = False  # set after a mismatch: this process recomputes from then on
# Call shapes (steps, sequences, inputs, units) whose layout checked out in this process: the layout
# is a function of the shape, so a shape is checked once (each check costs ~0.4 ms, a cold cache's
# first small ops after the kernel: ~6% of a 64x128 batch's trace)
_checked: set[tuple[int, int, int, int]] = set()


class LayoutMismatch(RuntimeError):
    """The workspace did not hold the gates or cell states where they were looked for (the engine recomputes)."""


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


def _regions(T: int, N: int, I: int, H: int) -> tuple[int, int]:
    """Where a T-step workspace keeps the gates and the cell states, in float32 elements: the gates'
    row length (ld) and the offset of c after the first step (see the module docstring)."""
    ldg = _good_ld(4 * H)

    def pages(n: int) -> int:
        return -(-n // _PAGE) * _PAGE

    states = pages(T * N * ldg) + pages(2 * (T + 1) * N * _good_ld(max(I, H))) + pages(T * N * _good_ld(H))
    return ldg, states + (T + 2) * N * H


def workspace_steps(N: int, I: int, H: int) -> int:
    """Steps per training forward: its workspace at most ``WORKSPACE_BYTES``, at most 4x the weights
    when that is more than ``CACHED_WORKSPACE_BYTES``. Per step and sequence the workspace holds
    (measured, 64-1024 units, 8-1000 inputs) a row of gates, six rows of states as wide as the wider
    of input and h, one as wide as h, and 4H floats of cell states."""
    per_step = N * (_good_ld(4 * H) + 6 * _good_ld(max(I, H)) + _good_ld(H) + 4 * H) * 4
    once = N * (6 * _good_ld(max(I, H)) + 4 * H) * 4 + 16 * _PAGE * 4  # states before the first step, page ends
    weights = 4 * H * (I + H) * 4
    budget = min(WORKSPACE_BYTES, max(CACHED_WORKSPACE_BYTES, 4 * weights))
    return max(1, (budget - once) // per_step)


def _fused_forward(x: Tensor, t: dict[str, Tensor], h0: Tensor, c0: Tensor, gates_out: Tensor | tuple[Tensor, ...],
                   h_out: Tensor, c_out: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One forward pass of oneDNN's LSTM in training mode over x (T, N, I) in time order, from the
    last step to the first when ``reverse`` (the kernel's own right-to-left direction).

    Copies the gates (T, N, 4H: i, f, g, o; or four (T, N, H) arrays) and the cell states (T, N, H)
    out of its workspace into ``gates_out`` and ``c_out``, and h into ``h_out`` (T, N, H), all in
    time order (the workspace holds them in processing order, reversed back when ``reverse``; h
    comes in time order); returns the state after the last step taken, h_T and c_T (1, N, H)."""
    T, N, I = x.shape
    H = h0.shape[-1]
    ld, c_at = _regions(T, N, I, H)
    with torch.enable_grad():  # the kernel fills its workspace only when a gradient may follow
        xg = x.detach().requires_grad_(True)
        try:
            h, hT, cT, workspace = torch.ops.aten.mkldnn_rnn_layer(
                xg, t["Wx"], t["Wh"], t["bx"], t["bh"], h0, c0, reverse, [T], _LSTM_MODE, H, 1, True, False, False,
                True)
        except RuntimeError as exc:  # e.g. a torch whose op takes other arguments
            raise LayoutMismatch(f"oneDNN's training forward failed: {exc}") from exc
    c_end = c_at + (T - 1) * N * H
    if workspace is None or workspace.dtype != torch.uint8 or workspace.numel() < max(T * N * ld, c_end) * 4:
        raise LayoutMismatch("no workspace, or one too small to hold the gates and cell states")
    floats = workspace.view(torch.float32)
    rows = floats[: T * N * ld].view(T, N, ld)[..., : 4 * H]  # (T, N, 4H), no copy
    cells = floats[c_at:c_end].view(T - 1, N, H)  # c of every step but the last (that is c_T)
    h, cT = h.detach(), cT.detach()
    h_out.copy_(h)
    parts = [(gates_out, rows)] if isinstance(gates_out, Tensor) else \
        [(out, rows[..., q * H:(q + 1) * H]) for q, out in enumerate(gates_out)]
    if reverse:  # one copy each, straight into time order
        back = torch.arange(T - 1, -1, -1)
        for out, part in parts:
            torch.index_select(part, 0, back, out=out)
        torch.index_select(cells, 0, back[1:], out=c_out[1:])  # c_out[k+1] is step T-2-k taken
        c_out[0] = cT[0]
    else:
        for out, part in parts:
            out.copy_(part)
        c_out[:-1] = cells
        c_out[-1] = cT[0]
    return hT.detach(), cT  # the workspace (~3.8x the gates) goes with the graph


def _check(x: Tensor, h: Tensor, c: Tensor, h0: Tensor, c0: Tensor, gates: tuple[Tensor, ...],
           t: dict[str, Tensor], reverse: bool) -> None:
    """The gates and cell states read from the workspace for the first and last steps taken, of the
    first and last sequence, against the same computed here. x, h, c and the gates (i, f, g, o) in
    time order. The last step's c is oneDNN's returned c_T, so its check tests the
    workspace's last c before it. A wrong offset or row length reads other numbers in any row, so
    two sequences tell as much as all, for a few small ops."""
    T, N = x.shape[:2]
    H = h.shape[-1]
    seqs = [0, N - 1] if N > 1 else [0]
    first, last = (T - 1, 0) if reverse else (0, T - 1)  # time order
    # the rows checked, (k, ...): the first step from (h0, c0), the last from the step before it
    x_rows = torch.cat([x[first, seqs], x[last, seqs]]) if T > 1 else x[first, seqs]
    h_prev, c_prev = h0[0, seqs], c0[0, seqs]
    got = torch.cat([q[first, seqs] for q in gates] + [c[first, seqs]], dim=-1)  # (k, 5H)
    if T > 1:
        before = last + 1 if reverse else last - 1
        h_prev, c_prev = torch.cat([h_prev, h[before, seqs]]), torch.cat([c_prev, c[before, seqs]])
        got = torch.cat([got, torch.cat([q[last, seqs] for q in gates] + [c[last, seqs]], dim=-1)])
    pre = torch.addmm(t["bx"] + t["bh"], x_rows, t["Wx"].t()).addmm_(h_prev, t["Wh"].t())  # (k, 4H)
    want = torch.cat([pre, c_prev], dim=-1)  # (k, 5H): [i, f, g, o, c]
    torch.sigmoid_(want[:, :4 * H])
    torch.tanh(pre[:, 2 * H:3 * H], out=want[:, 2 * H:3 * H])
    i, f, g = want[:, :H], want[:, H:2 * H], want[:, 2 * H:3 * H]
    want[:, 4 * H:].mul_(f).addcmul_(i, g)  # c = f * c_prev + i * g
    worst = float((got - want).abs_().sub_(want.abs().mul_(_CHECK_RTOL)).max())
    if not worst <= _CHECK_ATOL:  # NaN fails too
        raise LayoutMismatch(f"a call of {T} steps, its first or last step: gates or cell states read from "
                             f"the workspace differ by {worst:.3g}")


def lstm_direction(layer: RecurrentLayer, t: dict[str, Tensor], reverse: bool, x: Tensor,
                   init: tuple[Tensor, Tensor | None] | None, chunk_steps: int,
                   tick: Callable[[float], None] | None = None) -> dict[str, Tensor]:
    """Every gate and state of one LSTM direction: x (T, N, I) -> quantity -> (T, N, H), time-aligned.

    Runs the input in chunks of at most ``chunk_steps`` steps (fewer to keep the workspace small,
    ``workspace_steps``) in the direction's own order (a backward direction from the last chunk to
    the first, each run right to left), carrying (h, c) across them; ``tick(fraction)`` between
    chunks (progress, and the caller's chance to cancel by raising). ``init`` (h0, c0): the state
    before the first step taken, else zeros. Raises ``LayoutMismatch`` (see the module docstring).
    """
    T, N, _ = x.shape
    H = layer.units
    heap.keep_heap_warm()
    chunk_steps = min(chunk_steps, workspace_steps(N, x.shape[2], H))
    if init is None:
        h0 = c0 = x.new_zeros(1, N, H)
    else:
        h0 = init[0].expand(N, H)[None].contiguous()  # (1, N, H)
        c0 = init[1].expand(N, H)[None].contiguous()
    if T * N * 4 * H * x.element_size() > JOINED_GATES_BYTES:
        gates = None  # four arrays: a free of one is a quarter as long
        quantities = tuple(x.new_empty(T, N, H) for _ in range(4))  # i, f, g, o, time-aligned
    else:
        gates = x.new_empty(T, N, 4 * H)  # (T, N, [i, f, g, o]), time-aligned
        quantities = gates.split(H, dim=-1)
    h_all, c_all = x.new_empty(T, N, H), x.new_empty(T, N, H)
    starts = list(range(0, T, chunk_steps))
    for n_done, s in enumerate(reversed(starts) if reverse else starts):
        if tick is not None and n_done:
            tick(n_done / len(starts))
        xc = x[s:s + chunk_steps].contiguous()  # (Tc, N, I), a view of x
        part = slice(s, s + chunk_steps)  # contiguous views of this chunk's steps
        out = tuple(q[part] for q in quantities)
        h0_next, c0_next = _fused_forward(xc, t, h0, c0, out if gates is None else gates[part],
                                          h_all[part], c_all[part], reverse)
        shape = (xc.shape[0], N, xc.shape[2], H)
        if shape not in _checked:
            _check(xc, h_all[part], c_all[part], h0, c0, out, t, reverse)
            _checked.add(shape)
        h0, c0 = h0_next, c0_next
    i, f, g, o = quantities
    return {"input_gate": i, "forget_gate": f, "cell_candidate": g, "output_gate": o,
            "cell_state": c_all, "hidden_state": h_all}
