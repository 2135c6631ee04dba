"""Writing export files safely: never overwrite without being asked, never leave half a file.

Every exporter writes to a temporary sibling of the target (same folder, so the final
rename is atomic) and renames it into place only when the file is complete; a cancelled
or failed export leaves nothing behind. The temporary file is made private (0600) by
``mkstemp``; ``give_normal_mode`` sets the mode a plain ``open`` would have given it
(0666 less the umask, 0644 usually), or the mode of the file it replaces, before the rename.

A run that is killed (SIGKILL, a power cut) cannot delete its temporary file, so every
temporary file is named ``.gateviz-PID-XXXXXXXX.part.EXT`` (``temp_sibling``): the next run
that writes into the same folder removes those whose writer is gone (``sweep_leftovers``),
and a run that ends normally, by an exception, SIGINT, SIGTERM or SIGHUP removes its own
(and kills the encoders it started: ``track_process``) on the way out.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

from gateviz.core.errors import GatevizError


class ExportError(GatevizError):
    """An export the user asked for cannot be done (the file exists, a bad size or step, ...)."""


class ExportCancelled(Exception):
    """The user cancelled an export; nothing was written."""


def check_target(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """The target as a Path; ExportError when it exists (and overwrite is False) or cannot be written
    (checked by creating and deleting a temporary file beside it, which also sweeps leftovers)."""
    p = Path(path)
    if p.is_dir():
        raise ExportError(f"{p} is a folder; give a file name to export to")
    if p.exists() and not overwrite:
        raise ExportError(f"{p} already exists; choose another name or pass --force to overwrite it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {p}: the folder {parent} does not exist")
    try:  # try it: permissions, a read-only disk, a full one (os.access misses the last two, and root)
        release_temp(temp_sibling(p))
    except OSError as e:
        raise ExportError(f"cannot write {p} (the folder {parent}: {e.strerror or type(e).__name__}); "
                          "choose a folder you can write to") from None
    return p


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def give_normal_mode(tmp: str | os.PathLike, target: str | os.PathLike) -> None:
    """Give the temporary file ``tmp`` the permissions it should have as ``target``: the
    existing target's mode (overwriting keeps it), else 0666 less the umask, as ``open`` does."""
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    os.chmod(tmp, mode)


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``.

    On any exception (cancel included) the temporary file is removed and the target
    is left untouched.
    """
    target = check_target(path, overwrite=overwrite)
    tmp = temp_sibling(target)
    try:
        yield tmp
        if not overwrite and target.exists():  # appeared while we were writing
            raise ExportError(f"{target} appeared while exporting; not overwriting it")
        give_normal_mode(tmp, target)
        os.replace(tmp, target)
    finally:
        release_temp(tmp)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl+C (SIGINT) back while Qt paints: a KeyboardInterrupt raised inside a Python paint
    callback cannot unwind through Qt's C++ (PySide crashed with SIGSEGV reporting it); it is raised
    when the block ends instead. Does nothing off the main thread or where SIGINT has another handler."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


# ---------------------------------------------------------------- leftovers of killed runs

TEMP_PREFIX = ".gateviz-"
# ours: .gateviz-PID-XXXXXXXX.part.EXT (mkstemp's 8 random characters)
_OURS = re.compile(r"\.gateviz-(\d+)-[a-z0-9_]{8}\.part(\.[A-Za-z0-9]{1,8})?")
# written by gateviz before the pid was in the name: .gateviz-XXXXXXXX.gvm|.npz and
# .STEM.XXXXXXXX.part.EXT; removed only once older than STALE_AFTER_S
_LEGACY = re.compile(r"\.gateviz-[a-z0-9_]{8}\.(gvm|npz)|\..+\.[a-z0-9_]{8}\.part\.?[A-Za-z0-9]{1,8}")
STALE_AFTER_S = 60.0

_lock = threading.Lock()
_live_temps: set[str] = set()  # this process's temporary files, removed at exit
_live_processes: list = []  # encoders (subprocess.Popen) this process started, killed at exit
_atexit_installed = False
_signals_installed = False


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def is_stale(entry: os.DirEntry | Path) -> bool:
    """A temporary file of a gateviz run that is gone: named by our pattern, a plain file we own,
    its writer's pid dead (or our own pid reused, the file not ours), or, for the old pid-less
    names, untouched for a minute."""
    name = entry.name
    ours, legacy = _OURS.fullmatch(name), _LEGACY.fullmatch(name)
    if not (ours or legacy):
        return False
    try:
        st = os.lstat(entry.path if isinstance(entry, os.DirEntry) else entry)
    except OSError:
        return False
    import stat

    if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        return False
    if ours:
        pid = int(ours.group(1))
        if pid == os.getpid():  # a container reuses pids: ours only while we hold it
            with _lock:
                return os.path.abspath(entry) not in _live_temps
        return not _pid_alive(pid)
    return time.time() - st.st_mtime > STALE_AFTER_S


def sweep_leftovers(folder: str | os.PathLike) -> list[str]:
    """Remove the stale temporary files (``is_stale``) in ``folder``; their names. Never raises."""
    removed = []
    try:
        with os.scandir(folder or ".") as entries:
            for entry in entries:
                if entry.name.startswith(".") and is_stale(entry):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                        removed.append(entry.name)
    except OSError:
        pass
    return removed


def temp_sibling(target: str | os.PathLike, suffix: str | None = None) -> Path:
    """Create an empty private temporary file beside ``target`` (same folder, so the final rename
    is atomic), named ``.gateviz-PID-XXXXXXXX.part`` + ``suffix`` (default: the target's), after
    sweeping that folder of leftovers. Removed at exit unless ``release_temp`` came first."""
    target = Path(target)
    folder = str(target.parent) if str(target.parent) else "."
    sweep_leftovers(folder)
    _install_exit_hooks()
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-",
                                suffix=".part" + (target.suffix if suffix is None else suffix), dir=folder)
    os.close(fd)
    with _lock:
        _live_temps.add(os.path.abspath(name))
    return Path(name)


def release_temp(tmp: str | os.PathLike) -> None:
    """Delete ``tmp`` if it is still there (renamed into place: nothing to do) and forget it."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    with _lock:
        _live_temps.discard(os.path.abspath(tmp))


def track_process(process) -> None:
    """Kill ``process`` (an encoder) if this process exits or is terminated before it ends."""
    _install_exit_hooks()
    with _lock:
        _live_processes.append(process)


def untrack_process(process) -> None:
    with _lock:
        if process in _live_processes:
            _live_processes.remove(process)


def _clean_up_now() -> None:
    """Kill our encoders and delete our temporary files (at exit, on SIGTERM/SIGHUP)."""
    with _lock:
        processes, temps = list(_live_processes), list(_live_temps)
        _live_processes.clear()
        _live_temps.clear()
    for p in processes:
        with contextlib.suppress(Exception):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
    for name in temps:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _on_terminate(signum, frame) -> None:
    # clean up, then die of the same signal with its default action (the usual exit status)
    _clean_up_now()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_exit_hooks() -> None:
    """atexit covers normal ends, exceptions and Ctrl+C (a KeyboardInterrupt); SIGTERM and SIGHUP
    would end Python without it, so they get a handler, unless the program already set its own."""
    global _atexit_installed, _signals_installed
    if not _atexit_installed:
        _atexit_installed = True
        atexit.register(_clean_up_now)
    if _signals_installed or threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread: a later call sets them
    _signals_installed = True
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, _on_terminate)
