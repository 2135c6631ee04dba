"""Several models on one input (issue 12, "RNN vs LSTM vs GRU, side by side"), Qt-free.

The compare view and ``gateviz export A B C --panel compare`` share this: load two to four
models (files or ``bundled:NAME``), check that they take the same input, trace each on it, and
compute each one's gradients through time for one target definition at a shared step t*.
What the two plots draw is computed here too: each model's output over time
(``output_series``) and its gradient curve ||dy/dh_t|| against the distance t*−t
(``gradient_curve``), zeros as gaps (NaN) so a log axis never meets log(0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from gateviz.core.errors import GatevizError
from gateviz.core.model import RecurrentModel

MIN_MODELS, MAX_MODELS = 2, 4
# one colour per model (Okabe-Ito: colour-blind safe, none of them the input's grey)
MODEL_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")


class CompareError(GatevizError):
    """Models that cannot be compared (how many, or inputs that do not fit every model)."""


@dataclass
class ComparedModel:
    name: str  # as the legend names it
    spec: str  # the file or bundled:NAME it came from
    model: RecurrentModel
    task: Any  # gateviz.tasks Task, or None
    sequence: Any = None  # the shared input as this model takes it (str for text models, else (T, F))
    trace: Any = None  # gateviz.core.trace.Trace
    gradients: Any = None  # gateviz.core.gradients.Gradients at the shared step, or None
    colour: str = MODEL_COLOURS[0]


def check_count(n: int) -> None:
    if not MIN_MODELS <= n <= MAX_MODELS:
        few = "only one model" if n == 1 else "no model" if n == 0 else f"{n} models"
        raise CompareError(f"compare needs {MIN_MODELS} to {MAX_MODELS} models, got {few}; "
                           f"give {MIN_MODELS} to {MAX_MODELS} models (files or bundled:NAME), e.g. "
                           "bundled:sine-lstm bundled:sine-gru bundled:sine-rnn")


def load_spec(spec: str, module: str | None = None) -> RecurrentModel:
    """A model from a file path or ``bundled:NAME``, as the app and the CLI load them."""
    if spec.startswith("bundled:"):
        from gateviz.bundled import load_bundled

        return load_bundled(spec[len("bundled:"):])
    from gateviz.ui.workers import load_model_file

    return load_model_file(spec, module)


def unique_names(models: list[RecurrentModel], specs: list[str]) -> list[str]:
    """Legend names: the model's name, else the file's; a repeated name gets its file or a number."""
    names = []
    for model, spec in zip(models, specs):
        name = model.name if model.name and model.name != "model" else os.path.splitext(os.path.basename(spec))[0]
        names.append(name or spec)
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name} ({i + 1})"
    return names


def _takes(model: RecurrentModel) -> str:
    stage = model.input
    if stage.takes_tokens:
        return f"tokens from a vocabulary of {len(stage.vocab or []) or stage.output_size}"
    n = stage.features
    return f"{n} feature{'s' if n != 1 else ''} per step"


def check_inputs(names: list[str], models: list[RecurrentModel]) -> None:
    """Every model must take the same kind of input: as many features per step, or tokens."""
    first, first_name = models[0], names[0]
    for name, model in zip(names[1:], models[1:]):
        a, b = first.input, model.input
        if a.takes_tokens != b.takes_tokens or (not a.takes_tokens and a.features != b.features):
            raise CompareError(f"cannot compare models with different input sizes: {first_name} takes "
                               f"{_takes(first)}, {name} takes {_takes(model)}; choose models that take the same "
                               "input (e.g. the bundled LSTM, GRU and RNN of one task)")


def load_models(specs: list[str], module: str | None = None) -> list[ComparedModel]:
    """Load and check (count, input sizes); nothing traced yet."""
    check_count(len(specs))
    from gateviz.ui.workers import find_task

    models = [load_spec(spec, module) for spec in specs]
    names = unique_names(models, specs)
    check_inputs(names, models)
    return [ComparedModel(name, spec, model, find_task(model), colour=MODEL_COLOURS[i])
            for i, (name, spec, model) in enumerate(zip(names, specs, models))]


def shared_input(entries: list[ComparedModel], input_path: str | None = None) -> str:
    """Give every entry the same input (``sequence``): the file, else the first model's task's
    default sample (else the first task among them; else a synthetic one). Returns where it came from."""
    from gateviz.core.errors import SequenceError

    if input_path:
        from gateviz.formats import read_sequence

        for e in entries:
            try:
                e.sequence = read_sequence(input_path, e.model)
            except SequenceError as exc:
                raise CompareError(f"{os.path.basename(input_path)} does not fit {e.name}: {exc}") from None
        where = os.path.basename(input_path)
    else:
        from gateviz.ui.workers import default_sequence, synthetic_sequence, task_samples

        source = next((e for e in entries if e.task is not None), None)
        if source is None:
            sequence, where = synthetic_sequence(entries[0].model), "a synthetic input"
        else:
            sequence, sample = default_sequence(source.model, source.task, task_samples(source.task))
            where = f"the {source.task.name} sample" + (f" {sample!r}" if sample else "")
        for e in entries:
            e.sequence = sequence
    lengths = {_steps(e.sequence) for e in entries}
    if len(lengths) > 1:
        raise CompareError("the input has a different length for each model; "
                           "give one input file all the models read alike")
    return where


def _steps(sequence) -> int:
    return len(sequence) if isinstance(sequence, str) else int(np.shape(sequence)[0])


def trace_all(entries: list[ComparedModel], progress: Callable[[float, str], None] | None = None) -> None:
    """Trace every entry on its ``sequence`` (a model that cannot take it: CompareError naming it)."""
    from gateviz.core.budget import require_sequence_fits
    from gateviz.core.engine import Tracer

    for i, e in enumerate(entries):
        if progress is not None:
            progress(i / len(entries), f"tracing {e.name}")
        try:
            require_sequence_fits(e.model, e.sequence)
            e.trace = Tracer(e.model).trace(e.sequence)
        except GatevizError as exc:  # the shared input is wrong for this model: say which one
            raise CompareError(f"the input does not fit {e.name}: {exc}; give an input every model reads "
                               "(--input FILE), or models of one task") from None


def compute_all(entries: list[ComparedModel], step: int, output: int | None = None) -> list:
    """Each entry's gradients of the same target definition at step t* (``GradientTarget(step)``:
    the predicted class's log-probability, the sum of the head's outputs, or of the top layer's;
    ``output``: the head's class/output K for every model instead).
    Returned, not stored: a worker thread computes them while the GUI reads the entries."""
    from gateviz.core.errors import SequenceError
    from gateviz.core.gradients import GradientTarget, compute_gradients

    result = []
    for e in entries:
        try:
            result.append(compute_gradients(e.model, e.trace, GradientTarget(step=step, output=output)))
        except SequenceError as exc:
            raise CompareError(f"{e.name}: {exc}") from None
    return result


def gradient_curve(gradients, layer: int = 0, direction: str = "forward") -> tuple[np.ndarray, np.ndarray]:
    """(distance t*−t for t = t*..0, ||dy/dh_t||) of one layer and direction; exact zeros (h_t cannot
    reach y) and non-finite values become NaN: gaps on a log axis, never a fake value."""
    step = gradients.target.step
    norms = gradients.norms(layer, direction)[: step + 1][::-1].astype(np.float64)  # (t*+1,) from t* back to 0
    norms[~(np.isfinite(norms) & (norms > 0))] = np.nan
    return np.arange(step + 1, dtype=np.float64), norms


def curve_layer(entry: ComparedModel) -> tuple[int, str]:
    """The curve's layer and direction: the first layer (the path back to the input), first direction."""
    return 0, entry.trace.directions(0)[0]


def target_title(entries: list[ComparedModel]) -> str:
    """One definition of y for every model (the title states it)."""
    defs = [e.gradients.definition for e in entries if e.gradients is not None]
    if not defs:
        return ""
    if len(set(defs)) == 1:
        return f"y = {defs[0]}"
    step = entries[0].gradients.target.step
    kinds = {e.gradients.meta.get("kind") for e in entries if e.gradients is not None}
    if kinds == {"head"} and all(e.gradients.meta.get("predicted_class") for e in entries):
        return f"y = log p(each model's predicted class) at step {step}"
    return f"y at step {step}: " + "; ".join(f"{e.name}: {e.gradients.definition.rsplit(' at step', 1)[0]}"
                                              for e in entries if e.gradients is not None)


def output_series(entry: ComparedModel) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(steps, values, what the values are) of the model's output over time, or None without a head.

    One output: the output itself. Several: a softmax head's probability of its predicted class
    (its confidence), otherwise output 0. A head on the final state alone gives one point.
    """
    trace, head = entry.trace, entry.model.head
    if trace is None or trace.output is None or head is None:
        return None
    out = np.asarray(trace.output, dtype=np.float64)
    out = out.reshape(out.shape[0], -1)  # (T or 1, outputs)
    steps = np.arange(trace.length, dtype=np.float64) if out.shape[0] == trace.length else \
        np.array([trace.length - 1], dtype=np.float64)
    if out.shape[1] == 1:
        return steps, out[:, 0], "output"
    if head.activation == "softmax":
        return steps, np.max(out, axis=1), "p(predicted class)"
    return steps, out[:, 0], "output 0"


def input_series(entry: ComparedModel) -> np.ndarray | None:
    """(T, F) numeric input to draw under the outputs (None for tokens)."""
    seq = entry.sequence
    if seq is None or isinstance(seq, str) or entry.model.input.takes_tokens:
        return None
    a = np.asarray(seq, dtype=np.float64)
    return a.reshape(a.shape[0], -1)


def siblings(bundled_name: str | None) -> list[str]:
    """``bundled:NAME`` of a bundled model and its task's other bundled models (LSTM, GRU, RNN), at most
    MAX_MODELS; [] for a model that is not bundled."""
    if not bundled_name:
        return []
    from gateviz.bundled import list_bundled

    entries = list_bundled()
    task = next((e.task for e in entries if e.name == bundled_name), None)
    if task is None:
        return [f"bundled:{bundled_name}"]
    names = [bundled_name] + [e.name for e in entries if e.task == task and e.name != bundled_name]
    return [f"bundled:{n}" for n in names[:MAX_MODELS]]
