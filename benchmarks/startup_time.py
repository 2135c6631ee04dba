"""Time from launching `python main.py` to the first paint and to the first traced model.

Runs the app offscreen in a fresh process (cold Python, warm disk cache), N times, and
prints each run and the median. Target (issue 4): first paint within 1.5 s.

    python benchmarks/startup_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run() -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               GATEVIZ_STARTUP_EXIT="1", GATEVIZ_SETTINGS_DIR=tempfile.mkdtemp(prefix="gateviz-startup-"))
    env["GATEVIZ_STARTUP_T0"] = repr(time.time())
    out = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    paint = re.search(r"first paint ([\d.]+) s", out.stderr)
    ready = re.search(r"model traced and shown ([\d.]+) s", out.stderr)
    if not paint or not ready:
        raise SystemExit(f"the app did not report its start-up times (exit {out.returncode}):\n{out.stderr}")
    return float(paint.group(1)), float(ready.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    paints, readies = [], []
    for k in range(args.runs):
        paint, ready = one_run()
        paints.append(paint)
        readies.append(ready)
        print(f"run {k + 1}: first paint {paint:.3f} s, model traced and shown {ready:.3f} s")
    print(f"median: first paint {statistics.median(paints):.3f} s (target <= 1.5 s), "
          f"model traced and shown {statistics.median(readies):.3f} s")


if __name__ == "__main__":
    main()
