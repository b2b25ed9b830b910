"""on_change keys: files, directories, globs, paths that do not exist, and no paths at all."""

from __future__ import annotations

import harmont as hm

deps = hm.sh(
    "pip install -r requirements.txt", label="deps", cache=hm.on_change("requirements.txt")
)
sources = deps.sh("make", label="sources", cache=hm.on_change("src", "Cargo.lock"))
globbed = hm.sh("make docs", label="globbed", cache=hm.on_change("docs/*.md", "src/**/*.py"))
unmatched = hm.sh("true", label="unmatched", cache=hm.on_change("*.nothing", "missing/file.txt"))
nothing = hm.sh("true", label="nothing", cache=hm.on_change())
reordered = hm.sh("make", label="reordered", cache=hm.on_change("Cargo.lock", "src"))

PIPELINE = hm.pipeline([sources, globbed, unmatched, nothing, reordered])
