"""Lecture layouts: the arithmetic that decides which panels fit (Qt-free), the View ▸ Layout menu,
the remembered choice, ``gateviz export --layout``, and a window that opens inside the screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateviz.ui.layouts import LAYOUTS, Split, fit, share

ROOT = Path(__file__).resolve().parents[1]
NEEDS = {"io": (400, 200), "heatmaps": (400, 450), "cell": (500, 300), "traces": (400, 250),
         "saturation": (400, 200)}


# --------------------------------------------------------------------------- the arithmetic


def test_share_gives_every_part_its_minimum_and_the_rest_by_weight():
    assert share(100, [1, 1], [0, 0]) == [50, 50]
    assert share(100, [1, 1], [80, 0]) == [80, 20]
    assert share(300, [3, 7], [0, 0]) == [90, 210]
    assert share(300, [3, 7], [120, 0]) == [120, 180]
    assert sum(share(1001, [1, 2, 3], [10, 500, 10])) == 1001


def test_fit_keeps_every_panel_when_the_room_is_large():
    result = fit(LAYOUTS["dashboard"], (1900, 950), NEEDS.get)
    assert result.shown == ("io", "heatmaps", "cell", "traces", "saturation") and result.dropped == ()
    for pid, (w, h) in result.sizes.items():
        assert w >= NEEDS[pid][0] and h >= NEEDS[pid][1], pid
    # the two columns share the width, each column its height (5 px splitter handles between)
    assert result.sizes["io"][0] + result.sizes["cell"][0] + 5 == 1900
    assert result.sizes["io"][1] + result.sizes["heatmaps"][1] + 5 == 950


def test_fit_drops_panels_in_order_but_only_where_that_makes_room():
    result = fit(LAYOUTS["dashboard"], (1366, 650), NEEDS.get)
    # the right column (760 px needed) loses the saturation plot first; the left (655 px) then loses
    # the input panel, not the unit traces of the right column that already fits
    assert result.dropped == ("saturation", "io")
    assert result.shown == ("heatmaps", "cell", "traces")
    for pid, (w, h) in result.sizes.items():
        assert w >= NEEDS[pid][0] and h >= NEEDS[pid][1], pid


def test_a_one_panel_layout_always_shows_its_panel_and_user_hidden_panels_stay_hidden():
    assert fit(LAYOUTS["cell"], (100, 80), NEEDS.get).shown == ("cell",)
    assert fit(LAYOUTS["cell"], (100, 80), NEEDS.get, hidden={"cell"}).shown == ("cell",)
    result = fit(LAYOUTS["gates"], (1900, 950), NEEDS.get, hidden={"traces"})
    assert result.shown == ("heatmaps",) and result.sizes["heatmaps"] == (1900, 950)


def test_every_layout_names_real_panels_and_a_distinct_shortcut():
    from gateviz.cli.export_cmd import LAYOUT_NAMES

    assert LAYOUT_NAMES == tuple(LAYOUTS)
    panels = {"io", "heatmaps", "cell", "traces", "saturation", "memory"}
    for layout in LAYOUTS.values():
        assert set(layout.panels()) <= panels and isinstance(layout.tree, Split)
        assert set(layout.drop_order) <= set(layout.panels())
    assert len({layout.shortcut for layout in LAYOUTS.values()}) == len(LAYOUTS)


# --------------------------------------------------------------------------- the window


def _shown_sizes_are_readable(dashboard) -> None:
    for pid in dashboard.panels:
        panel = dashboard.panels[pid]
        if dashboard.is_panel_visible(pid):
            need = panel.readable_size()
            assert panel.width() >= need.width() - 1 and panel.height() >= need.height() - 1, \
                (pid, panel.size(), need)
        else:
            assert panel.isHidden()


def test_view_menu_and_keys_switch_layouts_and_the_choice_is_remembered(qtbot, window, settings_dir):
    from PySide6.QtCore import Qt

    from app_helpers import open_window

    dash = window.dashboard
    assert dash.layout_name == "dashboard" and window.layout_actions["dashboard"].isChecked()
    window.layout_actions["story"].trigger()
    assert dash.layout_name == "story" and window.layout_actions["story"].isChecked()
    assert [p for p in dash.panels if dash.is_panel_visible(p)] == ["io", "cell"]
    cell, io = dash.panels["cell"], dash.panels["io"]
    assert cell.height() > 2 * io.height() and cell.width() == io.width() == dash.width()
    _shown_sizes_are_readable(dash)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # Ctrl+4: the cell diagram alone
    assert dash.layout_name == "cell" and window.layout_actions["cell"].isChecked()
    assert cell.size() == dash.size()
    assert window.layout_actions["gates"].shortcut().toString() == "Ctrl+3"
    window.close()
    again = open_window(qtbot)
    assert again.dashboard.layout_name == "cell" and again.layout_actions["cell"].isChecked()
    assert again.dashboard.is_panel_visible("cell") and not again.dashboard.is_panel_visible("heatmaps")
    again.close()


def test_presentation_mode_on_a_small_window_shows_fewer_panels_never_squeezed_ones(window, qtbot):
    window.resize(1366, 700)
    window.set_theme(presentation=True)
    dash = window.dashboard
    shown = [p for p in dash.panels if dash.is_panel_visible(p)]
    assert 1 <= len(shown) < 5 and dash.dropped_panels()
    _shown_sizes_are_readable(dash)
    assert window.fit_label.isVisibleTo(window) and "left out" in window.fit_label.text()
    from gateviz.ui.dashboard import PANEL_TITLES

    for pid in dash.dropped_panels():
        assert PANEL_TITLES[pid].lower() in window.fit_label.toolTip()
    window.set_theme(presentation=False)
    window.resize(1900, 1060)
    assert all(dash.is_panel_visible(p) for p in LAYOUTS["dashboard"].panels())  # the memory panel has its own
    assert not window.fit_label.isVisibleTo(window)
    _shown_sizes_are_readable(dash)


def test_a_panel_hidden_by_the_user_stays_hidden_in_every_layout(window):
    dash = window.dashboard
    window._panel_actions["traces"].setChecked(False)
    window.set_layout("gates")
    assert dash.is_panel_visible("heatmaps") and not dash.is_panel_visible("traces")
    window.set_layout("traces")  # a one-panel layout shows its panel whatever the menu says
    assert dash.is_panel_visible("traces")
    window.set_layout("dashboard")
    assert not dash.is_panel_visible("traces") and not window._panel_actions["traces"].isChecked()


# --------------------------------------------------------------------------- gateviz export --layout


def test_export_layout_draws_the_layouts_panels(tmp_path, capsys):
    from gateviz.cli import main

    out = tmp_path / "story.png"
    assert main(["export", "bundled:brackets-lstm", "-o", str(out), "--layout", "story", "--size", "1280x720"]) == 0
    assert out.exists()
    from gateviz.export import headless
    from gateviz.ui.state import ViewState

    state = ViewState()
    view = headless.build_view(state, "dashboard", "story")
    assert [p for p in view.panels if not view.panels[p].isHidden()] == ["io", "cell"]
    view.deleteLater()
    # a slide in presentation mode cannot hold five readable panels: the command says which it left out
    capsys.readouterr()
    out = tmp_path / "dash.png"
    assert main(["export", "bundled:text-lstm", "-o", str(out), "--preset", "slide", "--presentation"]) == 0
    printed = capsys.readouterr().out
    assert "note: left out" in printed and "saturation" in printed


@pytest.mark.parametrize("argv, message", [
    (["--layout", "story", "--panel", "cell"], "--layout arranges the dashboard's panels"),
    (["--layout", "sideways"], "invalid choice"),
])
def test_export_layout_mistakes_are_one_line_and_status_2(tmp_path, argv, message):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "gateviz", "export", "bundled:brackets-lstm", "-o",
                           str(tmp_path / "x.png"), *argv], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # one line, not argparse's usage block


# --------------------------------------------------------------------------- the screen


SCREEN_PROBE = """
import json, os, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gateviz.ui.main_window import MainWindow
w = MainWindow(build_dashboard=False)
w.show()
app.processEvents()
area = app.primaryScreen().availableGeometry()
f = w.frameGeometry()
print(json.dumps({"area": [area.x(), area.y(), area.width(), area.height()],
                  "frame": [f.x(), f.y(), f.width(), f.height()]}))
w.close()
"""


@pytest.mark.parametrize("screen", [(1366, 768), (1024, 768)])
def test_the_window_opens_inside_the_screens_available_area(tmp_path, screen):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "projector", "x": 0, "y": 0, "width": screen[0],
                                               "height": screen[1], "logicalDpi": 96, "logicalBaseDpi": 96,
                                               "dpr": 1}]}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "GATEVIZ_SETTINGS_DIR": str(tmp_path / "settings")}
    done = subprocess.run([sys.executable, "-c", SCREEN_PROBE], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    ax, ay, aw, ah = found["area"]
    fx, fy, fw, fh = found["frame"]
    assert (aw, ah) == screen
    assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, found
