"""
The shell-session protocol: one long-lived ``sh`` per chain, each step a framed script.

A chain's environment in a container (a Docker container, a Kubernetes pod) runs one
``sh`` reading commands from its stdin: the *session*. Starting a step costs the session a
fork instead of costing the engine an exec, a round trip of its API. This module is the
protocol only, with no I/O: it builds the script that runs one step and parses what comes
back, so every transport (the Docker exec socket, the Kubernetes exec websocket) frames
steps the same way. The local runner needs no session: `hm` spawns each step itself,
which costs less than a shell launching it (:mod:`._process`).

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

How the end of a step comes back, with no in-band sentinel a step could forge
(:class:`TokenFraming`, for transports that carry only stdin, stdout and stderr): the step
writes to the session's stdout and stderr, and once it has exited the session writes
``<token> <status>\\n`` on stdout and ``<token>\\n`` on stderr. The token is 32 random hex
digits made per session; it travels only on the session's stdin, so a step cannot read it
(its stdin is ``/dev/null``, it is in no argv or env the step can see), and bytes a step
prints cannot end its step early or fake a status. :class:`TokenScanner` splits each
stream at the token, holding back a chunk's tail that could be the start of one, so a
step's output arrives intact, final newline or not. Before the records, the session runs
``kill -s KILL -1``: in a container every process but PID 1 and the session belongs to
the step, so nothing it left running (in its process group or not) outlives it or writes
into the next step's output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, final

import attrs

__all__ = [
    "SESSION_ARGV",
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

    def child(self, *, session_cwd: str | bytes | None) -> bytes:
        """The body of the step's subshell: ``cd``, env, then ``exec sh -c cmd``."""
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
        run += [b"sh", b"-c", quote(self.cmd)]
        parts.append(b" ".join(run))
        return b"; ".join(parts)


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
