"""hm.group, and pipeline functions returning one step, nested lists, or tuples of lists."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("grouped")
def grouped() -> hm.Pipeline:
    return hm.group([hm.sh("make a"), hm.sh("make b")])


@hm.pipeline("nested")
def nested() -> object:
    a = hm.sh("make a", label="a")
    return [a.sh("make b", label="b"), (a.sh("make c", label="c"), [hm.wait(), [hm.sh("make d")]])]


@hm.pipeline("single")
def single() -> hm.Step:
    return hm.sh("make single")


PIPELINE = hm.pipeline(hm.group(step for step in [hm.sh("make x"), hm.sh("make y")]))
