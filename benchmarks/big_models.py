"""Issue 17's table: big, deep and long models against torch's own fused forward.

    python benchmarks/big_models.py [--repeat N] [--rows 1,2,3,4] [--long]

Each row traces a model with ``Tracer.trace`` and runs the same torch module's forward
(``no_grad``), interleaved in one process so both see the same machine load; it prints the
best of each and their ratio against the issue's target. ``--long`` also traces an LSTM(128)
over 1.1M steps (T·H = 1.4e8: oneDNN refused one call that long; the engine now runs it in
chunks) and reports the time. Peak memory: ``python benchmarks/trace_memory.py --cell gru
--steps 1000000 --units 64`` (target ≤ 1.3x the trace's arrays).
The machine is shared and noisy: run it more than once, quietly if you can.
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
from gateviz.core.model import InputStage, RecurrentModel  # noqa: E402
from gateviz.formats.torch_state import layers_from_module  # noqa: E402

# (row, cell, layers, units, T, batch, threads or None, target ratio)
ROWS = [
    (1, "lstm", 2, 1024, 5000, 1, None, 1.5),
    (2, "gru", 2, 1024, 5000, 1, None, 1.3),
    (3, "lstm", 1, 1024, 2000, 1, 2, 1.5),
    (4, "lstm", 1, 128, 200, 64, None, 1.5),
]
INPUTS = 32


def _measure(cell: str, layers: int, units: int, T: int, N: int, repeat: int) -> tuple[float, float]:
    torch.manual_seed(0)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](INPUTS, units, num_layers=layers).eval()
    model = RecurrentModel(layers_from_module(module), InputStage("raw", features=INPUTS)).validate()
    x = np.random.default_rng(0).standard_normal((N, T, INPUTS) if N > 1 else (T, INPUTS)).astype(np.float32)
    xt = torch.as_tensor(x)
    xt = (xt.transpose(0, 1) if N > 1 else xt[:, None]).contiguous()  # (T, N, I) as the engine feeds it
    tracer = Tracer(model)

    def native():
        with torch.no_grad():
            module(xt)

    def traced():
        tracer.trace(x)

    native(), traced()  # warm-up: allocator, oneDNN primitives
    best_native = best_trace = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        native()
        t1 = time.perf_counter()
        traced()
        t2 = time.perf_counter()
        best_native, best_trace = min(best_native, t1 - t0), min(best_trace, t2 - t1)
    return best_native, best_trace


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", default="1,2,3,4")
    parser.add_argument("--long", action="store_true", help="also trace an LSTM(128) over 1.1M steps")
    args = parser.parse_args(argv)
    default_threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {default_threads} threads, best of {args.repeat} interleaved")
    print(f"{'row':>3} {'model':>16} {'T':>6} {'batch':>5} {'threads':>7} {'native ms':>10} {'trace ms':>9} {'ratio':>6}  target")
    ok = True
    wanted = {int(r) for r in args.rows.split(",")}
    for row, cell, layers, units, T, N, threads, target in ROWS:
        if row not in wanted:
            continue
        torch.set_num_threads(threads or default_threads)
        native, traced = _measure(cell, layers, units, T, N, args.repeat)
        ratio = traced / native
        ok &= ratio <= target
        print(f"{row:>3} {f'{layers}x{cell.upper()} {units}':>16} {T:>6} {N:>5} {torch.get_num_threads():>7} "
              f"{native * 1e3:>10.1f} {traced * 1e3:>9.1f} {ratio:>6.2f}  <= {target} {'ok' if ratio <= target else 'MISSED'}",
              flush=True)
    torch.set_num_threads(default_threads)
    if args.long:
        torch.manual_seed(0)
        module = torch.nn.LSTM(1, 128)
        model = RecurrentModel(layers_from_module(module), InputStage("raw", features=1)).validate()
        x = np.random.default_rng(0).standard_normal((1_100_000, 1)).astype(np.float32)
        t0 = time.perf_counter()
        trace = Tracer(model).trace(x)
        print(f"longest: LSTM(128) over {trace.length:,} steps (T·H = {trace.length * 128:.2e}) traced in "
              f"{time.perf_counter() - t0:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
