"""The app's first trace ships with the bundle (issue 17): the default model on its default sample,
shown without importing torch. It must be what the engine computes today: every state exactly, the
head's output to within the few ulps torch's CPU kernels differ by from one processor to another."""

from __future__ import annotations

import numpy as np
import pytest

from gateviz.bundled import default_bundled, default_sample, load_bundled, startup_trace
from gateviz.core.engine import Tracer


def test_the_shipped_trace_is_the_engines_trace_exactly():
    entry = default_bundled()
    model = load_bundled(entry.name)
    sequence = default_sample(model).sequence
    shipped = startup_trace(entry.name, sequence)
    assert shipped is not None, "run scripts/train_bundled.py --startup-trace"
    fresh = Tracer(model).trace(sequence)
    assert shipped.meta == fresh.meta and shipped.cell == fresh.cell
    assert shipped.states.keys() == fresh.states.keys()
    for key, quantities in fresh.states.items():
        assert list(shipped.states[key]) == list(quantities)
        for q, values in quantities.items():
            np.testing.assert_array_equal(shipped.states[key][q], values, err_msg=f"{key} {q}")
    for name in ("inputs", "tokens"):
        a, b = getattr(shipped, name), getattr(fresh, name)
        assert (a is None) == (b is None), name
        if b is not None:
            np.testing.assert_array_equal(a, b, err_msg=name)
    # the head's softmax is torch's vectorised exp, chosen for the CPU it runs on (AVX2 or AVX-512):
    # the file written on one machine's CPU and a fresh trace on an AMD EPYC's differ there by up to
    # 3 float32 ulps (3.6e-7 relative), the recurrent states not at all
    assert (shipped.output is None) == (fresh.output is None)
    if fresh.output is not None:
        np.testing.assert_allclose(shipped.output, fresh.output, rtol=8 * np.finfo(np.float32).eps, atol=0,
                                   err_msg="output")


def test_it_is_used_only_for_that_model_file_and_input(tmp_path, monkeypatch):
    entry = default_bundled()
    model = load_bundled(entry.name)
    sequence = default_sample(model).sequence
    other = sequence[:-1] if isinstance(sequence, str) else sequence[:-1]
    assert startup_trace(entry.name, other) is None, "another input is traced as usual"
    changed = tmp_path / entry.path.name
    changed.write_bytes(entry.path.read_bytes() + b" ")
    from gateviz import bundled

    monkeypatch.setattr(bundled, "get_bundled", lambda name: type(entry)(**{**entry.__dict__, "path": changed}))
    assert startup_trace(entry.name, sequence) is None, "a changed model file is traced as usual"


def test_the_window_opens_on_it_without_tracing(monkeypatch):
    from gateviz.ui import workers

    def no_tracing(*args, **kwargs):
        raise AssertionError("the start-up model was traced instead of using the shipped trace")

    monkeypatch.setattr(workers, "trace_model", no_tracing)
    spec = workers.startup_model_spec()
    loaded = workers.load_and_trace(spec)
    assert loaded.trace.length == len(loaded.sequence)
    assert loaded.story_units, "the story's units are pinned as before"
    with pytest.raises(AssertionError):  # any other input is traced
        workers.load_and_trace(spec, sequence=loaded.sequence[:-1])
