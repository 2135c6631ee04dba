"""Keras encoder-decoder models: which module a decoder's first layer starts from (issue 14).

``state_link(builder, run)`` gives a decoder run's RecurrentModel.initial_state_from, or None:
- keras-io lstm_seq2seq: the decoder called with ``initial_state=`` the encoder's [h, c]
  (``builder.links``, found by keras_graph) -> {"module": encoder, "states": ["h", "c"]};
- keras-io addition_rnn: encoder -> RepeatVector(n) -> decoder -> {"module": encoder,
  "states": [], "input_repeat": n}: the decoder's input is the encoder's final h, repeated.
``builder`` is keras_reader's _Builder (its chain, runs, links, encoders and notes).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import FormatError
from . import keras_reader as kr


def state_link(b, run) -> dict[str, Any] | None:
    """A decoder run: which encoder module's final states (h, c) its first layer starts from."""
    names = run.names(b.chain)
    linked = [n for n in names if n in b.links]
    if not linked:
        return _repeat_link(b, run)
    src, indices = b.links[linked[0]]
    if linked[0] != names[0]:
        raise FormatError(f"{b.where}: layer {linked[0]!r} starts from {src}'s states inside a stack; gateviz "
                          f"starts a decoder's first layer only: open {linked[0]!r} with --module {linked[0]}")
    for enc in b.encoders:
        for r in enc.runs:
            enc_names = r.names(enc.chain)
            if src in enc_names:
                rec = kr._as_recurrent(enc.chain[r.indices[-1]])
                kinds = {"lstm": ["h", "c"], "gru": ["h"], "rnn": ["h"]}[rec.cell]
                if src != enc_names[-1] or rec.bidirectional or any(not 1 <= i <= len(kinds) for i in indices):
                    raise FormatError(f"{b.where}: {names[0]!r} starts from outputs {indices} of {src!r}; gateviz "
                                      f"follows a decoder started from the final state of a one-direction "
                                      f"encoder's last layer ({enc_names[-1]!r})")
                states = [kinds[i - 1] for i in indices]
                b.notes.append(f"a decoder: starts from {enc_names[0]}'s final {', '.join(states)}")
                return {"module": enc_names[0], "states": states}
    raise FormatError(f"{b.where}: {names[0]!r} starts from the states of {src!r}, which is not a recurrent "
                      f"layer gateviz can trace; open {names[0]!r} on its own (zero initial state is not what "
                      "Keras computes)")


def _repeat_link(b, run) -> dict[str, Any] | None:
    """addition_rnn: encoder LSTM -> RepeatVector(n) -> this run. Its input is the encoder's final
    h repeated n times (a function of the encoder's input); its initial state is zero."""
    k = b.runs.index(run)
    if k == 0:
        return None
    prev = b.runs[k - 1]
    between = [s for s in b.chain[prev.indices[-1] + 1:run.indices[0]] if kr._kind(s) != "pass"]
    rec = kr._as_recurrent(b.chain[prev.indices[-1]])
    n = between[0].config.get("n") if len(between) == 1 and between[0].class_name == "RepeatVector" else None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or rec.return_sequences or rec.bidirectional:
        return None
    enc = prev.names(b.chain)
    reverse = b._layers(prev)[0][-1].directions[0].reverse  # the encoder's final h: step 0 if backward
    b.notes.append(f"input = {enc[-1]}'s final h repeated {n} times ({between[0].name})"
                      + (" (go_backwards)" if reverse else ""))
    return {"module": enc[0], "states": [], "input_repeat": n}
