"""The window on the screens lectures happen on: 1024x768, 1366x768 (a projector laptop), 1920x1080,
and 3840x2160 at device pixel ratio 2; normal and presentation mode, light and dark; the dashboard
and the lecture layouts. No two labels overlap, no label is cut off, every plot keeps a usable
height, the window stays on the screen. Each screen runs in its own process (Qt fixes the screen at
start-up); the PNGs are kept in the test's folder to look at."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
USABLE_PLOT_PX = 36  # logical pixels: two tick labels and a curve between them
SCREENS = [(1024, 768, 1), (1366, 768, 1), (1920, 1080, 1), (1920, 1080, 2)]  # the last: 3840x2160 at 2x


def probe(tmp_path, width, height, dpr, models):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "lecture", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": dpr}]}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "GATEVIZ_SETTINGS_DIR": str(tmp_path / "settings")}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "lecture_probe.py"), str(tmp_path), *models],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("width, height, dpr", SCREENS, ids=[f"{w}x{h}@{d}x" for w, h, d in SCREENS])
def test_every_view_is_readable_on_a_lecture_screen(tmp_path, width, height, dpr):
    views = probe(tmp_path, width, height, dpr, ["bundled:brackets-lstm", "bundled:text-lstm"])
    assert len(views) == 2 * 3 * 2 * 2
    problems = []
    for v in views:
        x, y, w, h = v["frame"]
        if not (x >= 0 and y >= 0 and x + w <= width and y + h <= height):
            problems.append(f"{v['view']}: the window {v['frame']} leaves the {width}x{height} screen")
        ww, wh = v["window"]
        if v["picture"] != [round(ww * dpr), round(wh * dpr)]:  # drawn at the screen's own pixel density
            problems.append(f"{v['view']}: a {v['picture']} picture of a {ww}x{wh} window at {dpr}x")
        problems += [f"{v['view']}: overlapping {a} and {b}" for a, b in v["overlaps"]]
        problems += [f"{v['view']}: cut off {b}" for b in v["clipped"]]
        problems += [f"{v['view']}: a {pid} plot is {px:.0f} px tall" for pid, px in v["min_plot_height"].items()
                     if px < USABLE_PLOT_PX]
        layout = v["view"].split("-")[-3]  # model-layout-mode-theme
        if layout == "cell":
            assert v["shown"] == ["cell"]
        elif layout == "story":
            assert "cell" in v["shown"] and set(v["shown"]) <= {"io", "cell"}
        else:
            assert "cell" in v["shown"] and len(v["shown"]) + len(v["left_out"]) == 5
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} problems; PNGs in {tmp_path})"
    if width >= 1920:  # a full-HD screen holds every panel of the dashboard in normal mode
        assert all(len(v["shown"]) == 5 for v in views if "-dashboard-normal-" in v["view"])
