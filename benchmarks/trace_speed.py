"""How much slower is a full gate trace than torch's own fused forward?

    python benchmarks/trace_speed.py [--device cuda] [--repeat N] [--cells lstm,gru] [--quick]

For each cell and shape: torch's native forward (the same nn.LSTM/GRU module, no_grad),
the full trace (``Tracer.trace``: input checks, the gates of every step, the cell state,
arrays handed back as numpy), each the best of N interleaved runs, and their ratio.
Targets (issue 2): ratio <= 1.5 for the two middle shapes, <= 2.5 for T=100000.
The machine is shared and noisy: run it more than once.
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

# (T, batch, hidden, inputs, target ratio)
SHAPES = [
    (1000, 1, 64, 1, None),
    (2000, 1, 256, 32, 1.5),
    (200, 64, 128, 28, 1.5),
    (100000, 1, 128, 8, 2.5),
]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: torch.device) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call."""
    _sync(device)
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    _sync(device)
    return time.perf_counter() - w0, time.process_time() - c0


def measure(cell: str, T: int, N: int, H: int, I: int, device: torch.device, repeat: int) -> dict[str, float]:
    torch.manual_seed(0)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    module = cls(I, H).eval()
    x = np.random.default_rng(0).standard_normal((N, T, I) if N > 1 else (T, I)).astype(np.float32)
    model = RecurrentModel(layers=layers_from_module(module), input=InputStage("raw", features=I)).validate()
    tracer = Tracer(model, device=device)
    module.to(device)
    xt = torch.as_tensor(x, device=device)
    xt = (xt.transpose(0, 1) if N > 1 else xt[:, None]).contiguous()  # (T, N, I), as the engine feeds it

    def native():
        with torch.no_grad():
            module(xt)

    def full_trace():
        tracer.trace(x)

    native()  # warm-up (allocator, oneDNN/cuDNN plans)
    full_trace()
    # Interleaved, so both see the same machine load; the best of each is the least disturbed.
    runs = [(timed(native, device), timed(full_trace, device)) for _ in range(repeat)]
    return {
        "native": min(n[0] for n, _ in runs), "trace": min(t[0] for _, t in runs),
        "native_cpu": min(n[1] for n, _ in runs), "trace_cpu": min(t[1] for _, t in runs),
        "paired": float(np.median([t[0] / n[0] for n, t in runs])),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--repeat", type=int, default=15, help="runs of each, interleaved (default 15)")
    parser.add_argument("--cells", default="lstm,gru")
    parser.add_argument("--quick", action="store_true", help="skip T=100000")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for BOTH the native forward and the trace (a measurement condition, "
                             "e.g. 1 for steadier numbers on a shared machine; default: torch's own choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here", file=sys.stderr)
        return 2
    print(f"device {device}{' (' + torch.cuda.get_device_name() + ')' if device.type == 'cuda' else ''}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, best of {args.repeat}")
    print(f"{'cell':5} {'T':>7} {'batch':>5} {'H':>4} {'in':>3}  {'native ms':>10} {'trace ms':>10} {'ratio':>6}"
          f"  {'paired':>6} {'cpu ratio':>9}  target")
    ok = True
    for cell in args.cells.split(","):
        for T, N, H, I, target in SHAPES:
            if args.quick and T > 10000:
                continue
            repeat = max(1, args.repeat if T <= 10000 else min(args.repeat, 3))
            m = measure(cell, T, N, H, I, device, repeat)
            ratio = m["trace"] / m["native"]
            verdict = "" if target is None else (f"<= {target}  " + ("ok" if ratio <= target else "MISSED"))
            ok &= target is None or ratio <= target
            print(f"{cell:5} {T:>7} {N:>5} {H:>4} {I:>3}  {m['native'] * 1e3:>10.2f} {m['trace'] * 1e3:>10.2f} "
                  f"{ratio:>6.2f}  {m['paired']:>6.2f} {m['trace_cpu'] / m['native_cpu']:>9.2f}  {verdict}", flush=True)
    print("ratio = best trace / best native (wall clock); paired = median of per-run ratios; "
          "cpu ratio = the same with process CPU time, steadier on a busy machine")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
