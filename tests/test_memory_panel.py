"""The Memory panel (issue 12): it follows the time cursor through a GradientFollower that computes
off the GUI thread, draws the very numbers of gateviz.core.gradients, survives every kind of model
switch, and exports in every format; the main window computes only while someone looks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from export_helpers import image_array, small_model  # noqa: E402

from gateviz.bundled import default_sample, load_bundled  # noqa: E402
from gateviz.cli import main  # noqa: E402
from gateviz.core.engine import Tracer  # noqa: E402
from gateviz.core.gradients import GradientTarget, compute_gradients, forget_product  # noqa: E402
from gateviz.tasks import get_task_for_model  # noqa: E402
from gateviz.ui import gradient_follower  # noqa: E402
from gateviz.ui.gradient_follower import GradientFollower  # noqa: E402
from gateviz.ui.panels.memory import MemoryPanel  # noqa: E402
from gateviz.ui.state import ViewState  # noqa: E402


def traced(name: str):
    model = load_bundled(name)
    seq = default_sample(model).sequence
    return model, Tracer(model).trace(seq), seq, get_task_for_model(model)


@pytest.fixture
def panel(qtbot):
    state = ViewState()
    follower = GradientFollower(state)
    view = MemoryPanel(state)
    qtbot.addWidget(view)
    view.resize(960, 760)
    view.show()
    qtbot.waitExposed(view)
    yield state, follower, view
    follower.wait()


def wait_for_step(qtbot, state: ViewState, step: int):
    qtbot.waitUntil(lambda: state.gradients is not None and state.gradients.target.step == step, timeout=20000)
    return state.gradients


def curve(line) -> np.ndarray:
    return np.asarray(line.getData()[1], dtype=np.float64)


def test_panel_follows_the_cursor_with_the_core_numbers(qtbot, panel):
    state, follower, view = panel
    model, trace, seq, task = traced("adding-long-lstm")
    state.set_trace(model, trace, seq, task)
    wait_for_step(qtbot, state, state.step)
    state.set_pinned([0, 3])
    for step in (40, 120):
        state.set_step(step)
        g = wait_for_step(qtbot, state, step)
        expected = compute_gradients(model, trace, GradientTarget(step=step))
        np.testing.assert_array_equal(g.connectivity, expected.connectivity)
        # the bars are the connectivity; the t* line and the cursor sit at the step
        np.testing.assert_allclose(view.bars.opts["height"], expected.connectivity, rtol=1e-6)
        assert view.target_lines[0].value() == step and view.cursors[1].value() == step
        # the log curves are log10 of the norms, gaps (NaN) exactly where the gradient is zero: after t*
        h = curve(view.norm_lines[(0, "forward", "hidden")])
        norms = expected.norms(0, "forward")
        np.testing.assert_allclose(h[:step + 1], np.log10(norms[:step + 1]), rtol=1e-5)
        assert np.isnan(h[step + 1:]).all()
        # the heatmap holds dy/dc, units x time, at a symmetric range
        img = view.heat.image
        assert img.shape == (32, trace.length)
        np.testing.assert_allclose(img, expected.cell[(0, "forward")].T, rtol=1e-6)
        lo, hi = view.heat.levels
        assert lo == -hi and hi == pytest.approx(np.abs(img).max())
        assert f"at step {step}" in view.caption.text()
    # the carousel: the pinned units' forget product, and the unit that carries y furthest
    f = trace.get(0, "forward", "forget_gate")
    product = curve(view.product_lines[3])
    np.testing.assert_allclose(product, forget_product(f[:, [3]], 120)[:, 0], rtol=1e-6, equal_nan=True)
    carrier = int(np.argmax(np.abs(g.cell[(0, "forward")][:120]).sum(axis=0)))
    assert carrier in view.product_lines and "carries y furthest" in view.carousel_plot.titleLabel.text
    # the visible x range covers the whole sequence in every plot
    for plot in view.plots:
        x0, x1 = plot.viewRange()[0]
        assert x0 <= 0 and x1 >= trace.length - 1


def test_the_work_runs_off_the_gui_thread(qtbot, panel, monkeypatch):
    state, follower, view = panel
    threads = []
    real = compute_gradients

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr("gateviz.core.gradients.compute_gradients", spy)
    model, trace, seq, task = traced("brackets-lstm")
    state.set_trace(model, trace, seq, task)
    wait_for_step(qtbot, state, state.step)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert gradient_follower is not None


def test_playback_never_waits_and_the_last_step_arrives(qtbot, panel):
    """Thirty cursor moves in a row: each returns at once; the newest step's gradients come last."""
    state, follower, view = panel
    model, trace, seq, task = traced("text-lstm")
    state.set_trace(model, trace, seq, task)
    for step in range(100, 130):
        state.set_step(step)
    wait_for_step(qtbot, state, 129)
    qtbot.waitUntil(lambda: not follower.busy, timeout=20000)
    assert state.gradients.target.step == 129


def test_playback_computes_a_few_times_a_second_and_shows_each_result_with_its_step(qtbot, panel, monkeypatch):
    """Playing at 60 steps/s: the gradients are computed at most 1/MIN_INTERVAL_S times a second,
    each result shown carries its own t* (marked by the dashed line), and after a pause the cursor's
    own step arrives."""
    import time

    from gateviz.ui.player import Player

    state, follower, view = panel
    model, trace, seq, task = traced("text-lstm")
    state.set_trace(model, trace, seq, task)
    wait_for_step(qtbot, state, state.step)
    starts = []
    real = compute_gradients

    def spy(*args, **kwargs):
        starts.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr("gateviz.core.gradients.compute_gradients", spy)
    shown = []
    state.gradientsChanged.connect(lambda: shown.append((state.gradients.target.step, view.target_lines[0].value())))
    player = Player(state)
    player.set_speed(60)
    state.set_step(0)
    began = time.monotonic()
    player.play()
    qtbot.waitUntil(lambda: state.step >= 100, timeout=20000)
    player.pause()
    played = time.monotonic() - began
    wait_for_step(qtbot, state, state.step)
    assert 2 <= len(starts) <= played / follower.MIN_INTERVAL_S + 2, (len(starts), played)
    assert np.all(np.diff(starts) >= follower.MIN_INTERVAL_S * 0.95)
    assert len(shown) >= 2 and all(t == marker for t, marker in shown)


@pytest.mark.parametrize("kind", ["gru", "rnn", "bidirectional", "text", "lstm"])
def test_every_kind_of_model_switch(qtbot, panel, kind):
    state, follower, view = panel
    model, trace, seq, task = traced("brackets-lstm")
    state.set_trace(model, trace, seq, task)
    wait_for_step(qtbot, state, state.step)
    if kind in ("gru", "rnn"):
        model, trace, seq, task = traced(f"sine-{kind}")
    elif kind == "text":
        model, trace, seq, task = traced("text-gru")
    elif kind == "bidirectional":
        model = small_model("lstm", units=5, layers=2, bidirectional=True, input_size=1)
        seq = np.random.default_rng(0).standard_normal((30, 1))
        trace, task = Tracer(model).trace(seq), None
    else:
        model, trace, seq, task = traced("adding-lstm")
    state.set_trace(model, trace, seq, task)
    assert view.bars.opts["height"] is None or len(view.bars.opts["height"]) == 0  # old gradients are gone
    g = wait_for_step(qtbot, state, state.step)
    lstm = trace.cell == "lstm"
    assert view._carousel_shown == lstm
    assert set(view.norm_lines) == {(k, d, w) for (k, d) in g.hidden for w in (("hidden", "cell") if lstm
                                                                              else ("hidden",))}
    x0, x1 = view.heat_plot.viewRange()[0]
    assert x0 <= 0 and x1 >= trace.length - 1
    if kind == "bidirectional":
        state.set_layer_direction(1, "backward")
        qtbot.waitUntil(lambda: view.heat.image is not None and np.allclose(
            view.heat.image, g.cell[(1, "backward")].T), timeout=5000)
        assert "layer 1 backward" in view.heat_plot.titleLabel.text


def test_target_box_picks_a_class_or_a_unit(qtbot, panel):
    state, follower, view = panel
    model, trace, seq, task = traced("digits-lstm")
    state.set_trace(model, trace, seq, task)
    state.set_pinned([7])
    wait_for_step(qtbot, state, state.step)
    texts = [view.target_box.itemText(i) for i in range(view.target_box.count())]
    assert texts[0] == "y: the model's output" and "y: log p('3')" in texts
    assert texts[-1] == "y: h of unit 7 (layer 0 forward)"
    view._target_chosen(texts.index("y: log p('3')"))
    qtbot.waitUntil(lambda: state.gradients is not None and state.gradients.target.output == 3, timeout=20000)
    assert f"log p(3) at step {state.step}" in view.caption.text()
    view._target_chosen(len(texts) - 1)
    qtbot.waitUntil(lambda: state.gradients is not None and state.gradients.target.unit == (0, "forward", 7),
                    timeout=20000)
    assert "h of unit 7 (layer 0 forward)" in view.caption.text()


def test_a_refusal_is_shown_in_the_panel(qtbot, panel, monkeypatch):
    state, follower, view = panel
    model, trace, seq, task = traced("brackets-lstm")
    monkeypatch.setenv("GATEVIZ_MEMORY_LIMIT", "20K")  # the gradients of 37 steps need ~30 KiB
    state.set_trace(model, trace, seq, task)
    qtbot.waitUntil(lambda: state.gradient_error is not None, timeout=20000)
    assert state.gradients is None
    assert "gradients unavailable" in view.caption.text() and "memory" in view.caption.text()


def test_main_window_computes_only_while_someone_looks(qtbot):
    from gateviz.ui.main_window import MainWindow

    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    window.show()
    window.open_model("bundled:brackets-lstm")
    qtbot.waitUntil(lambda: window.state.trace is not None, timeout=30000)
    window.set_layout("dashboard")
    window.state.set_show_memory(False)
    assert not window.gradient_follower.active
    window.set_layout("memory")  # Ctrl+9: the input shaded above the memory panel
    assert window.state.show_memory and window.memory_shading_action.isChecked()
    assert window.gradient_follower.active
    qtbot.waitUntil(lambda: window.state.gradients is not None, timeout=20000)
    window.set_layout("cell")
    assert window.gradient_follower.active  # the shading stays on until switched off
    window.memory_shading_action.trigger()  # Ctrl+Shift+M
    assert not window.state.show_memory and not window.gradient_follower.active
    window.gradient_follower.wait()


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "gif", "mp4"])
def test_export_memory_panel(tmp_path, qapp, capsys, fmt):
    out = tmp_path / f"m.{fmt}"
    extra = ["--range", "10:14"] if fmt in ("gif", "mp4") else ["--step", "30"]
    assert main(["export", "bundled:brackets-lstm", "--panel", "memory", "-o", str(out), *extra]) == 0
    assert out.stat().st_size > 1000
    if fmt == "png":
        img = image_array(out)
        assert img.shape[:2] == (760, 960)
        # the connectivity bars and the gradient curves in the accent colour
        assert (np.abs(img[..., :3].astype(int) - [0x00, 0x72, 0xB2]).sum(axis=-1) < 30).sum() > 5000
    if fmt == "gif":
        # each frame shows its own step's gradients: the connectivity bars end at t* (nothing after it
        # reaches y), so the last bar's right edge moves one step to the right per frame
        from PIL import Image, ImageSequence

        edges = []
        for frame in ImageSequence.Iterator(Image.open(out)):
            strip = np.asarray(frame.convert("RGB")).astype(int)[:160]  # the connectivity bars' rows
            accent = np.abs(strip - [0x00, 0x72, 0xB2]).sum(axis=-1) < 40
            edges.append(int(np.nonzero(accent.sum(axis=0) > 3)[0].max()))
        moves = np.diff(edges)
        assert len(edges) == 4 and (moves > 10).all() and moves.max() - moves.min() <= 2, edges


def test_export_memory_layout_and_target_flags(tmp_path, qapp, capsys):
    out = tmp_path / "slide.png"
    assert main(["export", "bundled:adding-lstm", "--layout", "memory", "--target-unit", "0.forward.3",
                 "--preset", "slide", "-o", str(out)]) == 0
    assert image_array(out).shape[:2] == (1080, 1920)
    bad = tmp_path / "bad.png"
    assert main(["export", "bundled:adding-lstm", "--panel", "memory", "--target-class", "4", "-o", str(bad)]) == 2
    assert "target class 4 does not exist" in capsys.readouterr().err and not bad.exists()
    assert main(["export", "bundled:adding-lstm", "--panel", "memory", "--step", "3", "--target-step", "4",
                 "-o", str(bad)]) == 2
    assert "differ" in capsys.readouterr().err


def test_export_data_with_gradients(tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert main(["export", "bundled:adding-lstm", "--gradients", "--target-step", "20", "-o", str(out)]) == 0
    with np.load(out) as data:
        assert data["connectivity"].shape == (50,) and not data["connectivity"][21:].any()
    assert main(["export", "bundled:adding-lstm", "--target-step", "20", "-o", str(tmp_path / "u.npz")]) == 2
    assert "add --gradients" in capsys.readouterr().err
