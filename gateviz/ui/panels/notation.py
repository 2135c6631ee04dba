"""One notation for every gate, state and formula the app writes (QtCore only, for translation).

Time indices everywhere: x_t, h_{t−1}, c_{t−1}, c_t, h_t, and every gate written the same way,
``f_t = σ(W_f x_t + U_f h_{t−1} + b_f)``. Strings use a small TeX-like markup for subscripts:
``_x`` subscripts one character, ``_{…}`` a group. Tooltips and the Help text show the markup as
it is (it reads as plain text); the cell diagram parses it (``runs``) and draws true subscripts,
smaller and lowered, in PNG, SVG and PDF alike (Unicode subscript characters lack t, f and most
letters).

GRU conventions (gate-conventions.md §5). ``framework`` (the default: PyTorch, Keras, ONNX, Cho et
al. 2014) writes h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t: a high z_t keeps the old state. ``textbook``
(Chung et al. 2014 and many lecture notes) writes h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t: its z_t is the
frameworks' 1 − z_t and its candidate is called h̃_t. The trace and the data exports always hold
the frameworks' z; only what is shown changes.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

translate = QCoreApplication.translate  # Qt's translation only (QtCore, no widgets)


def fill(template: str, **parts: str) -> str:
    """``template`` with each ``{name}`` replaced: like str.format, but the markup's own braces
    (``h_{t−1}``) in a translated sentence need no doubling."""
    for name, value in parts.items():
        template = template.replace("{" + name + "}", value)
    return template


def _tr(text: str, **parts: str) -> str:
    """A sentence marked with QT_TRANSLATE_NOOP("Notation", …), in the interface language."""
    return fill(translate("Notation", text), **parts)

CONVENTIONS = ("framework", "textbook")

_SUB = re.compile(r"\\_|_(\{[^}]*\}|.)")


def escape(text: str) -> str:
    """Literal text (a character of the input, say) inside markup: its underscores stay underscores."""
    return text.replace("_", "\\_")


def runs(markup: str) -> list[tuple[str, bool]]:
    """'c_{t−1} = 0.5' -> [('c', False), ('t−1', True), (' = 0.5', False)] (text, is subscript);
    an escaped underscore (``escape``) is plain text."""
    out: list[tuple[str, bool]] = []
    pos = 0
    plain_text = ""
    for m in _SUB.finditer(markup):
        plain_text += markup[pos:m.start()]
        pos = m.end()
        if m.group(1) is None:  # \_
            plain_text += "_"
            continue
        if plain_text:
            out.append((plain_text, False))
            plain_text = ""
        sub = m.group(1)
        out.append((sub[1:-1] if sub.startswith("{") else sub, True))
    plain_text += markup[pos:]
    if plain_text:
        out.append((plain_text, False))
    return [(text, sub) for text, sub in out if text]


def plain(markup: str) -> str:
    """The markup with its subscripts run into the text ('c_{t−1}' -> 'ct−1'), for searching drawn text."""
    return "".join(text for text, _ in runs(markup))


# the symbol of each quantity as the diagram, titles and tooltips write it, by GRU convention
_SYMBOLS = {"input_gate": "i", "forget_gate": "f", "cell_candidate": "g", "output_gate": "o", "cell_state": "c",
            "hidden_state": "h", "reset_gate": "r", "update_gate": "z", "candidate": "n"}
_TEXTBOOK_SYMBOLS = {"candidate": "h̃"}


def symbol(quantity: str, convention: str = "framework") -> str:
    """The quantity's letter: 'f', 'z'; the GRU candidate is 'n' (frameworks) or 'h̃' (textbook)."""
    if convention == "textbook" and quantity in _TEXTBOOK_SYMBOLS:
        return _TEXTBOOK_SYMBOLS[quantity]
    return _SYMBOLS.get(quantity, quantity)


def at_t(letter: str, lag: int = 0) -> str:
    """'f' -> 'f_t'; lag 1 -> 'f_{t−1}'."""
    return f"{letter}_t" if lag == 0 else f"{letter}_{{t−{lag}}}"


def _gate(letter: str, func: str, sub: str | None = None) -> str:
    sub = letter if sub is None else sub
    s = f"_{{{sub}}}" if len(sub) > 1 else f"_{sub}"
    return f"{letter}_t = {func}(W{s} x_t + U{s} h_{{t−1}} + b{s})"


def gru_candidate(reset_after: bool, convention: str = "framework") -> str:
    """The candidate's formula; PyTorch's default (reset after the matmul) or reset before (TF1)."""
    if convention == "textbook":
        return ("h̃_t = tanh(W_h x_t + b_h + r_t⊙(U_h h_{t−1} + b′_h))" if reset_after
                else "h̃_t = tanh(W_h x_t + U_h(r_t⊙h_{t−1}) + b_h)")
    return ("n_t = tanh(W_n x_t + b_n + r_t⊙(U_n h_{t−1} + b_{hn}))" if reset_after
            else "n_t = tanh(W_n x_t + U_n(r_t⊙h_{t−1}) + b_n)")


def gru_update(convention: str = "framework") -> str:
    return ("h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t" if convention == "textbook"
            else "h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t")


def gru_kept_written(convention: str = "framework") -> tuple[str, str]:
    """The two terms of the GRU update: (kept, written)."""
    if convention == "textbook":
        return "(1−z_t)⊙h_{t−1}", "z_t⊙h̃_t"
    return "z_t⊙h_{t−1}", "(1−z_t)⊙n_t"


LSTM_KEPT, LSTM_WRITTEN = "f_t⊙c_{t−1}", "i_t⊙g_t"


def formulas(cell: str, *, convention: str = "framework", reset_after: bool = True, peepholes: bool = False,
             activation: str = "tanh") -> list[tuple[str, bool]]:
    """The cell's equations as (markup, is_note) lines, one formula each; notes explain."""
    if cell == "lstm":
        lines = [(_gate("i", "σ"), False), (_gate("f", "σ"), False), (_gate("g", "tanh"), False),
                 (_gate("o", "σ"), False), (f"c_t = {LSTM_KEPT} + {LSTM_WRITTEN}", False),
                 ("h_t = o_t⊙tanh(c_t)", False)]
        if peepholes:
            lines.append((translate("Notation", "with peepholes: + p⊙c_{t−1} inside i_t and f_t, + p⊙c_t inside o_t"),
                          True))
        return lines
    if cell == "gru":
        lines = [(_gate("r", "σ"), False), (_gate("z", "σ"), False), (gru_candidate(reset_after, convention), False),
                 (gru_update(convention), False)]
        if convention == "textbook":
            lines.append((translate("Notation", "Textbook convention (Chung et al. 2014): a high z_t writes the "
                                    "candidate. This z_t is 1 − the z_t of PyTorch, Keras and ONNX (their W_z, U_z, "
                                    "b_z negated)."), True))
        else:
            lines.append((translate("Notation", "Convention of PyTorch, Keras and ONNX (Cho et al. 2014): a high z_t "
                                    "keeps the old state. Textbooks call our 1−z_t their z_t (View ▸ GRU: textbook "
                                    "convention)."), True))
        return lines
    return [(f"h_t = {activation}(W x_t + U h_{{t−1}} + b)", False),
            (translate("Notation", "the plain RNN has no gates: h_t is overwritten at every step"), True)]


# one sentence per quantity, with its formula, for tooltips (plain-text markup): (English template,
# its parts); tip() translates the template when shown, never at import
_TIPS = {
    "input_gate": (QT_TRANSLATE_NOOP("Notation", "Input gate {formula}: how much of the candidate g_t is written into "
                                                 "the cell."), {"formula": _gate("i", "σ")}),
    "forget_gate": (QT_TRANSLATE_NOOP("Notation", "Forget gate {formula}: how much of the old cell state c_{t−1} is "
                                                  "kept."), {"formula": _gate("f", "σ")}),
    "cell_candidate": (QT_TRANSLATE_NOOP("Notation", "Cell candidate {formula}: the new content proposed for the "
                                                     "cell."), {"formula": _gate("g", "tanh")}),
    "output_gate": (QT_TRANSLATE_NOOP("Notation", "Output gate {formula}: how much of tanh(c_t) is shown as h_t."),
                    {"formula": _gate("o", "σ")}),
    "cell_state": (QT_TRANSLATE_NOOP("Notation", "Cell state {formula}: the LSTM's long-term memory, unbounded."),
                   {"formula": f"c_t = {LSTM_KEPT} + {LSTM_WRITTEN}"}),
    "hidden_state": (QT_TRANSLATE_NOOP("Notation", "Hidden state h_t: what the cell outputs and feeds back at the "
                                                   "next step."), {}),
    "reset_gate": (QT_TRANSLATE_NOOP("Notation", "Reset gate {formula}: how much of h_{t−1} the candidate n_t may "
                                                 "use."), {"formula": _gate("r", "σ")}),
    "update_gate": (QT_TRANSLATE_NOOP("Notation", "Update gate {formula}: a high z_t keeps the old state ({update}, "
                                                  "the PyTorch/Keras/ONNX convention)."),
                    {"formula": _gate("z", "σ"), "update": gru_update()}),
    "candidate": (QT_TRANSLATE_NOOP("Notation", "Candidate {formula}: the proposed new state."),
                  {"formula": gru_candidate(True)}),
}
_TEXTBOOK_TIPS = {
    "update_gate": (QT_TRANSLATE_NOOP("Notation", "Update gate z_t in the textbook convention, 1 − the z_t of "
                                                  "PyTorch/Keras/ONNX: a high z_t writes the candidate ({update})."),
                    {"update": gru_update("textbook")}),
    "reset_gate": (QT_TRANSLATE_NOOP("Notation", "Reset gate {formula}: how much of h_{t−1} the candidate h̃_t may "
                                                 "use."), {"formula": _gate("r", "σ")}),
    "candidate": (QT_TRANSLATE_NOOP("Notation", "Candidate {formula}: the proposed new state."),
                  {"formula": gru_candidate(True, "textbook")}),
}
_HIDDEN_TIPS = {
    "lstm": (QT_TRANSLATE_NOOP("Notation", "Hidden state {formula}: what the LSTM outputs and feeds back at the next "
                                           "step."), {"formula": "h_t = o_t⊙tanh(c_t)"}),
    "gru": (QT_TRANSLATE_NOOP("Notation", "Hidden state {formula} (PyTorch/Keras/ONNX convention: a high z_t keeps "
                                          "the old state)."), {"formula": gru_update()}),
    "rnn": (QT_TRANSLATE_NOOP("Notation", "Hidden state {formula}: the plain RNN's only state."),
            {"formula": "h_t = tanh(W x_t + U h_{t−1} + b)"}),
}
_TEXTBOOK_HIDDEN_TIP = (QT_TRANSLATE_NOOP("Notation", "Hidden state {formula} (textbook convention: a high z_t writes "
                                                      "the candidate; z_t is 1 − the z_t of PyTorch/Keras/ONNX)."),
                        {"formula": gru_update("textbook")})
# the English sentences (tests, QUANTITY_INFO's .tip)
TIPS = {q: fill(t, **parts) for q, (t, parts) in _TIPS.items()}
HIDDEN_TIPS = {c: fill(t, **parts) for c, (t, parts) in _HIDDEN_TIPS.items()}


def tip(quantity: str, cell: str, convention: str = "framework") -> str:
    """The tooltip sentence of a quantity of a cell, in the chosen GRU convention and the interface language."""
    textbook = convention == "textbook" and cell == "gru"
    if quantity == "hidden_state":
        text, parts = _TEXTBOOK_HIDDEN_TIP if textbook else _HIDDEN_TIPS.get(cell, _TIPS[quantity])
    elif textbook and quantity in _TEXTBOOK_TIPS:
        text, parts = _TEXTBOOK_TIPS[quantity]
    else:
        text, parts = _TIPS[quantity]
    return _tr(text, **parts)
