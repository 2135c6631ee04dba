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


def test_large_arrays_take_the_fast_routes_with_the_same_results():
    """Issue 17: a long trace's products are made a few hundred rows at a time or in torch; the
    counts, extremes and block means are those of the plain numpy expressions."""
    import warnings

    from gateviz.core import nonfinite
    from gateviz.core.view_products import _transposed

    rng = np.random.default_rng(3)
    buf = rng.random((4103, 1, 1200), dtype=np.float32)  # a trace's gates share rows: strided views
    gate = buf[0:, 0, 300:600]  # (4103, 300): 1.2M values, a partial last chunk of rows
    left, right = saturation_fractions(gate)
    np.testing.assert_array_equal(left, np.count_nonzero(gate < 0.1, axis=0) / 4103)
    np.testing.assert_array_equal(right, np.count_nonzero(gate > 0.9, axis=0) / 4103)
    assert nonfinite._min_max(gate) == (float(gate.min()), float(gate.max()))
    holed = gate.copy()
    holed[4101, 299] = np.nan  # in the last, partial chunk
    assert all(np.isnan(nonfinite._min_max(holed)))
    means, block = downsample_time(gate, 1000)
    want = np.concatenate([gate[:4100].reshape(820, 5, 300).mean(axis=1, dtype=np.float64),
                           gate[4100:].mean(axis=0, dtype=np.float64, keepdims=True)])
    assert block == 5 and means.dtype == np.float32 and means.flags.c_contiguous
    np.testing.assert_allclose(means, want, rtol=2e-7, atol=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch would warn about a read-only array: numpy takes those
        frozen = gate.copy()
        frozen.flags.writeable = False
        np.testing.assert_allclose(downsample_time(frozen, 1000)[0], want, rtol=2e-7, atol=1e-7)
        np.testing.assert_allclose(downsample_time(gate[::-1], 1000)[0][:820],  # negative strides: numpy
                                   gate[::-1][:4100].reshape(820, 5, 300).mean(axis=1), rtol=2e-7, atol=1e-7)
    np.testing.assert_array_equal(_transposed(means), np.ascontiguousarray(means.T))
    assert _transposed(means).flags.c_contiguous
