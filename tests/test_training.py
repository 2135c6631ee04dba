"""Training: the generator, options, determinism, conversion to the canonical model, quality bars.

The quality bars are the issue's (seeded, no timing); each trains in seconds on one CPU
thread with the task's default hyper-parameters.
"""

import warnings

import numpy as np
import pytest
import torch

from gateviz.core.engine import Tracer
from gateviz.core.errors import GatevizError
from gateviz.tasks import get_task_for_model
from gateviz.training import TrainConfig, Trainer, build_network, train


def net_outputs(trainer: Trainer, x: np.ndarray) -> np.ndarray:
    net = trainer._network()
    net.eval()
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


# ---- quality bars -------------------------------------------------------------

BARS = [
    # task, units, metric, check
    ("sine", 32, "test_mse", lambda v: v < 1e-3),
    ("binary-addition", 16, "exact_sums", lambda v: v == 1.0),
    ("digits", 64, "test_accuracy", lambda v: v >= 0.95),
    ("brackets", 16, "depth_accuracy", lambda v: v >= 0.99),
    ("adding", 32, "test_mse", lambda v: v < 0.01),
    ("text", 128, "bits_below_unigram", lambda v: v >= 1.0),
]


@pytest.mark.slow
@pytest.mark.parametrize("task,units,metric,check", BARS, ids=[b[0] for b in BARS])
def test_lstm_meets_the_quality_bar(task, units, metric, check):
    model, metrics = train(TrainConfig(task=task, cell="lstm", units=units, seed=0))
    assert check(metrics[metric]), metrics
    # the metric describes the returned model: re-evaluating it with the engine gives the same numbers
    again = get_task_for_model(model).evaluate(model)
    assert again[metric] == pytest.approx(metrics[metric], rel=1e-6, abs=1e-9)
    assert model.task["metrics"][metric] == pytest.approx(metrics[metric], rel=1e-4)
    assert model.task["trained_with"]["units"] == units


# ---- the generator ---------------------------------------------------------------


def test_progress_reports_and_final_model():
    trainer = Trainer(TrainConfig(task="sine", units=8, epochs=2, seed=1))
    reports = list(trainer.run())
    assert reports[-1].done and reports[-1].fraction == 1.0 and reports[-1].step == reports[-1].total_steps
    assert [r.step for r in reports] == sorted(r.step for r in reports)
    assert all(np.isfinite(r.loss) for r in reports)
    assert sum(r.evaluated for r in reports) == 2  # after each epoch
    assert reports[-1].metric == reports[-1].metrics["test_mse"] and reports[-1].metric_name == "test_mse"
    model = trainer.model()
    assert model.head.on == "every_step" and model.task["name"] == "sine" and model.framework == "gateviz"
    x, _ = trainer.task.test_windows()
    np.testing.assert_allclose(Tracer(model).trace(x[:5]).output, net_outputs(trainer, x[:5]), atol=1e-5)


def test_stopping_early_leaves_a_valid_model():
    trainer = Trainer(TrainConfig(task="adding", units=8, epochs=5, eval_every=5, seed=0))
    run = trainer.run()
    first = next(p for p in run if p.evaluated)
    assert first.step == 5 and first.metric is not None
    run.close()  # the consumer stops: no more steps
    model = trainer.model()
    assert trainer.steps_done == 5 and model.task["trained_with"]["steps"] == 5
    task = get_task_for_model(model)
    assert task.evaluate(model)["test_mse"] == pytest.approx(first.metric, rel=1e-6)


def test_request_stop_and_time_budget_end_the_run():
    trainer = Trainer(TrainConfig(task="brackets", units=8, epochs=50, eval_every=3))
    for p in trainer.run():
        if p.step >= 3:
            trainer.request_stop()
    assert p.done and p.step < p.total_steps and p.step >= 3
    quick = Trainer(TrainConfig(task="binary-addition", units=8, epochs=1000, time_budget=0.5))
    reports = list(quick.run())
    assert reports[-1].done and reports[-1].step < reports[-1].total_steps and reports[-1].metric is not None


def test_same_seed_same_weights_other_seed_other_weights():
    def weights(seed):
        model, _ = train(TrainConfig(task="binary-addition", units=8, epochs=1, seed=seed))
        return np.concatenate([a.ravel() for a in model.layers[0].directions[0].arrays().values()]
                              + [model.head.weight.ravel()])

    a, b, c = weights(5), weights(5), weights(6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# ---- options -------------------------------------------------------------------


def test_bidirectional_refused_for_next_step_tasks():
    for task in ("sine", "text"):
        with pytest.raises(GatevizError, match="predicts the next step.*unidirectional"):
            Trainer(TrainConfig(task=task, bidirectional=True))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_stacked_bidirectional_final_state_matches_the_engine(cell):
    trainer = Trainer(TrainConfig(task="digits", cell=cell, units=12, layers=2, bidirectional=True, dropout=0.3,
                                  epochs=1, seed=2))
    for _ in trainer.run():
        pass
    model = trainer.model()
    assert len(model.layers) == 2 and all(layer.bidirectional for layer in model.layers)
    assert model.head.on == "final_state" and model.head.activation == "softmax"
    x = trainer.task.data()["test_x"][:16]
    probs = torch.softmax(torch.from_numpy(net_outputs(trainer, x)), -1).numpy()
    traced = Tracer(model).trace(x).output  # (N, 1, 10): a bidirectional final-state head
    np.testing.assert_allclose(traced[:, -1], probs, atol=1e-5)


def test_text_model_reads_characters():
    trainer = Trainer(TrainConfig(task="text", cell="gru", units=16, epochs=1, eval_every=2, seed=0))
    run = trainer.run()
    next(run)
    run.close()
    model = trainer.model()
    assert model.input.kind == "onehot" and model.input.vocab == trainer.task.vocab
    text = "def f(x):\n    return x\n"
    tr = Tracer(model).trace(text)
    assert tr.output.shape == (len(text), 96)
    np.testing.assert_allclose(tr.output.sum(axis=1), 1.0, rtol=1e-5)


def test_dropout_only_between_layers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns when dropout is given to a single layer
        one = build_network(Trainer(TrainConfig(task="sine")).task, TrainConfig(task="sine", units=4, layers=1,
                                                                             dropout=0.5))
    assert one.rnn.dropout == 0.0
    two = build_network(Trainer(TrainConfig(task="sine")).task, TrainConfig(task="sine", units=4, layers=2,
                                                                         dropout=0.5))
    assert two.rnn.dropout == 0.5


@pytest.mark.parametrize("kwargs,message", [
    ({"cell": "transformer"}, "unknown cell 'transformer'; choose one of rnn, lstm, gru"),
    ({"units": 0}, "units must be a whole number of at least 1"),
    ({"dropout": 1.5}, r"dropout must lie in \[0, 1\)"),
    ({"lr": -1.0}, "learning rate must be a positive number"),
    ({"time_budget": 0}, "time budget must be a positive number"),
    ({"task": "chess"}, "unknown task 'chess'; the built-in tasks are sine, binary-addition"),
])
def test_bad_options_get_clear_errors(kwargs, message):
    with pytest.raises(GatevizError, match=message):
        Trainer(TrainConfig(**{"task": "sine", **kwargs}))


def test_divergence_is_reported():
    trainer = Trainer(TrainConfig(task="adding", units=4, lr=1e30, epochs=1, seed=0))
    with pytest.raises(GatevizError, match="diverged.*lower the learning rate"):
        for _ in trainer.run():
            pass
