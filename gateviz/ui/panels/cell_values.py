"""What the cell diagram reads from the trace besides the gates: the layer's input at each step, an
RNN's pre-activation split into what comes from x_t and from h_{t−1}, numbers as it prints them
and the title's words (QtCore only, for translation).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication

from gateviz.core.nonfinite import max_abs_finite

from . import notation
from .common import direction_name

translate = QCoreApplication.translate


def fmt(v: float) -> str:
    """A value as the diagram prints it: two decimals, a true minus sign, never "−0.00"; a NaN or an
    infinite value says so ("NaN", "+inf", "−inf") instead of passing for a number."""
    if v is None:
        return "—"
    if not np.isfinite(v):
        return "NaN" if np.isnan(v) else ("+inf" if v > 0 else "−inf")
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text.replace("-", "−")


def widest_value(limit: float) -> str:
    """The widest number a value within ±limit prints as (digits are equally wide)."""
    return fmt(-abs(limit)) if np.isfinite(limit) else "−0.00"


def layer_inputs(state) -> np.ndarray | None:
    """(T, features) the current layer read at each step (None when they cannot be rebuilt)."""
    T = state.trace.length
    if state.layer == 0:
        x = state.trace.inputs
        return None if x is None else np.asarray(x, dtype=np.float64).reshape(T, -1)
    below = state.model.layers[state.layer - 1]
    hs = [state.trace.get(state.layer - 1, d, "hidden_state") for d in below.direction_names()]
    if len(hs) == 1:
        return hs[0]
    a, b = hs
    return {"concat": lambda: np.concatenate([a, b], axis=1), "sum": lambda: a + b, "mul": lambda: a * b,
            "ave": lambda: (a + b) / 2}[below.merge]()


def rnn_contributions(state, u: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(T,) each: unit u's RNN pre-activation split into W x_t + b_x and U h_{t−1} + b_h (from the weights)."""
    if state.model is None or state.trace.meta.get("encoder_steps"):
        return None  # a decoder traced with its encoder: its encoder's steps ran on other weights
    try:
        layer = state.model.layers[state.layer]
        d = layer.directions[layer.direction_names().index(state.direction)]
        x = layer_inputs(state)
        if x is None:
            return None
        h = np.asarray(state.quantity("hidden_state"), dtype=np.float64)  # (T, units)
        h_prev = np.zeros_like(h)
        if state.direction == "backward":
            h_prev[:-1] = h[1:]
        else:
            h_prev[1:] = h[:-1]
        from_x = x @ np.asarray(d.Wx[u], dtype=np.float64) + float(d.bx[u])
        from_h = h_prev @ np.asarray(d.Wh[u], dtype=np.float64) + float(d.bh[u])
    except (IndexError, KeyError, ValueError):
        return None
    return from_x, from_h


def input_label(state, step: int) -> str:
    """What the diagram writes for x_t: the character of a text, up to three values, or the input's size."""
    seq = state.sequence
    if isinstance(seq, str) and step < len(seq):
        return f"x_t = '{notation.escape(_visible(seq[step]))}'"
    x = state.trace.inputs
    if x is None:
        return "x_t"
    if state.layer > 0:
        return translate("CellDiagram", "x_t = h_t of layer {layer}").format(layer=state.layer - 1)
    row = np.asarray(x).reshape(state.trace.length, -1)[step]
    if state.trace.meta.get("input_names"):  # an encoder's and a decoder's features side by side: this step's own
        row = row[~np.isnan(row)]
    if row.size <= 3:
        return "x_t = (" + ", ".join(fmt(float(a)) for a in row) + ")" if row.size > 1 else f"x_t = {fmt(float(row[0]))}"
    return f"x_t ∈ ℝ{_superscript(row.size)}"


def input_template(state, width) -> str:
    """The widest input label over the whole sequence; ``width(markup)`` measures a text."""
    seq = state.sequence
    if isinstance(seq, str) and seq:
        chars = {notation.escape(_visible(ch)) for ch in set(seq)}
        return "x_t = '" + max(chars, key=width) + "'"
    x = state.trace.inputs
    if x is None or state.layer > 0:
        return input_label(state, 0)
    rows = np.asarray(x).reshape(state.trace.length, -1)
    if rows.shape[1] > 3:
        return input_label(state, 0)
    widest = [widest_value(max_abs_finite(col)) if col.size else "0.00" for col in rows.T]
    return "x_t = (" + ", ".join(widest) + ")" if len(widest) > 1 else f"x_t = {widest[0]}"


def _visible(ch: str) -> str:
    """A character of a text input as the diagram shows it (whitespace made visible)."""
    return {"\n": "↵", " ": "␣", "\t": "→"}.get(ch, ch)


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def ENCODER() -> str:  # noqa: N802 (read as a constant)
    return translate("CellDiagram", " (encoder)")


def DECODER() -> str:  # noqa: N802
    return translate("CellDiagram", " (decoder)")


def MASKED() -> str:  # noqa: N802
    return translate("CellDiagram", " (masked)")


def where_label(state, unit: int, step: str, part: str) -> str:
    """The title's right side: 'layer 0 · forward · unit 8 · step 12 (masked)'."""
    return translate("CellDiagram", "layer {layer} · {direction} · unit {unit} · step {step}").format(
        layer=state.layer, direction=direction_name(state.direction), unit=unit, step=step) + part

