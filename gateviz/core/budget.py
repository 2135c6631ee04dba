"""How much memory gateviz may use, checked before the work rather than discovered by a MemoryError.

    available_memory()              bytes this process can still take (RAM, cgroup and rlimit, the least)
    require(needed, what, hint)     raise ResourceError when ``needed`` bytes would not fit
    format_bytes(n)                 "1.5 GiB"

A reader or command estimates what a job needs (a file's declared sizes, a trace's arrays) and
calls ``require`` first, so a hostile or simply too large input ends in one clear message instead
of minutes of swapping and an allocator error. ``GATEVIZ_MEMORY_LIMIT`` (bytes, or with a K/M/G
suffix) caps the figure, for tests and for users who want gateviz to leave room for others.
"""

from __future__ import annotations

import os
import re

from .errors import GatevizError

# Only this share of what is free may be planned for: numpy and torch make temporaries, and the
# desktop beside gateviz needs room too.
USABLE_SHARE = 0.7


class ResourceError(GatevizError):
    """The job would need more memory (or disk) than this machine has to give."""


def format_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def parse_bytes(text: str) -> int | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text or "")
    if not m:
        return None
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # other Unixes: free physical pages
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_headroom() -> int | None:
    """A container's memory limit minus what it uses (cgroup v2), if there is a limit."""
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            limit = fh.read().strip()
        if limit == "max":
            return None
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as fh:
            used = int(fh.read().strip())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def _rlimit_headroom() -> int | None:
    """An address-space limit (ulimit -v) minus what the process has mapped."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm", encoding="ascii") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return max(0, soft - mapped)
    except (ImportError, OSError, ValueError, IndexError):
        return None


def available_memory() -> int:
    """Bytes of memory this process can plan to use now (the tightest of RAM, cgroup, rlimit, env)."""
    candidates = [v for v in (_meminfo_available(), _cgroup_headroom(), _rlimit_headroom()) if v is not None]
    limit = parse_bytes(os.environ.get("GATEVIZ_MEMORY_LIMIT", ""))
    if limit is not None:
        candidates.append(limit)
    return min(candidates) if candidates else 8 * 2**30


def usable_memory() -> int:
    return int(available_memory() * USABLE_SHARE)


def require(needed: int, what: str, hint: str = "") -> None:
    """ResourceError naming ``what`` and both sizes when ``needed`` bytes do not fit in usable memory."""
    usable = usable_memory()
    if needed > usable:
        tail = f"; {hint}" if hint else ""
        raise ResourceError(f"{what} would need about {format_bytes(needed)} of memory, but only "
                            f"{format_bytes(usable)} can be used on this machine now{tail}")
