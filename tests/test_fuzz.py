"""Issue 11's fuzz test: every malformed or hostile file ends cleanly, through the CLI and the app.

The corpus (fuzz_corpus.py, fuzz_hostile.py: ~560 files of every format, built once per session)
runs through ``gateviz info``, ``trace``, ``export`` and the app's open path (``load_and_trace``)
in fuzz_runner.py, one forked child per run, so a segfault or a hang ends only that run. A clean
outcome: exit 0 (a mutated file that is still valid), or exit 2 with exactly one stderr line
``gateviz: error: ...`` that is not the catch-all ``unexpected <Exception>`` (``gateviz: warning:``
and ``note:`` lines may come with either); no signal, no hang past the time limit, no file opened
outside the case's own folder (and the interpreter's, the packages', the system's), no decoy a
hostile file names read, nothing written where a zip member or pickle pointed, and memory within
an address-space cap (the child's RLIMIT_AS; an allocation past it is a MemoryError, not clean).
A sample of ~20 cases also opens in the real main window.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RUN_TIMEOUT_S = 20  # per run: a clean refusal takes well under a second, a valid export about two
TOTAL_TIMEOUT_S = 900
EXPORT_EVERY = 3  # mutated cases export every third (a valid export costs ~0.5 s); hand-written ones all
EXTRA_AS_MB = 1536  # address space a run may use beyond the parent's (torch + Qt + readers: ~0.8 GB)
# the catch-all's "unexpected KeyError: ..." (also quoted inside another message, e.g. a guarded paint)
CATCH_ALL = re.compile(r"\bunexpected [A-Za-z_.]*(Error|Exception|Interrupt|Exit|Warning)\b")
ALLOWED_EXTRA = ("gateviz: warning:", "note:")


@pytest.fixture(scope="session")
def fuzz_manifest(tmp_path_factory):
    from fuzz_corpus import build_corpus

    started = time.monotonic()
    manifest = build_corpus(tmp_path_factory.mktemp("fuzz-corpus"))
    manifest["build_seconds"] = round(time.monotonic() - started, 1)
    return manifest


@pytest.fixture(scope="session")
def fuzz_results(fuzz_manifest, tmp_path_factory):
    from fuzz_corpus import runs_for

    folder = tmp_path_factory.mktemp("fuzz-runs")
    runs = folder / "runs.json"
    runs.write_text(json.dumps({"runs": runs_for(fuzz_manifest, export_every=EXPORT_EVERY),
                                "decoys": fuzz_manifest["decoys"]}))
    out = folder / "results.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("GATEVIZ_DEBUG", None)  # the catch-all must print its one line, not raise
    proc = subprocess.run([sys.executable, str(HERE / "fuzz_runner.py"), str(runs), str(out),
                           "--timeout", str(RUN_TIMEOUT_S), "--extra-mb", str(EXTRA_AS_MB),
                           "--jobs", str(min(2, os.cpu_count() or 1))],
                          env=env, capture_output=True, text=True, timeout=TOTAL_TIMEOUT_S)
    assert proc.returncode == 0, f"the fuzz runner itself failed:\n{proc.stderr[-3000:]}"
    return json.loads(out.read_text())


def outcome(r: dict) -> str | None:
    """None for a clean run, else why not (short, for grouping)."""
    lines = [line for line in r["stderr"].splitlines() if line.strip()]
    rest = [line for line in lines if not line.startswith(ALLOWED_EXTRA)]
    why = None
    if r["hung"]:
        why = f"hung (> {RUN_TIMEOUT_S} s)"
    elif r["rc"] < 0:
        why = f"killed by signal {-r['rc']}"
    elif "Traceback" in r["stderr"] or any(CATCH_ALL.search(line) for line in rest):
        found = next((m for m in (re.search(r"unexpected ([\w.]+)", line) for line in rest) if m), None)
        why = f"unexpected {found.group(1)}" if found else "traceback"
    elif r["rc"] == 0:
        why = None if not rest else "exit 0 with stray stderr"
    elif r["rc"] == 2:
        if len(rest) != 1 or not rest[0].startswith("gateviz: error: "):
            why = f"exit 2 with {len(rest)} stderr lines"
    else:
        why = f"exit status {r['rc']}"
    if r["opened"]:
        why = (why + "; " if why else "") + "opened a file outside"
    if r["decoys_opened"]:
        why = (why + "; " if why else "") + "read a decoy it names"
    if r["written"]:
        why = (why + "; " if why else "") + "wrote outside"
    return why


def _first_line(r: dict) -> str:
    lines = [line for line in r["stderr"].splitlines() if line.strip() and not line.startswith(ALLOWED_EXTRA)]
    hit = next((line for line in lines if line.startswith("gateviz: error:")), None)
    if hit is None and lines:
        hit = next((line for line in reversed(lines) if not line.startswith(" ")), lines[-1])
    text = (hit or "").replace(str(r.get("root", "")), "")
    return text[:150] + ("…" if len(text) > 150 else "")


def failure_report(results: dict) -> str:
    """A compact table of the unclean runs, then the same grouped by format and cause."""
    bad = [(r, why) for r in results["results"] if (why := outcome(r))]
    rows = [f"{r['case']:<38} {r['command']:<6} {why:<34} {_first_line(r)}"
            + (f" opened={r['opened'][:2]}" if r["opened"] else "") + (f" decoys={r['decoys_opened']}" if r["decoys_opened"] else "")
            for r, why in bad]
    groups = collections.Counter((r["fmt"], why) for r, why in bad)
    cases = collections.defaultdict(set)
    for r, why in bad:
        cases[(r["fmt"], why)].add(r["case"])
    summary = [f"{n:4d} runs ({len(cases[k])} cases) {k[0]}: {k[1]}" for k, n in sorted(groups.items())]
    return "\n".join([f"{len(bad)} of {len(results['results'])} runs did not end cleanly:", *rows, "", *summary])


def test_the_runner_catches_a_crash_a_hang_a_memory_blowup_and_a_read_outside(tmp_path):
    """The harness itself: each child's fate is recorded, the parent survives all of them."""
    secret = tmp_path / "decoy.txt"
    secret.write_text("secret")
    codes = {"segv": "import ctypes; ctypes.string_at(0)", "hang": "import time; time.sleep(60)",
             "memory": "x = bytearray(8 << 30)", "read": f"open({str(secret)!r}).read()",
             "write": f"open({str(tmp_path / 'pwned')!r}, 'w').close()", "clean": "print('fine')"}
    runs = [{"id": k, "case": k, "fmt": "selftest", "command": "selftest", "code": code, "files": [],
             "allowed": [], "decoys": [str(secret)], "must_not_exist": [str(tmp_path / "pwned")] if k == "write" else []}
            for k, code in codes.items()]
    (tmp_path / "runs.json").write_text(json.dumps({"runs": runs, "decoys": [str(secret)]}))
    subprocess.run([sys.executable, str(HERE / "fuzz_runner.py"), str(tmp_path / "runs.json"),
                    str(tmp_path / "out.json"), "--timeout", "3", "--jobs", "1"], check=True, timeout=120)
    got = {r["case"]: r for r in json.loads((tmp_path / "out.json").read_text())["results"]}
    assert got["segv"]["rc"] == -11 and outcome(got["segv"]) == "killed by signal 11"
    assert got["hang"]["hung"] and outcome(got["hang"]).startswith("hung")
    assert "MemoryError" in got["memory"]["stderr"] and outcome(got["memory"]) == "traceback"
    assert got["read"]["decoys_opened"] == [str(secret)] and got["read"]["opened"] == [str(secret)]
    assert got["write"]["written"] == [str(tmp_path / "pwned")]
    assert outcome(got["clean"]) is None and got["clean"]["stdout"] == "fine\n"


def test_the_corpus_covers_every_format_and_issue_11s_hostile_files(fuzz_manifest):
    cases = fuzz_manifest["cases"]
    names = {c["name"] for c in cases}
    assert len(cases) >= 300
    assert {c["fmt"] for c in cases} >= {"gvm", "pytorch", "safetensors", "keras", "onnx", "npy", "csv", "txt"}
    for name in ("gvm-nan-weight", "pt-missing-bias_hh_l0", "pt-string-among-tensors", "pt-nested-3000",
                 "onnx-cycle-transpose", "onnx-cycle-identity", "onnx-cycle-expand", "h5-external-link-h5",
                 "h5-soft-link-loop", "pt-zip-member-escapes", "keras-member-escapes", "keras-config-declared-3g",
                 "gvm-task-names-a-file", "gvm-unknown-input-kind", "gvm-vocab-longer-than-embedding",
                 "onnx-dims-negative", "onnx-direction-sideways", "npy-header-length-huge", "npy-shape-10m-steps",
                 "pt-complex-weight", "keras-config-deep", "onnx-sparse-3g", "csv-2g-rows"):
        assert name in names, name
    # decoys exist and are outside every case's folder
    for c in cases:
        for d in c["decoys"]:
            assert Path(d).exists() and not d.startswith(c["folder"] + os.sep), (c["name"], d)


def test_every_malformed_file_ends_cleanly_through_the_cli_and_the_app_open_path(fuzz_manifest, fuzz_results):
    results = fuzz_results
    assert len(results["results"]) == len({r["id"] for r in results["results"]}) >= 4 * 300 - 100
    for r in results["results"]:
        r["root"] = fuzz_manifest["root"]
    bad = [r for r in results["results"] if outcome(r)]
    stats = (f"{len(fuzz_manifest['cases'])} cases, {len(results['results'])} runs in {results['seconds']} s "
             f"(corpus built in {fuzz_manifest['build_seconds']} s), {results['jobs']} jobs, "
             f"address space capped at {results['limit_as_mb']} MB, largest growth "
             f"{max(r['growth_mb'] for r in results['results'])} MB")
    print(stats)
    assert not bad, stats + "\n" + failure_report(results)


# --------------------------------------------------------------------------- a sample through the real window

WINDOW_SAMPLE = (
    "gvm-saved-with-nan", "gvm-unknown-input-kind", "gvm-task-names-a-file", "gvm-vocab-longer-than-embedding",
    "gvm-model-a-list", "gvm-header-length-huge", "pt-nested-3000", "pt-string-among-tensors", "pt-missing-bias_hh_l0",
    "pt-pickle-runs-a-command", "st-shape-huge", "h5-external-link-h5", "h5-soft-link-loop", "h5-config-deep",
    "keras-config-declared-3g", "keras-member-escapes", "onnx-cycle-transpose", "onnx-direction-sideways",
    "onnx-dims-negative", "onnx-lstm-flip8x9", "pt-lstm-zip-trunc7", "h5-lstm-header-random",
)


def _sample(fuzz_manifest, fuzz_results) -> list[dict]:
    """The sample's cases whose app run in the runner neither crashed, hung nor ran out of memory (those
    fail the test above; in this process they would take pytest down with them)."""
    unsafe = {r["case"] for r in fuzz_results["results"] if r["command"] == "app" and
              (r["rc"] < 0 or r["hung"] or "MemoryError" in r["stderr"] or r["seconds"] > 10)}
    by_name = {c["name"]: c for c in fuzz_manifest["cases"]}
    return [by_name[n] for n in WINDOW_SAMPLE if n in by_name and n not in unsafe]


def test_a_sample_opens_in_the_main_window_with_a_dialog_and_leaves_it_usable(
        window, qtbot, monkeypatch, fuzz_manifest, fuzz_results):
    from app_helpers import WINDOW_WAIT_MS
    from gateviz.ui import errors, guard, window_loading

    monkeypatch.setattr(errors, "choose_module", lambda *a, **k: None)
    monkeypatch.setattr(window_loading, "ask_trace_shorter", lambda *a, **k: False)
    caught: list[str] = []

    def on_guard(where, message, first_time):
        caught.append(f"{where}: {message}")

    guard.add_listener(on_guard)
    app_ok = {r["case"]: r["rc"] == 0 for r in fuzz_results["results"] if r["command"] == "app"}
    sample = _sample(fuzz_manifest, fuzz_results)
    assert len(sample) >= 15
    problems = []
    try:
        for case in sample:
            events: list[str] = []
            ready = lambda: events.append("ready")  # noqa: E731
            failed = lambda message: events.append("failed")  # noqa: E731
            window.traceReady.connect(ready)
            window.loadFailed.connect(failed)
            before, caught_before = len(window.shown_errors), len(caught)
            try:
                window.open_model(case["model"])
                qtbot.waitUntil(lambda: bool(events), timeout=WINDOW_WAIT_MS)
                qtbot.wait(20)  # a NaN dialog comes through a zero timer
            finally:
                window.traceReady.disconnect(ready)
                window.loadFailed.disconnect(failed)
            shown = window.shown_errors[before:]
            if len(caught) > caught_before:
                problems.append(f"{case['name']}: an exception reached Qt: {caught[caught_before:]}")
            if events[0] == "failed":
                if app_ok.get(case["name"]):
                    problems.append(f"{case['name']}: the window failed where load_and_trace did not")
                if not shown or any("unexpected" in m.split("\n")[0][:60] for _, m in shown):
                    problems.append(f"{case['name']}: dialogs {shown}")
        # still usable: a valid model opens and traces
        with qtbot.waitSignal(window.traceReady, timeout=WINDOW_WAIT_MS):
            window.open_model(str(Path(fuzz_manifest["root"]) / "base" / "valid.gvm"))
        assert window.state.model is not None and window.state.trace is not None
        assert window.isVisible() and not window.runner.is_busy
    finally:
        guard.remove_listener(on_guard)
    assert not problems, "\n".join(problems)
