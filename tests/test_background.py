"""Background: a call on a daemon thread that its caller can stop waiting for."""

from __future__ import annotations

import threading

import pytest

from harmont._background import Background


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
