"""Intervening with the mouse (issue 13): right-click menus on the panels, and the lecture presets.

Right-click a heatmap row or cell, a unit's line in the unit traces, or a gate in the cell diagram:
the menu offers to clamp the quantity under the mouse for the unit under the mouse from the step
under the mouse ("Clamp forget gate of unit 8 to 0 from step 10"), to silence the unit (h, and c for
an LSTM, = 0 at every step) or to set its cell state at that step. The menus are installed from
here with event filters on the panels' views (the panels know nothing of them) and take precedence
over pyqtgraph's own right-click menus and drags on the plot area; elsewhere those stay.

``PanelMenus.menu_for(target)`` builds the menu for a ``Target`` (tests trigger its actions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from gateviz.core.interventions import QUANTITY_WORDS, _runs  # _runs: 8-11 for 8, 9, 10, 11, as the core writes
from gateviz.ui.guard import guarded
from gateviz.ui.i18n import QT_TRANSLATE_NOOP, translate

GATES = ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate")  # 0..1: clamp to 0 / 1
CANDIDATES = ("cell_candidate", "candidate")  # −1..1

# (label, quantity, value, what a lecturer will see) per cell kind; each acts on every unit of the
# shown layer and direction at every step
PRESETS = {
    "lstm": (
        (QT_TRANSLATE_NOOP("Presets", "No forgetting (f = 1)"), "forget_gate", 1.0, QT_TRANSLATE_NOOP(
         "Presets",
         "c_t = c_{t−1} + i_t⊙g_t: the cell only accumulates. Watch c drift and grow step after step: "
         "nothing is ever let go, so a counter never resets and the state saturates tanh(c).")),
        (QT_TRANSLATE_NOOP("Presets", "No memory (f = 0)"), "forget_gate", 0.0, QT_TRANSLATE_NOOP(
         "Presets",
         "c_t = i_t⊙g_t: the cell forgets everything at every step. Watch c follow the current input "
         "alone: the model cannot count or carry anything, and its predictions fall apart.")),
        (QT_TRANSLATE_NOOP("Presets", "Input closed (i = 0)"), "input_gate", 0.0, QT_TRANSLATE_NOOP(
         "Presets",
         "c_t = f_t⊙c_{t−1}: nothing new is written. Watch c stay at zero (it starts at zero) and h go "
         "flat: the model sees nothing of its input through the cell.")),
        (QT_TRANSLATE_NOOP("Presets", "Output always open (o = 1)"), "output_gate", 1.0, QT_TRANSLATE_NOOP(
         "Presets",
         "h_t = tanh(c_t): the whole cell is shown at every step. Watch h follow tanh(c) exactly; the "
         "units the output gate was hiding now reach the next step and the prediction.")),
    ),
    "gru": (
        (QT_TRANSLATE_NOOP("Presets", "Always keep (z = 1)"), "update_gate", 1.0, QT_TRANSLATE_NOOP(
         "Presets",
         "h_t = h_{t−1} (frameworks' z; the textbook's z is 1 − z): the state never changes. Watch h stay "
         "at its start (zero) at every step: the model ignores its input entirely.")),
        (QT_TRANSLATE_NOOP("Presets", "Always overwrite (z = 0)"), "update_gate", 0.0, QT_TRANSLATE_NOOP(
         "Presets",
         "h_t = n_t (frameworks' z; the textbook's z is 1 − z): the old state is replaced by the "
         "candidate at every step. Watch h jump with each input: memory survives only through r.")),
        (QT_TRANSLATE_NOOP("Presets", "Reset closed (r = 0)"), "reset_gate", 0.0, QT_TRANSLATE_NOOP(
         "Presets",
         "n_t = tanh(W_n x_t + b_n): the candidate ignores the previous state. Watch n follow the "
         "input alone; memory survives only through z's blend with h_{t−1}.")),
    ),
}
RNN_NOTE = QT_TRANSLATE_NOOP(
    "Presets", "A plain RNN has no gates, so the gate presets do not apply: h_t = tanh(W x_t + U h_{t−1} + b). "
               "Right-click a heatmap row to silence a unit or set its h instead.")
# the core's QUANTITY_WORDS in the interface language
QUANTITY_NAMES = {"input_gate": QT_TRANSLATE_NOOP("Quantities", "input gate i"),
                  "forget_gate": QT_TRANSLATE_NOOP("Quantities", "forget gate f"),
                  "cell_candidate": QT_TRANSLATE_NOOP("Quantities", "candidate g"),
                  "output_gate": QT_TRANSLATE_NOOP("Quantities", "output gate o"),
                  "cell_state": QT_TRANSLATE_NOOP("Quantities", "cell state c"),
                  "hidden_state": QT_TRANSLATE_NOOP("Quantities", "hidden state h"),
                  "reset_gate": QT_TRANSLATE_NOOP("Quantities", "reset gate r"),
                  "update_gate": QT_TRANSLATE_NOOP("Quantities", "update gate z"),
                  "candidate": QT_TRANSLATE_NOOP("Quantities", "candidate n")}


def quantity_name(q: str) -> str:
    """'forget gate f' / '遗忘门 f': a quantity as the interface language names it."""
    return translate("Quantities", QUANTITY_NAMES[q]) if q in QUANTITY_NAMES else QUANTITY_WORDS.get(q, q)


def describe_intervention(iv, with_layer: bool = True) -> str:
    """``iv.describe()`` in the interface language ("遗忘门 f：单元 8 = 0，从第 10 步起")."""
    from gateviz.ui import i18n

    if i18n.current_language() == "en":
        return iv.describe(with_layer=with_layer)  # the core's own words
    what = quantity_name(iv.quantity)
    units = (translate("Intervene", "every unit") if iv.units is None
             else translate("Intervene", "unit {units}").format(units=", ".join(_runs(iv.units))))
    value = {"set": "= ", "scale": "× ", "add": "+ "}[iv.op] + f"{iv.value:g}"
    if iv.start is None and iv.stop is None:
        steps = translate("Intervene", "at every step")
    elif iv.start is not None and iv.stop == iv.start + 1:
        steps = translate("Intervene", "at step {t}").format(t=iv.start)
    elif iv.stop is None:
        steps = translate("Intervene", "from step {t}").format(t=iv.start)
    elif iv.start is None:
        steps = translate("Intervene", "before step {t}").format(t=iv.stop)
    else:
        steps = translate("Intervene", "at steps {first}–{last}").format(first=iv.start, last=iv.stop - 1)
    where = translate("Intervene", " (layer {k} {direction})").format(
        k=iv.layer, direction=translate("Controls", iv.direction)) if with_layer else ""
    return translate("Intervene", "{what} of {units} {value} {steps}{where}").format(
        what=what, units=units, value=value, steps=steps, where=where)


def preset_spec(layer: int, direction: str, quantity: str, value: float) -> str:
    return f"layer{layer}.{direction}.{quantity}[*]={value:g}"


def preset_actions(ctl, cell: str, layer: int, direction: str) -> list[QAction]:
    """The lecture presets of ``cell`` on the shown layer and direction, one action each; a plain
    RNN gets one disabled action whose tooltip says why there are none."""
    parent = ctl.window
    if cell not in PRESETS:
        a = QAction(translate("Presets", "No presets for a plain RNN (it has no gates)"), parent)
        a.setEnabled(False)
        a.setToolTip(translate("Presets", RNN_NOTE))
        a.setStatusTip(translate("Presets", RNN_NOTE))
        return [a]
    actions = []
    for label, quantity, value, seen in PRESETS[cell]:
        spec = preset_spec(layer, direction, quantity, value)
        a = QAction(translate("Presets", label), parent)
        tip = translate("Presets", "Adds {spec} (every unit of layer {layer} {direction}, every step).").format(
            spec=spec, layer=layer, direction=translate("Controls", direction)) + " " + translate("Presets", seen)
        a.setToolTip(tip)
        a.setStatusTip(tip)
        a.setData(spec)
        a.triggered.connect(lambda _=False, s=spec: ctl.add(s, replace_same_target=True))
        actions.append(a)
    return actions


def ask_value(parent, title: str, label: str, default: float) -> float | None:
    """A number from the user, or None (Cancel). Tests replace it."""
    value, ok = QInputDialog.getDouble(parent, title, label, default, -1e6, 1e6, 4)
    return float(value) if ok else None


@dataclass(frozen=True)
class Target:
    """What is under the mouse: a quantity (None: just the unit) of one unit at one step."""

    layer: int
    direction: str
    quantity: str | None
    unit: int
    step: int


class PanelMenus(QObject):
    """Installs the right-click menus on the heatmaps, the unit traces and the cell diagram."""

    def __init__(self, ctl, panels: dict):
        super().__init__(ctl)
        self.ctl, self.state = ctl, ctl.state
        self.panels = panels
        self.last_menu: QMenu | None = None  # the menu shown last (tests trigger its actions)
        self.last_target: Target | None = None
        self._watched: dict = {}  # watched widget -> (kind, panel)
        heat, traces, cell = panels.get("heatmaps"), panels.get("traces"), panels.get("cell")
        if heat is not None and hasattr(heat, "view"):
            self._watch(heat.view.viewport(), "heatmaps", heat)
        if traces is not None and hasattr(traces, "view"):
            self._watch(traces.view.viewport(), "traces", traces)
        if cell is not None:
            self._watch(cell, "cell", cell)

    def _watch(self, widget, kind: str, panel) -> None:
        self._watched[widget] = (kind, panel)
        widget.installEventFilter(self)

    # ---- what is under the mouse ---------------------------------------------------------------
    def target_at(self, kind: str, panel, pos: QPoint) -> Target | None:
        s = self.state
        if s.trace is None:
            return None
        if kind == "heatmaps":
            hit = panel._row_at(panel.view.mapToScene(pos))
            if hit is None:
                return None
            row, r, t = hit
            return Target(s.layer, s.direction, row.quantity, panel.unit_at_row(r), _clip(t, s.trace.length))
        if kind == "traces":
            return self._trace_target(panel, panel.view.mapToScene(pos))
        if kind == "cell":
            p = QPointF(pos)
            quantity = None
            for symbol, rect in panel.gate_rects().items():
                if rect.contains(p):
                    from gateviz.ui.panels.cell_schematics import GATE_QUANTITY

                    quantity = GATE_QUANTITY.get(symbol)
                    break
            return Target(s.layer, s.direction, quantity, int(panel.unit), int(s.step))
        return None

    def _trace_target(self, panel, scene_pos) -> Target | None:
        """The pinned unit whose line is nearest the mouse (in pixels) at the step under it."""
        s = self.state
        for p in panel.plots:
            vb = p.plot.vb
            if not vb.sceneBoundingRect().contains(scene_pos) or p.data is None or not p.lines:
                continue
            view = vb.mapSceneToView(scene_pos)
            t = _clip(int(math.floor(view.x() + 0.5)), s.trace.length)
            best, unit = math.inf, None
            for u in p.lines:
                y = float(p.data[t, u])
                if math.isfinite(y):
                    d = abs(vb.mapViewToScene(QPointF(t, y)).y() - scene_pos.y())
                    if d < best:
                        best, unit = d, u
            if unit is None:
                return None
            return Target(s.layer, s.direction, p.quantity, int(unit), t)
        return None

    # ---- events ----------------------------------------------------------------------------------
    @guarded(fallback=False)
    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt name)
        watched = self._watched.get(obj)
        if watched is None:
            return False
        etype = ev.type()
        if etype in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick):
            # pyqtgraph opens its own menu (and drags to zoom) on the right button: ours wins on the plots.
            # Ours opens on the release, on every platform (Qt's context-menu event comes after the press
            # on X11, after the release on Windows; it is swallowed below)
            if ev.button() != Qt.MouseButton.RightButton:
                return False
            target = self.target_at(*watched, ev.position().toPoint())
            if target is not None and etype == QEvent.Type.MouseButtonRelease:
                self.popup(target, ev.globalPosition().toPoint())
            return target is not None
        if etype == QEvent.Type.ContextMenu:
            target = self.target_at(*watched, ev.pos())
            if target is None:
                return False
            if ev.reason() == ev.Reason.Keyboard:  # the menu key: the mouse opened none
                self.popup(target, ev.globalPos())
            return True
        return False

    def popup(self, target: Target, global_pos: QPoint) -> QMenu:
        menu = self.menu_for(target)
        menu.popup(global_pos)
        return menu

    # ---- the menu --------------------------------------------------------------------------------
    def menu_for(self, target: Target) -> QMenu:
        s = self.state
        cell = s.trace.cell
        u, t, q = target.unit, target.step, target.quantity
        where = f"layer{target.layer}.{target.direction}"
        menu = QMenu(self.ctl.window)
        menu.setToolTipsVisible(True)
        self.last_menu, self.last_target = menu, target

        def add(text: str, specs, tip: str = "") -> None:
            a = menu.addAction(text)
            a.setToolTip(tip or translate("Intervene", "Adds {specs}").format(
                specs=translate("Intervene", "  and  ").join(specs() if callable(specs) else specs)))
            a.setData(None if callable(specs) else list(specs))
            a.triggered.connect(lambda _=False: self._add(specs))

        if q is not None:
            name = quantity_name(q)
            if s.theme.gru_convention == "textbook" and q == "update_gate":
                name += translate("Intervene", " (frameworks' z, the textbook's 1 − z)")
            w = {"name": name, "u": u, "t": t}
            if q in GATES:
                for v in (0, 1):
                    add(translate("Intervene", "Clamp {name} of unit {u} to {v} from step {t}").format(**w, v=v),
                        [f"{where}.{q}[{u}]={v}@{t}:"])
                asks = translate("Intervene", "Asks for the value (gates run from 0 to 1)")
                ask = translate("Intervene", "Clamp {name} of unit {u} from step {t} to").format(**w)
                add(translate("Intervene", "Clamp {name} of unit {u} to a value… from step {t}").format(**w),
                    self._ask(f"{where}.{q}[{u}]={{v:g}}@{t}:", ask, 0.5), asks)
                ask = translate("Intervene", "Clamp {name} of unit {u} at every step to").format(**w)
                add(translate("Intervene", "Clamp {name} of unit {u} to a value… at every step").format(**w),
                    self._ask(f"{where}.{q}[{u}]={{v:g}}", ask, 0.5), asks)
            elif q in CANDIDATES:
                add(translate("Intervene", "Set {name} of unit {u} to 0 from step {t}").format(**w),
                    [f"{where}.{q}[{u}]=0@{t}:"])
                ask = translate("Intervene", "Set {name} of unit {u} from step {t} to").format(**w)
                add(translate("Intervene", "Set {name} of unit {u} to a value… from step {t}").format(**w),
                    self._ask(f"{where}.{q}[{u}]={{v:g}}@{t}:", ask, 0.0),
                    translate("Intervene", "Asks for the value (candidates run from −1 to 1)"))
            elif q == "hidden_state":
                ask = translate("Intervene", "Set h of unit {u} at step {t} to").format(**w)
                add(translate("Intervene", "Set h of unit {u} at step {t}…").format(**w),
                    self._ask(f"{where}.hidden_state[{u}]={{v:g}}@{t}", ask, self._value("hidden_state", u, t)),
                    translate("Intervene", "Asks for the value; later steps follow from it"))
            menu.addSeparator()
        silence = [f"{where}.hidden_state[{u}]=0"] + ([f"{where}.cell_state[{u}]=0"] if cell == "lstm" else [])
        add((translate("Intervene", "Silence unit {u} (h = 0 and c = 0 at every step)") if cell == "lstm"
             else translate("Intervene", "Silence unit {u} (h = 0 at every step)")).format(u=u), silence)
        if cell == "lstm":
            add(translate("Intervene", "Set c of unit {u} at step {t}…").format(u=u, t=t),
                self._ask(f"{where}.cell_state[{u}]={{v:g}}@{t}",
                          translate("Intervene", "Set c of unit {u} at step {t} to").format(u=u, t=t),
                          self._value("cell_state", u, t)),
                translate("Intervene", "Asks for the value (the cell state's now is the default); h_t and every "
                                       "later step follow"))
        menu.addSeparator()
        show = menu.addAction(translate("Intervene", "Interventions list…"))
        show.triggered.connect(lambda _=False: self.ctl.show_dock())
        return menu

    def _value(self, quantity: str, unit: int, step: int) -> float:
        try:
            return round(float(self.state.trace.get(self.state.layer, self.state.direction, quantity)[step, unit]), 4)
        except (KeyError, IndexError):
            return 0.0

    def _ask(self, template: str, label: str, default: float):
        """A spec maker that asks for the value when the action is chosen ([] when cancelled)."""
        def specs() -> list[str]:
            value = ask_value(self.ctl.window, translate("Intervene", "Intervene"), label, default)
            return [] if value is None else [template.format(v=value)]
        return specs

    def _add(self, specs) -> None:
        texts = specs() if callable(specs) else specs
        for text in texts:
            self.ctl.add(text)


def _clip(t: int, length: int) -> int:
    return int(min(max(t, 0), length - 1))
