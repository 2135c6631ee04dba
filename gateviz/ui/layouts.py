"""Lecture layouts: which panels the window shows, how they share the room, and what goes first
when the room is too small.

A layout is a tree of splits. A ``Split`` lays its children side by side ("h") or one above the
other ("v"), each with a weight (its share of the room beyond what every child needs); a leaf is
a panel id. Fitting (``fit``) is pure arithmetic on sizes, so it is tested without Qt:

    fit(LAYOUTS["dashboard"], (1366, 650), needs)  ->  Fit(shown=(...), sizes={pid: (w, h)})

``needs(pid)`` is the smallest (w, h) at which that panel stays readable (``Panel.readable_size``).
A panel whose need does not fit is not squeezed: panels are dropped in the layout's ``drop_order``
until the rest fit (the last one stays, whatever the room).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

from PySide6.QtCore import QT_TRANSLATE_NOOP

HANDLE = 5  # pixels between two panels (the splitter handle)


@dataclass(frozen=True)
class Split:
    orientation: str  # "h": side by side, "v": one above the other
    children: tuple  # ((Split | panel id, weight), ...)

    def panels(self) -> list[str]:
        out: list[str] = []
        for child, _weight in self.children:
            out += child.panels() if isinstance(child, Split) else [child]
        return out


Node = Union[Split, str]


@dataclass(frozen=True)
class Layout:
    name: str
    label: str  # the View ▸ Layout entry (English source; translate("Layouts", label) where shown)
    tip: str
    shortcut: str
    tree: Split
    drop_order: tuple[str, ...] = ()  # dropped first when the room is too small

    def panels(self) -> list[str]:
        return self.tree.panels()


def _single(pid: str, label: str, tip: str, shortcut: str) -> Layout:
    return Layout(pid, label, tip, shortcut, Split("v", ((pid, 1),)))


LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    Layout("dashboard", QT_TRANSLATE_NOOP("Layouts", "&Dashboard (all five panels)"),
           QT_TRANSLATE_NOOP("Layouts", "Every panel at once: input and output, heatmaps, cell diagram, unit traces, "
                                        "saturation"),
           "Ctrl+1",
           Split("h", ((Split("v", (("io", 3), ("heatmaps", 7))), 1),
                       (Split("v", (("cell", 9), ("traces", 9), ("saturation", 6))), 1))),
           drop_order=("saturation", "traces", "io", "heatmaps")),
    Layout("story", QT_TRANSLATE_NOOP("Layouts", "&Input and cell diagram"),
           QT_TRANSLATE_NOOP("Layouts", "What the model reads and predicts above the cell that does it: "
                                        "the lecture's main view"),
           "Ctrl+2", Split("v", (("io", 2), ("cell", 5))), drop_order=("io",)),
    Layout("gates", QT_TRANSLATE_NOOP("Layouts", "&Heatmaps and unit traces"),
           QT_TRANSLATE_NOOP("Layouts", "Every gate of every unit beside the pinned units' curves"), "Ctrl+3",
           Split("h", (("heatmaps", 1), ("traces", 1))), drop_order=("traces",)),
    _single("cell", QT_TRANSLATE_NOOP("Layouts", "&Cell diagram"),
            QT_TRANSLATE_NOOP("Layouts", "The cell diagram alone, as large as the window"), "Ctrl+4"),
    _single("heatmaps", QT_TRANSLATE_NOOP("Layouts", "Gate heat&maps"),
            QT_TRANSLATE_NOOP("Layouts", "The gate heatmaps alone"), "Ctrl+5"),
    _single("traces", QT_TRANSLATE_NOOP("Layouts", "Unit &traces"),
            QT_TRANSLATE_NOOP("Layouts", "The pinned units' curves alone"), "Ctrl+6"),
    _single("io", QT_TRANSLATE_NOOP("Layouts", "Input and &output"),
            QT_TRANSLATE_NOOP("Layouts", "The task's input and the model's prediction alone"), "Ctrl+7"),
    _single("saturation", QT_TRANSLATE_NOOP("Layouts", "&Saturation"),
            QT_TRANSLATE_NOOP("Layouts", "Karpathy's saturation scatter alone"), "Ctrl+8"),
    Layout("memory", QT_TRANSLATE_NOOP("Layouts", "&Memory: input and gradients through time"),
           QT_TRANSLATE_NOOP("Layouts", "Which earlier inputs matter for the output at the cursor: the input shaded "
                             "by its connectivity above the gradient norms on a log axis, dy/dc per unit and "
                             "the forget gates' product"), "Ctrl+9",
           Split("v", (("io", 2), ("memory", 5))), drop_order=("io",)),
)}
# layouts that shade the input by memory (which earlier inputs matter now) when chosen
SHADING_LAYOUTS = ("memory",)
DEFAULT_LAYOUT = "dashboard"


@dataclass
class Fit:
    shown: tuple[str, ...]  # panels shown, in the layout's order
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # panel -> (w, h) it gets
    dropped: tuple[str, ...] = ()  # panels of the layout left out because the room is too small


def prune(node: Node, keep: set[str]) -> Node | None:
    """The tree with only the panels in ``keep`` (a split left with one child becomes that child)."""
    if not isinstance(node, Split):
        return node if node in keep else None
    children = tuple((c, w) for c, w in ((prune(c, keep), w) for c, w in node.children) if c is not None)
    if not children:
        return None
    if len(children) == 1:
        return children[0][0]
    return Split(node.orientation, children)


def _need(node: Node, needs: Callable[[str], tuple[int, int]]) -> tuple[int, int]:
    """The smallest (w, h) at which every panel under ``node`` gets its need."""
    if not isinstance(node, Split):
        return tuple(needs(node))
    parts = [_need(c, needs) for c, _ in node.children]
    handles = HANDLE * (len(parts) - 1)
    if node.orientation == "h":
        return sum(p[0] for p in parts) + handles, max(p[1] for p in parts)
    return max(p[0] for p in parts), sum(p[1] for p in parts) + handles


def share(total: int, weights: list[float], minimums: list[int]) -> list[int]:
    """Split ``total`` by ``weights``, but give every part at least its minimum (water filling)."""
    n = len(weights)
    fixed = [False] * n
    sizes = [0.0] * n
    while True:
        free = total - sum(m for m, f in zip(minimums, fixed) if f)
        wsum = sum(w for w, f in zip(weights, fixed) if not f)
        changed = False
        for i in range(n):
            if not fixed[i]:
                sizes[i] = free * weights[i] / wsum if wsum > 0 else 0.0
                if sizes[i] < minimums[i]:
                    fixed[i], sizes[i], changed = True, minimums[i], True
        for i in range(n):
            if fixed[i]:
                sizes[i] = minimums[i]
        if not changed or all(fixed):
            break
    out = [int(s) for s in sizes]
    if out:
        out[-1] += total - sum(out)  # rounding goes to the last part
    return out


def _allot(node: Node, size: tuple[int, int], needs, out: dict) -> None:
    if not isinstance(node, Split):
        out[node] = (int(size[0]), int(size[1]))
        return
    axis = 0 if node.orientation == "h" else 1
    total = size[axis] - HANDLE * (len(node.children) - 1)
    parts = share(total, [w for _, w in node.children], [_need(c, needs)[axis] for c, _ in node.children])
    for (child, _), length in zip(node.children, parts):
        child_size = (length, size[1]) if axis == 0 else (size[0], length)
        _allot(child, child_size, needs, out)


def fit(layout: Layout, room: tuple[int, int], needs: Callable[[str], tuple[int, int]],
        hidden: set[str] | frozenset = frozenset()) -> Fit:
    """Which of the layout's panels fit in ``room`` without going below their needs, and their sizes.

    ``hidden``: panels the user switched off (View ▸ Panels); ignored when it would leave the
    layout empty (a one-panel layout always shows its panel).
    """
    order = layout.panels()
    keep = [p for p in order if p not in hidden] or list(order)
    dropped: list[str] = []
    drop_queue = [p for p in layout.drop_order if p in keep]

    def excess(panels: list[str]) -> int:
        w, h = _need(prune(layout.tree, set(panels)), needs)
        return max(0, w - room[0]) + max(0, h - room[1])

    while len(keep) > 1 and excess(keep) > 0:
        # the first panel in drop order whose absence helps (dropping a panel of a column that
        # fits does not make room in the one that does not); the layout's main panels (those not
        # in its drop order) stay, squeezed if the room is smaller than even they need
        candidates = [p for p in drop_queue if p in keep]
        if not candidates:
            break
        now = excess(keep)
        victim = next((p for p in candidates if excess([k for k in keep if k != p]) < now), candidates[0])
        keep.remove(victim)
        dropped.append(victim)
    tree = prune(layout.tree, set(keep))
    sizes: dict[str, tuple[int, int]] = {}
    _allot(tree, room, needs, sizes)
    return Fit(tuple(p for p in order if p in keep), sizes, tuple(dropped))
