"""Default-image stamping of roots, image inheritance from an imaged scratch, runner fields."""

from __future__ import annotations

import harmont as hm

plain_root = hm.scratch().sh("echo root", runner="local", runner_args={"shell": "bash"})
child = plain_root.sh("echo child", image="ignored:child")
imaged = hm.Step(image="alpine:3.20")
first = imaged.sh("apk add git")
second = first.sh("git --version")
explicit = hm.scratch().sh(
    "uname -a", image="fedora:40", runner="k8s", runner_args={"cpu": 2, "tags": ["a"]}
)
empty_args = hm.scratch().sh("true", runner_args={})

PIPELINE = hm.pipeline([child, second, explicit, empty_args])
