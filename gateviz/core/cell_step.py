"""One step of any recurrent cell the engine knows, written once.

The engine's exact step loop (cells torch lacks: peepholes, clipping, coupled gates, GRU
reset-before, other activations) and the differentiable re-run behind their gradients
(``bptt.autograd_bptt``) both call it, so the numbers traced and the numbers differentiated
come from the same formulas (gate-conventions.md): a fix in one place is a fix in both.
"""

from __future__ import annotations

from typing import Callable

from torch import Tensor

from .model import RecurrentLayer


def _unchanged(name: str, value: Tensor) -> Tensor:
    return value


class CellStep:
    """``step(xt, h, c)`` for direction j of ``layer``: xt (N, G*H) the input part of the
    pre-activations (Wx x_t + bx, forget bias folded in), h (N, Hr), c (N, H) the previous state.
    Returns (h, c, gates) with gates named as the trace's quantities (h and c included)."""

    def __init__(self, layer: RecurrentLayer, j: int, w: dict[str, Tensor]):
        self.layer = layer
        self.H = layer.units
        phi, sigma = layer.activations(j)
        self.sig, self.act = sigma.torch, phi.torch
        self.out_act = layer.output_activation_of(j).torch if layer.cell == "lstm" else phi.torch  # h = o*ψ(c)
        self.clip = layer.gate_clip
        self.Wh, self.bh = w["Wh"], w["bh"]
        self.WhT = self.Wh.t()
        self.peep = w.get("peephole")
        self.Whr = w.get("Whr")

    def clipped(self, a: Tensor) -> Tensor:
        return a if self.clip is None else a.clamp(-self.clip, self.clip)

    def __call__(self, xt: Tensor, h: Tensor, c: Tensor,
                 c_hook: Callable[[Tensor], Tensor] | None = None,
                 edit: Callable[[str, Tensor], Tensor] | None = None) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """``c_hook`` sees the new cell state where it is formed (after clipping, before the output
        gate and h read it): the gradients add a probe there.

        ``edit(name, value) -> value`` (interventions, ``edits.DirectionEdits.editor``) replaces each
        quantity right after it is computed, before anything reads it: a gate before the cell
        update, c before the output peephole and h, h before the next step and the layer above.
        """
        layer, H, sig, act, clipped = self.layer, self.H, self.sig, self.act, self.clipped
        ed = edit if edit is not None else _unchanged
        if layer.cell == "rnn":
            h = ed("hidden_state", act(clipped(xt + h @ self.WhT + self.bh)))
            return h, c, {"hidden_state": h}
        if layer.cell == "gru":
            Wh, bh = self.Wh, self.bh
            rz_rec = h @ Wh[:2 * H].t() + bh[:2 * H]
            r = ed("reset_gate", sig(clipped(xt[:, :H] + rz_rec[:, :H])))
            z = ed("update_gate", sig(clipped(xt[:, H:2 * H] + rz_rec[:, H:])))
            if layer.reset_after:
                n = act(clipped(xt[:, 2 * H:] + r * (h @ Wh[2 * H:].t() + bh[2 * H:])))
            else:
                n = act(clipped(xt[:, 2 * H:] + (r * h) @ Wh[2 * H:].t() + bh[2 * H:]))
            n = ed("candidate", n)
            h = ed("hidden_state", z * h + (1 - z) * n)
            return h, c, {"reset_gate": r, "update_gate": z, "candidate": n, "hidden_state": h}
        peep = self.peep
        a = xt + h @ self.WhT + self.bh  # (N, 4H) blocks i, f, g, o
        ai, af, ag, ao = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        if peep is not None:
            ai = ai + peep[0] * c
            af = af + peep[1] * c
        i = ed("input_gate", sig(clipped(ai)))
        f = ed("forget_gate", 1 - i if layer.input_forget else sig(clipped(af)))
        g = ed("cell_candidate", act(clipped(ag)))
        c = f * c + i * g
        if layer.cell_clip is not None:
            c = c.clamp(-layer.cell_clip, layer.cell_clip)
        c = ed("cell_state", c)
        if c_hook is not None:
            c = c_hook(c)
        if peep is not None:
            ao = ao + peep[2] * c  # the output peephole looks at the new c
        o = ed("output_gate", sig(clipped(ao)))
        h = o * self.out_act(c)
        if self.Whr is not None:
            h = h @ self.Whr.t()
            if layer.proj_clip is not None:
                h = h.clamp(-layer.proj_clip, layer.proj_clip)
        h = ed("hidden_state", h)
        return h, c, {"input_gate": i, "forget_gate": f, "cell_candidate": g, "output_gate": o,
                      "cell_state": c, "hidden_state": h}
