"""
The shell-session protocol: one long-lived ``sh`` per chain, each step a framed script.

A chain's environment (a local directory, a container, a pod) runs one ``sh`` reading
commands from its stdin: the *session*. Starting a step costs the session a fork instead
of costing the host a process spawn (or the engine an exec). This module is the protocol
only, with no I/O: it builds the script that runs one step and parses what comes back, so
every transport (pipes on the local machine, the Docker exec socket, the Kubernetes exec
websocket) frames steps the same way.

What one step's script does, in the session:

- It is one compound command ending in a newline, so the session parses all of it before
  running any of it: the host writes it whole while the session is idle and never has to
  read output at the same time.
- The step runs in a subshell ``( ... )``, which ``exec``\\ s ``sh -c <cmd>``: an ``export``
  or a ``cd`` of the step dies with it, and the next step starts from the session's
  untouched state. The subshell first ``cd``\\ s to the step's directory when it is not the
  session's, exports the step's env over the session's (names that are not shell
  identifiers go through ``env``, which takes any name), and redirects stdin from
  ``/dev/null``: a step never reads the session's stdin, which carries the scripts.
- Every value is single-quoted byte for byte (:func:`quote`), so commands, env values and
  paths may hold any bytes but NUL.

How the end of a step comes back, with no in-band sentinel a step could forge:

- :class:`DescriptorFraming` (transports with descriptors of their own, the local
  runner): the step's stdout and stderr go to two paths the host opened for it (FIFOs),
  and the session's own stdout is a channel only the session writes, carrying the
  records ``S <pid>`` (the step started, as process group ``pid``: the subshell ``exec``\\ s
  a launcher that makes it a process group of its own before it ``exec``\\ s the step's
  ``sh``) and ``E <status>`` (the step's shell exited with ``status``, 128 + N for
  signal N). The step never holds the session's stdout.
- :class:`TokenFraming` (transports that carry only stdin, stdout and stderr: a Docker or
  Kubernetes exec): the step writes to the session's stdout and stderr, and once it has
  exited the session writes ``<token> <status>\\n`` on stdout and ``<token>\\n`` on stderr.
  The token is 32 random hex digits made per session; it travels only on the session's
  stdin, so a step cannot read it (its stdin is ``/dev/null``, it is in no argv or env
  the step can see), and bytes a step prints cannot end its step early or fake a status.
  :class:`TokenScanner` splits each stream at the token, holding back a chunk's tail that
  could be the start of one, so a step's output arrives intact, final newline or not.
  Before the records, the session runs ``kill -s KILL -1``: in a container every process
  but PID 1 and the session belongs to the step, so nothing it left running (in its
  process group or not) outlives it or writes into the next step's output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "SESSION_ARGV",
    "DescriptorFraming",
    "Record",
    "RecordParser",
    "StepScript",
    "TokenFraming",
    "TokenScanner",
    "quote",
]

#: The session: a plain POSIX ``sh`` reading its commands from stdin.
SESSION_ARGV: Final = ("sh",)

#: What ``export NAME=...`` accepts; other names go through ``env``.
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Names some ``sh`` (bash) keeps read-only: assigning one would abort the subshell.
_READ_ONLY: Final = frozenset({"BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"})


def quote(value: str | bytes) -> bytes:
    """
    *value* as one single-quoted ``sh`` word, byte for byte.

    ``str`` is encoded as the file system encodes names (UTF-8, with the surrogate escapes
    of undecodable bytes turned back into those bytes).

    :raises ValueError: *value* holds a NUL byte, which no argument or name can carry.
    """
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    if b"\0" in data:
        raise ValueError("a shell word cannot hold a NUL byte")
    return b"'" + data.replace(b"'", b"'\\''") + b"'"


@attrs.frozen(kw_only=True)
class StepScript:
    """What a step asks of the session."""

    #: The step's command, run as ``sh -c cmd``.
    cmd: str
    #: Variables set over the session's environment for this step only.
    env: Mapping[str, str]
    #: The step's working directory; None (or the session's own) runs where it started.
    cwd: str | bytes | None = None

    def child(self, *, session_cwd: str | bytes | None, launcher: bytes = b"") -> bytes:
        """
        The body of the step's subshell: ``cd``, env, then ``exec [launcher] sh -c cmd``.

        :param launcher: ``sh`` words (quoted) put before ``sh``, such as ``'setsid'``.
        """
        parts: list[bytes] = []
        if self.cwd is not None and self.cwd != session_cwd:
            # `cd` sets OLDPWD, which some shells then export: a step sees only its own env.
            parts.append(b"cd -- " + quote(self.cwd) + b" || exit 1; unset OLDPWD")
        exported: list[bytes] = []
        through_env: list[bytes] = []
        for name, value in self.env.items():
            if _IDENTIFIER.match(name) and name not in _READ_ONLY:
                exported.append(name.encode() + b"=" + quote(value))
            else:
                through_env.append(quote(f"{name}={value}"))
        if exported:
            parts.append(b"export " + b" ".join(exported))
        run = [b"exec"]
        if through_env:
            run += [b"env", *through_env]
        if launcher:
            run.append(launcher)
        run += [b"sh", b"-c", quote(self.cmd)]
        parts.append(b" ".join(run))
        return b"; ".join(parts)


@attrs.frozen
class Record:
    """One status record of :class:`DescriptorFraming`."""

    #: ``S`` (started) or ``E`` (ended).
    kind: str
    #: The step's process group for ``S``, its exit status for ``E``.
    value: int


@final
class DescriptorFraming:
    """
    Framing for a session whose stdout is a channel of its own (see the module docstring).

    :param launcher: ``sh`` words that run their argv as a process group of its own (such
        as ``'setsid'``), so that everything a step starts can be killed as one.
    :param session_cwd: the directory the session runs in.
    """

    def __init__(self, *, launcher: bytes, session_cwd: str | bytes | None = None) -> None:
        self._launcher = launcher
        self._session_cwd = session_cwd

    def script(self, step: StepScript, *, stdout: str | bytes, stderr: str | bytes) -> bytes:
        """
        The script that runs *step* with its output sent to the FIFOs *stdout*/*stderr*.

        The host must open both FIFOs for reading before the session reads the script
        (the subshell's open would block otherwise).
        """
        child = step.child(session_cwd=self._session_cwd, launcher=self._launcher)
        return (
            b"{ ( " + child + b" ) </dev/null >" + quote(stdout) + b" 2>" + quote(stderr)
            + b" & __hm_p=$!; echo \"S $__hm_p\"; wait \"$__hm_p\"; echo \"E $?\"; }\n"
        )  # fmt: skip


@final
class RecordParser:
    """Splits a :class:`DescriptorFraming` status channel into :class:`Record`\\ s."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> Iterator[Record]:
        """The records completed by *data*."""
        *lines, self._pending = (self._pending + data).split(b"\n")
        for line in lines:
            kind, _, value = line.decode("ascii", "replace").partition(" ")
            if kind in {"S", "E"} and value.isdigit():
                yield Record(kind, int(value))


@final
class TokenFraming:
    """
    Framing for a session that has only stdin, stdout and stderr (see the module docstring).

    :param token: the session's secret (made here by default); exposed so a transport can
        build its :class:`TokenScanner`\\ s.
    """

    def __init__(self, *, token: bytes | None = None, session_cwd: str | None = None) -> None:
        import secrets  # here: it imports hashlib's OpenSSL, which local sessions never need

        self.token: Final = token if token is not None else secrets.token_hex(16).encode()
        self._session_cwd = session_cwd

    def script(self, step: StepScript) -> bytes:
        """The script that runs *step* and frames its end on both streams."""
        token = quote(self.token)
        return (
            b"{ ( " + step.child(session_cwd=self._session_cwd) + b" ) </dev/null; __hm_s=$?; "
            b"kill -s KILL -1 2>/dev/null; printf '%s %s\\n' " + token + b' "$__hm_s"; '
            b"printf '%s\\n' " + token + b" >&2; }\n"
        )  # fmt: skip


@final
class TokenScanner:
    """
    One stream of a :class:`TokenFraming` session, split at the token.

    :meth:`feed` returns the step's output in the chunk (possibly empty) and, once the
    token's line is complete, what followed the token on it (the status on stdout, empty
    on stderr). Bytes after that line belong to the next step and are kept for it.
    """

    def __init__(self, token: bytes) -> None:
        self._token = token
        self._pending = b""
        #: True between the token and the end of its line.
        self._in_record = False

    def feed(self, data: bytes) -> tuple[bytes, bytes | None]:
        """``(output, record)``: record is None until this step's record is complete."""
        buffer = self._pending + data
        if not self._in_record:
            at = buffer.find(self._token)
            if at < 0:
                keep = self._partial_token(buffer)
                self._pending = buffer[len(buffer) - keep :] if keep else b""
                return buffer[: len(buffer) - keep], None
            output, buffer = buffer[:at], buffer[at + len(self._token) :]
            self._in_record = True
        else:
            output = b""
        end = buffer.find(b"\n")
        if end < 0:
            self._pending = buffer
            return output, None
        self._in_record = False
        # Nothing of this session follows a record until the host sends the next script:
        # bytes here were written by a process of the step as it was being killed.
        self._pending = b""
        return output, buffer[:end].strip()

    def _partial_token(self, buffer: bytes) -> int:
        """The length of the longest tail of *buffer* that starts the token."""
        first = self._token[:1]
        start = max(0, len(buffer) - len(self._token) + 1)
        at = buffer.find(first, start)
        while at >= 0:
            if self._token.startswith(buffer[at:]):
                return len(buffer) - at
            at = buffer.find(first, at + 1)
        return 0

    @property
    def leftover(self) -> bytes:
        """Bytes held back: a partial token at a stream's end is output after all."""
        return b"" if self._in_record else self._pending
