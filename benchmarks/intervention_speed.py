"""How fast is a re-trace with an intervention, next to a plain trace and torch's own forward?

    python benchmarks/intervention_speed.py [--repeat N] [--threads 2]

A clamp sends the intervened layer through the engine's step loop (each quantity is replaced
where it is computed, so the fused kernels cannot be used for that layer); the other layers keep
their fast paths. Target (issue 13): a 256-unit LSTM over 1,000 steps with an intervention
re-traces in ≤ 150 ms on 2 cores. Printed: the best and median of N runs, in ms, and the ratio to
torch's native nn.LSTM/GRU/RNN forward of the same sequence (the floor every trace is measured
against).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gateviz.core.engine import Tracer  # noqa: E402
from tests.reference import random_model  # noqa: E402

TARGET_MS = 150.0
STEPS, UNITS, INPUTS = 1000, 256, 8

CASES = [  # (label, random_model kwargs, interventions)
    ("LSTM 256, plain trace", dict(cell="lstm"), []),
    ("LSTM 256, f[8]=0 from step 10", dict(cell="lstm"), ["layer0.forward.forget_gate[8]=0@10:"]),
    ("LSTM 256, silence unit 8 (h, c)", dict(cell="lstm"),
     ["layer0.forward.hidden_state[8]=0", "layer0.forward.cell_state[8]=0"]),
    ("LSTM 256, h[*]=*0.5", dict(cell="lstm"), ["layer0.forward.hidden_state[*]=*0.5"]),
    ("GRU 256, z[*]=1 from step 500", dict(cell="gru"), ["layer0.forward.update_gate[*]=1@500:"]),
    ("RNN 256, h[3,5,8]=0", dict(cell="rnn"), ["layer0.forward.hidden_state[3,5,8]=0"]),
    ("LSTM 2x256, layer 0 f[8]=0", dict(cell="lstm", units=(256, 256)), ["layer0.forward.forget_gate[8]=0@10:"]),
    ("LSTM 256 peepholes, f[8]=0", dict(cell="lstm", peepholes=True), ["layer0.forward.forget_gate[8]=0@10:"]),
]


def native_forward(model, x: np.ndarray) -> float:
    """Seconds of torch's own forward for the same layers (one sequence), best of 3."""
    tracer = Tracer(model)
    xt = torch.as_tensor(x, dtype=torch.float32)[:, None]  # (T, 1, F)
    mods = [tracer._native_module(k) for k in range(len(model.layers))]
    best = float("inf")
    with torch.no_grad():
        for _ in range(3):
            t0 = time.perf_counter()
            h = xt
            for mod in mods:
                h = mod(h)[0]
            best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x = np.random.default_rng(0).standard_normal((STEPS, INPUTS)).astype(np.float32)
    print(f"{STEPS} steps, {args.threads} threads, best / median of {args.repeat} (target ≤ {TARGET_MS:.0f} ms)")
    print(f"{'case':38s} {'best ms':>8s} {'median':>8s} {'× native':>9s}")
    for label, kw, specs in CASES:
        kw = {"units": (UNITS,), **kw}
        model = random_model(0, input_size=INPUTS, **kw)
        tracer = Tracer(model)
        tracer.trace(x, interventions=specs)  # warm up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            tracer.trace(x, interventions=specs)
            times.append(time.perf_counter() - t0)
        plain_cell = not kw.get("peepholes")
        ratio = f"{min(times) / native_forward(model, x):8.2f}×" if plain_cell else "       -"
        flag = "" if not specs or min(times) * 1000 <= TARGET_MS else "  over target"
        print(f"{label:38s} {min(times) * 1000:8.1f} {np.median(times) * 1000:8.1f} {ratio}{flag}")


if __name__ == "__main__":
    main()
