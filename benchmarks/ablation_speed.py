"""How fast is an ablation (every unit silenced in turn), next to one plain trace of the same batch?

    python benchmarks/ablation_speed.py [--repeat N] [--threads 2]

``gateviz.core.ablation.ablate`` runs all units as one batched trace: copy 0 of the input is the
baseline and copy 1 + u silences unit u (h and c set to 0 at every step) through per-sequence
edit masks. Target (issue 13): all 128 units of the bundled text-lstm on a 200-character input
in ≤ 2 s on 2 cores. Also timed: the brackets-lstm task ablation (16 units over 256 held-out
strings of 48 steps, scored by depth accuracy). Printed: the best and median of N runs, and the
ratio to one plain trace (no edits) of the same batch — what the per-unit edits and the scoring
add on top of tracing (129 × 200 and 17 × 256 sequences).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gateviz.bundled import load_bundled  # noqa: E402
from gateviz.core.ablation import ablate  # noqa: E402
from gateviz.core.engine import Tracer, encode_sequence  # noqa: E402
from gateviz.tasks import get_task_for_model  # noqa: E402

TARGET_S = 2.0
TEXT_CHARS = 200


def text_input(model) -> str:
    """200 characters of the text task's sample passages (code), in the model's vocabulary."""
    task = get_task_for_model(model)
    text = "".join(s.sequence for s in task.samples())
    return text[:TEXT_CHARS]


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm up (weights prepared, task data generated)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{args.threads} torch thread(s), best / median of {args.repeat} (target ≤ {TARGET_S:.0f} s for text-lstm)")
    print(f"{'case':52s} {'best s':>7s} {'median':>7s} {'plain trace':>11s} {'ratio':>6s}")

    text_model = load_bundled("text-lstm")
    text = text_input(text_model)
    assert len(text) == TEXT_CHARS
    brackets = load_bundled("brackets-lstm")
    brackets_task = get_task_for_model(brackets)
    tokens, _ = brackets_task.test_set()
    cases = [
        (f"text-lstm, 128 units, {TEXT_CHARS}-char input", text_model, text, None,
         encode_sequence(text_model, text)[1], 129),
        ("brackets-lstm, 16 units, task (256 held-out x 48)", brackets, None, brackets_task, tokens[:256], 17),
    ]
    for label, model, sequence, task, base, copies in cases:
        tracer = Tracer(model)
        result = None

        def run():
            nonlocal result
            result = ablate(model, sequence, task=task, tracer=tracer)

        times = timed(run, args.repeat)
        batch = np.concatenate([base] * copies, axis=0)  # the same batch, no edits
        plain = timed(lambda: tracer.trace(batch), args.repeat)
        flag = "  over target" if "text" in label and min(times) > TARGET_S else ""
        print(f"{label:52s} {min(times):7.3f} {np.median(times):7.3f} {min(plain):11.3f} "
              f"{min(times) / min(plain):5.2f}×{flag}")
        top = result.ranking()[:5]
        print(f"    {result.measure_label}: top units {[result.row_label(r) for r in top]}")


if __name__ == "__main__":
    main()
