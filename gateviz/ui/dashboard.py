"""The dashboard: the panels of the chosen lecture layout, in resizable splitters (the window's
central area).

The default layout shows all five panels, shaped for a 16:9 screen or slide:

    +----------------------+------------------+
    | input / output       | cell diagram     |
    +----------------------+                  |
    |                      +------------------+
    | gate heatmaps        | unit traces      |
    |                      +------------------+
    |                      | saturation       |
    +----------------------+------------------+

Other layouts (``gateviz.ui.layouts``) show one or two panels large. Whatever the layout, a panel
is never squeezed below the size at which it stays readable (``Panel.readable_size``, which grows
in presentation mode): when the room is too small, the layout shows fewer panels
(``layouts.fit``) and says which it left out (``fitChanged``). Until the user drags a splitter the
panels share the room by the layout's weights at any size, so an offscreen render at 1920x1080
looks like the window.

Works without a window around it (export renders it offscreen at given sizes). Every panel is
created once and moved between splitters when the layout or the fit changes.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from gateviz.ui.guard import guarded
from gateviz.ui.layouts import DEFAULT_LAYOUT, HANDLE, LAYOUTS, Fit, Split, fit, prune
from gateviz.ui.state import ViewState

PANEL_ORDER = ("io", "heatmaps", "traces", "cell", "saturation", "memory")
PANEL_TITLES = {"io": QT_TRANSLATE_NOOP("Dashboard", "Input and output"),
                "heatmaps": QT_TRANSLATE_NOOP("Dashboard", "Gate heatmaps"),
                "traces": QT_TRANSLATE_NOOP("Dashboard", "Unit traces"),
                "cell": QT_TRANSLATE_NOOP("Dashboard", "Cell diagram"),
                "saturation": QT_TRANSLATE_NOOP("Dashboard", "Saturation"),
                "memory": QT_TRANSLATE_NOOP("Dashboard", "Memory through time")}  # English; panel_title() shows


def panel_title(pid: str, lower: bool = False) -> str:
    """A panel's name in the interface language (``lower``: inside an English sentence)."""
    text = PANEL_TITLES.get(pid)
    if text is None:
        return pid
    text = QCoreApplication.translate("Dashboard", text)
    return text.lower() if lower else text  # a no-op on hanzi


def panel_classes() -> dict:
    """The panel classes that exist (D2's package may hold fewer early on)."""
    try:
        from gateviz.ui.panels import PANEL_CLASSES
    except ImportError:
        return {}
    return dict(PANEL_CLASSES)


class Dashboard(QWidget):
    panelVisibilityChanged = Signal(str, bool)  # the user showed or hid a panel (View ▸ Panels)
    layoutChanged = Signal(str)
    fitChanged = Signal(tuple)  # the layout's panels left out because the room is too small

    def __init__(self, state: ViewState, panel_ids=None, parent: QWidget | None = None,
                 layout: str = DEFAULT_LAYOUT):
        super().__init__(parent)
        self.state = state
        classes = panel_classes()
        wanted = list(panel_ids) if panel_ids is not None else [p for p in PANEL_ORDER if p in classes]
        wanted += [p for p in classes if panel_ids is None and p not in wanted]  # panels added later
        self.panels: dict[str, QWidget] = {}
        for pid in wanted:
            cls = classes.get(pid)
            if cls is None:
                raise KeyError(f"unknown panel {pid!r}; available: {', '.join(classes) or 'none'}")
            panel = cls(state, parent=self)
            panel.setObjectName(f"panel_{pid}")
            panel.hide()
            self.panels[pid] = panel
        self._hidden: set[str] = set()  # switched off by the user (View ▸ Panels)
        self._layout = LAYOUTS[layout if layout in LAYOUTS else DEFAULT_LAYOUT]
        self._fit = Fit(())
        self._root: QWidget | None = None  # the outer splitter (or the one panel) of the shown tree
        self._splits: list[tuple[QSplitter, Split]] = []  # every splitter of the tree, outer first
        self._user_sized = False
        self._saved_sizes: dict[str, list[list[int]]] = {}  # tree key -> each splitter's sizes
        self._layout_box = QVBoxLayout(self)
        self._layout_box.setContentsMargins(0, 0, 0, 0)
        self.setMinimumSize(200, 150)  # the layout shows fewer panels rather than grow the window
        # after the panels' own slots (connected first), and once more when the panels have laid
        # themselves out in the new fonts (their needs are measured from their layouts)
        self._settled = QTimer(self)
        self._settled.setSingleShot(True)
        self._settled.setInterval(0)
        self._settled.timeout.connect(self.refit)
        for signal in (state.traceChanged, state.themeChanged):
            signal.connect(self.refit)
            signal.connect(self._settled.start)
        self.refit()

    # ---- the layout --------------------------------------------------------------
    @property
    def layout_name(self) -> str:
        return self._layout.name

    def set_layout(self, name: str) -> None:
        if name not in LAYOUTS:
            raise KeyError(f"unknown layout {name!r}; choose one of {', '.join(LAYOUTS)}")
        if name != self._layout.name:
            self._layout = LAYOUTS[name]
            self.refit(force=True)
            self.layoutChanged.emit(name)

    def dropped_panels(self) -> tuple[str, ...]:
        """The layout's panels left out because the room is too small for them to stay readable."""
        return self._fit.dropped

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(1280, 800)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(200, 150)

    def _needs(self, pid: str) -> tuple[int, int]:
        size = self.panels[pid].readable_size()
        return size.width(), size.height()

    @guarded
    def refit(self, *_args, force: bool = False) -> None:
        """Choose the panels that fit at the current size and give each its share of the room."""
        room = (max(1, self.width()), max(1, self.height()))
        available = {p for p in self._layout.panels() if p in self.panels}
        if not available:  # a dashboard built with other panels (tests): nothing of this layout to show
            return
        hidden = self._hidden | (set(self._layout.panels()) - available)
        new = fit(self._layout, room, self._needs, hidden)
        new = Fit(tuple(p for p in new.shown if p in available), new.sizes, new.dropped)
        changed = force or new.shown != self._fit.shown
        old_dropped = self._fit.dropped
        self._fit = new
        if changed:
            self._build_tree()
        if changed or not self._user_sized:
            self._apply_sizes()
        if new.dropped != old_dropped:
            self.fitChanged.emit(new.dropped)

    def _tree_key(self) -> str:
        return f"{self._layout.name}|{','.join(self._fit.shown)}"

    def _build_tree(self) -> None:
        """Put the shown panels into a fresh tree of splitters; park the others, hidden."""
        shown = set(self._fit.shown)
        for pid, panel in self.panels.items():
            if pid not in shown:
                panel.hide()
                panel.setParent(self)  # parked (still a child: it keeps its state, skips step work)
        old = self._root
        if old is not None:
            self._layout_box.removeWidget(old)
        self._splits = []
        tree = prune(self._layout.tree, shown)
        self._root = self._make(tree)
        self._layout_box.addWidget(self._root)
        self._root.show()
        if old is not None and old is not self._root and isinstance(old, QSplitter):
            old.setParent(None)
            old.deleteLater()
        for pid in self._fit.shown:
            self.panels[pid].show()
        saved = self._saved_sizes.get(self._tree_key())
        self._user_sized = saved is not None and len(saved) == len(self._splits)
        if self._user_sized:
            for (split, _node), sizes in zip(self._splits, saved):
                split.setSizes(sizes)

    def _make(self, node) -> QWidget:
        if not isinstance(node, Split):
            return self.panels[node]
        split = QSplitter(Qt.Orientation.Horizontal if node.orientation == "h" else Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        split.setHandleWidth(HANDLE)
        self._splits.append((split, node))
        for child, weight in node.children:
            split.addWidget(self._make(child))
            split.setStretchFactor(split.count() - 1, weight)
        split.splitterMoved.connect(self._user_moved)
        return split

    def _extent(self, node, axis: int) -> int:
        """How long ``node`` is along ``axis`` (0: width, 1: height) in the current fit."""
        if not isinstance(node, Split):
            return self._fit.sizes.get(node, (0, 0))[axis]
        parts = [self._extent(c, axis) for c, _ in node.children]
        along = (node.orientation == "h") == (axis == 0)
        return sum(parts) + HANDLE * (len(parts) - 1) if along else max(parts)

    def _apply_sizes(self) -> None:
        for split, node in self._splits:
            axis = 0 if node.orientation == "h" else 1
            split.setSizes([self._extent(child, axis) for child, _ in node.children])

    @guarded
    def _user_moved(self, *_args) -> None:
        self._user_sized = True
        self._saved_sizes[self._tree_key()] = [split.sizes() for split, _ in self._splits]

    @guarded
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self.refit()

    # ---- visibility ------------------------------------------------------------
    def set_panel_visible(self, panel_id: str, visible: bool) -> None:
        """Show or hide a panel by the user's choice (the layout and the room may still leave it out)."""
        if panel_id not in self.panels or (panel_id not in self._hidden) == visible:
            return
        if visible:
            self._hidden.discard(panel_id)
        else:
            self._hidden.add(panel_id)
        self.refit(force=True)
        self.panelVisibilityChanged.emit(panel_id, visible)

    def is_panel_visible(self, panel_id: str) -> bool:
        """Is the panel on screen now (in the layout, not switched off, and with room to be readable)?"""
        return panel_id in self._fit.shown

    def is_panel_wanted(self, panel_id: str) -> bool:
        """The user's choice for the panel (View ▸ Panels), whatever the layout shows."""
        return panel_id in self.panels and panel_id not in self._hidden

    # ---- remembered layout -----------------------------------------------------
    def save_layout(self) -> dict:
        if self._user_sized:
            self._saved_sizes[self._tree_key()] = [split.sizes() for split, _ in self._splits]
        return {"layout": self._layout.name, "hidden": sorted(self._hidden),
                "sizes": json.dumps(self._saved_sizes)}

    def restore_layout(self, layout: dict) -> None:
        try:
            sizes = json.loads(layout.get("sizes") or "{}")
        except (TypeError, ValueError):
            sizes = {}
        if isinstance(sizes, dict):
            self._saved_sizes = {str(k): v for k, v in sizes.items()
                                 if isinstance(v, list) and all(isinstance(s, list) for s in v)}
        self._hidden = {str(p) for p in (layout.get("hidden") or []) if str(p) in self.panels}
        name = layout.get("layout")
        self._layout = LAYOUTS[name] if name in LAYOUTS else self._layout
        self.refit(force=True)
        self.layoutChanged.emit(self._layout.name)
