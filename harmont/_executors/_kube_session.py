"""
Execs into a chain's pod: the Kubernetes transport of :mod:`._shell_session`.

The exec subresource speaks the ``v4.channel.k8s.io`` websocket protocol: channel 0 is
stdin, 1 stdout, 2 stderr and 3 the exec's end (a ``Status`` whose ``ExitCode`` cause is
the exit code). The client's :class:`~kubernetes.stream.ws_client.WSClient` is driven
here in binary mode, so bytes arrive as they were written.

- :class:`KubeSession`: one exec of ``sh`` per chain, driven by :mod:`._token_session`
  (each step a :class:`~._shell_session.TokenFraming` script written to channel 0, each
  output channel split at the session's token). Stopping a step (timeout, cancellation)
  deletes its pod, as the docker runner removes its container: the stream then ends.
- :func:`exec_bytes`: one exec that is fed *data* and whose stdout is kept, for tar
  streams in and out of a pod. ``v4`` cannot half-close stdin, so a command that reads
  its input reads exactly ``len(data)`` bytes (``head -c``), never waiting for an EOF
  that would not come.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, Final, final

from harmont._executors._kube_api import PLUGIN_NAME, api_error, open_exec
from harmont._executors._process import POLL_SECONDS
from harmont._executors._token_session import TokenSession
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Sequence

    from kubernetes.client import ApiClient

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
class KubeSession(TokenSession):
    """The ``sh`` of the chain in *pod*, opened on the first step."""

    def __init__(self, api: ApiClient, pod: str, namespace: str) -> None:
        super().__init__(
            lambda: _ExecChannels.start(api, pod, namespace),
            session_cwd=WORKSPACE,
            plugin=PLUGIN_NAME,
            code="kube_exec",
            error=api_error,
            drain_seconds=_DRAIN_SECONDS,
        )


@final
class _ExecChannels:
    """The channels of one exec websocket, an ``ExecStream``."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    @classmethod
    def start(cls, api: ApiClient, pod: str, namespace: str) -> _ExecChannels:
        """Start the session's ``sh`` in *pod* and attach to it."""
        try:
            return cls(open_exec(api, pod, namespace, _SESSION))
        except Exception as exc:  # the client raises ApiException, urllib3 and websocket errors
            api_error(exc, code="kube_exec", doing="starting the chain's shell session")

    def send(self, data: bytes) -> None:
        """Write *data* to the shell's stdin (channel 0)."""
        self._ws.write_channel(_STDIN, data)

    def receive(self, timeout: float) -> list[tuple[StdStream, bytes]] | None:
        """What channels 1 and 2 carried within *timeout*; None once the stream closed."""
        if not self._ws.is_open():
            return None
        self._ws.update(timeout=timeout)
        return [(stream, self._ws.read_channel(c)) for c, stream in _CHANNELS.items()]

    def exit_status(self) -> int | None:
        """The exit code channel 3 carried."""
        return _exit_code(self._ws)

    def close(self) -> None:
        """Close the websocket; the session's ``sh`` then exits."""
        with contextlib.suppress(Exception):
            self._ws.close()
