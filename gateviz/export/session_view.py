"""``gateviz export SESSION_FILE -o fig.png`` (issue 16): the view a session file shows, rendered headless.

``session_state`` builds the ViewState the app shows after opening the session (the same model or
snapshot, the same traces with and without its interventions, layer, pins, row order, step, gradient
target, toggles and theme); ``run_cli`` renders it through ``headless.export_view`` with the session's
layout and shown panels, so the picture is the app's own export of that view (a test compares pixels).
"""

from __future__ import annotations

VIEW_OPTIONS = (  # (attribute, option): what the session itself decides
    ("input", "INPUT"), ("input_file", "--input"), ("units", "--units"), ("layer", "--layer"),
    ("direction", "--direction"), ("step", "--step"), ("theme", "--theme"), ("colormap", "--colormap"),
    ("cell_scale", "--cell-scale"), ("gru_convention", "--gru-convention"), ("presentation", "--presentation"),
    ("layout", "--layout"), ("timelapse", "--timelapse"), ("module", "--module"),
    ("encoder_input", "--encoder-input"), ("shade_memory", "--shade-memory"), ("clamp", "--clamp"),
    ("target_step", "--target-step"), ("target_class", "--target-class"), ("target_unit", "--target-unit"))


def check_options(args) -> None:
    """Options that would change what the session shows are refused (it decides them itself)."""
    from gateviz.export.files import ExportError

    given = [option for attr, option in VIEW_OPTIONS if getattr(args, attr, None) not in (None, False, [], ())]
    if given:
        raise ExportError(f"{', '.join(given)} cannot be combined with a session file: the session decides the "
                          "model, input and view; open it in the app (gateviz SESSION), change the view and save "
                          "the session again, or export the model itself")
    if args.panel == "compare":
        raise ExportError("--panel compare shows several models; a session shows one")


def session_state(session, model):
    """(ViewState as the app shows ``session`` of ``model``, the model shown: a snapshot's or ``model``)."""
    from gateviz.core.interventions import Intervention
    from gateviz.core.snapshots import SnapshotTraces, model_at_snapshot
    from gateviz.session import check_against
    from gateviz.ui.state import Theme, ViewState
    from gateviz.ui.workers import find_task, trace_intervened, trace_model

    sequence, task = session.sequence, find_task(model)
    entries = [(Intervention.parse(spec), on) for spec, on in session.interventions]
    snaps = getattr(model, "snapshots", None) or []
    shown, plain = model, None
    if session.snapshot is not None and snaps and session.snapshot != len(snaps) - 1:
        if session.snapshot >= len(snaps):
            check_against(session, model, trace_model(model, sequence))  # says which field is wrong
        shown = model_at_snapshot(model, session.snapshot)
        plain = SnapshotTraces(model, sequence).get(session.snapshot)  # as the window's slider traces it
    if plain is None:
        plain = trace_model(model, sequence)
    check_against(session, model, plain)
    active = [iv for iv, on in entries if on]
    trace, original = plain, None
    if active:
        result = trace_intervened(shown, sequence, active, plain)
        trace, original = result.trace, result.original
    state = ViewState()
    state.theme = Theme(session.theme, session.presentation, session.colormap, session.cell_scale,
                        session.gru_convention)
    state.set_interventions(entries)
    state.set_trace(shown, trace, sequence, task, original=original)
    state.set_layer_direction(session.layer, session.direction)
    state.set_pinned(session.pinned)
    if session.row_order is not None:
        import numpy as np

        state.set_row_order(np.asarray(session.row_order))
    state.set_step(session.step)
    state.set_gradient_target(session.gradient_output, session.gradient_unit)
    state.set_show_memory(session.show_memory)
    state.set_show_original(session.show_original)
    state.set_show_difference(session.show_difference)
    return state


def visible_panels(session) -> list[str]:
    from gateviz.export.headless import PANEL_IDS

    return [pid for pid in PANEL_IDS if pid != "dashboard" and pid not in session.hidden_panels]


def run_cli(args, fmt: str, size, dpi) -> int:
    """Render the session's view to ``args.output``; prints what was written (and which model was used)."""
    import sys

    from gateviz.export import headless
    from gateviz.export.files import ExportError
    from gateviz.session import read_session, resolve_model

    if fmt in ("npz", "csv"):
        raise ExportError(f"a session file renders pictures (png, svg, pdf, gif, mp4), not {fmt} data; "
                          "export the model with its input for data")
    check_options(args)
    session = read_session(args.model)
    model, note = resolve_model(session.model)
    if note:
        print(f"note: {note}", file=sys.stderr)
    headless.ensure_app()
    from gateviz.cli.export_cmd import _set_language

    _set_language(args.lang or session.language)
    state = session_state(session, model)
    from gateviz.ui.theme import apply_theme

    apply_theme(state.theme)
    steps = None
    if args.steps is not None:
        from gateviz.export.animation import parse_range

        steps = parse_range(args.steps, state.trace.length)
    panel = args.panel
    logical = session.view_size if panel == "dashboard" and size is None and dpi is None else None
    left_out: list[str] = []
    result = headless.export_view(state, panel, args.output, fmt, size=size, dpi=dpi,
                                  layout=session.layout if panel == "dashboard" else None,
                                  visible_panels=visible_panels(session), logical_size=logical,
                                  transparent=args.transparent, overwrite=args.force, steps=steps, fps=args.fps,
                                  left_out=left_out.extend)
    w, h = result.pixels
    if left_out:
        print(f"note: left out {', '.join(left_out)}: too little room at this size to stay readable; "
              "give a larger --size")
    print(f"wrote {args.output}: the session's {panel} at step {state.step}, {w}x{h} px (model: "
          f"{session.model.label() if not note else 'the copy embedded in the session'})")
    return 0
