"""A decoder opened with its encoder: the encoder module from the same file, traced on its input
(issue 14). Shared by the app and the CLI; Qt-free.
"""

from __future__ import annotations

import os

import numpy as np

from ..core.errors import FormatError
from ..core.model import RecurrentModel
from ..core.seq2seq import DecoderWithEncoder


def load_encoder(decoder: RecurrentModel, source: str, **options) -> RecurrentModel:
    """The module ``decoder`` starts from, read from the file the decoder came from."""
    link = decoder.initial_state_from
    if not source or str(source).startswith("bundled:") or not os.path.exists(source):
        raise FormatError(f"{decoder.name} starts from the final state of module {link['module']!r}, which is not "
                          "in this model; open the original encoder-decoder file and choose the decoder there")
    from . import detect_format, load_model

    if detect_format(source) == "gateviz":
        raise FormatError(f"{os.path.basename(source)} holds only the decoder; its encoder {link['module']!r} is in "
                          "the original encoder-decoder file: open that file and choose the decoder there")
    return load_model(source, module=link["module"], **options)


def attach_encoder_input(decoder: RecurrentModel, source: str, encoder_input: str, **options) -> DecoderWithEncoder:
    """``decoder`` with its encoder (from ``source``) and the encoder's input read from ``encoder_input``."""
    from . import read_sequence

    encoder = load_encoder(decoder, source, **options)
    sequence = read_sequence(encoder_input, encoder)
    if len(sequence) == 0:
        raise FormatError(f"{os.path.basename(encoder_input)} is empty: the encoder needs at least one step")
    return DecoderWithEncoder.attach(decoder, encoder, sequence, os.path.basename(encoder_input))


def repeated_encoder_state(model: DecoderWithEncoder):
    """A RepeatVector decoder's input: the encoder's final h repeated (None for a decoder with its own input)."""
    if not model.input_repeat:
        return None
    from ..core.engine import Tracer
    from ..core.seq2seq import decoder_start

    _, repeated = decoder_start(model.encoder, Tracer(model.encoder).trace(model.encoder_sequence),
                                model.initial_state_from)
    return np.asarray(repeated)
