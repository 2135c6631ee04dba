"""A training time-lapse (issue 16): one frame per training snapshot, as a GIF or an MP4.

Each frame is one view (a panel, by default the gate heatmaps, or the dashboard) of the same
input and time step, traced with that snapshot's weights (``core.snapshots.SnapshotTraces``),
under a one-line title naming the snapshot: "sine-lstm · step 96/192 · epoch 4 · loss … · mse …".
It is ``animation.AnimationExport`` (same encoders, frame buffers and temporary file) whose frames
change the trace instead of the step.

    gateviz export m.gvm [INPUT] --timelapse -o grow.gif [--panel NAME] [--step T]
"""

from __future__ import annotations

import sys
import time

from .animation import AnimationExport
from .files import ExportError

DEFAULT_PANEL = "heatmaps"
TIMELAPSE_FORMATS = ("gif", "mp4")


def frame_title(model, index: int) -> str:
    """The title of snapshot ``index``'s frame: model name, step (of the run's last), epoch, loss, metric;
    in the export's language (English: the core's Snapshot.title, word for word)."""
    from gateviz.ui import i18n

    snaps = model.snapshots
    if i18n.current_language() == "en":
        return f"{model.name} · " + snaps[index].title(total_steps=snaps[-1].step)
    return f"{model.name} · " + _translated_title(snaps[index], snaps[-1].step)


def _translated_title(s, total_steps: int | None) -> str:
    """Snapshot.title (gateviz.core.snapshots, Qt-free, English) in the interface language."""
    from PySide6.QtCore import QCoreApplication

    translate = QCoreApplication.translate
    step = (translate("Export", "training step {step}/{total}").format(step=s.step, total=total_steps) if total_steps
            else translate("Export", "training step {step}").format(step=s.step))
    parts = [step, translate("Export", "epoch {epoch}").format(epoch=s.epoch)]
    if s.loss is not None:
        parts.append(translate("Export", "loss {loss}").format(loss=f"{s.loss:.4g}"))
    if s.metric_name:
        from gateviz.tasks import metric_label
        from gateviz.ui.i18n import localized

        metric = localized(metric_label(s.metric_name))  # "depth_accuracy" -> 深度准确率
        if s.metric is None:
            parts.append(translate("Export", "{metric} not yet measured").format(metric=metric))
        else:
            at = "" if s.metric_step == s.step else translate("Export", " (at step {step})").format(step=s.metric_step)
            parts.append(f"{metric} {s.metric:.4g}{at}")
    if s.dtype != "float32":
        parts.append(translate("Export", "{dtype} weights").format(dtype=s.dtype))
    return " · ".join(parts)


class TimelapseExport(AnimationExport):
    """Frames: the snapshots of ``traces.model`` in order, each shown at time step ``step``.

    ``widget`` is the titled box from ``titled``; ``traces`` a SnapshotTraces of the state's sequence.
    ``titles`` lists each frame's title as drawn."""

    def __init__(self, widget, state, traces, path, *, step: int, fmt=None, fps: float = 2, size=None,
                 dpi=None, overwrite: bool = False):
        super().__init__(widget, state, path, fmt=fmt, fps=fps, size=size, dpi=dpi, overwrite=overwrite)
        self.traces, self.step = traces, step
        self.steps = [step] * len(traces)  # AnimationExport moves to steps[k] before painting frame k
        self.titles: list[str] = []
        self.timings["trace"] = 0.0

    def render_next(self) -> bool:
        from gateviz.core.snapshots import model_at_snapshot

        if self.finished:
            return False
        k = self.done
        t0 = time.perf_counter()
        model = self.traces.model
        trace = self.traces.get(k)
        self.timings["trace"] += time.perf_counter() - t0
        self.state.set_trace(model_at_snapshot(model, k), trace, self.state.sequence, self.state.task)
        title = frame_title(model, k)
        label = self.widget.title
        label.ensurePolished()  # its style sheet's font, for measuring
        room = self.plan.logical[0] - 24  # the label's padding
        from PySide6.QtCore import Qt

        # a title wider than the frame ends in "…" rather than making the frame impossible to lay out
        label.setText(label.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, max(room, 40)))
        self.titles.append(title)
        return super().render_next()


def titled(widget, theme):
    """``widget`` under a one-line title label (``box.title``), sized to hold both."""
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    box = QWidget()
    box.setObjectName("timelapse-box")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    label = QLabel("step")
    label.setMinimumWidth(1)  # never wider than the frame: a long title is elided (TimelapseExport)
    label.setObjectName("timelapse-title")
    label.setStyleSheet(f"QLabel {{ background: {theme.background}; color: {theme.foreground}; "
                        f"font-weight: bold; font-size: {theme.font_pt + 3}pt; padding: 6px 10px; }}")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    box.resize(widget.width(), widget.height() + label.sizeHint().height())
    box.title, box.view = label, widget
    return box


def export_timelapse(state, path, fmt: str, *, panel: str = DEFAULT_PANEL, step: int | None = None, size=None,
                     dpi=None, fps: float = 2, overwrite: bool = False, progress=None, cancelled=None,
                     traces=None, layout: str | None = None) -> TimelapseExport:
    """Render the time-lapse of ``state``'s model (which has snapshots) on ``state``'s sequence.

    ``step``: the time step every frame shows (default: the state's). ``traces``: a SnapshotTraces
    to reuse (the app's, already filled while scrubbing); default: a new one. Returns the finished
    job (``.titles``, ``.plan.pixels``, ``.timings``)."""
    from gateviz.core.snapshots import SnapshotTraces
    from gateviz.export import headless

    from .files import check_target

    model = state.model
    if not getattr(model, "snapshots", None):
        raise ExportError(f"{model.name} has no training snapshots, so there is no time-lapse to export; "
                          "train it with gateviz train --snapshots N (the default keeps 20)")
    if fmt not in TIMELAPSE_FORMATS:
        raise ExportError(f"a time-lapse is an animation: write a .gif or .mp4, not {fmt}")
    check_target(path, overwrite=overwrite)
    headless.ensure_app()
    if traces is None:
        traces = SnapshotTraces(model, state.sequence)
    view_state = headless.clone_state(state)
    step = view_state.step if step is None else step
    length = traces.get(len(traces) - 1).length
    if not 0 <= step < length:
        raise ExportError(f"step {step} is outside the sequence; it has steps 0..{length - 1}")
    from gateviz.ui import guard

    with guard.collecting() as failed:  # an exception in a panel's paint: no half-drawn file
        widget = headless.build_view(view_state, panel, layout)
        if headless.shows_memory(view_state, panel, layout):
            from gateviz.ui.gradient_follower import GradientFollower

            GradientFollower(view_state, widget, sync=True)
        box = titled(widget, view_state.theme)
        try:
            job = TimelapseExport(box, view_state, traces, path, step=step, fmt=fmt, fps=fps, size=size, dpi=dpi,
                                  overwrite=overwrite)
            job.run(progress, cancelled)
            if failed:
                raise ExportError(f"{path} was written, but drawing some frames failed ({failed[0]}); "
                                  "please report this with the text printed above")
            return job
        finally:
            box.close()
            box.deleteLater()


def run_cli(args, fmt: str, size, dpi, clamps=()) -> int:
    """``gateviz export MODEL [INPUT] --timelapse -o FILE``: the CLI's part, after export_cmd's checks."""
    from gateviz.cli import export_cmd

    if fmt not in TIMELAPSE_FORMATS:
        raise ExportError(f"--timelapse writes an animation: end the file name in .gif or .mp4, not .{fmt}")
    if args.panel == "compare":
        raise ExportError("--timelapse shows one model's training; leave out --panel compare")
    if args.steps is not None:
        raise ExportError("--range picks the time steps of an ordinary animation; a time-lapse has one frame per "
                          "training snapshot at one step: use --step T")
    if clamps:
        raise ExportError("--timelapse shows the model as it trained; leave out --clamp")
    if len(args.input) > 1:
        raise ExportError("give one MODEL and at most one INPUT with --timelapse")
    args.input = args.input[0] if args.input else args.input_file
    model, trace, sequence, task, _ = export_cmd._load(args)
    if not model.snapshots:
        raise ExportError(f"{args.model} has no training snapshots, so there is no time-lapse to export; "
                          "train it with gateviz train --snapshots N (the default keeps 20)")
    from gateviz.export import headless

    headless.ensure_app()
    from gateviz.ui.theme import apply_theme

    state = export_cmd._view_state(args, model, trace, sequence, task)
    apply_theme(state.theme)
    progress = export_cmd._print_progress if sys.stderr.isatty() else None
    job = export_timelapse(state, args.output, fmt, panel=args.panel, step=state.step, size=size, dpi=dpi,
                           fps=args.fps, overwrite=args.force, progress=progress, layout=args.layout)
    w, h = job.plan.pixels
    view = f"{args.layout} layout" if args.layout else args.panel
    print(f"wrote {args.output}: {job.total} frames (one per training snapshot) of the {view} at step "
          f"{job.step}, {w}x{h} px at {args.fps:g} fps")
    for title in job.titles:
        print(f"  {title}")
    return 0
