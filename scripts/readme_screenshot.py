"""Make docs/window.png, the README's picture of the window (offscreen, no display needed).

    python scripts/readme_screenshot.py [--out docs/window.png] [--size 1600x900]

It opens the app as a new user does (the bundled bracket counter, fresh settings), moves to the
step where the counting cell has climbed to depth 7, and saves the window as a PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "window.png"))
    parser.add_argument("--size", default="1600x900")
    parser.add_argument("--step", type=int, default=8)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    scratch = tempfile.mkdtemp(prefix="gateviz-shot-")
    screen = os.path.join(scratch, "screen.json")
    with open(screen, "w") as f:  # a screen a little larger than the window, so it keeps its size
        json.dump({"screens": [{"name": "shot", "x": 0, "y": 0, "width": width + 100, "height": height + 100,
                                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}, f)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    os.environ["GATEVIZ_SETTINGS_DIR"] = os.path.join(scratch, "settings")
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from gateviz.ui.main_window import MainWindow
    from gateviz.ui.theme import apply_theme

    window = MainWindow()
    apply_theme(window.state.theme)
    window.resize(width, height)
    window.show()
    loop = QEventLoop()
    window.traceReady.connect(loop.quit)
    QTimer.singleShot(60000, loop.quit)
    window.open_startup()
    loop.exec()
    window.state.set_step(args.step)
    for _ in range(5):
        app.processEvents()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(args.out):
        print(f"could not write {args.out}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {window.width()}x{window.height()}")
    import shiboken6

    shiboken6.delete(window)  # before Python shuts down (see tests/lecture_probe.py)
    return 0


if __name__ == "__main__":
    sys.exit(main())
