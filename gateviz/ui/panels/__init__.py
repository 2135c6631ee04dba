"""The app's panels. Each is a QWidget built as ``Panel(state, parent=None)`` (see common.Panel).

``PANEL_CLASSES`` maps panel ids to classes in display order; the window and the figure export
iterate over it.
"""

from __future__ import annotations

from .cell import CellDiagramPanel
from .common import Panel
from .heatmaps import HeatmapPanel
from .io import IOPanel
from .memory import MemoryPanel
from .saturation import SaturationPanel
from .traces import TracesPanel

PANEL_CLASSES: dict[str, type[Panel]] = {
    IOPanel.panel_id: IOPanel,
    HeatmapPanel.panel_id: HeatmapPanel,
    TracesPanel.panel_id: TracesPanel,
    CellDiagramPanel.panel_id: CellDiagramPanel,
    SaturationPanel.panel_id: SaturationPanel,
    MemoryPanel.panel_id: MemoryPanel,
}

__all__ = ["PANEL_CLASSES", "Panel", "IOPanel", "HeatmapPanel", "TracesPanel", "CellDiagramPanel", "SaturationPanel",
           "MemoryPanel"]
