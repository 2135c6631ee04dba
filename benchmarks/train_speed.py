"""CPU wall time each task needs to reach its quality bar (issue 3's table).

    python benchmarks/train_speed.py [--cell lstm] [--tasks sine text] [--threads 1]

Trains the issue's reference model per task (LSTM sizes of the quality bars, the
task's default hyper-parameters, seed 0), evaluates every few steps, and stops at the
first evaluation that meets the bar. "train s" is the wall time spent in training
steps up to that point (evaluations excluded); "wall s" includes the evaluations.
Targets: <= 60 s each on a 2-core machine, sine <= 15 s. Timings on a shared machine
are noisy; run it on a quiet one for numbers to quote.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gateviz.tasks import TASK_NAMES  # noqa: E402
from gateviz.training import TrainConfig, Trainer  # noqa: E402

REFERENCE = {  # task -> (units, evaluate every N steps, target seconds)
    "sine": (32, 8, 15),
    "binary-addition": (16, 16, 60),
    "digits": (64, 15, 60),
    "brackets": (16, 16, 60),
    "adding": (32, 25, 60),
    "text": (128, 22, 60),
}


def time_to_bar(task: str, cell: str, threads: int) -> dict:
    units, every, target = REFERENCE[task]
    trainer = Trainer(TrainConfig(task=task, cell=cell, units=units, seed=0, eval_every=every, threads=threads))
    eval_time = 0.0
    reached = None
    start = time.perf_counter()
    original = trainer._evaluate

    def timed_evaluate():
        nonlocal eval_time
        t0 = time.perf_counter()
        try:
            return original()
        finally:
            eval_time += time.perf_counter() - t0

    trainer._evaluate = timed_evaluate
    for p in trainer.run():
        if p.evaluated and trainer.task.meets_bar(p.metrics or {}):
            reached = p
            break
    wall = time.perf_counter() - start
    last = reached or p
    return {"task": task, "model": f"{cell.upper()}({units})", "steps": last.step, "reached": reached is not None,
            "train_s": wall - eval_time, "wall_s": wall, "metric": f"{trainer.task.metric} {last.metric:.4g}",
            "target": target}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--tasks", nargs="+", default=list(TASK_NAMES), choices=list(TASK_NAMES))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    # warm-up: torch's first backward pass initialises kernels; keep that out of the first task's time
    warm = Trainer(TrainConfig(task="sine", cell=args.cell, units=4, epochs=1, eval_every=4, threads=args.threads))
    next(p for p in warm.run() if p.evaluated)
    print(f"{'task':16s} {'model':10s} {'steps':>6s} {'train s':>8s} {'wall s':>7s} {'target':>7s}  metric at the bar")
    for task in args.tasks:
        r = time_to_bar(task, args.cell, args.threads)
        flag = "" if r["reached"] else "  (bar NOT reached)"
        print(f"{r['task']:16s} {r['model']:10s} {r['steps']:6d} {r['train_s']:8.1f} {r['wall_s']:7.1f} "
              f"{'<= ' + str(r['target']):>7s}  {r['metric']}{flag}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
