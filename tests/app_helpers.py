"""Opening the real main window in tests (pytest-qt, offscreen). Qt is imported on call only."""

WINDOW_WAIT_MS = 60000  # generous: the CI machine is shared; waits end on the signal, never on time


def open_window(qtbot, *argv, size=(1400, 860)):
    """The real main window, shown, after its start-up trace (``argv`` as on the command line)."""
    from gateviz.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
        window.open_startup(*argv)
    return window
