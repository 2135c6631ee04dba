"""Run a unidirectional model one step at a time, keeping its state (for autoregressive rollouts).

Re-tracing a growing sequence costs a whole trace per generated value; stepping costs
a few tiny matmuls. Covers the cells gateviz trains (LSTM, GRU with reset before or
after, tanh/relu RNN, standard activations, a forget bias); ``Stepper.supports`` says
when a model needs the (exact, slower) re-tracing path instead. Float64 numpy, equations
of gate-conventions.md.
"""

from __future__ import annotations

import numpy as np

from ..core.model import RecurrentLayer, RecurrentModel


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # overflow-free logistic


def _simple(layer: RecurrentLayer) -> bool:
    if len(layer.directions) != 1 or layer.directions[0].reverse:
        return False
    if layer.has_peepholes or layer.proj_size or layer.cell_clip is not None or layer.gate_clip is not None:
        return False
    if layer.input_forget or layer.proj_clip is not None:
        return False
    if layer.cell == "lstm" and layer.output_activation_of(0) != layer.activation:
        return False  # h = o*ψ(c) with a ψ of its own (ONNX)
    if layer.cell == "rnn":
        return layer.activation.name in ("tanh", "relu")
    return layer.activation.name == "tanh" and layer.recurrent_activation.name == "sigmoid"


class Stepper:
    """``reset(n)``, then ``step(x)`` with x (n, features) -> the head's output (n, out)."""

    @staticmethod
    def supports(model: RecurrentModel) -> bool:
        return (model.head is not None and model.input.kind == "raw" and all(_simple(l) for l in model.layers))

    def __init__(self, model: RecurrentModel):
        self.model = model
        self.weights = []
        for layer in model.layers:
            d = layer.directions[0]
            bx = d.bx.astype(np.float64).copy()
            if layer.cell == "lstm" and layer.forget_bias:
                bx[layer.units:2 * layer.units] += layer.forget_bias
            self.weights.append((d.Wx.astype(np.float64).T, d.Wh.astype(np.float64).T, bx, d.bh.astype(np.float64)))
        head = model.head
        self.head_w = head.weight.astype(np.float64).T  # (in, out)
        self.head_b = None if head.bias is None else head.bias.astype(np.float64)
        self.reset(1)

    def reset(self, n: int) -> None:
        self.h = [np.zeros((n, layer.units)) for layer in self.model.layers]
        self.c = [np.zeros((n, layer.units)) for layer in self.model.layers]

    def step(self, x: np.ndarray) -> np.ndarray:
        inp = np.asarray(x, dtype=np.float64)  # (n, F)
        for k, layer in enumerate(self.model.layers):
            WxT, WhT, bx, bh = self.weights[k]
            H, h = layer.units, self.h[k]
            xs = inp @ WxT + bx  # (n, G*H)
            if layer.cell == "lstm":
                a = xs + h @ WhT + bh
                i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
                g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
                self.c[k] = f * self.c[k] + i * g
                h = o * np.tanh(self.c[k])
            elif layer.cell == "gru":
                rec = h @ WhT[:, :2 * H] + bh[:2 * H]
                r, z = _sigmoid(xs[:, :H] + rec[:, :H]), _sigmoid(xs[:, H:2 * H] + rec[:, H:])
                if layer.reset_after:
                    n = np.tanh(xs[:, 2 * H:] + r * (h @ WhT[:, 2 * H:] + bh[2 * H:]))
                else:
                    n = np.tanh(xs[:, 2 * H:] + (r * h) @ WhT[:, 2 * H:] + bh[2 * H:])
                h = z * h + (1 - z) * n
            else:
                a = xs + h @ WhT + bh
                h = np.tanh(a) if layer.activation.name == "tanh" else np.maximum(a, 0.0)
            self.h[k] = h
            inp = h
        y = inp @ self.head_w
        if self.head_b is not None:
            y = y + self.head_b
        act = self.model.head.activation
        if act == "sigmoid":
            y = _sigmoid(y)
        elif act == "softmax":
            e = np.exp(y - y.max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        elif act == "tanh":
            y = np.tanh(y)
        elif act == "relu":
            y = np.maximum(y, 0.0)
        return y
