"""Open the app on one (virtual) screen and measure what a lecture audience would see.

Run in its own process, because the screen is fixed when Qt starts:

    QT_QPA_PLATFORM=offscreen:configfile=screen.json python tests/lecture_probe.py OUT_DIR [MODEL ...]

For every model, layout (dashboard, story, cell), normal and presentation mode, light and dark
theme, it fills the screen's available area with the window, saves a PNG (at the screen's device
pixel ratio) and prints one JSON line per view: labels that overlap, labels cut off, the smallest
plot height per panel, the panels left out, the window's frame against the screen.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from text_geometry import clipped, overlapping, plot_heights, text_boxes  # noqa: E402

LAYOUTS = ("dashboard", "story", "cell")


def _wait(signal, ms: int = 60000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _settle(app) -> None:
    for _ in range(4):
        app.processEvents()


def _picture(window, dpr: float):
    """The window as the screen shows it: drawn at the screen's device pixel ratio (the offscreen
    platform's own grab stays at 1x)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QImage, QPainter

    image = QImage(round(window.width() * dpr), round(window.height() * dpr), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(dpr)
    image.fill(window.palette().window().color())
    painter = QPainter(image)
    window.render(painter, QPoint(0, 0))
    painter.end()
    return image


def main(out_dir: str, models: list[str]) -> int:
    app = QApplication.instance() or QApplication([])
    from gateviz.ui.main_window import MainWindow

    screen = app.primaryScreen()
    area = screen.availableGeometry()
    window = MainWindow()
    window.setGeometry(area)  # what a lecturer does first: the window fills the projector's screen
    window.show()
    window.open_startup()
    _wait(window.traceReady)
    for model in models:
        if window.model_source != model:
            window.open_model(model)
            _wait(window.traceReady)
        window.state.set_step(window.state.trace.length // 2)
        for layout in LAYOUTS:
            window.set_layout(layout)
            for presentation in (False, True):
                for theme in ("light", "dark"):
                    window.set_theme(name=theme, presentation=presentation)
                    window.fit_to_screen()
                    _settle(app)
                    boxes = text_boxes(window)
                    name = f"{model.split(':')[-1]}-{layout}-{'pres' if presentation else 'normal'}-{theme}"
                    image = _picture(window, screen.devicePixelRatio())
                    image.save(os.path.join(out_dir, name + ".png"))
                    frame = window.frameGeometry()
                    heights = {k: min(v) for k, v in plot_heights(window.dashboard).items() if v}
                    print(json.dumps({
                        "view": name, "screen": [area.width(), area.height(), screen.devicePixelRatio()],
                        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                        "window": [window.width(), window.height()],
                        "picture": [image.width(), image.height()],
                        "overlaps": [[repr(a), repr(b)] for a, b in overlapping(boxes)],
                        "clipped": [repr(b) for b in clipped(boxes)],
                        "min_plot_height": heights,
                        "shown": [p for p in window.dashboard.panels if window.dashboard.is_panel_visible(p)],
                        "left_out": list(window.dashboard.dropped_panels()),
                    }), flush=True)
    window.set_theme(name="light", presentation=False)
    window.close()
    # delete the window while Python still runs: left to interpreter shutdown, Qt destroys its
    # graphics items after Python's modules are gone, and a Python override called then crashes
    import shiboken6

    shiboken6.delete(window)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:] or ["bundled:brackets-lstm"]))
