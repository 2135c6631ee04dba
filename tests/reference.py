"""A plain numpy, step-by-step reference of gate-conventions.md §0, and random test models.

Deliberately naive (one Python iteration per step, float64 by default, no torch) so that
it is easy to check against the equations by eye; the engine is tested against it for
everything torch's fused modules cannot do (peepholes, clips, forget_bias, GRU
reset-before, hard_sigmoid, coupled gates).
"""

from __future__ import annotations

import numpy as np

from gateviz.core.activations import Activation
from gateviz.core.model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel


# --------------------------------------------------------------------------- reference


def _clip(a, limit):
    return a if limit is None else np.clip(a, -limit, limit)


def reference_direction(layer: RecurrentLayer, d: DirectionWeights, x: np.ndarray) -> dict[str, np.ndarray]:
    """x (T, I) -> quantity -> (T, units), time-aligned (a backward direction runs from the end)."""
    T = x.shape[0]
    H, Hr = layer.units, layer.hidden_size
    j = next(j for j, e in enumerate(layer.directions) if e is d)
    phi, sigma = layer.activations(j)  # a direction may override the layer's
    sig, act = sigma.numpy, phi.numpy
    out_act = layer.output_activation_of(j).numpy  # LSTM h = o*ψ(c), ψ = φ unless set apart (ONNX's h)
    clip = layer.gate_clip
    Wx, Wh, bx, bh = (np.asarray(a, dtype=np.float64) for a in (d.Wx, d.Wh, d.bx, d.bh))
    h, c = np.zeros(Hr), np.zeros(H)
    names = {"lstm": ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell_state", "hidden_state"),
             "gru": ("reset_gate", "update_gate", "candidate", "hidden_state"),
             "rnn": ("hidden_state",)}[layer.cell]
    out = {n: np.zeros((T, Hr if n == "hidden_state" else H)) for n in names}
    steps = range(T - 1, -1, -1) if d.reverse else range(T)
    for t in steps:
        xt = x[t]
        if layer.cell == "rnn":
            h = act(_clip(Wx @ xt + bx + Wh @ h + bh, clip))
            out["hidden_state"][t] = h
            continue
        if layer.cell == "gru":
            ax = Wx @ xt + bx
            r = sig(_clip(ax[:H] + Wh[:H] @ h + bh[:H], clip))
            z = sig(_clip(ax[H:2 * H] + Wh[H:2 * H] @ h + bh[H:2 * H], clip))
            if layer.reset_after:
                n = act(_clip(ax[2 * H:] + r * (Wh[2 * H:] @ h + bh[2 * H:]), clip))
            else:
                n = act(_clip(ax[2 * H:] + Wh[2 * H:] @ (r * h) + bh[2 * H:], clip))
            h = z * h + (1 - z) * n
            out["reset_gate"][t], out["update_gate"][t], out["candidate"][t], out["hidden_state"][t] = r, z, n, h
            continue
        a = Wx @ xt + bx + Wh @ h + bh
        ai, af, ag, ao = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        p = None if d.peephole is None else np.asarray(d.peephole, dtype=np.float64)
        if p is not None:
            ai = ai + p[0] * c
            af = af + p[1] * c
        af = af + layer.forget_bias
        i = sig(_clip(ai, clip))
        f = 1 - i if layer.input_forget else sig(_clip(af, clip))
        g = act(_clip(ag, clip))
        c = f * c + i * g
        c = _clip(c, layer.cell_clip)
        if p is not None:
            ao = ao + p[2] * c
        o = sig(_clip(ao, clip))
        h = o * out_act(c)
        if d.Whr is not None:
            h = _clip(np.asarray(d.Whr, dtype=np.float64) @ h, layer.proj_clip)
        for n, v in zip(names, (i, f, g, o, c, h)):
            out[n][t] = v
    return out


def reference_trace(model: RecurrentModel, x: np.ndarray) -> dict[tuple[int, str], dict[str, np.ndarray]]:
    """Features (T, F) -> {(layer, direction): {quantity: (T, units)}} in float64."""
    x = np.asarray(x, dtype=np.float64)
    result = {}
    for k, layer in enumerate(model.layers):
        hs = []
        for d, name in zip(layer.directions, layer.direction_names()):
            q = reference_direction(layer, d, x)
            result[(k, name)] = q
            hs.append(q["hidden_state"])
        if len(hs) == 1:
            x = hs[0]
        elif layer.merge == "concat":
            x = np.concatenate(hs, axis=1)
        elif layer.merge == "sum":
            x = hs[0] + hs[1]
        elif layer.merge == "mul":
            x = hs[0] * hs[1]
        else:
            x = (hs[0] + hs[1]) / 2
    return result


# --------------------------------------------------------------------------- random models


def random_layer(rng: np.random.Generator, cell: str, units: int, input_size: int, *, bidirectional=False,
                 dtype=np.float32, scale=0.5, peepholes=False, proj_size=None, backward_only=False,
                 **options) -> RecurrentLayer:
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    Hr = proj_size or units
    revs = [False, True] if bidirectional else [backward_only]

    def w(*shape):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    directions = [DirectionWeights(Wx=w(G * units, input_size), Wh=w(G * units, Hr), bx=w(G * units),
                                   bh=w(G * units), peephole=w(3, units) if peepholes else None,
                                   Whr=w(proj_size, units) if proj_size else None, reverse=rev)
                  for rev in revs]
    for key in ("activation", "recurrent_activation"):
        if isinstance(options.get(key), str):
            options[key] = Activation(options[key])
    return RecurrentLayer(cell=cell, units=units, input_size=input_size, directions=directions, **options)


def random_model(seed: int = 0, cell: str = "lstm", units=(8,), input_size: int = 3, *, dtype=np.float32,
                 bidirectional=False, head_out: int | None = None, head_activation="identity",
                 head_on="every_step", merge="concat", **layer_options) -> RecurrentModel:
    rng = np.random.default_rng(seed)
    layers = []
    size = input_size
    for H in units:
        layer = random_layer(rng, cell, H, size, bidirectional=bidirectional, dtype=dtype, merge=merge,
                             **layer_options)
        layers.append(layer)
        size = layer.output_size
    head = None
    if head_out:
        head = Head(weight=(rng.standard_normal((head_out, size)) * 0.5).astype(dtype),
                    bias=(rng.standard_normal(head_out) * 0.1).astype(dtype), activation=head_activation,
                    on=head_on)
    return RecurrentModel(layers=layers, input=InputStage("raw", features=input_size), head=head,
                          name=f"random-{cell}").validate()
