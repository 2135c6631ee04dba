"""The Qt user interface (the only package that imports PySide6 / pyqtgraph).

Importing it first protects the process from a PySide6 refcount bug, see below.
"""

import sys


def _bindings_drop_none_references() -> bool:
    """Does this PySide6 return None from void methods without taking a reference?

    PySide6-Essentials 6.12.0 (a cp310-abi3 wheel) does, as if every Python had
    immortal None/True like 3.12. Probe it with a cheap void call on a plain QObject.
    """
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) - before <= -32


def _immortalise_singletons() -> None:
    """Work around the bug above on CPython 3.10/3.11.

    There each leaked reference drains None's count: the app loses ~300 per repainted
    frame and aborts with "Fatal Python error: none_dealloc" after seconds of playback.
    Giving None/True/False a huge reference count (what Python 3.12 does) makes the
    missing increments harmless. constraints.txt pins 6.11.3, which lacks the bug, and
    pyproject excludes 6.12.0; this only guards installs that ignore both.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    if not _bindings_drop_none_references():
        return
    import ctypes

    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcnt.value < 1 << 40:
            refcnt.value += 1 << 40


_immortalise_singletons()
