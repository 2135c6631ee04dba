"""Regenerate the bundled pretrained models (resources/models) and sample files (resources/samples).

    python scripts/train_bundled.py                 # every model, then index.json and the samples
    python scripts/train_bundled.py --only sine-gru # one model (the index keeps the others)
    python scripts/train_bundled.py --check         # retrain in a temporary folder, compare with the files
    python scripts/train_bundled.py --snapshots 20 --snapshot-dtype float16 --snapshot-metrics  # + time-lapse

Deterministic: fixed seeds, one torch thread, the tasks' fixed held-out sets. Every
LSTM and GRU must meet its task's quality bar or the script fails. A plain RNN gets the same
budget as its task's LSTM and GRU and may miss the bar (the point of issue 12: vanishing
gradients); the index records its honest metric and "meets_bar". Takes several minutes on a CPU.

    python scripts/train_bundled.py --table         # the README's table of bundled models, from index.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateviz.bundled import INDEX, LONG_ADDING_DESCRIPTIONS, STEPS_VARIANT, index_entry  # noqa: E402
from gateviz.core.texts import QT_TRANSLATE_NOOP  # noqa: E402
from gateviz.formats.gateviz_file import save_model  # noqa: E402
from gateviz.tasks import TASK_NAMES, get_task  # noqa: E402
from gateviz.training import TrainConfig, Trainer  # noqa: E402

# A long adding problem (150 steps, as in Hochreiter & Schmidhuber's long-lag experiments): at this length
# the LSTM and GRU still learn it in the default budget while the plain RNN stays at the mean (issue 12).
LONG_ADDING = 150
_LONG = {"task_options": {"length": LONG_ADDING}}
# The Chinese numerals text (200,000 generated characters, 22 distinct): LSTM(64) reaches 1.21 bits/char in
# 40 epochs (~50 s), near the text's own entropy (~1.18: the operands, years, months and days are random)
_ZH = {"task_options": {"corpus": "zh-sums"}, "units": 64, "epochs": 40}

# name -> (task, cell, extra TrainConfig fields, description), in menu order: by task, then LSTM, GRU, RNN.
# A plain RNN gets exactly its task's LSTM budget (units, epochs, lr, batch size, seed, one thread),
# except sine-rnn, bundled before issue 12 with 12 epochs instead of 8.
SPECS: dict[str, tuple[str, str, dict, str]] = {
    "sine-lstm": ("sine", "lstm", {}, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(32) predicting sin(x) one step ahead; rolls the wave out")),
    "sine-gru": ("sine", "gru", {}, QT_TRANSLATE_NOOP("Bundled", "GRU(32) predicting sin(x) one step ahead")),
    "sine-rnn": ("sine", "rnn", {"epochs": 12}, QT_TRANSLATE_NOOP(
        "Bundled", "plain tanh RNN(32) predicting sin(x), as in the seed notes' demo")),
    "binary-addition-lstm": ("binary-addition", "lstm", {}, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(16) adding two 8-bit numbers; one unit keeps the carry")),
    "binary-addition-gru": ("binary-addition", "gru", {}, QT_TRANSLATE_NOOP(
        "Bundled", "GRU(16) adding two 8-bit numbers bit by bit")),
    "binary-addition-rnn": ("binary-addition", "rnn", {}, QT_TRANSLATE_NOOP(
        "Bundled", "plain tanh RNN(16) adding two 8-bit numbers bit by bit")),
    "digits-lstm": ("digits", "lstm", {}, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(64) reading 8x8 handwritten digits row by row")),
    "digits-gru": ("digits", "gru", {}, QT_TRANSLATE_NOOP(
        "Bundled", "GRU(64) reading 8x8 handwritten digits row by row")),
    "digits-rnn": ("digits", "rnn", {}, QT_TRANSLATE_NOOP(
        "Bundled", "plain tanh RNN(64) reading 8x8 handwritten digits row by row")),
    "brackets-lstm": ("brackets", "lstm", {}, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(16) counting bracket depth: watch the counting cell")),
    "brackets-gru": ("brackets", "gru", {}, QT_TRANSLATE_NOOP("Bundled", "GRU(16) counting bracket depth")),
    "brackets-rnn": ("brackets", "rnn", {}, QT_TRANSLATE_NOOP("Bundled", "plain tanh RNN(16) counting bracket depth")),
    "adding-lstm": ("adding", "lstm", {}, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(32) on the adding problem: the input gate opens at the markers")),
    "adding-gru": ("adding", "gru", {}, QT_TRANSLATE_NOOP("Bundled", "GRU(32) on the adding problem")),
    "adding-rnn": ("adding", "rnn", {}, QT_TRANSLATE_NOOP("Bundled", "plain tanh RNN(32) on the adding problem")),
    "adding-long-lstm": ("adding", "lstm", _LONG, LONG_ADDING_DESCRIPTIONS["lstm"].format(steps=LONG_ADDING)),
    "adding-long-gru": ("adding", "gru", _LONG, LONG_ADDING_DESCRIPTIONS["gru"].format(steps=LONG_ADDING)),
    "adding-long-rnn": ("adding", "rnn", _LONG, LONG_ADDING_DESCRIPTIONS["rnn"].format(steps=LONG_ADDING)),
    "text-lstm": ("text", "lstm", {"epochs": 4}, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(128) character model of Python source: quote, indentation and bracket cells")),
    "text-gru": ("text", "gru", {"epochs": 4}, QT_TRANSLATE_NOOP(
        "Bundled", "GRU(128) character model of Python source")),
    "text-rnn": ("text", "rnn", {"epochs": 4}, QT_TRANSLATE_NOOP(
        "Bundled", "plain tanh RNN(128) character model of Python source")),
    # issue 15: Chinese text written for gateviz (gateviz/tasks/zh_numerals.py), sums and dates in Chinese numerals
    "text-zh-lstm": ("text", "lstm", _ZH, QT_TRANSLATE_NOOP(
        "Bundled", "LSTM(64) character model of sums and dates in Chinese numerals (三十五加十二等于四十七。): a cell "
                   "holds 'inside the answer' from 等于 to 。")),
    "text-zh-gru": ("text", "gru", _ZH, QT_TRANSLATE_NOOP(
        "Bundled", "GRU(64) character model of sums and dates in Chinese numerals")),
    "text-zh-rnn": ("text", "rnn", _ZH, QT_TRANSLATE_NOOP(
        "Bundled", "plain tanh RNN(64) character model of sums and dates in Chinese numerals")),
}
# sample folders beyond the tasks' own (resources/samples/<folder>): a variant's task and options
SAMPLE_VARIANTS = {"adding-long": ("adding", {"length": LONG_ADDING}), "text-zh": ("text", {"corpus": "zh-sums"})}
# a variant's models: the menu says which variant ("adding, 150 steps: LSTM(32)")
VARIANTS = {name: STEPS_VARIANT.format(steps=LONG_ADDING) for name in SPECS if name.startswith("adding-long-")} | {
    name: QT_TRANSLATE_NOOP("Bundled", "Chinese numerals") for name in SPECS if name.startswith("text-zh-")}
SEED = 0


def train_one(name: str, out_dir: Path, snapshots: int = 0, snapshot_dtype: str = "float32",
              snapshot_metrics: bool = False) -> dict:
    """``snapshots``: training snapshots kept in the file (issue 16; 0: none, the files as committed);
    ``snapshot_metrics``: each snapshot's metric measured on its own weights."""
    task_name, cell, extra, description = SPECS[name]
    t0 = time.perf_counter()
    trainer = Trainer(TrainConfig(task=task_name, cell=cell, seed=SEED, threads=1, name=name, snapshots=snapshots,
                                  **extra))
    for _ in trainer.run():
        pass
    if snapshot_metrics:
        trainer.evaluate_snapshots()
    model = trainer.model()
    metrics = trainer.metrics or {}
    task = trainer.task
    meets = task.meets_bar(metrics)
    if not meets and cell != "rnn":  # a plain RNN may fail: that is what it shows
        raise SystemExit(f"{name}: {task.metric} = {metrics.get(task.metric)} misses the bar {task.quality_bar}")
    file = f"{name}.gvm"
    save_model(model, out_dir / file, overwrite=True, snapshot_dtype=snapshot_dtype)
    print(f"{name:22s} {task.metric} {metrics[task.metric]:.6g}{'' if meets else ' (misses the bar)'}  "
          f"{time.perf_counter() - t0:5.1f}s  {(out_dir / file).stat().st_size / 1024:6.1f} KiB", flush=True)
    return describe(name, index_entry(model, file, description, metrics))


def describe(name: str, entry: dict) -> dict:
    """An index entry with what the README table and the menu need: sequence steps, meets_bar, variant."""
    task_name, _, extra, _ = SPECS[name]
    task = get_task(task_name, **extra.get("task_options", {}))
    entry.update(steps=sequence_steps(task), meets_bar=bool(task.meets_bar(entry["metrics"])))
    if name in VARIANTS:
        entry["variant"] = VARIANTS[name]
    return entry


def sequence_steps(task) -> int:
    """The length of the sequences the model trained on (brackets: at most; text: a training chunk)."""
    options = task.options()
    return {"sine": lambda: options["window"], "binary-addition": lambda: options["bits"] + 1,
            "digits": lambda: 8, "brackets": lambda: options["length"], "adding": lambda: options["length"],
            "text": lambda: options["seq_len"]}[task.name]()


def table(index_path: Path) -> str:
    """The README's markdown table of the bundled models, from index.json."""
    from gateviz.tasks import get_task

    rows = ["| model | cell | units | steps | metric | value | meets bar |", "|---|---|---|---|---|---|---|"]
    for e in json.loads(index_path.read_text())["models"]:
        task = get_task(e["task"])
        bar = ("<" if task.metric_goal == "min" else "≥") + f" {task.quality_bar:g}"
        meets = "yes" if e.get("meets_bar", True) else "**no**"
        rows.append(f"| {e['name']} | {e['cell'].upper()} | {e['units']} | {e.get('steps', '')} | "
                    f"{task.metric_label} | {e['metrics'][task.metric]:.4g} | {meets} ({bar}) |")
    return "\n".join(rows)


def write_samples(folder: Path) -> None:
    """Each task's samples as files a user can open: .npy for numbers, .txt for characters."""
    import numpy as np

    folders = {name: (name, {}) for name in TASK_NAMES} | SAMPLE_VARIANTS
    for folder_name, (task_name, options) in folders.items():
        sub = folder / folder_name
        sub.mkdir(parents=True, exist_ok=True)
        for old in sub.iterdir():
            old.unlink()
        catalogue = []
        for sample in get_task(task_name, **options).samples():
            stem = sample.name.replace(" ", "-").replace("=", "").replace("/", "-")
            if isinstance(sample.sequence, str):
                file = f"{stem}.txt"
                (sub / file).write_text(sample.sequence, encoding="utf-8", newline="\n")
            else:
                file = f"{stem}.npy"
                np.save(sub / file, np.asarray(sample.sequence, dtype=np.float32))
            catalogue.append({"name": sample.name, "description": sample.description, "file": file})
        (sub / "samples.json").write_text(json.dumps(catalogue, indent=1) + "\n", encoding="utf-8")


def same_model_file(a: Path, b: Path) -> bool:
    """Same tensors (bit for bit) and the same metadata; the byte order of safetensors' metadata map varies,
    and so does the JSON layout of its values (save_model's key order and spacing changed after files were
    committed), so JSON values are compared parsed."""
    import numpy as np
    from safetensors.numpy import load_file

    from gateviz.formats.detect import read_safetensors_header

    ta, tb = load_file(str(a)), load_file(str(b))
    if ta.keys() != tb.keys() or any(not np.array_equal(ta[k], tb[k]) for k in ta):
        return False

    def parsed(path: Path) -> dict:
        out = {}
        for key, value in read_safetensors_header(path)["__metadata__"].items():
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        return out

    return parsed(a) == parsed(b)


def check(names: list[str], out_dir: Path) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        differ = []
        for name in names:
            train_one(name, Path(tmp))
            if not same_model_file(Path(tmp) / f"{name}.gvm", out_dir / f"{name}.gvm"):
                differ.append(name)
    print("identical to the committed files" if not differ else f"differ from the committed files: {differ}")
    return 1 if differ else 0


def check_startup_trace() -> int:
    """The shipped start-up trace equals a fresh trace of the default model on its default sample."""
    import numpy as np

    from gateviz.bundled import default_bundled, default_sample, load_bundled, startup_trace
    from gateviz.core.engine import Tracer

    entry = default_bundled()
    model = load_bundled(entry.name)
    sequence = default_sample(model).sequence
    shipped, fresh = startup_trace(entry.name, sequence), Tracer(model).trace(sequence)
    same = shipped is not None and shipped.meta == fresh.meta and all(
        np.array_equal(shipped.states[k][q], a) for k, v in fresh.states.items() for q, a in v.items())
    print("start-up trace identical" if same else "start-up trace differs: run --startup-trace")
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(SPECS), help="retrain only these models")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    parser.add_argument("--samples", type=Path, default=ROOT / "resources" / "samples")
    parser.add_argument("--check", action="store_true",
                        help="retrain (all or --only) in a temporary folder and compare with the files in --out")
    parser.add_argument("--table", action="store_true", help="print the README's table of the bundled models")
    parser.add_argument("--startup-trace", action="store_true",
                        help="only write resources/models/startup-trace.npz (the app's first trace, shown "
                             "before torch is imported) from the committed default model")
    parser.add_argument("--snapshots", type=int, default=0, metavar="N",
                        help="keep N training snapshots in each model for the time-lapse (default 0: none)")
    parser.add_argument("--snapshot-dtype", choices=("float32", "float16"), default="float32",
                        help="how the snapshots' weights are stored (float16: half the size)")
    parser.add_argument("--snapshot-metrics", action="store_true",
                        help="measure each snapshot's metric on its own weights (one evaluation per snapshot)")
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.out / INDEX))
        return 0
    if args.check:
        return check(args.only or list(SPECS), args.out) or check_startup_trace()
    if args.startup_trace:
        from gateviz.bundled import write_startup_trace

        print(f"wrote {write_startup_trace()}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    index_path = args.out / INDEX
    entries = {}
    if args.only and index_path.exists():
        entries = {e["name"]: e for e in json.loads(index_path.read_text())["models"]}
    for name in args.only or SPECS:
        entries[name] = train_one(name, args.out, args.snapshots, args.snapshot_dtype, args.snapshot_metrics)
    ordered = [describe(n, entries[n]) for n in SPECS if n in entries]
    index_path.write_text(json.dumps({"models": ordered}, indent=1) + "\n", encoding="utf-8")
    total = sum((args.out / e["file"]).stat().st_size for e in ordered)
    print(f"{len(ordered)} models, {total / 1e6:.2f} MB in {args.out}")
    write_samples(args.samples)
    if args.out == ROOT / "resources" / "models":  # the app's first trace ships with the bundle
        from gateviz.bundled import write_startup_trace

        print(f"wrote {write_startup_trace(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
