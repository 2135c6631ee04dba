"""Start the app: ``gateviz [MODEL [INPUT]]`` and ``python main.py``.

The window paints first and loads afterwards: at the first paint event the model is
loaded and traced in a worker thread (torch is imported there) while the GUI thread
builds the panels (pyqtgraph). Neither torch nor pyqtgraph is on the path to the
first paint.

``GATEVIZ_STARTUP_T0`` (a ``time.time()`` value set by whoever launches the process,
see ``benchmarks/startup_time.py``) makes the app print how long after it the first
paint and the first traced model came; ``GATEVIZ_STARTUP_EXIT=1`` then quits.
"""

from __future__ import annotations

import gc
import os
import sys
import time


def run_app(*argv: str, lang: str | None = None) -> int:
    """Open the main window; returns the exit code. argv: () | (MODEL,) | (MODEL, INPUT) | (SESSION,).
    lang: "zh_CN" | "en" from --lang; None: $GATEVIZ_LANG, the remembered choice, the system locale."""
    if len(argv) > 2:
        print("gateviz: error: usage: gateviz [MODEL [INPUT]]", file=sys.stderr)
        return 2
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "gateviz"])
    app.setApplicationName("gateviz")
    app.setOrganizationName("gateviz")
    app.setApplicationDisplayName("gateviz")
    from PySide6.QtGui import QIcon

    from gateviz.paths import resource

    icon = resource("icons", "gateviz.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))

    from gateviz.ui import i18n

    i18n.set_language(i18n.initial_language(lang))  # before any widget is built, so it is built translated
    from gateviz.ui.guard import guarded
    from gateviz.ui.main_window import MainWindow

    window = MainWindow(build_dashboard=False)
    t0 = _startup_t0()

    class FirstPaint(QObject):
        """After the first paint: start loading (worker) and build the panels (GUI thread)."""

        done = False

        @guarded(fallback=False)
        def eventFilter(self, obj, event):  # noqa: N802 - Qt name
            if not self.done and event.type() == QEvent.Type.Paint:
                self.done = True
                if t0 is not None:
                    heavy = ", ".join(m for m in ("torch", "pyqtgraph") if m in sys.modules) or "none"
                    print(f"gateviz: first paint {time.time() - t0:.3f} s after launch (heavy modules loaded: {heavy})",
                          file=sys.stderr, flush=True)
                QTimer.singleShot(0, start)
            return False

    @guarded
    def start() -> None:
        from gateviz.session import is_session_file

        if argv and is_session_file(argv[0]):  # gateviz SESSION (issue 16): the whole saved view
            window.sessions.open_startup(argv[0])
        else:
            window.open_startup(*argv)  # the worker imports torch and traces meanwhile
        window.build_dashboard()
        # the modules, widgets and plot items made so far live as long as the app: moved out of the
        # collector's generations, a full collection no longer walks them (two took 0.14 s on the way
        # to the first model shown)
        gc.freeze()

    @guarded
    def ready() -> None:
        if t0 is not None:
            print(f"gateviz: model traced and shown {time.time() - t0:.3f} s after launch", file=sys.stderr, flush=True)
            if os.environ.get("GATEVIZ_STARTUP_EXIT"):
                QTimer.singleShot(0, window.close)

    _install_excepthook(window)
    first_paint = FirstPaint(window)
    window.installEventFilter(first_paint)
    window.traceReady.connect(ready)
    QTimer.singleShot(2000, lambda: first_paint.done or first_paint.eventFilter(window, QEvent(QEvent.Type.Paint)))
    window.show()
    return int(app.exec())


def _startup_t0() -> float | None:
    value = os.environ.get("GATEVIZ_STARTUP_T0")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _install_excepthook(window) -> None:
    """A bug in a callback the guard does not cover must not pass silently or kill the app: it is
    logged and reported like a guarded one (status bar, one dialog per new error; guard.py)."""
    from gateviz.ui import guard

    previous = sys.excepthook

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt) or exc is None:
            previous(exc_type, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        guard.report(exc, "a Qt callback")

    sys.excepthook = hook
