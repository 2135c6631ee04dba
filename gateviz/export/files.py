"""Writing export files safely: never overwrite without being asked, never leave half a file.

Every exporter writes to a temporary sibling of the target (same folder, so the final
rename is atomic) and renames it into place only when the file is complete; a cancelled
or failed export leaves nothing behind.
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
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
