"""The intervention spec of issue 13: parsed once, written back canonically, checked against a model
with messages that say what would be valid. (The engine's use of it comes with the rest of issue 13.)"""

import numpy as np
import pytest
from reference import random_model

from gateviz.core.interventions import Intervention, InterventionError, parse_all


@pytest.mark.parametrize("text, expected", [
    ("layer0.forward.forget_gate[8]=0@10:", Intervention(0, "forward", "forget_gate", (8,), "set", 0.0, 10, None)),
    ("layer1.backward.cell_state[3,5,8]=*0.5@:20",
     Intervention(1, "backward", "cell_state", (3, 5, 8), "scale", 0.5, None, 20)),
    ("layer0.forward.hidden_state[8-11]=+0.2@10:20",
     Intervention(0, "forward", "hidden_state", (8, 9, 10, 11), "add", 0.2, 10, 20)),
    ("layer0.forward.update_gate[*]=1@15", Intervention(0, "forward", "update_gate", None, "set", 1.0, 15, 16)),
    ("layer2.forward.input_gate[0]=-1.5e-1", Intervention(2, "forward", "input_gate", (0,), "set", -0.15)),
    (" layer0.forward.output_gate[ 2 , 1-2 ] = * 2 @ 3 : ",
     Intervention(0, "forward", "output_gate", (1, 2), "scale", 2.0, 3, None)),
])
def test_parse_and_write_back(text, expected):
    got = Intervention.parse(text)
    assert got == expected
    assert Intervention.parse(str(got)) == got  # the canonical text reads back as the same intervention


def test_canonical_text():
    assert str(Intervention.parse("layer0.forward.hidden_state[11,8,9,10,3]=+0.2@10:20")) == \
        "layer0.forward.hidden_state[3,8-11]=+0.2@10:20"
    assert str(Intervention.parse("layer0.forward.forget_gate[*]=1")) == "layer0.forward.forget_gate[*]=1"
    assert str(Intervention.parse("layer0.forward.forget_gate[4]=0@7")) == "layer0.forward.forget_gate[4]=0@7"
    assert [str(i) for i in parse_all(["layer0.forward.forget_gate[1]=0", "layer0.forward.input_gate[2]=1"])] == \
        ["layer0.forward.forget_gate[1]=0", "layer0.forward.input_gate[2]=1"]


@pytest.mark.parametrize("text, needle", [
    ("forget_gate[8]=0", "layer{k}.{direction}.{quantity}"),
    ("layer0.sideways.forget_gate[8]=0", "forward or backward"),
    ("layer0.forward.forgetgate[8]=0", "not a trace quantity; choose one of"),
    ("layer0.forward.forget_gate[8:9]=0", "give 8, 3,5,8, 8-11 or *"),
    ("layer0.forward.forget_gate[9-3]=0", "runs backwards; write 3-9"),
    ("layer0.forward.forget_gate[8]=half", "give a number (set), *0.5 (scale) or +0.2 (add)"),
    ("layer0.forward.forget_gate[8]=0@ten", "give 10:, :20, 10:20 or 15"),
    ("layer0.forward.forget_gate[8]=0@20:10", "hold none"),
    ("layer0.forward.forget_gate[8]=nan", "give a number"),
])
def test_malformed_specs_say_what_would_work(text, needle):
    with pytest.raises(InterventionError, match=None) as err:
        Intervention.parse(text)
    assert needle in str(err.value)


def test_check_against_a_model():
    lstm = random_model(0, "lstm", units=(6, 4), input_size=2, bidirectional=True)
    gru = random_model(1, "gru", units=(5,), input_size=2)
    ok = Intervention.parse("layer1.backward.cell_state[0-3]=0@2:5")
    assert ok.check(lstm, 10) is ok
    cases = [
        (lstm, "layer2.forward.hidden_state[0]=0", "layer 2 does not exist; the model has layers 0..1"),
        (gru, "layer0.backward.hidden_state[0]=0", "has no backward direction; it has forward"),
        (gru, "layer0.forward.forget_gate[0]=0", "a GRU has no forget_gate; choose one of reset_gate, update_gate"),
        (lstm, "layer1.forward.input_gate[4]=0", "unit 4 does not exist; this input_gate has units 0..3"),
        (lstm, "layer0.forward.input_gate[0]=0@10", "step 10 is outside the sequence; it has steps 0..9"),
        (lstm, "layer0.forward.input_gate[0]=0@5:11", "steps 5..10 are outside"),
    ]
    for model, text, needle in cases:
        with pytest.raises(InterventionError) as err:
            Intervention.parse(text).check(model, 10)
        assert needle in str(err.value), str(err.value)


def test_masks_and_values():
    iv = Intervention.parse("layer0.forward.forget_gate[1,3]=*0.5@2:4")
    assert iv.step_mask(6).tolist() == [False, False, True, True, False, False]
    assert iv.unit_index(5).tolist() == [1, 3]
    assert Intervention.parse("layer0.forward.forget_gate[*]=0").unit_index(3).tolist() == [0, 1, 2]
    assert Intervention.parse("layer0.forward.forget_gate[*]=0@4:").step_mask(6).tolist() == [False] * 4 + [True] * 2
    v = np.array([0.2, 0.6])
    np.testing.assert_allclose(iv.apply(v), [0.1, 0.3])
    np.testing.assert_allclose(Intervention.parse("layer0.forward.forget_gate[1]=+0.25").apply(v), [0.45, 0.85])
    np.testing.assert_allclose(Intervention.parse("layer0.forward.forget_gate[1]=1").apply(v), [1, 1])


@pytest.mark.parametrize("text, words", [
    ("layer0.forward.forget_gate[8]=0@10:", "forget gate f of unit 8 = 0 from step 10 (layer 0 forward)"),
    ("layer1.backward.hidden_state[3,5,8-11]=*0.5@:20",
     "hidden state h of units 3, 5, 8-11 × 0.5 before step 20 (layer 1 backward)"),
    ("layer0.forward.cell_state[*]=+0.2@15", "cell state c of every unit + 0.2 at step 15 (layer 0 forward)"),
    ("layer0.forward.update_gate[2]=1@3:9", "update gate z of unit 2 = 1 at steps 3–8 (layer 0 forward)"),
])
def test_described_in_words(text, words):
    assert Intervention.parse(text).describe() == words
