"""gateviz.core.analysis: saturation fractions, unit orderings, display downsampling."""

import numpy as np
import pytest

from gateviz.core.analysis import (downsample_time, input_correlation, layer_saturation, saturation_fractions,
                                   saturation_score, unit_order)


def test_saturation_fractions_count_strictly_beyond_thresholds():
    gate = np.array([[0.05, 0.5, 0.95],
                     [0.10, 0.5, 0.90],   # exactly on the thresholds: not saturated
                     [0.01, 0.95, 0.99],
                     [0.50, 0.99, 0.02]], dtype=np.float32)
    left, right = saturation_fractions(gate)
    np.testing.assert_allclose(left, [0.5, 0.0, 0.25])
    np.testing.assert_allclose(right, [0.0, 0.5, 0.5])


def test_saturation_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(T, units\)"):
        saturation_fractions(np.zeros(5))


def test_layer_saturation_uses_sigmoid_gates_only():
    rng = np.random.default_rng(0)
    q = {name: rng.random((20, 3)).astype(np.float32) for name in
         ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell_state", "hidden_state")}
    assert set(layer_saturation(q)) == {"input_gate", "forget_gate", "output_gate"}


def test_saturation_score_rnn_uses_tanh_state():
    h = np.array([[0.95, 0.0], [-0.99, 0.2], [0.1, 0.3], [0.0, -0.95]])
    np.testing.assert_allclose(saturation_score({"hidden_state": h}), [0.5, 0.25])


def test_unit_order_by_variance_and_saturation():
    t = np.linspace(0, 1, 50)[:, None]
    h = np.hstack([0.1 * t, 2.0 * t, np.zeros_like(t), 1.0 * t])  # variances: 1 > 3 > 0 > 2
    f = np.hstack([np.full_like(t, 0.5), np.full_like(t, 0.95), np.full_like(t, 0.02), np.full_like(t, 0.5)])
    q = {"hidden_state": h, "forget_gate": f}
    np.testing.assert_array_equal(unit_order(q, "index"), [0, 1, 2, 3])
    np.testing.assert_array_equal(unit_order(q, "variance"), [1, 3, 0, 2])
    # units 1 and 2 are always saturated; ties keep index order
    np.testing.assert_array_equal(unit_order(q, "saturation"), [1, 2, 0, 3])


def test_unit_order_by_correlation_with_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 2))
    h = np.stack([rng.standard_normal(200),          # unrelated
                  -x[:, 1],                            # perfectly anti-correlated with feature 1
                  0.5 * x[:, 0] + rng.standard_normal(200),  # partly correlated
                  np.ones(200)], axis=1)               # constant: 0
    corr = input_correlation(h, x)
    assert corr[1] == pytest.approx(1.0)
    assert corr[3] == 0.0
    assert corr[2] > corr[0]
    order = unit_order({"hidden_state": h}, "correlation", inputs=x)
    assert list(order[:2]) == [1, 2] and order[-1] == 3


def test_unit_order_errors_are_clear():
    q = {"hidden_state": np.zeros((4, 2))}
    with pytest.raises(ValueError, match="needs the trace's inputs"):
        unit_order(q, "correlation")
    with pytest.raises(ValueError, match="expected one of index, variance"):
        unit_order(q, "alphabet")


def test_downsample_time_block_mean_and_extreme():
    a = np.arange(10, dtype=np.float32)[:, None] * np.array([[1.0, -1.0]], dtype=np.float32)  # (10, 2)
    out, block = downsample_time(a, 4)
    assert block == 3 and out.shape == (4, 2) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out[:, 0], [1.0, 4.0, 7.0, 9.0])  # last block is the lone step 9
    np.testing.assert_allclose(out[:, 1], [-1.0, -4.0, -7.0, -9.0])
    ext, _ = downsample_time(a, 4, "extreme")
    np.testing.assert_allclose(ext[:, 1], [-2.0, -5.0, -8.0, -9.0])
    mx, _ = downsample_time(a, 4, "max")
    np.testing.assert_allclose(mx[:, 0], [2.0, 5.0, 8.0, 9.0])


def test_downsample_time_short_trace_is_untouched():
    a = np.random.default_rng(2).random((30, 5))
    out, block = downsample_time(a, 4000)
    assert block == 1 and out.dtype == np.float32
    np.testing.assert_allclose(out, a, rtol=1e-6)


def test_downsample_large_trace_shape():
    a = np.zeros((10000, 512), dtype=np.float32)
    out, block = downsample_time(a, 2000)
    assert block == 5 and out.shape == (2000, 512)
