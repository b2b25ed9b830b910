"""
Trigger classes and constructors, for programs that ``from harmont.triggers import ...`` as
they could with harmont 0.0.9; ``hm.push`` and ``hm.pull_request`` are the same functions.
"""

from __future__ import annotations

from harmont._dsl import PullRequestTrigger, PushTrigger, Trigger, pull_request, push

__all__ = ["PullRequestTrigger", "PushTrigger", "Trigger", "pull_request", "push"]
