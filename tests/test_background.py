"""Background: a call on a daemon thread that its caller can stop waiting for."""

from __future__ import annotations

import contextvars
import threading

import pytest

from harmont import _background
from harmont._background import Background


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> _background._Threads:
    """
    A pool of threads of the test's own.

    Calls other tests abandoned may end, and park their threads, at any moment: in the
    shared pool one of them could be the thread the next call is given.
    """
    pool = _background._Threads()
    monkeypatch.setattr(_background, "_THREADS", pool)
    return pool


class TestBackground:
    def test_result_of_a_finished_call(self) -> None:
        """A call that finished within the wait hands back its result."""
        job = Background(lambda: 42, name="t")

        assert (True, 42) == (job.wait(5), job.result())

    def test_exception_is_raised_on_the_caller(self) -> None:
        """What the call raised is raised again by result(), on the waiting thread."""
        boom = ValueError("boom")

        def fail() -> None:
            raise boom

        job = Background(fail, name="t")
        job.wait(5)

        with pytest.raises(ValueError, match="boom") as info:
            job.result()
        assert boom is info.value

    def test_wait_gives_up_on_a_call_that_goes_on(self) -> None:
        """wait() returns False while the call runs, and the call keeps running on a daemon."""
        release = threading.Event()
        job = Background(lambda: release.wait(5), name="hm-test-background")

        assert not job.wait(0.05)
        assert any(t.name == "hm-test-background" and t.daemon for t in threading.enumerate())
        release.set()
        assert (True, True) == (job.wait(5), job.result())

    @pytest.mark.usefixtures("threads")
    def test_a_finished_call_leaves_its_thread_for_the_next(self) -> None:
        """Threads are reused: starting one costs more than a trivial step's scheduling."""
        first = Background(threading.current_thread, name="t")
        assert first.wait(5)

        second = Background(threading.current_thread, name="t")

        assert second.wait(5)
        assert first.result() is second.result()

    def test_a_call_is_finished_only_once_its_thread_is_idle(
        self, threads: _background._Threads
    ) -> None:
        """
        wait() returns only after the thread has parked, so the next call finds it idle.

        Holding the pool's lock keeps the thread from parking: the call has returned, yet
        it is not reported finished until the thread is idle.
        """
        go = threading.Event()
        job = Background(lambda: (go.wait(5), threading.current_thread())[1], name="t")
        with threads._lock:
            go.set()
            finished_unparked = job.wait(0.5)

        assert (False, True) == (finished_unparked, job.wait(5))
        assert "hm-idle" == job.result().name

    def test_a_call_that_goes_on_keeps_its_thread_to_itself(self) -> None:
        """A hung call is abandoned, not waited for: the next call runs on another thread."""
        release = threading.Event()
        hung = Background(lambda: (threading.current_thread(), release.wait(5))[0], name="t")
        assert not hung.wait(0.05)

        later = Background(threading.current_thread, name="t")

        assert later.wait(5)
        release.set()
        assert hung.wait(5)
        assert hung.result() is not later.result()

    @pytest.mark.usefixtures("threads")
    def test_each_call_starts_from_an_empty_context(self) -> None:
        """Context variables one call set are not seen by the next on the same thread."""
        variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable")

        def set_it() -> threading.Thread:
            variable.set("first")
            return threading.current_thread()

        first = Background(set_it, name="t")
        assert first.wait(5)

        second = Background(lambda: (threading.current_thread(), variable.get("unset")), name="t")

        assert second.wait(5)
        assert (first.result(), "unset") == second.result()
