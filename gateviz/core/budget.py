"""How much memory gateviz may use, checked before the work rather than discovered by a MemoryError.

    available_memory()              bytes this process can still take (RAM, cgroup and rlimit, the least)
    require(needed, what, hint)     raise ResourceError when ``needed`` bytes would not fit
    trace_bytes(model, steps)       what tracing (and writing or drawing) that many steps needs
    require_trace(model, steps)     require() for a trace, saying how many steps would fit
    format_bytes(n)                 "1.5 GiB"

A reader or command estimates what a job needs (a file's declared sizes, a trace's arrays) and
calls ``require`` first, so a hostile or simply too large input ends in one clear message instead
of minutes of swapping and an allocator error. ``GATEVIZ_MEMORY_LIMIT`` (bytes, or with a K/M/G
suffix) caps the figure, for tests and for users who want gateviz to leave room for others.
"""

from __future__ import annotations

import os
import re

from .errors import GatevizError

# Only this share of what is free may be planned for: numpy and torch make temporaries, and the
# desktop beside gateviz needs room too.
USABLE_SHARE = 0.7


class ResourceError(GatevizError):
    """The job would need more memory (or disk) than this machine has to give."""


def format_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def parse_bytes(text: str) -> int | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text or "")
    if not m:
        return None
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # other Unixes: free physical pages
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_headroom() -> int | None:
    """A container's memory limit minus what it uses (cgroup v2), if there is a limit."""
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            limit = fh.read().strip()
        if limit == "max":
            return None
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as fh:
            used = int(fh.read().strip())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def _rlimit_headroom() -> int | None:
    """An address-space limit (ulimit -v) minus what the process has mapped."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm", encoding="ascii") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return max(0, soft - mapped)
    except (ImportError, OSError, ValueError, IndexError):
        return None


def available_memory() -> int:
    """Bytes of memory this process can plan to use now (the tightest of RAM, cgroup, rlimit, env)."""
    candidates = [v for v in (_meminfo_available(), _cgroup_headroom(), _rlimit_headroom()) if v is not None]
    limit = parse_bytes(os.environ.get("GATEVIZ_MEMORY_LIMIT", ""))
    if limit is not None:
        candidates.append(limit)
    return min(candidates) if candidates else 8 * 2**30


def usable_memory() -> int:
    return int(available_memory() * USABLE_SHARE)


def require(needed: int, what: str, hint: str = "") -> None:
    """ResourceError naming ``what`` and both sizes when ``needed`` bytes do not fit in usable memory."""
    usable = usable_memory()
    if needed > usable:
        tail = f"; {hint}" if hint else ""
        raise ResourceError(f"{what} would need about {format_bytes(needed)} of memory, but only "
                            f"{format_bytes(usable)} can be used on this machine now{tail}")


# ---------------------------------------------------------------- what a trace needs

# Bytes per step and unit, in units of the dtype's size, that tracing one layer direction holds at
# its peak: the trace's own arrays (LSTM i f g o c h, GRU r z n h, RNN h) plus the engine's working
# tensors (pre-activations, torch's native forward, the recurrent part of a GRU, the next layer's
# input). Calibrated on CPU with torch 2.13 by the peak RSS (VmHWM after clearing it) of
# Tracer.trace on one sequence: LSTM(64)/GRU(64)/RNN(128) over 200,000 steps, LSTM(32)x2 and
# GRU(16)x3 bidirectional over 100,000, LSTM(256) with 50 features over 20,000, LSTM(8) over 10^6.
# Peaks were 7.1-8.2 (LSTM), 9.0-11.7 (GRU) and 4.9 (RNN) of these units; the figures below sit
# just above them. tracemalloc cannot do this: torch's allocations bypass Python's allocator.
PEAK_PER_UNIT_STEP = {"lstm": 9.0, "gru": 12.0, "rnn": 5.0}

# What each command holds on top of the trace, as a share of the trace estimate: the peak RSS of
# `gateviz trace` / `gateviz export` over the same command on 20 steps, for LSTM(64), GRU(64) and
# RNN(128), was up to 1.18x the estimate writing the .npz (200,000 steps), 1.71x drawing a PNG
# (200,000 steps: heatmap images, saturation, ranges) and 2.59x writing the long-format CSV
# (30,000 steps: one text row per step and unit).
JOB_SHARE = {"trace": 0.0, "npz": 0.3, "figure": 0.8, "animation": 0.8, "csv": 1.8}


def sequence_steps(model, sequence) -> tuple[int, int]:
    """(batch, steps) of an input sequence as the engine will read it, without encoding it."""
    if isinstance(sequence, str):
        return 1, len(sequence)
    shape = getattr(sequence, "shape", None)
    if shape is None:
        import numpy as np

        shape = np.shape(sequence)
    shape = tuple(int(s) for s in shape)
    if model.input.takes_tokens:
        return (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)
    if len(shape) == 3:
        return shape[0], shape[1]
    return 1, shape[0] if shape else 1


def trace_bytes(model, steps: int, batch: int = 1, dtype_size: int | None = None, job: str = "trace") -> int:
    """Bytes of memory a trace of ``steps`` steps (``batch`` sequences) of ``model`` will need at
    its peak: every layer and direction's quantities per step x units x the dtype's size, with the
    engine's working tensors (``PEAK_PER_UNIT_STEP``), the encoded input and the head's output;
    ``job`` adds what writing or drawing it holds on top (``JOB_SHARE``)."""
    if dtype_size is None:
        first = model.layers[0].directions[0].Wx
        dtype_size = 8 if getattr(first, "dtype", None) is not None and first.dtype.itemsize == 8 else 4
    cells = batch * steps
    per_cell = 0.0
    for layer in model.layers:
        per_cell += len(layer.directions) * layer.units * PEAK_PER_UNIT_STEP.get(layer.cell, 12.0)
    total = per_cell * cells * dtype_size
    total += cells * model.input.output_size * (8 + dtype_size)  # the features (float64) and their tensor
    head = getattr(model, "head", None)
    if head is not None:
        total += cells * head.out_features * dtype_size * 2
    return int(total * (1.0 + JOB_SHARE.get(job, 0.35)))


def steps_that_fit(model, steps: int, batch: int = 1, dtype_size: int | None = None, job: str = "trace") -> int:
    """The most steps (at most ``steps``) whose trace fits in usable memory now; 0 if none."""
    usable = usable_memory()
    per_step = trace_bytes(model, 1 << 20, batch, dtype_size, job) / (1 << 20)  # exact enough: no rounding
    fit = min(steps, int(usable // max(per_step, 1e-9)))
    while fit > 0 and trace_bytes(model, fit, batch, dtype_size, job) > usable:
        fit -= max(1, fit // 1000)
    return max(0, fit)


class TraceTooLong(ResourceError):
    """A trace that would not fit: ``steps`` asked, ``fit`` that would (0: none), ``needed`` and
    ``usable`` bytes; ``sequence`` when known, so the app can offer to trace its first ``fit`` steps."""

    def __init__(self, message: str, steps: int, fit: int, needed: int, usable: int, sequence=None):
        super().__init__(message)
        self.steps, self.fit, self.needed, self.usable, self.sequence = steps, fit, needed, usable, sequence


def require_trace(model, steps: int, batch: int = 1, dtype_size: int | None = None, job: str = "trace",
                  what: str = "", hint: str = "", sequence=None) -> None:
    """TraceTooLong before tracing when ``trace_bytes`` does not fit; the message says how much the
    trace needs, and how many steps would fit (``hint`` says how to ask for fewer)."""
    needed = trace_bytes(model, steps, batch, dtype_size, job)
    usable = usable_memory()
    if needed <= usable:
        return
    fit = steps_that_fit(model, steps, batch, dtype_size, job)
    tail = f"at most {fit:,} steps would fit" if fit else "not even one step would fit"
    raise TraceTooLong(f"{what or f'tracing {steps:,} steps'} would need about {format_bytes(needed)} of memory, "
                       f"but only {format_bytes(usable)} can be used on this machine now; "
                       f"{tail}{'; ' + hint if hint and fit else ''}", steps, fit, needed, usable, sequence)


def require_sequence_fits(model, sequence, job: str = "figure") -> None:
    """``require_trace`` for one input as the app traces it (the sequence travels with the error)."""
    batch, steps = sequence_steps(model, sequence)
    require_trace(model, steps, batch, job=job, what=f"tracing all {steps:,} steps", sequence=sequence)
