"""``--clamp SPEC`` (repeatable), shared by ``gateviz trace`` and ``gateviz export`` (issue 13).

    --clamp 'layer0.forward.forget_gate[8]=0@10:'   replace a quantity of some units over some steps
                                                    inside the computation (gateviz.core.interventions)

The specs are parsed before anything is loaded, so a malformed one fails at once; they are checked
against the model and the input's length when the input is traced.
"""

from __future__ import annotations

import argparse


def add_clamp_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clamp", action="append", metavar="SPEC", default=None,
                        help="intervene: layer{k}.{direction}.{quantity}[{units}]={value}@{steps}, e.g. "
                             "'layer0.forward.forget_gate[8]=0@10:' (units 8 | 3,5,8 | 8-11 | *; value 0.5 (set), "
                             "*0.5 (scale), +0.2 (add); steps 10: | :20 | 10:20 | 15, left out = every step); "
                             "repeatable, applied in order")


def clamps_from_args(args: argparse.Namespace) -> list:
    """The parsed Interventions (InterventionError, one line, for a malformed spec)."""
    from gateviz.core.interventions import parse_all

    return parse_all(getattr(args, "clamp", None))
