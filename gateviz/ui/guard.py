"""No exception may escape into Qt: a guard for paint events, event handlers and slots.

An exception raised in a Python override called from C++ (``paintEvent``, ``paint``, ``event``) or
in a slot is reported by PySide6 on its way back into Qt; inside a paint event PySide6 then
crashed with SIGSEGV (issue 11: one NaN weight killed ``gateviz export`` and the app). A slot that
raises half-way leaves the window half-updated. So every such callback runs under ``guarded``:

    @guarded                       # a method: returns None (or ``fallback``) when it raises
    def paintEvent(self, event): ...

    with guarding("the cell diagram"):   # a block
        ...

A caught exception is logged once per place and kind (traceback on stderr through ``logging``;
the same paint failing 60 times a second logs it once) and handed to the listeners: the main window
shows it in its status bar and one dialog, and a headless export (``collecting``) refuses to write a
picture whose panels did not draw.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import traceback
import weakref
from typing import Callable, Iterator

log = logging.getLogger("gateviz.ui")

_seen: dict[tuple, int] = {}  # (where, type, message) -> how often it was caught
_listeners: list = []  # weak references to callables (where, message, first_time)
_collectors: list[list[str]] = []


def describe(exc: BaseException) -> str:
    """The user-facing text of an exception (a GatevizError's own message, else a short bug report)."""
    from gateviz.ui.errors import describe_exception  # Qt widgets: only once something failed

    try:
        return describe_exception(exc)
    except Exception:  # noqa: BLE001 - describing must never fail in turn
        return f"unexpected {type(exc).__name__}"


def report(exc: BaseException, where: str) -> str:
    """Log ``exc`` (first time per place and kind), tell the listeners; returns the message."""
    message = describe(exc)
    key = (where, type(exc).__name__, str(exc)[:200])
    count = _seen.get(key, 0)
    _seen[key] = count + 1
    if count == 0:
        # the traceback as text: a log record holding the exception would keep its frames alive, and with
        # them a QPainter still painting a local pixmap (destroyed later in the wrong order: SIGSEGV)
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        log.error("gateviz: error in %s: %s\n%s", where, message, text)
    else:
        log.debug("gateviz: error in %s again (%d times): %s", where, count + 1, message)
    for collected in _collectors:
        collected.append(f"{where}: {message}")
    for ref in list(_listeners):
        listener = ref()
        if listener is None:
            _listeners.remove(ref)
            continue
        try:
            listener(where, message, count == 0)
        except Exception:  # noqa: BLE001 - a failing listener must not escape either
            log.exception("gateviz: reporting an error failed")
    return message


def add_listener(callback: Callable[[str, str, bool], None]) -> None:
    """``callback(where, message, first_time)`` for every caught exception; held weakly (a bound method
    of a window does not keep the window alive)."""
    ref = weakref.WeakMethod(callback) if inspect.ismethod(callback) else weakref.ref(callback)
    _listeners.append(ref)


def remove_listener(callback) -> None:
    for ref in list(_listeners):
        if ref() is None or ref() == callback:
            _listeners.remove(ref)


@contextlib.contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the messages of every exception caught inside the block (headless export)."""
    caught: list[str] = []
    _collectors.append(caught)
    try:
        yield caught
    finally:
        _collectors.remove(caught)


def collected() -> list[str]:
    """The messages the enclosing ``collecting`` blocks caught so far (empty outside them)."""
    return [m for caught in _collectors for m in caught]


@contextlib.contextmanager
def guarding(where: str) -> Iterator[None]:
    """Run a block; an exception in it is reported, not raised."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the point: nothing escapes into Qt
        report(exc, where)


def _positional_limit(fn) -> int | None:
    """How many positional arguments ``fn`` takes (None: any number). PySide6 passes a wrapper with
    ``*args`` every argument of a signal, so the wrapper drops the ones ``fn`` does not take."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def guarded(fn=None, *, where: str | None = None, fallback=None):
    """Decorate a paint event, event handler or slot: an exception is reported and ``fallback``
    returned instead (``event()`` overrides pass ``fallback=False``: the event was not handled)."""
    if fn is None:
        return lambda f: guarded(f, where=where, fallback=fallback)
    limit = _positional_limit(fn)
    place = where or fn.__qualname__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*(args if limit is None else args[:limit]), **kwargs)
        except Exception as exc:  # noqa: BLE001 - the point: nothing escapes into Qt
            report(exc, place)
            return fallback

    wrapper.gateviz_guarded = True
    return wrapper
