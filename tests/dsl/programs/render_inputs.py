"""pipeline_to_json with explicit org, slug, clock, base path and env, and with an empty env."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import harmont as hm

p = hm.pipeline(
    [
        hm.sh("make", label="ttl", cache=hm.ttl(timedelta(hours=1)))
        .sh("make check", label="forever", cache=hm.forever(env_keys=("ARCH",)))
        .sh("make docs", label="files", cache=hm.on_change("readme.md"))
    ]
)

OUTPUT = "\n".join(
    [
        hm.pipeline_to_json(
            p,
            pipeline_org="org-a",
            pipeline_slug="slug-a",
            now=3599,
            base_path=Path("docs"),
            env={"ARCH": "arm64"},
        ),
        hm.pipeline_to_json(p, now=3600, base_path=Path.cwd() / "docs"),
        hm.pipeline_to_json(p, env={}),
        hm.pipeline_to_json(p, env={"HM_PIPELINE_ORG": "from-env", "HM_PIPELINE_SLUG": "s"}),
        hm.dump_registry_json(pipeline_org="explicit", now=0, env={"ARCH": "x"}),
    ]
)
