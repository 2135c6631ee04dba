"""TraceRunner's thread hygiene: Qt objects are created, used and deleted on the GUI thread only.

A Qt object deleted on a worker thread while the GUI thread uses it crashes the whole process
(a CI run died that way, in the event loop, with no Python traceback); these tests pin the two
rules that prevent it.
"""

from __future__ import annotations

import gc
import threading

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QObject  # noqa: E402

from gateviz.ui.runner import TraceRunner, _Bridge, collect_garbage_on_gui_thread  # noqa: E402


def _bridges(runner) -> list:
    return [c for c in runner.findChildren(QObject) if isinstance(c, _Bridge)]


def test_each_jobs_bridge_is_owned_by_the_runner_and_deleted_on_the_gui_thread(qtbot):
    runner = TraceRunner()
    threads = []

    def job(progress):
        threads.append(threading.current_thread())
        progress(0.5, "half")
        return 42

    with qtbot.waitSignal(runner.done, timeout=30000) as done:
        runner.submit("t", job)
    assert done.args == ["t", 42]
    assert threads[0] is not threading.main_thread()
    threads[0].join(10)
    # the worker's closure, which referenced the bridge, is gone with its thread: the bridge is
    # still there (owned by its parent), waiting for deleteLater on the GUI thread
    qtbot.waitUntil(lambda: not _bridges(runner), timeout=30000)


def test_an_abandoned_jobs_bridge_is_deleted_too_and_its_result_ignored(qtbot):
    runner = TraceRunner()
    release = threading.Event()
    results = []
    runner.done.connect(lambda tag, result: results.append((tag, result)))

    def slow(progress):
        release.wait(30)
        return "old"

    runner.submit("old", slow, now=True)
    with qtbot.waitSignal(runner.done, timeout=30000):
        runner.submit("new", lambda progress: "new", now=True)
    release.set()
    qtbot.waitUntil(lambda: not _bridges(runner), timeout=30000)
    assert results == [("new", "new")], "the abandoned job's result never arrives"


def test_deleting_the_runner_drops_a_running_jobs_result(qtbot, monkeypatch):
    thread_errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))
    holder = QObject()
    runner = TraceRunner(holder)
    release = threading.Event()
    seen = []
    runner.done.connect(lambda *a: seen.append(a))
    runner.submit("t", lambda progress: release.wait(30) and "late")
    holder.deleteLater()  # takes the runner and the job's bridge along (a window closing)
    qtbot.waitUntil(lambda: not _alive(holder), timeout=30000)
    release.set()
    qtbot.wait(200)  # the worker's queued result had nowhere to go: nothing arrives, nothing crashes
    assert seen == []
    assert thread_errors == [], "the worker found its bridge deleted and quietly dropped the result"


def _alive(obj) -> bool:
    try:
        obj.objectName()
    except RuntimeError:
        return False
    return True


def test_the_cycle_collector_runs_on_the_gui_thread_only(qtbot):
    collect_garbage_on_gui_thread()
    collect_garbage_on_gui_thread()  # idempotent
    assert not gc.isenabled(), "automatic collection would run on whichever thread allocates"
    from gateviz.ui import runner as workers

    assert workers._gui_collector.isActive()
    assert workers._gui_collector.thread() is QObject().thread()

    # garbage made by a worker is freed later, on the GUI thread, by the timer
    class Cycle:
        def __init__(self):
            self.me = self

    freed_on = []

    class Tracked(Cycle):
        def __del__(self):
            freed_on.append(threading.current_thread())

    def make_garbage():
        for _ in range(5000):
            Cycle()
        Tracked()

    worker = threading.Thread(target=make_garbage)
    worker.start()
    worker.join()
    assert freed_on == [], "not collected on the worker thread"
    qtbot.waitUntil(lambda: bool(freed_on), timeout=30000)
    assert freed_on == [threading.main_thread()]
