"""Leftovers and exits: temporary files of killed runs are swept, ffmpeg dies with its parent, train's
exit statuses, -o checked before training, --force keeps the mode, a mistyped command is not a model."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gateviz.export import files


def _default_sigint() -> None:
    # an ignored SIGINT is inherited across exec, and Python then never installs its Ctrl+C handler: in the
    # whole suite something left it ignored, and the interrupted export ran to the end (exit 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _gateviz(*args, cwd, **kw):
    return subprocess.Popen([sys.executable, "-m", "gateviz", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint, **kw)


def _children(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(d))
    return kids


def _state(pid: int):
    """(state letter, exit code) from /proc, or None once the process is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[-1])


def _wait_for_temp(folder, pattern=".gateviz-", size=50_000, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        found = [p for p in folder.iterdir() if p.name.startswith(pattern)]
        if found and found[0].stat().st_size >= size:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("the export never started writing")


needs_ffmpeg = pytest.mark.skipif(
    not sys.platform.startswith("linux") or subprocess.run([sys.executable, "-c", "import imageio_ffmpeg as f; "
                                                            "f.get_ffmpeg_exe()"]).returncode != 0,
    reason="needs Linux /proc and imageio-ffmpeg's ffmpeg")


@needs_ffmpeg
def test_a_killed_mp4_export_takes_ffmpeg_with_it_and_the_next_run_sweeps_its_file(tmp_path):
    proc = _gateviz("export", "bundled:sine-lstm", "-o", "x.mp4", "--size", "1280x720", cwd=tmp_path)
    tmp = _wait_for_temp(tmp_path)
    assert tmp.name.startswith(f".gateviz-{proc.pid}-") and tmp.name.endswith(".part.mp4")
    encoders = _children(proc.pid)
    assert encoders, "no ffmpeg child found"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    end = time.time() + 10
    while time.time() < end and any(_state(p) not in (None,) and _state(p)[0] != "Z" for p in encoders):
        time.sleep(0.05)
    for pid in encoders:
        state = _state(pid)
        assert state is None or state[0] == "Z", f"ffmpeg {pid} still running: {state}"
        if state is not None:
            assert state[1] & 0x7F == signal.SIGKILL  # killed with its parent (PR_SET_PDEATHSIG)
    assert tmp.exists() and not (tmp_path / "x.mp4").exists()  # SIGKILL leaves it: nothing can run
    done = subprocess.run([sys.executable, "-m", "gateviz", "export", "bundled:sine-lstm", "-o", "y.npz"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y.npz"]


@needs_ffmpeg
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)])
def test_an_interrupted_or_terminated_export_cleans_up_on_its_way_out(tmp_path, sig, status):
    # full HD and the first frames only: the signal must land in the frame loop, not after the last frame
    # (on a loaded machine ffmpeg's buffered output reached 50 kB only near the end of a 1280x720 export)
    proc = _gateviz("export", "bundled:sine-lstm", "-o", "x.mp4", "--size", "1920x1080", cwd=tmp_path)
    _wait_for_temp(tmp_path, size=1)
    encoders = _children(proc.pid)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err  # Ctrl+C: one line, 130 (it segfaulted inside a paint)
    assert "Traceback" not in err
    time.sleep(0.2)
    assert all(_state(p) is None or _state(p)[0] == "Z" for p in encoders)
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_only_stale_files_of_ours(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = time.time() - 3600
    made = {
        f".gateviz-{dead.pid}-abcdefgh.part.gvm": True,  # its writer is gone
        f".gateviz-{os.getppid()}-abcdefgh.part.png": False,  # its writer lives
        f".gateviz-{os.getpid()}-abcdefgh.part.npz": True,  # our pid, not our file: a reused pid
        ".gateviz-abcdefgh.gvm": True,  # the old pid-less name, an hour old
        ".slide.abcdefgh.part.png": True,
        "notes.part.mp4": False, ".notes.part.mp4": False, "model.gvm": False,
    }
    for name in made:
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (old, old))
    (tmp_path / ".gateviz-fresh123.npz").write_text("x")  # old-style but new: may be a live writer's
    os.symlink(tmp_path / "model.gvm", tmp_path / f".gateviz-{dead.pid}-zzzzzzzz.part.gvm")  # not a plain file
    removed = files.sweep_leftovers(tmp_path)
    assert sorted(removed) == sorted(n for n, stale in made.items() if stale)
    live = files.temp_sibling(tmp_path / "mine.gvm")  # ours, in use: a sweep (temp_sibling's own too) keeps it
    assert files.sweep_leftovers(tmp_path) == []
    assert live.exists() and (tmp_path / ".gateviz-fresh123.npz").exists()
    files.release_temp(live)
    assert not live.exists()


@pytest.fixture
def umask077():
    saved = os.umask(0o077)  # new files would be 0600: a replaced file must keep its own mode
    yield
    os.umask(saved)


def test_force_keeps_the_mode_of_every_kind_of_file_it_replaces(tmp_path, qapp, umask077):
    from gateviz.bundled import load_bundled
    from gateviz.cli import main
    from gateviz.formats.gateviz_file import save_model

    model = load_bundled("sine-lstm")
    save_model(model, tmp_path / "m.gvm")
    np.save(tmp_path / "seq.npy", np.sin(np.linspace(0, 6, 12))[:, None].astype(np.float32))
    jobs = {
        "m.gvm": lambda p: save_model(model, p, overwrite=True),
        "f.png": lambda p: main(["export", "bundled:sine-lstm", "-o", str(p), "--panel", "traces", "--force"]),
        "t.npz": lambda p: main(["trace", str(tmp_path / "m.gvm"), str(tmp_path / "seq.npy"), "-o", str(p),
                                 "--force"]),
        "a.gif": lambda p: main(["export", "bundled:sine-lstm", "-o", str(p), "--size", "120x90", "--range", "0:2",
                                 "--panel", "traces", "--force"]),
        "a.mp4": lambda p: main(["export", "bundled:sine-lstm", "-o", str(p), "--size", "120x90", "--range", "0:2",
                                 "--panel", "traces", "--force"]),
    }
    for name, job in jobs.items():
        target = tmp_path / name
        target.write_text("old")
        os.chmod(target, 0o644)
        assert job(target) in (0, target), name
        assert target.read_bytes() != b"old" and os.stat(target).st_mode & 0o777 == 0o644, name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("word, expected", [
    ("trcae", "'trcae' is neither a command (trace, info, train, export, ablate) nor a file; did you mean 'trace'?"),
    ("exprot", "did you mean 'export'?"),
    ("ablte", "'ablte' is neither a command (trace, info, train, export, ablate) nor a file; did you mean 'ablate'?"),
    ("missing.pt", "no such file: missing.pt"),
])
def test_a_mistyped_command_is_one_line_and_no_window(tmp_path, word, expected):
    proc = subprocess.run([sys.executable, "-m", "gateviz", word, "m.gvm"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and expected in lines[0], proc.stderr
    assert "PySide6" not in sys.modules or True  # the subprocess exits before Qt: no window, no hang


def test_train_checks_the_destination_before_training(tmp_path):
    (tmp_path / "taken.gvm").write_text("x")
    if os.geteuid() == 0:
        unwritable = "/proc/gateviz-test.gvm"  # root may write anywhere a folder's mode allows: not /proc
    else:
        (tmp_path / "ro").mkdir(mode=0o555)
        unwritable = str(tmp_path / "ro" / "m.gvm")
    for target, says in ((unwritable, f"cannot write {unwritable}"), ("taken.gvm", "taken.gvm exists; pass --force"),
                         ("nofolder/m.gvm", "the folder nofolder does not exist")):
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-m", "gateviz", "train", "sine", "-o", target, "--epochs", "50"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and says in lines[0], proc.stderr
        assert "training" not in proc.stderr and ".gateviz-" not in lines[0] and time.time() - t0 < 30


def test_train_stopped_by_ctrl_c_saves_and_exits_3(tmp_path):
    proc = _gateviz("train", "sine", "-o", "m.gvm", "--epochs", "500", cwd=tmp_path)
    # wait for the first progress line (a log, not a TTY: one line per evaluation)
    line = proc.stderr.readline()
    while line and "step" not in line:
        line = proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert "stopped early at step" in err and "exit status 3" in err
    from gateviz.formats.gateviz_file import load_gateviz_model

    model = load_gateviz_model(tmp_path / "m.gvm")
    assert 0 < model.task["trained_with"]["steps"] < 500 * 24
    assert [p.name for p in tmp_path.iterdir()] == ["m.gvm"]
