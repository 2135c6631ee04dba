"""Built-in tasks (Qt-free): data, sample inputs, decoding of the model's output, quality metrics.

    task = get_task("sine")
    sample = task.samples()[0]           # the most telling input first
    trace = Tracer(model).trace(sample.sequence)
    panel_data = task.decode(sample.sequence, trace, model)
    task.evaluate(model)                 # {"test_mse": ..., "rollout_rmse": ...}

A model gateviz trained carries ``model.task`` (``task.options()``); ``get_task_for_model``
rebuilds the task from it.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import GatevizError
from .base import Sample, Task

TASK_NAMES = ("sine", "binary-addition", "digits", "brackets", "adding", "text")

__all__ = ["TASK_NAMES", "Sample", "Task", "get_task", "get_task_for_model", "metric_label", "sample_catalogue"]


def _task_class(name: str) -> type[Task]:
    if name == "sine":
        from .sine import SineTask as cls
    elif name == "binary-addition":
        from .binary_addition import BinaryAdditionTask as cls
    elif name == "digits":
        from .digits import DigitsTask as cls
    elif name == "brackets":
        from .brackets import BracketsTask as cls
    elif name == "adding":
        from .adding import AddingTask as cls
    elif name == "text":
        from .text import TextTask as cls
    else:
        raise GatevizError(f"unknown task {name!r}; the built-in tasks are {', '.join(TASK_NAMES)}")
    return cls


def metric_label(key: str) -> str:
    """A task metric's words ("depth_accuracy" -> "depth accuracy", a translatable Message), or the key."""
    for name in TASK_NAMES:
        cls = _task_class(name)
        if cls.metric == key and cls.metric_label:
            return cls.metric_label
    return key


def get_task(name: str, **options: Any) -> Task:
    """A built-in task by name, with its options (e.g. ``get_task("digits", mnist_dir=...)``)."""
    cls = _task_class(name)
    try:
        return cls(**options)
    except (TypeError, ValueError) as e:  # GatevizError is a ValueError: keep its own message
        if isinstance(e, GatevizError):
            raise
        raise GatevizError(f"bad option for the {name} task: {e}") from None


# Task options that name a file or folder. A model file must never make gateviz read a file the
# user did not name (issue 11), so a task rebuilt from a model's metadata never gets them: it works
# from what the model file stores (stored_samples, the model's vocabulary) or shows no samples.
PATH_OPTIONS = ("path", "mnist_dir")


def get_task_for_model(model) -> Task | None:
    """The task a gateviz-trained model was trained on, or None for a foreign model."""
    info = getattr(model, "task", None)
    if not isinstance(info, dict) or info.get("name") not in TASK_NAMES:
        return None
    import inspect

    cls = _task_class(info["name"])
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    # the task dict also carries what is not an option (the training config, metrics, shapes)
    options = {k: v for k, v in info.items() if k in accepted and k not in PATH_OPTIONS}
    if info["name"] == "text":
        if info.get("path") is not None and info.get("corpus") is None:
            options["corpus"] = "file"  # trained on the user's file (older metadata): not the stdlib corpus
        if model.input.vocab is not None:
            options["vocab"] = list(model.input.vocab)
    try:
        return get_task(info["name"], **options)
    except GatevizError:
        return None


def sample_catalogue() -> dict[str, list[Sample]]:
    """Every task's sample inputs (default options), by task name."""
    return {name: get_task(name).samples() for name in TASK_NAMES}
