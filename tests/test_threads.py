"""Issue 17: a trace asks torch only for the cores other processes leave free (gateviz/core/threads.py)."""

import threading

import torch

from gateviz.core import threads


def test_cores_left_counts_other_processes_only():
    assert threads.cores_left(2, runnable=1, own_running=1) == 2  # only us: both cores
    assert threads.cores_left(2, runnable=3, own_running=2) == 1  # one busy process besides our two threads
    assert threads.cores_left(2, runnable=9, own_running=1) == 1  # never below one
    assert threads.cores_left(8, runnable=3, own_running=0) == 5


def test_free_cores_reads_this_machine():
    free = threads.free_cores()
    assert free is None or 1 <= free <= len(__import__("os").sched_getaffinity(0))


def test_a_busy_machine_lowers_the_threads_inside_and_restores_them(monkeypatch):
    default = torch.get_num_threads()
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    with threads.threads_for_free_cores() as used:
        assert used == torch.get_num_threads() == 1
    assert torch.get_num_threads() == default


def test_free_cores_above_torchs_own_setting_keep_it(monkeypatch):
    default = torch.get_num_threads()
    monkeypatch.setattr(threads, "free_cores", lambda: default + 4)
    with threads.threads_for_free_cores() as used:
        assert used == torch.get_num_threads() == default
    monkeypatch.setattr(threads, "free_cores", lambda: None)  # the system does not say
    with threads.threads_for_free_cores() as used:
        assert used == default


def test_a_worker_threads_setting_is_its_own(monkeypatch):
    """The trace job's worker lowers its own count; the thread that started it keeps its own meanwhile."""
    default = torch.get_num_threads()
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    inside, checked, seen = threading.Event(), threading.Event(), []

    def job():
        with threads.threads_for_free_cores():
            seen.append(torch.get_num_threads())
            inside.set()
            checked.wait(10)

    worker = threading.Thread(target=job)
    worker.start()
    assert inside.wait(10)
    during = torch.get_num_threads()
    checked.set()
    worker.join()
    assert seen == [1] and during == default and torch.get_num_threads() == default


def test_a_small_trace_does_not_look(monkeypatch):
    """Sampling costs ~10 ms: a trace smaller than that keeps torch's threads without looking."""
    looked = []
    monkeypatch.setattr(threads, "free_cores", lambda: looked.append(1) or 1)
    with threads.threads_for_free_cores(threads.SMALL_TRACE_UNIT_STEPS - 1) as used:
        assert used == torch.get_num_threads()
    assert not looked
    with threads.threads_for_free_cores(threads.SMALL_TRACE_UNIT_STEPS):
        pass
    assert looked == [1]
