"""MODEL, as ``gateviz info``, ``trace``, ``export`` and ``ablate`` take it: a file or ``bundled:NAME``,
and the TensorFlow 1 options a checkpoint's graph holds (``--forget-bias``, ``--cell-clip``,
``--proj-clip``: they override what its .meta says, or TF's defaults without one)."""

from __future__ import annotations

import argparse

MODEL_HELP = ("model file: gateviz .gvm, PyTorch state_dict (.pt/.pth), .safetensors, Keras, ONNX, a TensorFlow 1 "
              "checkpoint (any of its files or its folder); or bundled:NAME")
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
