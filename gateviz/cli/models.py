"""MODEL, as ``gateviz info``, ``trace``, ``export`` and ``ablate`` take it: a file or ``bundled:NAME``,
and the TensorFlow 1 options a checkpoint's graph holds (``--forget-bias``, ``--cell-clip``,
``--proj-clip``: they override what its .meta says, or TF's defaults without one)."""

from __future__ import annotations

import argparse

MODEL_HELP = ("model file: gateviz .gvm, PyTorch state_dict (.pt/.pth), .safetensors, Keras, ONNX, a TensorFlow 1 "
              "checkpoint (any of its files or its folder), a tf.keras SavedModel folder; or bundled:NAME")
TF_FLAGS = (("forget_bias", "added to an LSTM's forget gate"), ("cell_clip", "the cell state's clip"),
            ("proj_clip", "the projected h's clip"))


def add_tf_options(parser: argparse.ArgumentParser) -> None:
    for name, what in TF_FLAGS:
        parser.add_argument("--" + name.replace("_", "-"), type=float, metavar="X", default=None,
                            help=f"a TensorFlow 1 checkpoint's {what} (else read from its .meta, else TF's default)")


def tf_options(args: argparse.Namespace) -> dict:
    return {name: getattr(args, name, None) for name, _ in TF_FLAGS}


def load_cli_model(spec: str, module: str | None = None, nonlinearity: str = "tanh", options: dict | None = None):
    """The RecurrentModel a MODEL argument names (readers' errors are one-line GatevizErrors)."""
    if spec.startswith("bundled:"):
        given = [name for name, value in (options or {}).items() if value is not None]
        if given:
            from gateviz.core.errors import FormatError

            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            raise FormatError(f"{flags} apply to TensorFlow 1 checkpoints; {spec} is a bundled gateviz model: drop them")
        from gateviz.bundled import load_bundled

        return load_bundled(spec[len("bundled:"):])
    from gateviz.formats import load_model

    return load_model(spec, module=module, nonlinearity=nonlinearity, tf_options=options)


ENCODER_INPUT_HELP = ("a decoder of an encoder-decoder model (see gateviz info): the encoder's input sequence; "
                      "the encoder is traced on it and the decoder starts from its final states")


def with_encoder(spec: str, model, encoder_input: str | None, module: str | None = None, options: dict | None = None):
    """``model``, or for a decoder the DecoderWithEncoder traced after its encoder on ``encoder_input``
    (encoder then decoder on one time axis, as the app shows it). Errors as ``encoder_initial_state``."""
    encoder_initial_state_check(spec, model, encoder_input, module)
    if model.initial_state_from is None:
        return model
    from gateviz.formats.encoder_decoder import attach_encoder_input

    return attach_encoder_input(model, spec, encoder_input, tf_options=options)


def decoder_input(model, sequence):
    """A RepeatVector decoder's input is its encoder's final h, repeated: INPUT must not be given."""
    from gateviz.formats.encoder_decoder import repeated_encoder_state

    repeated = repeated_encoder_state(model) if getattr(model, "encoder", None) is not None else None
    if repeated is not None and sequence is not None:
        from gateviz.core.errors import FormatError

        raise FormatError(f"this decoder's input is its encoder's final h repeated {model.input_repeat} times, "
                          "not INPUT: drop INPUT")
    return sequence if repeated is None else repeated


def encoder_initial_state_check(spec: str, model, encoder_input: str | None, module: str | None = None) -> None:
    """A model that is no decoder refuses ``--encoder-input``; a decoder refuses to go without it."""
    from gateviz.core.errors import FormatError

    link = model.initial_state_from
    if link is None and encoder_input is not None:
        raise FormatError(f"--encoder-input is for the decoder of an encoder-decoder model; {spec}"
                          f"{' module ' + module if module else ''} starts from zeros: drop --encoder-input")
    if link is not None and encoder_input is None:
        raise FormatError(f"{spec}{' module ' + module if module else ''} is a decoder that starts from the final "
                          f"state of module {link['module']!r}: give that encoder's input with --encoder-input FILE")


def encoder_initial_state(spec: str, model, encoder_input: str | None, module: str | None = None,
                          nonlinearity: str = "tanh", options: dict | None = None, dtype=None):
    """A decoder's layer-0 initial state from its encoder traced on ``encoder_input``.

    Returns (initial_state for ``Tracer.trace`` or None, the decoder's input when it is the encoder's
    final h repeated (RepeatVector, addition_rnn) or None, the encoder's trace or None). A model
    that is no decoder refuses ``--encoder-input``; a decoder refuses to go without it (zeros are
    not what the framework computes).
    """
    encoder_initial_state_check(spec, model, encoder_input, module)
    link = model.initial_state_from
    if link is None:
        return None, None, None
    from gateviz.core.engine import Tracer
    from gateviz.formats import read_sequence

    encoder = load_cli_model(spec, link["module"], nonlinearity, options)
    enc_trace = Tracer(encoder, dtype=dtype).trace(read_sequence(encoder_input, encoder))
    enc_trace.meta["input_file"] = str(encoder_input)
    from gateviz.core.seq2seq import decoder_start

    initial, repeated = decoder_start(encoder, enc_trace, link)
    return initial, repeated, enc_trace
