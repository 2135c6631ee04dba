"""``gateviz info MODEL``: what a model file holds (cell, layers, units, directions, input, head, task)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .models import MODEL_HELP, add_tf_options

    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument("--module", metavar="NAME", help="describe this recurrent module of several")
    parser.add_argument("--nonlinearity", choices=("tanh", "relu"), default="tanh",
                        help="a PyTorch nn.RNN's nonlinearity, which its weights do not record (default tanh)")
    parser.add_argument("--json", action="store_true", help="print the description as JSON")
    add_tf_options(parser)


def run(args: argparse.Namespace) -> int:
    import json

    from gateviz.formats import describe_modules, detect_format

    from .models import load_cli_model, tf_options

    if args.model.startswith("bundled:"):  # one model of gateviz's own, as trace and export take it
        if args.module:
            from gateviz.core.errors import FormatError

            raise FormatError(f"{args.model} is a bundled gateviz model holding one model; drop --module")
        fmt, modules = "bundled", []
    else:
        fmt = detect_format(args.model)
        modules = describe_modules(args.model)
    if len(modules) > 1 and not args.module:
        if args.json:
            print(json.dumps({"format": fmt, "modules": modules}))
            return 0
        print(f"{args.model} ({fmt}) holds {len(modules)} recurrent modules:")
        for line in modules:
            print(f"  {line}")
        print("choose one with --module NAME to see its details or trace it")
        return 0
    model = load_cli_model(args.model, module=args.module, nonlinearity=args.nonlinearity, options=tf_options(args))
    from gateviz.core.nonfinite import nonfinite_tensors

    bad = nonfinite_tensors(model)  # NaN/Inf weights poison whole gate arrays: name them
    if args.json:
        desc = model.describe()
        desc["format"] = fmt
        desc["nonfinite"] = [{"tensor": t.name, "nan": t.nan, "inf": t.inf, "size": t.size} for t in bad]
        desc["snapshots"] = [dict(s.info(), dtype=s.dtype) for s in getattr(model, "snapshots", None) or []]
        print(json.dumps(desc, indent=2))
        return 0
    units = ", ".join(str(layer.units) for layer in model.layers)
    directions = ", ".join("+".join(layer.direction_names()) for layer in model.layers)
    print(f"format:     {fmt}")
    print(f"cell:       {model.cell.upper()}, {len(model.layers)} layer(s), units {units}, directions {directions}, "
          f"input size {model.input_size}")
    for line in model.summary_lines():
        print(line)
    if model.initial_state_from:
        link = model.initial_state_from
        print(f"decoder:    starts from module {link['module']}'s final {', '.join(link['states'])}: trace, export "
              "or ablate it with --encoder-input FILE (that module's input)")
    snapshots = getattr(model, "snapshots", None) or []
    if snapshots:  # training snapshots (gateviz train --snapshots N): gateviz export --timelapse plays them
        dtypes = sorted({s.dtype for s in snapshots})
        print(f"snapshots:  {len(snapshots)} from training steps {snapshots[0].step} to {snapshots[-1].step} "
              f"({'/'.join(dtypes)} weights); gateviz export --timelapse plays them")
    if bad:
        print(f"NaN/Inf:    {len(bad)} tensor(s) hold NaN or Inf values (traced as they are: gates that read them turn NaN):")
        for t in bad:
            print(f"  {t.describe()}")
    if len(modules) > 1:
        print("modules in this file:")
        for line in modules:
            print(f"  {line}")
    return 0
