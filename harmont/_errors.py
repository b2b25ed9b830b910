"""
The one exception tree of harmont.

Every error a user can meet is a :class:`HarmontError`; the CLI maps each class to an exit
code in one table (``harmont_cli/_exit.py``) and prints ``error: <message>`` plus an
optional ``hint: <hint>``. Library callers catch the class that matters to them; classes
that resemble a builtin also subclass it, so ``except ValueError`` keeps working.

::

    HarmontError
    ├── UsageError                      bad flags or arguments
    │   └── SettingsError                a config file or HM_* variable is wrong
    ├── PipelineError
    │   ├── InvalidIR (ValueError)       the IR document is malformed
    │   ├── PipelineRenderError          a pipeline file raised while being imported
    │   ├── UnknownPipeline (LookupError) no pipeline with that slug, or none at all
    │   └── UnknownRunner (LookupError)  a step names a runner no plugin provides
    ├── PluginError
    │   ├── DecodeError (ValueError)     wire bytes or JSON do not decode
    │   ├── PluginLoadError              a plugin could not be loaded or validated
    │   ├── PluginConflict               two plugins claim the same runner or verb
    │   └── PluginRuntimeError           a plugin call failed, crashed or timed out
    ├── SourceError                      the project's source tree cannot be packed
    │   └── UnpackError                  a packed source cannot be extracted
    ├── EngineUnavailable                the Docker engine, or an image's registry, is unreachable
    ├── ImageUnavailable                 an image cannot be had: not stored, no such tag, denied
    ├── AuthError                        credentials missing or refused
    └── Cancelled                        a command was cancelled (Ctrl-C)
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AuthError",
    "Cancelled",
    "DecodeError",
    "EngineUnavailable",
    "HarmontError",
    "ImageUnavailable",
    "InvalidIR",
    "PipelineError",
    "PipelineRenderError",
    "PluginConflict",
    "PluginError",
    "PluginLoadError",
    "PluginRuntimeError",
    "SettingsError",
    "SourceError",
    "UnknownPipeline",
    "UnknownRunner",
    "UnpackError",
    "UsageError",
]


class HarmontError(Exception):
    """
    Root of every error harmont raises on purpose.

    The message is one line saying what is wrong; ``hint`` optionally says how to fix it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(HarmontError):
    """Raised for command-line or API arguments that cannot be honoured."""


class SettingsError(UsageError):
    """Raised for a config file or ``HM_*`` variable that cannot be read or holds a bad value."""


class PipelineError(HarmontError):
    """Raised when a pipeline cannot be rendered, loaded or planned."""


class InvalidIR(PipelineError, ValueError):
    """
    Raised when an IR document is malformed.

    ``where`` names the place (a step key, a node index, a JSON path) when one is known.
    """

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.where = where


class PipelineRenderError(PipelineError):
    """Raised when a pipeline file fails while it is imported or rendered."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line


class UnknownPipeline(PipelineError, LookupError):
    """Raised when no pipeline matches the requested slug, or a choice is ambiguous."""


class UnknownRunner(PipelineError, LookupError):
    """
    Raised at plan time when a step names a runner that no loaded plugin provides.

    The hint is :attr:`DEFAULT_HINT` unless the raiser knows a closer fix (a plugin that is
    only disabled, a missing ``--runner``).
    """

    #: The fix for a runner nobody provides, worded once for the planner and the registry.
    DEFAULT_HINT: Final = (
        "install a plugin that provides it, or use an available runner; "
        "`hm plugin list` shows what is loaded"
    )

    def __init__(
        self,
        message: str,
        *,
        step_key: str | None = None,
        runner: str | None = None,
        hint: str | None = DEFAULT_HINT,
    ) -> None:
        super().__init__(message, hint=hint)
        self.step_key = step_key
        self.runner = runner


class PluginError(HarmontError):
    """
    Raised for anything that goes wrong between the host and a plugin.

    Not to be confused with :class:`harmont.protocol.PluginError`, the wire struct
    (``code``, ``message``, ``doc_url``) a plugin returns from a failed call; the host turns
    that struct into a :class:`PluginRuntimeError`.
    """

    def __init__(self, message: str, *, plugin: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.plugin = plugin


class DecodeError(PluginError, ValueError):
    """
    Raised when wire bytes (borsh) or wire JSON do not decode into the expected type.

    ``offset`` is the byte offset (borsh) at which decoding failed, when known.
    """

    def __init__(
        self, message: str, *, offset: int | None = None, plugin: str | None = None
    ) -> None:
        super().__init__(message, plugin=plugin)
        self.offset = offset


class PluginLoadError(PluginError):
    """Raised when a plugin cannot be imported, opened, or its manifest is invalid."""

    def __init__(
        self,
        message: str,
        *,
        plugin: str | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, plugin=plugin, hint=hint)
        self.source = source


class PluginConflict(PluginLoadError):
    """Raised when two plugins claim the same runner, verb or the default runner."""

    def __init__(self, claim: str, first: str, second: str) -> None:
        super().__init__(
            f"plugin conflict: both '{first}' and '{second}' claim '{claim}'",
            plugin=second,
            hint=f"disable one of them with `-p no:{second}` or HM_DISABLE_PLUGINS={second}",
        )
        self.claim = claim
        self.first = first
        self.second = second


class PluginRuntimeError(PluginError):
    """
    Raised when a plugin call fails: an error result, a crash, a timeout.

    ``code`` is the plugin's stable error code (``PluginError.code`` on the wire) when the
    plugin returned one; ``capability`` is the call that failed (``execute_step``...).
    """

    def __init__(
        self,
        message: str,
        *,
        plugin: str | None = None,
        capability: str | None = None,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, plugin=plugin, hint=hint)
        self.capability = capability
        self.code = code


class SourceError(HarmontError):
    """
    Raised when the project's source tree cannot be packed for a run.

    The tree is the user's input: a file that cannot be read, or a tree too big to pack,
    is theirs to fix (exit 2). ``path`` is the file or directory at fault, when one is.
    """

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.path = path


class UnpackError(SourceError):
    """
    Raised when a packed source cannot be extracted into a step's workspace.

    Not the user's input: the archive is the host's own and the destination the runner's,
    so a corrupt archive or a full disk is a failure of this machine (exit 1).
    """


class EngineUnavailable(HarmontError):
    """Raised when the container engine (Docker), or an image's registry, cannot be reached."""


class ImageUnavailable(HarmontError):
    """
    Raised when an image a step runs in cannot be had, before the build starts.

    The image is not stored and the pull policy forbids pulling it (``--pull never``), or
    its registry answered that there is no such image or tag, or refused access. The image
    name is the pipeline's input, so this is the user's to fix (exit 2), like a bad flag;
    a registry that cannot be reached at all is :class:`EngineUnavailable` (exit 4).
    ``image`` is the image as the pipeline names it.
    """

    def __init__(self, message: str, *, image: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.image = image


class AuthError(HarmontError):
    """Raised when credentials are missing or refused."""


class Cancelled(HarmontError):
    """
    Raised when the user cancels a command outside a build (Ctrl-C, a confirmation refused).

    A cancelled build is not an error but a result: its ``build_end`` and exit code 130.
    """
