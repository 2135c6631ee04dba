"""The views of the input/output panel, one per task (and a generic one): which view shows which task.

The views live in one module per kind (``io_text``, ``io_signals``, ``io_bits``, ``io_digits``,
``io_generic``) on a shared base (``io_base``).
"""

from __future__ import annotations

from .io_base import IOView, PlotView
from .io_bits import BinaryAdditionView
from .io_digits import DigitsView
from .io_generic import GenericView
from .io_signals import AddingView, SineView
from .io_text import TextView
from .plot_fit import nice_ticks

__all__ = ["VIEW_CLASSES", "IOView", "PlotView", "GenericView", "nice_ticks"]

VIEW_CLASSES: dict[str, type[IOView]] = {
    "sine": SineView,
    "binary-addition": BinaryAdditionView,
    "digits": DigitsView,
    "brackets": TextView,
    "adding": AddingView,
    "text": TextView,
}
