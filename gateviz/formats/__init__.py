"""Qt-free readers and writers: model files of every framework, input sequences.

    load_model(path, module=None)   any supported model file -> RecurrentModel
    list_modules(path)              names to pass as ``module`` (--module) when a file holds several
    save_model / load_gateviz_model the gateviz model file (.gvm)
    read_sequence(path, model)      an input sequence file (.npy, .csv, .txt)

The format is recognised by content (``detect.detect_format``), then the matching reader
is imported lazily, so importing this package costs nothing heavy.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ..core.errors import FormatError
from ..core.model import RecurrentModel
from .detect import FORMATS, SUPPORTED_TEXT, detect_format
from .gateviz_file import EXTENSION, load_gateviz_model, save_model

__all__ = ["FORMATS", "MODEL_FILE_FILTER", "EXTENSION", "SUPPORTED_TEXT", "describe_modules", "detect_format",
           "list_modules", "load_gateviz_model", "load_model", "read_sequence", "save_model"]

# For file dialogs: what the readers understand, by extension (content decides in the end).
MODEL_FILE_FILTER = ("Model files (*.gvm *.pt *.pth *.bin *.ckpt *.safetensors *.h5 *.hdf5 *.keras *.onnx "
                     "*.index *.meta checkpoint saved_model.pb);;"
                     "All files (*)")

# format -> (module, reader function, module-lister function)
_FOREIGN = {
    "keras-h5": ("gateviz.formats.keras_reader", "read_keras", "list_keras_modules", "Keras"),
    "keras-zip": ("gateviz.formats.keras_reader", "read_keras", "list_keras_modules", "Keras"),
    "onnx": ("gateviz.formats.onnx_reader", "read_onnx", "list_onnx_modules", "ONNX"),
    "tf-checkpoint": ("gateviz.formats.tf_checkpoint", "read_tf_checkpoint", "list_tf_modules",
                      "TensorFlow checkpoint"),
    "tf-savedmodel": ("gateviz.formats.tf_savedmodel", "read_tf_savedmodel", "list_savedmodel_modules",
                      "TensorFlow SavedModel"),
}


def _foreign_module(fmt: str, path: Path):
    module_name, _, _, label = _FOREIGN[fmt]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise FormatError(f"{path} is a {label} file; gateviz recognises it but its {label} reader is not "
                              "available in this installation") from None
        raise FormatError(f"{path} is a {label} file; reading it needs the Python package {e.name!r} "
                          f"(pip install {e.name})") from None


def load_model(path: str | os.PathLike, *, module: str | None = None, nonlinearity: str = "tanh",
               tf_options: dict | None = None) -> RecurrentModel:
    """Read any supported model file. ``module`` picks one recurrent module of several
    (see ``list_modules``); ``nonlinearity`` is a PyTorch nn.RNN's (not stored in its weights);
    ``tf_options`` (forget_bias, cell_clip, proj_clip) override a TensorFlow 1 checkpoint's."""
    path = Path(path)
    fmt = detect_format(path)
    given = {k: v for k, v in (tf_options or {}).items() if v is not None}
    if given and fmt != "tf-checkpoint":
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise FormatError(f"{flags} apply to TensorFlow 1 checkpoints, whose graphs hold them; {path} is a {fmt} "
                          "file, which stores its own: drop them")
    if given:
        from .tf_checkpoint import read_tf_checkpoint

        return read_tf_checkpoint(path, module=module, **given).validate()
    if fmt == "gateviz":
        if module:
            raise FormatError(f"{path} is a gateviz model file holding one model; drop --module")
        return load_gateviz_model(path)
    if fmt in ("pytorch", "safetensors"):
        from .pytorch import read_pytorch

        return read_pytorch(path, module=module, nonlinearity=nonlinearity, fmt=fmt)
    reader = getattr(_foreign_module(fmt, path), _FOREIGN[fmt][1])
    model = reader(path, module=module)
    if not model.source:
        model.source = str(path)
    return model.validate()


def list_modules(path: str | os.PathLike) -> list[str]:
    """The recurrent modules a file holds, by the names ``--module`` accepts ([] for a gateviz file)."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "gateviz":
        return []
    if fmt in ("pytorch", "safetensors"):
        from .pytorch import list_pytorch_modules

        return [info.name for info in list_pytorch_modules(path, fmt)]
    lister = getattr(_foreign_module(fmt, path), _FOREIGN[fmt][2], None)
    return list(lister(path)) if lister is not None else []


def describe_modules(path: str | os.PathLike) -> list[str]:
    """One line per recurrent module (name and shape where the format tells it), for ``gateviz info``."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt in ("pytorch", "safetensors"):
        from .pytorch import list_pytorch_modules

        return [info.describe() for info in list_pytorch_modules(path, fmt)]
    if fmt in _FOREIGN:  # the Keras/ONNX readers' describe_* (name, cells, sizes), else just the names
        describer = getattr(_foreign_module(fmt, path), _FOREIGN[fmt][2].replace("list_", "describe_"), None)
        if describer is not None:
            return list(describer(path))
    return list_modules(path)


def read_sequence(path, model):
    """An input sequence file -> what the engine takes (see ``sequences.read_sequence``)."""
    from .sequences import read_sequence as _read

    return _read(path, model)
