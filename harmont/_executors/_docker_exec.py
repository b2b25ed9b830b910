"""
Running one step as an ``exec`` in its chain's container: streamed output, a time limit,
cancellation.

docker-py's exec stream is a blocking iterator, so a pump thread forwards the chunks to
the host while the calling thread polls cancellation and the deadline. Stopping a step
means removing its container: that kills the exec and everything it started in one
engine call, whatever the image ships (no ``kill`` or ``pkill`` needed), and a step that
was stopped has failed, so its chain's container has no further use anyway.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Final

from harmont._errors import PluginRuntimeError
from harmont._executors._docker_engine import PLUGIN_NAME, engine_error
from harmont._executors._process import (
    EXIT_CANCELLED,
    EXIT_TIMED_OUT,
    POLL_SECONDS,
    ProcessOutcome,
)
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from docker import APIClient
    from docker.types.daemon import CancellableStream

__all__ = ["run_exec"]

#: How long the pump may take to see the stream end once the container is gone.
_DRAIN_SECONDS: Final = 10.0
#: Runs the step's command, then kills whatever it left running: every process but the
#: keeper (PID 1) and this shell, as ``kill -1`` defines it. A step never outlives its
#: shell, as on the local runner, and a leftover daemon cannot hold the output open.
_WRAPPER: Final = 'sh -c "$1"; status=$?; kill -s KILL -1 2>/dev/null; exit "$status"'


class _Pump(threading.Thread):
    """Forwards one exec's demultiplexed output until the stream ends."""

    def __init__(
        self,
        chunks: CancellableStream[tuple[bytes | None, bytes | None]],
        on_output: Callable[[StdStream, bytes], None],
    ) -> None:
        super().__init__(name="harmont-docker-exec", daemon=True)
        self._chunks = chunks
        self._on_output = on_output
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            for stdout, stderr in self._chunks:
                if stdout:
                    self._on_output(StdStream.STDOUT, stdout)
                if stderr:
                    self._on_output(StdStream.STDERR, stderr)
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            self.failure = exc
        finally:
            # Neither the end of the stream nor its close() releases the HTTP response,
            # whose file object keeps the socket open until the garbage collector warns.
            self._chunks.close()
            response = getattr(self._chunks, "_response", None)
            if response is not None:
                response.close()


def run_exec(
    api: APIClient,
    container: str,
    cmd: str,
    *,
    env: Mapping[str, str],
    workdir: str,
    on_output: Callable[[StdStream, bytes], None],
    should_cancel: Callable[[], bool],
    stop: Callable[[], None],
    timeout_seconds: float | None = None,
) -> ProcessOutcome:
    """
    Run ``sh -c cmd`` in *container* with *env* over the image's and wait for it; then
    kill every process it left behind.

    :param on_output: receives raw chunks as they arrive, on a pump thread.
    :param should_cancel: polled every :data:`POLL_SECONDS`; once True, *stop* is called
        and the outcome is :data:`EXIT_CANCELLED`.
    :param stop: kills the exec and all it started (removes the container).
    :param timeout_seconds: wall-clock limit; when reached *stop* is called and the
        outcome is :data:`EXIT_TIMED_OUT`.
    :raises PluginRuntimeError: code ``docker_exec``, the engine refused the exec.
    :raises EngineUnavailable: the connection to the engine was lost.
    """
    from docker.errors import DockerException

    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    try:
        exec_id = api.exec_create(
            container, ["sh", "-c", _WRAPPER, "sh", cmd], environment=dict(env), workdir=workdir
        )["Id"]
        pump = _Pump(api.exec_start(exec_id, stream=True, demux=True), on_output)
    except (DockerException, OSError) as exc:
        engine_error(exc, code="docker_exec", doing="starting the step's exec")
    pump.start()
    timed_out = cancelled = False
    while pump.is_alive():
        pump.join(POLL_SECONDS)
        if not pump.is_alive():
            break
        if should_cancel():
            cancelled = True
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
        if cancelled or timed_out:
            stop()
            pump.join(_DRAIN_SECONDS)
            break
    if cancelled:
        return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True)
    if timed_out:
        return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True)
    if pump.failure is not None:
        if isinstance(pump.failure, DockerException | OSError):
            engine_error(pump.failure, code="docker_exec", doing="reading the step's output")
        raise pump.failure
    return ProcessOutcome(exit_code=_exit_code(api, exec_id))


def _exit_code(api: APIClient, exec_id: str) -> int:
    from docker.errors import DockerException

    # The stream can end a moment before the engine records the exit code.
    try:
        for _ in range(100):
            state = api.exec_inspect(exec_id)
            if not state.get("Running") and state.get("ExitCode") is not None:
                code = int(state["ExitCode"])
                return code if -(2**31) <= code < 2**31 else 1
            time.sleep(0.01)
    except (DockerException, OSError) as exc:
        engine_error(exc, code="docker_exec", doing="reading the step's exit code")
    raise PluginRuntimeError(
        f"docker: exec {exec_id[:12]} ended its output but the engine reports no exit code",
        plugin=PLUGIN_NAME,
        code="docker_exec",
    )
