"""The GUI thread's worst block (issue 17's event-loop latency probe) while the real window works.

A QTimer on the GUI thread fires every 10 ms and records the largest gap between two firings; a
gap of G ms means the event loop was blocked for about G − 10 ms (nothing else can be drawn or
clicked meanwhile). The real MainWindow (offscreen, 1600x900) opens a seeded 2-layer LSTM (by
default bidirectional, so a direction switch can be measured), then, each with the probe running:

    trace shown       the window re-traces a long input (``set_sequence``: the trace job runs on the
                      window's TraceRunner as in the app) until it is shown and painted
    cancel            Cancel beside the progress, clicked while layer 1 is traced, while the last
                      layer is, and while the panels' products are made: how long the job's thread
                      ran on after the click (target: within 0.5 s at any stage), and the worst gap
    input panel paint the input/output panel's time range changed and the panel painted whole
                      (its lines downsampled again, nothing cached), ms per change and paint
    layer switch      layer 0 → 1 (and back), as the layer box does
    direction switch  forward → backward (and back)
    pin a unit        one more pinned unit (the traces, cell diagram and input panel follow it)
    step move         a jump to the middle, then single steps
    playback          two seconds of playback at 60 steps/s

Every row is repeated (``--repeat``); the best and the median worst gap are printed. Targets:
no block > 50 ms while a trace is shown, a layer switch ≤ 100 ms, a cancel within 0.5 s. The machine this was written on
has 2 busy cores: numbers are noisy.

    python benchmarks/gui_latency.py [--units 256] [--steps 100000] [--layers 2] [--unidirectional]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

# offscreen on a 1920x1200 screen (as tests/conftest.py): Qt's default 800x600 screen shrinks the window
# to fit it, and the dashboard then leaves the heatmaps, saturation and input panels out
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    import json

    _screen = os.path.join(tempfile.gettempdir(), f"gateviz-bench-screen-{os.getuid()}.json")
    with open(_screen, "w") as _f:
        json.dump({"screens": [{"name": "bench", "x": 0, "y": 0, "width": 1920, "height": 1200, "logicalDpi": 96,
                                "logicalBaseDpi": 96, "dpr": 1}]}, _f)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

PROBE_MS = 10


def torch_module(units: int, layers: int, bidirectional: bool, features: int = 8):
    """The seeded torch LSTM the benchmark model is made from."""
    import torch

    torch.manual_seed(0)
    return torch.nn.LSTM(features, units, num_layers=layers, bidirectional=bidirectional).eval()


def build_model(units: int, layers: int, bidirectional: bool, features: int = 8):
    from gateviz.core.model import InputStage, RecurrentModel
    from gateviz.formats.torch_state import layers_from_module

    module = torch_module(units, layers, bidirectional, features)
    name = f"benchmark {'bi' if bidirectional else ''}LSTM {layers}x{units}"
    return RecurrentModel(layers_from_module(module), InputStage(kind="raw", features=features), name=name).validate()


def sequence(steps: int, features: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(steps)[:, None]
    return (np.sin(t / (5.0 + np.arange(features))) + 0.3 * rng.standard_normal((steps, features))).astype(np.float32)


class Probe:
    """A 10 ms QTimer on the GUI thread; ``worst`` is the largest gap between two firings (ms)."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.worst = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.worst = max(self.worst, (now - self.last) * 1000)
        self.last = now

    def start(self) -> None:
        self.last, self.worst = time.perf_counter(), 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        self._tick()
        return self.worst


CLOSED_DIALOGS: list[str] = []


def _close_dialogs() -> None:
    """A modal dialog (an error, a question) would wait for a click forever: print it and close it
    unanswered (a question: "no"); its title goes to CLOSED_DIALOGS."""
    from PySide6.QtWidgets import QApplication

    modal = QApplication.activeModalWidget()
    if modal is not None:
        text = getattr(modal, "text", lambda: "")()
        print(f"{'':18s} (a dialog was closed unanswered: {modal.windowTitle()!r}: {text!r})", flush=True)
        CLOSED_DIALOGS.append(modal.windowTitle() or type(modal).__name__)
        modal.reject()


def run_events(app, seconds: float, until=None, limit: float | None = None) -> None:
    """Run the event loop for ``seconds`` (after ``until()`` turns true, when given; at most
    ``limit`` seconds in all, when given).

    A real QEventLoop, idle between events as the app's is: a loop polling processEvents every
    millisecond woke the GUI thread 1000 times a second, which on 2 cores took a core from torch's
    OpenMP threads and made a 2x1024 trace ~30% slower than in the app."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = [None if until is not None else time.perf_counter() + seconds]
    give_up = None if limit is None else time.perf_counter() + limit

    def check() -> None:
        _close_dialogs()
        if deadline[0] is None and until():
            deadline[0] = time.perf_counter() + seconds
        now = time.perf_counter()
        if (deadline[0] is not None and now >= deadline[0]) or (give_up is not None and now >= give_up):
            loop.quit()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()


def measure(app, probe: Probe, action, settle: float = 0.6, until=None) -> float:
    """The worst gap (ms) from just before ``action()`` (run from the event loop) to ``settle``
    seconds after it (and after ``until()``)."""
    from PySide6.QtCore import QTimer

    run_events(app, 0.2)  # whatever was pending first
    probe.start()
    QTimer.singleShot(0, action)
    run_events(app, settle, until)
    return probe.stop()


def row(name: str, gaps: list[float]) -> None:
    g = np.asarray(gaps)
    print(f"{name:18s} worst gap: best {g.min():7.1f} ms   median {np.median(g):7.1f} ms   "
          f"({len(g)} runs: {', '.join(f'{v:.0f}' for v in g)})", flush=True)


def cancel_row(app, probe: Probe, window, x: np.ndarray) -> None:
    """Cancel clicked at three stages of a trace job: the first layer, the last layer, the panels'
    products. Prints how long the job's thread ran on after the click, and the worst gap."""
    from PySide6.QtCore import QTimer

    layers = window.state.trace.num_layers
    stages = [("layer 1", "layer 1 of"), (f"layer {layers}", f"layer {layers} of"),  # "tracing N steps, layer k of n"
              ("panels", "preparing the panels")]
    before = window.state.trace
    results = []
    for k, (name, wanted) in enumerate(stages):
        messages = []

        def slot(_fraction, message, messages=messages) -> None:
            messages.append(message)

        window.runner.progress.connect(slot)
        xs = (x * (1.0 + 0.01 * (k + 1))).astype(np.float32)  # an input not traced yet
        run_events(app, 0.2)
        probe.start()
        QTimer.singleShot(0, lambda xs=xs: window.set_sequence(xs, "bench cancel"))
        dialogs = len(CLOSED_DIALOGS)

        def started_or_asked() -> bool:
            # a big model: the held trace and a new one may not fit in memory, and the app asks
            # (modal) whether to trace fewer steps; answered "no" (run_events), the stage is skipped
            return len(CLOSED_DIALOGS) > dialogs or any(wanted in m for m in messages)

        run_events(app, 0.0, started_or_asked, limit=600)
        if len(CLOSED_DIALOGS) > dialogs:
            window.runner.progress.disconnect(slot)
            probe.stop()
            print(f"{'cancel':18s} ({name}: skipped, a dialog came up instead)", flush=True)
            continue
        job = window.runner._running[1] if window.runner._running is not None else None  # its worker thread
        if job is None or not job.is_alive():
            window.runner.progress.disconnect(slot)
            probe.stop()
            print(f"{'cancel':18s} ({name}: the job had ended before the click)", flush=True)
            continue
        clicked = time.perf_counter()
        window.status.cancel_button.click()
        stopped = [None]

        def ended(job=job) -> bool:
            if stopped[0] is None and not job.is_alive():
                stopped[0] = time.perf_counter() - clicked
            return stopped[0] is not None

        run_events(app, 0.3, ended)
        gap = probe.stop()
        window.runner.progress.disconnect(slot)
        kept = window.state.trace is before
        results.append(stopped[0])
        print(f"{'cancel':18s} ({name}): the job's thread stopped {stopped[0] * 1000:6.0f} ms after the click; "
              f"worst gap {gap:.0f} ms; the shown trace {'kept' if kept else 'REPLACED'}", flush=True)
    if results:
        print(f"{'':18s} (slowest stop {max(results) * 1000:.0f} ms, target <= 500 ms)", flush=True)


def input_panel_row(app, window, repeat: int) -> None:
    """ms per paint of the input/output panel after its time range changed (lines downsampled anew)."""
    import pyqtgraph as pg

    panel = window.panels.get("io")
    if panel is None or not panel.isVisible():
        print(f"{'input panel paint':18s} (the input/output panel is not shown)", flush=True)
        return
    boxes = [item for view in panel.findChildren(pg.GraphicsView) for item in view.scene().items()
             if isinstance(item, pg.ViewBox)]
    T = window.state.trace.length
    ranges = [vb.viewRange()[0] for vb in boxes]
    times = []
    for k in range(repeat * 2):
        span = T * (1.0 - 0.01 * (k % 2 + 1))  # 98 or 99 % of the steps: new pixels per step each time
        t0 = time.perf_counter()
        for vb in boxes:  # the lines downsample again for the new range (pyqtgraph does it here)
            vb.setXRange(0, span, padding=0)
        panel.grab()  # every item of the panel painted now
        times.append((time.perf_counter() - t0) * 1000)
    for vb, (x0, x1) in zip(boxes, ranges):
        vb.setXRange(x0, x1, padding=0)
    run_events(app, 0.2)
    g = np.asarray(times)
    print(f"{'input panel paint':18s} after a time-range change: best {g.min():6.1f} ms   median {np.median(g):6.1f} ms"
          f"   ({T:,} steps, {len(boxes)} plot(s))", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--unidirectional", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (the trace row: --trace-repeat)")
    parser.add_argument("--trace-repeat", type=int, default=2)
    parser.add_argument("--size", default="1600x900", help="window size WxH")
    parser.add_argument("--against-torch", action="store_true",
                        help="also time torch's own forward over the same input (issue 17's 'app open -> shown' "
                             "row: request -> shown against it)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    os.environ.setdefault("GATEVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="gateviz-bench-"))
    import gateviz.ui  # noqa: F401  (PySide6 refcount workaround first)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from gateviz.ui.main_window import MainWindow

    model = build_model(args.units, args.layers, not args.unidirectional)
    x = sequence(args.steps)
    window = MainWindow(restore=False)
    window.resize(width, height)
    window.show()
    ready = []
    window.traceReady.connect(lambda: ready.append(True))
    window.open_model(model)
    run_events(app, 0.5, lambda: ready)
    shown = [pid for pid, panel in window.panels.items() if panel.isVisible()]
    print(f"{model.name}, {args.steps:,} steps, window {window.width()}x{window.height()} (offscreen; panels shown: "
          f"{', '.join(shown)}; probe every {PROBE_MS} ms; a gap of G ms = the GUI thread blocked ~G − {PROBE_MS} ms)",
          flush=True)
    probe = Probe()
    s = window.state

    gaps, times = [], []
    for k in range(args.trace_repeat):
        ready.clear()
        t0 = time.perf_counter()
        # a slightly different input each time: the window traces and shows a new trace
        xs = x if k % 2 == 0 else x[::-1].copy()
        gaps.append(measure(app, probe, lambda xs=xs: window.set_sequence(xs, f"bench {k}"), 1.0, lambda: ready))
        times.append(time.perf_counter() - t0 - 1.2)
    row("trace shown", gaps)
    print(f"{'':18s} (request → shown: {', '.join(f'{t:.1f}' for t in times)} s, tracing included)", flush=True)
    if args.against_torch:
        import torch

        module = torch_module(args.units, args.layers, not args.unidirectional)
        t0 = time.perf_counter()
        with torch.no_grad():
            module(torch.as_tensor(x)[:, None])  # (T, 1, features)
        native = time.perf_counter() - t0
        print(f"{'':18s} (torch's own forward over the same input: {native:.1f} s; request → shown / forward: "
              f"{', '.join(f'{t / native:.2f}x' for t in times)}, target <= 1.5x)", flush=True)

    cancel_row(app, probe, window, x)
    input_panel_row(app, window, args.repeat)

    two = [(0, s.trace.directions(0)[0]), (min(1, s.trace.num_layers - 1), s.trace.directions(0)[0])]
    gaps = []
    for k in range(args.repeat * 2):
        layer, direction = two[(k + 1) % 2]
        gaps.append(measure(app, probe, lambda l=layer, d=direction: s.set_layer_direction(l, d)))
    row("layer switch", gaps)
    if len(s.trace.directions(s.layer)) > 1:
        gaps = []
        for k in range(args.repeat * 2):
            direction = s.trace.directions(s.layer)[(k + 1) % 2]
            gaps.append(measure(app, probe, lambda d=direction: s.set_layer_direction(s.layer, d)))
        row("direction switch", gaps)
    gaps = []
    for k in range(args.repeat):
        gaps.append(measure(app, probe, lambda u=10 + k: s.set_pinned(s.pinned[:1] + [u])))
    row("pin a unit", gaps)
    gaps = []
    for k in range(args.repeat):
        def jump(k=k):
            s.set_step(args.steps // 2 + 1000 * k)
        gaps.append(measure(app, probe, jump))
        gaps.append(measure(app, probe, lambda: s.set_step(s.step + 1)))
    row("step move", gaps)
    gaps = []
    window.player.set_speed(60.0)
    for k in range(args.repeat):
        gaps.append(measure(app, probe, window.player.play, 2.0))
        window.player.pause()
    row("playback", gaps)
    window.close()


if __name__ == "__main__":
    main()
