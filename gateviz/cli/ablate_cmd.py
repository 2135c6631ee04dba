"""``gateviz ablate MODEL [INPUT]``: which units matter (issue 13).

Silences each unit of a layer in turn (h — and c for an LSTM — set to 0 at every step; or
``--quantity`` of the unit), all units in one batched trace (``gateviz.core.ablation``), and prints
the units ranked by the change they cause: in the task's metric over its held-out sequences (or on
INPUT when the task can judge it), otherwise the mean |change| of the output. ``-o table.csv``
writes the same table. Heavy modules are imported in ``run`` so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse

CSV_COLUMNS = ("rank", "direction", "unit", "change", "metric_silenced", "mean_abs_output_change")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .models import ENCODER_INPUT_HELP, MODEL_HELP, add_tf_options

    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    add_tf_options(parser)
    parser.add_argument("input", metavar="INPUT", nargs="?",
                        help="input sequence: .npy (T, features), .csv (one row per step) or .txt (text models); "
                             "default: the task's held-out sequences (a model without a task: a default sample)")
    parser.add_argument("--layer", type=int, default=0, metavar="K", help="the layer whose units to silence "
                        "(default 0)")
    parser.add_argument("--quantity", default="hidden_state", metavar="Q",
                        help="what to set to 0: hidden_state (default; for an LSTM h and c), or another quantity of "
                             "the cell (forget_gate, cell_state, update_gate, ...)")
    parser.add_argument("--direction", choices=("forward", "backward"),
                        help="a bidirectional layer: rank only this direction's units (default: both)")
    parser.add_argument("-o", "--output", metavar="TABLE.csv", help="also write the ranking as CSV")
    parser.add_argument("--force", "--overwrite", dest="force", action="store_true",
                        help="overwrite TABLE.csv if it exists")
    parser.add_argument("--top", type=int, default=None, metavar="N", help="print only the N most important units")
    parser.add_argument("--module", metavar="NAME",
                        help="which recurrent module to use when the file holds several (see gateviz info)")
    parser.add_argument("--nonlinearity", choices=("tanh", "relu"), default="tanh",
                        help="a PyTorch nn.RNN's nonlinearity, which its weights do not record (default tanh)")
    parser.add_argument("--encoder-input", metavar="FILE",
                        help=ENCODER_INPUT_HELP + "; units are silenced in the encoder's steps and the decoder's")


def table_rows(result) -> list[tuple]:
    """(rank, direction, unit, change, metric silenced or None, mean |Δ output|), most important first."""
    rows = []
    for rank, r in enumerate(result.ranking(), 1):
        direction, unit = result.rows[r]
        metric = None if result.metric is None else float(result.metric[r])
        rows.append((rank, direction, unit, float(result.scores[r]), metric, float(result.output_change[r])))
    return rows


def write_csv(result, path, *, overwrite: bool = False) -> None:
    """The ranking as CSV (columns ``CSV_COLUMNS``), written beside the target and renamed into place."""
    import csv

    from gateviz.export.files import atomic_target

    with atomic_target(path, overwrite=overwrite) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_COLUMNS)
            for rank, direction, unit, change, metric, out_change in table_rows(result):
                w.writerow([rank, direction, unit, repr(change), "" if metric is None else repr(metric),
                            repr(out_change)])


def format_table(result, top: int | None = None) -> str:
    """The ranking as aligned text, with two header lines saying what was silenced and measured."""
    lines = [result.describe()]
    if result.goal is not None:
        worse = "drops" if result.goal == "max" else "rises"
        lines.append(f"change = how much the {result.measure_label} {worse} with the unit silenced "
                     f"({result.definition})")
    else:
        lines.append(f"change = {result.definition} with the unit silenced")
    metric_head = f"{result.measure_label} silenced" if result.metric is not None else None
    unit_width = max(4, max(len(result.row_label(r)) for r in range(len(result.rows))))
    head = f"{'rank':>4}  {'unit':>{unit_width}}  {'change':>10}"
    if metric_head:
        head += f"  {metric_head:>{max(10, len(metric_head))}}"
    head += f"  {'mean |Δ output|':>15}"
    lines.append(head)
    for rank, r in enumerate(result.ranking(), 1):
        if top is not None and rank > top:
            break
        line = f"{rank:>4}  {result.row_label(r):>{unit_width}}  {result.scores[r]:>10.4g}"
        if metric_head:
            line += f"  {result.metric[r]:>{max(10, len(metric_head))}.4g}"
        line += f"  {result.output_change[r]:>15.4g}"
        lines.append(line)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from gateviz.core.errors import FormatError

    if args.top is not None and args.top < 1:
        raise FormatError(f"--top {args.top}: give a number of units of at least 1")
    if args.output:  # refuse an existing table before any slow work
        from gateviz.export.files import check_target

        check_target(args.output, overwrite=args.force)
    from .models import decoder_input, load_cli_model, tf_options, with_encoder

    model = load_cli_model(args.model, args.module, args.nonlinearity, tf_options(args))
    model = with_encoder(args.model, model, args.encoder_input, args.module, tf_options(args))  # a decoder: after its encoder
    sequence = None
    if args.input is not None:
        from gateviz.formats import read_sequence

        sequence = read_sequence(args.input, model)
    sequence = decoder_input(model, sequence)
    from gateviz.core.ablation import ablate

    result = ablate(model, sequence, layer=args.layer, quantity=args.quantity, direction=args.direction)
    if args.output:  # before printing: a reader that stops early (| head) must not cost the table
        write_csv(result, args.output, overwrite=args.force)
    print(format_table(result, args.top))
    if args.output:
        print(f"wrote {args.output}: {len(result.rows)} units ranked by "
              f"{result.measure_label if result.goal is not None else result.definition}")
    return 0
