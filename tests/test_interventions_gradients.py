"""Gradients through time of an intervened run (issue 13 with issue 12): the memory panel and
`gateviz trace --gradients --clamp` differentiate the network as it ran, clamps included — a set
value passes no gradient, a scaled one a scaled gradient. Checked against torch autograd through
the plain reference loop (tests/intervention_reference.py)."""

import numpy as np
import pytest
import torch
from intervention_reference import reference_tensors
from reference import random_model

from gateviz.core.engine import Tracer
from gateviz.core.gradients import GradientTarget, compute_gradients

T = 14

CASES = [
    ("lstm", dict(cell="lstm"), ["layer0.forward.forget_gate[*]=1@3:", "layer1.forward.hidden_state[1]=*0.5"]),
    ("lstm-cell", dict(cell="lstm"), ["layer0.forward.cell_state[0,2]=+0.3@5:9"]),
    ("gru", dict(cell="gru"), ["layer0.forward.update_gate[*]=0.9@2:", "layer1.forward.reset_gate[0]=0"]),
    ("rnn", dict(cell="rnn"), ["layer0.forward.hidden_state[2-3]=0@4:"]),
    ("lstm-bidir", dict(cell="lstm", bidirectional=True), ["layer0.backward.input_gate[1]=0@:8"]),
    ("lstm-peep", dict(cell="lstm", peepholes=True), ["layer0.forward.output_gate[*]=1"]),
]


@pytest.mark.parametrize("cid, kw, specs", CASES, ids=[c for c, _, _ in CASES])
def test_input_gradients_of_a_clamped_run_equal_autograd(cid, kw, specs):
    model = random_model(11, units=(4, 3), dtype=np.float64, head_out=2, **kw)
    x = np.random.default_rng(3).standard_normal((T, 3))
    trace = Tracer(model).trace(x, interventions=specs)
    step = T - 2
    got = compute_gradients(model, trace, GradientTarget(step=step, output=1))

    xt = torch.tensor(x, requires_grad=True)
    _, out = reference_tensors(model, xt, specs)
    out[step, 1].backward()
    np.testing.assert_allclose(got.input, xt.grad.numpy(), rtol=1e-8, atol=1e-11)


def test_forget_gate_clamped_open_keeps_the_memory_of_the_first_input():
    """The lecture demo: with f = 1 the cell's gradient back to the start no longer decays."""
    model = random_model(2, units=(6,), dtype=np.float64, head_out=1, scale=0.8)
    x = np.random.default_rng(0).standard_normal((60, 3))
    tracer = Tracer(model)
    plain = compute_gradients(model, tracer.trace(x), GradientTarget(step=59))
    open_ = compute_gradients(model, tracer.trace(x, interventions=["layer0.forward.forget_gate[*]=1"]),
                              GradientTarget(step=59))
    first = lambda g: np.linalg.norm(g.input[0])  # noqa: E731
    assert first(open_) > 100 * first(plain)


def test_a_set_value_passes_no_gradient():
    """Clamping every h of the only layer at step 5 cuts the path from the inputs before it."""
    model = random_model(4, units=(5,), dtype=np.float64, head_out=1)
    x = np.random.default_rng(1).standard_normal((T, 3))
    trace = Tracer(model).trace(x, interventions=["layer0.forward.hidden_state[*]=0.2@5",
                                                  "layer0.forward.cell_state[*]=0@5"])
    g = compute_gradients(model, trace, GradientTarget(step=T - 1))
    assert np.all(g.input[:6] == 0) and np.abs(g.input[6:]).max() > 0
