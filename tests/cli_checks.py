"""What the hardening tests check of a refused file, shared: the one stderr line, and the files opened."""

from __future__ import annotations

import os
import sys


def error_line(capsys, *needles: str) -> str:
    """The one 'gateviz: error: ...' line on stderr (no traceback, no catch-all), holding every needle."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gateviz: error: "), err
    assert "Traceback" not in err and "unexpected" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


class Opens:
    """Every path this process opens through Python. An audit hook cannot be removed, so one hook is
    installed for the whole session and records into ``active`` while a test sets it to a list."""

    active: list | None = None

    @classmethod
    def hook(cls, event, args):
        if cls.active is not None and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            cls.active.append(os.fsdecode(args[0]))


sys.addaudithook(Opens.hook)
