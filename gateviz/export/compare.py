"""``gateviz export A B C --panel compare``: the compare view (issue 12) rendered headless.

Loads two to four models (files or ``bundled:NAME``) on one input (``--input FILE``, else the
first model's task's default sample), traces them, computes each one's gradients at the shared
step t* (``--target-step``, ``--step``, default the last step; ``--target-class K`` for every
model) and renders ``gateviz.ui.compare.CompareView`` — the app's own picture — as a figure
(png, svg, pdf) or an animation (gif, mp4: the cursor and t* move together, the gradient curves
recomputed at every frame). The app's Compare window exports through ``export_compare`` too.
"""

from __future__ import annotations

import sys

from gateviz.export.files import ExportError

FIGURES = ("png", "svg", "pdf")
ANIMATIONS = ("gif", "mp4")


def build(specs: list[str], input_path: str | None = None, *, theme=None, step: int | None = None,
          output: int | None = None, module: str | None = None):
    """(CompareState, CompareView) of ``specs``, traced and with gradients at ``step`` (default the last)."""
    from gateviz.export import headless

    headless.ensure_app()
    from gateviz.ui.compare import CompareView
    from gateviz.ui.compare_models import load_models, shared_input, trace_all
    from gateviz.ui.compare_state import CompareState

    entries = load_models(list(specs), module)
    where = shared_input(entries, input_path)
    trace_all(entries)
    T = entries[0].trace.length
    if step is not None and not -T <= step < T:
        raise ExportError(f"step {step} is outside the sequence; it has steps 0..{T - 1}")
    cstate = CompareState(sync=True)
    if theme is not None:
        cstate.theme = theme
    cstate.target_output = output
    cstate.set_entries(entries, where, None if step is None else step % T)
    return cstate, CompareView(cstate)


class _Cursor:
    """What AnimationExport drives: a trace's length and a step setter (the shared cursor)."""

    def __init__(self, cstate):
        self.cstate, self.trace = cstate, cstate.entries[0].trace

    def set_step(self, step: int) -> None:
        self.cstate.set_step(step)


def export_compare(cstate, view, path, fmt: str, *, size=None, dpi=None, transparent: bool = False,
                   overwrite: bool = False, steps: range | None = None, fps: float = 10, progress=None,
                   cancelled=None, detail: tuple[int, str] = (0, "heatmaps")):
    """Render ``view`` (a CompareView of ``cstate``) to ``path``; ``detail``: whose panel shows below
    the plots (model index, "heatmaps" or "cell"). Returns the RenderPlan."""
    from gateviz.export.files import check_target
    from gateviz.ui import guard
    from gateviz.ui.compare import NATURAL_SIZE

    if fmt not in FIGURES + ANIMATIONS:
        raise ExportError(f"the compare view is a picture: give a .png, .svg, .pdf, .gif or .mp4 file, not {fmt}")
    check_target(path, overwrite=overwrite)
    view.detail.select(*detail)
    view.resize(*NATURAL_SIZE)
    with guard.collecting() as failed:
        if fmt in FIGURES:
            from gateviz.export.figure import save_figure

            from PySide6.QtCore import QCoreApplication

            names = ", ".join(e.name for e in cstate.entries)
            title = QCoreApplication.translate("Export", "compare {names}: step {step} of 0..{last}").format(
                names=names, step=cstate.step, last=cstate.length - 1)
            return save_figure(view, path, fmt, size=size, dpi=dpi, transparent=transparent, overwrite=overwrite,
                               title=title)
        from gateviz.export.animation import AnimationExport

        job = AnimationExport(view, _Cursor(cstate), path, fmt=fmt, steps=steps, fps=fps, size=size, dpi=dpi,
                              overwrite=overwrite)
        job.run(progress, cancelled)
        if failed:
            raise ExportError(f"{path} was written, but drawing some frames failed ({failed[0]}); "
                              "please report this with the text printed above")
        return job.plan


def run_cli(args, fmt: str, size, dpi) -> int:
    """The CLI's ``--panel compare``: ``args.model`` and ``args.input`` (a list) are the models."""
    from gateviz.ui.state import Theme

    specs = [args.model] + list(args.input or [])
    if fmt not in FIGURES + ANIMATIONS:
        raise ExportError(f"the compare view is a picture: give a .png, .svg, .pdf, .gif or .mp4 file, not {fmt}; "
                          "write each model's data with its own gateviz export MODEL -o FILE.npz")
    if getattr(args, "target_unit", None) is not None:
        raise ExportError("--target-unit names one model's unit; compare draws every model's gradient of one "
                          "target: leave it out (or use --target-class K)")
    if args.units or args.layer is not None or args.direction:
        raise ExportError("--units, --layer and --direction choose one model's view; the compare view shows "
                          "every model's first layer: leave them out")
    if args.layout is not None:
        raise ExportError("--layout arranges the dashboard's panels; leave it out with --panel compare")
    step = args.step
    target_step = getattr(args, "target_step", None)
    if target_step is not None and step is not None and target_step != step:
        raise ExportError(f"--step {step} and --target-step {target_step} disagree: in the compare view the "
                          "cursor is t*; give one of them")
    step = target_step if target_step is not None else step
    if step is not None and fmt in ANIMATIONS:
        raise ExportError("--target-step/--step apply to figures (png, svg, pdf); an animation moves t* "
                          "through --range A:B")
    from gateviz.export import headless

    headless.ensure_app()
    from gateviz.ui.theme import apply_theme

    theme = Theme(args.theme, args.presentation, args.colormap, args.cell_scale,
                  getattr(args, "gru_convention", "framework"))
    apply_theme(theme)
    cstate, view = build(specs, getattr(args, "input_file", None), theme=theme, step=step,
                         output=getattr(args, "target_class", None), module=args.module)
    steps = None
    if args.steps is not None:
        from gateviz.export.animation import parse_range

        steps = parse_range(args.steps, cstate.length)

    def frames(done: int, total: int) -> None:
        print(f"\rframe {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    try:
        plan = export_compare(cstate, view, args.output, fmt, size=size, dpi=dpi, transparent=args.transparent,
                              overwrite=args.force, steps=steps, fps=args.fps,
                              progress=frames if fmt in ANIMATIONS and sys.stderr.isatty() else None)
    finally:
        view.close()
        view.deleteLater()
    w, h = plan.pixels
    names = ", ".join(e.name for e in cstate.entries)
    if fmt in ANIMATIONS:
        count = len(steps) if steps is not None else cstate.length
        print(f"wrote {args.output}: {count} frames comparing {names}, {w}x{h} px at {args.fps:g} fps")
    else:
        print(f"wrote {args.output}: compare {names} at step {cstate.step}, {w}x{h} px ({plan.dpi:.0f} dpi)")
    return 0
