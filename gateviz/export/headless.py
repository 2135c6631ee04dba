"""Views built offscreen: a ViewState and a panel or the dashboard, with no window.

The CLI uses this on machines with no display; the app uses ``clone_state`` +
``build_view`` to render a figure or an animation at any size from a private copy of
its state, so exporting never resizes the user's window or moves its time cursor.
"""

from __future__ import annotations

import os
import sys

PANEL_IDS = ("dashboard", "heatmaps", "cell", "traces", "io", "saturation", "memory")
# logical layout size of a view exported with neither --size nor --dpi
NATURAL_SIZES = {"dashboard": (1280, 800), "heatmaps": (960, 720), "cell": (960, 600), "traces": (960, 540),
                 "io": (960, 480), "saturation": (640, 560), "memory": (960, 760)}


def ensure_app():
    """The QApplication, created offscreen when there is no display to show anything on."""
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        _quiet_offscreen_warnings()
        app = QApplication([sys.argv[0] if sys.argv else "gateviz"])
        app.setApplicationName("gateviz")
    from gateviz.ui.fonts import install_cjk_font

    install_cjk_font(app)  # exports draw Chinese also on a machine without CJK fonts (once; cheap after)
    return app


_NOISE = ("This plugin does not support propagateSizeHints()",)


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform warns about window hints it ignores; keep the CLI's stderr to real news."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):  # noqa: ARG001 - Qt's signature
        if message not in _NOISE:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def clone_state(state):
    """A new ViewState showing the same thing as ``state`` (not linked to it)."""
    from gateviz.ui.state import ViewState

    copy = ViewState()
    copy.theme = state.theme
    copy.layer, copy.direction = state.layer, state.direction
    copy.pinned = list(state.pinned)
    copy.row_order = None if state.row_order is None else state.row_order.copy()
    copy.step = state.step
    copy.gradient_output, copy.gradient_unit = state.gradient_output, state.gradient_unit
    copy.show_memory = state.show_memory
    copy.interventions = list(state.interventions)
    copy.show_original, copy.show_difference = state.show_original, state.show_difference
    if state.trace is not None:
        copy.set_trace(state.model, state.trace, state.sequence, state.task, original=state.original)
        copy.ablation = state.ablation  # after set_trace, which clears a ranking of another model
        copy.row_order = None if state.row_order is None else state.row_order.copy()
        g = state.gradients
        if g is not None and g.target.step == state.step:  # the app's own, for this step: no recompute
            copy.gradients, copy.gradient_error = g, state.gradient_error
    return copy


def shows_memory(state, panel_id: str, layout: str | None) -> bool:
    """Does this view draw gradients through time (the memory panel, or the input shaded by memory)?"""
    if panel_id == "memory" or state.show_memory:
        return True
    if panel_id == "dashboard":
        from gateviz.ui.layouts import LAYOUTS

        return "memory" in LAYOUTS.get(layout or "dashboard", LAYOUTS["dashboard"]).panels()
    return False


def build_view(state, panel_id: str = "dashboard", layout: str | None = None):
    """The dashboard (in lecture layout ``layout``, default all five panels) or one panel,
    drawing ``state``; a parentless widget, not shown."""
    from gateviz.export.files import ExportError

    ensure_app()
    if layout is not None and panel_id != "dashboard":
        raise ExportError(f"--layout arranges the dashboard's panels; it does not apply to --panel {panel_id} "
                          "(leave out --panel, or use --layout " + panel_id + " for that panel alone)")
    if panel_id == "dashboard":
        from gateviz.ui.dashboard import Dashboard
        from gateviz.ui.layouts import LAYOUTS

        if layout is not None and layout not in LAYOUTS:
            raise ExportError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        widget = Dashboard(state, layout=layout or "dashboard")
    else:
        from gateviz.ui.panels import PANEL_CLASSES

        if panel_id not in PANEL_CLASSES:
            raise ExportError(f"unknown panel {panel_id!r}; choose one of {', '.join(PANEL_IDS)}")
        widget = PANEL_CLASSES[panel_id](state)
    width, height = NATURAL_SIZES.get(panel_id, (960, 600))
    widget.resize(width, height)
    return widget


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (Qt's name, which lupdate extracts)
    return text  # as QtCore's, without importing Qt before ensure_app chose the platform


# the views' names in a figure's title: their ids in English (scripts read them), translated otherwise
VIEW_NAMES = {"dashboard": QT_TRANSLATE_NOOP("Export", "dashboard"), "io": QT_TRANSLATE_NOOP("Export", "io"),
              "heatmaps": QT_TRANSLATE_NOOP("Export", "heatmaps"), "traces": QT_TRANSLATE_NOOP("Export", "traces"),
              "cell": QT_TRANSLATE_NOOP("Export", "cell"), "saturation": QT_TRANSLATE_NOOP("Export", "saturation"),
              "memory": QT_TRANSLATE_NOOP("Export", "memory")}


def figure_title(state, panel_id: str) -> str:
    """What a still figure shows, for the file's title (PNG Title text, SVG <title>, PDF title):
    model, view, layer and direction, and the step, which the picture marks but does not print."""
    from PySide6.QtCore import QCoreApplication

    from gateviz.ui.panels.common import direction_name

    translate = QCoreApplication.translate  # the figure's language (gateviz export --lang)
    trace = state.trace
    name = getattr(state.model, "name", "") or "model"
    where = (translate("Export", "layer {layer} {direction}").format(layer=state.layer,
                                                                     direction=direction_name(state.direction))
             if trace.num_layers > 1 or len(trace.directions(0)) > 1 else "")
    step = translate("Export", "step {step} of 0..{last}").format(step=state.step, last=trace.length - 1)
    view = translate("Export", VIEW_NAMES[panel_id]) if panel_id in VIEW_NAMES else panel_id
    title = translate("Export", ", ").join(part for part in (f"{name}: {view}", where, step) if part)
    changed = intervention_caption(state)
    return title + translate("Export", "; ") + changed if changed else title


def intervention_caption(state) -> str:
    """"Intervened: forget gate f of unit 8 = 0 from step 10 (layer 0 forward)", or "" when the run is not."""
    from PySide6.QtCore import QCoreApplication

    from gateviz.core.interventions import parse_all
    from gateviz.ui.intervention_menu import describe_intervention  # the core's words, or the language's

    active = state.active_interventions()
    if not active or state.original is None:
        return ""
    single_layer = state.trace.num_layers == 1 and len(state.trace.directions(0)) == 1
    words = [describe_intervention(iv, with_layer=not single_layer) for iv in parse_all(active)]
    return (QCoreApplication.translate("Export", "Intervened: ")
            + QCoreApplication.translate("Export", "; ").join(words))


def with_caption(widget, text: str, theme):
    """``widget`` under a one-line banner saying what was changed (for a figure or an animation of an
    intervened run, so a slide never shows a changed network as if it were the model)."""
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    box = QWidget()
    box.setObjectName("intervention-caption-box")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    label = QLabel(text)
    label.setObjectName("intervention-caption")
    label.setWordWrap(True)
    pt = theme.font_pt + 2
    label.setStyleSheet(f"QLabel {{ background: {theme.background}; color: #D55E00; font-weight: bold; "
                        f"font-size: {pt}pt; padding: 4px 10px; }}")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    box.resize(widget.width(), widget.height() + label.sizeHint().height())
    box.view = widget  # the dashboard or panel inside, for the caller's panel choices
    return box


def export_view(state, panel_id: str, path, fmt: str, *, size=None, dpi=None, transparent: bool = False,
                overwrite: bool = False, steps: range | None = None, fps: float = 10,
                progress=None, cancelled=None, visible_panels=None, logical_size=None, layout=None,
                left_out=None, step: int | None = None):
    """Render ``panel_id`` of a private copy of ``state`` to ``path`` as ``fmt``
    (png, svg, pdf, gif, mp4). The one path the CLI and the app's dialog share, so both
    make the same pictures. ``visible_panels``: the dashboard's panels to keep (the app
    passes the ones the user shows); ``layout``: the dashboard's lecture layout
    (``gateviz.ui.layouts``); ``left_out``: called with the dashboard panels left out because
    the picture is too small for them to stay readable; ``logical_size``: the layout size when neither
    ``size`` nor ``dpi`` is given (the app passes the on-screen size); ``step``: the step
    a figure shows (default: ``state``'s). Returns the RenderPlan (the pixel size actually written)."""
    from gateviz.export import ANIMATION_FORMATS, FIGURE_FORMATS
    from gateviz.export.files import ExportError, check_target

    if fmt not in FIGURE_FORMATS + ANIMATION_FORMATS:
        raise ExportError(f"cannot render a picture as {fmt!r}")
    if state.trace is None:
        raise ExportError("nothing to export yet: no model is traced")
    if step is not None and not 0 <= step < state.trace.length:
        raise ExportError(f"step {step} is outside the sequence; it has steps 0..{state.trace.length - 1}")
    check_target(path, overwrite=overwrite)  # before any rendering work
    ensure_app()
    from gateviz.ui import guard

    with guard.collecting() as failed:  # an exception in a panel's paint or slot: no half-drawn file
        return _export_view(state, panel_id, path, fmt, failed, size=size, dpi=dpi, transparent=transparent,
                            overwrite=overwrite, steps=steps, fps=fps, progress=progress, cancelled=cancelled,
                            visible_panels=visible_panels, logical_size=logical_size, layout=layout,
                            left_out=left_out, step=step)


def _export_view(state, panel_id, path, fmt, failed, *, size, dpi, transparent, overwrite, steps, fps, progress,
                 cancelled, visible_panels, logical_size, layout, left_out, step):
    from gateviz.export import FIGURE_FORMATS
    from gateviz.export.files import ExportError

    view_state = clone_state(state)
    if step is not None:
        view_state.set_step(step)
    widget = build_view(view_state, panel_id, layout)
    if shows_memory(view_state, panel_id, layout):
        from gateviz.ui.gradient_follower import GradientFollower

        # computed in this thread for each figure and frame: an exported picture always shows its step's
        GradientFollower(view_state, widget, sync=True)
        from gateviz.ui.panels.memory import MemoryPanel

        for panel in ([widget] if isinstance(widget, MemoryPanel) else widget.findChildren(MemoryPanel)):
            panel.target_box.hide()  # a control, not part of the figure: the caption says what y is
    caption = intervention_caption(view_state)
    view = widget
    if caption:
        widget = with_caption(view, caption, view_state.theme)
    if logical_size is not None:
        widget.resize(*logical_size)
    try:
        if visible_panels is not None and hasattr(view, "set_panel_visible"):
            for pid in list(getattr(view, "panels", {})):
                view.set_panel_visible(pid, pid in visible_panels)
        if fmt in FIGURE_FORMATS:
            from gateviz.export.figure import save_figure

            plan = save_figure(widget, path, fmt, size=size, dpi=dpi, transparent=transparent, overwrite=overwrite,
                               title=figure_title(view_state, panel_id))
        else:
            from gateviz.export.animation import AnimationExport

            job = AnimationExport(widget, view_state, path, fmt=fmt, steps=steps, fps=fps, size=size, dpi=dpi,
                                  overwrite=overwrite)
            job.run(progress, cancelled)
            plan = job.plan
            if failed:
                raise ExportError(f"{path} was written, but drawing some frames failed ({failed[0]}); "
                                  "please report this with the text printed above")
        if left_out is not None and hasattr(view, "dropped_panels"):
            left_out(view.dropped_panels())
        return plan
    finally:
        widget.close()
        widget.deleteLater()
