"""
Calling one plugin: translating its failures and bounding its time.

Every call into plugin code goes through :func:`call_plugin`, the seam where foreign
exceptions become :class:`~harmont.PluginRuntimeError` naming the plugin and the
capability, and where a result of the wrong type is caught before it travels further.

A :class:`~harmont.PluginRuntimeError` that a plugin raises itself with a ``code`` is a
refusal it means ("image not found"), worded for the user: it keeps its message, prefixed
with the plugin's name. Anything else reads as the failure it is ("plugin 'x' failed
during 'execute_step': ..."), so that a bug is not mistaken for a verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeVar

from harmont._background import Background
from harmont._errors import EngineUnavailable, ImageUnavailable, PluginRuntimeError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["call_plugin", "call_with_timeout"]

T = TypeVar("T")

#: The code a plugin error gets when the plugin raised something other than
#: PluginRuntimeError: a bug in the plugin rather than a failure it reported.
UNHANDLED: Final = "unhandled_exception"
#: The code of a call that returned something other than the spec's result type.
BAD_RESULT: Final = "bad_result"
#: The code of a call that overran its time limit.
TIMEOUT: Final = "timeout"


def call_plugin(
    call: Callable[[], list[object]],
    *,
    plugin: str,
    capability: str,
    expected: type[T] | tuple[type[T], ...],
) -> T:
    """
    Run ``call`` (a pluggy call on exactly one plugin) and return its single result.

    :raises PluginRuntimeError: the plugin raised (its own refusal keeps its message, see
        the module docstring), returned nothing, or returned a value that is not an
        instance of ``expected``.
    :raises EngineUnavailable: raised by the plugin, passed on unchanged.
    :raises ImageUnavailable: raised by the plugin, passed on unchanged.
    """
    try:
        results = call()
    except (EngineUnavailable, ImageUnavailable):
        # Not plugin failures: the engine a runner drives is down (exit 4), or
        # the pipeline names an image that cannot be had (exit 2).
        raise
    except PluginRuntimeError as exc:
        raise PluginRuntimeError(
            _reported(exc, plugin=plugin, capability=capability),
            plugin=plugin,
            capability=capability,
            code=exc.code,
            hint=exc.hint,
        ) from exc
    except Exception as exc:
        raise PluginRuntimeError(
            f"plugin '{plugin}' raised {type(exc).__name__} during '{capability}': {exc}",
            plugin=plugin,
            capability=capability,
            code=UNHANDLED,
            hint="this is a bug in the plugin; report it to its authors",
        ) from exc
    result = results[0] if results else None
    if not isinstance(result, expected):
        names = expected if isinstance(expected, tuple) else (expected,)
        wanted = " or ".join(t.__name__ for t in names)
        raise PluginRuntimeError(
            f"plugin '{plugin}' returned {type(result).__name__} from '{capability}', "
            f"expected {wanted}",
            plugin=plugin,
            capability=capability,
            code=BAD_RESULT,
        )
    return result


def _reported(exc: PluginRuntimeError, *, plugin: str, capability: str) -> str:
    """The message of *exc*, raised by *plugin* during *capability*, as the user reads it."""
    # No capability yet: raised by the plugin's own code, not made by a host seam (the
    # native wrapper sets one) for a crash, a timeout or a result that does not decode.
    if exc.code is not None and exc.capability is None:
        prefix = f"{plugin}: "
        return exc.message if exc.message.startswith(prefix) else prefix + exc.message
    return f"plugin '{plugin}' failed during '{capability}': {exc.message}"


def call_with_timeout(call: Callable[[], T], *, timeout_ms: int, plugin: str, capability: str) -> T:
    """
    Run ``call`` on a daemon thread and wait at most ``timeout_ms`` for it.

    Python cannot stop a thread, so a call that overruns keeps running in the
    background; being a daemon thread, it does not hold the process open at exit.

    :raises PluginRuntimeError: with code ``timeout`` when the call overruns; whatever
        ``call`` raises is re-raised on the calling thread.
    """
    job = Background(call, name=f"hm-plugin-{plugin}")
    if not job.wait(timeout_ms / 1000):
        raise PluginRuntimeError(
            f"plugin '{plugin}' timed out after {timeout_ms}ms during '{capability}'",
            plugin=plugin,
            capability=capability,
            code=TIMEOUT,
        )
    return job.result()
