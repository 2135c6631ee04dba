"""Shared fixtures of the export tests: small real traced models and image checks."""

from __future__ import annotations

import numpy as np


def small_model(cell: str = "lstm", units: int = 6, layers: int = 1, bidirectional: bool = False,
                input_size: int = 1, seed: int = 0):
    import torch

    from gateviz.core.model import RecurrentModel
    from gateviz.formats.torch_state import layers_from_module

    torch.manual_seed(seed)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    module = cls(input_size, units, num_layers=layers, bidirectional=bidirectional)
    return RecurrentModel(layers=layers_from_module(module), name=f"test-{cell}")


def small_trace(cell: str = "lstm", units: int = 6, steps: int = 12, **kw):
    from gateviz.core.engine import Tracer

    model = small_model(cell, units, **kw)
    seq = np.sin(np.linspace(0, 6, steps))[:, None].repeat(model.input_size, axis=1)
    return model, seq, Tracer(model).trace(seq)


def small_state(cell: str = "lstm", units: int = 6, steps: int = 12, step: int = 0):
    """A ViewState holding ``small_trace``'s trace, its cursor at ``step`` (needs a QApplication)."""
    from gateviz.ui.state import ViewState

    model, seq, trace = small_trace(cell, units, steps)
    state = ViewState()
    state.set_trace(model, trace, seq)
    state.set_step(step)
    return state


def image_array(path) -> np.ndarray:
    import imageio.v3 as iio

    return np.asarray(iio.imread(path))


def distinct_colours(rgb: np.ndarray) -> int:
    flat = rgb[..., :3].reshape(-1, 3)
    return len(np.unique(flat[:: max(1, len(flat) // 200000)], axis=0))
