"""The trace file contract (design.md, "Contracts"): keys, shapes, meta, time alignment."""

import json
import zipfile

import numpy as np
import pytest
from reference import random_model, reference_trace

from gateviz.core import Trace
from gateviz.core.engine import Tracer, trace

LSTM_Q = ["input_gate", "forget_gate", "cell_candidate", "output_gate", "cell_state", "hidden_state"]
GRU_Q = ["reset_gate", "update_gate", "candidate", "hidden_state"]


@pytest.mark.parametrize("cell,quantities", [("lstm", LSTM_Q), ("gru", GRU_Q), ("rnn", ["hidden_state"])])
def test_keys_shapes_and_meta(tmp_path, cell, quantities):
    model = random_model(0, cell, units=(5, 4), input_size=2, bidirectional=True, head_out=3,
                         head_activation="softmax")
    x = np.random.default_rng(0).standard_normal((13, 2))
    path = tmp_path / "t.npz"
    trace(model, x).save(path)
    with np.load(path, allow_pickle=False) as data:  # no pickled objects inside
        files = set(data.files)
        expected = {f"layer{k}.{d}.{q}" for k in (0, 1) for d in ("forward", "backward") for q in quantities}
        assert files == expected | {"output", "meta"}
        for k, units in ((0, 5), (1, 4)):
            for d in ("forward", "backward"):
                for q in quantities:
                    a = data[f"layer{k}.{d}.{q}"]
                    assert a.shape == (13, units) and a.dtype == np.float32
        assert data["output"].shape == (13, 3)
        meta = json.loads(str(data["meta"]))
    assert meta["cell"] == cell and meta["num_layers"] == 2 and meta["units"] == [5, 4]
    assert meta["directions"] == [["forward", "backward"]] * 2 and meta["length"] == 13
    assert "conventions" in meta and meta["dtype"] == "float32"


def test_backward_direction_is_time_aligned(tmp_path):
    model = random_model(1, "lstm", units=(4,), input_size=1, bidirectional=True, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((9, 1))
    trace(model, x).save(tmp_path / "t.npz")
    ref = reference_trace(model, x)[(0, "backward")]
    with np.load(tmp_path / "t.npz") as data:
        h = data["layer0.backward.hidden_state"]
    np.testing.assert_allclose(h, ref["hidden_state"], atol=1e-10)
    # the backward direction's first processed step is the last input: it saw only x[T-1]
    only_last = reference_trace(model, x[-1:])[(0, "backward")]["hidden_state"][0]
    np.testing.assert_allclose(h[-1], only_last, atol=1e-10)


def test_load_round_trip(tmp_path):
    model = random_model(2, "gru", units=(3,), input_size=2, head_out=1)
    tr = trace(model, np.ones((6, 2)))
    tr.save(tmp_path / "t.npz")
    back = Trace.load(tmp_path / "t.npz")
    assert back.cell == "gru" and list(back.keys()) == list(tr.keys())
    for key in tr.states:
        for q in tr.states[key]:
            np.testing.assert_array_equal(back.get(*key, q), tr.get(*key, q))
    np.testing.assert_array_equal(back.output, tr.output)


def test_batched_trace_needs_a_sample():
    model = random_model(2, "rnn", units=(3,), input_size=2)
    tr = Tracer(model).trace(np.ones((2, 4, 2)))
    with pytest.raises(ValueError, match="sample"):
        tr.to_arrays()
    assert set(tr.sample(1).to_arrays()) == {"layer0.forward.hidden_state", "meta"}


def test_trace_file_is_a_plain_npz(tmp_path):
    model = random_model(2, "rnn", units=(3,), input_size=2)
    trace(model, np.ones((4, 2))).save(tmp_path / "t.npz")
    with zipfile.ZipFile(tmp_path / "t.npz") as zf:
        assert sorted(zf.namelist()) == ["layer0.forward.hidden_state.npy", "meta.npy"]
