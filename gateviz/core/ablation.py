"""Ablation (issue 13): silence each unit of a layer in turn and rank the units by what changes.

    result = ablate(model)                    # the task's metric over its held-out sequences
    result = ablate(model, "((a)(b))")        # ... or on an input the task can judge
    for row in result.ranking(): print(result.row_label(row), result.scores[row])

Silencing unit u sets its h — and c for an LSTM — to 0 at every step (``quantity`` may name
another quantity of the cell: then that quantity of u is set to 0). All units run as ONE batched
trace: copy 0 of every input is the baseline and copy 1 + r silences row r (a unit of a
direction), through ``UnitEdit(samples=mask)``; the copies are split into chunks only when memory
(``budget``) or a long job (progress, cancel) asks for it.

A unit's score is how much worse the measure gets without it: the task's own metric
(``ablation_measures``) when the model has a task that can judge the input, otherwise the mean
|change| of the output (of the top layer's merged output for a model without a head), which
is always reported too. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .ablation_measures import THE_INPUT, Group, Measure, task_measure
from .errors import GatevizError
from .interventions import Intervention
from .texts import QT_TRANSLATE_NOOP
from .trace import QUANTITIES

OUTPUT_CHANGE = "mean_abs_output_change"
MEAN_CHANGE = QT_TRANSLATE_NOOP("Measures", "mean |Δ {what}|")
QUANTITY_WORDS = {"hidden_state": "h", "cell_state": QT_TRANSLATE_NOOP("Measures", "cell state"),
                  "input_gate": QT_TRANSLATE_NOOP("Measures", "input gate"),
                  "forget_gate": QT_TRANSLATE_NOOP("Measures", "forget gate"),
                  "cell_candidate": QT_TRANSLATE_NOOP("Measures", "cell candidate"),
                  "output_gate": QT_TRANSLATE_NOOP("Measures", "output gate"),
                  "reset_gate": QT_TRANSLATE_NOOP("Measures", "reset gate"),
                  "update_gate": QT_TRANSLATE_NOOP("Measures", "update gate"),
                  "new_gate": QT_TRANSLATE_NOOP("Measures", "new gate")}
# Sequence-steps (copies × sequences × steps) above which the copies are split into chunks, so a
# long job reports progress and can be cancelled between them.
CHUNK_WORK = 400_000
CHUNKS_WHEN_LONG = 8


class AblationError(GatevizError):
    """An ablation that cannot run as asked (no such layer, a quantity the cell lacks)."""


class AblationCancelled(Exception):
    """The caller's ``cancelled()`` said stop; nothing is returned."""


@dataclass
class Ablation:
    """Which units matter, row by row (a row is one unit of one direction).

    ``scores`` (R,): the change silencing the row causes, bigger = matters more: how much worse
    the measure gets (the metric's drop, or its rise for a loss), or the mean |Δ output|.
    """

    layer: int
    quantity: str
    silenced: str  # in words: "h and c set to 0 at every step"
    directions: tuple[str, ...]  # the directions whose units were ablated
    rows: list[tuple[str, int]]  # (direction, unit) of each row
    scores: np.ndarray  # (R,)
    measure: str  # the metric's key, or OUTPUT_CHANGE
    measure_label: str  # "depth accuracy" / "mean |Δ output|"
    definition: str  # the measure in words
    goal: str | None  # "max" / "min" for a metric, None for the output change
    baseline: float | None  # the metric with nothing silenced
    metric: np.ndarray | None  # (R,) the metric with the row silenced
    output_change: np.ndarray  # (R,) mean |Δ output| with the row silenced
    output_kind: str  # "output" or "top layer's output"
    samples: int  # sequences scored
    source: str  # what was scored, in words
    seconds: float = 0.0  # how long it took

    def ranking(self) -> np.ndarray:
        """Row indices, most important first: by score, ties by mean |Δ output|, then by row;
        a NaN score (the measure failed) last."""
        scores = np.asarray(self.scores, dtype=np.float64)
        change = np.nan_to_num(np.asarray(self.output_change, dtype=np.float64), nan=-np.inf)
        nan = np.isnan(scores)
        keyed = np.where(nan, -np.inf, scores)
        # lexsort: last key first; negate for descending, row index keeps it stable
        return np.lexsort((np.arange(len(scores)), -change, -keyed, nan)).astype(np.int64)

    def rank_of(self, direction: str, unit: int) -> int:
        """1-based rank of a unit."""
        order = self.ranking()
        row = self.rows.index((direction, int(unit)))
        return int(np.flatnonzero(order == row)[0]) + 1

    def row_label(self, row: int) -> str:
        direction, unit = self.rows[row]
        return f"{direction} {unit}" if len(self.directions) > 1 else str(unit)

    def ranked_units(self, direction: str | None = None) -> np.ndarray:
        """The units of one direction, most important first (for the heatmap's row order)."""
        direction = direction or self.directions[0]
        return np.array([self.rows[r][1] for r in self.ranking() if self.rows[r][0] == direction], dtype=np.int64)

    def describe(self) -> str:
        """One line: what was silenced and what was measured."""
        # Messages (gateviz.core.texts): English here and in the CLI, translated by the window
        what = QT_TRANSLATE_NOOP("Measures", "{measure} over {source}").format(
            measure=self.measure_label if self.goal is not None else MEAN_CHANGE.format(what=self.output_kind),
            source=self.source)
        base = (QT_TRANSLATE_NOOP("Measures", " (baseline {value} with every unit on)").format(
            value=f"{self.baseline:.4g}") if self.baseline is not None else "")
        return QT_TRANSLATE_NOOP("Measures", "layer {layer}: {units} units, {silenced}; ranked by {what}{base}").format(
            layer=self.layer, units=len(self.rows), silenced=self.silenced, what=what, base=base)


def _silencing(layer, quantity: str) -> tuple[tuple[str, ...], int, str]:
    """(quantities to set to 0, units per direction, in words)."""
    if quantity == "hidden_state" and layer.cell == "lstm":
        if layer.proj_size:  # h is projected: a cell unit is silenced through c (tanh(0) = 0 feeds the projection)
            return ("cell_state",), layer.units, QT_TRANSLATE_NOOP(
                "Measures", "c set to 0 at every step (h is projected)")
        return ("cell_state", "hidden_state"), layer.units, QT_TRANSLATE_NOOP(
            "Measures", "h and c set to 0 at every step")
    words = QUANTITY_WORDS.get(quantity, quantity.replace("_", " "))
    width = layer.width(quantity)
    return (quantity,), width, QT_TRANSLATE_NOOP("Measures", "{what} set to 0 at every step").format(what=words)


def _check(model, layer: int, quantity: str, direction: str | None, length: int) -> tuple[str, ...]:
    """The directions to ablate; AblationError naming what is valid."""
    layers = model.layers
    if not 0 <= layer < len(layers):
        valid = f"layers 0..{len(layers) - 1}" if len(layers) > 1 else "only layer 0"
        raise AblationError(f"layer {layer} does not exist; the model has {valid}")
    cell = layers[layer].cell
    if quantity not in QUANTITIES[cell]:
        raise AblationError(f"{'an' if cell in ('lstm', 'rnn') else 'a'} {cell.upper()} has no {quantity}; choose one "
                            f"of {', '.join(QUANTITIES[cell])}")
    names = tuple(layers[layer].direction_names())
    if direction is not None and direction not in names:
        raise AblationError(f"layer {layer} has no {direction} direction; it has {' and '.join(names)}")
    chosen = names if direction is None else (direction,)
    for d in chosen:  # the intervention's own checks (units, steps) on the same edit
        Intervention(layer, d, quantity, None, "set", 0.0).check(model, length)
    return chosen


def _top_output(model, trace) -> np.ndarray:
    """The top layer's merged hidden state, (N, T, features), for a model without a head."""
    k = len(model.layers) - 1
    layer = model.layers[k]
    hs = [np.asarray(trace.states[(k, d)]["hidden_state"]) for d in layer.direction_names()]
    if len(hs) == 1:
        return hs[0]
    a, b = hs
    return {"concat": lambda: np.concatenate([a, b], axis=-1), "sum": lambda: a + b,
            "mul": lambda: a * b}.get(layer.merge, lambda: (a + b) / 2)()


def ablate(model, sequence=None, *, task=None, layer: int = 0, quantity: str = "hidden_state",
           direction: str | None = None, progress: Callable[[float, str], None] | None = None,
           cancelled: Callable[[], bool] | None = None, tracer=None) -> Ablation:
    """Silence each unit of ``layer`` in turn (one batched trace) and rank them.

    ``sequence``: the input (None: the task's held-out sequences, or for a model without a task
    its default sample). ``task``: the model's task (None: looked up from the model).
    ``direction``: one direction of a bidirectional layer (None: both). ``progress(fraction,
    message)`` and ``cancelled()`` are called between chunks (``AblationCancelled``).
    """
    import time

    from .budget import trace_bytes, usable_memory
    from .edits import UnitEdit
    from .engine import Tracer, encode_sequence

    start_time = time.perf_counter()
    if task is None:
        from ..tasks import get_task_for_model

        task = get_task_for_model(model)
    measure = task_measure(task, model, sequence)
    if measure is None:  # rank by the output change alone, on the input (or the model's default sample)
        if sequence is None:
            from ..bundled import default_sample

            sample = default_sample(model)
            sequence, source = sample.sequence, QT_TRANSLATE_NOOP("Measures", "the '{name}' sample").format(
                name=sample.name)
        else:
            source = THE_INPUT
        feats, tokens, batched = encode_sequence(model, sequence)
        if batched:
            raise AblationError("ablation takes one input sequence, not a batch; give a (T, features) array or a text")
        measure = Measure(OUTPUT_CHANGE, "", "", "", [Group(feats if tokens is None else tokens)], source)
    groups = measure.groups
    has_metric = measure.name != OUTPUT_CHANGE
    directions = _check(model, layer, quantity, direction, min(g.x.shape[1] for g in groups))
    the_layer = model.layers[layer]
    edited, width, silenced = _silencing(the_layer, quantity)
    rows = [(d, u) for d in directions for u in range(width)]
    R, C = len(rows), len(rows) + 1
    tracer = tracer or Tracer(model)
    output_kind = (QT_TRANSLATE_NOOP("Measures", "output") if model.head is not None
                   else QT_TRANSLATE_NOOP("Measures", "top layer's output"))

    sums = np.zeros(C)  # per copy: the metric's sum over items
    count = 0
    change_sum = np.zeros(C)  # per copy: sum of |Δ output|
    change_count = 0
    total_work = sum(C * g.x.shape[0] * g.x.shape[1] for g in groups)
    done_work = 0
    usable = usable_memory()
    for gi, group in enumerate(groups):
        S, T = group.x.shape[:2]
        steps = T + getattr(model, "encoder_steps", 0)  # a decoder traced with its encoder: the joined axis
        per_copy = max(1, trace_bytes(model, T, S))
        fit = max(1, int(usable * 0.5 // per_copy))
        per_chunk = min(C, fit)
        if total_work > CHUNK_WORK:
            per_chunk = min(per_chunk, max(1, -(-C // CHUNKS_WHEN_LONG)))
        if per_copy > usable:
            from .budget import require_trace

            require_trace(model, T, S, what=f"ablating over {measure.source}", hint="give a shorter input")
        base_out = None
        for c0 in range(0, C, per_chunk):
            if cancelled is not None and cancelled():
                raise AblationCancelled()
            copies = np.arange(c0, min(C, c0 + per_chunk))  # copy 0 = baseline, copy 1 + r silences row r
            n = len(copies)
            # (n*S, T[, F]): the group's sequences repeated once per copy, copy-major
            x = np.concatenate([group.x] * n, axis=0)
            edits = []
            for d in directions:
                mask = np.zeros((n * S, width), dtype=bool)  # (N, units): True where copy silences the unit
                for j, c in enumerate(copies):
                    if c > 0 and rows[c - 1][0] == d:
                        mask[j * S:(j + 1) * S, rows[c - 1][1]] = True
                if mask.any():
                    edits += [UnitEdit(layer, d, q, "set", 0.0, np.ones(steps, dtype=bool), None, mask)
                              for q in edited]
            trace = tracer.trace(x, edits=edits)
            if model.head is not None:  # a joined decoder has output on the decoder's steps only
                out = np.asarray(trace.output)[..., trace.meta.get("output_from_step", 0):, :]
            else:
                out = _top_output(model, trace)
            out = out.reshape((n, S) + out.shape[1:])  # (n, S, T', out)
            del trace
            if base_out is None:
                base_out = out[0].copy()  # copy 0 is always in the first chunk
            change_sum[copies] += np.abs(out.astype(np.float64) - base_out[None]).reshape(n, -1).sum(axis=1)
            if has_metric:
                group_sums, group_count = group.score(out)
                sums[copies] += group_sums
            done_work += n * S * T
            if progress is not None:
                progress(done_work / total_work, f"silenced {min(C, c0 + n) - 1} of {R} units"
                         + (f" (input {gi + 1} of {len(groups)})" if len(groups) > 1 else ""))
        change_count += int(np.prod(base_out.shape))
        if has_metric:
            count += group_count  # the same items in every chunk: counted once per group
    output_change = change_sum[1:] / max(change_count, 1)
    if has_metric:
        values = sums / max(count, 1)
        baseline, metric = float(values[0]), values[1:]
        scores = baseline - metric if measure.goal == "max" else metric - baseline
        label, definition, goal = measure.label, measure.definition, measure.goal
    else:
        baseline, metric, scores, goal = None, None, output_change.copy(), None
        label = MEAN_CHANGE.format(what=output_kind)
        definition = QT_TRANSLATE_NOOP("Measures", "mean absolute change of the {what} over every step").format(
            what=output_kind)
    return Ablation(layer=layer, quantity=quantity, silenced=silenced, directions=directions, rows=rows,
                    scores=scores, measure=measure.name, measure_label=label, definition=definition, goal=goal,
                    baseline=baseline, metric=metric, output_change=output_change, output_kind=output_kind,
                    samples=sum(g.x.shape[0] for g in groups), source=measure.source,
                    seconds=time.perf_counter() - start_time)
