"""Export speed: a 1920x1080 MP4 of 200 steps of the dashboard, and a 300-dpi PNG.

    python benchmarks/export_speed.py [--steps 200] [--units 64] [--size 1920x1080] [--panel dashboard]

Prints the seconds for each export and the milliseconds per animation frame, split into
the panels' own work when the step changes (ViewState.set_step), painting the widget
(Qt), and waiting for the encoder (ffmpeg encodes in its own process; a writer thread
pipes the frames, so this is only the time the queue was full). Target: <= 50 ms per frame.
Runs offscreen; the model is a seeded random LSTM on a sine (no bundled files needed).
Timings on a shared machine are noisy: run it twice.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_state(steps: int, units: int, layers: int):
    import numpy as np
    import torch

    from gateviz.core.engine import Tracer
    from gateviz.core.model import RecurrentModel
    from gateviz.formats.torch_state import layers_from_module
    from gateviz.ui.state import ViewState

    torch.manual_seed(0)
    model = RecurrentModel(layers=layers_from_module(torch.nn.LSTM(1, units, num_layers=layers)), name="bench")
    sequence = np.sin(np.linspace(0, 12 * np.pi, steps))[:, None].astype(np.float32)
    trace = Tracer(model).trace(sequence)
    state = ViewState()
    state.set_trace(model, trace, sequence)
    state.set_pinned([0, 1, 2])
    return state


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=float, default=25)
    parser.add_argument("--panel", default="dashboard")
    args = parser.parse_args()

    from gateviz.export import headless

    headless.ensure_app()
    from gateviz.export.animation import AnimationExport
    from gateviz.export.figure import parse_size, save_png

    size = parse_size(args.size)
    state = build_state(args.steps, args.units, args.layers)
    with tempfile.TemporaryDirectory() as folder:
        view_state = headless.clone_state(state)
        widget = headless.build_view(view_state, args.panel)
        job = AnimationExport(widget, view_state, os.path.join(folder, "bench.mp4"), fps=args.fps, size=size)
        t0 = time.perf_counter()
        cpu0, proc0, children0 = time.thread_time(), time.process_time(), _children_cpu()
        job.start()
        first_frame = None
        while job.render_next():
            if first_frame is None:
                first_frame = time.perf_counter() - t0
        t_frames = time.perf_counter() - t0
        gui_cpu, proc_cpu = time.thread_time() - cpu0, time.process_time() - proc0
        job.finish()
        t_mp4 = time.perf_counter() - t0
        ffmpeg_cpu = _children_cpu() - children0  # counted once ffmpeg has exited
        mp4_bytes = os.path.getsize(os.path.join(folder, "bench.mp4"))
        n = job.total
        step_ms = 1000 * job.timings["step"] / n
        paint_ms = 1000 * job.timings["paint"] / n
        encode_ms = 1000 * job.timings["encode"] / n

        png_state = headless.clone_state(state)
        png_widget = headless.build_view(png_state, args.panel)
        t0 = time.perf_counter()
        plan = save_png(png_widget, os.path.join(folder, "bench.png"), dpi=300)
        t_png = time.perf_counter() - t0
        png_bytes = os.path.getsize(os.path.join(folder, "bench.png"))

    per_frame = 1000 * t_mp4 / n
    print(f"export speed: {args.panel}, LSTM {args.layers}x{args.units} units, {args.steps} steps (offscreen, noisy)")
    print(f"  MP4 {job.plan.pixels[0]}x{job.plan.pixels[1]} H.264, {n} frames: {t_mp4:7.2f} s "
          f"({mp4_bytes / 1e6:.1f} MB; first frame incl. layout {1000 * (first_frame or 0):.0f} ms)")
    print(f"    per frame: {per_frame:6.1f} ms   target <= 50 ms: {'OK' if per_frame <= 50 else 'MISSED'}")
    print(f"      panels follow the step {step_ms:5.1f} ms | paint {paint_ms:5.1f} ms | wait for encoder "
          f"{encode_ms:5.1f} ms | ffmpeg finish {1000 * (t_mp4 - t_frames):.0f} ms in all")
    print(f"      CPU per frame (robust to a busy machine): GUI thread {1000 * gui_cpu / n:5.1f} ms, "
          f"all our threads {1000 * proc_cpu / n:5.1f} ms, ffmpeg {1000 * ffmpeg_cpu / n:5.1f} ms (own process)")
    print(f"  PNG 300 dpi {plan.pixels[0]}x{plan.pixels[1]}: {t_png:7.2f} s ({png_bytes / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
