"""MODEL, as ``gateviz trace``, ``export`` and ``ablate`` take it: a file or ``bundled:NAME``."""

from __future__ import annotations

MODEL_HELP = ("model file: gateviz .gvm, PyTorch state_dict (.pt/.pth), .safetensors, Keras, ONNX; "
              "or bundled:NAME")


def load_cli_model(spec: str, module: str | None = None, nonlinearity: str = "tanh"):
    """The RecurrentModel a MODEL argument names (readers' errors are one-line GatevizErrors)."""
    if spec.startswith("bundled:"):
        from gateviz.bundled import load_bundled

        return load_bundled(spec[len("bundled:"):])
    from gateviz.formats import load_model

    return load_model(spec, module=module, nonlinearity=nonlinearity)
