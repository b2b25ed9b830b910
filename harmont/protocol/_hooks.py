"""
What a lifecycle hook receives and answers (docs/protocol.md).

``HookOutcome`` is a union of two classes; each carries its JSON tag in ``KIND`` and its
borsh variant index is its position in the union alias.
"""

from __future__ import annotations

from typing import ClassVar, TypeAlias

import attrs

from harmont.protocol._enums import HookPhase
from harmont.protocol._events import BuildEvent

__all__ = ["HookAbort", "HookContinue", "HookEvent", "HookOutcome"]


@attrs.frozen(kw_only=True)
class HookEvent:
    """One build event delivered to a hook, in one phase. Its JSON form rejects unknown fields."""

    #: BuildEvent
    event: BuildEvent
    #: HookPhase
    phase: HookPhase


@attrs.frozen(kw_only=True)
class HookContinue:
    """Let the build go on."""

    KIND: ClassVar[str] = "continue"


@attrs.frozen(kw_only=True)
class HookAbort:
    """Stop the build; honoured in the ``before`` phase only (``after`` logs a warning)."""

    KIND: ClassVar[str] = "abort"

    #: String: shown to the user.
    reason: str


#: A hook's answer (JSON tag ``kind``; borsh index = position here).
HookOutcome: TypeAlias = HookContinue | HookAbort
