"""A fork: several chains build in one parent's snapshot; hashes of post-fork steps."""

from __future__ import annotations

import harmont as hm

base = hm.sh("apt-get update && apt-get install -y build-essential", label="Base")
branch = base.fork("matrix")
gcc = branch.sh("make CC=gcc")
clang = branch.sh("make CC=clang")
again = branch.sh("make CC=gcc")
docs = base.sh("make docs").sh("make docs-check")
nested = gcc.fork().sh("make check").fork("inner").sh("make install")

PIPELINE = hm.pipeline([gcc, clang, again, docs, nested])
