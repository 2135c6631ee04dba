"""An ImageItem that draws a float image from colour-table indices made ahead, off the GUI thread.

pyqtgraph turns a float image into colour-table entries each time it renders one (a NaN check
over every pixel, then (v − low) · 256 / (high − low), clipped and truncated): ~14 ms for each
1024 x 4000 heatmap, six of them in the paint that first shows a 2x1024 LSTM's 100k-step trace
(97 ms, the GUI thread's longest block). The trace job already makes each heatmap
(``view_products.heat_image``), so it makes those entries too (``colour_indices``); this item
draws them through the same Indexed8 QImage pyqtgraph would have built, the same pixels.

The item still holds the float image (``image``: levels, exports, tooltips and tests read it).
The indices are used only while they belong to it: the same image, the same levels and a
256-entry colour table; anything else (a new image set by ``setImage``, other levels, NaN in
the image) is drawn by pyqtgraph's own path, as before.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions_qimage

from gateviz.core.view_products import COLOURS


class IndexedImageItem(pg.ImageItem):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._indexed: tuple[np.ndarray, np.ndarray, tuple[float, float]] | None = None  # (image, indices, levels)

    def set_indexed_image(self, image: np.ndarray, indices: np.ndarray | None, levels: tuple[float, float]) -> None:
        """Show ``image`` (rows x columns float32) with ``levels``; ``indices`` (the same shape, uint8):
        its pixels' colour-table entries for those levels (``view_products.colour_indices``), or None."""
        self.setImage(image, autoLevels=False, levels=levels)
        self._indexed = None if indices is None else (self.image, indices, (float(levels[0]), float(levels[1])))

    def _ready_indices(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(indices, colour table) when the prepared indices draw what is set now; else None."""
        if self._indexed is None or self.autoDownsample or self.axisOrder != "row-major":
            return None
        image, indices, levels = self._indexed
        if image is not self.image or self.levels is None or np.ndim(self.levels) != 1:
            return None
        if (float(self.levels[0]), float(self.levels[1])) != levels:
            return None
        lut = self.lut(self.image, COLOURS) if callable(self.lut) else self.lut
        if lut is None or lut.dtype != np.uint8 or lut.shape[0] != COLOURS:
            return None
        return indices, lut

    def render(self) -> None:
        ready = self._ready_indices()
        qimage = None if ready is None else functions_qimage.try_make_qimage(ready[0], levels=None, lut=ready[1])
        if qimage is None:
            super().render()
            return
        # what pyqtgraph's render leaves behind when it has made its QImage
        self._processingBuffer = None
        self._displayBuffer = None
        self.qimage = qimage
        self._renderRequired = False
        self._unrenderable = False
