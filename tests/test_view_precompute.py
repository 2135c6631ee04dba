"""Issue 17: the panels' images and statistics made off the GUI thread (gateviz/core/view_products.py)
are exactly what the panels computed themselves before: the reference functions below are the
heatmap's and the saturation scatter's own code as it was (git c0d946a..0ed6277), run on the same
arrays. Shapes: long enough to be block-averaged (with a shorter last block), bidirectional, two
layers, projected, GRU in both conventions, a plain RNN, NaN and ±inf values, per-unit cell scale,
row orders, Keras-masked steps."""

import numpy as np
import pytest
import torch
from pyqtgraph import functions as pg_functions

from gateviz.core import view_products as vp
from gateviz.core.analysis import LEFT_SATURATED, RIGHT_SATURATED, downsample_time
from gateviz.core.engine import Tracer
from gateviz.core.model import InputStage, RecurrentModel
from gateviz.core.trace import QUANTITIES, SIGMOID_GATES, Trace
from gateviz.formats.torch_state import layers_from_module

STEPS = 9001  # > 2 x 4000 columns: blocks of 3 steps, the last one of 2


# ---- the reference: the panels' code before the products existed ---------------------------------
def ref_unit_limits(a):
    if not a.size:
        return np.ones(a.shape[1:])
    mags = np.abs(a)
    mags[~np.isfinite(mags)] = 0.0
    m = mags.max(axis=0)
    return np.where(m > 0, m, 1.0)


def ref_levels(quantity, data):
    if quantity in SIGMOID_GATES:
        return (0.0, 1.0)
    if quantity != "cell_state":
        return (-1.0, 1.0)
    finite = np.abs(data[np.isfinite(data)])
    m = float(finite.max()) if finite.size else 1.0
    lim = 1.0 if m <= 1.0 else float(np.ceil(m * 2) / 2)
    return (-lim, lim)


def ref_heat(data, quantity, per_unit, order=None):
    """heatmaps.HeatmapPanel.rebuild's image, levels, limits and NaN flag (not the difference view)."""
    disp, _ = downsample_time(data, 4000)
    limits = None
    if per_unit:
        limits = ref_unit_limits(data)
        disp = disp / limits
        levels = (-1.0, 1.0)
    else:
        levels = ref_levels(quantity, data)
    img = disp.T if order is None else disp[:, order].T
    img = np.ascontiguousarray(img, dtype=np.float32)
    has_nan = bool(np.isnan(img).any())
    if np.isinf(img).any():
        img = np.clip(img, levels[0], levels[1])
    return img, levels, limits, has_nan


def ref_saturation(a, quantity, skipped):
    """saturation.SaturationPanel.rebuild's points for one layer."""
    if skipped:
        a = np.delete(a, skipped, axis=0)
    low, high = (-RIGHT_SATURATED, RIGHT_SATURATED) if quantity == "hidden_state" else (LEFT_SATURATED,
                                                                                       RIGHT_SATURATED)
    if not len(a):
        left = right = np.full(a.shape[1], np.nan)
    else:
        nan = np.isnan(a)
        valid = (~nan).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            left = np.where(valid > 0, (a < low).sum(axis=0) / np.maximum(valid, 1), np.nan)
            right = np.where(valid > 0, (a > high).sum(axis=0) / np.maximum(valid, 1), np.nan)
    return left.astype(np.float64), right.astype(np.float64), bool(np.isnan(a).any())


# ---- traces ------------------------------------------------------------------------------------
def traced(cell, units=5, layers=2, bidirectional=False, proj_size=0, steps=STEPS, features=3, seed=0):
    torch.manual_seed(seed)
    kwargs = {"proj_size": proj_size} if proj_size else {}
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
        features, units, num_layers=layers, bidirectional=bidirectional, **kwargs)
    with torch.no_grad():  # larger weights: gates saturate, c grows past 1
        for p in module.parameters():
            p.mul_(3)
    model = RecurrentModel(layers_from_module(module), input=InputStage(features=features))
    t = np.arange(steps)
    x = np.stack([np.sin(t / (7 + k)) * 2 for k in range(features)], axis=1).astype(np.float32)
    return Tracer(model).trace(x)


def with_nonfinite(trace: Trace, seed=1) -> Trace:
    """A copy with NaN (a whole unit, a run of steps) and ±inf sprinkled into every array."""
    rng = np.random.default_rng(seed)
    states = {}
    for key, arrays in trace.states.items():
        states[key] = {}
        for q, a in arrays.items():
            a = a.copy()
            a[100:140, 0] = np.nan
            a[:, -1] = np.nan  # a unit NaN at every step
            hits = rng.integers(0, a.shape[0], 20)
            a[hits, 1] = np.inf
            a[hits[:7], 2] = -np.inf
            states[key][q] = a
    return Trace(trace.cell, states, meta=dict(trace.meta))


CASES = {
    "lstm 2 layers bidirectional": lambda: traced("lstm", layers=2, bidirectional=True),
    "lstm projected": lambda: traced("lstm", units=6, layers=2, proj_size=3),
    "gru bidirectional": lambda: traced("gru", layers=1, bidirectional=True),
    "rnn": lambda: traced("rnn", layers=2),
    "lstm with NaN and inf": lambda: with_nonfinite(traced("lstm", layers=1, bidirectional=True)),
    "gru with NaN and inf": lambda: with_nonfinite(traced("gru", layers=2)),
}


def displayed(trace, layer, direction, q, convention):
    a = trace.get(layer, direction, q)
    return 1.0 - a if convention == "textbook" and trace.cell == "gru" and q == "update_gate" else a


def assert_same_heat(heat, ref):
    img, levels, limits, has_nan = ref
    np.testing.assert_array_equal(heat.image, img)  # NaN where NaN, every other value bit for bit
    assert heat.image.dtype == np.float32 and heat.image.flags.c_contiguous
    assert heat.levels == levels and heat.has_nan == has_nan
    if has_nan:
        assert heat.indices is None  # drawn by pyqtgraph's own path (NaN pixels transparent)
    else:  # the colour-table entries pyqtgraph itself would compute from the image when drawing it
        want = pg_functions.rescaleData(img, 256 / (levels[1] - levels[0]), levels[0], dtype=np.uint8, clip=(0, 255))
        np.testing.assert_array_equal(heat.indices, want)
    if limits is None:
        assert heat.unit_limits is None
    else:
        np.testing.assert_array_equal(heat.unit_limits, limits)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("convention,cell_scale", [("framework", "shared"), ("textbook", "unit")])
def test_precomputed_products_equal_the_panels_own(case, convention, cell_scale):
    trace = CASES[case]()
    skipped = [3, 4, 5, 4000] if "NaN" in case else []
    if skipped:
        trace.meta["masked_steps"] = skipped
    products = vp.precompute(trace, convention, cell_scale, vp.masked_steps(trace))
    cells = QUANTITIES[trace.cell]
    gates = tuple(q for q in cells if q in SIGMOID_GATES) or ("hidden_state",)
    assert products.precomputed == len(trace.states) * (len(cells) + len(gates)) and products.made == 0
    rng = np.random.default_rng(0)
    for layer, direction in trace.states:
        for q in cells:
            data = displayed(trace, layer, direction, q, convention)
            per_unit = q == "cell_state" and cell_scale == "unit"
            heat = products.heat(layer, direction, q, convention, per_unit)
            assert_same_heat(heat, ref_heat(data, q, per_unit))
            order = rng.permutation(data.shape[1])  # a row order: rows of the ready image
            assert_same_heat(vp.HeatImage(heat.image[order], heat.levels, heat.unit_limits, heat.has_nan,
                                          heat.counts, None if heat.indices is None else heat.indices[order]),
                             ref_heat(data, q, per_unit, order))
            assert heat.counts == (int(np.isnan(data).sum()), int(np.isinf(data).sum()))
        for q in gates:
            data = displayed(trace, layer, direction, q, convention)
            sat = products.saturation(layer, direction, q, convention, skipped)
            left, right, nan_steps = ref_saturation(data, q, skipped)
            np.testing.assert_array_equal(sat.left, left)
            np.testing.assert_array_equal(sat.right, right)
            assert sat.nan_steps == nan_steps
    assert products.made == 0 and products.hits > 0  # every product asked for was ready


def test_products_made_on_request_when_not_precomputed_are_the_same():
    trace = with_nonfinite(traced("lstm", layers=1))
    products = vp.products_for(trace)
    c = trace.get(0, "forward", "cell_state")
    for per_unit in (False, True):
        heat = products.heat(0, "forward", "cell_state", "framework", per_unit)
        assert_same_heat(heat, ref_heat(c, "cell_state", per_unit))
    assert products.made == 2 and products.precomputed == 0
    products.heat(0, "forward", "cell_state", "framework", True)
    assert products.made == 2 and products.hits == 1


def test_the_cache_is_bounded_and_keyed_by_the_trace_itself():
    traces = [traced("rnn", layers=1, steps=50, seed=k) for k in range(vp.MAX_TRACES + 2)]
    for t in traces:
        vp.precompute(t)
    kept = [t for t in traces if id(t) in vp._registry and vp._registry[id(t)].trace is t]
    assert kept == traces[-vp.MAX_TRACES:]  # the oldest went first
    assert vp.products_for(traces[0]).precomputed == 0  # asked again: a new, empty set
    # a new trace with equal values is another trace: its products are its own
    twin = Trace(traces[-1].cell, {k: dict(v) for k, v in traces[-1].states.items()})
    assert vp.products_for(twin) is not vp.products_for(traces[-1])


def test_precompute_stops_when_its_progress_callback_raises():
    trace = traced("lstm", layers=2, steps=200)
    calls = []

    class Cancelled(Exception):
        pass

    def progress(fraction, message):
        calls.append(fraction)
        if len(calls) == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        vp.precompute(trace, progress=progress)
    assert vp.products_for(trace).precomputed == 2  # it stopped between two arrays


def test_panels_draw_the_precomputed_images(qtbot):
    """The heatmap and saturation panels show the ready products (none made on the GUI thread),
    equal to the reference, in a row order and per-unit cell scale too."""
    pytest.importorskip("pytestqt")
    from gateviz.ui.panels import PANEL_CLASSES
    from gateviz.ui.state import Theme, ViewState

    trace = with_nonfinite(traced("lstm", layers=2, bidirectional=True))
    model = RecurrentModel(layers_from_module(torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)),
                           input=InputStage(features=3))
    products = vp.precompute(trace, "framework", "unit")
    state = ViewState()
    state.set_theme(Theme(cell_scale="unit"))
    state.set_trace(model, trace, None)
    heat = PANEL_CLASSES["heatmaps"](state)
    sat = PANEL_CLASSES["saturation"](state)
    qtbot.addWidget(heat)
    qtbot.addWidget(sat)
    order = np.array([4, 0, 3, 1, 2])
    state.set_layer_direction(1, "backward")
    state.set_row_order(order)
    for row in heat.rows:
        data = trace.get(1, "backward", row.quantity)
        img, levels, _, has_nan = ref_heat(data, row.quantity, row.quantity == "cell_state", order)
        np.testing.assert_array_equal(row.image.image, img)
        assert row.levels == levels and row.nan_back.isVisible() == has_nan
    assert "NaN: " in heat.rows[0].nan_note
    for gp in sat.plots:
        for k in (0, 1):
            left, right, _ = ref_saturation(trace.get(k, "backward", gp.quantity), gp.quantity, [])
            np.testing.assert_array_equal(gp.points[k][0], left)
            np.testing.assert_array_equal(gp.points[k][1], right)
    assert products.made == 0 and products.hits >= 2 * 6 + 2 * 3
