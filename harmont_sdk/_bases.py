"""
Base classes for the three capabilities; each turns one plain method into a hook.

A plugin class subclasses one or several of them, sets ``manifest`` and implements the
methods; the bases carry the ``@hookimpl`` markers, so the author never touches pluggy.
The registry instantiates a class once (without arguments) when its entry point names
the class, so implementations must be default-constructible and thread-safe.

Example::

    class Echo(Subcommand):
        manifest = manifest("hm-echo", "1.0.0", subcommand("echo", "say it back"))

        def run(self, context, subcommand_input):
            context.write_stdout(b"hi\\n")
            return ExitInfo(exit_code=0)
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar

from harmont.hookspecs import hookimpl

if TYPE_CHECKING:
    from harmont import PluginContext
    from harmont.protocol import (
        ExecutorInput,
        ExitInfo,
        HookEvent,
        HookOutcome,
        PluginManifest,
        StepResult,
        SubcommandInput,
    )

__all__ = ["LifecycleHook", "Plugin", "StepExecutor", "Subcommand"]


class Plugin:
    """
    What every plugin class shares: the ``manifest`` it declares.

    .. versionadded:: 2
    """

    #: The plugin's manifest, usually built with :func:`harmont_sdk.manifest`.
    manifest: ClassVar[PluginManifest]

    @hookimpl
    def hm_plugin_manifest(self) -> PluginManifest:
        """Return ``self.manifest``; a plugin without one is a plugin bug."""
        declared: PluginManifest | None = getattr(self, "manifest", None)
        if declared is None:
            raise TypeError(
                f"{type(self).__qualname__} has no `manifest` class attribute; "
                "set it with harmont_sdk.manifest(...)"
            )
        return declared


class StepExecutor(Plugin, abc.ABC):
    """
    Runs the steps of the runners its manifest declares (``harmont_sdk.executor``).

    .. versionadded:: 2
    """

    @hookimpl
    def hm_execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        """Forward to :meth:`execute_step`."""
        return self.execute_step(context, executor_input)

    @abc.abstractmethod
    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        """Run one step; see :func:`harmont.hookspecs.hm_execute_step`."""


class LifecycleHook(Plugin, abc.ABC):
    """
    Reacts to the build events its manifest subscribes to (``harmont_sdk.hook``).

    .. versionadded:: 2
    """

    @hookimpl
    def hm_on_hook_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        """Forward to :meth:`on_event`."""
        return self.on_event(context, hook_event)

    @abc.abstractmethod
    def on_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        """React to one event; see :func:`harmont.hookspecs.hm_on_hook_event`."""


class Subcommand(Plugin, abc.ABC):
    """
    Runs the verbs its manifest adds under `hm` (``harmont_sdk.subcommand``).

    .. versionadded:: 2
    """

    @hookimpl
    def hm_run_subcommand(
        self, context: PluginContext, subcommand_input: SubcommandInput
    ) -> ExitInfo:
        """Forward to :meth:`run`."""
        return self.run(context, subcommand_input)

    @abc.abstractmethod
    def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
        """Run one verb; see :func:`harmont.hookspecs.hm_run_subcommand`."""
