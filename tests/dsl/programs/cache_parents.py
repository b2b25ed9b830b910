"""A cached step's key folds in its parent's; uncached steps may follow cached ones."""

from __future__ import annotations

import harmont as hm

root = hm.sh("apt-get install -y git", label="root", cache=hm.forever())
fork = root.fork()
left = fork.sh("git clone a", label="left", cache=hm.forever())
right = fork.sh("git clone b", label="right", cache=hm.on_change("src/main.py"))
uncached = left.sh("make", label="uncached")
same_cmd_other_parent = right.sh("make", label="other", cache=hm.forever())

PIPELINE = hm.pipeline([uncached, same_cmd_other_parent])
