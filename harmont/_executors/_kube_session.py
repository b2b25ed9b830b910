"""
Execs into a chain's pod: the Kubernetes transport of :mod:`._shell_session`.

The exec subresource speaks the ``v4.channel.k8s.io`` websocket protocol: channel 0 is
stdin, 1 stdout, 2 stderr and 3 the exec's end (a ``Status`` whose ``ExitCode`` cause is
the exit code). The client's :class:`~kubernetes.stream.ws_client.WSClient` is driven
here in binary mode, so bytes arrive as they were written.

- :class:`KubeSession`: one exec of ``sh`` per chain, each step a
  :class:`~._shell_session.TokenFraming` script written to channel 0, each output channel
  split at the session's token by its :class:`~._shell_session.TokenScanner`. Stopping a
  step (timeout, cancellation) deletes its pod, as the docker runner removes its
  container: the stream then ends.
- :func:`exec_bytes`: one exec that is fed *data* and whose stdout is kept, for tar
  streams in and out of a pod. ``v4`` cannot half-close stdin, so a command that reads
  its input reads exactly ``len(data)`` bytes (``head -c``), never waiting for an EOF
  that would not come.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import TYPE_CHECKING, Any, Final, final

from harmont._errors import PluginRuntimeError
from harmont._executors._kube_api import PLUGIN_NAME, api_error, open_exec
from harmont._executors._process import (
    EXIT_CANCELLED,
    EXIT_TIMED_OUT,
    POLL_SECONDS,
    ProcessOutcome,
)
from harmont._executors._shell_session import TokenFraming, TokenScanner
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from kubernetes.client import ApiClient

    from harmont._executors._shell_session import StepScript

__all__ = ["WORKSPACE", "ExecFailed", "KubeSession", "exec_bytes"]

#: Where steps run and the source is extracted (the contract's ``workdir``).
WORKSPACE: Final = "/workspace"
_STDIN: Final = 0
_CHANNELS: Final = {1: StdStream.STDOUT, 2: StdStream.STDERR}
_ERROR: Final = 3
#: How long output still in flight is read once the pod is being deleted.
_DRAIN_SECONDS: Final = 2.0
#: The session: made in the workspace (an image need not have it), then a plain ``sh``.
_SESSION: Final = (
    "sh",
    "-c",
    f"mkdir -p {WORKSPACE} && cd {WORKSPACE} && unset OLDPWD && exec sh",
)


class ExecFailed(Exception):
    """A one-shot exec exited non-zero; its stderr, one line."""


def _exit_code(ws: Any) -> int | None:
    """The exit code the stream's channel 3 carried; None before it came."""
    raw = ws.read_channel(_ERROR)
    if not raw:
        return None
    try:
        status = json.loads(raw)
    except ValueError:
        return 1
    if not isinstance(status, dict) or status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", 1))
    return 1


def exec_bytes(
    api: ApiClient,
    pod: str,
    namespace: str,
    command: Sequence[str],
    *,
    data: bytes = b"",
    doing: str,
) -> bytes:
    """
    Run *command* in *pod* with *data* on its stdin; its stdout.

    :raises ExecFailed: the command exited non-zero (its stderr's first line).
    :raises PluginRuntimeError, EngineUnavailable: the apiserver refused, or is gone.
    """
    try:
        ws = open_exec(api, pod, namespace, command)
    except Exception as exc:  # the client raises ApiException, urllib3 and websocket errors
        api_error(exc, code="kube_exec", doing=doing)
    out: list[bytes] = []
    err: list[bytes] = []
    code: int | None = None
    try:
        view = memoryview(data)
        for at in range(0, len(data), 1 << 20):
            ws.write_channel(_STDIN, bytes(view[at : at + (1 << 20)]))
        while ws.is_open():
            ws.update(timeout=POLL_SECONDS)
            out.append(ws.read_channel(1) or b"")
            err.append(ws.read_channel(2) or b"")
            code = _exit_code(ws)
            if code is not None:
                break
    except Exception as exc:
        api_error(exc, code="kube_exec", doing=doing)
    finally:
        with contextlib.suppress(Exception):
            ws.close()
    if code is None:
        code = 1
    if code != 0:
        message = b"".join(err).decode("utf-8", "replace").strip().splitlines()
        raise ExecFailed(f"{doing}: exit {code}" + (f": {message[0]}" if message else ""))
    return b"".join(out)


@final
class KubeSession:
    """The ``sh`` of the chain in *pod*, opened on the first step."""

    def __init__(self, api: ApiClient, pod: str, namespace: str) -> None:
        self._api = api
        self._pod = pod
        self._namespace = namespace
        self._framing = TokenFraming(session_cwd=WORKSPACE)
        self._ws: Any = None

    def _connect(self) -> Any:
        if self._ws is None:
            try:
                self._ws = open_exec(self._api, self._pod, self._namespace, _SESSION)
            except Exception as exc:
                api_error(exc, code="kube_exec", doing="starting the chain's shell session")
        return self._ws

    def close(self) -> None:
        """Close the stream; the session's ``sh`` then exits. Idempotent."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close()

    def run(
        self,
        step: StepScript,
        *,
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        stop: Callable[[], None],
        timeout_seconds: float | None = None,
    ) -> ProcessOutcome:
        """
        Run *step* in the session and wait for it.

        :param stop: kills the session and all the step started (deletes the pod).
        :raises PluginRuntimeError: code ``kube_exec``, the session failed.
        :raises EngineUnavailable: the connection to the apiserver was lost.
        :raises ValueError: the step's command or env holds a NUL byte.
        """
        script = self._framing.script(step)
        ws = self._connect()
        try:
            ws.write_channel(_STDIN, script)
        except Exception as exc:
            self.close()
            api_error(exc, code="kube_exec", doing="sending a step to the chain's shell")
        wait = _StepRead(
            ws,
            TokenScanner(self._framing.token),
            TokenScanner(self._framing.token),
            on_output=on_output,
            should_cancel=should_cancel,
            stop=stop,
            timeout_seconds=timeout_seconds,
        )
        try:
            wait.run()
        except Exception as exc:
            self.close()
            api_error(exc, code="kube_exec", doing="reading the step's output")
        stopped, records, scanners = wait.stopped, wait.records, wait.scanners
        if stopped is not None:
            self.close()
            if stopped == "cancelled":
                return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True)
            return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True)
        if len(records) < len(scanners):
            return self._lost(ws, scanners, on_output)
        status = records[StdStream.STDOUT].decode("ascii", "replace")
        if not status.isdigit():
            self.close()
            raise PluginRuntimeError(
                f"kubernetes: the chain's shell reported a step status of {status!r}",
                plugin=PLUGIN_NAME,
                code="kube_exec",
            )
        return ProcessOutcome(exit_code=int(status))

    def _lost(
        self,
        ws: Any,
        scanners: dict[StdStream, TokenScanner],
        on_output: Callable[[StdStream, bytes], None],
    ) -> ProcessOutcome:
        """The session ended under the step (a step that killed its shell): step failed."""
        for stream, scanner in scanners.items():
            if scanner.leftover:
                on_output(stream, scanner.leftover)
        code = None
        with contextlib.suppress(Exception):
            code = _exit_code(ws)
        self.close()
        code = code or 1
        message = f"the chain's shell session ended (status {code}) before the step's shell did"
        on_output(StdStream.STDERR, f"{message}\n".encode())
        return ProcessOutcome(exit_code=code)


class _StepRead:
    """Reads one step's output until both streams carried its record, or the end."""

    def __init__(
        self,
        ws: Any,
        stdout: TokenScanner,
        stderr: TokenScanner,
        *,
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        stop: Callable[[], None],
        timeout_seconds: float | None,
    ) -> None:
        self.ws = ws
        self.scanners = {StdStream.STDOUT: stdout, StdStream.STDERR: stderr}
        self.records: dict[StdStream, bytes] = {}
        self.on_output = on_output
        self.should_cancel = should_cancel
        self.stop = stop
        self.deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        #: ``cancelled`` or ``timed out`` once the pod was deleted under the step.
        self.stopped: str | None = None
        self.stopped_at = 0.0

    def run(self) -> None:
        """Read until both records came, the stream ended, or a stopped step drained."""
        while len(self.records) < len(self.scanners) and self._keep_reading():
            try:
                self.ws.update(timeout=POLL_SECONDS)
                chunks = [(s, self.ws.read_channel(c)) for c, s in _CHANNELS.items()]
            except Exception:
                if self.stopped is not None:
                    return  # the pod is being deleted: its stream may end any way it likes
                raise
            for stream, data in chunks:
                if data and stream not in self.records:
                    output, record = self.scanners[stream].feed(data)
                    if output:
                        self.on_output(stream, output)
                    if record is not None:
                        self.records[stream] = record

    def _keep_reading(self) -> bool:
        """Stop the step if asked; whether to read on."""
        if self.stopped is None:
            if self.should_cancel():
                self.stopped = "cancelled"
            elif self.deadline is not None and time.monotonic() >= self.deadline:
                self.stopped = "timed out"
            if self.stopped is not None:
                self.stopped_at = time.monotonic()
                self.stop()
        elif time.monotonic() - self.stopped_at > _DRAIN_SECONDS:
            return False
        return bool(self.ws.is_open())
