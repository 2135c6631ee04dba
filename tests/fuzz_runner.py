"""Run the fuzz corpus's cases, each in a forked child, and record how each one ended.

    python tests/fuzz_runner.py MANIFEST.json RESULTS.json [--timeout S] [--jobs N]

The parent imports torch, Qt and every reader once; each run is then a cheap ``os.fork`` whose
child calls ``gateviz.cli.main(argv)`` (or, for the app's open path, ``load_and_trace``) under
limits the parent cannot be hurt by: an address-space cap (RLIMIT_AS), a wall-clock alarm, its
stdout and stderr (file descriptors 1 and 2, so C libraries' output too) in files, and an audit
hook that lists every file Python opens. A segfault, a hang or an allocation past the cap ends
only that child. inotify watches the decoy files that hostile cases name (outside every case's
folder), so a read by C code (HDF5, protobuf) that the audit hook cannot see is still caught.

Each run's record: rc (exit status, or -signal), hung, seconds, max_rss_mb (the child's peak,
which starts at the parent's RSS: fork shares its pages), growth_mb (peak minus the parent's RSS),
stdout/stderr (first 4000 characters), opened (files outside the allowed places), decoys_opened.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import signal
import struct
import sys
import sysconfig
import tempfile
import time

MB = 1 << 20


# --------------------------------------------------------------------------- inotify on the decoys

class DecoyWatch:
    """IN_OPEN/IN_ACCESS events on the decoy files; None when inotify is not available."""

    IN_ACCESS, IN_OPEN, IN_NONBLOCK = 0x1, 0x20, 0x800

    def __init__(self, paths: list[str]):
        self.fd, self.watches = -1, {}
        if not paths or not sys.platform.startswith("linux"):
            return
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(self.IN_NONBLOCK)
        if self.fd < 0:
            return
        for p in paths:
            wd = libc.inotify_add_watch(self.fd, os.fsencode(p), self.IN_OPEN | self.IN_ACCESS)
            if wd >= 0:
                self.watches[wd] = p

    def drain(self) -> list[str]:
        """Decoys opened since the last call."""
        if self.fd < 0:
            return []
        seen = set()
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            pos = 0
            while pos + 16 <= len(data):
                wd, _mask, _cookie, length = struct.unpack_from("iIII", data, pos)
                seen.add(self.watches.get(wd, f"wd{wd}"))
                pos += 16 + length
        return sorted(seen)


# --------------------------------------------------------------------------- where reads are allowed

def _system_places() -> tuple[str, ...]:
    """Files any run may open: the interpreter, the installed packages, gateviz itself, the kernel's
    pseudo files, system data (fonts, locale), Python's and torch's caches."""
    import gateviz

    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__),
              os.path.dirname(os.path.dirname(gateviz.__file__)), "/proc", "/sys", "/dev", "/usr", "/etc",
              "/lib", "/lib64", os.path.expanduser("~/.cache"), os.path.expanduser("~/.config")}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        places.add(sysconfig.get_paths()[key])
    for env in ("GATEVIZ_SETTINGS_DIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
                "MPLCONFIGDIR", "TORCH_HOME"):
        if os.environ.get(env):
            places.add(os.environ[env])
    return tuple(os.path.realpath(p) + os.sep for p in places if p)


def _inside(path: str, places) -> bool:
    return any((path + os.sep).startswith(p) for p in places)


# --------------------------------------------------------------------------- one run, in the child

def _child(run: dict, out_dir: str, limit_as: int, timeout: float) -> None:
    """Never returns: runs one command and leaves through os._exit."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # a hang ends by SIGALRM, even inside C code
    signal.setitimer(signal.ITIMER_REAL, timeout)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(os.path.join(out_dir, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
    opened: list[str] = []

    def audit(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(audit)
    rc = 1
    try:
        if run["command"] == "app":
            rc = _app_open(run)
        elif run["command"] == "selftest":  # the harness's own test: code that crashes, hangs, allocates
            exec(run["code"], {})
            rc = 0
        else:
            from gateviz.cli import main

            rc = int(main(run["argv"]) or 0)
    except SystemExit as e:  # argparse
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001 - anything that escapes main is a finding
        import traceback

        traceback.print_exc()
        rc = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            with open(os.path.join(out_dir, "opened.json"), "w") as f:
                json.dump(sorted(set(opened)), f)
        except BaseException:  # noqa: BLE001
            pass
    os._exit(rc & 0xFF)


def _app_open(run: dict) -> int:
    """The app's open path without a window: what the worker thread runs for File ▸ Open (model
    alone) or for a model and an input; a failure is reported as the app's dialog would word it."""
    from gateviz.core.errors import GatevizError
    from gateviz.ui.errors import describe_exception
    from gateviz.ui.workers import load_and_trace

    try:
        load_and_trace(run["model"], run.get("input"))
    except GatevizError as exc:
        print(f"gateviz: error: {describe_exception(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the dialog would say "unexpected ..."; show where
        import traceback

        traceback.print_exc()
        print(f"gateviz: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- the parent

def _preload() -> None:
    """Import what every run needs once, before forking (each child then starts warm)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)  # no OpenMP pool in the parent: a forked child must not inherit one
    import gateviz.cli
    import gateviz.formats as formats

    for name in ("export_cmd", "info_cmd", "trace_cmd"):
        __import__(f"gateviz.cli.{name}")
    for name in ("pytorch", "sequences", "keras_reader", "onnx_reader", "gateviz_file"):
        try:
            __import__(f"gateviz.formats.{name}")
        except ImportError:
            pass
    import gateviz.ui.workers  # noqa: F401
    import gateviz.ui.errors  # noqa: F401
    import gateviz.export.headless  # noqa: F401
    try:
        import gateviz.export.figure  # noqa: F401  (pyqtgraph, the panels)
    except ImportError:
        pass
    del formats, gateviz


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _read(path: str, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def run_all(manifest: dict, timeout: float, extra_as: int, jobs: int, progress=None) -> dict:
    _preload()
    places = _system_places()
    watch = DecoyWatch(manifest.get("decoys", []))
    base_rss, base_vm = _rss(), _vm_size()
    limit_as = base_vm + extra_as
    scratch = tempfile.mkdtemp(prefix="gateviz-fuzz-runs-")
    runs = manifest["runs"]
    results: list[dict | None] = [None] * len(runs)
    active: dict[int, tuple[int, float, str]] = {}  # pid -> (index, start, out_dir)
    started_all = time.monotonic()
    next_index = 0
    seen_decoys: dict[int, set] = {}

    def finish(pid: int, status: int, usage) -> None:
        index, start, out_dir = active.pop(pid)
        run = runs[index]
        rc = os.waitstatus_to_exitcode(status)
        try:
            with open(os.path.join(out_dir, "opened.json")) as f:
                opened = json.load(f)
        except (OSError, ValueError):
            opened = []
        allowed = tuple(os.path.realpath(p) + os.sep for p in [*run.get("allowed", []), out_dir]) + places
        own = {os.path.realpath(p) for p in run.get("files", [])}
        outside = sorted({p for p in (os.path.realpath(o) for o in opened)
                          if p not in own and not _inside(p, allowed)})
        results[index] = {
            "id": run["id"], "case": run["case"], "fmt": run["fmt"], "command": run["command"],
            "rc": rc, "hung": rc == -signal.SIGALRM, "seconds": round(time.monotonic() - start, 3),
            "max_rss_mb": round(usage.ru_maxrss * 1024 / MB, 1),
            "growth_mb": round(max(0, usage.ru_maxrss * 1024 - base_rss) / MB, 1),
            "stdout": _read(os.path.join(out_dir, "stdout")), "stderr": _read(os.path.join(out_dir, "stderr")),
            "opened": outside,
            "written": [m for m in run.get("must_not_exist", []) if os.path.lexists(m)],
            "decoys_opened": [],
        }
        # a decoy's open event belongs to this run or one still running: the one that names it
        # (runs_for orders runs so that those running together are different cases, with different decoys)
        for decoy in watch.drain():
            for i in [index, *(a[0] for a in active.values())]:
                if decoy in runs[i].get("decoys", []):
                    seen_decoys.setdefault(i, set()).add(decoy)
        results[index]["decoys_opened"] = sorted(seen_decoys.get(index, ()))
        if progress:
            progress(index, results[index])

    while next_index < len(runs) or active:
        while next_index < len(runs) and len(active) < jobs:
            run = runs[next_index]
            out_dir = os.path.join(scratch, f"{next_index:05d}")
            os.makedirs(out_dir)
            for d in run.get("make_dirs", []):
                os.makedirs(d, exist_ok=True)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    _child(run, out_dir, limit_as, timeout)
                finally:
                    os._exit(99)
            active[pid] = (next_index, time.monotonic(), out_dir)
            next_index += 1
        pid, status, usage = os.wait4(-1, 0)
        if pid in active:
            finish(pid, status, usage)
    return {"results": results, "seconds": round(time.monotonic() - started_all, 1),
            "parent_rss_mb": round(base_rss / MB, 1), "limit_as_mb": round(limit_as / MB),
            "timeout_s": timeout, "jobs": jobs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    parser.add_argument("results")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per run (default 20)")
    parser.add_argument("--extra-mb", type=int, default=1536,
                        help="address space a run may add to the parent's (default 1536 MB)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    with open(args.manifest) as f:
        manifest = json.load(f)

    def show(index, r):
        if args.verbose:
            first = (r["stderr"].strip().splitlines() or [""])[0][:150]
            print(f"{index:4d} {r['case']:<40} {r['command']:<6} rc={r['rc']:<4} {r['seconds']:6.2f}s {first}",
                  flush=True)

    out = run_all(manifest, args.timeout, args.extra_mb * MB, max(1, args.jobs), show)
    with open(args.results, "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
