"""A decoder traced from its encoder: encoder then decoder on one time axis (issue 14).

A decoder of an encoder-decoder file (``RecurrentModel.initial_state_from``) does not start from
zeros: keras-io's lstm_seq2seq starts its first layer from the encoder's final h and c, addition_rnn
feeds it the encoder's final h repeated n times. ``DecoderWithEncoder`` is such a decoder together
with its encoder and the encoder's input; ``Tracer`` traces it as what the framework computes —
the encoder on its input, then the decoder from the encoder's final state — and, when the two
stacks have the same shape (the same cells, widths and directions layer by layer, as lstm_seq2seq's
do), returns ONE trace whose steps 0..Te−1 are the encoder's and Te..Te+Td−1 the decoder's:
``meta["encoder_steps"] = Te``. Interventions then address that joined axis: one on an encoder
step changes the encoder's final state and with it the whole decoder. Stacks of different shapes
give the decoder's trace alone (still started from the encoder) and say why in
``meta["encoder_not_shown"]``.

Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .errors import SequenceError
from .model import RecurrentModel
from .trace import Trace


@dataclass(eq=False)
class DecoderWithEncoder(RecurrentModel):
    """The decoder (its layers, input stage and head are this model's own) with the encoder whose
    final state it starts from, and the encoder's input. ``eq=False``: compared by identity, as
    the tracer caches expect of models."""

    encoder: RecurrentModel | None = None
    encoder_sequence: Any = None  # what Tracer(encoder).trace accepts: (T, F), (T,) tokens or a str
    encoder_input_name: str = ""  # the file (or sample) the encoder's input came from, for labels

    @classmethod
    def attach(cls, decoder: RecurrentModel, encoder: RecurrentModel, encoder_sequence,
               input_name: str = "") -> "DecoderWithEncoder":
        if decoder.initial_state_from is None:
            raise ValueError(f"{decoder.name} is no decoder: it starts from zeros")
        own = {f.name: getattr(decoder, f.name) for f in fields(RecurrentModel)}
        base = decoder.name.split(" (a decoder")[0]  # the reader's note said it starts from the encoder
        own["name"] = (f"{base} (decoder after {decoder.initial_state_from['module']} on "
                       f"{input_name or 'its input'})")
        return cls(**own, encoder=encoder, encoder_sequence=encoder_sequence, encoder_input_name=input_name)

    def decoder_only(self) -> RecurrentModel:
        """The plain decoder (it alone starts from zeros unless given an initial state)."""
        return RecurrentModel(**{f.name: getattr(self, f.name) for f in fields(RecurrentModel)})

    @property
    def encoder_steps(self) -> int:
        """Steps of the encoder's part of the joined axis (0 when the stacks cannot share one)."""
        return 0 if join_problem(self.encoder, self) else _length(self.encoder_sequence)

    @property
    def input_repeat(self) -> int | None:
        """n when the decoder's input is the encoder's final h repeated n times (RepeatVector)."""
        return self.initial_state_from.get("input_repeat")


def join_problem(encoder: RecurrentModel, decoder: RecurrentModel) -> str | None:
    """Why the two stacks cannot share one time axis (None: they can): layer k of the joined trace
    is the encoder's layer k, then the decoder's, so every layer must have the same shape."""
    if len(encoder.layers) != len(decoder.layers):
        return f"the encoder has {len(encoder.layers)} layer(s), the decoder {len(decoder.layers)}"
    for k, (a, b) in enumerate(zip(encoder.layers, decoder.layers)):
        same = (a.cell == b.cell and a.direction_names() == b.direction_names() and a.units == b.units
                and a.hidden_size == b.hidden_size and (len(a.directions) == 1 or a.merge == b.merge))
        if not same:
            return (f"layer {k} differs: the encoder's is {a.cell.upper()}({a.units}) {'/'.join(a.direction_names())}, "
                    f"the decoder's {b.cell.upper()}({b.units}) {'/'.join(b.direction_names())}")
    return None


def decoder_start(encoder: RecurrentModel, enc_trace: Trace, link: dict[str, Any]):
    """From the encoder's trace: (initial_state for the decoder's ``Tracer.trace`` or None, the
    decoder's input when it is the encoder's final h repeated (RepeatVector) or None)."""
    last = len(encoder.layers) - 1
    direction = encoder.layers[last].directions[0]
    q = enc_trace.states[(last, encoder.layers[last].direction_names()[0])]
    step = 0 if direction.reverse else -1  # the final state of a go_backwards layer is at step 0
    batched = q["hidden_state"].ndim == 3  # (N, T, units) for a batch, (T, units) for one sequence
    final = {"h": "hidden_state", "c": "cell_state"}
    states = {name: (q[key][:, step] if batched else q[key][step]) for name, key in final.items() if key in q}
    repeated = None
    if link.get("input_repeat"):  # h (units,) -> (n, units), or (N, units) -> (N, n, units) for a batch
        repeated = np.repeat(states["h"][..., None, :], link["input_repeat"], axis=-2)
    initial = [(states["h"], states.get("c") if "c" in link["states"] else None)] if link["states"] else None
    return initial, repeated


class JoinedTracer:
    """Traces a DecoderWithEncoder: the encoder, then the decoder from its final state (see module doc)."""

    def __init__(self, model: DecoderWithEncoder, decoder_tracer, dtype=None, device: str = "cpu"):
        from .engine import Tracer

        self.model = model
        self.encoder = Tracer(model.encoder, dtype=dtype, device=device)
        self.decoder = decoder_tracer  # traces the decoder's own layers (``Tracer._trace``)
        self.problem = join_problem(model.encoder, model)

    def trace(self, sequence, *, progress=None, interventions=(), edits=None, initial_state=None) -> Trace:
        from .edits import compile_interventions
        from .encoding import encode_sequence
        from .interventions import parse_all

        if initial_state is not None:
            raise ValueError("a decoder traced with its encoder starts from the encoder's final state")
        m = self.model
        _, _, batched = encode_sequence(m.decoder_only(), sequence)
        n = np.shape(sequence)[0] if batched else None
        enc_seq = m.encoder_sequence
        if n is not None:  # a batch of decoder inputs (ablation): every one after the same encoder input
            if isinstance(enc_seq, str):
                raise SequenceError("a batch of decoder inputs needs a numeric encoder input, not a text")
            enc_seq = np.repeat(np.asarray(enc_seq)[None], n, axis=0)
        te = 0 if self.problem else _length(m.encoder_sequence)
        td = m.input_repeat or _length(sequence[0] if batched else sequence)
        # edits on the joined axis (steps 0..te+td-1), split at the boundary
        all_edits = compile_interventions(interventions, m, te + td) + list(edits or ())
        enc_edits, dec_edits = [], []
        for e in all_edits:
            if e.steps.shape[0] != te + td:
                raise ValueError(f"an edit over {e.steps.shape[0]} steps; this joined trace has {te + td}")
            for part, steps in ((enc_edits, e.steps[:te]), (dec_edits, e.steps[te:])):
                if steps.any():
                    part.append(_with_steps(e, steps))

        def stage(offset: float, share: float):
            return None if progress is None else (lambda f, msg: progress(offset + share * f, msg))

        share = te / (te + td) if te else 0.0
        enc_trace = self.encoder.trace(enc_seq, progress=stage(0.0, share), edits=enc_edits)
        initial, repeated = decoder_start(m.encoder, enc_trace, m.initial_state_from)
        dec_input = repeated if repeated is not None else sequence
        dec_trace = self.decoder._trace(dec_input, progress=stage(share, 1.0 - share), edits=dec_edits,
                                        initial_state=initial)
        joined = dec_trace if self.problem else join(enc_trace, dec_trace, m)
        if self.problem:
            joined.meta["encoder_not_shown"] = self.problem
        joined.meta["encoder"] = {"name": m.encoder.name, "input": m.encoder_input_name,
                                  "steps": _length(m.encoder_sequence)}
        if interventions:
            joined.meta["interventions"] = [str(e) for e in parse_all(interventions)]
        return joined


def join(enc: Trace, dec: Trace, model: DecoderWithEncoder) -> Trace:
    """One trace over the encoder's steps then the decoder's (stacks of the same shape)."""
    te = enc.length

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b.astype(a.dtype, copy=False)], axis=-2)  # along time: (.., T, units)

    states = {key: {q: cat(enc.states[key][q], dec.states[key][q]) for q in dec.states[key]} for key in dec.states}
    meta = dict(dec.meta)
    meta["encoder_steps"] = te
    inputs = None
    if enc.inputs is not None and dec.inputs is not None:
        a, b = np.asarray(enc.inputs), np.asarray(dec.inputs)
        a, b = a.reshape(a.shape[:-1] + (-1,)) if a.ndim >= 2 else a[:, None], b if b.ndim >= 2 else b[:, None]
        if a.shape[-1] == b.shape[-1]:
            inputs = cat(a, b)
        else:  # different features: side by side, NaN where a part has no such feature
            fa, fb = a.shape[-1], b.shape[-1]
            inputs = np.full(a.shape[:-2] + (te + b.shape[-2], fa + fb), np.nan, dtype=np.float32)
            inputs[..., :te, :fa] = a
            inputs[..., te:, fa:] = b
            names_a = model.encoder.input.feature_names or [f"x{k}" for k in range(fa)]
            names_b = model.input.feature_names or [f"x{k}" for k in range(fb)]
            meta["input_names"] = [f"encoder {s}" for s in names_a] + [f"decoder {s}" for s in names_b]
    output = dec.output
    if output is not None and output.shape[-2] == dec.length:  # per step: nothing during the encoder's steps
        pad = np.full(output.shape[:-2] + (te, output.shape[-1]), np.nan, dtype=output.dtype)
        output = np.concatenate([pad, output], axis=-2)
        meta["output_from_step"] = te
    masked_enc, masked_dec = enc.meta.get("masked_steps"), dec.meta.get("masked_steps")
    if masked_enc or masked_dec:  # a list of steps, or one list per sequence of a batch
        if enc.batched:
            n = enc.states[next(iter(enc.states))]["hidden_state"].shape[0]
            masked_enc, masked_dec = masked_enc or [[]] * n, masked_dec or [[]] * n
            meta["masked_steps"] = [list(a) + [te + s for s in b] for a, b in zip(masked_enc, masked_dec)]
        else:
            meta["masked_steps"] = list(masked_enc or []) + [te + s for s in masked_dec or []]
    return Trace(cell=dec.cell, states=states, output=output, inputs=inputs, tokens=None, meta=meta)


def _with_steps(edit, steps: np.ndarray):
    from dataclasses import replace

    return replace(edit, steps=np.ascontiguousarray(steps))


def _length(sequence) -> int:
    return len(sequence) if isinstance(sequence, str) else int(np.shape(sequence)[0])
