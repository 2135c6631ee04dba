"""Statistics the panels show, computed from a Trace's arrays (Qt-free).

- saturation fractions per unit of a sigmoid gate (Karpathy et al. 2015, gate-conventions.md §6),
- unit orderings for heatmap rows (by index, variance, saturation, correlation with the input),
- display downsampling of long traces (block mean / max / extreme per pixel column).

Arrays are ``(T, units)`` as stored in a Trace (time first).
"""

from __future__ import annotations

import numpy as np

from .nonfinite import ROWS_PER_PASS
from .trace import SIGMOID_GATES

LEFT_SATURATED = 0.1  # a sigmoid gate below this is "left-saturated" (closed)
RIGHT_SATURATED = 0.9  # above this "right-saturated" (open)
ORDERINGS = ("index", "variance", "saturation", "correlation")
DOWNSAMPLE_MODES = ("mean", "max", "min", "extreme")


# --------------------------------------------------------------------------- saturation


def saturation_fractions(gate: np.ndarray, low: float = LEFT_SATURATED,
                         high: float = RIGHT_SATURATED) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the fraction of steps the gate is below ``low`` and above ``high``.

    gate (T, units) -> (left (units,), right (units,)), float64 in [0, 1].
    """
    gate = np.asarray(gate)
    if gate.ndim != 2 or gate.shape[0] == 0:
        raise ValueError(f"expected a gate of shape (T, units) with T >= 1, got {gate.shape}")
    steps = gate.shape[0]  # counting beats mean(dtype=float64), which converts every bool first
    left = np.zeros(gate.shape[1:], np.int64)
    right = np.zeros(gate.shape[1:], np.int64)
    # a few hundred rows at a time: the comparisons stay in cache instead of two (T, units) bool
    # arrays going through memory (a 100k x 1024 gate: ~240 -> ~130 ms); the counts are the same
    for s in range(0, steps, ROWS_PER_PASS):  # (< 2^31 rows, so the int32 counts are safe)
        rows = gate[s:s + ROWS_PER_PASS]
        left += np.add.reduce(rows < low, axis=0, dtype=np.int32)
        right += np.add.reduce(rows > high, axis=0, dtype=np.int32)
    return (left / steps).astype(np.float64), (right / steps).astype(np.float64)



def layer_saturation(quantities: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{gate name: (left, right)} for every sigmoid gate among one direction's quantities."""
    return {name: saturation_fractions(a) for name, a in quantities.items() if name in SIGMOID_GATES}


def saturation_score(quantities: dict[str, np.ndarray]) -> np.ndarray:
    """Per unit, the mean over its sigmoid gates of the fraction of saturated steps (left + right).

    A plain RNN has no sigmoid gate: its tanh state counts as saturated where |h| > 0.9.
    """
    sats = layer_saturation(quantities)
    if sats:
        return np.mean([left + right for left, right in sats.values()], axis=0)
    h = np.asarray(quantities["hidden_state"])
    return (np.abs(h) > RIGHT_SATURATED).mean(axis=0, dtype=np.float64)


# --------------------------------------------------------------------------- orderings


def input_correlation(state: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Per unit, the largest |Pearson correlation| over time between the unit and any input feature.

    state (T, units), inputs (T,) or (T, F) -> (units,). Constant signals correlate 0.
    """
    s = np.asarray(state, dtype=np.float64)
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] != s.shape[0]:
        raise ValueError(f"inputs have {x.shape[0]} steps but the state has {s.shape[0]}")
    s = s - s.mean(axis=0)
    x = x - x.mean(axis=0)
    s_norm = np.sqrt((s * s).sum(axis=0))  # (units,)
    x_norm = np.sqrt((x * x).sum(axis=0))  # (F,)
    cov = x.T @ s  # (F, units)
    denom = np.outer(x_norm, s_norm)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(denom > 1e-12, cov / np.where(denom > 1e-12, denom, 1.0), 0.0)
    return np.abs(corr).max(axis=0)


def unit_order(quantities: dict[str, np.ndarray], by: str = "index", inputs: np.ndarray | None = None,
               quantity: str = "hidden_state") -> np.ndarray:
    """Unit indices in display order (first row first), highest score first.

    by: "index" (0..U-1), "variance" (of ``quantity`` over time), "saturation"
    (``saturation_score``), "correlation" (``input_correlation`` of ``quantity`` with ``inputs``).
    Ties keep index order (stable sort).
    """
    a = np.asarray(quantities[quantity])
    units = a.shape[-1]
    if by == "index":
        return np.arange(units)
    if by == "variance":
        score = a.var(axis=0, dtype=np.float64)
    elif by == "saturation":
        score = saturation_score(quantities)
    elif by == "correlation":
        if inputs is None:
            raise ValueError("ordering by correlation with the input needs the trace's inputs")
        score = input_correlation(a, inputs)
    else:
        raise ValueError(f"unknown unit ordering {by!r}; expected one of {', '.join(ORDERINGS)}")
    return np.argsort(-score, kind="stable")


# --------------------------------------------------------------------------- downsampling


def downsample_time(a: np.ndarray, max_steps: int, mode: str = "mean") -> tuple[np.ndarray, int]:
    """Reduce a (T, units) array to at most ``max_steps`` rows by blocks of consecutive steps.

    Returns (reduced (ceil(T / block), units) float32, block). block == 1 returns the data as is
    (as float32). Modes: "mean", "max", "min", "extreme" (the value of largest magnitude, sign kept,
    so short spikes of a tanh quantity survive). The last block may be shorter.
    """
    if mode not in DOWNSAMPLE_MODES:
        raise ValueError(f"unknown downsampling mode {mode!r}; expected one of {', '.join(DOWNSAMPLE_MODES)}")
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    a = np.asarray(a)
    T = a.shape[0]
    block = max(1, -(-T // max_steps))  # ceil
    if block == 1:
        return np.asarray(a, dtype=np.float32), 1
    full = (T // block) * block
    pieces = [a[:full].reshape(T // block, block, *a.shape[1:])]  # (T/block, block, units)
    if full < T:
        pieces.append(a[full:][None])  # (1, rest, units)
    out = [_reduce(p, mode) for p in pieces]
    return np.ascontiguousarray(np.concatenate(out, axis=0), dtype=np.float32), block


# elements from which a long trace's float32 array is reduced or copied in torch (on its threads):
# a 100k x 1024 gate's 4000 block means took 82 ms in numpy's float64 and take ~30 ms; below it
# numpy is cheap and needs no torch
TORCH_FROM = 1 << 20


def torch_view(a: np.ndarray):
    """A large float32 ``a`` as a torch tensor on the same memory, or None: small, another dtype, or
    what ``torch.from_numpy`` takes only with a warning or not at all (read-only, reversed)."""
    if a.size < TORCH_FROM or a.dtype != np.float32 or not a.flags.writeable or min(a.strides) <= 0:
        return None
    import torch

    return torch.from_numpy(a)


def _reduce(blocks: np.ndarray, mode: str) -> np.ndarray:
    """(n, block, ...) -> (n, ...) along axis 1."""
    if mode == "mean":
        t = torch_view(blocks)
        if t is not None:
            return t.mean(dim=1).numpy()  # the strided view is read in place
        return blocks.mean(axis=1, dtype=np.float64)
    if mode == "max":
        return blocks.max(axis=1)
    if mode == "min":
        return blocks.min(axis=1)
    idx = np.abs(blocks).argmax(axis=1)  # extreme
    return np.take_along_axis(blocks, idx[:, None], axis=1)[:, 0]
