"""Training on the built-in tasks (Qt-free), written as a generator a GUI can stop at any moment.

    trainer = Trainer(TrainConfig(task="sine", cell="lstm", units=32, seed=0))
    for progress in trainer.run():          # yields often: epoch, step, loss, metric, elapsed
        draw(progress.step, progress.loss)   # stop iterating whenever you like
    model = trainer.model()                  # a canonical RecurrentModel, ready to trace or save
    model.snapshots                          # with TrainConfig(snapshots=N): the weights at N steps

With ``snapshots=N`` the trainer keeps N copies of the weights spread log-uniformly over the
planned steps (``core.snapshots.snapshot_steps``: step 0, the untrained weights, and the last
step always among them). A copy is a clone of the network's state tensors just before the
optimizer step that would change them, so it costs microseconds at those steps only; they are
turned into canonical arrays when first asked for (``Trainer.snapshots``), not while training.

The network is torch's fused nn.LSTM / nn.GRU / nn.RNN with a linear head; ``model()``
converts its weights (gate-conventions.md §1) into a ``RecurrentModel`` carrying the
task, the input encoding and the head, so the saved file needs nothing else. Weights
are only changed inside a step while a lock is held, so ``model()`` always sees the
weights of the last completed step, from any thread.

The same seed gives the same weights on the same CPU and thread count: the weights are
initialised from ``torch.manual_seed(seed)`` and the data from ``numpy.default_rng(seed)``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

import numpy as np

from .core.errors import GatevizError
from .core.model import CELL_KINDS, Head, RecurrentModel
from .core.snapshots import Snapshot, snapshot_steps, weight_arrays
from .tasks import TASK_NAMES, get_task
from .tasks.base import Task

YIELD_INTERVAL = 0.05  # seconds between progress reports (plus one at every evaluation)


@dataclass
class TrainConfig:
    """Everything that decides a training run. ``None`` takes the task's default."""

    task: str = "sine"
    cell: str = "lstm"
    units: int | None = None
    layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0  # between stacked layers only (torch's nn.LSTM dropout)
    epochs: int | None = None
    time_budget: float | None = None  # seconds; training stops after this much time
    lr: float | None = None
    batch_size: int | None = None
    seed: int = 0
    task_options: dict[str, Any] = field(default_factory=dict)
    eval_every: int | None = None  # steps between evaluations; default: after every epoch
    # torch threads while training. Small recurrent nets train fastest on one thread (more threads
    # only add synchronisation per tiny matmul, and fight the GUI); None leaves torch's setting alone.
    threads: int | None = 1
    name: str | None = None  # the model's name; default "<task>-<cell><units>"
    # weight snapshots kept over the run (issue 16; gateviz train's default is 20); 0: none, and the
    # model is exactly what it was before snapshots existed. Not part of the model's trained_with.
    snapshots: int = 0

    def resolved(self, task: Task) -> "TrainConfig":
        """A copy with the task's defaults filled in, checked."""
        d = task.defaults
        cfg = TrainConfig(**{**asdict(self), "task_options": dict(self.task_options)})
        cfg.units = d["units"] if cfg.units is None else cfg.units
        cfg.epochs = d["epochs"] if cfg.epochs is None else cfg.epochs
        cfg.lr = d["lr"] if cfg.lr is None else cfg.lr
        cfg.batch_size = d["batch_size"] if cfg.batch_size is None else cfg.batch_size
        cfg.name = cfg.name or f"{task.name}-{cfg.cell}{cfg.units}"
        cfg.check(task)
        return cfg

    def check(self, task: Task) -> None:
        if self.cell not in CELL_KINDS:
            raise GatevizError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELL_KINDS)}")
        for key, low in (("units", 1), ("layers", 1), ("epochs", 1), ("batch_size", 1)):
            value = getattr(self, key)
            if not isinstance(value, (int, np.integer)) or value < low:
                raise GatevizError(f"{key.replace('_', ' ')} must be a whole number of at least {low}, not {value!r}")
        if isinstance(self.snapshots, bool) or not isinstance(self.snapshots, (int, np.integer)) or self.snapshots < 0:
            raise GatevizError(f"snapshots must be a whole number of at least 0 (0 keeps none), not {self.snapshots!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise GatevizError(f"dropout must lie in [0, 1), not {self.dropout}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise GatevizError(f"the learning rate must be a positive number, not {self.lr}")
        if self.time_budget is not None and not self.time_budget > 0:
            raise GatevizError(f"the time budget must be a positive number of seconds, not {self.time_budget}")
        if self.bidirectional and task.predicts_next_step:
            raise GatevizError(f"the {task.name} task predicts the next step, so a bidirectional model would see "
                               "the answer (its backward direction reads the future); train it unidirectional")


@dataclass
class TrainProgress:
    """One progress report. ``metric`` is the task's quality metric at the last evaluation."""

    epoch: int  # 1-based epoch in progress
    step: int  # optimizer steps completed
    total_steps: int  # planned steps (epochs x steps per epoch); a time budget may end sooner
    loss: float  # training loss of the last step
    metric: float | None  # the task's primary metric, None until the first evaluation
    elapsed: float  # seconds
    fraction: float  # 0..1 of the planned work (steps or time budget, whichever is further along)
    metrics: dict[str, float] | None = None  # every metric of the last evaluation
    evaluated: bool = False  # this report follows an evaluation
    done: bool = False  # the last report of the run
    metric_name: str = ""


def build_network(task: Task, cfg: TrainConfig):
    """The torch network: (one-hot) -> nn.LSTM/GRU/RNN -> Linear. Outputs logits / raw values."""
    import torch
    from torch import nn

    class Network(nn.Module):
        def __init__(self):
            super().__init__()
            stage = task.input_stage()
            self.vocab_size = len(stage.vocab) if stage.kind == "onehot" else 0
            rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cfg.cell]
            self.rnn = rnn_cls(input_size=stage.output_size, hidden_size=cfg.units, num_layers=cfg.layers,
                               batch_first=True, bidirectional=cfg.bidirectional,
                               dropout=cfg.dropout if cfg.layers > 1 else 0.0)
            self.head = nn.Linear(cfg.units * (2 if cfg.bidirectional else 1), task.output_size)
            if cfg.cell == "lstm":  # forget gates start open: gradients reach far back from the first step
                with torch.no_grad():
                    H = cfg.units
                    for name, p in self.rnn.named_parameters():
                        if name.startswith("bias_ih"):
                            p[H:2 * H].fill_(1.0)

        def forward(self, x):
            if self.vocab_size:
                x = torch.nn.functional.one_hot(x, self.vocab_size).to(torch.float32)  # (N, T) -> (N, T, V)
            out, _ = self.rnn(x)  # (N, T, D*H), batch first
            if task.head_on == "final_state":
                if cfg.bidirectional:  # forward direction ends at T-1, backward at 0 (as the engine merges them)
                    H = cfg.units
                    out = torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=-1)  # (N, 2H)
                else:
                    out = out[:, -1]  # (N, H)
            return self.head(out)  # (N, T, out) or (N, out)

    return Network()


def _loss(task: Task, logits, y, mask):
    import torch
    import torch.nn.functional as F

    if task.loss == "ce":
        C = logits.shape[-1]
        per = F.cross_entropy(logits.reshape(-1, C), y.reshape(-1), reduction="none")  # (N*T,) or (N,)
        if mask is not None:
            m = mask.reshape(-1)
            return (per * m).sum() / m.sum()
        return per.mean()
    if task.loss == "bce":
        per = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
    else:
        per = (logits - y) ** 2
    if mask is not None:  # (N, T) over (N, T, out)
        m = mask[..., None].expand_as(per)
        return (per * m).sum() / m.sum()
    return per.mean()


class Trainer:
    """Trains one model; ``run()`` is the generator, ``model()`` the result so far."""

    def __init__(self, config: TrainConfig):
        if config.task not in TASK_NAMES:
            raise GatevizError(f"unknown task {config.task!r}; the built-in tasks are {', '.join(TASK_NAMES)}")
        self.task = get_task(config.task, **config.task_options)
        self.config = config.resolved(self.task)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._net = None
        self.history: list[TrainProgress] = []
        self.metrics: dict[str, float] | None = None
        self.steps_done = 0
        self.stopped_early = False  # request_stop() ended the run before its planned steps
        # snapshots as taken: (step, epoch, loss, metric, metric_step, state dict clone); converted lazily
        self._raw_snapshots: list[tuple] = []
        self._snapshots: list[Snapshot] = []
        self._snapshot_lock = threading.Lock()  # the GUI thread may ask while the training thread adds
        self.snapshot_seconds = 0.0  # time the training loop spent copying snapshot weights

    # ---- control -----------------------------------------------------------
    def request_stop(self) -> None:
        """Ask ``run()`` to finish after the current step (thread-safe)."""
        self._stop.set()

    def _network(self):
        if self._net is None:
            import torch

            torch.manual_seed(self.config.seed)
            self._net = build_network(self.task, self.config)
        return self._net

    # ---- the loop ----------------------------------------------------------
    def run(self) -> Iterator[TrainProgress]:
        import torch

        cfg, task = self.config, self.task
        old_threads = torch.get_num_threads()
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        try:
            yield from self._run(torch, cfg, task)
        finally:
            if cfg.threads:
                torch.set_num_threads(old_threads)

    def _run(self, torch, cfg: TrainConfig, task: Task) -> Iterator[TrainProgress]:
        rng = np.random.default_rng(cfg.seed)
        data = task.training_data(cfg.seed)
        net = self._network()
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        per_epoch = data.steps_per_epoch(cfg.batch_size)
        total = per_epoch * cfg.epochs
        start = time.perf_counter()
        last_yield = -1.0
        loss_value = float("nan")
        metric = None
        self.metrics = None

        def progress(epoch: int, evaluated: bool = False, done: bool = False) -> TrainProgress:
            elapsed = time.perf_counter() - start
            frac = self.steps_done / total
            if cfg.time_budget:
                frac = max(frac, elapsed / cfg.time_budget)
            p = TrainProgress(epoch=epoch, step=self.steps_done, total_steps=total, loss=loss_value,
                              metric=metric, elapsed=elapsed,
                              fraction=1.0 if done and not self.stopped_early else min(1.0, frac),
                              metrics=None if self.metrics is None else dict(self.metrics), evaluated=evaluated,
                              done=done, metric_name=task.metric)
            self.history.append(p)
            return p

        def out_of_time() -> bool:
            return bool(cfg.time_budget) and time.perf_counter() - start >= cfg.time_budget

        last_eval_step = -1
        epoch = 1
        stopped = False
        wanted = set(snapshot_steps(total, cfg.snapshots))
        self._raw_snapshots, self._snapshots = [], []
        batch = None

        def keep_snapshot(state, step: int, loss: float | None) -> None:
            self._raw_snapshots.append((step, -(-step // per_epoch), loss, metric,
                                        last_eval_step if metric is not None else None, state))
        for epoch in range(1, cfg.epochs + 1):
            for batch in data.epoch(rng, cfg.batch_size):
                if self._stop.is_set() or out_of_time():
                    stopped = True
                    self.stopped_early = self._stop.is_set()  # a time budget is a planned end
                    break
                x = torch.from_numpy(np.ascontiguousarray(batch.x))
                y = torch.from_numpy(np.ascontiguousarray(batch.y))
                mask = None if batch.mask is None else torch.from_numpy(np.ascontiguousarray(batch.mask))
                # cosine decay to 5 % of the learning rate over the planned steps: the last steps polish
                lr = cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, self.steps_done / total))))
                for group in opt.param_groups:
                    group["lr"] = lr
                logits = net(x)
                loss = _loss(task, logits, y, mask)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                snap = None
                if self.steps_done in wanted:  # these weights, before the step changes them
                    t0 = time.perf_counter()
                    snap = self._state_copy(net)
                    self.snapshot_seconds += time.perf_counter() - t0
                with self._lock:
                    opt.step()
                    self.steps_done += 1
                loss_value = float(loss.detach())
                if snap is not None:  # loss: of exactly the copied weights, on this batch
                    keep_snapshot(snap, self.steps_done - 1, loss_value)
                if not math.isfinite(loss_value):
                    raise GatevizError(f"training diverged (the loss became {loss_value} at step {self.steps_done}); "
                                       "lower the learning rate (--lr)")
                if cfg.eval_every and self.steps_done % cfg.eval_every == 0:
                    metric = self._evaluate()
                    last_eval_step = self.steps_done
                    last_yield = time.perf_counter()
                    yield progress(epoch, evaluated=True)
                elif time.perf_counter() - last_yield >= YIELD_INTERVAL:
                    last_yield = time.perf_counter()
                    yield progress(epoch)
            if stopped:
                break
            if not cfg.eval_every and last_eval_step != self.steps_done:
                metric = self._evaluate()
                last_eval_step = self.steps_done
                last_yield = time.perf_counter()
                if epoch < cfg.epochs:
                    yield progress(epoch, evaluated=True)
        if last_eval_step != self.steps_done:
            metric = self._evaluate()
            last_eval_step = self.steps_done
        if cfg.snapshots and (not self._raw_snapshots or self._raw_snapshots[-1][0] != self.steps_done):
            t0 = time.perf_counter()
            final_loss = None
            if batch is not None:  # the final weights on the batch a next step would train on, as for the others
                with torch.no_grad():
                    final_loss = float(_loss(task, net(torch.from_numpy(np.ascontiguousarray(batch.x))),
                                             torch.from_numpy(np.ascontiguousarray(batch.y)),
                                             None if batch.mask is None else
                                             torch.from_numpy(np.ascontiguousarray(batch.mask))))
            keep_snapshot(self._state_copy(net), self.steps_done, final_loss)
            self.snapshot_seconds += time.perf_counter() - t0
        yield progress(epoch, evaluated=True, done=True)

    def _evaluate(self) -> float | None:
        """The task's metrics on held-out data, measured on the converted (saved) model."""
        net = self._network()
        net.eval()
        try:
            self.metrics = self.task.evaluate(self.model(snapshots=False))
        finally:
            net.train()
        return self.metrics.get(self.task.metric)

    # ---- the result ----------------------------------------------------------
    def _state_copy(self, net) -> dict:
        """The network's state tensors, cloned (under the lock: never half an optimizer step)."""
        with self._lock:
            return {k: v.detach().clone() for k, v in net.state_dict().items()}

    @property
    def snapshots(self) -> list[Snapshot]:
        """The snapshots taken so far, as canonical arrays (each converted once, on first request)."""
        with self._snapshot_lock:
            raw = list(self._raw_snapshots)
            for step, epoch, loss, metric, metric_step, state in raw[len(self._snapshots):]:
                weights = weight_arrays(self._model_from_state(state))
                self._snapshots.append(Snapshot(step=step, epoch=epoch, loss=loss, metric=metric, weights=weights,
                                                metric_name=self.task.metric, metric_step=metric_step))
            return list(self._snapshots[:len(raw)])

    def evaluate_snapshots(self) -> float:
        """Measure the task's metric on each snapshot's own weights (held-out data, as the per-epoch
        evaluations), so every snapshot's metric is of exactly its weights (``metric_step == step``).
        One evaluation per snapshot not yet measured: call after training. Returns the seconds spent."""
        from .core.snapshots import model_at_snapshot

        t0 = time.perf_counter()
        model = self.model()
        for k, snap in enumerate(model.snapshots):
            if snap.metric_step != snap.step:
                value = self.task.evaluate(model_at_snapshot(model, k)).get(self.task.metric)
                snap.metric = None if value is None else float(value)
                snap.metric_step = snap.step
        return time.perf_counter() - t0

    def model(self, snapshots: bool = True) -> RecurrentModel:
        """The canonical model from the last completed step (task, input stage and head included),
        carrying the snapshots taken so far (``snapshots=False``: none)."""
        model = self._model_from_state(self._state_copy(self._network()))
        if snapshots:
            model.snapshots = self.snapshots
        return model

    def _model_from_state(self, full_state: dict) -> RecurrentModel:
        from .formats.torch_state import layers_from_state_dict

        state = {k[len("rnn."):]: v for k, v in full_state.items() if k.startswith("rnn.")}
        weight = full_state["head.weight"].numpy()
        bias = full_state["head.bias"].numpy()
        layers = layers_from_state_dict(state, "", nonlinearity="tanh")
        task, cfg = self.task, self.config
        info = task.options()
        info["trained_with"] = {k: v for k, v in asdict(cfg).items() if k not in ("task_options", "name", "snapshots")}
        info["trained_with"]["steps"] = self.steps_done
        if self.metrics is not None:
            # 5 significant digits: the last float32 digits of an evaluation vary with the CPU's kernels,
            # and a retrained model file should come out byte-identical
            info["metrics"] = {k: float(f"{v:.5g}") for k, v in self.metrics.items()}
        head = Head(weight=weight, bias=bias, activation=task.head_activation, on=task.head_on,
                    labels=task.output_labels())
        return RecurrentModel(layers=layers, input=task.input_stage(), head=head, task=info, name=cfg.name,
                              source="gateviz train", framework="gateviz").validate()


def train(config: TrainConfig) -> tuple[RecurrentModel, dict[str, float]]:
    """Train to the end without progress reports: (model, metrics)."""
    trainer = Trainer(config)
    for _ in trainer.run():
        pass
    return trainer.model(), dict(trainer.metrics or {})
