"""What the panels draw from a trace, computed once per trace and off the GUI thread (issue 17; Qt-free).

A 100k-step trace's heatmap images (block means of every gate), colour ranges, NaN counts and
saturation fractions cost hundreds of milliseconds per layer. Computed on the GUI thread when a
trace arrives or the layer changes, they froze the window (0.3–2 s). The window's trace job now
calls ``precompute(trace, ...)`` right after tracing, on its worker thread, for every layer and
direction; the panels then ask ``products_for(trace)`` for each product and get the ready arrays.
Whatever was not precomputed (another GRU convention, an intervened run's original, a trace made
elsewhere) is computed on first request, exactly as before, and kept.

Every product is exactly what the panel computed itself before (tests/test_view_precompute.py):
the same functions on the same arrays, only moved. Products are keyed by trace identity (a weak
reference: a trace that is gone is never confused with a new one at the same address) and by
layer, direction, quantity and the display options they depend on. ``MAX_TRACES`` traces are kept,
the newest first, and at most ``MAX_BYTES`` of products in all.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .analysis import LEFT_SATURATED, RIGHT_SATURATED, downsample_time, saturation_fractions, torch_view
from .nonfinite import extremes, max_abs_finite
from .trace import QUANTITIES, SIGMOID_GATES, Trace

MAX_COLUMNS = 4000  # a heatmap shows longer traces block-averaged to this many columns
MAX_TRACES = 4  # the shown trace, its original (interventions), and a couple just replaced
MAX_BYTES = 1 << 30  # products of all kept traces together; the oldest traces' go first
_INDEX_BLOCK = 1 << 18  # pixels per pass of ``colour_indices`` (a 1 MB float32 temporary)
COLOURS = 256  # entries of a heatmap's colour table (pyqtgraph's ColorMap.getLookupTable default)

_KINDS = {"cell_state": "cell", "cell_candidate": "tanh", "hidden_state": "tanh", "candidate": "tanh"}


def quantity_kind(quantity: str) -> str:
    """"sigmoid" (0..1), "tanh" (−1..1) or "cell" (unbounded: a symmetric range from the data)."""
    return "sigmoid" if quantity in SIGMOID_GATES else _KINDS[quantity]


# --------------------------------------------------------------------------- ranges


def unit_limits(a: np.ndarray) -> np.ndarray:
    """(T, units) -> (units,): each unit's max |value|, 1 where a unit is all zero or not finite."""
    if not a.size:
        return np.ones(a.shape[1:])
    mags = np.abs(a)  # one copy; the trace itself stays untouched
    mags[~np.isfinite(mags)] = 0.0  # non-finite values do not set a range
    m = mags.max(axis=0)
    return np.where(m > 0, m, 1.0)


def symmetric_limit(a: np.ndarray) -> float:
    """A symmetric range ±L for an unbounded quantity (the cell state): max |value|, at least 1, nicely rounded."""
    m = max_abs_finite(a, default=1.0)
    if m <= 1.0:
        return 1.0
    return float(np.ceil(m * 2) / 2)  # to 0.5


def levels_for(quantity: str, data: np.ndarray | None = None) -> tuple[float, float]:
    kind = quantity_kind(quantity)
    if kind == "sigmoid":
        return (0.0, 1.0)
    if kind == "tanh":
        return (-1.0, 1.0)
    lim = symmetric_limit(data) if data is not None else 1.0
    return (-lim, lim)


def holds_nan(a: np.ndarray) -> bool:
    """Does a float array hold a NaN? (NaN propagates through max, which is remembered per array.)"""
    return a.dtype.kind in "fc" and a.size > 0 and bool(np.isnan(extremes(a)[1]))


def nonfinite_counts(a: np.ndarray | None) -> tuple[int, int]:
    """(NaN values, ±inf values) of an array; no counting pass when it is all finite."""
    if a is None or not a.size or a.dtype.kind not in "fc":
        return (0, 0)
    if all(np.isfinite(extremes(a))):
        return (0, 0)
    return int(np.count_nonzero(np.isnan(a))), int(np.count_nonzero(np.isinf(a)))


# --------------------------------------------------------------------------- products


@dataclass(frozen=True)
class HeatImage:
    """One heatmap as drawn with its rows in unit order: ``image[order]`` is the image of any row order."""

    image: np.ndarray  # (units, columns) float32, C-contiguous; ±inf clipped to the levels, NaN kept
    levels: tuple[float, float]
    unit_limits: np.ndarray | None  # (units,) each unit's max |value| when every row has its own range
    has_nan: bool  # the image holds NaN (the NaN colour shows behind it)
    counts: tuple[int, int]  # (NaN, ±inf) values of the full-resolution data, for the title's note
    # (units, columns) uint8: each pixel's entry in a COLOURS-entry colour table for ``levels``
    # (``colour_indices``); None when the image holds NaN (drawn from ``image``)
    indices: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return (self.image.nbytes + (0 if self.unit_limits is None else self.unit_limits.nbytes)
                + (0 if self.indices is None else self.indices.nbytes))


def heat_image(data: np.ndarray, quantity: str, per_unit: bool, max_columns: int = MAX_COLUMNS) -> HeatImage:
    """The heatmap of ``data`` (T, units) as the heatmap panel draws it: block means to at most
    ``max_columns`` columns, each row against the shared range (``levels_for``) or, ``per_unit``,
    against its unit's own max |value| on (−1, 1)."""
    disp, _ = downsample_time(data, max_columns)  # (C, units)
    limits = None
    if per_unit:
        limits = unit_limits(data)
        disp = disp / limits  # (C, units): every unit spans [-1, 1]
        levels = (-1.0, 1.0)
    else:
        levels = levels_for(quantity, data)
    img = _transposed(disp)  # (units, C)
    has_nan = bool(np.isnan(img).any())
    if np.isinf(img).any():  # ±inf at the colour map's ends (pyqtgraph's scaling turns inf into garbage)
        img = np.clip(img, levels[0], levels[1])  # NaN stays NaN
    indices = None if has_nan else colour_indices(img, levels)
    return HeatImage(img, levels, limits, has_nan, nonfinite_counts(data), indices)


def colour_indices(img: np.ndarray, levels: tuple[float, float], colours: int = COLOURS) -> np.ndarray:
    """A float32 image without NaN -> uint8 entries of a ``colours``-entry colour table, as pyqtgraph's
    ImageItem maps it when it draws (``rescaleData``: (v − low) · colours / (high − low) in float32,
    clipped to [0, colours − 1], truncated). Made here, off the GUI thread: pyqtgraph does it at
    paint time, ~14 ms for each 1024 x 4000 image, six of them in one paint."""
    low, high = levels
    span = high - low
    scale = colours / (span if span != 0 else 1)
    out = np.empty(img.shape, dtype=np.uint8)
    rows = max(1, _INDEX_BLOCK // max(1, img.shape[1]))  # a block of rows at a time: no image-sized temporary
    for r in range(0, img.shape[0], rows):
        work = np.subtract(img[r:r + rows], np.float32(low))
        work *= np.float32(scale)
        np.clip(work, 0, colours - 1, out=work)
        out[r:r + rows] = work  # float32 -> uint8 truncates, as pyqtgraph's cast
    return out


def _transposed(disp: np.ndarray) -> np.ndarray:
    """(C, units) -> (units, C) float32 C-contiguous. A large one through torch: numpy's transposing
    copy of a 4000 x 1024 image took ~30 ms, torch's ~7 (the same values)."""
    disp = np.asarray(disp, dtype=np.float32)
    t = torch_view(disp)
    if t is not None:
        return t.t().contiguous().numpy()
    return np.ascontiguousarray(disp.T)


def tanh_saturation(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) fractions of a tanh state: h < −0.9 and h > 0.9 per unit."""
    return saturation_fractions(h, -RIGHT_SATURATED, RIGHT_SATURATED)


def fractions_of_valid_steps(a: np.ndarray, quantity: str) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) per unit, counted over the steps where the unit's value is not NaN; NaN for a
    unit that is NaN at every step (it has no saturation to show)."""
    if a.dtype.kind != "f" or not a.size or not np.isnan(np.max(a)):  # no NaN (it propagates through max)
        return tanh_saturation(a) if quantity == "hidden_state" else saturation_fractions(a)
    nan = np.isnan(a)
    valid = (~nan).sum(axis=0)  # (units,)
    low, high = (-RIGHT_SATURATED, RIGHT_SATURATED) if quantity == "hidden_state" else (LEFT_SATURATED,
                                                                                       RIGHT_SATURATED)
    with np.errstate(invalid="ignore", divide="ignore"):
        left = np.where(valid > 0, (a < low).sum(axis=0) / np.maximum(valid, 1), np.nan)
        right = np.where(valid > 0, (a > high).sum(axis=0) / np.maximum(valid, 1), np.nan)
    return left.astype(np.float64), right.astype(np.float64)


@dataclass(frozen=True)
class Saturation:
    """One gate's saturation scatter for one layer: a point (right, left) per unit."""

    left: np.ndarray  # (units,) fraction of counted steps below the low threshold; NaN: no counted step
    right: np.ndarray  # (units,)
    nan_steps: bool  # the counted steps hold NaN (left out of the fractions)

    @property
    def nbytes(self) -> int:
        return self.left.nbytes + self.right.nbytes


def saturation(a: np.ndarray, quantity: str, skipped: list[int]) -> Saturation:
    """The saturation fractions of ``a`` (T, units) without the ``skipped`` (Keras-masked) steps."""
    if skipped:
        a = np.delete(a, skipped, axis=0)  # (T − masked, units): the steps the layer really took
    if len(a):
        left, right = fractions_of_valid_steps(a, quantity)
    else:  # every step masked: no unit has a saturation to show
        left = right = np.full(a.shape[1], np.nan)
    nan_steps = a.dtype.kind == "f" and (bool(np.isnan(a).any()) if skipped else holds_nan(a))
    return Saturation(left, right, nan_steps)


def masked_steps(trace: Trace | None) -> list[int]:
    """The steps a Keras mask skips in this (one-sequence) trace; [] without a mask or for a batch."""
    steps = trace.meta.get("masked_steps") if trace is not None else None
    if not steps or not isinstance(steps[0], int):
        return []  # none, or a batch (the panels show one sequence)
    return list(steps)


def displayed(trace: Trace, layer: int, direction: str, quantity: str, convention: str) -> np.ndarray:
    """The array as the panels show it: a GRU's update gate in the textbook convention is 1 − z
    (ViewState.displayed; that one is what the panels pass, this one the precomputing job)."""
    a = trace.get(layer, direction, quantity)
    if convention == "textbook" and trace.cell == "gru" and quantity == "update_gate":
        return 1.0 - a
    return a


# --------------------------------------------------------------------------- the cache


class TraceProducts:
    """The products of one trace, made once each (thread-safe: the trace job fills it, the GUI reads)."""

    def __init__(self, trace: Trace):
        self._trace = weakref.ref(trace)
        self._items: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self.nbytes = 0
        self.hits = 0  # products handed out ready
        self.made = 0  # products made on request (not precomputed)
        self.precomputed = 0  # products made by ``precompute``

    @property
    def trace(self) -> Trace | None:
        return self._trace()

    def __contains__(self, key: tuple) -> bool:
        return key in self._items

    def get(self, key: tuple, make: Callable[[], object], *, ahead: bool = False):
        with self._lock:
            item = self._items.get(key)
        if item is not None:
            if not ahead:
                self.hits += 1
            return item
        item = make()
        with self._lock:
            if key not in self._items:
                self._items[key] = item
                self.nbytes += getattr(item, "nbytes", 0)
                if ahead:
                    self.precomputed += 1
                else:
                    self.made += 1
        _trim()
        return item

    def heat(self, layer: int, direction: str, quantity: str, convention: str, per_unit: bool,
             data: np.ndarray | None = None, *, ahead: bool = False) -> HeatImage:
        """``data``: the displayed array when the caller has it (else taken from the trace)."""
        trace = self._trace()

        def make() -> HeatImage:
            a = data if data is not None else displayed(trace, layer, direction, quantity, convention)
            return heat_image(a, quantity, per_unit)

        return self.get(("heat", layer, direction, quantity, convention, per_unit), make, ahead=ahead)

    def column(self, layer: int, direction: str, quantity: str, convention: str, unit: int,
               data: np.ndarray | None = None, *, ahead: bool = False) -> np.ndarray:
        """One unit's values over time, (T,) float32 contiguous, as the traces panel draws a pinned
        unit's line (a strided gather of T cache lines: ~1-5 ms at 100k steps, 20 of them per trace)."""
        trace = self._trace()

        def make() -> np.ndarray:
            a = data if data is not None else displayed(trace, layer, direction, quantity, convention)
            return np.ascontiguousarray(a[:, unit], dtype=np.float32)

        return self.get(("column", layer, direction, quantity, convention, unit), make, ahead=ahead)

    def saturation(self, layer: int, direction: str, quantity: str, convention: str, skipped: list[int],
                   data: np.ndarray | None = None, *, ahead: bool = False) -> Saturation:
        trace = self._trace()

        def make() -> Saturation:
            a = data if data is not None else displayed(trace, layer, direction, quantity, convention)
            return saturation(a, quantity, skipped)

        return self.get(("saturation", layer, direction, quantity, convention, tuple(skipped)), make, ahead=ahead)


_registry: "OrderedDict[int, TraceProducts]" = OrderedDict()  # id(trace) -> its products, newest last
_registry_lock = threading.Lock()


def products_for(trace: Trace) -> TraceProducts:
    """The products of ``trace`` (an empty set the first time it is asked about)."""
    with _registry_lock:
        products = _registry.get(id(trace))
        if products is None or products.trace is not trace:  # new, or a dead trace's address reused
            products = _registry[id(trace)] = TraceProducts(trace)
        _registry.move_to_end(id(trace))
        return products


def _trim() -> None:
    """At most MAX_TRACES traces' products and MAX_BYTES in all; the newest trace's always stay."""
    with _registry_lock:
        for key in [k for k, p in _registry.items() if p.trace is None]:
            del _registry[key]
        while len(_registry) > MAX_TRACES or (len(_registry) > 1 and
                                              sum(p.nbytes for p in _registry.values()) > MAX_BYTES):
            _registry.popitem(last=False)


def precompute(trace: Trace, convention: str = "framework", cell_scale: str = "shared", skipped: list[int] = (),
               progress: Callable[[float, str], None] | None = None, pinned: list[int] = ()) -> TraceProducts:
    """Make every layer's and direction's heatmap images, NaN counts, colour ranges and saturation
    fractions of ``trace`` (one sequence, not a batch) as the panels will ask for them under the
    theme's ``convention`` and ``cell_scale``; ``skipped``: Keras-masked steps; ``pinned``: the
    units whose lines the traces panel will draw (their columns, in every layer and direction).
    ``progress`` is called between arrays (a raising callback stops the work: the job was cancelled)."""
    products = products_for(trace)
    if trace.batched:
        return products
    cells = QUANTITIES[trace.cell]
    gates = tuple(q for q in cells if q in SIGMOID_GATES) or ("hidden_state",)
    pairs = list(trace.states)
    total, done = len(pairs) * (len(cells) + len(gates)), 0
    for layer, direction in pairs:
        for quantity in cells:
            if progress is not None:
                progress(done / total, "preparing the panels")
            a = displayed(trace, layer, direction, quantity, convention)
            extremes(a)  # remembered: the panels' range and NaN checks find it
            per_unit = quantity_kind(quantity) == "cell" and cell_scale == "unit"
            products.heat(layer, direction, quantity, convention, per_unit, a, ahead=True)
            for unit in pinned:
                if unit < a.shape[1]:
                    products.column(layer, direction, quantity, convention, unit, a, ahead=True)
            done += 1
        for quantity in gates:
            if progress is not None:
                progress(done / total, "preparing the panels")
            a = displayed(trace, layer, direction, quantity, convention)
            products.saturation(layer, direction, quantity, convention, list(skipped), a, ahead=True)
            done += 1
    return products
