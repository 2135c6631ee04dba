"""Qt-free core: the canonical model, the gate engine, the Trace.

``gateviz.core`` never imports Qt (a test proves it). The engine (torch) is imported
lazily so that light users of the model description stay fast to import.
"""

from .activations import Activation
from .errors import FormatError, GatevizError, ModelError, SequenceError
from .model import DirectionWeights, Head, InputStage, RecurrentLayer, RecurrentModel
from .trace import QUANTITIES, SIGMOID_GATES, SYMBOLS, Trace, trace_key

__all__ = [
    "Activation", "DirectionWeights", "FormatError", "GatevizError", "Head", "InputStage", "ModelError",
    "QUANTITIES", "RecurrentLayer", "RecurrentModel", "SIGMOID_GATES", "SYMBOLS", "SequenceError", "Trace",
    "trace_key", "Tracer",
]


def __getattr__(name):  # lazy: `from gateviz.core import Tracer` pulls torch only then
    # (the one-call function is gateviz.core.engine.trace: `gateviz.core.trace` is the Trace module)
    if name == "Tracer":
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
