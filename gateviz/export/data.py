"""The trace as data files (Qt-free).

``.npz``: the trace file of design.md ("Contracts"), exactly what ``Trace.save`` writes:
one array ``layer{k}.{forward|backward}.{quantity}`` of shape (T, units) per layer,
direction and quantity, ``output`` and ``meta`` (JSON).

``.csv``: tidy, one row per (layer, direction, step, unit) and one column per quantity::

    layer,direction,step,unit,input_gate,forget_gate,cell_candidate,output_gate,cell_state,hidden_state
    0,forward,0,0,0.5123,...

Columns: ``layer`` (int), ``direction`` (forward|backward), ``step`` (input position,
0-based; a backward direction is time-aligned like the trace file), ``unit`` (0-based),
then the cell's quantities in the trace file's order (LSTM six, GRU four, RNN one).
Rows are ordered by layer, direction, step, unit, so a (layer, direction) block has
``steps × units`` rows. A quantity narrower than the others (an LSTM with a projection:
h has proj_size units) leaves its cell empty for the units it does not have.
Values are written with 7 significant digits (float32 precision).

With gradients through time (``trace.gradients``, ``gateviz export ... --gradients``) every row
also has ``gradient.hidden_state`` (dy/dh_t) and, for an LSTM, ``gradient.cell_state`` (dy/dc_t);
then come rows for the input, with layer ``-1`` and direction ``input``, one per step and feature
(``unit`` is the feature index), holding ``gradient.input`` (dy/dx_t) and ``connectivity``
(||dy/dx_t||, the same on every feature of a step); the quantity columns stay empty there.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from gateviz.core.trace import Trace

from .files import ExportError, atomic_target

CSV_FIXED_COLUMNS = ("layer", "direction", "step", "unit")


def save_npz(trace: Trace, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write the trace file (the design.md contract) without overwriting an existing file."""
    if trace.batched:
        raise ExportError("this trace holds a batch; export one sequence of it (trace.sample(i))")
    with atomic_target(path, overwrite=overwrite) as tmp:
        trace.save(tmp)


def csv_columns(trace: Trace) -> list[str]:
    return list(CSV_FIXED_COLUMNS) + list(trace.quantities) + gradient_columns(trace)


def gradient_columns(trace: Trace) -> list[str]:
    if trace.gradients is None:
        return []
    cols = ["gradient.hidden_state"] + (["gradient.cell_state"] if trace.gradients.cell else [])
    return cols + ["gradient.input", "connectivity"]


def _blocks(trace: Trace, layer: int | None, direction: str | None):
    """The (layer, direction) pairs to write, checked against the trace."""
    pairs = list(trace.states)
    if layer is not None:
        if not 0 <= layer < trace.num_layers:
            raise ExportError(f"layer {layer} does not exist; the model has layers 0..{trace.num_layers - 1}")
        pairs = [p for p in pairs if p[0] == layer]
    if direction is not None:
        have = sorted({d for _, d in pairs})
        pairs = [p for p in pairs if p[1] == direction]
        if not pairs:
            raise ExportError(f"no {direction} direction here; the trace has {', '.join(have)}")
    return pairs


def check_units(units: Sequence[int], available: int) -> list[int]:
    units = [int(u) for u in units]
    bad = [u for u in units if not 0 <= u < available]
    if bad:
        raise ExportError(f"unit {bad[0]} does not exist; this layer has units 0..{available - 1}")
    return units


def check_steps(steps: range, length: int) -> range:
    if len(steps) == 0 or steps.start < 0 or steps.stop > length:
        raise ExportError(f"steps {steps.start}..{steps.stop - 1} are outside the sequence; "
                          f"it has steps 0..{length - 1}")
    return steps


def save_csv(trace: Trace, path: str | os.PathLike, *, layer: int | None = None, direction: str | None = None,
             units: Sequence[int] | None = None, steps: range | None = None, overwrite: bool = False) -> int:
    """Write the tidy CSV; returns the number of data rows.

    ``layer``/``direction`` restrict to one layer or direction (default: all),
    ``units`` to some units (default: all), ``steps`` to a range of steps (default: all).
    """
    if trace.batched:
        raise ExportError("this trace holds a batch; export one sequence of it (trace.sample(i))")
    steps = check_steps(steps if steps is not None else range(trace.length), trace.length)
    pairs = _blocks(trace, layer, direction)
    quantities = trace.quantities
    grads = trace.gradients
    n_grad = len(gradient_columns(trace))
    rows = 0
    with atomic_target(path, overwrite=overwrite) as tmp:
        with open(tmp, "w", newline="") as fh:
            fh.write(",".join(csv_columns(trace)) + "\n")
            for k, d in pairs:
                arrays = trace.states[(k, d)]
                width = max(arrays[q].shape[-1] for q in quantities)
                chosen = np.asarray(check_units(units, width) if units is not None else range(width), dtype=np.int64)
                T, U = len(steps), len(chosen)
                # (step, unit, [step, unit, q..., gradients...])
                block = np.full((T, U, 2 + len(quantities) + n_grad), np.nan)
                block[:, :, 0] = np.asarray(steps)[:, None]
                block[:, :, 1] = chosen[None, :]
                sources = [arrays[q] for q in quantities]
                if grads is not None:
                    sources.append(grads.hidden[(k, d)])
                    if grads.cell:
                        sources.append(grads.cell[(k, d)])
                for j, source in enumerate(sources):
                    a = source[steps.start:steps.stop]  # (T, units_q)
                    have = chosen < a.shape[-1]
                    block[:, have, 2 + j] = a[:, chosen[have]]
                # one row format per block: the layer and direction are constants
                fmt = f"{k},{d},%d,%d," + ",".join(["%.7g"] * (len(quantities) + n_grad))
                lines = (fmt % tuple(row) for row in block.reshape(T * U, -1))
                fh.writelines(line.replace("nan", "") + "\n" for line in lines)
                rows += T * U
            if grads is not None and layer is None and direction is None and units is None:
                rows += _write_input_rows(fh, grads, steps, len(quantities) + n_grad - 2)
    return rows


def _write_input_rows(fh, grads, steps: range, empty_before: int) -> int:
    """The input's rows: layer -1, direction input, unit = feature; gradient.input and connectivity."""
    g = grads.input[steps.start:steps.stop]  # (T, F)
    T, F = g.shape
    block = np.empty((T, F, 4))  # (step, feature, [step, feature, dy/dx, connectivity])
    block[:, :, 0] = np.asarray(steps)[:, None]
    block[:, :, 1] = np.arange(F)[None, :]
    block[:, :, 2] = g
    block[:, :, 3] = grads.connectivity[steps.start:steps.stop, None]
    fmt = "-1,input,%d,%d," + "," * empty_before + "%.7g,%.7g"
    fh.writelines((fmt % tuple(row)).replace("nan", "") + "\n" for row in block.reshape(T * F, -1))
    return T * F


def read_csv(path: str | os.PathLike) -> tuple[list[str], np.ndarray, list[str]]:
    """Read back a tidy CSV: (columns, numeric array of rows, direction per row). For tests and tools."""
    with open(path) as fh:
        columns = fh.readline().strip().split(",")
        directions, values = [], []
        for line in fh:
            cells = line.rstrip("\n").split(",")
            directions.append(cells[1])
            values.append([float(c) if c else np.nan for i, c in enumerate(cells) if i != 1])
    return columns, np.asarray(values, dtype=np.float64), directions
