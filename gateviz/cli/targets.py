"""The gradient-target flags shared by ``gateviz trace`` and ``gateviz export``.

    --target-step T      the step t* whose output y is (default: the last step)
    --target-class K     the head's class K (softmax: log p(K)) or output K, instead of the
                         predicted class / the sum of the outputs
    --target-unit L.D.U  that unit's hidden state at t* instead of the head
"""

from __future__ import annotations

import argparse


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-step", type=int, metavar="T",
                        help="gradients of the output at step T (default: the last step; negative counts from the end)")
    parser.add_argument("--target-class", type=int, metavar="K",
                        help="the head's class K (softmax: its log-probability) or output K (default: the predicted "
                             "class, or the sum of the head's outputs)")
    parser.add_argument("--target-unit", metavar="L.D.U",
                        help="gradients of one unit's hidden state instead, e.g. 0.forward.8")


def wants_target(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) is not None for name in ("target_step", "target_class", "target_unit"))


def target_from_args(args: argparse.Namespace):
    """The GradientTarget the flags describe (checked against the model later, by compute_gradients)."""
    from gateviz.core.gradients import GradientTarget

    unit = None if args.target_unit is None else GradientTarget.parse_unit(args.target_unit)
    return GradientTarget(step=args.target_step, output=args.target_class, unit=unit)
