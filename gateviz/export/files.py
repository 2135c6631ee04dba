"""Writing export files safely: never overwrite without being asked, never leave half a file.

Every exporter writes to a temporary sibling of the target (same folder, so the final
rename is atomic) and renames it into place only when the file is complete; a cancelled
or failed export leaves nothing behind. The temporary file is made private (0600) by
``mkstemp``; ``give_normal_mode`` sets the mode a plain ``open`` would have given it
(0666 less the umask, 0644 usually), or the mode of the file it replaces, before the rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from gateviz.core.errors import GatevizError


class ExportError(GatevizError):
    """An export the user asked for cannot be done (the file exists, a bad size or step, ...)."""


class ExportCancelled(Exception):
    """The user cancelled an export; nothing was written."""


def check_target(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """The target as a Path; ExportError when it exists (and overwrite is False) or cannot be written."""
    p = Path(path)
    if p.is_dir():
        raise ExportError(f"{p} is a folder; give a file name to export to")
    if p.exists() and not overwrite:
        raise ExportError(f"{p} already exists; choose another name or pass --force to overwrite it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {p}: the folder {parent} does not exist")
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
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}",
                                    dir=str(target.parent) if str(target.parent) else ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not overwrite and target.exists():  # appeared while we were writing
            raise ExportError(f"{target} appeared while exporting; not overwriting it")
        give_normal_mode(tmp, target)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
