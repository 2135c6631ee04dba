"""The Qt user interface (the only package that imports PySide6 / pyqtgraph).

Importing it first protects the process from a PySide6 6.12 refcount bug, see below.
"""

import sys


def _immortalise_singletons() -> None:
    """Work around PySide6-Essentials 6.12.0 (cp310-abi3 wheel) on Python 3.10/3.11.

    Its bindings return ``None`` (every void method: ``update()``, ``setPen()``, ...) and
    ``True`` without taking a reference, as if running on Python >= 3.12 where these
    objects are immortal. On 3.10/3.11 each such call drains one reference: the app
    loses ~300 references of None per repainted frame and aborts with "Fatal Python
    error: none_dealloc: deallocating None" after a few seconds of playback.
    Giving None/True/False a huge reference count (what Python 3.12 does) makes the
    missing increments harmless; nothing else changes.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcnt.value < 1 << 40:
            refcnt.value += 1 << 40


_immortalise_singletons()
