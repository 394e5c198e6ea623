import threading
import time

from dockyard.docker.lock import exclusive_build


def test_second_build_waits_for_the_first_and_says_so(tmp_path):
    lock = tmp_path / "build.lock"
    order: list[str] = []
    messages: list[str] = []
    first_holds = threading.Event()
    release_first = threading.Event()

    def first():
        with exclusive_build(order.append, path=lock):
            order.append("first in")
            first_holds.set()
            release_first.wait(5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(5)

    def second():
        with exclusive_build(messages.append, path=lock):
            order.append("second in")

    waiter = threading.Thread(target=second)
    waiter.start()
    deadline = time.monotonic() + 5
    while not messages and time.monotonic() < deadline:
        time.sleep(0.01)
    assert order == ["first in"]  # the second is still waiting
    release_first.set()
    thread.join(5)
    waiter.join(5)
    assert order == ["first in", "first out", "second in"]
    assert messages == ["another dockyard build is running on this machine; waiting for it to finish"]


def test_an_uncontended_build_says_nothing(tmp_path):
    messages: list[str] = []
    with exclusive_build(messages.append, path=tmp_path / "build.lock"):
        pass
    assert messages == []
