"""`--clamp SPEC` on `gateviz trace` and `gateviz export` (issue 13): the issue's own example changes
brackets-lstm's depth prediction after step 10 (and not before), the trace file records the
replaced values and the specs, pictures carry a caption and a title saying what was changed, and
bad specs or combinations get one line on stderr with exit status 2."""

import json

import numpy as np
import pytest
from cli_checks import error_line
from PIL import Image

from gateviz.bundled import default_sample, load_bundled
from gateviz.cli import main
from gateviz.core.engine import Tracer
from gateviz.core.trace import Trace
from gateviz.tasks import get_task_for_model

EXAMPLE = "layer0.forward.forget_gate[8]=0@10:"


def test_the_issue_example_changes_the_depth_prediction_after_step_10(tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert main(["trace", "bundled:brackets-lstm", "--clamp", EXAMPLE, "-o", str(out)]) == 0
    assert "with 1 intervention(s)" in capsys.readouterr().out
    clamped = Trace.load(out)
    assert clamped.meta["interventions"] == [EXAMPLE]
    f = clamped.get(0, "forward", "forget_gate")
    assert np.all(f[10:, 8] == 0) and np.all(f[:10, 8] > 0.5)

    model = load_bundled("brackets-lstm")
    task = get_task_for_model(model)
    sequence = default_sample(model).sequence
    original = Tracer(model).trace(sequence)
    before, after = task.decode(sequence, original, model), task.decode(sequence, clamped, model)
    depth = np.asarray(before["depth"])
    was, now = np.asarray(before["predicted"]), np.asarray(after["predicted"])
    assert np.array_equal(was[:10], now[:10])  # nothing changes before the clamp starts
    # measured: the model is right at all 27 steps from 10 on; with f[8] = 0 it is right at 13 of them,
    # off by up to 2 levels (the counting cell forgets what it counted)
    assert np.mean(was[10:] == depth[10:]) == 1.0
    assert np.mean(now[10:] == depth[10:]) < 0.6
    assert np.sum(was[10:] != now[10:]) >= 10 and np.abs(was - now).max() == 2


def test_several_clamps_apply_in_order_and_the_npz_export_holds_the_intervened_run(tmp_path):
    specs = ["layer0.forward.hidden_state[3]=0", "layer0.forward.cell_state[3]=0", "layer0.forward.input_gate[*]=*0.5@5:9"]
    out = tmp_path / "e.npz"
    args = ["export", "bundled:brackets-lstm", "-o", str(out)]
    for s in specs:
        args += ["--clamp", s]
    assert main(args) == 0
    got = Trace.load(out)
    assert got.meta["interventions"] == specs
    model = load_bundled("brackets-lstm")
    want = Tracer(model).trace(default_sample(model).sequence, interventions=specs)
    for q in ("input_gate", "cell_state", "hidden_state"):
        np.testing.assert_array_equal(got.get(0, "forward", q), want.get(0, "forward", q))
    assert np.all(got.get(0, "forward", "hidden_state")[:, 3] == 0)


def _caption_rows(path) -> int:
    """Rows near the top that hold the caption's orange (#D55E00) text."""
    a = np.asarray(Image.open(path).convert("RGB"), dtype=int)[:80]
    orange = (np.abs(a - np.array([0xD5, 0x5E, 0x00])).sum(axis=-1) < 60)
    return int(orange.any(axis=1).sum())


def test_a_clamped_figure_says_what_was_changed(tmp_path, capsys):
    plain, clamped = tmp_path / "plain.png", tmp_path / "clamped.png"
    assert main(["export", "bundled:brackets-lstm", "--panel", "cell", "-o", str(plain)]) == 0
    assert main(["export", "bundled:brackets-lstm", "--panel", "cell", "--clamp", EXAMPLE, "-o", str(clamped)]) == 0
    out = capsys.readouterr().out
    assert "intervened: forget gate f of unit 8 = 0 from step 10" in out
    title = Image.open(clamped).info["Title"]
    assert "Intervened: forget gate f of unit 8 = 0 from step 10" in title
    assert "Intervened" not in Image.open(plain).info["Title"]
    assert _caption_rows(clamped) >= 8 and _caption_rows(plain) == 0  # a line of text a room can read


def test_a_clamped_svg_carries_the_caption_as_text(tmp_path):
    out = tmp_path / "c.svg"
    assert main(["export", "bundled:brackets-lstm", "--panel", "traces", "--clamp", EXAMPLE, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Intervened: forget gate f of unit 8 = 0 from step 10" in text


@pytest.mark.parametrize("args, needles", [
    (["trace", "bundled:brackets-lstm", "--clamp", "layer0.forward.reset_gate[8]=0", "-o", "{out}.npz"],
     ["an LSTM has no reset_gate", "choose one of input_gate, forget_gate"]),
    (["trace", "bundled:brackets-lstm", "--clamp", "layer0.forward.forget_gate[99]=0", "-o", "{out}.npz"],
     ["unit 99 does not exist", "units 0..15"]),
    (["trace", "bundled:brackets-lstm", "--clamp", "layer0.forward.forget_gate[8]=0@500:", "-o", "{out}.npz"],
     ["step 500 is outside the sequence", "steps 0..36"]),
    (["trace", "bundled:brackets-lstm", "--clamp", "layer0.forward.forget_gate[8]", "-o", "{out}.npz"],
     ["cannot read the intervention", "layer0.forward.forget_gate[8]=0@10:"]),
    (["trace", "bundled:brackets-lstm", "--clamp", "layer1.forward.forget_gate[8]=0", "-o", "{out}.npz"],
     ["layer 1 does not exist", "layers 0..0"]),
    (["export", "bundled:brackets-lstm", "bundled:brackets-gru", "--panel", "compare", "--clamp", EXAMPLE,
      "-o", "{out}.png"], ["--panel compare shows models as they are"]),
])
def test_bad_clamps_get_one_line_and_status_2(tmp_path, capsys, args, needles):
    args = [a.replace("{out}", str(tmp_path / "out")) for a in args]
    assert main(args) == 2
    error_line(capsys, *needles)
    assert not list(tmp_path.iterdir())  # nothing written


def test_the_intervention_list_is_in_the_trace_meta_as_json(tmp_path):
    out = tmp_path / "t.npz"
    assert main(["trace", "bundled:brackets-lstm", "--clamp", "layer0.forward.hidden_state[3,5,8-11]=*0.5@:20",
                 "-o", str(out)]) == 0
    with np.load(out) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["interventions"] == ["layer0.forward.hidden_state[3,5,8-11]=*0.5@:20"]


def test_gradients_of_the_clamped_run(tmp_path):
    """--gradients with --clamp differentiates the network as it ran (clamps included)."""
    out = tmp_path / "g.npz"
    assert main(["trace", "bundled:brackets-lstm", "--clamp", EXAMPLE, "--gradients", "--target-step", "30",
                 "-o", str(out)]) == 0
    got = Trace.load(out)
    from gateviz.core.gradients import GradientTarget, compute_gradients

    model = load_bundled("brackets-lstm")
    trace = Tracer(model).trace(default_sample(model).sequence, interventions=[EXAMPLE])
    want = compute_gradients(model, trace, GradientTarget(step=30))
    np.testing.assert_array_equal(got.gradients.input, want.input)
    plain = compute_gradients(model, Tracer(model).trace(default_sample(model).sequence), GradientTarget(step=30))
    assert not np.allclose(want.input, plain.input)
