"""glibc's heap kept warm for a trace's large temporaries (issue 17, ``core.heap``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from gateviz.core import heap

# A fresh process traces one sequence through LSTM(1024) (28 MB workspaces, three calls a trace) and
# prints the page faults of its last three traces; HEAP_WARM=0 leaves glibc's thresholds alone
_PROBE = textwrap.dedent("""
    import json, os, resource, sys
    import numpy as np, torch
    from gateviz.core import heap
    if os.environ["HEAP_WARM"] == "0":
        heap._done = False  # as if the thresholds had been set: they are not
    from gateviz.core.engine import Tracer
    from gateviz.core.model import InputStage, RecurrentModel
    from gateviz.formats.torch_state import layers_from_module
    torch.manual_seed(0)
    model = RecurrentModel(layers_from_module(torch.nn.LSTM(32, 1024)), InputStage("raw", features=32)).validate()
    x = np.random.default_rng(0).standard_normal((1000, 32)).astype("float32")
    tracer = Tracer(model)
    tracer.trace(x)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        tracer.trace(x)
    print(json.dumps({"faults": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3,
                      "warm": heap._done}))
""")


def _faults(warm: bool) -> dict:
    env = dict(os.environ, HEAP_WARM="1" if warm else "0", OMP_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_a_warm_heap_reuses_the_workspaces_memory():
    """Before, every 28 MB workspace was mapped afresh and faulted in page by page (~15,000 faults per
    trace here, the largest part of them); with the thresholds fixed the workspaces reuse the heap
    and what faults is the trace's own new arrays."""
    cold, warm = _faults(False), _faults(True)
    assert warm["warm"] is True and cold["warm"] is False
    assert warm["faults"] < 0.5 * cold["faults"], (cold, warm)


def test_set_once_and_nothing_is_changed_elsewhere(monkeypatch):
    first = heap.keep_heap_warm()
    assert heap.keep_heap_warm() is first  # once per process
    monkeypatch.setattr(sys, "platform", "darwin")
    assert heap._set_thresholds() is False
