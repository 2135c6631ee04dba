"""The dashboard: every panel laid out in one widget (the window's central area).

Layout (resizable splitters), shaped for a 16:9 screen or slide:

    +----------------------+------------------+
    | input / output       | cell diagram     |
    +----------------------+                  |
    |                      +------------------+
    | gate heatmaps        | unit traces      |
    |                      +------------------+
    |                      | saturation       |
    +----------------------+------------------+

Until the user drags a splitter (or a saved layout is restored), the splitters keep
these proportions at any size, so an offscreen render at 1920x1080 looks like the window.

Works without a window around it (export renders it offscreen at given sizes).
Panels come from ``gateviz.ui.panels.PANEL_CLASSES``; ids missing there are skipped.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from gateviz.ui.state import ViewState

PANEL_ORDER = ("io", "heatmaps", "traces", "cell", "saturation")
PANEL_TITLES = {"io": "Input and output", "heatmaps": "Gate heatmaps", "traces": "Unit traces",
                "cell": "Cell diagram", "saturation": "Saturation"}


def panel_classes() -> dict:
    """The panel classes that exist (D2's package may hold fewer early on)."""
    try:
        from gateviz.ui.panels import PANEL_CLASSES
    except ImportError:
        return {}
    return dict(PANEL_CLASSES)


class Dashboard(QWidget):
    panelVisibilityChanged = Signal(str, bool)

    def __init__(self, state: ViewState, panel_ids=None, parent: QWidget | None = None):
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
            panel = cls(state)
            panel.setObjectName(f"panel_{pid}")
            self.panels[pid] = panel

        # splitters: left column (io over heatmaps), right column (cell over traces|saturation)
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.left_split = QSplitter(Qt.Orientation.Vertical)
        self.right_split = QSplitter(Qt.Orientation.Vertical)
        for split in (self.main_split, self.left_split, self.right_split):
            split.setChildrenCollapsible(False)
            split.setHandleWidth(5)
        place = {"io": self.left_split, "heatmaps": self.left_split, "cell": self.right_split,
                 "traces": self.right_split, "saturation": self.right_split}
        layout_order = ("io", "heatmaps", "cell", "traces", "saturation")
        for pid in sorted(self.panels, key=lambda p: layout_order.index(p) if p in layout_order else 99):
            place.get(pid, self.right_split).addWidget(self.panels[pid])
        self.main_split.addWidget(self.left_split)
        self.main_split.addWidget(self.right_split)
        self._apply_default_sizes()
        self._update_containers()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.main_split)

    # ---- sizes -----------------------------------------------------------------
    # relative heights/widths of the panels; a hidden panel's share goes to the others
    PROPORTIONS = {"io": 3, "heatmaps": 7, "cell": 9, "traces": 9, "saturation": 6}
    COLUMN_PROPORTIONS = (1, 1)

    def _apply_default_sizes(self) -> None:
        self._user_sized = False
        for split in (self.main_split, self.left_split, self.right_split):
            split.splitterMoved.connect(self._user_moved)
        for split in (self.left_split, self.right_split):
            for i in range(split.count()):
                split.setStretchFactor(i, self._weight(split.widget(i)))
        for i, w in enumerate(self.COLUMN_PROPORTIONS):
            self.main_split.setStretchFactor(i, w)

    def _weight(self, widget: QWidget) -> int:
        pid = next((p for p, panel in self.panels.items() if panel is widget), None)
        return self.PROPORTIONS.get(pid, 3)

    def _user_moved(self, *_args) -> None:
        self._user_sized = True

    def _distribute(self) -> None:
        """Set every splitter's sizes to the default proportions of its visible children."""
        def share(split: QSplitter, weights: list[int], total: int) -> None:
            visible = [not split.widget(i).isHidden() for i in range(split.count())]
            weights = [w if v else 0 for w, v in zip(weights, visible)]
            if sum(weights) > 0 and total > 0:
                split.setSizes([int(total * w / sum(weights)) for w in weights])

        share(self.main_split, list(self.COLUMN_PROPORTIONS), self.width())
        for split in (self.left_split, self.right_split):
            share(split, [self._weight(split.widget(i)) for i in range(split.count())], self.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._user_sized:
            self._distribute()

    def _update_containers(self) -> None:
        """Hide a splitter whose panels are all hidden, so the others take its room."""
        def any_visible(split: QSplitter) -> bool:
            return any(not split.widget(i).isHidden() for i in range(split.count()))

        self.right_split.setVisible(any_visible(self.right_split))
        self.left_split.setVisible(any_visible(self.left_split))

    # ---- visibility ------------------------------------------------------------
    def set_panel_visible(self, panel_id: str, visible: bool) -> None:
        panel = self.panels.get(panel_id)
        if panel is None or panel.isHidden() != visible:
            return
        panel.setVisible(visible)
        self._update_containers()
        if not self._user_sized:
            self._distribute()
        self.panelVisibilityChanged.emit(panel_id, visible)

    def is_panel_visible(self, panel_id: str) -> bool:
        panel = self.panels.get(panel_id)
        return panel is not None and not panel.isHidden()

    # ---- remembered layout -----------------------------------------------------
    def save_layout(self) -> dict:
        return {"main": self.main_split.saveState(), "left": self.left_split.saveState(),
                "right": self.right_split.saveState(),
                "hidden": [p for p in self.panels if not self.is_panel_visible(p)]}

    def restore_layout(self, layout: dict) -> None:
        for key, split in (("main", self.main_split), ("left", self.left_split), ("right", self.right_split)):
            value = layout.get(key)
            if isinstance(value, (QByteArray, bytes)) and len(value):
                split.restoreState(QByteArray(value))
                self._user_sized = True
        hidden = layout.get("hidden") or []
        for pid in self.panels:
            self.set_panel_visible(pid, pid not in hidden)
