"""Peak memory of a long trace against the size of the trace's own arrays.

    python benchmarks/trace_memory.py [--steps 100000] [--units 256] [--inputs 8] [--cell lstm]

Runs the trace in a fresh subprocess and reads the kernel's resident-set peak
(/proc/self/status VmHWM, reset through /proc/self/clear_refs just before tracing), so
torch's own allocations count too (tracemalloc would only see Python objects).
Target (issue 2): T=100000, H=256, 1-layer LSTM peaks below 3x the trace arrays' bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np, torch
from gateviz.core.engine import Tracer
from gateviz.core.model import InputStage, RecurrentModel
from gateviz.formats.torch_state import layers_from_module

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024  # kB -> bytes
    raise KeyError(key)

T, H, I, cell = {steps}, {units}, {inputs}, {cell!r}
torch.manual_seed(0)
module = {{"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}}[cell](I, H)
model = RecurrentModel(layers=layers_from_module(module), input=InputStage("raw", features=I)).validate()
tracer = Tracer(model)
tracer.trace(np.zeros((50, I), np.float32))  # load kernels and libraries before measuring
x = np.random.default_rng(0).standard_normal((T, I)).astype(np.float32)
with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM to the current RSS
    fh.write("5")
before = status("VmRSS")
hwm_reset = status("VmHWM")
trace = tracer.trace(x)
peak = status("VmHWM")
print(json.dumps({{"before": before, "hwm_reset": hwm_reset, "peak": peak, "after": status("VmRSS"),
                  "trace_bytes": trace.nbytes, "input_bytes": x.nbytes}}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100000)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--cell", default="lstm", choices=("lstm", "gru"))
    args = parser.parse_args(argv)
    if not os.path.exists("/proc/self/clear_refs"):
        print("needs Linux /proc (VmHWM and clear_refs)", file=sys.stderr)
        return 2
    code = CHILD.format(root=ROOT, steps=args.steps, units=args.units, inputs=args.inputs, cell=args.cell)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    if r["hwm_reset"] > r["before"] * 1.05:
        print("warning: the kernel did not reset VmHWM; the peak includes start-up", file=sys.stderr)
    growth = r["peak"] - r["before"]
    mib = 1024 * 1024
    ratio = growth / r["trace_bytes"]
    print(f"{args.cell.upper()} T={args.steps} H={args.units} in={args.inputs}")
    print(f"trace arrays        {r['trace_bytes'] / mib:10.1f} MiB")
    print(f"RSS before tracing  {r['before'] / mib:10.1f} MiB")
    print(f"peak RSS growth     {growth / mib:10.1f} MiB")
    print(f"RSS kept after      {(r['after'] - r['before']) / mib:10.1f} MiB")
    print(f"peak growth / trace {ratio:10.2f}x   (target < 3x: {'ok' if ratio < 3 else 'MISSED'})")
    return 0 if ratio < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
