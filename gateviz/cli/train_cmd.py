"""``gateviz train TASK -o MODEL``: train a model on a built-in task and save it (.gvm)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

TASKS_HELP = {
    "sine": "predict the next value of sin(x) from 50-step windows (next-step task)",
    "binary-addition": "add two 8-bit numbers bit by bit, least significant bit first",
    "digits": "classify handwritten digits row by row (8x8 digits built in; MNIST with --mnist)",
    "brackets": "name the nesting depth of '(' ')' strings at every character",
    "adding": "the adding problem: sum the two marked values of a 50-step sequence",
    "text": "character language model (Python's standard library source, or --text FILE; next-step task)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Train a small recurrent network on a built-in task and save it as a gateviz model file (.gvm) that "
        "carries its task, input encoding and read-out head, ready to trace or open in the app.\n\n"
        "tasks:\n" + "\n".join(f"  {name:16s} {text}" for name, text in TASKS_HELP.items())
        + "\n\nOptions left out take the task's defaults, chosen to reach the task's quality bar in seconds "
          "on a CPU.")
    parser.epilog = ("examples:\n  gateviz train sine -o sine.gvm\n"
                     "  gateviz train brackets --cell gru --units 16 --seed 3 -o brackets-gru.gvm\n"
                     "  gateviz train digits --mnist ~/data/mnist --units 128 --epochs 3 -o mnist.gvm\n"
                     "  gateviz train text --text novel.txt --units 256 --time-budget 600 -o novel.gvm")
    parser.add_argument("task", metavar="TASK", choices=list(TASKS_HELP),
                        help="the task to train on: " + ", ".join(TASKS_HELP))
    parser.add_argument("-o", "--output", metavar="MODEL", required=True,
                        help="where to save the trained model (.gvm is added when the name has no suffix)")
    parser.add_argument("--force", action="store_true", help="overwrite MODEL if it exists (otherwise refused)")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm",
                        help="recurrent cell: lstm (default), gru, or rnn (plain tanh RNN)")
    parser.add_argument("--units", type=int, metavar="N",
                        help="hidden units per layer and direction (default: the task's, e.g. 32 for sine)")
    parser.add_argument("--layers", type=int, default=1, metavar="N", help="stacked recurrent layers (default 1)")
    parser.add_argument("--bidirectional", action="store_true",
                        help="add a backward direction to every layer; refused for next-step tasks (sine, text), "
                             "whose answer the backward direction would see")
    parser.add_argument("--dropout", type=float, default=0.0, metavar="P",
                        help="dropout between stacked layers (needs --layers 2 or more; default 0)")
    parser.add_argument("--epochs", type=int, metavar="N", help="passes over the training data (default: the task's)")
    parser.add_argument("--time-budget", type=float, metavar="SECONDS",
                        help="stop after this many seconds even if epochs remain")
    parser.add_argument("--lr", type=float, metavar="RATE",
                        help="Adam learning rate, decayed on a cosine to 5%% (default: the task's, e.g. 0.01)")
    parser.add_argument("--batch-size", type=int, metavar="N", help="sequences per step (default: the task's)")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="random seed: the same seed gives the same weights on the same CPU (default 0)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="CPU threads for torch while training (default 1: fastest for small networks)")
    parser.add_argument("--mnist", metavar="DIR",
                        help="digits only: train on MNIST from the folder holding its four IDX files "
                             "(train-images-idx3-ubyte[.gz] and friends) instead of the built-in 8x8 digits")
    parser.add_argument("--text", metavar="FILE", dest="text_file",
                        help="text only: train on this text file instead of the standard-library corpus")
    parser.add_argument("--corpus", choices=("stdlib", "zh-sums"),
                        help="text only: a built-in corpus — stdlib (Python's standard library source, the "
                             "default) or zh-sums (sums and dates in Chinese numerals, generated for gateviz)")
    parser.add_argument("--snapshots", type=int, default=20, metavar="N",
                        help="keep N copies of the weights spread over the run, denser early (the untrained "
                             "weights and the last step always among them), stored in MODEL for the app's training "
                             "slider and gateviz export --timelapse (default 20; 0 keeps none)")
    parser.add_argument("--snapshot-dtype", choices=("float32", "float16"), default="float32",
                        help="how the snapshots' weights are stored: float32 (default, exact) or float16 (half the "
                             "size; traces of those snapshots are marked as float16)")
    parser.add_argument("--snapshot-metrics", action="store_true",
                        help="after training, measure the task's metric on every snapshot's own weights (one "
                             "held-out evaluation each) instead of keeping the latest per-epoch evaluation's")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _bar(fraction: float, width: int = 28) -> str:
    filled = int(round(fraction * width))
    return "#" * filled + "-" * (width - filled)


def _format_metric(name: str, value) -> str:
    if value is None:
        return f"{name} -"
    return f"{name} {value:.4g}"


# Exit statuses (README, "Command line"): 0 trained to the end and saved; 2 an error, nothing saved;
# 3 stopped early by Ctrl+C, the model of the last completed step saved; 130 interrupted before a
# step was completed, or a second Ctrl+C: nothing saved.
EXIT_STOPPED_EARLY = 3
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def _first_interrupt_stops(trainer):
    """The first Ctrl+C asks the trainer to stop after the step it is in (so the saved weights are
    one whole step's, never half an optimizer update); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum, frame):
        if trainer._stop.is_set():
            raise KeyboardInterrupt
        trainer.request_stop()
        print("\ngateviz: stopping after this step to save the model (Ctrl+C again to quit without saving)",
              file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: argparse.Namespace) -> int:
    from gateviz.core.errors import GatevizError
    from gateviz.export.files import check_target

    output = Path(args.output).expanduser()
    if not output.suffix:
        output = output.with_suffix(".gvm")
    # before minutes of training: the name is free (or --force), the folder exists and takes a file
    if output.exists() and not output.is_dir() and not args.force:
        raise GatevizError(f"{output} exists; pass --force to overwrite it or choose another name")
    check_target(output, overwrite=args.force)
    options: dict = {}
    if args.mnist:
        if args.task != "digits":
            raise GatevizError("--mnist only applies to the digits task")
        if not Path(args.mnist).expanduser().is_dir():
            raise GatevizError(f"{args.mnist} is not a folder; --mnist takes the folder holding MNIST's four IDX "
                               "files (train-images-idx3-ubyte.gz and friends)")
        options["mnist_dir"] = args.mnist
    if args.text_file:
        if args.task != "text":
            raise GatevizError("--text only applies to the text task")
        if not Path(args.text_file).expanduser().is_file():
            raise GatevizError(f"no such text file: {args.text_file}")
        options["path"] = args.text_file
    if args.corpus:
        if args.task != "text":
            raise GatevizError("--corpus only applies to the text task")
        if args.text_file:
            raise GatevizError("--corpus and --text both choose the text: give one of them")
        options["corpus"] = args.corpus
    if args.dropout and args.layers < 2:
        raise GatevizError("--dropout acts between stacked layers; add --layers 2 or more (or leave dropout at 0)")
    if args.threads < 1:
        raise GatevizError(f"--threads must be at least 1, not {args.threads}")
    if args.snapshots < 0:
        raise GatevizError(f"--snapshots must be 0 (keep none) or more, not {args.snapshots}")

    from gateviz.formats.gateviz_file import save_model
    from gateviz.training import TrainConfig, Trainer

    config = TrainConfig(task=args.task, cell=args.cell, units=args.units, layers=args.layers,
                         bidirectional=args.bidirectional, dropout=args.dropout, epochs=args.epochs,
                         time_budget=args.time_budget, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
                         task_options=options, threads=args.threads, name=output.stem, snapshots=args.snapshots)
    trainer = Trainer(config)
    cfg = trainer.config
    print(f"training {cfg.cell.upper()}({cfg.units}) x{cfg.layers}{' bidirectional' if cfg.bidirectional else ''} "
          f"on {args.task}: {cfg.epochs} epoch(s), lr {cfg.lr:g}, batch {cfg.batch_size}, seed {cfg.seed}",
          file=sys.stderr)
    show = not args.quiet
    # a terminal gets one bar redrawn in place; a log file (not a TTY) one line per evaluation
    live = show and sys.stderr.isatty()
    last = None
    with _first_interrupt_stops(trainer):
        for last in trainer.run():
            if show and (live or last.evaluated):
                line = (f"[{_bar(last.fraction)}] {100 * last.fraction:5.1f}%  epoch {last.epoch}/{cfg.epochs}  "
                        f"step {last.step}/{last.total_steps}  loss {last.loss:.4g}  "
                        f"{_format_metric(last.metric_name, last.metric)}  {last.elapsed:.1f}s")
                print("\r" + line if live else line, end="" if live else "\n", file=sys.stderr, flush=True)
        if live:
            print(file=sys.stderr)
        if trainer.stopped_early and trainer.steps_done == 0:
            print("gateviz: interrupted before the first training step; nothing saved", file=sys.stderr)
            return EXIT_INTERRUPTED
        if args.snapshot_metrics and args.snapshots:
            spent = trainer.evaluate_snapshots()
            print(f"measured {trainer.task.metric} on {len(trainer.snapshots)} snapshots in {spent:.1f}s",
                  file=sys.stderr)
        model = trainer.model()
        save_model(model, output, overwrite=args.force, snapshot_dtype=args.snapshot_dtype)
    task = trainer.task
    metrics = trainer.metrics or {}
    shown = ", ".join(f"{k} {v:.6g}" for k, v in metrics.items())
    verdict = "meets" if task.meets_bar(metrics) else "does not meet"
    bar = f"{'<' if task.metric_goal == 'min' else '>='} {task.quality_bar:g}"
    print(f"{shown}  ({task.metric} {verdict} the quality bar {bar})")
    kept = f", {len(model.snapshots)} {args.snapshot_dtype} snapshots" if model.snapshots else ""
    print(f"saved {output} ({trainer.steps_done} steps, {last.elapsed if last else 0:.1f}s{kept})")
    if trainer.stopped_early:
        print(f"gateviz: stopped early at step {trainer.steps_done} of {last.total_steps if last else '?'}; "
              f"saved that model to {output} (exit status {EXIT_STOPPED_EARLY})", file=sys.stderr)
        return EXIT_STOPPED_EARLY
    return 0
