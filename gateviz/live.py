"""Live models from Python: ``gateviz.trace(model, x)`` and ``gateviz.show(model, x)`` (issue 14).

A practitioner has the model in memory: a ``torch.nn.Module`` holding an nn.RNN/LSTM/GRU (or
hand-driven cells), with an nn.Embedding before and an nn.Linear after as the state_dict reader
understands them; a ``keras.Model`` (Sequential or functional, as the Keras file reader
understands it); a RecurrentModel; or a file path / ``bundled:NAME``. Nothing is written to disk:
a torch module's ``state_dict()`` goes through the same seam as a ``.pt`` file, and a Keras
model's JSON config and ``get_weights()`` stand in for a ``.keras`` file's config and weights.

torch, keras and Qt are imported only when used, so ``import gateviz`` stays light.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from .core.errors import FormatError, GatevizError, ModuleChoiceRequired, SequenceError
from .core.model import RecurrentModel

__all__ = ["as_model", "as_sequence", "show", "trace"]

# windows opened by show(): kept alive until closed (a notebook user may not keep the return value)
_OPEN_WINDOWS: list = []


# --------------------------------------------------------------------------- models


def _is_torch_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")  # an nn.Module exists only once torch is imported
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_keras_model(obj: Any) -> bool:
    """keras 3, tf.keras or tf_keras: a Model subclass from one of those packages (no import needed)."""
    return any(c.__name__ in ("Model", "Sequential", "Functional")
               and c.__module__.split(".")[0] in ("keras", "tf_keras", "tensorflow")
               for c in type(obj).__mro__)


def _python_wording(e: GatevizError) -> GatevizError:
    """The readers name the CLI's ``--module NAME``; from Python it is the ``module=`` keyword."""
    text = re.sub(r"--module NAME", 'module="NAME"', str(e))
    text = re.sub(r"--module (\S+)", r'module="\1"', text).replace("drop --module", "drop module=")
    return type(e)(text)


def as_model(model: Any, *, module: str | None = None) -> RecurrentModel:
    """A torch.nn.Module, keras.Model, RecurrentModel, file path or ``bundled:NAME`` -> RecurrentModel."""
    if isinstance(model, RecurrentModel):
        if module is not None:
            raise FormatError("a RecurrentModel holds one model; drop module=")
        return model
    try:
        if _is_keras_model(model):  # first: on the torch backend a keras.Model is an nn.Module too
            return _from_keras(model, module)
        if _is_torch_module(model):
            return _from_torch(model, module)
        if isinstance(model, str) or hasattr(model, "__fspath__"):
            from .cli.models import load_cli_model

            return load_cli_model(str(model), module=module)
    except GatevizError as e:
        raise _python_wording(e) from None
    raise FormatError(f"gateviz cannot trace a {type(model).__module__}.{type(model).__name__}; give a "
                      "torch.nn.Module holding nn.RNN/LSTM/GRU (or their cells), a keras.Model, a RecurrentModel, "
                      "a model file's path or 'bundled:NAME'")


def _from_torch(net, module: str | None) -> RecurrentModel:
    """An nn.Module -> RecurrentModel through its state_dict, the seam ``.pt`` files use; the live
    module adds what a file cannot say: each nn.RNN's nonlinearity and which tensors belong to an
    nn.Embedding or an nn.Linear (a bias-less Linear looks like an embedding table in a file)."""
    from torch import nn

    from .core.activations import Activation
    from .core.model import InputStage
    from .formats.pytorch import model_from_state_dict
    from .formats.torch_context import find_embedding, find_head
    from .formats.torch_state import find_recurrent_modules

    label = f"the {type(net).__name__} module"
    state = net.state_dict()
    found = find_recurrent_modules(state)
    if not found:
        raise FormatError(f"{label} holds no nn.RNN/nn.LSTM/nn.GRU (nor nn.LSTMCell/GRUCell/RNNCell); gateviz traces "
                          "those, with an nn.Embedding before and an nn.Linear after")
    names = {info.name: info for info in found}
    for info in found:  # a stack of cells answers to each of its cells' names
        for alias in getattr(info, "names", [info.name]):
            names.setdefault(alias, info)
    if module is None and len(found) > 1:
        raise ModuleChoiceRequired(f"{label} holds {len(found)} recurrent modules ("
                                   + "; ".join(i.describe() for i in found)
                                   + f"); choose one with module=\"NAME\": {', '.join(repr(i.name) for i in found)}")
    if module is not None and module not in names:
        raise FormatError(f"{label} has no recurrent module named {module!r}; it holds: "
                          + ", ".join(repr(i.name) for i in found))
    info = names[module] if module is not None else found[0]
    submodules = dict(net.named_modules())

    def owner(prefix: str):
        return submodules.get(prefix[:-1] if prefix.endswith(".") else prefix, net)

    prefixes = list(getattr(info, "cells", ()) or (info.prefix,))
    nonlinearities = [getattr(owner(p), "nonlinearity", "tanh") for p in prefixes]
    model = model_from_state_dict(state, module=info.name, nonlinearity=nonlinearities[0],
                                  source=f"{type(net).__name__} (torch.nn.Module)")
    if info.cell == "rnn" and len(set(nonlinearities)) > 1:  # chained RNNCells, each with its own
        for layer, nl in zip(model.layers, nonlinearities):
            layer.activation = Activation(nl)

    # Look again for the embedding and the head among the tensors of those module types only
    def of_type(kind) -> dict[str, object]:
        return {k: v for k, v in state.items()
                if isinstance(submodules.get(k.rpartition(".")[0], net), (kind, nn.RNNBase, nn.RNNCellBase))}

    embedding = find_embedding(of_type(nn.Embedding), info)
    model.input = embedding[1] if embedding else InputStage("raw", features=model.layers[0].input_size)
    head = find_head(of_type(nn.Linear), info, model.layers[-1].output_size,
                     exclude=embedding and embedding[0])
    model.head = head[1] if head else None
    found_parts = ([f"embedding {embedding[0]}"] if embedding else []) + ([f"head {head[0]}"] if head else [])
    base = info.name if info.prefix else type(net).__name__
    model.name = base + (f" ({', '.join(found_parts)})" if found_parts else "")
    return model.validate()


def _from_keras(km, module: str | None) -> RecurrentModel:
    """A keras.Model -> RecurrentModel with the Keras file reader's own builder: its JSON config is
    what a ``.keras`` / ``.h5`` file stores, and ``get_weights()`` lists a layer's arrays in the
    order the files store them (kernel, recurrent_kernel, bias; Bidirectional forward first)."""
    import json

    from .formats.keras_files import KerasFile
    from .formats.keras_reader import _Builder, _guard

    label = f"keras.Model {getattr(km, 'name', '?')!r}"
    if not getattr(km, "built", True) or not km.weights:
        raise FormatError(f"{label} has no weights yet; build it first (call it on an input, or "
                          "model.build(input_shape))")
    try:
        config = json.loads(km.to_json())
    except NotImplementedError:
        raise FormatError(f"{label} is a subclassed keras.Model whose layers are not in its config; gateviz reads "
                          "Sequential and functional models: build the same layers with keras.Sequential or "
                          "keras.Model(inputs, outputs) and copy the weights over") from None
    if "config" not in config or not isinstance(config.get("config"), dict) or "layers" not in config["config"]:
        raise FormatError(f"{label} ({config.get('class_name', '?')}) lists no layers in its config; gateviz reads "
                          "Sequential and functional models: build the same layers with keras.Sequential or "
                          "keras.Model(inputs, outputs) and copy the weights over")
    version = getattr(sys.modules.get(type(km).__module__.split(".")[0]), "__version__", None)
    version = config.get("keras_version") or version

    class LiveKeras(KerasFile):
        def layer_weights(self, name, class_name, order):
            return [w for w in km.get_layer(name).get_weights()]

    kf = LiveKeras(path=label, container="live", config=config, keras_version=version)
    model = _guard(label, lambda: _Builder(kf).build(module))
    model.source = f"{getattr(km, 'name', 'model')} (keras.Model)"
    return model


# --------------------------------------------------------------------------- inputs


def as_sequence(x: Any) -> Any:
    """What the engine takes: a str, or an array. torch tensors (any device, float16/bfloat16 too),
    lists and numpy arrays become numpy arrays; batches are batch-first (N, T, F), as Keras's and
    a batch_first=True torch module's."""
    if isinstance(x, str):
        return x
    if x is None:
        raise SequenceError("no input given; give a str for a text model, or an array of shape (T, features) "
                            "or (N, T, features)")
    if _is_torch_module(x) or _is_keras_model(x):
        raise SequenceError(f"the input is a {type(x).__name__} model, not a sequence; call trace(model, x) with "
                            "the model first")
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu()
        if x.is_floating_point() and x.element_size() < 4:
            x = x.float()
        return x.numpy()
    import numpy as np  # TensorFlow and JAX arrays convert through __array__

    return np.asarray(x)


def _check_text(model: RecurrentModel, sequence: Any) -> None:
    """A str needs a vocabulary: a framework's embedding table comes without one (the engine would
    say "numeric features", which misleads for a model that reads tokens)."""
    if isinstance(sequence, str) and model.input.kind == "embedding" and model.input.vocab is None:
        raise SequenceError(f"this model's embedding has {model.input.embedding.shape[0]} token ids but no "
                            "characters to map text onto; give the token ids as integers of shape (T,) or (N, T)")


# --------------------------------------------------------------------------- public


def trace(model: Any, x: Any, *, module: str | None = None, interventions=()):
    """Trace ``x`` through ``model`` and return the Trace (see ``gateviz.core.trace.Trace``).

    model: a torch.nn.Module holding nn.RNN/LSTM/GRU (or chained nn.*Cell), with its nn.Embedding
    and nn.Linear; a keras.Model; a RecurrentModel; a model file's path or ``"bundled:NAME"``.
    ``module``: which recurrent module when the model holds several (the error lists them).
    x: a str (text models), token ids (T,) / (N, T), or features (T, F) / (N, T, F), batch first;
    numpy arrays, lists or torch tensors. ``interventions``: spec texts as ``gateviz trace --clamp``.

    The trace is what the model computes in eval mode (no dropout). A head (nn.Linear, Dense) is
    applied at every step: where forward() uses only the last step, compare ``trace.output[..., -1, :]``.
    """
    recurrent = as_model(model, module=module)
    from .core.engine import Tracer

    sequence = as_sequence(x)
    _check_text(recurrent, sequence)
    return Tracer(recurrent).trace(sequence, interventions=interventions)


def _ipython_shell():
    """The running IPython/Jupyter shell, or None (IPython is never imported here: only looked up)."""
    get = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get() if callable(get) else None


def _ipython_has_qt_loop() -> bool:
    """IPython/Jupyter with ``%gui qt`` (``qt``, ``qt5``, ``qt6``): its kernel runs Qt's events between
    cells, so the window lives on without blocking (napari checks the same). In a shell without it,
    turn it on as ``%gui qt`` would (napari does too); where that fails, show() blocks."""
    shell = _ipython_shell()
    if shell is None:
        return False

    def active() -> bool:
        loop = getattr(shell, "active_eventloop", None)
        return isinstance(loop, str) and loop.lower().startswith("qt")

    if not active():
        try:
            shell.enable_gui("qt")
        except Exception:  # noqa: BLE001 - no Qt integration in this shell: block like a script
            return False
    return active()


def show(model: Any, x: Any = None, *, module: str | None = None, block: bool | None = None):
    """Open the gateviz window on ``model`` (as ``trace`` takes it) and input ``x`` (None: the
    model's default input), and return the window.

    In IPython/Jupyter with ``%gui qt``, or when a Qt event loop is already running, it returns
    at once and the window stays open; in a plain script it blocks until the window is closed.
    ``block`` forces one or the other.
    """
    recurrent = as_model(model, module=module)
    sequence = None if x is None else as_sequence(x)
    if sequence is not None:
        from .core.engine import encode_sequence

        _check_text(recurrent, sequence)
        encode_sequence(recurrent, sequence)  # a wrong input raises here, not in a dialog

    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "gateviz"])
        app.setApplicationName("gateviz")
        app.setOrganizationName("gateviz")
    running = _ipython_has_qt_loop() or app.thread().loopLevel() > 0
    if block is None:
        block = not running

    from .ui.main_window import MainWindow
    from .ui.workers import load_and_trace

    window = MainWindow()
    # the spec names what the window remembers (a path, bundled:NAME); the model is already read
    spec = str(model) if isinstance(model, str) or hasattr(model, "__fspath__") else recurrent
    window.runner.submit(("load", spec, None, module),
                         lambda progress: load_and_trace(recurrent, sequence=sequence, progress=progress),
                         now=True)
    window.show()
    window.raise_()
    _OPEN_WINDOWS.append(window)
    loop = QEventLoop() if block else None

    class Closed(QObject):
        """Forget the window once it is closed (and end the blocking loop)."""

        def eventFilter(self, obj, event):  # noqa: N802 - Qt name
            if event.type() == QEvent.Type.Close:
                QTimer.singleShot(0, self.check)  # after closeEvent decided whether to close
            return False

        def check(self):
            if not window.isVisible():
                if window in _OPEN_WINDOWS:
                    _OPEN_WINDOWS.remove(window)
                if loop is not None:
                    loop.quit()

    window._live_close_filter = Closed(window)
    window.installEventFilter(window._live_close_filter)
    if loop is not None:
        loop.exec()
    return window
