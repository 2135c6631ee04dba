"""Work that must not block the GUI thread, as Qt-free functions the window's jobs run:
loading a model (``load_and_trace``, ``load_model_file``), its task and samples, tracing a
sequence (``trace_model``, ``trace_intervened``). The runner that runs them on threads and
coalesces requests is ``gateviz.ui.runner.TraceRunner`` (importable from here as before).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gateviz.core.errors import FormatError, ModuleChoiceRequired
from gateviz.core.model import RecurrentModel
from gateviz.ui.runner import Superseded, TraceRunner, collect_garbage_on_gui_thread  # noqa: F401 (their old home)

# --------------------------------------------------------------------------- Qt-free helpers


class ModuleChoiceNeeded(FormatError):
    """The file holds several recurrent modules (or one behind layers gateviz cannot run): the user picks one.

    The readers say so with ``ModuleChoiceRequired``; this carries what a chooser needs.
    Its message is the reader's own, so anything that does not offer a choice still shows it.
    """

    def __init__(self, message: str, path: str, names: list[str], descriptions: list[str]):
        super().__init__(message)
        self.path, self.names, self.descriptions = path, list(names), list(descriptions)


def load_model_file(path: str, module: str | None = None) -> RecurrentModel:
    """Any model file the readers support (by content, not extension); ``module`` picks one of several."""
    from gateviz.formats import load_model

    try:
        model = load_model(path, module=module)
    except ModuleChoiceRequired as exc:
        if module is None:
            choice = _module_choice(path, str(exc))
            if choice is not None:
                raise choice from None
        raise
    if not model.name or model.name == "model":
        model.name = os.path.splitext(os.path.basename(path))[0]
    return model


def _module_choice(path: str, message: str) -> ModuleChoiceNeeded | None:
    """What the chooser lists: the names ``load_model(module=...)`` takes and one line about each."""
    from gateviz.formats import describe_modules, list_modules

    try:
        names = list_modules(path)
    except Exception:  # the lister fails where the reader did not: show the reader's message
        return None
    if not names:
        return None
    try:
        descriptions = describe_modules(path)
    except Exception:
        descriptions = []
    if len(descriptions) != len(names):
        descriptions = list(names)
    return ModuleChoiceNeeded(message, path, names, descriptions)


def find_task(model: RecurrentModel):
    """The built-in task a model was trained on, or None (a foreign model)."""
    if not model.task:
        return None
    try:
        from gateviz.tasks import get_task_for_model
    except ImportError:
        return None
    try:
        return get_task_for_model(model)
    except Exception:  # an unknown or newer task description: show the model without task decoding
        return None


def task_samples(task) -> list:
    if task is None:
        return []
    try:
        return list(task.samples())
    except Exception:  # e.g. MNIST files that moved: no samples, but the model still opens
        return []


def synthetic_sequence(model: RecurrentModel, steps: int = 200):
    """Something meaningful to trace for a model without a task: text or phase-shifted sines."""
    stage = model.input
    if stage.takes_tokens:
        vocab = stage.vocab or []
        if not vocab:  # embedding without vocabulary: token ids
            n = stage.embedding.shape[0]
            return np.arange(steps, dtype=np.int64) % n
        text = "The quick brown fox jumps over the lazy dog. (It (really) did!)\n"
        usable = "".join(ch for ch in text if ch in vocab) or "".join(vocab[: min(len(vocab), 40)])
        return (usable * (steps // max(1, len(usable)) + 1))[:steps]
    t = np.arange(steps, dtype=np.float32)[:, None]
    phases = np.arange(stage.features, dtype=np.float32)[None, :] * (np.pi / 4)
    return np.sin(2 * np.pi * t / 32.0 + phases).astype(np.float32)  # (T, F)


def default_sequence(model: RecurrentModel, task, samples: list) -> tuple[Any, str | None]:
    """(sequence, sample name): the model's most telling sample, else the first, else synthetic."""
    try:
        from gateviz.bundled import default_sample

        sample = default_sample(model)
        if sample is not None:
            return sample.sequence, sample.name
    except Exception:  # no bundled catalogue for this model
        pass
    if samples:
        return samples[0].sequence, samples[0].name
    return synthetic_sequence(model), None


_tracer_cache: dict[int, Any] = {}


def sequence_steps(sequence) -> int:
    """How many steps an input has: characters of a str, rows of a (T, F) array or (T,) token ids."""
    if isinstance(sequence, str):
        return len(sequence)
    shape = np.shape(sequence)
    return int(shape[0]) if shape else 0


def trace_model(model: RecurrentModel, sequence, progress: Callable[[float, str], None] | None = None,
                interventions=()):
    """Trace one sequence; the Tracer (weights as tensors) is reused while the model stays the same.
    ``interventions``: Interventions applied inside the computation (issue 13).

    Progress names the length ("tracing 10000 steps", plus "layer k of L" for a stack): the engine
    reports only between layers, so a one-layer trace has no fraction to show until it is done.
    """
    from gateviz.core.budget import require_sequence_fits
    from gateviz.core.budget import sequence_steps as budget_steps  # (batch, steps), as the engine reads it
    from gateviz.core.engine import Tracer
    from gateviz.core.threads import threads_for_free_cores

    require_sequence_fits(model, sequence)  # TraceTooLong before a trace that cannot fit: the window offers fewer steps
    if progress is not None:
        outer, what = progress, f"tracing {sequence_steps(sequence)} steps"

        def progress(fraction: float, message: str) -> None:
            if fraction >= 1.0:
                return  # the engine's "done": the job's end hides the bar
            layers = len(model.layers)
            outer(fraction, what if layers == 1 else f"{what}, {message.replace('tracing ', '')}")

    key = id(model)
    tracer = _tracer_cache.get(key)
    if tracer is None or tracer.model is not model:
        _tracer_cache.clear()
        tracer = Tracer(model)
        _tracer_cache[key] = tracer
    batch, steps = budget_steps(model, sequence)
    unit_steps = batch * steps * sum(layer.units * len(layer.directions) for layer in model.layers)
    with threads_for_free_cores(unit_steps):  # a busy laptop: no OpenMP threads spinning on a core it lacks
        if interventions:
            return tracer.trace(sequence, progress=progress, interventions=interventions)
        return tracer.trace(sequence, progress=progress)  # the plain call, as before interventions existed


@dataclass
class Intervened:
    """A re-trace with interventions: the intervened run, the same input without them (None when
    none applied) and the specs that no longer fit this input (left out, to be switched off)."""

    trace: Any
    original: Any
    unfit: list = field(default_factory=list)  # [(Intervention, message)]


def trace_intervened(model: RecurrentModel, sequence, interventions, original=None,
                     progress: Callable[[float, str], None] | None = None) -> Intervened:
    """Trace ``sequence`` with ``interventions``; ``original`` (that input's plain trace, when the
    window has it) is reused, else traced first. Specs that do not fit its length are left out."""
    from gateviz.core.interventions import InterventionError

    if original is None:
        original = trace_model(model, sequence, progress)
    fit, unfit = [], []
    for iv in interventions:
        try:
            fit.append(iv.check(model, original.length))
        except InterventionError as exc:
            unfit.append((iv, exc.args[0] if len(exc.args) == 1 else str(exc)))  # a Message stays translatable
    if not fit:
        return Intervened(original, None, unfit)
    return Intervened(trace_model(model, sequence, progress, interventions=fit), original, unfit)


@dataclass
class Loaded:
    """What the window needs to show a model: everything computed off the GUI thread."""

    model: RecurrentModel
    task: Any
    samples: list
    sequence: Any
    sample_name: str | None
    trace: Any
    source: str = ""
    extra: dict = field(default_factory=dict)
    story_units: list = field(default_factory=list)  # units of layer 0 to pin: the ones that tell the story


class EncoderInputNeeded(FormatError):
    """A decoder of an encoder-decoder file: the window asks for its encoder's input, then opens again."""

    def __init__(self, model: RecurrentModel):
        link = model.initial_state_from
        super().__init__(f"{model.name} starts from the final state of module {link['module']!r}: it needs that "
                         "encoder's input")
        self.encoder = link["module"]


def load_and_trace(model_or_path, input_path: str | None = None, sequence=None,
                   progress: Callable[[float, str], None] | None = None, module: str | None = None,
                   encoder_input: str | None = None) -> Loaded:
    """A model (object, file path, or ``bundled:NAME``) and an optional input -> a traced Loaded.

    ``module``: which recurrent module of a file that holds several (``ModuleChoiceNeeded`` lists them).
    ``encoder_input``: a decoder's encoder input file; a decoder without it raises EncoderInputNeeded
    (zeros are not what the framework computes); with it the decoder is traced after its encoder.
    """
    source = ""
    if isinstance(model_or_path, RecurrentModel):
        model = model_or_path
    elif str(model_or_path).startswith("bundled:"):
        from gateviz.bundled import load_bundled

        model = load_bundled(str(model_or_path)[len("bundled:"):])
        source = str(model_or_path)
    else:
        if progress:
            from PySide6.QtCore import QCoreApplication

            progress(0.0, QCoreApplication.translate("Workers", "reading {name}").format(
                name=os.path.basename(str(model_or_path))))
        model = load_model_file(str(model_or_path), module)
        source = str(model_or_path)
    if model.initial_state_from is not None and getattr(model, "encoder", None) is None:
        if encoder_input is None:
            raise EncoderInputNeeded(model)
        from gateviz.formats.encoder_decoder import attach_encoder_input, repeated_encoder_state

        model = attach_encoder_input(model, source, encoder_input)
        if model.input_repeat:  # its input is the encoder's final h, repeated: nothing else to choose
            sequence = repeated_encoder_state(model)
    task = find_task(model)
    samples = task_samples(task)
    sample_name = None
    if sequence is None and input_path:
        from gateviz.formats import read_sequence

        sequence = read_sequence(input_path, model)
        sample_name = os.path.basename(input_path)
    elif sequence is None:
        sequence, sample_name = default_sequence(model, task, samples)
        if source.startswith("bundled:"):  # the app's first model: its trace ships with the bundle
            from gateviz.bundled import startup_trace

            trace = startup_trace(source[len("bundled:"):], sequence)
            if trace is not None:
                from gateviz.tasks.base import story_units_for

                story = story_units_for(model, task, sequence, trace)
                return Loaded(model, task, samples, sequence, sample_name, trace, source, story_units=story)
    trace = trace_model(model, sequence, progress)
    from gateviz.tasks.base import story_units_for

    story = story_units_for(model, task, sequence, trace)  # layer 0, first direction
    return Loaded(model, task, samples, sequence, sample_name, trace, source, story_units=story)


def with_view_products(job: Callable[[Callable[[float, str], None]], Any], convention: str = "framework",
                       cell_scale: str = "shared", pinned: list[int] = ()) -> Callable[[Callable[[float, str], None]], Any]:
    """``job`` (a trace job: it returns a Loaded, an Intervened or a Trace), then, on the same worker
    thread, the panels' products of the trace it made for every layer and direction
    (``gateviz.core.view_products.precompute``), so that showing it, or switching layer, never blocks
    the GUI thread on a long trace. ``convention``, ``cell_scale`` and ``pinned``: the theme's and the
    pinned units when submitted (a new model's story units instead, which the window pins)."""

    def run(progress: Callable[[float, str], None]) -> Any:
        result = job(progress)
        trace = result.trace if isinstance(result, (Loaded, Intervened)) else result
        if trace is not None and hasattr(trace, "states"):
            from PySide6.QtCore import QCoreApplication

            from gateviz.core.view_products import masked_steps, precompute

            what = QCoreApplication.translate("Workers", "preparing the panels")
            pins = result.story_units if isinstance(result, Loaded) and result.story_units else pinned
            precompute(trace, convention, cell_scale, masked_steps(trace),
                       progress=(lambda fraction, _message: progress(fraction, what)) if progress else None,
                       pinned=list(pins))
        return result

    return run


def startup_model_spec() -> str | RecurrentModel:
    """What the app opens on: the bundled default LSTM (``bundled:NAME``) or its model object."""
    from gateviz.bundled import default_bundled

    found = default_bundled()
    if isinstance(found, RecurrentModel):
        return found
    name = getattr(found, "name", found)
    return f"bundled:{name}"


def demo_model() -> RecurrentModel:
    """A seeded, untrained 1-layer LSTM(32) on one feature: what opens when no bundled model exists."""
    import torch

    from gateviz.core.model import InputStage
    from gateviz.formats.torch_state import layers_from_module

    torch.manual_seed(0)
    module = torch.nn.LSTM(1, 32)
    model = RecurrentModel(layers_from_module(module), InputStage(kind="raw", features=1),
                           name="demo LSTM (untrained)", framework="pytorch")
    return model.validate()
