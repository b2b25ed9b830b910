"""
The contract between harmont and its plugins: the hook specifications.

A plugin is any object (a module, a class instance) whose methods carry the
:data:`hookimpl` marker and whose names match the specs below. It always implements
:func:`hm_plugin_manifest`, plus one hook per capability its manifest declares.

The registry calls each spec on *one* plugin at a time, the one whose manifest owns the
runner or the verb (or, for lifecycle hooks, each subscriber in registration order), so
the usual pluggy 1:N call through ``pm.hook`` is never how these are invoked.

Argument names are part of the contract and never change: pluggy passes arguments by
the parameter names of the implementation, which may take any subset of them. New
arguments may be added; renamed ones would break every plugin.

Plugin code raises :class:`harmont.PluginRuntimeError` (with a stable ``code=``) to
report a failure, and `hm` exits with status 6. Two exceptions pass through unchanged:
:class:`harmont.EngineUnavailable`, for a runner whose engine (the Docker daemon) or
registry cannot be reached, is the machine's state, not a plugin bug, so it stops the
build and `hm` exits with status 4 and the engine's hint, never 6; and
:class:`harmont.ImageUnavailable`, for an image the pipeline names that cannot be had,
is the user's input to fix (exit 2). Any other exception is turned into a
PluginRuntimeError with code ``unhandled_exception``, naming the plugin and the hook
(exit 6). An ``after``-phase lifecycle hook cannot stop a build: whatever it raises is a
warning (see :func:`hm_on_hook_event`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from harmont import PluginContext
    from harmont._orchestrator._preflight import PullPolicy, PullProgress
    from harmont.protocol import (
        ExecutorInput,
        ExitInfo,
        HookEvent,
        HookOutcome,
        PluginManifest,
        StepResult,
        SubcommandInput,
    )

__all__ = [
    "PROJECT_NAME",
    "hm_check_runner",
    "hm_execute_step",
    "hm_on_hook_event",
    "hm_open_shell",
    "hm_plugin_manifest",
    "hm_run_subcommand",
    "hm_snapshot_exists",
    "hookimpl",
    "hookspec",
]

#: The pluggy project name: the prefix of the marker attributes on implementations.
PROJECT_NAME: Final = "harmont"

#: Marks a hook specification (used only here).
hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)

#: Marks a hook implementation in a plugin; the same object as ``harmont.hookimpl`` and
#: ``harmont_sdk.hookimpl``.
hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)


# Spec bodies are never run (pluggy reads only their signatures and docstrings), hence the
# `type: ignore[empty-body]` on each.

# -------------------------------------------------------------------------------------
# Manifest
# -------------------------------------------------------------------------------------


@hookspec
def hm_plugin_manifest() -> PluginManifest:  # type: ignore[empty-body]
    """
    Declare the plugin: its name, version, API version and capabilities.

    :returns: the plugin's :class:`~harmont.protocol.PluginManifest`. Its ``name`` must
        equal the plugin's entry-point name and its ``api_version`` must equal
        :data:`harmont.protocol.API_VERSION`.

    Called once per plugin, on the main thread, while the registry loads, before any
    other hook of that plugin. It must be cheap and must not touch the network: `hm
    --help` calls it for every installed plugin. The result is validated (docs/protocol.md)
    and cached for the life of the registry.

    .. versionadded:: 2

    Native plugins
        The ``manifest`` call of the plugin vtable; the payload is a borsh
        ``PluginManifest``, decoded after the host has peeked its leading ``api_version``.
    """


# -------------------------------------------------------------------------------------
# Step executor
# -------------------------------------------------------------------------------------


@hookspec
def hm_execute_step(  # type: ignore[empty-body]
    context: PluginContext, executor_input: ExecutorInput
) -> StepResult:
    """
    Run one command step on the runner this plugin owns.

    :param context: the host API bound to this plugin, this run and this step; log
        lines sent through it are attributed to the step.
    :param executor_input: the step (after host patches such as the default image), its
        merged environment, the workspace archive, the cache decision to obey and the
        snapshot to start from.
    :returns: the step's :class:`~harmont.protocol.StepResult`; a non-zero
        ``exit_code`` is a failed step, not a plugin error.

    Called only on the plugin whose manifest declares a ``StepExecutorSpec`` for the
    step's runner (or the default runner), from a scheduler worker thread: several steps
    of independent chains may run at once, so implementations must be thread-safe. Steps
    of one chain are called in order. Long work should poll ``context.should_cancel()``.

    .. versionadded:: 2

    Native plugins
        The ``execute_step`` call; input is a borsh ``ExecutorInput``, the Ok payload a
        borsh ``StepResult``, the Err payload a borsh ``PluginError``.
    """


@hookspec(firstresult=True)
def hm_snapshot_exists(runner: str, tag: str) -> bool | None:
    """
    Say whether the cache snapshot ``tag`` exists for ``runner``: the host's cache lookup.

    :param runner: the runner of the step being decided; a plugin that does not own it
        returns None.
    :param tag: a cache tag, ``harmont-local/<sanitised step key>:<cache key prefix>``.
    :returns: True when a step may be skipped and its chain continue from ``tag``, False
        when it must run and commit ``tag``, None when this plugin does not own
        ``runner``. Stops at first non-None result.

    Optional: a runner whose plugin does not implement it never gets cache hits. Called
    from a scheduler worker thread, before ``hm_execute_step``, for steps with a cache
    policy only; it should be cheap (a local lookup, no pull).

    .. versionadded:: 2

    Native plugins
        Not available: the C ABI has no such call, so native executors never get hits.
    """


@hookspec
def hm_check_runner(
    runner: str,
    images: Mapping[str, str | None],
    pull: PullPolicy,
    on_pull: Callable[[PullProgress], None],
) -> None:
    """
    Check, before the build starts, that ``runner`` can run the steps planned on it, and
    get the images its chains start from.

    :param runner: a runner the plan uses; a plugin that does not own it returns at once.
    :param images: each chain root of ``runner`` that starts from an image, by step key:
        the image it runs in (the pipeline's default stamped in), or None for the
        runner's own default.
    :param pull: when to pull an image, with the meaning of ``docker run --pull``:
        ``missing`` (only images not stored), ``always`` (every image, for its tag's
        current content), ``never`` (a missing image is an error). A runner without
        images ignores it.
    :param on_pull: give it a :class:`~harmont.PullProgress` whenever a pull advances, and
        one with ``finished`` set when it succeeded; it may be called from several threads.
        Once harmont stops waiting (Ctrl-C) it raises :class:`~harmont.Cancelled`: let that
        propagate, it stops the pull.
    :raises EngineUnavailable: the engine the runner drives, or the registry of an image
        it must pull, cannot be reached (exit 4).
    :raises ImageUnavailable: an image is not stored and ``pull`` is ``never``, or its
        registry has no such image or tag, or refused access (exit 2).
    :raises PluginRuntimeError: a step cannot run as planned for another reason (exit 6).

    Optional: a runner whose plugin does not implement it is first checked by its first
    step. Called by :func:`harmont.run`, once per runner the plan uses, after planning and
    before ``build_start``, so a build that cannot start fails with one clear error
    instead of a failed first step and a list of skipped ones; each distinct image should
    be pulled once, a few at a time. Called on a worker thread that a Ctrl-C abandons: the
    build ends at once while the call runs on. Apart from pulls it should be quick (a
    ping, local lookups) and must create nothing.

    .. versionadded:: 2

    Native plugins
        Not available: the C ABI has no such call; native runners fail at their first step.
    """


@hookspec(firstresult=True)
def hm_open_shell(
    context: PluginContext, executor_input: ExecutorInput, program: str, run_command: bool
) -> int | None:
    """
    Open an interactive shell, on the user's terminal, where a step runs: ``hm debug``.

    :param context: as for :func:`hm_execute_step`, for the step the shell is opened at.
    :param executor_input: the step, exactly as :func:`hm_execute_step` would get it: the
        shell runs in the environment the step starts from (``parent_snapshot``: its
        chain's live environment, a fork's snapshot, or its image), with its merged
        ``env`` and its ``workdir``. When this very execution already ran and failed in a
        run that keeps failed environments (``context.keep_failed``, ``hm run -i``), the
        shell opens in the environment the failed command left instead.
    :param program: the shell to run (``sh`` unless the user names another); it may hold
        arguments, split on blanks.
    :param run_command: run the step's command first (``hm debug --after``), attached to
        the terminal, then open the shell whatever its exit status.
    :returns: the shell's exit status (``128 + N`` when killed by signal N); None when
        this plugin does not own the step's runner. Stops at first non-None result.

    Optional: a runner whose plugin does not implement it cannot be debugged (`hm` says
    so). Called from a scheduler worker thread while the rest of the build holds (running
    steps finish, nothing new starts) and `hm` draws nothing on the terminal. The shell
    must own the terminal while it runs (its own process group as the foreground group),
    so that Ctrl-C in it never reaches `hm`; the environment is released afterwards as
    after a failed step.

    .. versionadded:: 2

    Native plugins
        Not available: the C ABI has no such call.
    """


# -------------------------------------------------------------------------------------
# Lifecycle hook
# -------------------------------------------------------------------------------------


@hookspec
def hm_on_hook_event(  # type: ignore[empty-body]
    context: PluginContext, hook_event: HookEvent
) -> HookOutcome:
    """
    React to a build event this plugin subscribed to.

    :param context: the host API bound to this plugin and this run (and the step, for
        step events).
    :param hook_event: the :class:`~harmont.protocol.BuildEvent` and the phase.
    :returns: :class:`~harmont.protocol.HookContinue`, or
        :class:`~harmont.protocol.HookAbort` to stop the build; an abort is honoured
        only in the ``before`` phase and ignored with a warning in ``after``.

    Called for every event whose kind is listed in one of the plugin's
    ``LifecycleHookSpec`` with the matching phase. Subscribers are called one after the
    other in registration order (built-ins, then third-party plugins by name), on the
    thread that produced the event; each call is bounded by the spec's ``timeout_ms``.
    In ``before`` a timeout or an error fails the build (exit 6, or 4 for
    ``EngineUnavailable``); in ``after`` either is a warning and the build goes on.

    .. versionadded:: 2

    Native plugins
        The ``on_hook_event`` call; input is a borsh ``HookEvent``, the Ok payload a
        borsh ``HookOutcome``.
    """


# -------------------------------------------------------------------------------------
# Subcommand
# -------------------------------------------------------------------------------------


@hookspec
def hm_run_subcommand(  # type: ignore[empty-body]
    context: PluginContext, subcommand_input: SubcommandInput
) -> ExitInfo:
    """
    Run a verb this plugin added under `hm`.

    :param context: the host API bound to this plugin (no run, no step).
    :param subcommand_input: the verb path (``["junit", "show"]``), the arguments `hm`
        parsed from the ``SubcommandSpec`` (flags as booleans, ``int`` values as
        integers, the rest as strings; absent optional arguments omitted) and every
        ``HARMONT_*`` environment variable.
    :returns: :class:`~harmont.protocol.ExitInfo`: its ``exit_code`` becomes the process
        exit status and its ``message``, if any, is printed to stderr.

    Called once, on the main thread, only on the plugin whose manifest declares the top
    verb. User-facing output goes through ``context.write_stdout``/``write_stderr``.

    .. versionadded:: 2

    Native plugins
        The ``run_subcommand`` call; input is a borsh ``SubcommandInput``, the Ok payload
        a borsh ``ExitInfo``.
    """
