"""The step-by-step runner used for rollouts agrees with the gate engine."""

import numpy as np
import pytest

from gateviz.core.activations import Activation
from gateviz.core.engine import Tracer
from gateviz.core.model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel
from gateviz.tasks import get_task
from gateviz.tasks.stepper import Stepper


def random_model(cell, layers=2, units=5, features=1, seed=0, **layer_options) -> RecurrentModel:
    rng = np.random.default_rng(seed)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    stack, I = [], features
    for _ in range(layers):
        d = DirectionWeights(Wx=rng.normal(0, 0.6, (G * units, I)), Wh=rng.normal(0, 0.6, (G * units, units)),
                             bx=rng.normal(0, 0.3, G * units), bh=rng.normal(0, 0.3, G * units))
        stack.append(RecurrentLayer(cell, units, I, [d], **layer_options))
        I = units
    head = Head(weight=rng.normal(0, 0.5, (1, units)), bias=rng.normal(0, 0.1, 1))
    return RecurrentModel(stack, input=InputStage(features=features), head=head).validate()


CASES = [
    ("lstm", {}), ("lstm", {"forget_bias": 1.0}), ("gru", {}), ("gru", {"reset_after": False}),
    ("rnn", {}), ("rnn", {"activation": Activation("relu")}),
]


@pytest.mark.parametrize("cell,options", CASES, ids=[f"{c}-{'-'.join(o) or 'plain'}" for c, o in CASES])
def test_stepping_matches_tracing(cell, options):
    model = random_model(cell, **options)
    assert Stepper.supports(model)
    x = np.random.default_rng(1).normal(size=(3, 20, 1))
    expect = Tracer(model).trace(x).output  # (3, 20, 1), float64 weights -> float64 trace
    stepper = Stepper(model)
    stepper.reset(3)
    got = np.stack([stepper.step(x[:, t]) for t in range(20)], axis=1)
    np.testing.assert_allclose(got, expect, atol=1e-10)


def test_rollout_falls_back_to_tracing_for_other_cells():
    model = random_model("lstm", layers=1)
    rng = np.random.default_rng(3)
    model.layers[0].directions[0].peephole = rng.normal(0, 0.3, (3, 5))
    assert not Stepper.supports(model)
    task = get_task("sine")
    window = task.samples()[0].sequence
    roll = task.rollout(model, window[None], steps=4)
    seq = window.astype(np.float64)
    for k in range(4):
        nxt = Tracer(model).trace(seq).output[-1, 0]
        assert roll[0, k] == pytest.approx(nxt, abs=1e-6)
        seq = np.concatenate([seq, [[nxt]]])
