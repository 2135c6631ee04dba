"""Issue 17: the generic input/output view keeps its plots and lines when a new trace has the same
layout (the same features and outputs, drawn as lines) and only gives them the new data; making
a plot and eight lines again was ~50 ms of the GUI thread's block when a 100k-step trace arrived.

What it shows must be exactly what a view made anew shows: the same data, ranges, titles, pens,
drawing modes, the original run's lines and the memory shading for the new length."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.gradients import GradientTarget, compute_gradients  # noqa: E402
from gateviz.core.model import Head, InputStage, RecurrentModel  # noqa: E402
from gateviz.formats.torch_state import layers_from_module  # noqa: E402
from gateviz.ui.panels import PANEL_CLASSES  # noqa: E402
from gateviz.ui.panels.io_generic import GenericView  # noqa: E402
from gateviz.ui.state import ViewState  # noqa: E402


def model_with_head(features=4, outputs=2, units=8):
    torch.manual_seed(0)
    model = RecurrentModel(layers_from_module(torch.nn.LSTM(features, units)),
                           InputStage(kind="raw", features=features), name="LSTM with a head")
    rng = np.random.default_rng(0)
    model.head = Head(weight=rng.standard_normal((outputs, units)).astype(np.float32),
                      bias=np.zeros(outputs, np.float32), activation="sigmoid")
    return model.validate()


def series(steps, features=4, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(steps)[:, None]
    return (np.sin(t / (3.0 + np.arange(features))) + 0.2 * rng.standard_normal((steps, features))).astype(np.float32)


def show(state, model, x):
    state.set_trace(model, Tracer(model).trace(x), x)


def io_panel(qtbot, model, x):
    state = ViewState()
    show(state, model, x)
    panel = PANEL_CLASSES["io"](state)
    qtbot.addWidget(panel)
    panel.resize(900, 420)
    panel.show()
    qtbot.waitExposed(panel)
    return state, panel


def seen(view: GenericView) -> dict:
    """What the view shows, item by item."""
    return {
        "ranges": [p.viewRange() for p in view.plots],
        "titles": [view.titles[id(p)] for p in view.plots],
        "lines": [(k, item.xData, item.yData, item.opts["pen"].color().name(), item.opts["pen"].widthF(),
                   item.curve.opts["segmentedLineMode"], item.opts["autoDownsampleFactor"], item.isVisible())
                  for item, k in view.lines],
        "originals": [(item.isVisible(), item.yData) for item in view.original_lines],
        "cursors": [c.value() for c in view.cursors],
        "band": None if view.memory_band is None else (view.memory_band.length, view.memory_band.visible),
    }


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        left, right = a[key], b[key]
        if key == "lines":
            assert len(left) == len(right)
            for one, other in zip(left, right):
                assert one[0] == other[0] and one[3:] == other[3:]
                np.testing.assert_array_equal(one[1], other[1])
                np.testing.assert_array_equal(one[2], other[2])
        elif key == "originals":
            assert [v for v, _ in left] == [v for v, _ in right]
            for (_, y0), (_, y1) in zip(left, right):
                assert (y0 is None or len(y0) == 0) == (y1 is None or len(y1) == 0)
                if y0 is not None and len(y0):
                    np.testing.assert_array_equal(y0, y1)
        else:
            assert left == right, key


def made_anew(panel) -> dict:
    """What the same state looks like in a view made from scratch."""
    panel.view._refill_key = None
    panel.rebuild()
    return seen(panel.view)


def test_a_new_trace_of_the_same_layout_refills_the_lines_and_shows_what_a_new_view_would(qtbot):
    model = model_with_head()
    state, panel = io_panel(qtbot, model, series(60))
    view = panel.view
    assert type(view) is GenericView and len(view.plots) == 2 and len(view.lines) == 6  # 4 inputs, 2 outputs
    plots, items = list(view.plots), [item for item, _ in view.lines]
    for steps in (3000, 40):  # long (segments, no antialiasing where dense) and back to short
        x = series(steps, seed=steps)
        show(state, model, x)
        assert panel.view is view and view.plots == plots and [item for item, _ in view.lines] == items
        refilled = seen(view)
        np.testing.assert_array_equal(refilled["lines"][0][2], x[:, 0])
        np.testing.assert_array_equal(refilled["lines"][4][2], state.trace.output[:, 0].astype(np.float32))
        assert refilled["ranges"][0][0][1] == pytest.approx((steps - 1) * 1.01, rel=0.01)
        assert_same(refilled, made_anew(panel))
        plots, items = list(view.plots), [item for item, _ in view.lines]


def test_refilled_lines_follow_the_original_run_and_the_memory_shading(qtbot):
    """An intervened run's original lines and the memory band made for the old length are not kept."""
    model = model_with_head()
    state, panel = io_panel(qtbot, model, series(60))
    view = panel.view
    state.set_show_memory(True)
    state.set_gradients(compute_gradients(state.model, state.trace, GradientTarget(step=30)))
    assert view.memory_band is not None and view.memory_band.length == 60 and view.memory_band.visible
    old_band = view.memory_band

    x = series(200, seed=1)
    trace = Tracer(model).trace(x)
    original = Tracer(model).trace(series(200, seed=2))  # stands for the run without interventions
    state.set_trace(model, trace, x, original=original)
    state.set_show_original(True)
    assert all(item.isVisible() for item in view.original_lines)
    np.testing.assert_array_equal(view.original_lines[1].yData, original.output[:, 1].astype(np.float32))
    assert view.memory_band is None and old_band.image.scene() is None  # taken off the plot
    state.set_gradients(compute_gradients(state.model, state.trace, GradientTarget(step=150)))
    assert view.memory_band.length == 200 and view.memory_band.visible and view.memory_band.plot is view.plots[0]
    assert_same(seen(view), made_anew(panel))


def test_another_layout_makes_the_plots_anew(qtbot):
    model = model_with_head()
    state, panel = io_panel(qtbot, model, series(60))
    view = panel.view
    plots = list(view.plots)
    wider = model_with_head(features=6, outputs=3)
    show(state, wider, series(80, features=6))
    assert panel.view is view and not set(map(id, view.plots)) & set(map(id, plots))
    assert len(view.lines) == 9
    headless = RecurrentModel(layers_from_module(torch.nn.LSTM(6, 8)), InputStage(kind="raw", features=6),
                              name="no head").validate()
    before = list(view.plots)
    show(state, headless, series(80, features=6))
    assert not set(map(id, view.plots)) & set(map(id, before))
    assert_same(seen(view), made_anew(panel))


def test_finite_range_reads_min_and_max_and_leaves_out_what_is_not_finite():
    """The y range of the input/output lines: the plain min and max when all is finite (no filtered
    copy of a 100k-step input), else those of the finite values; all NaN gives (-1, 1)."""
    from gateviz.ui.panels.io_base import finite_range

    a = np.linspace(-3, 5, 1000, dtype=np.float32).reshape(500, 2)
    assert finite_range(a) == (-3.0, 5.0)
    b = a.copy()
    b[10, 0], b[20, 1], b[30, 0] = np.nan, np.inf, -np.inf
    assert finite_range(b) == (-3.0, 5.0)  # b[0, 0] = -3 and b[-1, 1] = 5 stay finite
    c = np.full((4, 2), np.nan, np.float32)
    assert finite_range(c) == (-1.0, 1.0)
    assert finite_range(np.full(5, 2.0)) == (1.0, 3.0) and finite_range(np.full(5, 2.0), pad_flat=False) == (2.0, 3.0)
    assert finite_range(np.array([-1e308, 1e308])) == (-1e300, 1e300)
    assert finite_range(np.array([1, 2, 3])) == (1.0, 3.0)  # integers: the filtered route
