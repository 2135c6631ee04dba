"""gateviz: watch the gates of recurrent networks, step by step.

From Python (issue 14): ``gateviz.trace(model, x)`` returns the Trace of a live torch.nn.Module,
keras.Model, RecurrentModel, model file or ``"bundled:NAME"``; ``gateviz.show(model, x)`` opens
the app window on it. Both import torch, keras and Qt only when called: ``import gateviz`` stays light.
"""

__version__ = "0.1.0"

__all__ = ["show", "trace"]


def trace(model, x, *, module=None, interventions=()):
    """Trace ``x`` through ``model`` and return the Trace (see ``gateviz.live.trace``)."""
    from .live import trace as _trace

    return _trace(model, x, module=module, interventions=interventions)


def show(model, x=None, *, module=None, block=None):
    """Open the gateviz window on ``model`` and ``x``; returns the window (see ``gateviz.live.show``)."""
    from .live import show as _show

    return _show(model, x, module=module, block=block)
