"""Independent references for gradients through time (issue 12), written without gateviz's backward.

Three of them, each computing the same target y (the definitions of ``gateviz.core.gradients``):

* ``cell_loop_reference``: torch autograd over a per-step loop of torch.nn.GRUCell/RNNCell (the
  same weights as the nn.GRU/nn.RNN they come from) or the documented nn.LSTM equations in torch
  ops (an LSTMCell returns h and c from one fused op, so autograd could not give the *total*
  dy/dc_t, which includes the path c_t -> h_t). Every h_t and c_t is a tensor of the graph, so
  ``torch.autograd.grad`` w.r.t. it is the total derivative through every later step and every
  upper layer.
* ``native_input_grad`` / ``native_state_grads``: the framework's own fused modules. dy/dx_t is
  autograd on the whole nn.LSTM/GRU/RNN. dy/dh_t of layer k, direction d, step t: layer k runs
  natively in two pieces, 0..t and t+1..T−1, the second starting from leaves (h_t, c_t); h_t is
  also what the layers above read at t. So dy/d(h leaf) is the total dy/dh_t, and dy/d(c leaf)
  the derivative through c_{t+1} only (the path through h_t is already in the h leaf).
* ``StepReference``: a float64 numpy forward of any RecurrentModel (peepholes, clips, coupled
  gates, reset-before GRU, other activations, merge modes, heads) that adds a perturbation to any
  h_t / c_t / x_t, batched so that central differences of every entry cost one forward. It
  records how close any input of a piecewise function (clip, relu, hard sigmoid) came to a kink,
  so a test can show that its finite differences never straddle one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gateviz.core.model import RecurrentModel

DIRS = ("forward", "backward")


@dataclass
class RefGradients:
    y: float
    hidden: dict[tuple[int, str], np.ndarray]  # (T, Hr) total dy/dh_t, time-aligned
    cell: dict[tuple[int, str], np.ndarray]  # LSTM: (T, H) total dy/dc_t
    cell_next: dict[tuple[int, str], np.ndarray]  # LSTM: (T, H) dy/dc_t through c_{t+1} only
    input: np.ndarray  # (T, F)
    outputs: dict[tuple[int, str], np.ndarray]  # the forward's h (T, Hr), to check it against the module


# --------------------------------------------------------------------------- target definitions


def head_target(features: torch.Tensor, head: torch.nn.Linear | None, activation: str,
                output: int | None) -> torch.Tensor:
    """y from what the head (or, without one, the target) reads at t*: features (D*Hr,)."""
    if head is None:
        return features.sum()
    z = head(features)
    if activation == "softmax":
        logp = torch.log_softmax(z, dim=-1)
        k = int(torch.argmax(z)) if output is None else output  # the predicted class at t*
        return logp[k]
    act = {"identity": lambda a: a, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    a = act(z)
    return a.sum() if output is None else a[output]


def _module_weights(mod, k: int, reverse: bool) -> dict[str, torch.Tensor]:
    sfx = f"_l{k}" + ("_reverse" if reverse else "")
    w = {name: getattr(mod, name + sfx) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
         if hasattr(mod, name + sfx)}
    return {name: t.detach() for name, t in w.items()}


def _cell_module(mod, w: dict[str, torch.Tensor]):
    """A GRUCell / RNNCell carrying one direction's weights (None for an LSTM: equations below)."""
    bias = "bias_ih" in w
    I, H = w["weight_ih"].shape[1], mod.hidden_size
    if isinstance(mod, torch.nn.GRU):
        cell = torch.nn.GRUCell(I, H, bias=bias, dtype=w["weight_ih"].dtype)
    elif isinstance(mod, torch.nn.RNN):
        cell = torch.nn.RNNCell(I, H, bias=bias, nonlinearity=mod.nonlinearity, dtype=w["weight_ih"].dtype)
    else:
        return None
    with torch.no_grad():
        for name, t in w.items():
            getattr(cell, name).copy_(t)
    return cell


def _lstm_step(w, x, h, c):
    """nn.LSTM's documented step (i, f, g, o; an optional projection h = W_hr (o ⊙ tanh c))."""
    gates = F.linear(x, w["weight_ih"], w.get("bias_ih")) + F.linear(h, w["weight_hh"], w.get("bias_hh"))
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return c, torch.sigmoid(o)


def cell_loop_reference(mod, x, *, head: torch.nn.Linear | None = None, head_activation: str = "identity",
                        step: int | None = None, output: int | None = None,
                        unit: tuple[int, str, int] | None = None) -> RefGradients:
    """Gradients of y for one sequence x (T, F) through a step loop with ``mod``'s weights.

    y: ``unit`` (layer, direction, u): h_t*[u]; else the head at t* on the top layer's concatenated
    output (``head_target``), or its sum without a head.
    """
    dtype = mod.weight_ih_l0.dtype
    xs = torch.as_tensor(np.asarray(x), dtype=dtype).clone().requires_grad_(True)
    T = xs.shape[0]
    step = T - 1 if step is None else step % T
    D = 2 if mod.bidirectional else 1
    is_lstm = isinstance(mod, torch.nn.LSTM)
    layer_in = [xs[t] for t in range(T)]
    hs: dict[tuple[int, str], list] = {}
    cs: dict[tuple[int, str], list] = {}
    c_next: dict[tuple[int, str], list] = {}
    for k in range(mod.num_layers):
        for j in range(D):
            name = DIRS[j]
            w = _module_weights(mod, k, reverse=j == 1)
            cell = _cell_module(mod, w)
            Hr = w["weight_hh"].shape[1]
            h = torch.zeros(Hr, dtype=dtype)
            c = torch.zeros(mod.hidden_size, dtype=dtype)
            hs[(k, name)], cs[(k, name)], c_next[(k, name)] = [None] * T, [None] * T, [None] * T
            for t in (range(T - 1, -1, -1) if j == 1 else range(T)):
                if is_lstm:
                    c_t, o = _lstm_step(w, layer_in[t], h, c)
                    h = o * torch.tanh(c_t)
                    if "weight_hr" in w:
                        h = F.linear(h, w["weight_hr"])
                    c = c_t * 1.0  # a separate node: its gradient is the path through c_{t+1} alone
                    cs[(k, name)][t], c_next[(k, name)][t] = c_t, c
                else:
                    h = cell(layer_in[t][None], h[None])[0]
                hs[(k, name)][t] = h
        layer_in = [torch.cat([hs[(k, DIRS[j])][t] for j in range(D)]) for t in range(T)]
    if unit is not None:
        uk, ud, uu = unit
        y = hs[(uk, ud)][step][uu]
    else:
        y = head_target(layer_in[step], head, head_activation, output)
    keys = list(hs)
    tensors = [xs] + [a for key in keys for a in hs[key]]
    if is_lstm:
        tensors += [a for key in keys for a in cs[key]] + [a for key in keys for a in c_next[key]]
    grads = torch.autograd.grad(y, tensors, allow_unused=True)

    def stack(gs, of, like):  # None: y does not depend on that tensor
        return np.stack([np.zeros(tuple(a.shape), dtype=like) if g is None else g.detach().numpy()
                         for g, a in zip(gs, of)])

    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    out = RefGradients(y=float(y.detach()), hidden={}, cell={}, cell_next={},
                       input=grads[0].detach().numpy().copy(), outputs={})
    n = 1
    for target_dict, source in ((out.hidden, hs),) + (((out.cell, cs), (out.cell_next, c_next)) if is_lstm else ()):
        for key in keys:
            target_dict[key] = stack(grads[n:n + T], source[key], np_dtype)
            n += T
    out.outputs = {key: torch.stack(hs[key]).detach().numpy() for key in keys}
    return out


# --------------------------------------------------------------------------- torch's fused modules


def one_direction(mod, k: int, reverse: bool):
    """A 1-layer, 1-direction copy of direction ``reverse`` of layer k of ``mod`` (same weights)."""
    w = _module_weights(mod, k, reverse)
    I = w["weight_ih"].shape[1]
    kw = dict(input_size=I, hidden_size=mod.hidden_size, num_layers=1, bias="bias_ih" in w,
              dtype=w["weight_ih"].dtype)
    if isinstance(mod, torch.nn.LSTM):
        one = torch.nn.LSTM(proj_size=mod.proj_size, **kw)
    elif isinstance(mod, torch.nn.GRU):
        one = torch.nn.GRU(**kw)
    else:
        one = torch.nn.RNN(nonlinearity=mod.nonlinearity, **kw)
    one.load_state_dict({f"{name}_l0": t for name, t in w.items()})
    return one.eval()


def _layer_out(mod, k: int, x: torch.Tensor) -> torch.Tensor:
    """Layer k of ``mod`` natively on x (T, I) -> (T, D*Hr) (directions concatenated, time-aligned)."""
    outs = [one_direction(mod, k, False)(x[:, None])[0][:, 0]]
    if mod.bidirectional:
        outs.append(one_direction(mod, k, True)(x.flip(0)[:, None])[0][:, 0].flip(0))
    return torch.cat(outs, dim=-1)


def native_input_grad(mod, x, *, head=None, head_activation="identity", step=None, output=None):
    """(y, dy/dx (T, F), the module's output (T, D*Hr)) by autograd on the whole fused module."""
    dtype = mod.weight_ih_l0.dtype
    xs = torch.as_tensor(np.asarray(x), dtype=dtype).clone().requires_grad_(True)
    T = xs.shape[0]
    step = T - 1 if step is None else step % T
    out = mod(xs[:, None])[0][:, 0]  # (T, D*Hr)
    y = head_target(out[step], head, head_activation, output)
    (g,) = torch.autograd.grad(y, [xs])
    return float(y.detach()), g.numpy(), out.detach().numpy()


def native_state_grads(mod, x, *, head=None, head_activation="identity", step=None, output=None):
    """(hidden, cell_next): dy/dh_t (total) and dy/dc_t through c_{t+1} (LSTM) for every layer,
    direction and step, each from one run of torch's fused modules split at t (see the module doc)."""
    dtype = mod.weight_ih_l0.dtype
    xs = torch.as_tensor(np.asarray(x), dtype=dtype)
    T = xs.shape[0]
    step = T - 1 if step is None else step % T
    D = 2 if mod.bidirectional else 1
    is_lstm = isinstance(mod, torch.nn.LSTM)
    with torch.no_grad():
        inputs, out_k = [xs], None
        for k in range(mod.num_layers):
            out_k = _layer_out(mod, k, inputs[-1])
            inputs.append(out_k)
    hidden, cell_next = {}, {}
    for k in range(mod.num_layers):
        X = inputs[k]
        full = inputs[k + 1]
        Hr = full.shape[1] // D
        for j in range(D):
            one = one_direction(mod, k, reverse=j == 1)
            Xp = X.flip(0) if j == 1 else X  # processing order
            gh = np.zeros((T, Hr), dtype=full.numpy().dtype)
            gc = np.zeros((T, mod.hidden_size), dtype=full.numpy().dtype)
            for t in range(T):
                p = T - 1 - t if j == 1 else t
                with torch.no_grad():
                    out1, state = one(Xp[:p + 1, None])
                hv = (state[0] if is_lstm else state).detach().clone().requires_grad_(True)  # (1, 1, Hr)
                cv = state[1].detach().clone().requires_grad_(True) if is_lstm else None
                parts = [out1[:p, 0], hv[0]]
                if p + 1 < T:
                    out2 = one(Xp[p + 1:, None], (hv, cv) if is_lstm else hv)[0][:, 0]
                    parts.append(out2)
                seq = torch.cat(parts)  # (T, Hr) processing order
                seq = seq.flip(0) if j == 1 else seq
                mine = torch.cat([seq if jj == j else full[:, jj * Hr:(jj + 1) * Hr] for jj in range(D)], dim=-1)
                h_in = mine
                for kk in range(k + 1, mod.num_layers):
                    h_in = _layer_out(mod, kk, h_in)
                y = head_target(h_in[step], head, head_activation, output)
                leaves = [hv] + ([cv] if is_lstm else [])
                grads = torch.autograd.grad(y, leaves, allow_unused=True)
                if grads[0] is not None:
                    gh[t] = grads[0].reshape(-1).numpy()
                if is_lstm and grads[1] is not None:
                    gc[t] = grads[1].reshape(-1).numpy()
            hidden[(k, DIRS[j])] = gh
            if is_lstm:
                cell_next[(k, DIRS[j])] = gc
    return hidden, cell_next


# --------------------------------------------------------------------------- float64 step reference


class StepReference:
    """A float64, batched numpy forward of a RecurrentModel that can perturb any h_t, c_t or x_t.

    ``run(x, add)``: x (B, T, F); add maps (layer, direction, "h"|"c") to (B, T, units) arrays added
    to h_t (after a projection and its clip) or c_t (after cell_clip) the moment they are computed,
    so every later use (the next step, peepholes, h_t = o⊙φ(c_t), the layer above, the head) sees the
    perturbed value. ``min_kink``: the smallest distance of any input of a piecewise-linear function
    (clip, relu, hard sigmoid) from its kink, over all runs since the last reset.
    """

    def __init__(self, model: RecurrentModel):
        self.model = model
        self.min_kink = np.inf

    # ---- piecewise functions, watched
    def _watch(self, a, kinks):
        for kink in kinks:
            self.min_kink = min(self.min_kink, float(np.min(np.abs(a - kink))))

    def _clip(self, a, limit):
        if limit is None:
            return a
        self._watch(a, (-limit, limit))
        return np.clip(a, -limit, limit)

    def _act(self, activation, a):
        n, al, be = activation.name, activation.alpha, activation.beta
        if n in ("relu", "leaky_relu"):
            self._watch(a, (0.0,))
        elif n == "hard_sigmoid":
            self._watch(a, (-be / al, (1 - be) / al))
        elif n == "thresholded_relu":
            self._watch(a, (al,))
        return activation.numpy(a)

    # ---- the forward
    def _direction(self, layer, j, x, add_h, add_c):
        """x (B, T, I) -> {"h": (B, T, Hr), "c": (B, T, H)} time-aligned."""
        d = layer.directions[j]
        phi, sigma = layer.activations(j)
        B, T, _ = x.shape
        H = layer.units
        Wx, Wh, bx, bh = (np.asarray(a, dtype=np.float64) for a in (d.Wx, d.Wh, d.bx, d.bh))
        ax = x @ Wx.T + bx + bh  # (B, T, G*H); bh is added to every block except a reset-after GRU's n
        if layer.cell == "gru" and layer.reset_after:
            ax[..., 2 * H:] -= bh[2 * H:]
        h = np.zeros((B, layer.hidden_size))
        c = np.zeros((B, H))
        hs = np.zeros((B, T, layer.hidden_size))
        cs = np.zeros((B, T, H))
        clip = layer.gate_clip
        for t in (range(T - 1, -1, -1) if d.reverse else range(T)):
            a = ax[:, t]
            if layer.cell == "rnn":
                h = self._act(phi, self._clip(a + h @ Wh.T, clip))
            elif layer.cell == "gru":
                r = self._act(sigma, self._clip(a[:, :H] + h @ Wh[:H].T, clip))
                z = self._act(sigma, self._clip(a[:, H:2 * H] + h @ Wh[H:2 * H].T, clip))
                if layer.reset_after:
                    pre = a[:, 2 * H:] + r * (h @ Wh[2 * H:].T + bh[2 * H:])
                else:
                    pre = a[:, 2 * H:] + (r * h) @ Wh[2 * H:].T
                n = self._act(phi, self._clip(pre, clip))
                h = z * h + (1 - z) * n
            else:
                a = a + h @ Wh.T
                ai, af, ag, ao = a[:, :H], a[:, H:2 * H] + layer.forget_bias, a[:, 2 * H:3 * H], a[:, 3 * H:]
                p = None if d.peephole is None else np.asarray(d.peephole, dtype=np.float64)
                if p is not None:
                    ai, af = ai + p[0] * c, af + p[1] * c
                i = self._act(sigma, self._clip(ai, clip))
                f = 1 - i if layer.input_forget else self._act(sigma, self._clip(af, clip))
                g = self._act(phi, self._clip(ag, clip))
                c = self._clip(f * c + i * g, layer.cell_clip)
                if add_c is not None:
                    c = c + add_c[:, t]
                if p is not None:
                    ao = ao + p[2] * c
                o = self._act(sigma, self._clip(ao, clip))
                h = o * self._act(phi, c)
                if d.Whr is not None:
                    h = self._clip(h @ np.asarray(d.Whr, dtype=np.float64).T, layer.proj_clip)
                cs[:, t] = c
            if add_h is not None:
                h = h + add_h[:, t]
            hs[:, t] = h
        return {"h": hs, "c": cs}

    @staticmethod
    def merge(layer, hs):
        if len(hs) == 1:
            return hs[0]
        a, b = hs
        return {"concat": lambda: np.concatenate([a, b], -1), "sum": lambda: a + b, "mul": lambda: a * b,
                "ave": lambda: (a + b) / 2}[layer.merge]()

    def run(self, x, add=None):
        """x (B, T, F) -> ({(layer, direction): {"h", "c"}}, the merged output of every layer)."""
        add = add or {}
        x = np.asarray(x, dtype=np.float64)
        states, merged = {}, []
        for k, layer in enumerate(self.model.layers):
            hs = []
            for j, name in enumerate(layer.direction_names()):
                q = self._direction(layer, j, x, add.get((k, name, "h")), add.get((k, name, "c")))
                states[(k, name)] = q
                hs.append(q["h"])
            x = self.merge(layer, hs)
            merged.append(x)
        return states, merged

    # ---- the target
    def head(self, feats):
        head = self.model.head
        z = feats @ np.asarray(head.weight, dtype=np.float64).T
        if head.bias is not None:
            z = z + np.asarray(head.bias, dtype=np.float64)
        return z

    def target(self, states, merged, step, output=None, unit=None, predicted=None):
        """y (B,) with the definitions of gateviz.core.gradients; ``predicted``: the class a softmax
        head predicted on the unperturbed input (y keeps reading that class under perturbation)."""
        model = self.model
        if unit is not None:
            k, d, u = unit
            return states[(k, d)]["h"][:, step, u]
        top = model.layers[-1]
        if model.head is None:
            return merged[-1][:, step].sum(-1)
        bidir_final = model.head.on == "final_state" and not (len(top.directions) == 1
                                                                and not top.directions[0].reverse)
        if bidir_final:
            if step != merged[-1].shape[1] - 1:
                return merged[-1][:, step].sum(-1)  # the head reads only the final states
            finals = [states[(len(model.layers) - 1, name)]["h"][:, 0 if d.reverse else -1]
                      for d, name in zip(top.directions, top.direction_names())]
            feats = self.merge(top, finals)
        else:
            feats = merged[-1][:, step]
        z = self.head(feats)
        act = model.head.activation
        if act == "softmax":
            zmax = z.max(-1, keepdims=True)
            logp = z - zmax - np.log(np.exp(z - zmax).sum(-1, keepdims=True))
            k = output if output is not None else predicted
            return logp[:, k]
        a = {"identity": lambda v: v, "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
             "relu": lambda v: np.maximum(v, 0)}[act](z)
        return a.sum(-1) if output is None else a[:, output]

    def predicted_class(self, x, step):
        """The class a softmax head predicts at t* on x (T, F) (None for other heads)."""
        if self.model.head is None or self.model.head.activation != "softmax":
            return None
        states, merged = self.run(np.asarray(x, dtype=np.float64)[None])
        z = np.zeros(self.model.head.out_features)
        for k in range(z.size):  # log p of every class; the largest is the prediction
            z[k] = self.target(states, merged, step, output=k)[0]
        return int(np.argmax(z))


def central_differences(model: RecurrentModel, x, step=None, output=None, unit=None, eps=1e-5):
    """Finite-difference gradients of y in float64: ({(k, dir): dy/dh}, {(k, dir): dy/dc}, dy/dx, min_kink).

    Each entry is (y(v + eps) − y(v − eps)) / 2eps with v one number of h_t, c_t or x_t; all entries of
    one array are perturbed in one batched forward. min_kink: how close the unperturbed forward's
    inputs of piecewise functions come to a kink (compare with eps).
    """
    ref = StepReference(model)
    x = np.asarray(x, dtype=np.float64)
    T = x.shape[0]
    step = T - 1 if step is None else step % T
    predicted = ref.predicted_class(x, step)

    def diff(shape, make_add):
        n = int(np.prod(shape))
        delta = np.zeros((2 * n,) + shape)
        idx = np.arange(n)
        delta.reshape(2 * n, n)[2 * idx, idx] = eps  # row 2m: +eps at entry m, row 2m+1: −eps
        delta.reshape(2 * n, n)[2 * idx + 1, idx] = -eps
        states, merged = make_add(delta)
        y = ref.target(states, merged, step, output=output, unit=unit, predicted=predicted)
        return ((y[0::2] - y[1::2]) / (2 * eps)).reshape(shape)

    hidden, cell = {}, {}
    for k, layer in enumerate(model.layers):
        for name in layer.direction_names():
            hidden[(k, name)] = diff((T, layer.hidden_size), lambda dl: ref.run(
                np.broadcast_to(x, (dl.shape[0],) + x.shape), {(k, name, "h"): dl}))
            if layer.cell == "lstm":
                cell[(k, name)] = diff((T, layer.units), lambda dl: ref.run(
                    np.broadcast_to(x, (dl.shape[0],) + x.shape), {(k, name, "c"): dl}))
    dx = diff(x.shape, lambda dl: ref.run(x[None] + dl))
    ref.min_kink = np.inf  # how near a kink the unperturbed forward comes (the perturbed ones move by ~eps)
    ref.run(x[None])
    return hidden, cell, dx, ref.min_kink


def assert_close(got, want, rtol, what=""):
    """|got − want| ≤ rtol · max|want| everywhere (an all-zero reference must be met exactly)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    err = float(np.max(np.abs(got - want))) if want.size else 0.0
    assert np.all(np.isfinite(got)), f"{what}: non-finite values"
    assert err <= rtol * scale, f"{what}: max |error| {err:.3g} > {rtol:g} x max|ref| {scale:.3g}"
    return err / scale if scale else 0.0
