"""``gateviz export MODEL [INPUT] -o FILE``: figures, animations and data without opening the app.

Runs headless: with no display (and QT_QPA_PLATFORM unset) Qt renders offscreen. The
pictures come from the app's own panels (``gateviz.export.headless``), so they are the
same as the app's File ▸ Export. Heavy imports happen in ``run``; ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys

PANELS = ("dashboard", "heatmaps", "cell", "traces", "io", "saturation", "memory", "compare")
FORMATS = ("png", "svg", "pdf", "gif", "mp4", "npz", "csv")
# gateviz.ui.layouts.LAYOUTS' names, repeated here so --help does not import Qt (a test keeps them equal)
LAYOUT_NAMES = ("dashboard", "story", "gates", "cell", "heatmaps", "traces", "io", "saturation", "memory")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Render a panel or the whole dashboard as a figure (png, svg, pdf) or an animation "
                          "(gif, mp4), or write the trace as data (npz, csv). Never overwrites a file "
                          "unless --force is given.")
    from .models import MODEL_HELP

    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP + "; or a session file (.gvsession, File > Save "
                        "Session in the app): its view exactly as saved (--panel, --size, --dpi, --lang may be given)")
    parser.add_argument("input", metavar="INPUT", nargs="*",
                        help="input sequence (.npy, .csv, .txt); default: the model's task's default sample. "
                             "With --panel compare: 1 to 3 more MODELs (2 to 4 in all), the input from --input")
    parser.add_argument("--input", dest="input_file", metavar="FILE",
                        help="the input sequence for --panel compare (default: the first model's task's sample)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from FILE's extension)")
    parser.add_argument("--panel", choices=PANELS,
                        help="what to draw: one panel or the whole dashboard (default; heatmaps with --timelapse)")
    parser.add_argument("--layout", choices=LAYOUT_NAMES, metavar="NAME",
                        help="the dashboard in a lecture layout, as View > Layout in the app: "
                             + ", ".join(LAYOUT_NAMES) + " (story: input + cell diagram; gates: heatmaps + "
                             "traces; one panel's name: that panel alone, full size). Panels that would be "
                             "unreadable at the picture's size are left out, as in the app")
    parser.add_argument("--step", type=int, metavar="T",
                        help="time step shown in a figure (default: the last step, where the prediction is); "
                             "heatmaps mark it with a triangle under its column, covering no cell, and the "
                             "file's title names it")
    parser.add_argument("--units", type=int, nargs="+", metavar="U",
                        help="units to pin (figures, animations; up to 8) or to write (csv); default: the units "
                             "that tell the task's story, as in the app / all")
    parser.add_argument("--layer", type=int, metavar="K", help="layer to show (default 0) or write (csv; default all)")
    parser.add_argument("--direction", choices=("forward", "backward"),
                        help="direction to show (default: the first) or write (csv; default both)")
    parser.add_argument("--preset", choices=("slide", "print"),
                        help="slide: 1920x1080 pixels; print: 300 dpi (--size and --dpi override it)")
    parser.add_argument("--size", metavar="WxH", help="picture size in pixels, e.g. 1920x1080 (slide)")
    parser.add_argument("--dpi", type=float, metavar="N",
                        help="resolution: 300 for print; with --size the layout shrinks so text keeps its size")
    parser.add_argument("--transparent", action="store_true", help="no background (png, svg, pdf)")
    parser.add_argument("--theme", choices=("light", "dark"), default=None, help="colour theme (default light)")
    parser.add_argument("--presentation", action="store_true", help="larger fonts and thicker lines")
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of titles, axes and legends: zh (Simplified Chinese) or en "
                             "(default: $GATEVIZ_LANG, else en)")
    parser.add_argument("--colormap", choices=("viridis", "cividis", "magma"), default=None,
                        help="colour map of the gate heatmaps (default viridis)")
    parser.add_argument("--cell-scale", choices=("shared", "unit"), default=None,
                        help="cell state in the heatmap and the cell diagram: one range for all units (shared, "
                             "default) or each unit against its own max |c| (unit)")
    parser.add_argument("--gru-convention", choices=("framework", "textbook"), default=None,
                        help="how GRU pictures write the update: framework (PyTorch, Keras, ONNX: "
                             "h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t, default) or textbook (h_t = (1−z_t)⊙h_{t−1} + "
                             "z_t⊙h̃_t, its z_t the frameworks' 1 − z_t); npz and csv data keep the frameworks' z")
    parser.add_argument("--fps", type=float, default=10, metavar="N", help="frames per second of gif/mp4 (default 10)")
    parser.add_argument("--timelapse", action="store_true",
                        help="gif/mp4 of a model trained with snapshots (gateviz train --snapshots N): one frame per "
                             "snapshot, the --panel (default heatmaps) at --step T (default the last), each titled "
                             "with its training step, epoch, loss and metric")
    parser.add_argument("--range", metavar="A:B", dest="steps",
                        help="steps A (included) to B (excluded) for gif, mp4 or csv (default: all)")
    parser.add_argument("--module", metavar="NAME", help="which recurrent module, when the file holds several")
    from .models import ENCODER_INPUT_HELP, add_tf_options

    parser.add_argument("--encoder-input", metavar="FILE",
                        help=ENCODER_INPUT_HELP + "; the figure shows the encoder's steps, then the decoder's")

    add_tf_options(parser)
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.add_argument("--gradients", action="store_true",
                        help="npz/csv: add the gradients through time of the target y (see gateviz trace --gradients)")
    parser.add_argument("--shade-memory", action="store_true",
                        help="shade the input by its connectivity ||dy/dx_t|| to y at the shown step (on by itself "
                             "with --layout memory)")
    from .clamps import add_clamp_argument
    from .targets import add_target_arguments

    add_target_arguments(parser)
    add_clamp_argument(parser)


def _format(args) -> str:
    from pathlib import Path

    from gateviz.export.files import ExportError

    if args.format:
        return args.format
    ext = Path(args.output).suffix.lstrip(".").lower()
    if ext in FORMATS:
        return ext
    raise ExportError(f"cannot tell the format from {args.output!r}; end the file name in "
                      f"{', '.join('.' + f for f in FORMATS)} or pass --format")


def _check_option_fits(args, fmt: str) -> None:
    """Options that do nothing for this format are mistakes: say so rather than ignore them."""
    from gateviz.export.files import ExportError

    from .targets import wants_target

    picture = fmt in ("png", "svg", "pdf", "gif", "mp4")
    rules = [
        (args.step is not None and fmt not in ("png", "svg", "pdf") and not args.timelapse,
         "--step applies to figures (png, svg, pdf) and --timelapse; "
         "use --range A:B for animations and csv"),
        (args.steps is not None and fmt not in ("gif", "mp4", "csv"), "--range applies to gif, mp4 and csv; "
         "use --step T for a figure"),
        (args.size is not None and not picture, "--size applies to pictures, not to npz/csv data"),
        (args.dpi is not None and not picture, "--dpi applies to pictures, not to npz/csv data"),
        (args.transparent and fmt not in ("png", "svg", "pdf"), "--transparent applies to png, svg and pdf"),
        (args.layout is not None and not picture, "--layout applies to pictures, not to npz/csv data"),
        (args.layout is not None and args.panel != "dashboard",
         f"--layout arranges the dashboard's panels; leave out --panel {args.panel} "
         f"(or use --layout {args.panel} for that panel alone)"),
        (fmt == "npz" and (args.units or args.layer is not None or args.direction),
         "the npz trace file holds every layer, direction and unit; use csv to choose some"),
        (args.gradients and picture, "--gradients adds arrays to npz/csv data; pictures of --panel memory "
         "(or --layout memory) compute their own"),
        (args.shade_memory and not picture, "--shade-memory shades pictures; for data use --gradients"),
        (fmt in ("npz", "csv") and not args.gradients and wants_target(args),
         "--target-step, --target-class and --target-unit choose what --gradients computes; add --gradients"),
        (args.target_step is not None and args.step is not None and args.target_step != args.step and picture,
         f"--step {args.step} and --target-step {args.target_step} differ; a figure's t* is the step it shows "
         "(give one of them)"),
        (args.target_step is not None and fmt in ("gif", "mp4"),
         "in an animation t* follows each frame's step; leave out --target-step (--range A:B picks the frames)"),
    ]
    for bad, message in rules:
        if bad:
            raise ExportError(message)


def _load(args, clamps=()):
    """(model, trace, sequence, task, original), loaded as the app loads them. With ``clamps``
    (Interventions) ``trace`` is the intervened run and ``original`` the run without them, else None."""
    from gateviz.export.files import ExportError

    from .models import decoder_input, load_cli_model, tf_options, with_encoder

    model = load_cli_model(args.model, args.module, options=tf_options(args))
    model = with_encoder(args.model, model, args.encoder_input, args.module, tf_options(args))  # a decoder: after its encoder
    from gateviz.ui.workers import default_sequence, find_task, task_samples, trace_model

    task = find_task(model)
    sequence = None
    if args.input:
        from gateviz.formats import read_sequence

        sequence = read_sequence(args.input, model)
    sequence = decoder_input(model, sequence)  # a RepeatVector decoder reads its encoder's final h
    if sequence is None:
        if task is None:
            raise ExportError(f"{args.model} has no built-in task, so there is no default input; "
                              "give INPUT (.npy, .csv or .txt)")
        sequence, _ = default_sequence(model, task, task_samples(task))
    _check_memory(args, model, sequence)
    if not clamps:
        return model, trace_model(model, sequence), sequence, task, None
    from gateviz.core.engine import Tracer

    intervened = Tracer(model).trace(sequence, interventions=clamps)  # checks each spec against the model
    return model, intervened, sequence, task, trace_model(model, sequence)


def _check_memory(args, model, sequence) -> None:
    """Refuse before tracing a sequence whose trace (and picture or file) cannot fit in memory."""
    from gateviz.core.budget import require_trace, sequence_steps

    fmt = _format(args)
    job = "figure" if fmt in ("png", "svg", "pdf") else "animation" if fmt in ("gif", "mp4") else fmt
    batch, steps = sequence_steps(model, sequence)
    require_trace(model, steps, batch, job=job, what=f"tracing and exporting {args.input or 'the input'} "
                  f"({steps:,} steps) as {fmt}", hint="give a shorter input")


def _view_state(args, model, trace, sequence, task, original=None, clamps=()):
    from gateviz.export.data import check_units
    from gateviz.export.files import ExportError
    from gateviz.ui.state import PIN_COLOURS, Theme, ViewState

    _fill_view_defaults(args)
    state = ViewState()
    state.theme = Theme(args.theme, args.presentation, args.colormap, args.cell_scale,
                        getattr(args, "gru_convention", "framework"))
    state.set_interventions(list(clamps))
    state.set_trace(model, trace, sequence, task, original=original)
    layer = args.layer if args.layer is not None else 0
    if not 0 <= layer < trace.num_layers:
        raise ExportError(f"layer {layer} does not exist; the model has layers 0..{trace.num_layers - 1}")
    directions = trace.directions(layer)
    direction = args.direction or directions[0]
    if direction not in directions:
        raise ExportError(f"layer {layer} has no {direction} direction; it has {', '.join(directions)}")
    state.set_layer_direction(layer, direction)
    if args.units:
        units = check_units(args.units, trace.units(layer))
        if len(units) > len(PIN_COLOURS):
            raise ExportError(f"at most {len(PIN_COLOURS)} units can be pinned at once; got {len(units)}")
        state.set_pinned(units)
    else:  # the same default as the app: the units that tell the task's story
        from gateviz.tasks.base import story_units_for

        state.set_pinned(story_units_for(model, task, sequence, trace, layer=layer, direction=direction))
    T = trace.length
    wanted = args.step if args.step is not None else args.target_step
    step = T - 1 if wanted is None else wanted
    if not 0 <= step < T:
        raise ExportError(f"step {step} is outside the sequence; it has steps 0..{T - 1}")
    state.set_step(step)
    from .targets import target_from_args

    target = target_from_args(args)
    if target.output is not None or target.unit is not None:
        from gateviz.core.gradients import check_target

        check_target(model, trace, target)  # one clear line now, not a message inside the picture
        state.set_gradient_target(target.output, target.unit)
    state.set_show_memory(args.shade_memory or args.layout == "memory")
    return state


def _print_progress(done: int, total: int) -> None:
    print(f"\rframe {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def _set_language(lang: str | None) -> None:
    """Pictures in the language asked for: --lang, else $GATEVIZ_LANG, else English (not the app's
    remembered choice: a script's output must not depend on what was last clicked in the app)."""
    import os

    from gateviz.export import headless
    from gateviz.ui import i18n

    headless.ensure_app()
    wanted = i18n.normalize(lang or os.environ.get(i18n.ENV)) or "en"
    if wanted != i18n.current_language():  # no languageChanged (views rebuilding their texts) for nothing
        i18n.set_language(wanted)


# the view options' defaults, filled in by run (None on the command line: a session refuses them when given)
VIEW_DEFAULTS = {"theme": "light", "colormap": "viridis", "cell_scale": "shared", "gru_convention": "framework"}


def _fill_view_defaults(args) -> None:
    for name, value in VIEW_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)


def run(args: argparse.Namespace) -> int:
    from gateviz.export.files import ExportError, check_target

    from gateviz.session import is_session_file

    session = is_session_file(args.model) and not args.model.startswith("bundled:")
    if not session:
        _fill_view_defaults(args)

    if args.panel is None:
        args.panel = "heatmaps" if args.timelapse and args.layout is None else "dashboard"
    fmt = _format(args)
    _check_option_fits(args, fmt)
    check_target(args.output, overwrite=args.force)  # refuse before any slow work
    size = dpi = None
    if args.preset is not None or args.size is not None or args.dpi is not None:
        from gateviz.export.figure import PRESETS, parse_size, plan_render

        if args.preset is not None and fmt in ("npz", "csv"):
            raise ExportError("--preset applies to pictures, not to npz/csv data")
        preset = PRESETS[args.preset] if args.preset else {"size": None, "dpi": None}
        size = parse_size(args.size) if args.size else preset["size"]
        dpi = args.dpi if args.dpi is not None else preset["dpi"]
        plan_render((1280, 800), size, dpi)  # checks the dpi range
    if not 0 < args.fps <= 120:
        raise ExportError(f"bad frame rate {args.fps:g}; give 1..120 frames per second")

    from .clamps import clamps_from_args

    clamps = clamps_from_args(args)  # a malformed spec fails before loading
    if clamps and args.panel == "compare":
        raise ExportError("--clamp intervenes in one model's view; --panel compare shows models as they are "
                          "(export the intervened model alone, without --panel compare)")
    if fmt not in ("npz", "csv"):
        _set_language(args.lang)
    if session:  # the view a session file shows (issue 16)
        from gateviz.export.session_view import run_cli as session_cli

        return session_cli(args, fmt, size, dpi)
    if args.timelapse:  # one frame per training snapshot (issue 16)
        from gateviz.export.timelapse import run_cli as timelapse_cli

        return timelapse_cli(args, fmt, size, dpi, clamps)
    if args.panel == "compare":  # several MODEL positionals, one shared input (gateviz.export.compare)
        from gateviz.export.compare import run_cli

        return run_cli(args, fmt, size, dpi)
    if len(args.input) > 1 or (args.input and args.input_file) or (args.input and args.input[0].startswith("bundled:")):
        raise ExportError("give one MODEL and at most one INPUT; several models only with --panel compare "
                          "(gateviz export A B C --panel compare -o FILE)")
    args.input = args.input[0] if args.input else args.input_file
    model, trace, sequence, task, original = _load(args, clamps)
    from gateviz.core.nonfinite import warn_nonfinite

    warn_nonfinite(model, trace)  # NaN/Inf weights: say where, still export (NaN cells drawn in their own colour)
    steps = None
    if args.steps is not None:
        from gateviz.export.animation import parse_range

        steps = parse_range(args.steps, trace.length)

    if args.gradients:
        from gateviz.core.gradients import compute_gradients

        from .targets import target_from_args

        trace.gradients = compute_gradients(model, trace, target_from_args(args))
    if fmt == "npz":
        from gateviz.export.data import save_npz

        save_npz(trace, args.output, overwrite=args.force)
        print(f"wrote {args.output}: the trace file, {trace.length} steps, {len(list(trace.keys()))} arrays")
        return 0
    if fmt == "csv":
        from gateviz.export.data import save_csv

        rows = save_csv(trace, args.output, layer=args.layer, direction=args.direction, units=args.units,
                        steps=steps, overwrite=args.force)
        print(f"wrote {args.output}: {rows} rows (one per layer, direction, step and unit)")
        return 0

    from gateviz.export import headless

    headless.ensure_app()
    from gateviz.ui.theme import apply_theme

    state = _view_state(args, model, trace, sequence, task, original, clamps)
    apply_theme(state.theme)
    progress = _print_progress if fmt in ("gif", "mp4") and sys.stderr.isatty() else None
    left_out: list[str] = []
    result = headless.export_view(state, args.panel, args.output, fmt, size=size, dpi=dpi, layout=args.layout,
                                  transparent=args.transparent, overwrite=args.force, steps=steps, fps=args.fps,
                                  progress=progress, left_out=left_out.extend)
    w, h = result.pixels
    if left_out:  # never silently: the picture holds fewer panels than the layout names
        print(f"note: left out {', '.join(left_out)}: too little room at this size to stay readable; "
              "give a larger --size, leave out --presentation, or pick a --layout with fewer panels")
    from gateviz.core.interventions import describe_all

    if fmt in ("gif", "mp4"):
        frames = len(steps) if steps is not None else trace.length
        print(f"wrote {args.output}: {frames} frames of the {args.panel}, {w}x{h} px at {args.fps:g} fps")
    else:
        print(f"wrote {args.output}: {args.panel} at step {state.step}, {w}x{h} px ({result.dpi:.0f} dpi)"
              + (f", intervened: {describe_all(clamps)}" if clamps else ""))
    return 0
