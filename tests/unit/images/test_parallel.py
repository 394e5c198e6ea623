"""in_parallel: every target in its own thread, results in the targets' order, errors raised after all end."""

import threading

import pytest

from dockyard.images.parallel import in_parallel


def test_results_come_back_in_the_targets_order_and_the_threads_overlap():
    barrier = threading.Barrier(3, timeout=10)  # only passes when all three run at the same time

    def work(item, stop_point):
        barrier.wait()
        stop_point()
        return item.upper()

    assert in_parallel(["web", "celery", "flower"], work, "run-x") == ["WEB", "CELERY", "FLOWER"]


def test_an_error_in_one_thread_is_raised_after_the_others_finish():
    finished = []

    def work(item, stop_point):
        if item == "bad":
            raise ValueError("boom")
        finished.append(item)
        return item

    with pytest.raises(ValueError, match="boom"):
        in_parallel(["a", "bad", "b"], work, "run-x")
    assert sorted(finished) == ["a", "b"]
