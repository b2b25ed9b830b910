"""Decorated pipelines: options, default slug and name, declaration order, keys per slug."""

from __future__ import annotations

from datetime import timedelta

import harmont as hm


@hm.pipeline(
    "ci",
    name="Continuous integration",
    triggers=[hm.push(branch="main"), hm.pull_request()],
    allow_manual=False,
    env={"CI": "1"},
    timeout="45m",
)
def ci() -> hm.Pipeline:
    build = hm.sh("make", label="build", cache=hm.ttl(timedelta(days=1)))
    return (build.sh("make test", label="test"), hm.wait(), hm.sh("make report"))


@hm.pipeline()
def nightly() -> hm.Step:
    return hm.sh("make", label="build", cache=hm.ttl(timedelta(days=1)))


@hm.pipeline(slug="release", triggers=(hm.push(tag="v*"),), timeout=timedelta(hours=2))
def release_pipeline() -> list[hm.Step]:
    return [hm.sh("make release")]


# The decorated function stays callable and returns its leaves.
OUTPUT = repr(nightly().cmd)
