"""Triggers: push by branch or tag (one glob or several), pull_request filters and hm.pr."""

from __future__ import annotations

import harmont as hm
from harmont.triggers import PullRequestTrigger, PushTrigger, pull_request, push


@hm.pipeline(
    "triggers",
    triggers=[
        hm.push(branch="main"),
        hm.push(branch=["release/*", "hotfix/*"]),
        push(tag="v*"),
        hm.push(None, ("a", "b")),
        hm.pull_request(branches="main"),
        hm.pr(types=["closed", "ready_for_review"]),
        pull_request(branches=["main", "dev"], types=("opened",)),
        hm.pr(branches=[]),
    ],
)
def with_triggers() -> hm.Step:
    return hm.sh("make")


OUTPUT = "\n".join(
    [
        repr(sorted(PushTrigger(branches=("main",), tags=None).to_dict().items())),
        repr(sorted(PullRequestTrigger(branches=None, types=("closed",)).to_dict().items())),
    ]
)
