"""``gateviz trace MODEL INPUT -o OUT.npz``: write the trace file (design.md, "Contracts").

Keys ``layer{k}.{forward|backward}.{quantity}`` (T, units), ``output`` and ``meta`` (JSON);
``--gradients`` adds the gradients through time of one target (``gateviz.core.gradients``);
``--clamp SPEC`` intervenes (``gateviz.core.interventions``; listed in ``meta["interventions"]``).
Heavy modules (torch, the readers) are imported in ``run`` so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .models import ENCODER_INPUT_HELP, MODEL_HELP, add_tf_options

    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    add_tf_options(parser)
    parser.add_argument("input", metavar="INPUT", nargs="?",
                        help="input sequence: .npy (T, features), .csv (one row per step) or .txt (text models); "
                             "default for a model of a built-in task: the task's first sample")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="the trace file to write")
    parser.add_argument("--module", metavar="NAME",
                        help="which recurrent module to trace when the file holds several (see gateviz info)")
    parser.add_argument("--encoder-input", metavar="FILE", help=ENCODER_INPUT_HELP)
    parser.add_argument("--nonlinearity", choices=("tanh", "relu"), default="tanh",
                        help="a PyTorch nn.RNN's nonlinearity, which its weights do not record (default tanh)")
    parser.add_argument("--float64", action="store_true", help="trace in float64 (default: the weights' dtype)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("--gradients", action="store_true",
                        help="add gradients through time of a target y: gradient.layer{k}.{dir}.hidden_state/"
                             "cell_state, gradient.input and connectivity (||dy/dx_t|| per step)")
    parser.add_argument("--connectivity-matrix", action="store_true",
                        help="with --gradients: also connectivity_matrix (T, T), row s for the target at step s")
    from .clamps import add_clamp_argument
    from .targets import add_target_arguments

    add_target_arguments(parser)
    add_clamp_argument(parser)


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from gateviz.core.errors import FormatError
    from gateviz.formats import read_sequence

    out = Path(args.output)
    if out.is_dir():
        raise FormatError(f"{out} is a folder; give a file name such as trace.npz")
    if out.exists() and not args.force:
        raise FormatError(f"{out} already exists; pass --force to overwrite it")
    from .targets import target_from_args, wants_target

    if (wants_target(args) or args.connectivity_matrix) and not args.gradients:
        raise FormatError("--target-step, --target-class, --target-unit and --connectivity-matrix choose what "
                          "--gradients computes; add --gradients")
    target = target_from_args(args) if args.gradients else None  # a malformed unit fails before loading
    from .clamps import clamps_from_args

    clamps = clamps_from_args(args)  # a malformed spec fails before loading too
    from .models import load_cli_model, tf_options

    model = load_cli_model(args.model, args.module, args.nonlinearity, tf_options(args))
    from .models import encoder_initial_state

    dtype = torch_float64() if args.float64 else None
    initial_state, repeated, _ = encoder_initial_state(args.model, model, args.encoder_input, args.module,
                                                       args.nonlinearity, tf_options(args), dtype)
    if initial_state is not None and args.gradients:  # the gradient re-run would start from zeros
        raise FormatError("--gradients is not yet supported for a decoder traced from its encoder's state; "
                          "trace it without --gradients")
    if repeated is not None:  # RepeatVector: the decoder's input is the encoder's final h, repeated
        if args.input is not None:
            raise FormatError(f"{args.model} module {args.module} reads its encoder's final h repeated "
                              f"{model.initial_state_from['input_repeat']} times, not INPUT: drop {args.input}")
        sequence, args.input = repeated, f"the final h of {args.encoder_input}, repeated"
    elif args.input is not None:
        sequence = read_sequence(args.input, model)
    else:
        from gateviz.bundled import default_sample
        from gateviz.tasks import get_task_for_model

        if get_task_for_model(model) is None:
            raise FormatError(f"{args.model} has no built-in task, so there is no default input; "
                              "give INPUT (.npy, .csv or .txt)")
        sample = default_sample(model)
        sequence, args.input = sample.sequence, f"the {sample.name!r} sample"

    from gateviz.core.budget import require_trace, sequence_steps

    batch, steps = sequence_steps(model, sequence)  # refuse before tracing what cannot fit in memory
    require_trace(model, steps, batch, 8 if args.float64 else None, job="npz",
                  what=f"tracing {args.input} ({steps:,} steps)", hint="give a shorter input")

    from gateviz.core.engine import Tracer
    from gateviz.core.threads import threads_for_free_cores

    with threads_for_free_cores():  # a busy machine: torch's threads only on the cores left free
        trace = Tracer(model, dtype=dtype).trace(sequence, interventions=clamps, initial_state=initial_state)
    if model.initial_state_from is not None:
        trace.meta["encoder_input_file"] = str(args.encoder_input)
    from gateviz.core.nonfinite import warn_nonfinite

    warn_nonfinite(model, trace)  # NaN/Inf weights: say where, still write the trace
    if args.gradients:
        from gateviz.core.gradients import compute_gradients

        trace.gradients = compute_gradients(model, trace, target, matrix=args.connectivity_matrix)
    trace.meta["input_file"] = str(args.input)
    # write beside the destination, then rename: an interrupted run never leaves half a file
    from gateviz.export.files import give_normal_mode, release_temp, temp_sibling

    tmp = temp_sibling(out, ".npz")  # named so a later run can remove it if this one is killed
    try:
        trace.save(tmp)
        give_normal_mode(tmp, out)  # mkstemp made tmp private (0600)
        os.replace(tmp, out)
    finally:
        release_temp(tmp)
    dirs = "+".join(trace.directions(0))
    print(f"wrote {out}: {trace.length} steps, {trace.num_layers} {model.cell.upper()} layer(s) ({dirs}), "
          f"{len(list(trace.keys()))} arrays" + (", output" if trace.output is not None else "")
          + (f", gradients of {trace.gradients.definition}" if trace.gradients is not None else "")
          + (f", with {len(clamps)} intervention(s)" if clamps else ""))
    return 0


def torch_float64():
    import torch

    return torch.float64
