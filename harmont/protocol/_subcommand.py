"""What a plugin subcommand receives and returns, and the error any capability may return."""

from __future__ import annotations

import attrs

from harmont.protocol._scalars import I32
from harmont.protocol._value import Value

__all__ = ["ExitInfo", "PluginError", "SubcommandInput"]


@attrs.frozen(kw_only=True)
class SubcommandInput:
    """A parsed plugin subcommand invocation. Its JSON form rejects unknown fields."""

    #: Vec<String>: the full path including the top verb, e.g. ``("cloud", "org", "switch")``.
    verb_path: tuple[str, ...]
    #: Value: an object of the parsed arguments.
    args: Value
    #: BTreeMap<String, String>: every process env var whose name starts with ``HARMONT_``.
    env: dict[str, str]


@attrs.frozen(kw_only=True)
class ExitInfo:
    """How a subcommand ends the process."""

    #: i32: becomes the process exit code.
    exit_code: I32
    #: Option<String>: printed to stderr, followed by a newline, before exiting.
    message: str | None = None


@attrs.frozen(kw_only=True)
class PluginError:
    """
    The error payload a plugin returns from any capability call (the wire struct).

    Not to be confused with :class:`harmont.PluginError`, the exception class: the host
    decodes this struct from a failed call and raises a
    :class:`harmont.PluginRuntimeError` carrying its ``code`` and ``message``.
    """

    #: String: a stable snake_case id, e.g. ``cloud_not_logged_in``. The generated glue
    #: reserves ``not_implemented`` and ``deserialize``.
    code: str
    #: String
    message: str
    #: Option<String>
    doc_url: str | None = None
