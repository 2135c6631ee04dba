"""A plain step-by-step reference of interventions, written with torch ops (issue 13).

One Python iteration per step, float64, one sequence, the equations of gate-conventions.md
written out again (not the engine's CellStep), and each intervention applied where the issue
says: a gate right after it is computed, c after the update (h reads the replaced c), h before
it feeds the next step, the layer above and the head. Deliberately naive, to be checked by eye.
"""

from __future__ import annotations

import numpy as np
import torch

from gateviz.core.interventions import Intervention

def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _replace(value: torch.Tensor, name: str, step: int, ivs: list[Intervention]) -> torch.Tensor:
    """Apply every intervention on ``name`` that covers ``step``, in order."""
    for iv in ivs:
        if iv.quantity != name:
            continue
        start = 0 if iv.start is None else iv.start
        stop = 10 ** 9 if iv.stop is None else iv.stop
        if not start <= step < stop:
            continue
        value = value.clone()
        idx = list(range(value.shape[0])) if iv.units is None else list(iv.units)
        for u in idx:
            if iv.op == "set":
                value[u] = iv.value
            elif iv.op == "scale":
                value[u] = value[u] * iv.value
            else:
                value[u] = value[u] + iv.value
    return value


def reference_direction(layer, j: int, x: torch.Tensor, ivs: list[Intervention]) -> dict[str, torch.Tensor]:
    d = layer.directions[j]
    T = x.shape[0]
    H, Hr = layer.units, layer.hidden_size
    phi, sigma = layer.activations(j)
    act, sig = phi.torch, sigma.torch  # the activation functions themselves (activations.py)
    clip = (lambda a: a) if layer.gate_clip is None else (lambda a: a.clamp(-layer.gate_clip, layer.gate_clip))
    Wx, Wh, bx, bh = _t(d.Wx), _t(d.Wh), _t(d.bx), _t(d.bh)
    h, c = torch.zeros(Hr, dtype=torch.float64), torch.zeros(H, dtype=torch.float64)
    out: dict[str, list] = {}

    def keep(**values):
        for k, v in values.items():
            out.setdefault(k, [None] * T)[t] = v

    steps = range(T - 1, -1, -1) if d.reverse else range(T)
    for t in steps:
        ax = Wx @ x[t] + bx
        if layer.cell == "rnn":
            h = _replace(act(clip(ax + Wh @ h + bh)), "hidden_state", t, ivs)
            keep(hidden_state=h)
            continue
        if layer.cell == "gru":
            r = _replace(sig(clip(ax[:H] + Wh[:H] @ h + bh[:H])), "reset_gate", t, ivs)
            z = _replace(sig(clip(ax[H:2 * H] + Wh[H:2 * H] @ h + bh[H:2 * H])), "update_gate", t, ivs)
            if layer.reset_after:
                n = act(clip(ax[2 * H:] + r * (Wh[2 * H:] @ h + bh[2 * H:])))
            else:
                n = act(clip(ax[2 * H:] + Wh[2 * H:] @ (r * h) + bh[2 * H:]))
            n = _replace(n, "candidate", t, ivs)
            h = _replace(z * h + (1 - z) * n, "hidden_state", t, ivs)
            keep(reset_gate=r, update_gate=z, candidate=n, hidden_state=h)
            continue
        a = ax + Wh @ h + bh
        ai, af, ag, ao = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        p = None if d.peephole is None else _t(d.peephole)
        if p is not None:
            ai = ai + p[0] * c
            af = af + p[1] * c
        af = af + layer.forget_bias
        i = _replace(sig(clip(ai)), "input_gate", t, ivs)
        f = _replace(1 - i if layer.input_forget else sig(clip(af)), "forget_gate", t, ivs)
        g = _replace(act(clip(ag)), "cell_candidate", t, ivs)
        c = f * c + i * g
        if layer.cell_clip is not None:
            c = c.clamp(-layer.cell_clip, layer.cell_clip)
        c = _replace(c, "cell_state", t, ivs)
        if p is not None:
            ao = ao + p[2] * c
        o = _replace(sig(clip(ao)), "output_gate", t, ivs)
        h = o * act(c)
        if d.Whr is not None:
            h = _t(d.Whr) @ h
            if layer.proj_clip is not None:
                h = h.clamp(-layer.proj_clip, layer.proj_clip)
        h = _replace(h, "hidden_state", t, ivs)
        keep(input_gate=i, forget_gate=f, cell_candidate=g, output_gate=o, cell_state=c, hidden_state=h)
    return {k: torch.stack(v) for k, v in out.items()}


def reference_with_interventions(model, x, interventions) -> tuple[dict, np.ndarray | None]:
    """Features (T, F) -> ({(layer, direction): {quantity: (T, units)}}, head output or None), float64."""
    states, output = reference_tensors(model, _t(x), interventions)
    return ({key: {n: v.detach().numpy() for n, v in q.items()} for key, q in states.items()},
            None if output is None else output.detach().numpy())


def reference_tensors(model, x: torch.Tensor, interventions) -> tuple[dict, torch.Tensor | None]:
    """The same as tensors, differentiable (x (T, F) float64 may require grad)."""
    ivs = [iv if isinstance(iv, Intervention) else Intervention.parse(iv) for iv in interventions]
    states = {}
    hs = []
    for k, layer in enumerate(model.layers):
        hs = []
        for j, name in enumerate(layer.direction_names()):
            q = reference_direction(layer, j, x, [iv for iv in ivs if (iv.layer, iv.direction) == (k, name)])
            states[(k, name)] = q
            hs.append(q["hidden_state"])
        x = _merge(layer.merge, hs)
    head = model.head
    output = None
    if head is not None:
        last = model.layers[-1]
        if head.on != "every_step" and (len(last.directions) > 1 or last.directions[0].reverse):
            finals = [h[0] if d.reverse else h[-1] for h, d in zip(hs, last.directions)]
            feats = _merge(last.merge, [f[None] for f in finals])
        else:
            feats = x
        y = feats @ _t(head.weight).T
        if head.bias is not None:
            y = y + _t(head.bias)
        y = {"softmax": lambda v: torch.softmax(v, -1), "sigmoid": torch.sigmoid, "tanh": torch.tanh,
             "relu": torch.relu}.get(head.activation, lambda v: v)(y)
        output = y
    return states, output


def _merge(mode: str, hs: list[torch.Tensor]) -> torch.Tensor:
    if len(hs) == 1:
        return hs[0]
    a, b = hs
    return {"concat": lambda: torch.cat([a, b], -1), "sum": lambda: a + b, "mul": lambda: a * b,
            "ave": lambda: (a + b) / 2}[mode]()
