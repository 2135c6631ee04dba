"""Interventions are exact (issue 13): the engine's trace with a clamp equals a plain torch step loop
that applies the same clamp (tests/intervention_reference.py), for every cell kind and quantity,
stacked, bidirectional and projected layers, every op, unit lists and step ranges, on the engine's
fused loops (native cells), its generic loop (cells torch lacks) and in a batch."""

from __future__ import annotations

import numpy as np
import pytest

from intervention_reference import reference_with_interventions
from reference import random_model

from gateviz.core.engine import Tracer
from gateviz.core.interventions import InterventionError
from gateviz.core.trace import QUANTITIES

T = 17

# (id, random_model kwargs): native cells go through the fused loops, the rest through CellStep
CELLS = [
    ("lstm", dict(cell="lstm")),
    ("lstm-proj", dict(cell="lstm", proj_size=3)),
    ("lstm-peep-clip", dict(cell="lstm", peepholes=True, cell_clip=0.7, forget_bias=1.0)),
    ("lstm-coupled", dict(cell="lstm", input_forget=True)),
    ("gru", dict(cell="gru")),
    ("gru-reset-before", dict(cell="gru", reset_after=False)),
    ("rnn-tanh", dict(cell="rnn")),
    ("rnn-relu", dict(cell="rnn", activation="relu")),
]


def _check(model, specs, x=None, seed=0, tol=1e-9):
    x = np.random.default_rng(seed).standard_normal((T, model.input.features)) if x is None else x
    got = Tracer(model).trace(x, interventions=specs)
    want, want_out = reference_with_interventions(model, x, specs)
    for key, qs in want.items():
        for name, value in qs.items():
            np.testing.assert_allclose(got.get(key[0], key[1], name), value, rtol=tol, atol=tol,
                                       err_msg=f"{key} {name} under {specs}")
    if want_out is not None:
        np.testing.assert_allclose(got.output, want_out, rtol=tol, atol=tol)
    assert got.meta["interventions"] == [str(s) if not isinstance(s, str) else s for s in specs]
    return got


@pytest.mark.parametrize("cid, kw", CELLS, ids=[c for c, _ in CELLS])
def test_every_quantity_of_every_cell(cid, kw):
    """Set, scale and add on each quantity the cell has, on a unit list, over a step range."""
    model = random_model(3, units=(6,), dtype=np.float64, head_out=2, **kw)
    base = Tracer(model).trace(np.random.default_rng(0).standard_normal((T, 3)))
    for q in QUANTITIES[model.cell]:
        units = "0,2-3" if q != "hidden_state" or "proj" not in cid else "1"
        for value in ("0.25", "*0.5", "+0.3"):
            spec = f"layer0.forward.{q}[{units}]={value}@4:11"
            got = _check(model, [spec])
            assert not np.allclose(got.output[11:], base.output[11:]) or q == "cell_candidate"


@pytest.mark.parametrize("cid, kw", CELLS, ids=[c for c, _ in CELLS])
def test_stacked_bidirectional_layers_and_the_head(cid, kw):
    """Both directions of the lower layer and the upper layer, a final-state head (reads h at the ends)."""
    model = random_model(5, units=(5, 4), dtype=np.float64, bidirectional=True, head_out=3,
                         head_on="final_state", head_activation="softmax", **kw)
    hq = "hidden_state"
    gate = QUANTITIES[model.cell][0]
    specs = [f"layer0.backward.{gate}[*]=1@:9", f"layer1.forward.{hq}[0]=*-1", f"layer0.forward.{hq}[1]=+0.5@3",
             f"layer1.backward.{hq}[2]=0@0"]
    _check(model, specs)


@pytest.mark.parametrize("merge", ["sum", "mul", "ave"])
def test_merge_modes_carry_the_replaced_h_upwards(merge):
    model = random_model(7, units=(4, 3), dtype=np.float64, bidirectional=True, merge=merge, head_out=1)
    _check(model, ["layer0.backward.hidden_state[2]=0.9@5:", "layer0.forward.cell_state[0]=-2@2"])


def test_later_interventions_act_after_earlier_ones():
    model = random_model(1, units=(4,), dtype=np.float64)
    got = _check(model, ["layer0.forward.forget_gate[1]=0.5", "layer0.forward.forget_gate[1]=*0.5@6:"])
    f = got.get(0, "forward", "forget_gate")[:, 1]
    assert np.all(f[:6] == 0.5) and np.allclose(f[6:], 0.25, rtol=0, atol=1e-15)


def test_the_trace_records_replaced_values_exactly():
    """A set value is stored as given, also through the fused LSTM loop's rescaled storage."""
    for cell in ("lstm", "gru"):
        model = random_model(2, cell=cell, units=(8,), dtype=np.float64)
        q = "cell_candidate" if cell == "lstm" else "candidate"
        got = Tracer(model).trace(np.ones((9, 3)), interventions=[f"layer0.forward.{q}[5]=0.3@2:4",
                                                                  "layer0.forward.hidden_state[7]=-0.125"])
        assert np.allclose(got.get(0, "forward", q)[2:4, 5], 0.3, rtol=0, atol=1e-15)
        assert np.all(got.get(0, "forward", "hidden_state")[:, 7] == -0.125)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_float32_models_match_the_reference_closely(cell):
    """The engine traces a float32 model in float32; the reference runs float64."""
    model = random_model(4, cell=cell, units=(16,), input_size=2, head_out=2)
    _check(model, [f"layer0.forward.{QUANTITIES[cell][0]}[3-9]=*0.1@5:"], tol=2e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_batch_gets_the_same_interventions_as_one_sequence(cell):
    model = random_model(6, cell=cell, units=(6,), dtype=np.float64, head_out=2)
    xs = np.random.default_rng(1).standard_normal((3, T, 3))
    spec = ["layer0.forward.hidden_state[2]=0@3:", f"layer0.forward.{QUANTITIES[cell][1]}[*]=1@8:12"]
    batch = Tracer(model).trace(xs, interventions=spec)
    for n in range(3):
        one, out = reference_with_interventions(model, xs[n], spec)
        for name, value in one[(0, "forward")].items():
            np.testing.assert_allclose(batch.get(0, "forward", name)[n], value, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batch.output[n], out, rtol=1e-10, atol=1e-12)


def test_steps_are_input_positions_in_a_backward_direction():
    """@:5 on the backward direction edits input positions 0..4, which it reaches last."""
    model = random_model(8, units=(4,), dtype=np.float64, bidirectional=True)
    got = _check(model, ["layer0.backward.forget_gate[*]=0@:5"])
    base = Tracer(model).trace(np.random.default_rng(0).standard_normal((T, 3)))
    bw, bw0 = got.get(0, "backward", "hidden_state"), base.get(0, "backward", "hidden_state")
    # (the intervened layer runs the fused loop, the plain one torch's module: equal to rounding)
    assert np.allclose(bw[5:], bw0[5:], rtol=0, atol=1e-12) and not np.allclose(bw[:5], bw0[:5])
    assert np.all(got.get(0, "backward", "forget_gate")[:5] == 0)


def test_no_intervention_changes_nothing_and_leaves_no_meta():
    model = random_model(9, units=(5,), head_out=1)
    x = np.random.default_rng(2).standard_normal((T, 3))
    a, b = Tracer(model).trace(x), Tracer(model).trace(x, interventions=[])
    assert "interventions" not in b.meta
    for key in a.states:
        for name in a.states[key]:
            assert np.array_equal(a.states[key][name], b.states[key][name])


@pytest.mark.parametrize("spec, needle", [
    ("layer0.forward.reset_gate[0]=0", "choose one of input_gate"),
    ("layer2.forward.hidden_state[0]=0", "layers 0..0"),
    ("layer0.forward.hidden_state[9]=0", "units 0..7"),
    ("layer0.forward.hidden_state[0]=0@30:", "steps 0..16"),
    ("layer0.backward.hidden_state[0]=0", "has forward"),
    ("layer0.forward.hidden_state[0]", "cannot read"),
])
def test_bad_specs_are_refused_before_tracing(spec, needle):
    model = random_model(0, units=(8,))
    with pytest.raises(InterventionError, match=needle.replace(".", r"\.")):
        Tracer(model).trace(np.zeros((T, 3)), interventions=[spec])


@pytest.mark.parametrize("kw", [dict(cell="gru", reset_after=False), dict(cell="lstm", peepholes=True),
                                dict(cell="rnn")], ids=["gru-reset-before", "lstm-peep", "rnn"])
def test_a_batch_through_the_generic_loop(kw):
    model = random_model(12, units=(5,), dtype=np.float64, head_out=2, **kw)
    xs = np.random.default_rng(4).standard_normal((2, T, 3))
    spec = ["layer0.forward.hidden_state[1,3]=*0.5@6:"]
    batch = Tracer(model).trace(xs, interventions=spec)
    for n in range(2):
        one, out = reference_with_interventions(model, xs[n], spec)
        np.testing.assert_allclose(batch.get(0, "forward", "hidden_state")[n], one[(0, "forward")]["hidden_state"],
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batch.output[n], out, rtol=1e-10, atol=1e-12)


def test_per_sequence_edits_silence_a_different_unit_in_each_copy():
    """UnitEdit.samples: copy n of the input silences unit n (the ablation's batch), exactly as n
    separate traces with that unit's h and c set to 0."""
    from gateviz.core.edits import UnitEdit

    for kw in (dict(cell="lstm"), dict(cell="lstm", peepholes=True), dict(cell="gru")):
        model = random_model(13, units=(4,), dtype=np.float64, head_out=1, **kw)
        x = np.random.default_rng(5).standard_normal((T, 3))
        H = 4
        mask = np.eye(H, dtype=bool)  # (N = H copies, H units)
        qs = ["hidden_state"] + (["cell_state"] if model.cell == "lstm" else [])
        edits = [UnitEdit(0, "forward", q, "set", 0.0, np.ones(T, bool), None, mask) for q in qs]
        batch = Tracer(model).trace(np.repeat(x[None], H, axis=0), edits=edits)
        for u in range(H):
            one, out = reference_with_interventions(model, x, [f"layer0.forward.{q}[{u}]=0" for q in qs])
            np.testing.assert_allclose(batch.output[u], out, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(batch.get(0, "forward", "hidden_state")[u], one[(0, "forward")]["hidden_state"],
                                       rtol=1e-10, atol=1e-12)
